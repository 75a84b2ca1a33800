"""Solve a built model lexicographically with HiGHS (in-process, through PuLP).

Stage r maximises rank r's value V[r] with every higher rank held at the value it reached
(V[j] ≥ V*[j] − tolerance); a last stage moves money as early as the rules allow without
changing any rank's value. The result is our own frozen dataclasses: no PuLP or HiGHS object
leaves this module.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pulp

from allocator.optim.model import ModelHandles

FRACTIONAL_VALUE_GAP = 1e-4
"""Relative MIP gap for a rank whose value is fractional (explicit values that are not whole
per 億円): HiGHS cannot close the last 1e-7 of such objectives and would run to the time limit
(measured in bench/: gap 1e-6 still stalls, 1e-4 finishes). Integral ranks keep the gap asked
for (0 by default: exact)."""


@dataclass(frozen=True)
class StageReport:
    """One priority stage: rank ``rank`` (``None`` for the final earliness stage)."""

    rank: int | None
    status: str
    """``optimal``, ``time_limit``, ``infeasible``, ``no_solution`` or ``skipped``."""
    objective: float | None
    best_bound: float | None
    gap: float | None
    seconds: float


@dataclass(frozen=True)
class SolveResult:
    status: str
    """``optimal``: every stage proven optimal (within ``gap``); ``feasible``: a plan, but some
    stage stopped at a limit; ``infeasible``: no plan satisfies the rules; ``no_solution``: a
    limit was reached before any plan was found."""
    stages: tuple[StageReport, ...]
    schedule: pd.DataFrame
    """Columns program_id, fiscal_year, amount_oku_yen, units (nonzero rows only)."""
    funded: dict[str, bool]
    solver_name: str
    solver_version: str
    build_seconds: float
    solve_seconds: float
    time_limit_seconds: float
    gap_setting: float
    marginal: pd.DataFrame | None = None
    """Value per rank of 100 億円 more cap, per fiscal year (see analysis.marginal_values)."""

    @property
    def has_plan(self) -> bool:
        return self.status in ("optimal", "feasible")

    def rank_values(self) -> dict[int, float]:
        return {
            s.rank: s.objective
            for s in self.stages
            if s.rank is not None and s.objective is not None
        }


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence C-level stdout: highspy prints a banner whenever a Highs object is created."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w", encoding="utf-8") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


_CTRL_C = threading.Event()


def _on_ctrl_c(signum: int, frame: Any) -> None:
    _CTRL_C.set()


@contextlib.contextmanager
def _ctrl_c_stops_highs() -> Iterator[None]:
    """While HiGHS runs, Ctrl-C asks it to stop at its next interrupt check (instead of being
    noticed only when the stage ends); the caller then raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_if_asked(event: Any) -> None:
    if _CTRL_C.is_set():
        event.interrupt()


class _QuietHiGHS(pulp.HiGHS):
    def createAndConfigureSolver(self, lp: Any) -> None:
        with quiet_stdout():
            super().createAndConfigureSolver(lp)
        h = lp.solverModel
        h.cbMipInterrupt += _interrupt_if_asked
        h.cbSimplexInterrupt += _interrupt_if_asked
        h.cbIpmInterrupt += _interrupt_if_asked

    def callSolver(self, lp: Any) -> None:
        with _ctrl_c_stops_highs():
            lp.solverModel.run()
        if _CTRL_C.is_set():
            _CTRL_C.clear()
            raise KeyboardInterrupt


def highs_version() -> str:
    import highspy

    with quiet_stdout():
        h = highspy.Highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


_STATUS = {
    "Optimal": "optimal",
    "Infeasible": "infeasible",
    "TimeLimit": "time_limit",
    "GapLimit": "optimal",
    "Interrupted": "interrupted",
}


def _run(
    m: ModelHandles, objective: Any, time_left: float, gap: float, *, warm: bool = False
) -> tuple[str, Any]:
    """One HiGHS solve of ``objective``. ``warm``: start from the variables' current values
    (the previous stage's schedule, which satisfies every hold added since)."""
    m.prob.setObjective(objective)
    solver = _QuietHiGHS(
        msg=False, timeLimit=max(time_left, 0.01), gapRel=gap, threads=1, warmStart=warm
    )
    stats = m.prob.solve(solver)
    status = _STATUS.get(stats.status_str, stats.status_str.lower())
    if status == "time_limit" and not stats.has_solution:
        status = "no_solution"
    if status == "optimal" and not stats.has_solution:
        status = "no_solution"
    return status, stats


def _fix_value(m: ModelHandles, rank: int, achieved: float, tolerance: float) -> None:
    """Hold rank ``rank`` at the value it reached (less the tolerance)."""
    if m.rank_value_integral[rank]:
        rhs = round(achieved) - math.floor(tolerance) - 0.5  # exact for integer values
    else:
        rhs = achieved - tolerance - 1e-7 * max(1.0, abs(achieved))
    m.constraints[("priority_hold", (rank,))].changeRHS(rhs)


