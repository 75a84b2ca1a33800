"""``plan.json``, the record of a run: written and read by one class, :class:`RunRecord`.

Every field has its type here; reading is strict (a number where text belongs, a missing
field, an unknown one, are refused with the field's path), so the verifier, ``compare`` and
the reports all see the same, checked record.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from allocator import __version__
from allocator.constants import PLAN_JSON, RUN_FORMAT
from allocator.errors import AllocatorError
from allocator.formatting import format_cap
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides

if TYPE_CHECKING:
    from allocator.optim.result import SolveResult
    from allocator.plan.schema import Plan


class RecordError(AllocatorError):
    """``plan.json`` is missing, not JSON, or not a run record (exit code 2)."""

    exit_code = 2


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class PlanInfo(_Strict):
    """What was planned: the plan's name and titles, horizon, GDP case and cap."""

    name: str
    title_ja: str
    title_en: str
    first_year: int
    years: int
    gdp_case: str
    cap_ratio: str
    """The cap as an exact fraction (``1/50``)."""
    cap: str
    """The cap as written (``2%``)."""
    cap_base: str
    cap_base_year: int | None

    @property
    def last_year(self) -> int:
        return self.first_year + self.years - 1


class RunOptions(_Strict):
    """What the user asked for on the command line, so a run can be reloaded exactly."""

    cap: str
    first_year: int | None = None
    years: int | None = None
    gdp_case: str | None = None
    time_limit_seconds: float | None = None
    gap: float | None = None
    cap_base: str | None = None
    cap_base_year: int | None = None
    lang: str | None = None
    """Language of report.md, report.xlsx and the charts (``ja`` or ``en``)."""

    def overrides(self) -> Overrides:
        """The loader overrides these options stand for.

        Raises
        ------
        UsageError
            If the stored cap is not a ratio.
        """
        return Overrides(
            cap=parse_cap(self.cap, option="plan.json options.cap"),
            first_year=self.first_year,
            years=self.years,
            gdp_case=self.gdp_case,
            time_limit_seconds=self.time_limit_seconds,
            gap=self.gap,
            cap_base=self.cap_base,
            cap_base_year=self.cap_base_year,
        )


class SolverInfo(_Strict):
    name: str
    version: str
    pulp_version: str
    time_limit_seconds: float
    gap: float
    tolerance: float


class StageRecord(_Strict):
    """One priority stage (``rank`` None: the tie-break stage)."""

    rank: int | None
    status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    seconds: float


class ViolationRecord(_Strict):
    rule: str
    subject: str
    fiscal_year: int | None
    excess_oku_yen: int | None
    message: str


class VerificationRecord(_Strict):
    """The verifier's verdict on the run folder, stored before it was renamed into place."""

    ok: bool
    checked: dict[str, int]
    violations: tuple[ViolationRecord, ...]
    notes: tuple[str, ...]

    @property
    def checks(self) -> int:
        return sum(self.checked.values())


class BreachRecord(_Strict):
    """A rule the executed amounts already break (:class:`allocator.plan.actuals.Breach`)."""

    rule: str
    subject: str
    fiscal_year: int | None
    excess_oku_yen: int
    action: str
    """``past``, ``ceiling_reached`` or ``floor_missed``."""
    message: str
    message_ja: str


class ReplanStep(_Strict):
    """One step of a re-plan's decomposition: the plan re-solved with one more reason
    (``actuals``, ``gdp``, ``caps``, ``plan``) applied; ``moved_oku_yen`` is Σ|Δ| against
    the step before."""

    reasons: tuple[str, ...]
    status: str
    moved_oku_yen: int


