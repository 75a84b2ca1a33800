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

import pandas as pd

from allocator.constants import LANGS, PLAN_JSON
from allocator.errors import OutputExistsError, OutputPathError, UsageError
from allocator.formatting import cap_slug, number_ranges
from allocator.optim.analysis import MinCapResult, Progress, SweepResult, marginal_values
from allocator.optim.diagnose import Diagnosis, explain_infeasibility, precheck
from allocator.optim.draws import Sampler
from allocator.optim.model import build_model
from allocator.optim.result import SolveResult
from allocator.optim.solve import infeasible_result, solve_lexicographic
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.schema import Plan
from allocator.plan.uncertainty import UNCERTAINTY_FILE, Uncertainty, load_uncertainty
from allocator.run.compare import Comparison
from allocator.run.digests import seal_run
from allocator.run.draw_tables import status_counts
from allocator.run.draws import DrawsRecord, DrawsRequest, ResumeError
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
from allocator.run.montecarlo import DrawProgress
from allocator.run.record import RecordError, RunOptions
from allocator.run.robust import ROBUST_FIRST_YEARS_CSV, NoRobustPlan, RobustRun
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
    cleaned: tuple[str, ...] = ()
    """Left-overs of killed runs removed (or put back) before writing: one line each."""


def solve_plan(
    plan: Plan, *, marginal: bool = False, progress: Callable[[str], None] | None = None
) -> SolveResult:
    """Build and solve ``plan`` with its own solver settings; with ``marginal``, add the value
    per rank of 100 億円 more cap in each fiscal year (``result.marginal``)."""
    t0 = time.perf_counter()
    model = build_model(plan)
    build = time.perf_counter() - t0
    result = solve_lexicographic(
        model,
        time_limit=plan.solver.time_limit_seconds,
        gap=plan.solver.gap,
        tolerance=plan.solver.tolerance,
        build_seconds=build,
        progress=progress,
    )
    if marginal and result.has_plan:
        if progress is not None:
            progress("marginal value of the cap (one LP per rank)")
        try:
            values = marginal_values(model, result, time_limit=plan.solver.time_limit_seconds)
        except RuntimeError:  # an auxiliary LP failed: keep the verified plan, report n/a
            values = None
        result = dataclasses.replace(result, marginal=values)
    return result


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
) -> Outcome:
    """Load, solve, write the run folder (when there is a plan to write) and verify it; add
    the reports people read (``report.md``, ``report.xlsx``, ``charts/``) in ``lang``, the
    charts drawn by ``report_worker`` when one is given (see :mod:`allocator.report.worker`).

    Raises PlanError / UsageError for bad input, OutputExistsError / OutputPathError for an
    ``out`` that may not be written (or replaced) — all before anything is solved or written —
    and OutputWriteError when the file system fails while writing (nothing is left behind).
    """
    _check_lang(lang)
    key = signing_key()
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    plan = load_plan(plan_path, overrides)
    times["load_validate"] = time.perf_counter() - t0
    protect = plan_folders(plan)
    if out is not None:  # refuse before solving, not after
        check_output_path(out)
        ensure_free(out, force=force, protect=protect)
    else:
        check_output_path(reports, option="--reports", inside=True)

    result, explanation = _solve_or_explain(plan, times, progress)
    if result.status == "no_solution":
        return Outcome(plan, result, None, None, times, explanation)

    if progress is not None:
        progress("writing, verifying and reporting")
    target = (
        out if out is not None else default_run_dir(plan, reports, tag=_run_tag(plan, overrides))
    )
    t1 = time.perf_counter()
    verification: VerifyReport | None = None
    with staged_folder(target, force=force, numbered=out is None, protect=protect) as staging:
        folder = staging.path
        record = write_run_files(
            folder, plan, result, options=_run_options(plan, overrides, lang), times=times,
            explanation=explanation,
        )  # fmt: skip
        if result.has_plan:
            t2 = time.perf_counter()
            verification = verify_run(folder, sealed=False)
            times["verify"] = time.perf_counter() - t2
            record = record.verified(verification.to_record(), times)
            record.write(folder)
        from allocator.report import write_reports

        written = write_reports(folder, lang, worker=report_worker)
        seal_run(
            folder, record, reports=[p.relative_to(folder).as_posix() for p in written], key=key
        )
    times["write"] = time.perf_counter() - t1 - times.get("verify", 0.0)
    return Outcome(
        plan, result, staging.final, verification, times, explanation, tuple(staging.cleaned)
    )


