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

from allocator.constants import FAMILIES
from allocator.optim.model import Index, ModelHandles
from allocator.optim.pulp_import import pulp
from allocator.optim.result import (
    SCHEDULE_COLUMNS,
    VEHICLE_COLUMNS,
    Shortfall,
    SolveResult,
    StageReport,
    empty_schedule,
)
from allocator.optim.tiebreak import ensure_tiebreak
from allocator.plan.floors import floors_of, give_way_order
from allocator.plan.schema import Plan

FRACTIONAL_VALUE_GAP = 1e-4
"""Relative MIP gap for a rank whose value is fractional (explicit values that are not whole
per 億円): HiGHS cannot close the last 1e-7 of such objectives and would run to the time limit
(measured in bench/: gap 1e-6 still stalls, 1e-4 finishes). Integral ranks keep the gap asked
for (0 by default: exact)."""

LEVEL_GAP = 1e-3
"""Relative gap of the ``level`` tie-break (its value, the path's roughness, is fractional):
the schedule shown is proven within 0.1 % of the smoothest one by the LP bound of the stage
(:meth:`_RankEngine.solve_fixed`). Ranks and floors are not touched by it (they are held).
At 1e-4 the proof needed HiGHS's root cuts: 33.7 s on the benchmark's 300-program plan, against
0.2 s at 1e-3 (``bench/staged_vs_weighted.py --profile level --tiebreak fixed``)."""

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
    # PuLP 4's GapLimit is HiGHS's "objective bound/target reached": a limit we never set, and
    # nothing is proven when it is hit
    "GapLimit": "not_proven",
    "Interrupted": "interrupted",
}

COLUMN_CHECK_TOLERANCE = 1e-6
"""Relative difference allowed between the objective of the columns HiGHS returns and the
objective value HiGHS reports for them."""


@dataclass(frozen=True)
class StageSolve:
    """How one solve ended: status, whether a solution exists, its best bound (MIP), and
    whether the warm start had to be dropped (see :func:`_run`)."""

    status: str
    has_solution: bool
    best_bound: float | None
    retried_cold: bool = False


def _solver(
    time_left: float, gap: float, warm: bool, options: Mapping[str, Any] | None = None
) -> _QuietHiGHS:
    return _QuietHiGHS(
        msg=False,
        timeLimit=max(time_left, 0.01),
        gapRel=gap,
        threads=1,
        warmStart=warm,
        **dict(options or {}),
    )


FIX_TIEBREAK_ROUNDING = False
"""Whether the tie-break with the decisions fixed also fixes the contracts' payment-rounding
integers (``rounding`` of :func:`_decisions_fixed`); measured in docs/performance.md."""

TIEBREAK_OPTIONS: dict[str, Any] = {"mip_pool_soft_limit": 50}
"""HiGHS options for the tie-break stage. Its LP bound is tight from the root, but HiGHS spent
most of its time separating cuts there (about 940 at 1.9 % of GDP on the shipped plan, 5.3 s);
a smaller cut pool lets its heuristics find the near-optimal schedule sooner: 5.2 → 2.3 s at
1.9 %, 1.6 → 1.1 s at 1.8 %, unchanged at 2 % (0.13 s)."""


def _columns_match_highs(m: ModelHandles, stats: Any) -> bool:
    """Whether the objective of the columns HiGHS handed back equals the objective value
    HiGHS reports (``objective_function_value``)."""
    highs: Any = m.prob.solverModel
    reported = float(highs.getInfo().objective_function_value)
    got = stats.objective
    if got is None or not math.isfinite(reported):
        return False
    return abs(float(got) - reported) <= COLUMN_CHECK_TOLERANCE * max(1.0, abs(reported))


def _run(
    m: ModelHandles,
    objective: Any,
    time_left: float,
    gap: float,
    *,
    warm: bool = False,
    options: Mapping[str, Any] | None = None,
) -> StageSolve:
    """One HiGHS solve of ``objective`` (in the problem's sense) with the rows as they stand.

    With ``warm``, the variables' current values are passed as a MIP start. HiGHS 1.16 with a
    MIP start and presolve can stop at node 0 with status Optimal and the right objective value
    while handing back the START's columns, not the postsolved optimum (found for issue 9:
    presolve maps the start into the reduced model, where it scores as well as the dual bound).
    The columns are therefore checked against the objective value HiGHS reports, and on a
    mismatch the stage is solved again without the start, in the time that is left.
    """
    m.prob.setObjective(objective)
    t0 = time.perf_counter()
    stats = m.prob.solve(_solver(time_left, gap, warm, options))
    retried = False
    if warm and stats.has_solution and not _columns_match_highs(m, stats):
        retried = True
        left = time_left - (time.perf_counter() - t0)
        stats = m.prob.solve(_solver(left, gap, False, options))
    status = _STATUS.get(stats.status_str)
    if status is None:  # another limit (iterations, solutions, memory) or an undefined end
        status = "not_proven" if stats.has_solution else "no_solution"
    if status in ("time_limit", "optimal", "not_proven") and not stats.has_solution:
        status = "no_solution"
    if status == "optimal" and not _columns_match_highs(m, stats):
        status = "not_proven"  # the columns are not the optimum HiGHS reports
    return StageSolve(status, bool(stats.has_solution), stats.best_bound, retried)


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


def release_rank_holds(m: ModelHandles) -> None:
    """Release the rank holds only: the floors stay as the last solve left them (fixed at 0
    when every floor was met, held per group when they gave way)."""
    for rank in m.rank_value:
        set_rhs(m, "priority_hold", (rank,), 0)
    _release_tiebreak_hold(m)


def release_holds(m: ModelHandles) -> None:
    """Release every priority and floor hold, so the same model can be solved again (a cap
    sweep)."""
    for rank in m.rank_value:
        set_rhs(m, "priority_hold", (rank,), 0)
    _release_tiebreak_hold(m)
    for group, idle in m.floor_hold_idle.items():
        set_rhs(m, "floor_hold", (group,), idle)
    _fix_shortfalls(m, False)


TIEBREAK_HOLD = ("priority_hold", ("tiebreak",))
"""The row holding the tie-break's objective while the vehicles stage runs (plans with budget
vehicles): added at the first such stage, released (right-hand side −∞) by every new solve."""
FREE_RHS = -1e21
"""A right-hand side HiGHS reads as −∞ (beyond its infinite bound, 1e20)."""


def _hold_tiebreak(m: ModelHandles, objective: Any, value: float, integral: bool) -> None:
    """Hold the tie-break objective at ``value`` (less 0.5 for a whole-number objective, a
    relative 1e-7 otherwise), so the vehicles stage that follows cannot change the schedule's
    shape, only who pays."""
    if TIEBREAK_HOLD not in m.constraints:
        m.add(*TIEBREAK_HOLD, objective >= 0)
    const = float(getattr(objective, "constant", 0.0) or 0.0)
    slack = 0.5 if integral else 1e-7 * max(1.0, abs(value))
    set_rhs(m, *TIEBREAK_HOLD, value - const - slack)


def _release_tiebreak_hold(m: ModelHandles) -> None:
    if TIEBREAK_HOLD in m.constraints:
        set_rhs(m, *TIEBREAK_HOLD, FREE_RHS)


