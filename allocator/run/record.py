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
from allocator.plan.reached import limits_reached
from allocator.plan.room import blocked_programs

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
    floors: str | None = None
    profile: str | None = None
    reference: str | None = None
    """The approved run folder the tie-break stayed close to (``--reference``)."""
    floor_ratio: str | None = None
    """The floor ratio as an exact fraction (``1/50``)."""
    floor_from: int | None = None

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
            floors=self.floors,
            profile=self.profile,
            floor_ratio=(
                parse_cap(self.floor_ratio, option="plan.json options.floor_ratio")
                if self.floor_ratio is not None
                else None
            ),
            floor_from=self.floor_from,
        )


class SolverInfo(_Strict):
    name: str
    version: str
    pulp_version: str
    time_limit_seconds: float
    gap: float
    tolerance: float
    floors: str = "priority"
    """``priority``: floors give way in reverse priority order; ``hard``: all must hold."""
    profile: str = "early"
    """The tie-break that chose the schedule among those of equal value (runs written before
    it was recorded used ``early``)."""


class StageRecord(_Strict):
    """One stage: ``kind`` ``floors`` (give-way ``group``: a rank, 0 for no rank; objective =
    the group's shortfall in 億円), ``rank`` or ``tiebreak``."""

    rank: int | None
    status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    seconds: float
    name: str | None = None
    """``vehicles`` for the stage after earliness (pay from the default vehicles first)."""
    requested_gap: float | None = None
    """The relative gap the stage was solved to (``None`` in runs written before it was
    recorded: the solver's ``gap`` then)."""
    retried_cold: bool = False
    kind: Literal["floors", "rank", "tiebreak"] = "rank"
    group: int | None = None

    @property
    def is_tiebreak(self) -> bool:
        return self.kind == "tiebreak" or (self.kind == "rank" and self.rank is None)

    @property
    def is_rank(self) -> bool:
        return self.kind == "rank" and self.rank is not None


class ShortfallRecord(_Strict):
    """A floor the schedule falls short of (``floor``: ``area_low``, ``phase_low``,
    ``bound_low`` or ``ratio_floor``; ``rank`` None: the floor of no single rank)."""

    floor: str
    key: str
    name_ja: str
    name_en: str
    rank: int | None
    first_year: int
    last_year: int
    floor_oku_yen: int
    achieved_oku_yen: int
    shortfall_oku_yen: int


class LimitRecord(_Strict):
    """A cap or ceiling the schedule reaches (``rule``: ``gdp_cap``, ``fiscal_year_cap``,
    ``fiscal_total_cap``, ``area_high``, ``phase_high``, ``bound_high``), in ``years`` (a
    yearly rule: the years at the limit; a total: the years it spans)."""

    rule: str
    key: str
    name_ja: str
    name_en: str
    years: tuple[int, ...]
    limit_oku_yen: int


class TiebreakRecord(_Strict):
    """Which rule chose the schedule among those of equal value for every rank."""

    profile: str
    """``level``, ``early`` or ``reference``."""
    reference: str | None = None
    """The approved run folder (``reference``)."""
    moved_oku_yen: int | None = None
    """Σ |schedule − reference| over programs and years, 億円 (``reference``)."""


class MoreCapRecord(_Strict):
    """What ``step`` more cap (0.1 % of GDP) in every year buys, re-solved at ``cap``."""

    step_ratio: str
    """The step as an exact fraction (``1/1000``)."""
    cap_ratio: str
    cap: str
    """The higher cap as written (``2.1%``)."""
    status: str
    values: dict[str, float]
    """Each rank's value at the higher cap."""
    gains: dict[str, float]
    """Each rank's value at the higher cap minus its value in this run."""
    shortfall_oku_yen: int
    base_shortfall_oku_yen: int


class RatioYearRecord(_Strict):
    fiscal_year: int
    target_oku_yen: int
    """At least this much defence spending (baseline + new)."""
    cap_oku_yen: int
    reached_oku_yen: int
    short_oku_yen: int