class ReplanRecord(_Strict):
    """Where a re-plan comes from: the approved run, the actuals, and what it changed."""

    approved_run: str
    """The approved run folder as given on the command line."""
    approved_plan_json_sha256: str
    """SHA-256 of the approved run's plan.json (copied as inputs/approved_plan.json)."""
    approved_input_hash: str
    approved_created_at: str
    actuals_file: str
    """The actuals file as given (copied as inputs/actuals.csv)."""
    actuals_sha256: str
    from_year: int
    """The first fiscal year planned again; the years before it are fixed to the actuals."""
    tiebreak: str
    """How the schedule closest to the approved plan was chosen among equal-value ones."""
    moved_oku_yen: int
    """Σ |re-planned − approved| over programs and the years from ``from_year``."""
    executed_gap_oku_yen: int
    """Σ |executed − approved| over programs and the fixed years."""
    breaches: tuple[BreachRecord, ...] = ()
    steps: tuple[ReplanStep, ...] = ()
    purpose: Literal["replan", "evaluate"] = "replan"
    """``evaluate``: the folder of ``allocate evaluate`` (report.md is the year's evaluation)."""


Allocation = tuple[str, int, int, int | None]
"""(program_id, fiscal_year, 億円, units or None)."""


class RunRecord(_Strict):
    """``plan.json``. Amounts in integer 億円; fiscal years by their starting year."""

    format: Literal["allocator-run/1"]
    allocator_version: str
    created_at: str
    plan: PlanInfo
    options: RunOptions
    input_hash: str
    inputs: dict[str, str]
    """{file name inside ``inputs/``: SHA-256}."""
    solver: SolverInfo
    status: Literal["optimal", "feasible", "infeasible", "no_solution"]
    optimal: bool
    stages: tuple[StageRecord, ...]
    objective_per_rank: dict[str, float]
    times_seconds: dict[str, float]
    funded: dict[str, bool]
    allocations: tuple[Allocation, ...]
    notes: tuple[str, ...]
    explanation: tuple[str, ...] | None = None
    verification: VerificationRecord | None = None
    marginal: dict[str, dict[str, float]] | None = None
    """{rank: {fiscal year: value per 100 億円 more cap}} as in summary.csv's marginal columns."""
    files: dict[str, str] | None = None
    """{path inside the run folder: SHA-256} of every file but plan.json, seal.json and
    inputs/ (see :mod:`allocator.run.digests`); written last, when the folder is sealed."""
    replan: ReplanRecord | None = None
    """A re-plan (``allocate replan``, ``allocate evaluate``): the approved run and the actuals
    it comes from."""

    # -----------------------------------------------------------------------------------------
    # making one

    @classmethod
    def build(
        cls,
        plan: Plan,
        result: SolveResult,
        options: RunOptions,
        times: dict[str, float],
        inputs: dict[str, str],
        explanation: list[str] | None = None,
    ) -> RunRecord:
        """The record of a solved (or infeasible) run, before verification."""
        return cls(
            format="allocator-run/1",
            allocator_version=__version__,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            plan=PlanInfo(
                name=plan.name,
                title_ja=plan.title_ja,
                title_en=plan.title_en,
                first_year=plan.first_year,
                years=plan.years,
                gdp_case=plan.gdp_case,
                cap_ratio=str(plan.cap.ratio),
                cap=format_cap(plan.cap.ratio),
                cap_base=plan.cap.base,
                cap_base_year=plan.cap.base_year,
            ),
            options=options,
            input_hash=plan.input_hash,
            inputs=inputs,
            solver=SolverInfo(
                name=result.solver_name,
                version=result.solver_version,
                pulp_version=result.pulp_version,
                time_limit_seconds=result.time_limit_seconds,
                gap=result.gap_setting,
                tolerance=plan.solver.tolerance,
            ),
            status=result.status,  # type: ignore[arg-type]
            optimal=result.status == "optimal",
            stages=tuple(
                StageRecord(
                    rank=s.rank,
                    status=s.status,
                    objective=s.objective,
                    best_bound=s.best_bound,
                    gap=s.gap,
                    seconds=s.seconds,
                )
                for s in result.stages
            ),
            objective_per_rank={str(k): v for k, v in sorted(_rank_values(plan, result).items())},
            times_seconds=_rounded(times),
            funded=dict(sorted(result.funded.items())),
            allocations=tuple(
                (
                    str(r.program_id),
                    int(r.fiscal_year),
                    int(r.amount_oku_yen),
                    None if _missing(r.units) else int(r.units),
                )
                for r in result.schedule.sort_values(["program_id", "fiscal_year"]).itertuples()
            ),
            notes=tuple(plan.notes),
            explanation=tuple(explanation) if explanation else None,
            marginal=_marginal(result),
        )

    def verified(self, verification: dict[str, Any], times: dict[str, float]) -> RunRecord:
        """This record with the verifier's verdict and the final times."""
        return self.model_copy(
            update={
                "verification": VerificationRecord.model_validate(verification, strict=False),
                "times_seconds": _rounded(times),
            }
        )

    # -----------------------------------------------------------------------------------------
    # writing and reading

    def to_json(self) -> str:
        """The record as JSON text: strict JSON (no ``NaN`` or ``Infinity``; a non-finite
        number, such as a stage's missing bound, is written as null)."""
        data = _finite(self.model_dump(mode="json"))
        for key in ("explanation", "verification", "marginal", "files", "replan"):
            if data[key] is None:
                del data[key]
        return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"

    def write(self, folder: Path) -> Path:
        """Write ``folder/plan.json``; return its path."""
        path = Path(folder) / PLAN_JSON
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> RunRecord:
        """Read a run folder's ``plan.json`` (``path`` is the folder or the file).

        Raises
        ------
        RecordError
            If there is no ``plan.json``, it is not JSON, or it is not a run record (the
            message names the first field that is wrong).
        """
        path = Path(path)
        json_path = path / PLAN_JSON if path.is_dir() else path
        if not json_path.is_file():
            raise RecordError(f"{path}: not a run folder (no {PLAN_JSON})")
        try:
            data = json.loads(json_path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RecordError(f"{json_path}: cannot be read as JSON ({exc})") from None
        if not isinstance(data, dict):
            raise RecordError(f"{json_path}: not a JSON object")
        if data.get("format") != RUN_FORMAT:
            raise RecordError(
                f"{json_path}: not a run record (format {data.get('format')!r}, expected "
                f"{RUN_FORMAT!r})"
            )
        try:
            # JSON has no tuples: validate the JSON text itself, where strict mode accepts
            # arrays for tuples and integers for floats, as JSON means them
            return cls.model_validate_json(json.dumps(data))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "(top level)"
            raise RecordError(
                f"{json_path}: field {where}: {err['msg']} (got {err.get('input')!r})"
            ) from None

    # -----------------------------------------------------------------------------------------
    # reading it

    @property
    def has_plan(self) -> bool:
        return self.status in ("optimal", "feasible")

    def rank_values(self) -> dict[int, float]:
        return {int(k): v for k, v in self.objective_per_rank.items()}


def _rank_values(plan: Plan, result: SolveResult) -> dict[int, float]:
    """The value each rank receives from the final schedule (not each stage's objective: a
    later stage may add value within the holds, and the record states what the plan gives)."""
    if not result.has_plan:
        return result.rank_values()
    from allocator.plan.indicators import cells_of
    from allocator.plan.values import rank_values

    totals = result.schedule.groupby("program_id")["amount_oku_yen"].sum()
    cells = cells_of(
        (str(r.program_id), int(r.fiscal_year), int(r.amount_oku_yen),
         None if _missing(r.units) else int(r.units))
        for r in result.schedule.itertuples(index=False)
    )  # fmt: skip
    return rank_values(plan, {str(k): int(v) for k, v in totals.items()}, result.funded, cells)


def _marginal(result: SolveResult) -> dict[str, dict[str, float]] | None:
    table = result.marginal
    if table is None or not len(table):
        return None
    out: dict[str, dict[str, float]] = {}
    for r in table.itertuples(index=False):
        value = r.value_per_100_oku_yen
        if value is None or value != value:
            continue
        out.setdefault(str(int(r.rank)), {})[str(int(r.fiscal_year))] = float(value)
    return out


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _rounded(times: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in times.items()}


def _missing(value: Any) -> bool:
    try:
        return bool(value is None or value != value)
    except TypeError:  # pandas.NA
        return True


__all__ = [
    "BreachRecord",
    "RecordError",
    "ReplanRecord",
    "ReplanStep",
    "RunOptions",
    "RunRecord",
]