def set_rhs(m: ModelHandles, family: str, index: Index, value: float) -> None:
    """Set the right-hand side of row ``family[index]`` (``gdp_cap``, (2027,))."""
    m.constraints[(family, index)].changeRHS(value)


def rhs(m: ModelHandles, family: str, index: Index) -> float:
    """The right-hand side of row ``family[index]``."""
    return -float(m.constraints[(family, index)].constant)


# ---------------------------------------------------------------------------------------------
# the rank-stage engine ``fast`` (issue 14): each stage proven by an LP bound


ENGINES = ("fast", "plain")
"""``fast``: :class:`_RankEngine` solves the rank stages (and an earliness tie-break solved as a
full MIP); ``plain``: one PuLP-exported MIP per stage, HiGHS's own proof. Both prove every
stage to the same gap, so both reach the same rank values (tests/test_solve_engines.py)."""
DEFAULT_ENGINE = "fast"

LP_HOLD_SLACK = 1e-6
"""The LP copy holds a whole-valued rank at V* − 1e-6 (HiGHS's primal feasibility tolerance is
1e-7): the same integer schedules as the MIP's V* − 0.5, a tighter LP."""
FULL_MIP_OPTIONS: dict[str, Any] = {"mip_allow_restart": False}
"""HiGHS options for the engine's full-MIP fallback only. No restart: the fallback runs when the
LP bound is known and only a schedule reaching it is missing; a restart re-presolves and drops
the search so far (measured, synthetic plans, early tie-break as a full MIP, median of 3: 300
programs 2.69 → 1.61 s for the whole staged solve; 2,000 programs, 2 runs: 4.1 → 5.2 s)."""
RENS_WIDTHS = (0, 5, 50)
"""The tie-break's RENS boxes, each amount between the floor and the ceiling of its LP value
widened by this many 億円, tried in turn (each fails fast when it holds no schedule): on the
shipped plan at 1.5-2.5 % the plain box held no schedule at 8 of 14 caps and RINS took 0.2-3.3 s;
with the wider boxes the tie-break took 0.03-0.41 s at every cap (10.6 s → 1.7 s in all)."""
SUB_MIP_SHARE = 0.25
"""A sub-MIP may use at most this share of the stage's time left (and at least 1 s)."""


class _Goal:
    """Stops a MIP run as soon as its incumbent reaches ``target`` (the stage is then proven by
    the LP bound) or, for a sub-MIP (``give_up_below``), as soon as its own bound shows it
    cannot. Read by a cbMipInterrupt callback; ``target = None``: only Ctrl-C stops it."""

    def __init__(self) -> None:
        self.target: float | None = None
        self.give_up_below = False
        self.stopped = ""
        self.probe_at: float | None = None
        self.probed: float | None = None

    def __call__(self, event: Any) -> None:
        # HiGHS keeps the interrupt flag between runs of one Highs object: set it every time
        if _CTRL_C.is_set():
            event.interrupt(True)
            return
        if self.probe_at is not None and not self.stopped:
            # a probe: stop at HiGHS's first bound at or below the LP copy's (its root LP,
            # after presolve), and keep it
            bound = event.data_out.mip_dual_bound
            if math.isfinite(bound) and bound <= self.probe_at:
                self.stopped, self.probed = "probed", float(bound)
            event.interrupt(bool(self.stopped))
            return
        if self.target is not None and not self.stopped:
            out = event.data_out
            if out.mip_primal_bound >= self.target - 1e-9:
                self.stopped = "reached"
            elif self.give_up_below and out.mip_dual_bound < self.target - 1e-9:
                self.stopped = "unreachable"
        event.interrupt(bool(self.stopped) and self.target is not None)


def _new_highs(goal: _Goal | None) -> Any:
    import highspy

    with quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.cbMipInterrupt += goal if goal is not None else _interrupt_if_asked
    h.cbSimplexInterrupt += _interrupt_if_asked
    h.cbIpmInterrupt += _interrupt_if_asked
    return h


def _highs_run(h: Any, time_left: float) -> str:
    """Run ``h`` (Ctrl-C stops it); its model status as a short name (``kOptimal`` …)."""
    h.setOptionValue("time_limit", max(time_left, 0.01))
    with _ctrl_c_stops_highs():
        h.run()
    if _CTRL_C.is_set():
        _CTRL_C.clear()
        raise KeyboardInterrupt
    return str(h.getModelStatus()).split(".")[-1]


@dataclass
class EngineStep:
    """How the fast engine closed one stage (for bench/ and the tests)."""

    how: str
    """``incumbent``, ``sub_lp``, ``sub_rins`` (a schedule reached the LP bound) or ``full``."""
    lp_bound: float | None
    seconds: dict[str, float]


@dataclass
class _StageStart:
    """What a stage of the fast engine starts from (:meth:`_RankEngine._start`)."""

    t0: float
    time_left: float
    cost: Any
    status: str
    bound: float | None
    target: float | None
    xlp: Any
    seconds: dict[str, float]

    def left(self) -> float:
        return self.time_left - (time.perf_counter() - self.t0)

    def reached(self, x: Any | None) -> bool:
        return _reaches(self.cost, self.target, x)


def _reaches(cost: Any, target: float | None, x: Any | None) -> bool:
    """Whether schedule ``x`` is worth ``target`` under ``cost`` (then optimal, proven by the
    bound the target was derived from)."""
    return x is not None and target is not None and float(cost @ x) >= target - 1e-9