class RatioTargetRecord(_Strict):
    """``--floor-ratio``: the target per year, where it meets the cap, and what it would take."""

    ratio: str
    """The floor ratio as written (``2%``)."""
    first_year: int
    years: tuple[RatioYearRecord, ...]
    meets_cap: tuple[int, ...]
    """Years where target and cap meet (defence can only be exactly at the cap)."""
    status: str
    raises: tuple[tuple[str, str, int], ...]
    """(family, id, 億円): how far each ceiling would have to rise for the target to hold."""
    unabsorbed_oku_yen: int
    """What the programs cannot absorb even with every such ceiling raised."""
    short_years: tuple[int, ...]
    above_cap: dict[str, int]


class BlockedRecord(_Strict):
    """A program that cannot be funded at this cap even alone: it needs ``need_oku_yen`` in
    ``first_year``..``last_year`` where the caps leave ``room_oku_yen``."""

    program_id: str
    rank: int
    need_oku_yen: int
    room_oku_yen: int
    first_year: int
    last_year: int
    limit: str
    """What leaves too little room: ``gdp_cap``, ``fiscal`` (a fiscal ceiling) or ``both``."""


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
Contract = tuple[str, int, int]
"""(program_id, fiscal_year, 億円 contracted) of a contract program."""
VehiclePayment = tuple[str, int, str, int]
"""(program_id, fiscal_year, vehicle, 億円 paid)."""


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
    """What each program pays in each fiscal year (歳出)."""
    notes: tuple[str, ...]
    explanation: tuple[str, ...] | None = None
    explanation_ja: tuple[str, ...] | None = None
    verification: VerificationRecord | None = None
    marginal: dict[str, dict[str, float]] | None = None
    """{rank: {fiscal year: value per 100 億円 more cap}} as in summary.csv's marginal columns."""
    files: dict[str, str] | None = None
    """{path inside the run folder: SHA-256} of every file but plan.json, seal.json and
    inputs/ (see :mod:`allocator.run.digests`); written last, when the folder is sealed."""
    contracts: tuple[Contract, ...] = ()
    """What each contract program contracts in each fiscal year (only for plans with them)."""
    vehicle_payments: tuple[VehiclePayment, ...] = ()
    """Who pays what (only for plans with vehicles)."""
    shortfalls: tuple[ShortfallRecord, ...] = ()
    """Floors the schedule falls short of, in give-way order (floors of no single rank first,
    then the lowest rank's); empty when every floor is met."""
    blocked: tuple[BlockedRecord, ...] = ()
    """Unfunded programs that cannot be funded at this cap even alone."""
    limits: tuple[LimitRecord, ...] = ()
    """The caps and ceilings the schedule reaches, and in which years."""
    tiebreak: TiebreakRecord | None = None
    more_cap: MoreCapRecord | None = None
    """What 0.1 % of GDP more cap buys, per rank, re-solved."""
    ratio_target: RatioTargetRecord | None = None
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
        explanation_ja: list[str] | None = None,
        reference: dict[tuple[str, int], int] | None = None,
    ) -> RunRecord:
        """The record of a solved (or infeasible) run, before verification."""
        amounts = {
            (str(r.program_id), int(r.fiscal_year)): int(r.amount_oku_yen)
            for r in result.schedule.itertuples()
        }
        moved = None
        if reference is not None:
            cells = set(amounts) | set(reference)
            moved = sum(abs(amounts.get(c, 0) - reference.get(c, 0)) for c in cells)
        return cls(
            limits=tuple(
                LimitRecord(
                    rule=lim.rule,
                    key=lim.key,
                    name_ja=lim.name_ja,
                    name_en=lim.name_en,
                    years=lim.years,
                    limit_oku_yen=lim.limit,
                )
                for lim in limits_reached(plan, amounts)
            )
            if result.has_plan
            else (),
            more_cap=_more_cap_record(result.more_cap),
            ratio_target=_ratio_record(plan, result.ratio_target),
            tiebreak=TiebreakRecord(
                profile=plan.solver.profile,
                reference=options.reference,
                moved_oku_yen=moved,
            )
            if result.has_plan
            else None,
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
                floors=plan.solver.floors,
                profile=plan.solver.profile,
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
                    name=s.name,
                    requested_gap=s.requested_gap,
                    retried_cold=s.retried_cold,
                    kind=s.kind,  # type: ignore[arg-type]
                    group=s.group,
                )
                for s in result.stages
            ),
            objective_per_rank={
                str(k): v for k, v in sorted(result.final_rank_values(plan).items())
            },
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
            contracts=_contracts(plan, result),
            vehicle_payments=_vehicle_payments(result),
            explanation_ja=tuple(explanation_ja) if explanation_ja else None,
            shortfalls=tuple(
                ShortfallRecord(
                    floor=sf.floor.family,
                    key=str(sf.floor.key),
                    name_ja=sf.floor.name_ja,
                    name_en=sf.floor.name_en,
                    rank=sf.floor.rank,
                    first_year=sf.floor.first_year,
                    last_year=sf.floor.last_year,
                    floor_oku_yen=sf.floor.low,
                    achieved_oku_yen=sf.achieved,
                    shortfall_oku_yen=sf.shortfall,
                )
                for sf in result.shortfalls
            ),
            blocked=tuple(
                BlockedRecord(
                    program_id=b.program_id,
                    rank=b.rank,
                    need_oku_yen=b.need,
                    room_oku_yen=b.room,
                    first_year=b.first_year,
                    last_year=b.last_year,
                    limit=b.limit,
                )
                for b in blocked_programs(plan, result.funded)
            )
            if result.has_plan
            else (),
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
        for key in (
            "explanation", "explanation_ja", "verification", "marginal", "files", "tiebreak",
            "more_cap", "ratio_target", "replan",
        ):  # fmt: skip
            if data[key] is None:
                del data[key]
        for key in ("contracts", "vehicle_payments", "shortfalls", "blocked", "limits"):
            if not data[key]:
                del data[key]
        for stage in data["stages"]:
            if stage["name"] is None:
                del stage["name"]
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