def reset_holds(m: ModelHandles) -> None:
    """Release every priority hold, so the same model can be solved again (a cap sweep)."""
    for rank in m.rank_value:
        m.constraints[("priority_hold", (rank,))].changeRHS(0)


def solve_lexicographic(
    m: ModelHandles,
    *,
    time_limit: float,
    gap: float,
    tolerance: float = 0.0,
    build_seconds: float = 0.0,
    progress: Callable[[str], None] | None = None,
) -> SolveResult:
    """Solve rank by rank. ``time_limit`` (seconds) is shared by all stages; ``progress``
    receives one line as each stage starts."""
    start = time.perf_counter()
    reset_holds(m)
    stages: list[StageReport] = []
    last_good: dict[Any, float] | None = None
    overall = "optimal"
    ranks = sorted(m.rank_value)
    objectives: list[tuple[int | None, Any]] = [(r, m.rank_value[r]) for r in ranks]
    objectives.append((None, m.earliness))
    variables = m.prob.variables()
    for rank, objective in objectives:
        t0 = time.perf_counter()
        time_left = time_limit - (t0 - start)
        if time_left <= 0.01 and last_good is not None:
            stages.append(StageReport(rank, "skipped", None, None, None, 0.0))
            overall = "feasible"
            continue
        if progress is not None:
            what = f"rank {rank}" if rank is not None else "earliest years"
            progress(f"stage {len(stages) + 1}/{len(objectives)}: {what}")
        integral = rank is None or m.rank_value_integral[rank]
        stage_gap = gap if integral else max(gap, FRACTIONAL_VALUE_GAP)
        status, stats = _run(m, objective, time_left, stage_gap, warm=last_good is not None)
        seconds = time.perf_counter() - t0
        if status in ("infeasible", "no_solution") or not stats.has_solution:
            stages.append(StageReport(rank, status, None, None, None, seconds))
            if last_good is None:
                overall = status if status in ("infeasible", "no_solution") else "no_solution"
                break
            overall = "feasible"
            continue
        value = float(pulp.value(objective) or 0.0)
        if rank is not None and m.rank_value_integral[rank]:
            value = float(round(value))  # integral by construction: drop float noise
        bound = stats.best_bound if stats.best_bound is not None else value
        if status == "optimal" and stats.best_bound is None:
            bound = value
        gap_now = abs(bound - value) / max(1.0, abs(value))
        stages.append(StageReport(rank, status, value, float(bound), gap_now, seconds))
        if status != "optimal":
            overall = "feasible"
        last_good = {v.name: float(v.varValue or 0.0) for v in variables}
        if rank is not None:
            _fix_value(m, rank, value, tolerance)
    solve_seconds = time.perf_counter() - start
    schedule, funded = _extract(m, last_good)
    return SolveResult(
        status=overall,
        stages=tuple(stages),
        schedule=schedule,
        funded=funded,
        solver_name="HiGHS",
        solver_version=highs_version(),
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        time_limit_seconds=time_limit,
        gap_setting=gap,
    )


def _extract(
    m: ModelHandles, values: dict[Any, float] | None
) -> tuple[pd.DataFrame, dict[str, bool]]:
    cols = ["program_id", "fiscal_year", "amount_oku_yen", "units"]
    if values is None:
        return pd.DataFrame(columns=cols), {}

    def val(var: Any) -> int:
        v = values.get(var.name)
        return 0 if v is None else round(v)

    funded = {pid: val(g) == 1 for pid, g in m.go.items()}
    rows = []
    for p in m.plan.programs:
        pid = p.program_id
        for y in m.years_of(p):
            if p.payment_profile is not None:
                amount = p.profile.get(y, 0) if funded[pid] else 0
                units = None
            elif (pid, y) in m.units:
                units = val(m.units[pid, y])
                amount = units * (p.unit_cost_oku_yen or 0)
            else:
                amount = val(m.alloc[pid, y])
                units = None
            if amount:
                rows.append((pid, y, amount, units))
    df = pd.DataFrame(rows, columns=cols)
    df["units"] = df["units"].astype("Int64")
    return df, funded


def minimise(m: ModelHandles, objective: Any, time_limit: float) -> tuple[str, dict[Any, float]]:
    """Minimise ``objective`` once (used by the elastic re-solve); return status and the
    value of every slack, keyed by (family, index)."""
    m.prob.sense = pulp.LpMinimize
    try:
        status, stats = _run(m, objective, time_limit, 0.0)
    finally:
        m.prob.sense = pulp.LpMaximize
    if not stats.has_solution:
        return status, {}
    return status, {k: float(v.varValue or 0.0) for k, v in m.slacks.items()}


def infeasible_result(plan: Any) -> SolveResult:
    """The result for a plan found infeasible before solving (by the cheap checks)."""
    return SolveResult(
        status="infeasible",
        stages=(),
        schedule=_extract_empty(),
        funded={},
        solver_name="HiGHS",
        solver_version=highs_version(),
        build_seconds=0.0,
        solve_seconds=0.0,
        time_limit_seconds=plan.solver.time_limit_seconds,
        gap_setting=plan.solver.gap,
    )


def _extract_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["program_id", "fiscal_year", "amount_oku_yen", "units"])