class _RankEngine:
    """The model as it stands, exported once to HiGHS as a MIP and a continuous copy (one
    column per PuLP variable, in :meth:`prob.variables` order; one row per constraint).

    A stage maximising V (rank values, earliness):

    1. **LP bound** U: the continuous copy, re-solved from the last basis (presolve off,
       primal simplex). Its holds are tighter than the MIP's (``LP_HOLD_SLACK``), so U bounds
       every integer schedule the MIP admits;
    2. a schedule reaching the target ``⌊U + 1e-6⌋`` (whole-valued V; HiGHS rounds its own
       bound with the same tolerance) or ``U/(1 + gap)`` is optimal: the incumbent (the last
       stage's schedule, which meets every hold), else two small MIPs — every ``go`` the LP
       leaves at 0 or 1 fixed there; then ``go`` fixed where the LP and the incumbent agree,
       warm-started — each stopped as soon as it reaches the target or cannot;
    3. a probe (:meth:`_probe`): the whole MIP until HiGHS's first bound at or below U (root
       LP and first cuts). A lower bound is a lower target, and the first small MIP is tried
       again at it;
    4. while U stands: ``go`` fixed only where the LP sets it to 1 (a wider small MIP);
    5. otherwise the full MIP, warm-started from the best schedule found, stopped as soon as it
       reaches the target, else run to HiGHS's own proof (or the time limit) as the plain
       solve does.

    Only row bounds (holds), costs and, inside a sub-MIP, column bounds change between runs.
    """

    def __init__(self, m: ModelHandles, variables: list[Any], *, tiebreak: bool = False) -> None:
        import highspy
        import numpy as np

        self.np = np
        inf = float(highspy.kHighsInf)
        self.inf = inf
        # the tie-break's rows (and the columns only they use), added to the model by an
        # earlier solve of it (a sweep), are left out: the rank stages solve the same model,
        # and reach the same schedule, on a reused model as on a fresh one
        # (``tiebreak=True``: the model as it stands, tie-break rows included, for
        # :meth:`solve_fixed`)
        tie_rows = {
            c.name
            for key, c in m.constraints.items()
            if not tiebreak and (FAMILIES[key[0]].kind == "tiebreak" or key == TIEBREAK_HOLD)
        }
        rows = []
        used: set[int] = set()
        tie_used: set[int] = set()
        for c in m.prob.constraints():
            if c.name in tie_rows:
                tie_used.update(v.id for v, _ in c.items())
            else:
                rows.append(c)
                used.update(v.id for v, _ in c.items())
        only_tie = tie_used - used
        self.all_variables = variables
        self.variables = [v for v in variables if v.id not in only_tie]
        variables = self.variables
        n = len(variables)
        self.n = n
        col = {v.id: j for j, v in enumerate(variables)}
        self.col = col
        self.lower = np.array([-inf if v.lowBound is None else v.lowBound for v in variables])
        self.upper = np.array([inf if v.upBound is None else v.upBound for v in variables])
        integer = np.array(
            [j for j, v in enumerate(variables) if v.cat == pulp.LpInteger], dtype=np.int32
        )
        self.is_int = np.zeros(n, dtype=bool)
        self.is_int[integer] = True
        starts: list[int] = []
        index: list[int] = []
        coefs: list[float] = []
        row_lower: list[float] = []
        row_upper: list[float] = []
        self.row: dict[str, int] = {}
        for i, c in enumerate(rows):
            starts.append(len(index))
            for v, a in c.items():
                if a != 0:
                    index.append(col[v.id])
                    coefs.append(float(a))
            lb, ub = c.getLb(), c.getUb()
            row_lower.append(-inf if lb is None else lb)
            row_upper.append(inf if ub is None else ub)
            self.row[c.name] = i
        self.goal = _Goal()
        h = _new_highs(self.goal)
        empty = np.zeros(0, dtype=np.int32)
        h.addCols(n, np.zeros(n), self.lower, self.upper, 0, empty, empty, np.zeros(0))
        if len(integer):
            kind = np.full(len(integer), highspy.HighsVarType.kInteger)
            h.changeColsIntegrality(len(integer), integer, kind)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.addRows(
            len(row_lower),
            np.array(row_lower, dtype=np.float64),
            np.array(row_upper, dtype=np.float64),
            len(index),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(coefs, dtype=np.float64),
        )
        lp = _new_highs(None)
        lp.passModel(h.getModel())
        self.every = np.arange(n, dtype=np.int32)
        lp.changeColsIntegrality(n, self.every, np.full(n, highspy.HighsVarType.kContinuous))
        self.h, self.lp = h, lp
        self.lp_warm = False
        self.go = np.array(sorted(col[v.id] for v in m.go.values()), dtype=np.int32)
        self.amounts = np.array(
            sorted(col[v.id] for v in m.amount.values() if getattr(v, "id", None) in col),
            dtype=np.int32,
        )
        self.steps: list[EngineStep] = []

    def cost(self, expr: Any) -> Any:
        c = self.np.zeros(self.n)
        for v, a in expr.items():
            c[self.col[v.id]] += float(a)
        return c

    def whole(self, cost: Any) -> bool:
        """Whether the objective has whole coefficients on integer columns only."""
        np = self.np
        return bool(np.all(cost == np.round(cost)) and np.all(self.is_int[cost != 0]))

    def hold(self, m: ModelHandles, row: Any, integral: bool, cost: Any | None) -> None:
        """Copy a ≥ row's right-hand side from the PuLP model (a rank or tie-break hold): the
        MIP as is, the LP at V* − 1e-6 when V is whole-valued (the row then reads V ≥ V* − ½)."""
        rhs_now = -float(row.constant)
        i = self.row[row.name]
        self.h.changeRowBounds(i, rhs_now, self.inf)
        tight = rhs_now
        if integral and cost is not None and self.whole(cost) and rhs_now > FREE_RHS / 2:
            tight = math.floor(rhs_now) + 1 - LP_HOLD_SLACK if rhs_now % 1 else rhs_now
        self.lp.changeRowBounds(i, tight, self.inf)

    def array(self, solution: Mapping[str, float]) -> Any:
        return self.np.array([solution.get(v.name, 0.0) for v in self.variables])

    def write(self, x: Any) -> None:
        """Put a schedule into the PuLP variables (the tie-break's own columns at 0)."""
        for var in self.all_variables:
            var.varValue = 0.0
        for var, value in zip(self.variables, x.tolist(), strict=True):
            var.varValue = value

    def _columns(self, status: str) -> Any | None:
        """The run's schedule, if it has one (optimal, or stopped with an incumbent)."""
        h = self.h
        if status == "kOptimal" or (
            status in ("kTimeLimit", "kInterrupt", "kSolutionLimit")
            and math.isfinite(h.getInfo().objective_function_value)
        ):
            return self.np.array(h.getSolution().col_value)
        return None

    def _columns_match(self, cost: Any, x: Any) -> bool:
        """Whether the columns score the objective value HiGHS reports for them."""
        reported = float(self.h.getInfo().objective_function_value)
        if not math.isfinite(reported):
            return False
        got = float(cost @ x)
        return abs(got - reported) <= COLUMN_CHECK_TOLERANCE * max(1.0, abs(reported))

    def _mip(
        self,
        cost: Any,
        gap: float,
        budget: float,
        *,
        fix: Any = None,
        fix_to: Any = None,
        warm: Any = None,
        target: float | None = None,
        give_up: bool = False,
        box: tuple[Any, Any] | None = None,
    ) -> tuple[str, Any | None, float]:
        """One MIP run: (status, schedule or None, HiGHS's dual bound). ``fix`` columns are
        held at ``fix_to``, or within ``box`` = (lower, upper) when given."""
        h, n, every = self.h, self.n, self.every
        h.changeColsCost(n, every, cost)
        h.setOptionValue("mip_rel_gap", gap)
        if fix is not None and len(fix):
            low, up = box if box is not None else (fix_to, fix_to)
            h.changeColsBounds(len(fix), fix, low, up)
        h.clearSolver()
        if warm is not None:
            h.setSolution(n, every, warm)
        self.goal.target, self.goal.give_up_below, self.goal.stopped = target, give_up, ""
        try:
            t0 = time.perf_counter()
            status = _highs_run(h, budget)
            x = self._columns(status)
            if warm is not None and x is not None and not self._columns_match(cost, x):
                # HiGHS 1.16 with a MIP start and presolve can end "Optimal" handing back the
                # start's columns (see _run): solve again without the start
                h.clearSolver()
                self.goal.stopped = ""
                status = _highs_run(h, budget - (time.perf_counter() - t0))
                x = self._columns(status)
            if x is not None and status == "kOptimal" and not self._columns_match(cost, x):
                status = "kNotProven"  # the columns are not the optimum HiGHS reports
            return status, x, float(h.getInfo().mip_dual_bound)
        finally:
            self.goal.target = None
            if fix is not None and len(fix):
                h.changeColsBounds(len(fix), fix, self.lower[fix], self.upper[fix])

    def _bound(
        self, objective: Any, integral: bool, gap: float, time_left: float
    ) -> tuple[Any, str, float | None, float | None, Any]:
        """The LP bound of a stage: (cost, LP status, bound U, target, LP columns). A schedule
        worth the target is optimal within the gap: ⌊U + 1e-6⌋ for an objective whole on
        integer columns (HiGHS rounds its own bound with the same tolerance), else U/(1 + gap)
        (U − gap·max(1, |U|) for U ≤ 0)."""
        cost = self.cost(objective)
        lp = self.lp
        lp.changeColsCost(self.n, self.every, cost)
        status = _highs_run(lp, time_left)
        if not self.lp_warm:  # from now on from the last basis (measured: 10x faster)
            lp.setOptionValue("presolve", "off")
            lp.setOptionValue("simplex_strategy", 4)
            self.lp_warm = True
        if status != "kOptimal":
            return cost, status, None, None, None
        bound = float(lp.getInfo().objective_function_value)
        target = self._target(bound, cost, integral, gap)
        return cost, status, bound, target, self.np.array(lp.getSolution().col_value)

    def _target(self, bound: float, cost: Any, integral: bool, gap: float) -> float:
        """The value that proves a schedule optimal within ``gap`` given the bound (see
        :meth:`_bound`)."""
        if integral and self.whole(cost):
            return float(math.floor(bound + max(1e-6, 1e-10 * abs(bound))))
        return bound / (1 + gap) if bound > 0 else bound - gap * max(1.0, abs(bound))

    def _start(
        self, objective: Any, integral: bool, gap: float, time_left: float
    ) -> _StageStart | None:
        """A stage begun: its clock, cost, LP bound and target (see :meth:`_bound`); None
        (recorded as a step) when the LP copy is infeasible."""
        t0 = time.perf_counter()
        cost, status, bound, target, xlp = self._bound(objective, integral, gap, time_left)
        seconds = {"lp": time.perf_counter() - t0}
        if status == "kInfeasible":
            self.steps.append(EngineStep("lp_infeasible", None, seconds))
            return None
        return _StageStart(t0, time_left, cost, status, bound, target, xlp, seconds)

    def _close(
        self,
        cost: Any,
        gap: float,
        time_left: float,
        best: Any | None,
        bound: float | None,
        target: float | None,
        seconds: dict[str, float],
        how: str,
        *,
        warm: bool,
        options: Mapping[str, Any],
    ) -> tuple[StageSolve, Any | None]:
        """End a stage: ``best`` if it reaches the target (proven by the LP bound), else the
        whole stage MIP (with ``options``, from ``best`` when ``warm``), stopped at the target
        or run to HiGHS's own proof or the time limit."""
        if _reaches(cost, target, best):
            self.steps.append(EngineStep(how, bound, seconds))
            return StageSolve("optimal", True, bound), best
        t1 = time.perf_counter()
        status, sol, dual = self._full(
            cost, gap, time_left, best if warm else None, target, options=options
        )
        seconds["full"] = time.perf_counter() - t1
        self.steps.append(EngineStep("full", bound, seconds))
        if status == "kInfeasible":
            return StageSolve("infeasible", False, None), None
        if sol is not None and (best is None or float(cost @ sol) >= float(cost @ best)):
            best = sol
        if best is None:
            return StageSolve("no_solution", False, None), None
        if _reaches(cost, target, best):
            return StageSolve("optimal", True, bound), best
        dual_ok = math.isfinite(dual)
        if status == "kOptimal":
            return StageSolve("optimal", True, dual if dual_ok else None), best
        ended = {"kInterrupt": "interrupted", "kNotProven": "not_proven"}.get(status, "time_limit")
        return StageSolve(ended, True, dual if dual_ok else bound), best

    def _better(self, cost: Any, sol: Any | None, best: Any | None) -> Any | None:
        if sol is not None and (best is None or float(cost @ sol) > float(cost @ best)):
            return sol
        return best

    def solve(
        self,
        objective: Any,
        integral: bool,
        gap: float,
        time_left: float,
        incumbent: Mapping[str, float] | None,
    ) -> tuple[StageSolve, Any | None]:
        """One stage (see the class doc): how it ended and the schedule (an array)."""
        np = self.np
        st = self._start(objective, integral, gap, time_left)
        if st is None:  # the LP copy is infeasible, so is the stage
            return StageSolve("infeasible", False, None), None
        cost, xlp, seconds, left = st.cost, st.xlp, st.seconds, st.left
        bound, target = st.bound, st.target

        def reached(x: Any | None) -> bool:  # the target may be lowered by the probe below
            return _reaches(cost, target, x)

        def fixed_go(kind: str, around: Any | None) -> tuple[Any, Any]:
            g = np.round(xlp[self.go])
            keep = np.abs(xlp[self.go] - g) < 1e-6
            if kind == "lp1":
                keep &= g == 1
            if around is not None:
                keep &= g == np.round(around[self.go])
            return self.go[keep], g[keep]

        best = None if incumbent is None else self.array(incumbent)
        how = "incumbent"

        def neighbourhoods(kinds: tuple[str, ...], suffix: str = "") -> None:
            """Small MIPs around the LP solution, each stopped at the target or as soon as
            its own bound shows the target is not in it."""
            nonlocal best, how
            for kind in kinds:
                if reached(best) or left() <= 0.01 or (kind == "rins" and best is None):
                    return
                t1 = time.perf_counter()
                fix, to = fixed_go(kind, best if kind == "rins" else None)
                _, sol, _ = self._mip(
                    cost,
                    gap,
                    min(left(), max(1.0, SUB_MIP_SHARE * left())),
                    fix=fix,
                    fix_to=to,
                    warm=best if kind == "rins" else None,
                    target=target,
                    give_up=True,
                )
                seconds[f"sub_{kind}{suffix}"] = time.perf_counter() - t1
                best = self._better(cost, sol, best)
                how = f"sub_{kind}{suffix}"

        if xlp is not None and not reached(best):
            neighbourhoods(("lp", "rins"))
        lowered = False
        if xlp is not None and bound is not None and not reached(best) and left() > 0.01:
            # HiGHS's presolve and root LP can be tighter than the LP copy (at 1,000 synthetic
            # programs ranks 3-6 have an LP bound 3 above their optimum, HiGHS's root LP none):
            # its first bound at or below ours, then the small MIPs aimed at the lower target
            t1 = time.perf_counter()
            probed = self._probe(cost, gap, left(), bound)
            seconds["probe"] = time.perf_counter() - t1
            if probed is not None and probed < bound:
                old, bound = target, probed
                target = self._target(bound, cost, integral, gap)
                lowered = target is not None and old is not None and target < old
                if lowered:
                    neighbourhoods(("lp",), "_probed")
        if xlp is not None and not lowered:
            # only go = 1 fixed (a wider neighbourhood): when the LP bound still stands (at 300
            # programs rank 4's is reached this way in 0.4 s, by the whole MIP in 1.0 s)
            neighbourhoods(("lp1",))
        return self._close(
            cost, gap, left(), best, bound, target, seconds, how,
            warm=True, options=FULL_MIP_OPTIONS,
        )  # fmt: skip

    def _probe(self, cost: Any, gap: float, budget: float, bound: float) -> float | None:
        """HiGHS's own first bound of the whole stage MIP at or below ``bound`` (after its
        presolve and root LP), or None."""
        h = self.h
        h.changeColsCost(self.n, self.every, cost)
        h.setOptionValue("mip_rel_gap", gap)
        h.clearSolver()
        self.goal.probe_at, self.goal.stopped, self.goal.probed = bound, "", None
        try:
            _highs_run(h, max(budget, 0.01))
            return self.goal.probed
        finally:
            self.goal.probe_at = None

    def _full(
        self,
        cost: Any,
        gap: float,
        budget: float,
        warm: Any | None,
        target: float | None,
        *,
        options: Mapping[str, Any] = FULL_MIP_OPTIONS,
    ) -> tuple[str, Any | None, float]:
        """The whole stage MIP with ``options`` (restored afterwards), from ``warm``."""
        with self._options(options):
            return self._mip(cost, gap, max(budget, 0.01), warm=warm, target=target)

    @contextlib.contextmanager
    def _options(self, options: Mapping[str, Any]) -> Iterator[None]:
        """The MIP's HiGHS ``options`` set, and put back as they were afterwards."""
        saved = {k: self.h.getOptionValue(k)[1] for k in options}
        for k, v in options.items():
            self.h.setOptionValue(k, v)
        try:
            yield
        finally:
            for k, v in saved.items():
                self.h.setOptionValue(k, v)

    def solve_fixed(
        self,
        objective: Any,
        integral: bool,
        gap: float,
        time_left: float,
        incumbent: Mapping[str, float] | None = None,
    ) -> tuple[StageSolve, Any | None]:
        """The tie-break with the integer decisions fixed (the engine exported with
        ``tiebreak=True`` after fixing them): no program is switched on or off, only whole
        億円 amounts (and a contract's rounding and vehicle splits) move. Every MIP of it runs
        with ``TIEBREAK_OPTIONS``.

        1. **LP bound** U of the continuous copy (the stage's exact relaxation);
        2. **RENS**: the MIP with every amount (``alloc``/``contract``: the money of a program
           in a year) boxed between the floor and the ceiling of its LP value, the other
           integers (a contract's rounding, vehicle splits) free — boxed too, they left no
           schedule on the shipped plan — stopped as soon as a schedule reaches the target
           (see :meth:`_bound`): such a schedule is optimal within the gap, proven by U; then
           the same with the box widened by ``RENS_WIDTHS`` 億円 on each side (5, then 50);
        3. **RINS**, when no box has such a schedule: the amounts on which the LP and
           ``incumbent`` (the last stage's schedule) agree fixed, the rest free (the incumbent
           is in it, so it always has a schedule); it took the shipped plan's tie-break from
           7-8 s to 0.7-3.9 s at 1.5-1.7 % (load 3), the widened boxes to 0.1-0.6 s;
        4. otherwise the whole stage MIP, stopped at the target or run to HiGHS's own proof.

        HiGHS alone spends most of this stage in its root cut loop before it finds its first
        schedule (33.7 s on the benchmark's 300-program plan; docs/performance.md).
        """
        with self._options(TIEBREAK_OPTIONS):
            return self._solve_fixed(objective, integral, gap, time_left, incumbent)

    def _solve_fixed(
        self,
        objective: Any,
        integral: bool,
        gap: float,
        time_left: float,
        incumbent: Mapping[str, float] | None,
    ) -> tuple[StageSolve, Any | None]:
        np = self.np
        st = self._start(objective, integral, gap, time_left)
        if st is None:  # the LP copy is infeasible, so is the stage
            return StageSolve("infeasible", False, None), None
        cost, target, xlp, seconds, left, reached = (
            st.cost, st.target, st.xlp, st.seconds, st.left, st.reached
        )  # fmt: skip

        best: Any = None
        how = "full"
        if xlp is not None:
            a = self.amounts
            free = a[self.is_int[a] & (self.lower[a] < self.upper[a])]
            low = np.maximum(np.floor(xlp[free] + 1e-9), self.lower[free])
            up = np.minimum(np.ceil(xlp[free] - 1e-9), self.upper[free])
            subs: list[tuple[str, Any, Any, Any]] = []
            for w in RENS_WIDTHS:
                box = (np.maximum(low - w, self.lower[free]), np.minimum(up + w, self.upper[free]))
                subs.append((f"rens{w}" if w else "rens", free, None, box))
            if incumbent is not None:
                inc = self.array(incumbent)
                same = free[np.abs(xlp[free] - inc[free]) < 0.5]
                subs.append(("rins", same, np.round(inc[same]), None))
            for kind, fix, to, box in subs:
                if reached(best) or left() <= 0.01:
                    break
                t1 = time.perf_counter()
                _, sol, _ = self._mip(
                    cost,
                    gap,
                    min(left(), max(1.0, SUB_MIP_SHARE * left())),
                    fix=fix,
                    fix_to=to,
                    box=box,
                    target=target,
                    give_up=True,
                )
                seconds[kind] = time.perf_counter() - t1
                best = self._better(cost, sol, best)
                how = kind
        return self._close(
            cost, gap, left(), best, st.bound, target, seconds, how, warm=False, options={}
        )


