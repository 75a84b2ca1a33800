"""One function per thing a user does: :func:`allocate`, :func:`sweep`, :func:`min_cap`,
:func:`compare`, :func:`verify`. Each reads top to bottom as the pipeline it runs: load and
check, build and solve, write the output folder atomically, verify, report.

The command line calls these; tests and the benchmark call the same functions or their steps.
Nothing here prints or exits: problems are raised as :class:`~allocator.errors.AllocatorError`.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from allocator.constants import LANGS, PLAN_JSON
from allocator.errors import OutputExistsError, OutputPathError, UsageError
from allocator.formatting import cap_slug, number_ranges
from allocator.optim.analysis import (
    MinCapResult,
    Progress,
    SweepResult,
    marginal_values,
    more_cap,
    ratio_target,
)
from allocator.optim.diagnose import Diagnosis, diagnose, precheck
from allocator.optim.handles import ModelHandles
from allocator.optim.model import build_model
from allocator.optim.result import SolveResult
from allocator.optim.solve import infeasible_result, solve_lexicographic
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.schema import Plan
from allocator.run.compare import Comparison
from allocator.run.digests import seal_run
from allocator.run.folder import (
    COMPARE_FORMAT,
    SWEEP_FORMAT,
    check_output_path,
    clean_stale,
    ensure_free,
    free_folder,
    on_error,
    safe_name,
    staged_folder,
    write_marker,
)
from allocator.run.record import RecordError, RunOptions, RunRecord
from allocator.run.signing import signing_key
from allocator.run.verify import VerifyReport, verify_run
from allocator.run.writer import default_run_dir, plan_folders, write_run_files

if TYPE_CHECKING:
    from allocator.report.worker import ReportWorker

FRONTIER_CSV = "frontier.csv"
FRONTIER_PNG = "frontier.png"
MIN_CAP_CSV = "min_cap.csv"


# ---------------------------------------------------------------------------------------------
# allocate


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    result: SolveResult
    run_dir: Path | None
    verification: VerifyReport | None
    times: dict[str, float]
    explanation: list[str] = field(default_factory=list)
    """For an infeasible plan: which rules conflict, by how much, and what would fix it."""
    explanation_ja: list[str] = field(default_factory=list)
    """The same in Japanese."""
    cleaned: tuple[str, ...] = ()
    """Left-overs of killed runs removed (or put back) before writing: one line each."""


def solve_plan(
    plan: Plan,
    *,
    marginal: bool = False,
    progress: Callable[[str], None] | None = None,
    reference: dict[tuple[str, int], int] | None = None,
) -> SolveResult:
    """Build and solve ``plan`` with its own solver settings; with ``marginal``, add the value
    per rank of 100 億円 more cap in each fiscal year (``result.marginal``). ``reference``: the
    approved schedule the ``reference`` tie-break stays close to."""
    model, result = _build_and_solve(plan, progress, reference)
    if marginal:
        result = analyse_plan(model, result, progress)
    return result


def _build_and_solve(
    plan: Plan,
    progress: Callable[[str], None] | None,
    reference: dict[tuple[str, int], int] | None,
) -> tuple[ModelHandles, SolveResult]:
    t0 = time.perf_counter()
    model = build_model(plan)
    model.reference = reference
    build = time.perf_counter() - t0
    result = solve_lexicographic(
        model,
        time_limit=plan.solver.time_limit_seconds,
        gap=plan.solver.gap,
        tolerance=plan.solver.tolerance,
        build_seconds=build,
        progress=progress,
    )
    return model, result


def analyse_plan(
    model: ModelHandles | None,
    result: SolveResult,
    progress: Callable[[str], None] | None = None,
) -> SolveResult:
    """``result`` (a solve of ``model``) with what more cap would buy: the marginal value per
    rank of 100 億円 more cap in each fiscal year and the range where it holds
    (``result.marginal``), the re-solve at 0.1 % of GDP more (``result.more_cap``) and, with a
    floor ratio, the ratio as a target (``result.ratio_target``). Unchanged without a plan."""
    if model is None or not result.has_plan:
        return result
    plan = model.plan
    if progress is not None:
        progress("marginal value of the cap (LPs per rank) and its range")
    try:
        values = marginal_values(model, result, time_limit=plan.solver.time_limit_seconds)
    except RuntimeError:  # an auxiliary LP failed: keep the verified plan, report n/a
        values = None
    if progress is not None:
        progress("what 0.1% of GDP more cap buys (solved again at the higher cap)")
    raised = more_cap(model, result, time_limit=plan.solver.time_limit_seconds)
    target = None
    if plan.cap.floor_ratio is not None:
        if progress is not None:
            progress("the ratio as a target: what the programs and ceilings cannot absorb")
        target = ratio_target(plan, result, time_limit=plan.solver.time_limit_seconds)
    return dataclasses.replace(result, marginal=values, more_cap=raised, ratio_target=target)


def allocate(
    plan_path: Path,
    overrides: Overrides,
    *,
    reports: Path = Path("reports"),
    out: Path | None = None,
    force: bool = False,
    lang: str = "ja",
    progress: Callable[[str], None] | None = None,
    report_worker: ReportWorker | None = None,
    reference: Path | None = None,
) -> Outcome:
    """Load, solve, analyse (what more cap buys: :func:`analyse_plan`), write the run folder
    (when there is a plan to write) and verify it; add the reports people read
    (``report.md``, ``report.xlsx``, ``charts/``) in ``lang``. With a ``report_worker`` (see
    :mod:`allocator.report.worker`) the tables are written once before the analysis too, so
    that the worker draws the charts (which show the schedule, not the analysis) while this
    process analyses, writes and verifies; a chart whose data differs in the final folder is
    drawn again (:func:`allocator.report.write_reports`).
    ``reference``: an approved run folder the tie-break stays as close to as the priority
    allows (fewest 億円 moved; ``--reference``).

    Raises PlanError / UsageError for bad input, OutputExistsError / OutputPathError for an
    ``out`` that may not be written (or replaced) — all before anything is solved or written —
    and OutputWriteError when the file system fails while writing (nothing is left behind).
    """
    check_lang(lang)
    key = signing_key()
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    approved = load_reference(reference, overrides)
    if reference is not None:
        overrides = dataclasses.replace(overrides, profile="reference")
    plan = load_plan(plan_path, overrides)
    times["load_validate"] = time.perf_counter() - t0
    protect = plan_folders(plan)
    if out is not None:  # refuse before solving, not after
        check_output_path(out)
        ensure_free(out, force=force, protect=protect)
    else:
        check_output_path(reports, option="--reports", inside=True)

    model, result, diagnosis = _solve_or_explain(plan, times, progress, approved)
    explanation = diagnosis.lines(plan, "en") if diagnosis else []
    explanation_ja = diagnosis.lines(plan, "ja") if diagnosis else []
    if result.status == "no_solution":
        return Outcome(plan, result, None, None, times, explanation, explanation_ja)

    target = (
        out if out is not None else default_run_dir(plan, reports, tag=_run_tag(plan, overrides))
    )
    t1 = time.perf_counter()
    options = _run_options(plan, overrides, lang, reference)
    verification: VerifyReport | None = None
    with staged_folder(target, force=force, numbered=out is None, protect=protect) as staging:
        folder = staging.path
        from allocator.report import start_charts, write_reports

        try:
            sent, inputs = None, None
            if report_worker is not None and result.has_plan:
                # the charts show the schedule, not the analysis: write the tables now and
                # let the worker draw while this process runs the analysis
                inputs = write_run_files(
                    folder, plan, result, options=options, times=times, reference=approved,
                    explanation=explanation, explanation_ja=explanation_ja, lang=lang,
                ).inputs  # fmt: skip
                sent = start_charts(folder, lang, report_worker)
            if model is not None:  # solved (not refused by the pre-checks)
                t2 = time.perf_counter()
                result = analyse_plan(model, result, progress)
                times["marginal"] = time.perf_counter() - t2
            if progress is not None:
                progress("writing, verifying and reporting")
            record = write_run_files(
                folder, plan, result, options=options, times=times, reference=approved,
                explanation=explanation, explanation_ja=explanation_ja, lang=lang, inputs=inputs,
            )  # fmt: skip
            if result.has_plan:
                record, verification = verify_into_record(folder, record, times)
            written = write_reports(folder, lang, worker=report_worker, sent=sent)
        except BaseException:
            if report_worker is not None:  # it must not write into a folder being removed
                report_worker.close(kill=True)
            raise
        seal_run(
            folder, record, reports=[p.relative_to(folder).as_posix() for p in written], key=key
        )
    analysis = times.get("verify", 0.0) + times.get("marginal", 0.0)
    times["write"] = time.perf_counter() - t1 - analysis
    return Outcome(
        plan, result, staging.final, verification, times, explanation, explanation_ja,
        tuple(staging.cleaned),
    )  # fmt: skip


def load_reference(
    reference: Path | None, overrides: Overrides
) -> dict[tuple[str, int], int] | None:
    """The schedule of an approved run folder, {(program_id, fiscal_year): 億円}.

    Raises
    ------
    UsageError
        If ``--profile reference`` is asked for without a run folder, or the folder is not a
        run with a schedule.
    """
    if reference is None:
        if overrides.profile == "reference":
            raise UsageError(
                "--profile", "reference needs an approved run", "add --reference RUN_FOLDER"
            )
        return None
    try:
        record = RunRecord.read(Path(reference))
    except RecordError as exc:
        raise UsageError("--reference", str(exc), "give a run folder written by allocate") from None
    if not record.has_plan:
        raise UsageError(
            "--reference",
            f"{reference} has no schedule (status {record.status})",
            "give a run folder with a plan",
        )
    return {(pid, y): amount for pid, y, amount, _ in record.allocations}


def persistence(
    plan: Plan,
    approved_run: Path,
    *,
    marginal: bool = False,
    progress: Callable[[str], None] | None = None,
) -> tuple[SolveResult, str]:
    """Solve the re-plan ``plan`` (years before ``--from`` fixed to the actuals) with the strict
    priority and, among the schedules of equal value at every rank, choose the one closest to
    the approved run in ``approved_run`` (fewest 億円 moved: persistence). Returns the result
    and a one-line description of the tie-break used (recorded in plan.json ``replan.tiebreak``).

    The tie-break is the ``reference`` profile (:mod:`allocator.optim.tiebreak`): minimise
    Σ |x − x°| over programs and years against the approved run's payments x°, with every rank
    (and floor) held at what the strict priority gives — persistence never costs a rank value.
    """
    approved = load_reference(Path(approved_run), Overrides())
    solver = plan.solver.model_copy(update={"profile": "reference"})
    result = solve_plan(
        plan.model_copy(update={"solver": solver}),
        marginal=marginal,
        progress=progress,
        reference=approved,
    )
    return result, "closest to the approved run (fewest 億円 moved; profile reference)"


def verify_into_record(
    folder: Path, record: RunRecord, times: dict[str, float]
) -> tuple[RunRecord, VerifyReport]:
    """Verify the unsealed run folder, add the verification (and its time) to ``plan.json``."""
    t = time.perf_counter()
    verification = verify_run(folder, sealed=False)
    times["verify"] = time.perf_counter() - t
    record = record.verified(verification.to_record(), times)
    record.write(folder)
    return record, verification


def _solve_or_explain(
    plan: Plan,
    times: dict[str, float],
    progress: Callable[[str], None] | None,
    reference: dict[tuple[str, int], int] | None = None,
) -> tuple[ModelHandles | None, SolveResult, Diagnosis | None]:
    """The strict-priority solve (the model, for the analysis); for an infeasible plan, the
    diagnosis of which rules conflict (cheap pre-checks first, then the priority-respecting
    relaxation and elastic re-solves)."""
    found = precheck(plan)
    if found:
        return None, infeasible_result(plan), Diagnosis(precheck=tuple(found))
    model, result = _build_and_solve(plan, progress, reference)
    times["build"] = result.build_seconds
    times["solve"] = result.solve_seconds
    diagnosis: Diagnosis | None = None
    if result.status == "infeasible":
        if progress is not None:
            progress("no plan: finding which rules conflict (relaxations, elastic re-solves)")
        t = time.perf_counter()
        diagnosis = diagnose(plan, time_limit=plan.solver.time_limit_seconds)
        times["explain"] = time.perf_counter() - t
    return model, result, diagnosis


def _run_tag(plan: Plan, overrides: Overrides) -> str:
    """What distinguishes the default folder name beyond the plan and the cap."""
    tags = [overrides.gdp_case or ""]
    if overrides.cap_base is not None:
        tags.append(f"base{plan.cap.base_year}" if plan.cap.base == "fixed_year" else "baseeach")
    if overrides.first_year is not None:
        tags.append(f"from{overrides.first_year}")
    if overrides.years is not None:
        tags.append(f"{overrides.years}y")
    if overrides.floors == "hard":
        tags.append("hardfloors")
    if overrides.floor_ratio is not None:
        tags.append(f"floor{cap_slug(overrides.floor_ratio)}")
        if overrides.floor_from is not None:
            tags.append(f"from{overrides.floor_from}")
    if overrides.profile in ("early", "reference"):
        tags.append(overrides.profile)
    return "-".join(t for t in tags if t)


def _run_options(
    plan: Plan, overrides: Overrides, lang: str | None = None, reference: Path | None = None
) -> RunOptions:
    return RunOptions(
        lang=lang,
        reference=str(reference) if reference is not None else None,
        cap=str(plan.cap.ratio),  # exact ("1/50"); parse_cap reads it back unchanged
        first_year=overrides.first_year,
        years=overrides.years,
        gdp_case=overrides.gdp_case,
        time_limit_seconds=overrides.time_limit_seconds,
        gap=overrides.gap,
        cap_base=overrides.cap_base,
        cap_base_year=overrides.cap_base_year,
        floors=overrides.floors,
        profile=overrides.profile,
        floor_ratio=str(overrides.floor_ratio) if overrides.floor_ratio is not None else None,
        floor_from=overrides.floor_from,
    )


def check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise UsageError("--lang", f"{lang!r} is not a report language", "write ja or en")


# ---------------------------------------------------------------------------------------------
# sweep


@dataclass(frozen=True)
class SweepOutcome:
    plan: Plan
    result: SweepResult
    folder: Path


def sweep(
    plan_path: Path,
    caps: Sequence[Fraction],
    overrides: Overrides,
    *,
    reports: Path = Path("reports"),
    out: Path | None = None,
    lang: str = "ja",
    progress: Progress | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> SweepOutcome:
    """Solve the plan at every cap of ``caps``; write ``frontier.csv`` and ``frontier.png``.

    ``workers`` processes solve the caps in parallel (``None``: every core; see
    :mod:`allocator.parallel`), or the Dask cluster at ``scheduler``.

    Raises OutputExistsError for an existing ``out`` (never replaced), PlanError / UsageError
    for bad input, before anything is solved.
    """
    from allocator.optim.analysis import sweep as solve_sweep
    from allocator.report.analysis_charts import frontier_chart
    from allocator.run.csvfile import write_csv
    from allocator.run.tables import frontier_table

    check_lang(lang)
    if out is not None and os.path.lexists(out):
        if out.is_symlink() or not out.is_dir():
            ensure_free(out)  # a file or a symbolic link: said as such
        raise OutputExistsError(f"{out}: already exists — give another --out folder")
    if overrides.profile == "reference":
        raise UsageError(
            "--profile", "reference needs an approved run, which sweep does not take",
            "use level or early",
        )  # fmt: skip
    if out is not None:
        check_output_path(out)
    else:
        check_output_path(reports, "--reports", inside=True)
    plan = load_plan(plan_path, overrides)
    target = out or default_sweep_dir(
        plan, reports, caps[0], caps[-1], tag=_run_tag(plan, overrides)
    )
    result = solve_sweep(plan, list(caps), progress=progress, workers=workers, scheduler=scheduler)
    table = frontier_table(result)
    names = {r.rank: (r.name_ja if lang == "ja" else r.name_en) for r in plan.ranks}
    title = plan.title_ja if lang == "ja" else plan.title_en
    with staged_folder(target, numbered=out is None) as staging:
        folder = staging.path
        write_marker(folder, SWEEP_FORMAT)
        write_csv(table, folder / FRONTIER_CSV)
        frontier_chart(
            table,
            folder / FRONTIER_PNG,
            "ja" if lang == "ja" else "en",
            rank_names=names,
            title=f"{title or plan.name} ({plan.gdp_case})",
        )
    return SweepOutcome(plan, result, staging.final or target)


def default_sweep_dir(
    plan: Plan, reports: Path, low: Fraction, high: Fraction, *, tag: str = ""
) -> Path:
    """``reports/<plan>-sweep-<low>-<high>[-<tag>]/``; if taken, the first free ``-2``, …"""
    base = f"{safe_name(plan.name)}-sweep-{cap_slug(low)}-{cap_slug(high)}"
    if tag:
        base += f"-{safe_name(tag)}"
    return free_folder(reports, base)


# ---------------------------------------------------------------------------------------------
# min-cap


@dataclass(frozen=True)
class MinCapOutcome:
    plan: Plan
    result: MinCapResult
    written: Path | None


def min_cap(
    plan_path: Path,
    ranks: Sequence[int],
    step: Fraction,
    overrides: Overrides,
    *,
    out: Path | None = None,
) -> MinCapOutcome:
    """The smallest cap that funds ``ranks`` fully; with ``out``, write ``out/min_cap.csv``.

    Raises OutputExistsError if ``out/min_cap.csv`` exists, UsageError for a rank the plan
    lacks, PlanError for bad plan files.
    """
    from allocator.optim.analysis import min_cap as solve_min_cap
    from allocator.run.csvfile import write_csv
    from allocator.run.tables import min_cap_table

    if out is not None:
        if os.path.lexists(out) and (out.is_symlink() or not out.is_dir()):
            raise OutputPathError(
                f"--out {out}: is a file, not a folder — give --out a folder for {MIN_CAP_CSV}"
            )
        if os.path.lexists(out / MIN_CAP_CSV):
            raise OutputExistsError(
                f"{out / MIN_CAP_CSV}: already exists — give another --out folder"
            )
        check_output_path(out, inside=True)
    plan = load_plan(plan_path, overrides)
    known = sorted(r.rank for r in plan.ranks)
    missing = [r for r in ranks if r not in known]
    if missing:
        raise UsageError(
            "--ranks",
            f"the plan has no rank {number_ranges(missing)}",
            f"its ranks are {known[0]}–{known[-1]}",
        )
    result = solve_min_cap(plan, list(ranks), step)
    written = None
    if out is not None and result.path:
        written = out / MIN_CAP_CSV
        on_error(lambda: out.mkdir(parents=True, exist_ok=True), out)
        clean_stale(out)  # a half-written min_cap.csv of a killed run
        if os.path.lexists(written):  # appeared during the solve: never replaced
            raise OutputExistsError(f"{written}: appeared while solving — nothing was replaced")
        on_error(lambda: write_csv(min_cap_table(result), written), written)
    return MinCapOutcome(plan, result, written)


# ---------------------------------------------------------------------------------------------
# compare and verify


@dataclass(frozen=True)
class CompareOutcome:
    comparison: Comparison
    folder: Path


def compare(
    runs: Sequence[Path],
    *,
    reports: Path = Path("reports"),
    out: Path | None = None,
    force: bool = False,
    lang: str = "ja",
) -> CompareOutcome:
    """Compare solved plans with the first; write ``compare.csv`` and ``compare.png``.

    Raises UsageError for fewer than two runs or a path that is not a run folder, PlanError
    for a damaged run, OutputExistsError for an existing ``out`` without ``force``.
    """
    from allocator.run.compare import compare as compare_plans
    from allocator.run.compare import default_compare_dir, load_solved

    if len(runs) < 2:
        raise UsageError(
            "PLAN",
            f"give two or more run folders to compare (got {len(runs)})",
            "e.g. allocate compare reports/a reports/b",
        )
    if out is not None:
        check_output_path(out)
        ensure_free(out, force=force, protect=runs, replaces="compare")
    else:
        check_output_path(reports, option="--reports", inside=True)
    cmp = compare_plans([load_solved(p) for p in runs])
    target = out if out is not None else default_compare_dir(cmp, reports)
    return CompareOutcome(
        cmp,
        write_comparison(cmp, target, lang=lang, force=force, numbered=out is None, protect=runs),
    )


def write_comparison(
    cmp: Comparison,
    out: Path,
    *,
    lang: str = "ja",
    force: bool = False,
    numbered: bool = False,
    protect: Sequence[Path] = (),
) -> Path:
    """Write ``compare.csv`` and ``compare.png`` into the folder ``out``, atomically; return
    the folder written (with ``numbered``, ``out`` or the first free ``out-2``, …). Raises
    OutputExistsError if ``out`` exists and ``force`` is false, OutputPathError if ``force``
    may not replace it (it holds a compared run, or is not a folder of this tool), UsageError
    for a chart language other than ja or en."""
    from allocator.report.analysis_charts import compare_chart
    from allocator.run.compare import CSV_NAME, PNG_NAME, comparison_table
    from allocator.run.csvfile import write_csv

    with staged_folder(
        Path(out), force=force, numbered=numbered, protect=protect, replaces="compare"
    ) as staging:
        write_marker(staging.path, COMPARE_FORMAT)
        write_csv(comparison_table(cmp), staging.path / CSV_NAME)
        compare_chart(cmp, staging.path / PNG_NAME, lang)  # type: ignore[arg-type]
    return staging.final or Path(out)


def verify(run_dir: Path) -> VerifyReport:
    """Recompute every rule of a run folder and check its seal (and its signature, with
    ``ALLOCATOR_SIGNING_KEY`` set); for a report that differs from its digest, say where by
    regenerating it from the run's tables. Raises RecordError (exit code 2) if ``run_dir`` is
    not a run folder, UsageError if the key variable is set but empty."""
    key = signing_key()
    if not (Path(run_dir) / PLAN_JSON).is_file():
        raise RecordError(
            f"{run_dir}: not a run folder (no plan.json) — give a folder written by allocate"
        )
    report = verify_run(run_dir, key=key)
    from allocator.report.regenerate import locate_report_changes

    return locate_report_changes(Path(run_dir), report)


__all__ = [
    "CompareOutcome",
    "MinCapOutcome",
    "Outcome",
    "SweepOutcome",
    "allocate",
    "compare",
    "min_cap",
    "persistence",
    "solve_plan",
    "sweep",
    "verify",
    "write_comparison",
]