def _solve_or_explain(
    plan: Plan, times: dict[str, float], progress: Callable[[str], None] | None
) -> tuple[SolveResult, list[str]]:
    """The strict-priority solve with the marginal values; for an infeasible plan, the
    explanation of which rules conflict (cheap pre-checks first, then elastic re-solves)."""
    found = precheck(plan)
    if found:
        return infeasible_result(plan), Diagnosis(precheck=tuple(found)).lines(plan)
    t = time.perf_counter()
    result = solve_plan(plan, marginal=True, progress=progress)
    times["build"] = result.build_seconds
    times["solve"] = result.solve_seconds
    times["marginal"] = time.perf_counter() - t - result.build_seconds - result.solve_seconds
    explanation: list[str] = []
    if result.status == "infeasible":
        if progress is not None:
            progress("no plan: finding which rules conflict (elastic re-solves)")
        t = time.perf_counter()
        explanation = explain_infeasibility(plan, time_limit=plan.solver.time_limit_seconds)
        times["explain"] = time.perf_counter() - t
    return result, explanation


def _run_tag(plan: Plan, overrides: Overrides) -> str:
    """What distinguishes the default folder name beyond the plan and the cap."""
    tags = [overrides.gdp_case or ""]
    if overrides.cap_base is not None:
        tags.append(f"base{plan.cap.base_year}" if plan.cap.base == "fixed_year" else "baseeach")
    return "-".join(t for t in tags if t)


def _run_options(plan: Plan, overrides: Overrides, lang: str | None = None) -> RunOptions:
    return RunOptions(
        lang=lang,
        cap=str(plan.cap.ratio),  # exact ("1/50"); parse_cap reads it back unchanged
        first_year=overrides.first_year,
        years=overrides.years,
        gdp_case=overrides.gdp_case,
        time_limit_seconds=overrides.time_limit_seconds,
        gap=overrides.gap,
        cap_base=overrides.cap_base,
        cap_base_year=overrides.cap_base_year,
    )