# ---------------------------------------------------------------------------------------------
# the strict-priority solve


@dataclass(frozen=True)
class _Spec:
    """One stage: maximise ``objective`` (a floor stage maximises −Σ shortfall)."""

    kind: str
    """``floors``, ``rank`` or ``tiebreak``."""
    key: int | None
    """The rank, the floor group (0: no rank), or None for the tie-break."""
    objective: Any
    integral: bool
    label: str
    options: Mapping[str, Any] | None = None
    name: str | None = None
    """A named stage after the tie-break: ``vehicles`` (pay from the default vehicles first)."""
    warm: bool = True
    """Start HiGHS from the last stage's schedule. Not for the tie-break with the decisions
    fixed: from the rank stage's schedule HiGHS took 1.0-1.3 s on the shipped plan's ``level``
    tie-break, from nothing 0.2 s (``bench/tiebreak_fixing.py``)."""
    gap: float | None = None
    """The stage's own relative gap (at least the run's): :data:`LEVEL_GAP` for ``level``."""
    fixed: bool = False
    """The tie-break with the integer decisions fixed: by the engine's
    :meth:`_RankEngine.solve_fixed` (LP bound, RENS) when an engine is given."""


class _Stages:
    """Runs stages one after another on one model: shared time limit, warm starts from the
    last good schedule, the stage reports, and the run's status."""

    def __init__(
        self,
        m: ModelHandles,
        time_limit: float,
        gap: float,
        progress: Callable[[str], None] | None,
        total: int,
    ) -> None:
        self.m = m
        self.time_limit = time_limit
        self.gap = gap
        self.progress = progress
        self.total = total
        self.start = time.perf_counter()
        self.reports: list[StageReport] = []
        self.last_good: dict[str, float] | None = None
        self.overall = "optimal"
        self.stopped = False
        """No schedule at all (infeasible or a limit before the first schedule)."""
        self.variables = m.prob.variables()

    def run(self, spec: _Spec, engine: _RankEngine | None = None) -> float | None:
        """Solve one stage (with ``engine``: by it, on the model as exported then); return its
        value (None when it found no schedule)."""
        t0 = time.perf_counter()
        time_left = self.time_limit - (t0 - self.start)
        rank = spec.key if spec.kind == "rank" else None
        group = spec.key if spec.kind == "floors" else None
        if time_left <= 0.01 and self.last_good is not None:
            self.reports.append(
                StageReport(
                    rank,
                    "skipped",
                    None,
                    None,
                    None,
                    0.0,
                    name=spec.name,
                    kind=spec.kind,
                    group=group,
                )
            )
            self.overall = "feasible"
            return None
        if self.progress is not None:
            self.progress(f"stage {len(self.reports) + 1}/{self.total}: {spec.label}")
        stage_gap = self.gap if spec.integral else max(self.gap, FRACTIONAL_VALUE_GAP)
        if spec.gap is not None:
            stage_gap = max(stage_gap, spec.gap)
        if engine is not None and spec.fixed:
            solved, x = engine.solve_fixed(
                spec.objective, spec.integral, stage_gap, time_left, self.last_good
            )
            if x is not None:
                engine.write(x)
        elif engine is not None:
            solved, x = engine.solve(
                spec.objective, spec.integral, stage_gap, time_left, self.last_good
            )
            if x is not None:
                engine.write(x)
        else:
            if self.last_good is not None and spec.warm:
                _restore(self.variables, self.last_good)  # the warm start: the last schedule
            solved = _run(
                self.m,
                spec.objective,
                time_left,
                stage_gap,
                warm=spec.warm and self.last_good is not None,
                options=spec.options,
            )
        seconds = time.perf_counter() - t0
        if solved.status in ("infeasible", "no_solution") or not solved.has_solution:
            self.reports.append(
                StageReport(
                    rank, solved.status, None, None, None, seconds, stage_gap,
                    name=spec.name, kind=spec.kind, group=group,
                )
            )  # fmt: skip
            if self.last_good is None:
                ended = solved.status
                self.overall = ended if ended in ("infeasible", "no_solution") else "no_solution"
                self.stopped = True
            else:
                self.overall = "feasible"
            return None
        value, bound, gap_now = _measure(spec.objective, solved, spec.integral)
        status = solved.status
        if status == "optimal" and gap_now > stage_gap * (1 + 1e-6) + 1e-9:
            status = "not_proven"  # never "optimal" further from the bound than asked
        if spec.kind == "floors":  # reported as the shortfall (minimised), not its negative
            value, bound = -value, -bound
        self.reports.append(
            StageReport(
                rank, status, value, bound, gap_now, seconds, stage_gap, solved.retried_cold,
                name=spec.name, kind=spec.kind, group=group,
            )
        )  # fmt: skip
        if status != "optimal":
            self.overall = "feasible"
        self.last_good = {v.name: float(v.varValue or 0.0) for v in self.variables}
        return value


