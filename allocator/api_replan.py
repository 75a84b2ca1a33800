"""The annual cycle (docs/model.md, "Re-planning from actuals"): :func:`replan` (fix the years
before ``--from`` to what was executed and plan the rest again, changing as little of the
approved plan as the new facts allow) and :func:`evaluate` (the same re-plan, with the year's
evaluation, 年次評価, as its report). One function per action, like :mod:`allocator.api`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from allocator.api import check_lang, persistence, verify_into_record
from allocator.constants import INPUTS_DIR, NO_PLAN_STATUSES, PLAN_JSON, VARIANCE_CSV
from allocator.errors import UsageError
from allocator.formatting import fy
from allocator.optim.diagnose import Diagnosis, explain_infeasibility, precheck
from allocator.optim.result import SolveResult
from allocator.optim.solve import infeasible_result
from allocator.plan.actuals import check_complete, check_from_year, read_actuals, with_actuals
from allocator.plan.breaches import Breach, past_breaches
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.schema import Plan
from allocator.run.csvfile import write_csv
from allocator.run.digests import seal_run
from allocator.run.folder import (
    check_output_path,
    ensure_free,
    free_folder,
    safe_name,
    staged_folder,
)
from allocator.run.record import (
    BreachRecord,
    RecordError,
    ReplanRecord,
    ReplanStep,
    RunOptions,
    RunRecord,
)
from allocator.run.signing import signing_key
from allocator.run.tables import schedule_cells
from allocator.run.variance import Give, cell_reasons, moved_oku_yen, variance_table, what_gives
from allocator.run.verify import VerifyReport
from allocator.run.verify.actual_rules import APPROVED_PLAN_JSON
from allocator.run.writer import plan_folders, write_run_files

if TYPE_CHECKING:
    from allocator.report.worker import ReportWorker

Amounts = dict[tuple[str, int], int]

_SAME_PLAN_EXCLUDE = {"input_hash", "input_files", "notes", "actuals"}
"""Fields of a plan that do not change what is solved (compared to skip a step's solve)."""


@dataclass(frozen=True)
class ReplanOutcome:
    plan: Plan
    """The re-plan (the plan with ``actuals`` set)."""
    result: SolveResult
    approved: RunRecord
    record: ReplanRecord
    run_dir: Path | None
    verification: VerifyReport | None
    variance: pd.DataFrame | None
    gives: list[Give]
    breaches: list[Breach]
    times: dict[str, float]
    explanation: list[str] = field(default_factory=list)
    cleaned: tuple[str, ...] = ()


def read_approved(approved_run: Path) -> RunRecord:
    """The approved run's record; it must be a run folder with a plan.

    Raises RecordError (exit code 2) for a folder that is not a run, UsageError for a run
    without a schedule.
    """
    approved_run = Path(approved_run)
    if not (approved_run / PLAN_JSON).is_file():
        raise RecordError(
            f"{approved_run}: not a run folder (no plan.json) — give the approved run folder "
            "written by allocate"
        )
    record = RunRecord.read(approved_run)
    if record.status in NO_PLAN_STATUSES:
        raise UsageError(
            "APPROVED_RUN",
            f"{approved_run} has no plan (status {record.status})",
            "give a run folder with a schedule",
        )
    if not (approved_run / INPUTS_DIR / "plan.toml").is_file():
        raise RecordError(
            f"{approved_run}: {INPUTS_DIR}/plan.toml is missing — the approved plan cannot be "
            "reloaded"
        )
    return record


def replan(
    approved_run: Path,
    actuals_path: Path,
    from_year: int,
    *,
    plan_path: Path | None = None,
    overrides: Overrides | None = None,
    reports: Path = Path("reports"),
    out: Path | None = None,
    force: bool = False,
    lang: str = "ja",
    purpose: Literal["replan", "evaluate"] = "replan",
    progress: Callable[[str], None] | None = None,
    report_worker: ReportWorker | None = None,
) -> ReplanOutcome:
    """Re-plan the approved run in ``approved_run`` from ``from_year``: the years before it are
    fixed to ``actuals_path``, the others solved again with the same strict priority, the
    tie-break choosing the schedule closest to the approved one
    (:func:`allocator.api.persistence`).

    ``plan_path`` (default: the approved run's own ``inputs/``) and ``overrides`` (default:
    the approved run's options; a cap or GDP case given replaces the approved one) give the
    plan as it stands now: new GDP figures, new caps. The run folder records the approved run
    and the actuals (SHA-256, both copied into ``inputs/``) and holds ``variance.csv``.

    Raises RecordError / UsageError for an approved run that cannot be used, PlanError for a
    bad actuals file (file, row, column, fix), OutputExistsError / OutputPathError for an
    ``out`` that may not be written — all before anything is solved or written.
    """
    check_lang(lang)
    key = signing_key()
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    approved_run = Path(approved_run)
    approved = read_approved(approved_run)
    approved_bytes = (approved_run / PLAN_JSON).read_bytes()
    base = approved.options.overrides()
    approved_plan = load_plan(approved_run / INPUTS_DIR / "plan.toml", base)
    now_overrides = _merge(base, overrides)
    plan = load_plan(plan_path or approved_run / INPUTS_DIR / "plan.toml", now_overrides)
    if (plan.first_year, plan.years) != (approved_plan.first_year, approved_plan.years):
        raise UsageError(
            "--plan",
            f"the plan covers {plan.first_year}–{plan.last_year}, the approved run "
            f"{approved_plan.first_year}–{approved_plan.last_year}",
            "re-plan over the approved run's horizon (--first-year / --years as approved)",
        )
    check_from_year(plan, from_year)
    actuals = read_actuals(Path(actuals_path), plan, from_year)
    planned: Amounts = {(pid, y): a for pid, y, a, _ in approved.allocations}
    check_complete(actuals, planned, plan)
    plan = with_actuals(plan, actuals)
    times["load_validate"] = time.perf_counter() - t0
    protect = [*plan_folders(plan), approved_run]
    if out is not None:
        check_output_path(out)
        ensure_free(out, force=force, protect=protect)
    else:
        check_output_path(reports, option="--reports", inside=True)

    explanation: list[str] = []
    t1 = time.perf_counter()
    found = precheck(plan)
    if found:
        result = infeasible_result(plan)
        explanation = Diagnosis(precheck=tuple(found)).lines(plan)
        tiebreak = ""
    else:
        result, tiebreak = persistence(plan, approved_run, marginal=True, progress=progress)
        if result.status == "infeasible":
            explanation = explain_infeasibility(plan, time_limit=plan.solver.time_limit_seconds)
    times["solve"] = time.perf_counter() - t1
    breaches = past_breaches(plan)
    variance = None
    steps: list[ReplanStep] = []
    final: Amounts = {}
    if result.has_plan:
        final = {c: a for c, (a, _) in schedule_cells(result.schedule).items()}
        t2 = time.perf_counter()
        step_cells = _steps(approved_plan, plan, actuals_path, from_year, final, approved_run)
        times["reasons"] = time.perf_counter() - t2
        before: Amounts = planned
        for codes, status, cells in step_cells:
            steps.append(
                ReplanStep(
                    reasons=codes,
                    status=status,
                    moved_oku_yen=sum(
                        abs(cells.get(c, 0) - before.get(c, 0)) for c in set(cells) | set(before)
                    ),
                )
            )
            before = cells
        reasons = cell_reasons([(c, s) for c, _, s in step_cells], planned)
        variance = variance_table(plan, planned, final, reasons)
    rec = ReplanRecord(
        approved_run=str(approved_run),
        approved_plan_json_sha256=hashlib.sha256(approved_bytes).hexdigest(),
        approved_input_hash=approved.input_hash,
        approved_created_at=approved.created_at,
        actuals_file=str(actuals_path),
        actuals_sha256=actuals.sha256,
        from_year=from_year,
        tiebreak=tiebreak,
        moved_oku_yen=moved_oku_yen(planned, final, from_year, fixed=False),
        executed_gap_oku_yen=moved_oku_yen(planned, final, from_year, fixed=True),
        breaches=tuple(
            BreachRecord(
                rule=b.family,
                subject=b.subject,
                fiscal_year=b.fiscal_year,
                excess_oku_yen=b.excess_oku_yen,
                action=b.action,
                message=b.en,
                message_ja=b.ja,
            )
            for b in breaches
        ),
        steps=tuple(steps),
        purpose=purpose,
    )
    gives = what_gives(variance) if variance is not None else []
    if result.status == "no_solution":
        return ReplanOutcome(
            plan, result, approved, rec, None, None, None, gives, breaches, times, explanation
        )

    if progress is not None:
        progress("writing, verifying and reporting")
    target = out if out is not None else default_replan_dir(plan, reports, from_year, purpose)
    t3 = time.perf_counter()
    verification: VerifyReport | None = None
    options = _options(plan, now_overrides, lang)
    with staged_folder(target, force=force, numbered=out is None, protect=protect) as staging:
        folder = staging.path
        record = write_run_files(
            folder, plan, result, options=options, times=times, explanation=explanation
        )
        (folder / INPUTS_DIR / APPROVED_PLAN_JSON).write_bytes(approved_bytes)
        inputs = {**record.inputs, APPROVED_PLAN_JSON: rec.approved_plan_json_sha256}
        record = record.model_copy(update={"replan": rec, "inputs": inputs})
        record.write(folder)
        if variance is not None:
            write_csv(variance, folder / VARIANCE_CSV)
        if result.has_plan:
            record, verification = verify_into_record(folder, record, times)
        from allocator.report import write_reports

        written = write_reports(folder, lang, worker=report_worker)
        seal_run(
            folder, record, reports=[p.relative_to(folder).as_posix() for p in written], key=key
        )
    times["write"] = time.perf_counter() - t3 - times.get("verify", 0.0)
    return ReplanOutcome(
        plan,
        result,
        approved,
        rec,
        staging.final,
        verification,
        variance,
        gives,
        breaches,
        times,
        explanation,
        tuple(staging.cleaned),
    )


def evaluate(
    approved_run: Path,
    actuals_path: Path,
    from_year: int | None = None,
    **kwargs: object,
) -> ReplanOutcome:
    """The year's evaluation (年次評価): :func:`replan` from ``from_year`` (default: the year
    after the last one in the actuals file), whose report.md and report.xlsx open with the
    evaluation page: execution rate by area and rank, indicators against their targets,
    programs behind plan and the re-plan's headline changes."""
    if from_year is None:
        from_year = last_actual_year(Path(actuals_path)) + 1
    return replan(approved_run, actuals_path, from_year, purpose="evaluate", **kwargs)  # type: ignore[arg-type]


def last_actual_year(path: Path) -> int:
    """The latest ``fiscal_year`` of an actuals file (read again, fully, by :func:`replan`).

    Raises PlanError for a file without rows or a year that is not a whole number."""
    from allocator.errors import PlanError
    from allocator.plan.actuals import ACTUALS_REQUIRED
    from allocator.plan.csvfile import cell_int, read_csv

    t = read_csv(path, ACTUALS_REQUIRED, allowed=None)
    years = [cell_int(t, row, "fiscal_year", c["fiscal_year"]) for row, c in t.rows]
    if not years:
        raise PlanError(
            path, "has no rows", fix="give one row per program and fiscal year executed"
        )
    return max(years)


def default_replan_dir(plan: Plan, reports: Path, from_year: int, purpose: str) -> Path:
    """``reports/<plan>-replan-from<year>/`` (``-evaluation-<year>`` for an evaluation, the
    year evaluated being the last one executed); if taken, the first free ``-2``, …"""
    if purpose == "evaluate":
        base = f"{safe_name(plan.name)}-evaluation-{from_year - 1}"
    else:
        base = f"{safe_name(plan.name)}-replan-from{from_year}"
    return free_folder(reports, base)


def _merge(base: Overrides, given: Overrides | None) -> Overrides:
    """The approved run's overrides with those given on the command line in their place."""
    if given is None:
        return base
    import dataclasses

    changes = {
        f.name: getattr(given, f.name)
        for f in dataclasses.fields(given)
        if getattr(given, f.name) is not None
    }
    return dataclasses.replace(base, **changes)


def _options(plan: Plan, ov: Overrides, lang: str) -> RunOptions:
    return RunOptions(
        lang=lang,
        cap=str(plan.cap.ratio),
        first_year=ov.first_year,
        years=ov.years,
        gdp_case=ov.gdp_case,
        time_limit_seconds=ov.time_limit_seconds,
        gap=ov.gap,
        cap_base=ov.cap_base,
        cap_base_year=ov.cap_base_year,
    )


def _same(a: Plan, b: Plan) -> bool:
    return a.model_dump(exclude=_SAME_PLAN_EXCLUDE) == b.model_dump(exclude=_SAME_PLAN_EXCLUDE)


def _steps(
    approved_plan: Plan,
    replan_plan: Plan,
    actuals_path: Path,
    from_year: int,
    final: Amounts,
    approved_run: Path,
) -> list[tuple[tuple[str, ...], str, Amounts]]:
    """The re-plan one change at a time: (reason codes, status, schedule) per step, the last
    one the re-plan itself. Steps: the approved plan with the actuals (``actuals``), then the
    new GDP (``gdp``), then the new cap, baseline and fiscal ceilings (``caps``), then
    everything else (``plan``); a step that changes nothing is skipped, and a step equal to the
    re-plan takes its schedule without a solve."""
    from allocator.errors import AllocatorError

    try:
        first = with_actuals(approved_plan, read_actuals(actuals_path, approved_plan, from_year))
    except AllocatorError:  # the actuals name a program the approved plan lacks
        return [(("actuals", "plan"), "optimal", final)]
    variants: list[tuple[tuple[str, ...], Plan]] = [(("actuals",), first)]
    now = replan_plan
    gdp = {"gdp_oku_yen": now.gdp_oku_yen, "gdp_case": now.gdp_case, "gdp_cases": now.gdp_cases}
    caps = {"cap": now.cap, "baseline_oku_yen": now.baseline_oku_yen, "fiscal": now.fiscal}
    for code, update in (("gdp", gdp), ("caps", caps)):
        prev = variants[-1][1]
        nxt = prev.model_copy(update=update)
        if not _same(prev, nxt):
            variants.append(((code,), nxt))
    if not _same(variants[-1][1], now):
        variants.append((("plan",), now))
    out: list[tuple[tuple[str, ...], str, Amounts]] = []
    for codes, variant in variants:
        if _same(variant, now):
            out.append((codes, "optimal", final))
            continue
        result, _ = persistence(variant, approved_run)
        cells = (
            {c: a for c, (a, _) in schedule_cells(result.schedule).items()}
            if result.has_plan
            else {}
        )
        out.append((codes, result.status, cells))
    return out


def what_gives_lines(outcome: ReplanOutcome, lang: str) -> list[str]:
    """What gives, in priority order, in budget terms: the rules the actuals already break (a
    fact, not re-planned) and the ranks that receive less than approved in the re-planned
    years."""
    from allocator.formatting import oku

    ja = lang == "ja"
    lines = [b.ja if ja else b.en for b in outcome.breaches]
    for g in outcome.gives:
        if ja:
            lines.append(
                f"優先順位{g.rank}: 計画 {oku(g.planned_oku_yen)} 億円 → 再計画 "
                f"{oku(g.replanned_oku_yen)} 億円({oku(g.less_oku_yen)} 億円減)"
            )
        else:
            lines.append(
                f"rank {g.rank}: {oku(g.planned_oku_yen)} 億円 planned → "
                f"{oku(g.replanned_oku_yen)} 億円 re-planned ({oku(g.less_oku_yen)} 億円 less)"
            )
    if not lines:
        lines.append(
            f"{fy(outcome.record.from_year, 'ja')}以降、承認済み計画から減る優先順位はありません"
            if ja
            else f"from {fy(outcome.record.from_year, 'en')}, no rank receives less than approved"
        )
    return lines


__all__ = [
    "ReplanOutcome",
    "default_replan_dir",
    "evaluate",
    "last_actual_year",
    "read_approved",
    "replan",
    "what_gives_lines",
]