def _check_lang(lang: str) -> None:
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

    _check_lang(lang)
    if out is not None and os.path.lexists(out):
        if out.is_symlink() or not out.is_dir():
            ensure_free(out)  # a file or a symbolic link: said as such
        raise OutputExistsError(f"{out}: already exists — give another --out folder")
    if out is not None:
        check_output_path(out)
    else:
        check_output_path(reports, "--reports", inside=True)
    plan = load_plan(plan_path, overrides)
    target = out or default_sweep_dir(
        plan, reports, caps[0], caps[-1], tag=overrides.gdp_case or ""
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


# ---------------------------------------------------------------------------------------------
# uncertainty: montecarlo and risk (docs/model.md, "Uncertainty")


@dataclass(frozen=True)
class DrawsOutcome:
    """A Monte Carlo or risk folder, complete."""

    plan: Plan
    folder: Path
    record: DrawsRecord
    tables: dict[str, pd.DataFrame]
    resumed_from: int
    robust: RobustRun | None = None


def montecarlo(
    plan_path: Path,
    overrides: Overrides,
    *,
    uncertainty: Path | None = None,
    draws: int | None = None,
    seed: int | None = None,
    robust_years: int | None = None,
    robust_scenarios: int | None = None,
    reports: Path = Path("reports"),
    out: Path | None = None,
    resume: Path | None = None,
    lang: str = "ja",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: DrawProgress | None = None,
    say: Callable[[str], None] | None = None,
) -> DrawsOutcome:
    """Re-solve the plan for each draw of GDP, cost growth and the yen; write the folder:
    ``draws.csv`` and ``draw_inputs.csv`` (streamed, in draw order), ``mc_years.csv``,
    ``mc_ranks.csv``, ``mc_programs.csv``, fan charts, ``montecarlo.xlsx``; with
    ``robust_years``, first find the decisions for those years that hold under the GDP cases
    and ``robust_scenarios`` sampled draws, hold them in every draw, and write
    ``robust_first_years.csv``, ``robust_scenarios.csv`` and ``robust_cost.csv``.

    ``resume``: a folder an interrupted run left; its inputs and request are read back from it
    and the draws not yet on disk are solved (``draws`` may raise the number asked).

    Raises PlanError for bad plan or uncertainty files, UsageError for bad options,
    OutputExistsError for an existing ``out``, ResumeError for a folder that cannot be resumed,
    NoRobustPlan when no first years hold — before any draw is solved.
    """
    from allocator.optim.draws import Sampler
    from allocator.optim.montecarlo import solve_inputs, worker_model
    from allocator.parallel import check_workers
    from allocator.run.montecarlo import montecarlo_draws, new_folder
    from allocator.run.robust import read_first_years, run_robust

    _check_lang(lang)
    _check_draws(draws, robust_years, robust_scenarios)
    check_workers(workers)
    if resume is not None:
        record = DrawsRecord.read(resume)
        req = record.request
        if req.kind != "montecarlo":
            raise ResumeError(f"{resume}: a {req.kind} folder — resume it with allocate {req.kind}")
        plan, u = _reload_inputs(resume, req)
        folder, n_draws = Path(resume), max(record.draws, draws or 0)
    else:
        plan = load_plan(plan_path, overrides)
        u = load_uncertainty(uncertainty or _plan_folder(plan_path), plan)
        req = _request("montecarlo", plan, u, seed, lang, overrides.time_limit_seconds)
        req = req.model_copy(
            update={
                "robust_years": robust_years,
                "robust_scenarios": (
                    (u.robust_scenarios if robust_scenarios is None else robust_scenarios)
                    if robust_years
                    else None
                ),
            }
        )
        _check_robust_years(plan, robust_years)
        folder = out or free_folder(reports, f"{safe_name(plan.name)}-montecarlo-seed{req.seed}")
        ensure_free(folder)
        n_draws = draws or u.draws
    limit = plan.solver.time_limit_seconds
    w = worker_model(plan, u)
    central = solve_inputs(w, Sampler(plan, u).case(plan.gdp_case), limit)
    if not central.has_plan:
        raise NoRobustPlan(f"the plan has no schedule in its central case ({central.status})")
    robust = None
    first_years = None
    if req.robust_years:
        years = plan.fiscal_years[: req.robust_years]
        saved = folder / ROBUST_FIRST_YEARS_CSV
        if resume is not None and saved.is_file():
            first_years = read_first_years(saved, years)
        else:
            robust = run_robust(
                plan, u, req.robust_years, req.robust_scenarios or 0, seed=req.seed,
                time_limit=limit, workers=workers, scheduler=scheduler, progress=say,
            )  # fmt: skip
            first_years = robust.robust
    if resume is None:
        new_folder(folder, plan, u)
    if robust is not None:
        _write_robust(folder, plan, robust)
    if say is not None:
        say(f"montecarlo: {n_draws} draws on {'the cluster' if scheduler else 'this machine'}")
    run = montecarlo_draws(
        folder, req, plan, u, n_draws, time_limit=limit, first_years=first_years,
        resume=resume is not None, workers=workers, scheduler=scheduler, progress=progress,
        notes=_robust_notes(robust),
    )  # fmt: skip
    tables = _montecarlo_tables(folder, plan, central, w.sampler)
    record = run.record.update(status_counts=status_counts(folder))
    record.write(folder)
    from allocator.report.uncertainty import write_draw_reports

    write_draw_reports(folder, lang)
    return DrawsOutcome(plan, folder, record, tables, run.resumed_from, robust)


def risk(
    run_dir: Path | None,
    *,
    uncertainty: Path = Path("data"),
    draws: int | None = None,
    seed: int | None = None,
    reports: Path = Path("reports"),
    out: Path | None = None,
    resume: Path | None = None,
    lang: str = "ja",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: DrawProgress | None = None,
) -> DrawsOutcome:
    """Hold the solved plan of ``run_dir`` fixed and draw GDP, cost growth and the yen: per
    year the probability that defence spending exceeds the cap (and the 5/50/95 % of the
    ratio), per funded program the probability that its purchasing power falls below its
    floor. Writes ``draws.csv``, ``draw_inputs.csv``, ``risk_years.csv``,
    ``risk_programs.csv``, charts and ``risk.xlsx``.

    Raises UsageError for a folder that is not a solved run, PlanError for bad uncertainty
    files, OutputExistsError for an existing ``out``, ResumeError for a folder that cannot be
    resumed (or whose held run changed).
    """
    from allocator.parallel import check_workers
    from allocator.run.compare import load_solved
    from allocator.run.montecarlo import file_sha256, new_folder, risk_draws

    _check_lang(lang)
    _check_draws(draws, None, None)
    check_workers(workers)
    if resume is not None:
        record = DrawsRecord.read(resume)
        req = record.request
        if req.kind != "risk" or req.held_run is None:
            raise ResumeError(f"{resume}: a {req.kind} folder — resume it with allocate {req.kind}")
        solved = load_solved(Path(req.held_run))
        if file_sha256(Path(req.held_run) / PLAN_JSON) != req.held_run_hash:
            raise ResumeError(f"{req.held_run}: changed since the risk run began — start a new run")
        u = _same_uncertainty(
            load_uncertainty(Path(resume) / "inputs" / UNCERTAINTY_FILE, solved.plan), req
        )
        folder, n_draws = Path(resume), max(record.draws, draws or 0)
    else:
        if run_dir is None:
            raise UsageError("RUN", "give a run folder written by allocate", "or --resume FOLDER")
        solved = load_solved(Path(run_dir))
        if not solved.has_plan:
            raise UsageError(
                "RUN", f"{run_dir} has no plan ({solved.status})", "give a solved run folder"
            )
        u = load_uncertainty(uncertainty, solved.plan)
        req = _request("risk", solved.plan, u, seed, lang, None).model_copy(
            update={
                "held_run": str(Path(run_dir).resolve()),
                "held_run_hash": file_sha256(Path(run_dir) / PLAN_JSON),
            }
        )
        name = f"{safe_name(Path(run_dir).resolve().name)}-risk-seed{req.seed}"
        folder = out or free_folder(reports, name)
        n_draws = draws or u.draws
        new_folder(folder, solved.plan, u)
    plan = solved.plan
    allocations = tuple(sorted((p, y, a) for (p, y), a in solved.allocations.items()))
    run = risk_draws(
        folder, req, plan, u, allocations, n_draws, resume=resume is not None,
        workers=workers, scheduler=scheduler, progress=progress,
    )  # fmt: skip
    tables = _risk_tables(folder, plan, u, solved.allocations)
    record = run.record
    from allocator.report.uncertainty import write_draw_reports

    write_draw_reports(folder, lang)
    return DrawsOutcome(plan, folder, record, tables, run.resumed_from)


def _check_draws(draws: int | None, robust_years: int | None, scenarios: int | None) -> None:
    if draws is not None and not 1 <= draws <= 1_000_000:
        raise UsageError("--draws", f"{draws} is not a number of draws", "give 1 to 1,000,000")
    if robust_years is not None and robust_years < 1:
        raise UsageError(
            "--robust-years", f"{robust_years} is not a number of years", "give 1 or more"
        )
    if scenarios is not None and not 0 <= scenarios <= 1000:
        raise UsageError("--scenarios", f"{scenarios} is not a number of draws", "give 0 to 1000")


def _check_robust_years(plan: Plan, robust_years: int | None) -> None:
    if robust_years is not None and robust_years >= plan.years:
        raise UsageError(
            "--robust-years",
            f"{robust_years} years leave no later year to adapt (the horizon has {plan.years})",
            f"give 1 to {plan.years - 1}",
        )


def _plan_folder(plan_path: Path) -> Path:
    return plan_path if plan_path.is_dir() else plan_path.parent


def _request(
    kind: str, plan: Plan, u: Uncertainty, seed: int | None, lang: str, time_limit: float | None
) -> DrawsRequest:
    return DrawsRequest(
        kind=kind,  # type: ignore[arg-type]
        plan_name=plan.name,
        plan_hash=plan.input_hash,
        uncertainty_hash=u.input_hash,
        seed=u.seed if seed is None else seed,
        cap=str(plan.cap.ratio),
        gdp_case=plan.gdp_case,
        time_limit_seconds=time_limit,
        lang=lang,
    )


def _reload_inputs(folder: Path, req: DrawsRequest) -> tuple[Plan, Uncertainty]:
    """The plan and uncertainty of a folder being resumed, from its ``inputs/`` copies."""
    from allocator.plan.cap import parse_cap

    inputs = Path(folder) / "inputs"
    plan = load_plan(
        inputs,
        Overrides(
            cap=parse_cap(req.cap, option="montecarlo.json cap"),
            gdp_case=req.gdp_case,
            time_limit_seconds=req.time_limit_seconds,
        ),
    )
    if plan.input_hash != req.plan_hash:
        raise ResumeError(f"{inputs}: the plan files changed since the run began — start a new run")
    return plan, _same_uncertainty(load_uncertainty(inputs / UNCERTAINTY_FILE, plan), req)


def _same_uncertainty(u: Uncertainty, req: DrawsRequest) -> Uncertainty:
    if u.input_hash != req.uncertainty_hash:
        raise ResumeError(f"{u.path}: changed since the run began — start a new run")
    return u


def _write_robust(folder: Path, plan: Plan, robust: RobustRun) -> None:
    from allocator.run.csvfile import write_csv
    from allocator.run.robust import (
        ROBUST_COST_CSV,
        ROBUST_SCENARIOS_CSV,
        cost_table,
        first_years_table,
        scenarios_table,
    )

    write_csv(
        first_years_table(plan, robust.robust, robust.central), folder / ROBUST_FIRST_YEARS_CSV
    )
    write_csv(
        scenarios_table(plan, robust.specs, robust.free, robust.fixed),
        folder / ROBUST_SCENARIOS_CSV,
    )
    write_csv(cost_table(plan, robust.free, robust.fixed), folder / ROBUST_COST_CSV)


def _robust_notes(robust: RobustRun | None) -> list[str]:
    if robust is None:
        return []
    notes = [
        f"robust first years {robust.years[0]}–{robust.years[-1]}: hold in "
        f"{sum(1 for r, _ in robust.fixed.values() if r.status in ('optimal', 'feasible'))} of "
        f"{len(robust.fixed)} scenarios of the set"
    ]
    if robust.left_out:
        notes.append("left out of the set (no plan at all in them): " + ", ".join(robust.left_out))
    return notes


def _montecarlo_tables(
    folder: Path, plan: Plan, central: SolveResult, sampler: Sampler
) -> dict[str, pd.DataFrame]:
    from allocator.optim.montecarlo import yen_by_year
    from allocator.run.csvfile import write_csv
    from allocator.run.draw_tables import (
        MC_PROGRAMS_CSV,
        MC_RANKS_CSV,
        MC_YEARS_CSV,
        mc_programs_table,
        mc_ranks_table,
        mc_years_table,
    )

    case = sampler.case(plan.gdp_case)
    sched = {
        (str(r.program_id), int(r.fiscal_year)): int(r.amount_oku_yen)
        for r in central.schedule.itertuples(index=False)
    }
    paid = yen_by_year(plan, {k: float(v) for k, v in sched.items()}, case.factor)
    ratios = {y: (plan.baseline(y) + paid[y]) / case.gdp[y] for y in plan.fiscal_years}
    totals: dict[str, int] = {}
    for (pid, _), a in sched.items():
        totals[pid] = totals.get(pid, 0) + a
    tables = {
        "years": mc_years_table(folder, plan, ratios),
        "ranks": mc_ranks_table(folder, plan, central.rank_values()),
        "programs": mc_programs_table(folder, plan, totals),
    }
    for key, name in (
        ("years", MC_YEARS_CSV),
        ("ranks", MC_RANKS_CSV),
        ("programs", MC_PROGRAMS_CSV),
    ):
        write_csv(tables[key], folder / name)
    return tables


def _risk_tables(
    folder: Path, plan: Plan, u: Uncertainty, allocations: dict[tuple[str, int], int]
) -> dict[str, pd.DataFrame]:
    from allocator.run.csvfile import write_csv
    from allocator.run.draw_tables import (
        RISK_PROGRAMS_CSV,
        RISK_YEARS_CSV,
        risk_programs_table,
        risk_years_table,
    )

    defence = dict.fromkeys(plan.fiscal_years, 0)
    held: dict[str, int] = {}
    for (pid, y), a in allocations.items():
        held[pid] = held.get(pid, 0) + a
        if plan.counts_toward_defense(plan.program(pid)) and y in defence:
            defence[y] += a
    spend = {y: plan.baseline(y) + defence[y] for y in plan.fiscal_years}
    planned = {y: spend[y] / plan.gdp(y) for y in plan.fiscal_years}
    cases = {c: {y: spend[y] / u.gdp.path(c)[y] for y in plan.fiscal_years} for c in u.gdp.cases}
    shares = {c.program_id: c.dollar_share for c in u.programs}
    overruns = {c.program_id: c.overrun.expected for c in u.programs}
    tables = {
        "years": risk_years_table(folder, plan, planned, cases),
        "programs": risk_programs_table(folder, plan, held, shares, overruns),
    }
    write_csv(tables["years"], folder / RISK_YEARS_CSV)
    write_csv(tables["programs"], folder / RISK_PROGRAMS_CSV)
    return tables


__all__ = [
    "CompareOutcome",
    "DrawsOutcome",
    "MinCapOutcome",
    "Outcome",
    "SweepOutcome",
    "allocate",
    "compare",
    "min_cap",
    "montecarlo",
    "risk",
    "solve_plan",
    "sweep",
    "verify",
    "write_comparison",
]