def solve_lexicographic(
    m: ModelHandles,
    *,
    time_limit: float,
    gap: float,
    tolerance: float = 0.0,
    build_seconds: float = 0.0,
    progress: Callable[[str], None] | None = None,
    fix_tiebreak_decisions: bool = True,
    tiebreak: bool = True,
    engine: str = DEFAULT_ENGINE,
    fix_tiebreak_rounding: bool = FIX_TIEBREAK_ROUNDING,
) -> SolveResult:
    """The strict-priority solve: floors, ranks, then the tie-break. ``time_limit`` (seconds)
    is shared by all stages; ``progress`` receives one line as each stage starts.

    Stages (docs/model.md, *Objective*):

    1. with ``floors = "priority"``, the floors are first tried as hard rows (every shortfall
       fixed at 0) in rank 1's stage. Only if that has no plan do the floor stages run: one per
       give-way group, rank 1's floors first, then rank 2's, …, the floors of no rank last,
       each minimising its group's total shortfall and held there (``floor_hold[g]``);
    2. one stage per rank, maximising its value with the ranks above held
       (``priority_hold[k]``, less the tolerance);
    3. the tie-break (``plan.solver.profile``, :mod:`allocator.optim.tiebreak`), with every
       rank held at the value the schedule has then (no tolerance) and every floor group held.
       ``fix_tiebreak_decisions`` (the default) fixes the integer decisions (funded, units,
       started, finished) at the last rank stage's values for it: no rank or floor can change,
       only fewer schedules are looked at — on the shipped plan the ``level`` tie-break takes
       0.2 s that way, far longer as a full MIP. The ``reference`` tie-break (persistence) is
       always a full MIP: which programs are funded is part of staying closest to the approved
       run (on the shipped plan's re-plan: 21,400 億円 moved, against 154,840 with the
       decisions fixed). ``tiebreak=False`` leaves it out (the values are the same; for
       re-solves that need only the values).

    A stage is reported ``optimal`` only when its value (read from the schedule HiGHS returns)
    is within the stage's gap of its best bound; otherwise ``not_proven``. The rank values and
    shortfalls of the result are those of the final schedule.

    ``engine`` (:data:`ENGINES`): ``fast`` solves the rank stages, and a tie-break that is a
    full MIP on the same rows (``early`` with ``fix_tiebreak_decisions=False``), with
    :class:`_RankEngine` (an LP bound proves each stage); ``plain`` lets HiGHS prove every
    stage by branch and bound. The floor stages and a tie-break with the decisions fixed are
    solved the plain way by both.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: one of {', '.join(ENGINES)}")
    release_holds(m)
    ranks = sorted(m.rank_value)
    groups = [g for g in give_way_order(m.plan) if g in m.floor_groups]
    after = 1 + (tiebreak and m.vehicle_order is not None)  # the tie-break (and vehicles)
    run = _Stages(m, time_limit, gap, progress, total=len(ranks) + after)
    fast: _RankEngine | None = None

    def rank_spec(r: int) -> _Spec:
        return _Spec("rank", r, m.rank_value[r], m.rank_value_integral[r], f"rank {r}")

    def exported() -> _RankEngine | None:
        """The fast engine on the model as it stands now (floors fixed or held)."""
        nonlocal fast
        if engine == "fast" and fast is None:
            fast = _RankEngine(m, run.variables)
        return fast

    def hold(r: int, value: float, tol: float) -> None:
        hold_rank(m, r, value, tol)
        if fast is not None:
            row = m.constraints[("priority_hold", (r,))]
            fast.hold(m, row, m.rank_value_integral[r], fast.cost(m.rank_value[r]))

    first = 0
    if m.shortfall:
        _fix_shortfalls(m, True)  # every floor as a hard row first
        value = run.run(rank_spec(ranks[0]), exported())
        if value is None and run.stopped and run.overall == "infeasible":
            # no plan meets every floor: let them give way, rank 1's floors last
            _fix_shortfalls(m, False)
            run = _Stages(m, time_limit, gap, progress, total=len(groups) + len(ranks) + after)
            # the floor stages the plain way: by the engine (LP bound, sub-MIPs, warm-started
            # fallback) they took about as long or longer at 1.5-1.7 % on the shipped plan
            # (their LP bound is rarely reached: shortfalls are fractional in the LP)
            _floor_stages(m, run, groups)
            fast = None  # exported again with the floors held where they gave way
        else:
            first = 1
            if value is not None:
                hold(ranks[0], value, tolerance)
    if not run.stopped:
        for r in ranks[first:]:
            value = run.run(rank_spec(r), exported())
            if run.stopped:
                break
            if value is not None:
                hold(r, value, tolerance)
    if tiebreak and not run.stopped and run.last_good is not None:
        rows_before = len(m.constraints)
        objective, label, integral = ensure_tiebreak(m)
        last = run.last_good
        # the reference tie-break (persistence) may change which programs are funded to stay
        # closest to the approved run, so its decisions stay free: a full MIP
        fixed = last if fix_tiebreak_decisions and m.plan.solver.profile != "reference" else None
        # the fast engine only for a full tie-break MIP on the rows and columns it exported
        # (``early``; ``level`` and ``reference`` add their own)
        tie_engine = None
        if (
            fast is not None
            and fixed is None
            and len(m.constraints) == rows_before
            and all(v.id in fast.col for v, _ in objective.items())
        ):
            tie_engine = fast
        _hold_every_rank_at(m, last)
        if tie_engine is not None:
            for r in ranks:
                row = m.constraints[("priority_hold", (r,))]
                tie_engine.hold(m, row, m.rank_value_integral[r], tie_engine.cost(m.rank_value[r]))
        with _decisions_fixed(m, fixed, rounding=fix_tiebreak_rounding):
            if fast is not None and fixed is not None:
                # exported again: the tie-break's rows and columns, the decisions fixed
                tie_engine = _RankEngine(m, m.prob.variables(), tiebreak=True)
            value = run.run(
                _Spec(
                    "tiebreak",
                    None,
                    objective,
                    integral,
                    label,
                    TIEBREAK_OPTIONS,
                    warm=fixed is None,
                    gap=LEVEL_GAP if m.plan.solver.profile == "level" else None,
                    fixed=fixed is not None,
                ),
                tie_engine,
            )
            if m.vehicle_order is not None and value is not None and not run.stopped:
                # then: pay from the default vehicles first, the schedule held where it is
                _hold_tiebreak(m, objective, value, integral)
                with _schedule_fixed(m, run.last_good):
                    run.run(
                        _Spec("tiebreak", None, m.vehicle_order, True, "vehicles", name="vehicles")
                    )
    solution = run.last_good
    schedule, funded = _extract(m, solution)
    return SolveResult(
        vehicle_payments=_vehicle_payments(m, solution),
        status=run.overall,
        stages=tuple(run.reports),
        schedule=schedule,
        funded=funded,
        solver_name=SOLVER_NAME,
        solver_version=highs_version(),
        pulp_version=pulp_version(),
        build_seconds=build_seconds,
        solve_seconds=time.perf_counter() - run.start,
        time_limit_seconds=time_limit,
        gap_setting=gap,
        values=_rank_values_at(m, solution),
        shortfalls=_shortfalls_at(m, solution),
        floors_mode=m.plan.solver.floors,
    )


def _floor_stages(m: ModelHandles, run: _Stages, groups: list[int]) -> None:
    """One stage per give-way group, rank 1's floors first: minimise the group's shortfall and
    hold it there (``floor_hold[g]``: the shortfall is a whole number of 億円)."""
    for g in groups:
        total = m.linear_sum(m.shortfall[k] for k in m.floor_groups[g])
        what = f"floors of rank {g}" if g else "floors of no single rank"
        short = run.run(_Spec("floors", g, -1 * total, True, what))
        if run.stopped:
            return
        if short is not None:
            set_rhs(m, "floor_hold", (g,), round(short) + 0.5)


def least_shortfalls(
    m: ModelHandles, *, time_limit: float, gap: float = 0.0
) -> tuple[str, tuple[Shortfall, ...]]:
    """Only the floor stages of :func:`solve_lexicographic` (the model must have shortfall
    variables, ``floors = "priority"``): how far each floor falls short when they give way in
    reverse priority order. Returns the status (``optimal``, ``feasible`` after a limit,
    ``infeasible``: even with every floor given way there is no plan) and the shortfalls."""
    release_holds(m)
    groups = [g for g in give_way_order(m.plan) if g in m.floor_groups]
    run = _Stages(m, time_limit, gap, None, total=len(groups))
    if not groups:
        run.run(_Spec("floors", 0, m.linear_sum([]), True, "no floors"))
    _floor_stages(m, run, groups)
    return run.overall, _shortfalls_at(m, run.last_good)


def set_bounds(var: Any, low: float | None, high: float | None) -> None:
    """Set a variable's bounds (``None``: unbounded on that side)."""
    var.bounds(low, high)


