"""Solve a built model with HiGHS (in-process, through PuLP): the only module that runs the
solver or reads its answers.

Its public API is what the rest of the package needs, in the model's own terms:

- :func:`solve_lexicographic`: the strict-priority solve. Stage r maximises rank r's value V[r]
  with every higher rank held at the value it reached (V[j] ≥ V*[j] − tolerance); a last stage
  moves money as early as the rules allow without changing any rank's value;
- :func:`solve_stage`, :func:`hold_rank`, :func:`release_holds`: one stage at a time;
- :func:`set_rhs`, :func:`rhs`: move the right-hand side of a named row (``gdp_cap[2027]``);
- :func:`minimise`, :func:`find_feasible`: one solve of a given objective (the elastic
  re-solve, feasibility checks);
- :func:`fixed_decisions`, :func:`solve_lp`, :func:`shadow_price`: the LP with the integer
  decisions fixed, and its duals with one sign convention (∂objective/∂right-hand side);
- :func:`values`, :func:`expression_value`: read the solution.

Results are our own frozen dataclasses (:mod:`allocator.optim.result`); no PuLP or HiGHS object
is returned.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from allocator.optim.model import Index, ModelHandles
from allocator.optim.pulp_import import pulp
from allocator.optim.result import SCHEDULE_COLUMNS, SolveResult, StageReport, empty_schedule
from allocator.plan.schema import Plan

FRACTIONAL_VALUE_GAP = 1e-4
"""Relative MIP gap for a rank whose value is fractional (explicit values that are not whole
per 億円): HiGHS cannot close the last 1e-7 of such objectives and would run to the time limit
(measured in bench/: gap 1e-6 still stalls, 1e-4 finishes). Integral ranks keep the gap asked
for (0 by default: exact)."""

SOLVER_NAME = "HiGHS"


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


# ---------------------------------------------------------------------------------------------
# Ctrl-C stops HiGHS


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


def pulp_version() -> str:
    return str(pulp.__version__)


@functools.cache
def highs_version() -> str:
    import highspy

    with quiet_stdout():
        h = highspy.Highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


# ---------------------------------------------------------------------------------------------
# one stage


_STATUS = {
    "Optimal": "optimal",
    "Infeasible": "infeasible",
    "TimeLimit": "time_limit",
    "GapLimit": "optimal",
    "Interrupted": "interrupted",
}


@dataclass(frozen=True)
class StageSolve:
    """How one solve ended: status, whether a solution exists, its best bound (MIP)."""

    status: str
    has_solution: bool
    best_bound: float | None


def _run(
    m: ModelHandles, objective: Any, time_left: float, gap: float, *, warm: bool = False
) -> StageSolve:
    m.prob.setObjective(objective)
    solver = _QuietHiGHS(
        msg=False, timeLimit=max(time_left, 0.01), gapRel=gap, threads=1, warmStart=warm
    )
    stats = m.prob.solve(solver)
    status = _STATUS.get(stats.status_str, stats.status_str.lower())
    if status in ("time_limit", "optimal") and not stats.has_solution:
        status = "no_solution"
    return StageSolve(status, bool(stats.has_solution), stats.best_bound)


def solve_stage(
    m: ModelHandles, objective: Any, *, time_limit: float, gap: float, warm: bool = False
) -> StageSolve:
    """Maximise ``objective`` once with the rows as they stand (holds included).

    ``warm``: start from the variables' current values (the previous stage's schedule, which
    satisfies every hold added since). ``time_limit`` in seconds; ``gap`` relative.
    """
    return _run(m, objective, time_limit, gap, warm=warm)


def expression_value(expr: Any) -> float:
    """Value of a model expression (a rank's value, an objective) at the last solution."""
    return float(pulp.value(expr) or 0.0)


def values[K](variables: Mapping[K, Any]) -> dict[K, float]:
    """``{key: value}`` of model variables at the last solution (0 when unset)."""
    return {k: float(v.varValue or 0.0) for k, v in variables.items()}


def hold_rank(m: ModelHandles, rank: int, achieved: float, tolerance: float) -> None:
    """Hold rank ``rank`` at the value it reached (less the tolerance): ``priority_hold[rank]``."""
    if m.rank_value_integral[rank]:
        hold = round(achieved) - math.floor(tolerance) - 0.5  # exact for integer values
    else:
        hold = achieved - tolerance - 1e-7 * max(1.0, abs(achieved))
    set_rhs(m, "priority_hold", (rank,), hold)


def release_holds(m: ModelHandles) -> None:
    """Release every priority hold, so the same model can be solved again (a cap sweep)."""
    for rank in m.rank_value:
        set_rhs(m, "priority_hold", (rank,), 0)


def set_rhs(m: ModelHandles, family: str, index: Index, value: float) -> None:
    """Set the right-hand side of row ``family[index]`` (``gdp_cap``, (2027,))."""
    m.constraints[(family, index)].changeRHS(value)


def rhs(m: ModelHandles, family: str, index: Index) -> float:
    """The right-hand side of row ``family[index]``."""
    return -float(m.constraints[(family, index)].constant)


# ---------------------------------------------------------------------------------------------
# the strict-priority solve


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
    release_holds(m)
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
        solved = _run(m, objective, time_left, stage_gap, warm=last_good is not None)
        seconds = time.perf_counter() - t0
        if solved.status in ("infeasible", "no_solution") or not solved.has_solution:
            stages.append(StageReport(rank, solved.status, None, None, None, seconds))
            if last_good is None:
                ended = solved.status
                overall = ended if ended in ("infeasible", "no_solution") else "no_solution"
                break
            overall = "feasible"
            continue
        value = expression_value(objective)
        if rank is not None and m.rank_value_integral[rank]:
            value = float(round(value))  # integral by construction: drop float noise
        bound = solved.best_bound if solved.best_bound is not None else value
        gap_now = abs(bound - value) / max(1.0, abs(value))
        stages.append(StageReport(rank, solved.status, value, float(bound), gap_now, seconds))
        if solved.status != "optimal":
            overall = "feasible"
        last_good = {v.name: float(v.varValue or 0.0) for v in variables}
        if rank is not None:
            hold_rank(m, rank, value, tolerance)
    solve_seconds = time.perf_counter() - start
    schedule, funded = _extract(m, last_good)
    return SolveResult(
        status=overall,
        stages=tuple(stages),
        schedule=schedule,
        funded=funded,
        solver_name=SOLVER_NAME,
        solver_version=highs_version(),
        pulp_version=pulp_version(),
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        time_limit_seconds=time_limit,
        gap_setting=gap,
    )


def _extract(
    m: ModelHandles, solution: dict[Any, float] | None
) -> tuple[pd.DataFrame, dict[str, bool]]:
    if solution is None:
        return empty_schedule(), {}

    def val(var: Any) -> int:
        v = solution.get(var.name)
        return 0 if v is None else round(v)

    funded = {pid: val(g) == 1 for pid, g in m.go.items()}
    rows = []
    for p in m.plan.programs:
        pid = p.program_id
        for y in m.years_of(p):
            if (pid, y) in m.fixed:  # a re-plan's fixed year: the actuals
                amount, units = m.fixed[pid, y]
            elif p.payment_profile is not None:
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
    df = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
    df["units"] = df["units"].astype("Int64")
    return df, funded


def infeasible_result(plan: Plan) -> SolveResult:
    """The result for a plan found infeasible before solving (by the cheap checks)."""
    return SolveResult(
        status="infeasible",
        stages=(),
        schedule=empty_schedule(),
        funded={},
        solver_name=SOLVER_NAME,
        solver_version=highs_version(),
        pulp_version=pulp_version(),
        build_seconds=0.0,
        solve_seconds=0.0,
        time_limit_seconds=plan.solver.time_limit_seconds,
        gap_setting=plan.solver.gap,
    )


# ---------------------------------------------------------------------------------------------
# one solve of a given objective


def minimise(m: ModelHandles, objective: Any, time_limit: float) -> tuple[str, dict[Any, float]]:
    """Minimise ``objective`` once (used by the elastic re-solve); return status and the
    value of every slack, keyed by (family, index)."""
    m.prob.sense = pulp.LpMinimize
    try:
        solved = _run(m, objective, time_limit, 0.0)
    finally:
        m.prob.sense = pulp.LpMaximize
    if not solved.has_solution:
        return solved.status, {}
    return solved.status, {k: float(v.varValue or 0.0) for k, v in m.slacks.items()}


def find_feasible(m: ModelHandles, time_limit: float) -> str:
    """Whether any schedule satisfies the rows as they stand: ``optimal`` (yes),
    ``infeasible``, or a limit status."""
    status, _ = minimise(m, m.linear_sum([]), time_limit)
    return status


# ---------------------------------------------------------------------------------------------
# the LP with the integer decisions fixed, and its duals


@contextlib.contextmanager
def fixed_decisions(m: ModelHandles, decisions: Iterable[tuple[Any, float]]) -> Iterator[None]:
    """Fix each (variable, value) of ``decisions``; on exit restore their bounds, every
    priority hold's right-hand side and the objective."""
    fixed = list(decisions)
    saved_bounds = [(var, var.lowBound, var.upBound) for var, _ in fixed]
    saved_holds = {r: rhs(m, "priority_hold", (r,)) for r in m.rank_value}
    saved_objective = m.prob.objective
    try:
        for var, value in fixed:
            var.bounds(value, value)
        yield
    finally:
        for var, lo, up in saved_bounds:
            var.bounds(lo, up)
        for r, value in saved_holds.items():
            set_rhs(m, "priority_hold", (r,), value)
        if saved_objective is not None:
            m.prob.setObjective(saved_objective)


def solve_lp(m: ModelHandles, objective: Any, time_limit: float) -> str:
    """Maximise ``objective`` over the model with integrality ignored (HiGHS ``mip=False``)."""
    m.prob.setObjective(objective)
    solver = _QuietHiGHS(msg=False, mip=False, timeLimit=max(time_limit, 0.01), threads=1)
    stats = m.prob.solve(solver)
    return "optimal" if stats.status_str == "Optimal" and stats.has_solution else stats.status_str


@functools.cache
def _dual_signs() -> tuple[float, float]:
    """Factors turning the solver's row duals into ∂objective/∂rhs, for ≤ and ≥ rows.

    Found empirically on: maximise x + y subject to x + 2y ≤ 4, y ≥ 1 (optimum x = 2, y = 1),
    where ∂objective/∂rhs is +1 for the ≤ row and −1 for the ≥ row. HiGHS 1.x reports
    exactly these (factors 1, 1); the probe keeps the convention right if a solver flips it.
    """
    p = pulp.LpProblem("dual_sign_probe", pulp.LpMaximize)
    x = p.add_variable("x", 0, 10)
    y = p.add_variable("y", 0, 10)
    le = p.addConstraint(x + 2 * y <= 4, "le")
    ge = p.addConstraint(y >= 1, "ge")
    p.setObjective(x + y)
    p.solve(_QuietHiGHS(msg=False, mip=False, threads=1))
    le_pi, ge_pi = float(le.pi or 0.0), float(ge.pi or 0.0)
    if abs(abs(le_pi) - 1) > 1e-6 or abs(abs(ge_pi) - 1) > 1e-6:
        raise RuntimeError(f"unexpected duals from the sign probe: {le_pi}, {ge_pi}")
    return (1.0 if le_pi > 0 else -1.0), (1.0 if ge_pi < 0 else -1.0)


def shadow_price(m: ModelHandles, family: str, index: Index) -> float:
    """∂objective/∂rhs of row ``family[index]`` after :func:`solve_lp` (positive: a larger
    right-hand side raises the objective), whatever sign convention the solver uses."""
    constraint = m.constraints[(family, index)]
    le, ge = _dual_signs()
    factor = le if constraint.sense == pulp.LpConstraintLE else ge
    return factor * float(constraint.pi or 0.0)
