"""The uncertainty actions: :func:`montecarlo` (re-solve the plan for each draw of GDP, cost
growth and the yen) and :func:`risk` (hold a solved plan and draw), as one function each, like
:mod:`allocator.api`; their folders are streamed and resumable (:mod:`allocator.run.draws`).
The model is in ``docs/model.md`` ("Uncertainty").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from allocator.api import check_lang
from allocator.constants import PLAN_JSON
from allocator.errors import UsageError
from allocator.optim.draws import Sampler
from allocator.optim.result import SolveResult
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.schema import Plan
from allocator.plan.uncertainty import UNCERTAINTY_FILE, Uncertainty, load_uncertainty
from allocator.run.draw_tables import status_counts
from allocator.run.draws import DrawsRecord, DrawsRequest, ResumeError
from allocator.run.folder import (
    ensure_free,
    free_folder,
    safe_name,
)
from allocator.run.montecarlo import DrawProgress
from allocator.run.robust import ROBUST_FIRST_YEARS_CSV, NoRobustPlan, RobustRun

if TYPE_CHECKING:
    pass


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

    check_lang(lang)
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

    check_lang(lang)
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
    ratios = {y: (plan.committed(y) + paid[y]) / case.gdp[y] for y in plan.fiscal_years}
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
    spend = {y: plan.committed(y) + defence[y] for y in plan.fiscal_years}
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