@contextlib.contextmanager
def _decisions_fixed(
    m: ModelHandles, solution: Mapping[str, float] | None, *, rounding: bool = False
) -> Iterator[None]:
    """With ``solution``: fix every integer decision (``go``, ``units``, ``started``,
    ``finished``; with ``rounding`` also the contracts' payment-rounding integers, which pins
    every contract's amounts) at its value there, and restore the bounds afterwards; without:
    nothing."""
    if solution is None:
        yield
        return
    decisions = [
        *m.go.values(),
        *m.units.values(),
        *m.started.values(),
        *m.finished.values(),
        *(m.rounding if rounding else ()),
    ]
    with _held_at(decisions, solution):
        yield


@contextlib.contextmanager
def _held_at(variables: Iterable[Any], solution: Mapping[str, float]) -> Iterator[None]:
    """Fix each of ``variables`` at its value in ``solution`` (rounded: they are integers), and
    restore their bounds afterwards."""
    saved = [(v, v.lowBound, v.upBound) for v in variables]
    try:
        for v, _, _ in saved:
            value = float(round(solution.get(v.name, 0.0)))
            v.bounds(value, value)
        yield
    finally:
        for v, lo, up in saved:
            v.bounds(lo, up)


@contextlib.contextmanager
def _schedule_fixed(m: ModelHandles, solution: Mapping[str, float] | None) -> Iterator[None]:
    """With ``solution``: every integer column but the vehicle splits (``paid[p,y,v]``) fixed
    at its value there, bounds restored afterwards — the vehicles stage then chooses only who
    pays, on a schedule held exactly where the tie-break left it (holding the tie-break's
    value alone let the amounts move among equally smooth schedules, and HiGHS took 1.75 s to
    prove the vehicles stage on the shipped plan at 2.25 % of GDP)."""
    if solution is None:
        yield
        return
    splits = {id(v) for v in m.vehicle_pay.values()}
    held = [
        v
        for v in m.prob.variables()
        if v.cat == pulp.LpInteger and id(v) not in splits and v.lowBound != v.upBound
    ]
    with _held_at(held, solution):
        yield