def _contracts(plan: Plan, result: SolveResult) -> tuple[Contract, ...]:
    ids = {p.program_id for p in plan.programs if p.is_contract}
    return tuple(
        (str(r.program_id), int(r.fiscal_year), int(r.contract_oku_yen))
        for r in result.schedule.sort_values(["program_id", "fiscal_year"]).itertuples()
        if str(r.program_id) in ids and int(r.contract_oku_yen)
    )


def _vehicle_payments(result: SolveResult) -> tuple[VehiclePayment, ...]:
    if result.vehicle_payments is None:
        return ()
    return tuple(
        (str(r.program_id), int(r.fiscal_year), str(r.vehicle), int(r.oku_yen))
        for r in result.vehicle_payments.sort_values(
            ["program_id", "fiscal_year", "vehicle"]
        ).itertuples()
    )


def _more_cap_record(more: Any) -> MoreCapRecord | None:
    if more is None:
        return None
    return MoreCapRecord(
        step_ratio=str(more.step),
        cap_ratio=str(more.cap),
        cap=format_cap(more.cap),
        status=more.status,
        values={str(k): float(v) for k, v in sorted(more.values.items())},
        gains={str(k): float(v) for k, v in sorted(more.gains.items())},
        shortfall_oku_yen=more.shortfall_oku_yen,
        base_shortfall_oku_yen=more.base_shortfall_oku_yen,
    )


def _ratio_record(plan: Plan, target: Any) -> RatioTargetRecord | None:
    if target is None or plan.cap.floor_ratio is None:
        return None
    return RatioTargetRecord(
        ratio=format_cap(plan.cap.floor_ratio),
        first_year=plan.cap.floor_from or plan.first_year,
        years=tuple(
            RatioYearRecord(
                fiscal_year=y.fiscal_year,
                target_oku_yen=y.target,
                cap_oku_yen=y.cap,
                reached_oku_yen=y.reached,
                short_oku_yen=y.short,
            )
            for y in target.years
        ),
        meets_cap=tuple(y.fiscal_year for y in target.years if y.meets_cap),
        status=target.status,
        raises=tuple(target.raises),
        unabsorbed_oku_yen=target.unabsorbed,
        short_years=tuple(target.unabsorbed_years),
        above_cap={str(k): v for k, v in target.above_cap.items()},
    )


def _rounded(times: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in times.items()}


def _missing(value: Any) -> bool:
    try:
        return bool(value is None or value != value)
    except TypeError:  # pandas.NA
        return True


__all__ = [
    "BlockedRecord",
    "BreachRecord",
    "RecordError",
    "ReplanRecord",
    "ReplanStep",
    "RunOptions",
    "RunRecord",
    "ShortfallRecord",
]