def _fix_shortfalls(m: ModelHandles, hard: bool) -> None:
    """Fix every shortfall at 0 (``hard``) or free it again (0 … the floor's low)."""
    for key, var in m.shortfall.items():
        var.bounds(0, 0 if hard else m.shortfall_bound[key])


def _shortfalls_at(m: ModelHandles, solution: Mapping[str, float] | None) -> tuple[Shortfall, ...]:
    """The floors the schedule ``solution`` falls short of, in give-way order (the floors of
    no rank first, then the lowest rank's), each with the 億円 it reaches, read from the
    schedule (never from the shortfall variables)."""
    if solution is None:
        return ()
    out: list[Shortfall] = []
    for f in floors_of(m.plan):
        key = (f.family, (f.key,))
        row = m.constraints.get(key)
        if row is None:
            continue
        own = m.shortfall.get(key)
        skip = own.name if own is not None else None
        reached = m.floor_offset.get(key, 0) + sum(
            float(coef) * solution.get(var.name, 0.0)
            for var, coef in row.items()
            if var.name != skip
        )
        achieved = round(reached)
        if achieved < f.low:
            out.append(Shortfall(f, achieved, f.low - achieved))
    order = {g: i for i, g in enumerate(reversed(give_way_order(m.plan)))}
    return tuple(sorted(out, key=lambda s: order.get(s.floor.group, 0)))


def _measure(objective: Any, solved: StageSolve, integral: bool) -> tuple[float, float, float]:
    """(value, best bound, gap) of a maximisation stage, the value read from the columns.

    For an integral objective the bound is rounded down to a whole number (no integer schedule
    can exceed it), so a proven optimum has gap 0. The gap is |bound − value| / max(1, |value|),
    HiGHS's own relative gap for a maximisation.
    """
    value = expression_value(objective)
    bound = solved.best_bound if solved.best_bound is not None else value
    if integral:
        value = float(round(value))  # integral by construction: drop float noise
        bound = float(math.floor(bound + 1e-6))
    gap_now = max(0.0, bound - value) / max(1.0, abs(value))
    return value, float(bound), gap_now


def _value_at(expr: Any, solution: Mapping[str, float]) -> float:
    """Value of a model expression (a number, a variable or an affine expression) at a stored
    solution ``{variable name: value}``."""
    if isinstance(expr, int | float):
        return float(expr)
    if isinstance(expr, pulp.LpVariable):
        return solution.get(expr.name, 0.0)
    total = float(getattr(expr, "constant", 0.0) or 0.0)
    for var, coef in expr.items():
        total += float(coef) * solution.get(var.name, 0.0)
    return total


def _rank_values_at(m: ModelHandles, solution: Mapping[str, float] | None) -> dict[int, float]:
    """Each rank's value at ``solution`` (whole numbers for integral ranks)."""
    if solution is None:
        return {}
    out: dict[int, float] = {}
    for r, expr in sorted(m.rank_value.items()):
        v = _value_at(expr, solution)
        out[r] = float(round(v)) if m.rank_value_integral[r] else v
    return out


def _hold_every_rank_at(m: ModelHandles, solution: Mapping[str, float]) -> None:
    """Hold every rank at its value in ``solution``, without tolerance (before a tie-break)."""
    for r, v in _rank_values_at(m, solution).items():
        hold_rank(m, r, v, 0.0)


def _restore(variables: Iterable[Any], solution: Mapping[str, float]) -> None:
    """Put a stored solution back into the variables (the next warm start)."""
    for v in variables:
        v.varValue = solution.get(v.name, 0.0)


def _extract(
    m: ModelHandles, solution: Mapping[str, float] | None
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
        if p.is_contract:
            for y in sorted({*m.years_of(p), *m.payment_years_of(p)}):
                contract = None
                units = 0 if p.unit_cost_oku_yen is not None else None
                if (pid, y) in m.units:
                    units = val(m.units[pid, y])
                    contract = units * (p.unit_cost_oku_yen or 0)
                elif (pid, y) in m.alloc:
                    contract = val(m.alloc[pid, y])
                paid = round(_value_at(m.payment[pid, y], solution)) if (pid, y) in m.payment else 0
                if paid or contract:
                    rows.append((pid, y, paid, units, contract or 0))
            continue
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
                rows.append((pid, y, amount, units, amount))
    df = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
    df["units"] = df["units"].astype("Int64")
    return df, funded


def _vehicle_payments(m: ModelHandles, solution: dict[Any, float] | None) -> pd.DataFrame | None:
    """Who pays what, for a plan with vehicles (None for a plan without)."""
    if not m.plan.vehicles:
        return None
    rows = []
    if solution is not None:
        for (pid, y, v), expr in m.vehicle_pay.items():
            amount = round(_value_at(expr, solution))
            if amount:
                rows.append((pid, y, v, amount))
    return pd.DataFrame(rows, columns=VEHICLE_COLUMNS)


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


class LpChain:
    """The strict-priority chain of LPs of a model, exported once to HiGHS and re-solved with
    hot starts while right-hand sides move: stage k maximises V_k with ``priority_hold[j]``
    (j < k) at given values. Built inside :func:`fixed_decisions` (the integer decisions are
    fixed and the amounts continuous, as for :func:`solve_lp`); the model itself is not
    changed by it.

    Used to find how far a marginal rate holds (``allocator.optim.analysis``): one export, then
    each probe is a few warm-started simplex solves.
    """

    def __init__(self, m: ModelHandles, ranks: list[int], time_limit: float) -> None:
        solver = _QuietHiGHS(msg=False, mip=False, timeLimit=max(time_limit, 0.01), threads=1)
        m.prob.setObjective(m.linear_sum([]))
        with quiet_stdout():
            solver.createAndConfigureSolver(m.prob)
        solver.buildSolverModel(m.prob)
        highs: Any = m.prob.solverModel
        # re-solves change bounds and costs only: the simplex hot-starts from the last basis,
        # and presolve (which would discard it) only slows them down
        highs.setOptionValue("presolve", "off")
        self.highs = highs
        self.ranks = ranks
        columns = {v.name: j for j, v in enumerate(m.prob.exported_variables())}
        self.n = len(columns)
        self.row = {c.name: i for i, c in enumerate(m.prob.constraints())}
        self.m = m
        self.cost: dict[int, list[float]] = {}
        for k in ranks:
            cost = [0.0] * self.n
            for var, coef in m.rank_value[k].items():
                cost[columns[var.name]] += float(coef)
            self.cost[k] = cost
        self._index = list(range(self.n))

    def _row(self, family: str, index: Index) -> int:
        return self.row[self.m.constraints[(family, index)].name]

    def set_upper(self, family: str, index: Index, value: float) -> None:
        """The upper bound of a ≤ row (``gdp_cap``, (2027,))."""
        self.highs.changeRowBounds(self._row(family, index), -self._inf(), value)

    def _inf(self) -> float:
        import highspy

        return float(highspy.kHighsInf)

    def values(
        self,
        holds: Mapping[int, float],
        expect: Callable[[int, float], bool] | None = None,
    ) -> dict[int, float] | None:
        """Each rank's LP value, stage by stage, with rank j held at ``holds[j]`` (ranks after
        the first need the holds of every rank before them). None if a stage fails, or as soon
        as ``expect(rank, value)`` is false."""
        import numpy as np

        h = self.highs
        out: dict[int, float] = {}
        for i, k in enumerate(self.ranks):
            for j in self.ranks:
                lower = holds[j] if j in self.ranks[:i] else -self._inf()
                h.changeRowBounds(self._row("priority_hold", (j,)), lower, self._inf())
            h.changeColsCost(self.n, np.array(self._index, dtype=np.int32), np.array(self.cost[k]))
            with _ctrl_c_stops_highs():
                h.run()
            if str(h.getModelStatus()).split(".")[-1] not in ("kOptimal", "Optimal"):
                return None
            x = h.getSolution().col_value
            out[k] = float(sum(c * v for c, v in zip(self.cost[k], x, strict=True) if c))
            if expect is not None and not expect(k, out[k]):
                return None
        return out


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
