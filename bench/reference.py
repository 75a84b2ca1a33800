"""The allocator's lexicographic model written directly against highspy, from numpy arrays.

Independent of :mod:`allocator.optim.model` and PuLP: it reads the loaded :class:`Plan` and
builds the same columns in the same order (per program ``go[p]`` then ``alloc[p,y]`` or
``units[p,y]``), the same rows in the same order (ranges, per-year maxima, mandatory, area,
phase and aggregate bounds, GDP cap, fiscal caps, one idle hold row ``V[r] ≥ 0`` per rank) and
the same objectives (one per rank, then earliness), as one CSR matrix. It is solved stage by
stage like :func:`allocator.optim.solve.solve_lexicographic`: one ``Highs`` object, the
objective swapped with ``changeColsCost``, rank r's hold row raised to ``V*[r] − 0.5`` (integral
values) or ``V*[r] − 1e-7·max(1, |V*[r]|)`` after its stage, and ``clearSolver()`` before each
stage so that no state carries over; with ``warm_start`` (as the allocator does since its
solve.py of 2026-11-29 02:06) each stage after the first is handed the previous stage's
solution.

Ramps and predecessors are not written (the synthetic plans have none): a plan with them is
refused.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from allocator.optim.solve import quiet_stdout
from allocator.plan.schema import MULTI_PHASE, Plan

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass
class RefModel:
    highs: highspy.Highs
    n_cols: int
    n_rows: int
    n_nz: int
    rank_cost: dict[int, F64]
    rank_integral: dict[int, bool]
    hold_row: dict[int, int]
    earliness: F64
    go_cols: npt.NDArray[np.int64]


@dataclass
class RefStage:
    rank: int | None
    status: str
    value: float | None
    seconds: float


@dataclass
class RefResult:
    status: str
    stages: list[RefStage] = field(default_factory=list)

    def rank_values(self) -> dict[int, float]:
        return {s.rank: s.value for s in self.stages if s.rank is not None and s.value is not None}

    def earliness(self) -> float | None:
        return next((s.value for s in self.stages if s.rank is None), None)


class _Rows:
    """Triplets (row, col, value) and row bounds, appended family by family."""

    def __init__(self) -> None:
        self.n = 0
        self.rows: list[I64] = []
        self.cols: list[I64] = []
        self.vals: list[F64] = []
        self.lower: list[F64] = []
        self.upper: list[F64] = []

    def block(self, rows: I64, cols: I64, vals: F64, lower: F64, upper: F64) -> None:
        """Rows numbered 0..len(lower)-1 within the block."""
        self.rows.append(rows + self.n)
        self.cols.append(cols)
        self.vals.append(vals)
        self.lower.append(lower)
        self.upper.append(upper)
        self.n += len(lower)

    def one(self, cols: I64, vals: F64, lower: float, upper: float) -> None:
        self.block(
            np.zeros(len(cols), dtype=np.int64),
            cols,
            vals,
            np.array([lower]),
            np.array([upper]),
        )

    def csr(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], F64, F64, F64]:
        rows = np.concatenate(self.rows)
        cols = np.concatenate(self.cols)
        vals = np.concatenate(self.vals)
        # a fixed-profile program has one column (go) in several entries: add duplicates up
        key = rows * (int(cols.max(initial=0)) + 1) + cols
        order = np.argsort(key, kind="stable")
        key, rows, cols, vals = key[order], rows[order], cols[order], vals[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts_nz = np.flatnonzero(first)
        vals = np.add.reduceat(vals, starts_nz) if len(vals) else vals
        rows, cols = rows[starts_nz], cols[starts_nz]
        keep = vals != 0
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        counts = np.bincount(rows, minlength=self.n)
        starts = np.zeros(self.n, dtype=np.int32)
        starts[1:] = np.cumsum(counts)[:-1]
        return (
            starts,
            cols.astype(np.int32),
            vals.astype(np.float64),
            np.concatenate(self.lower),
            np.concatenate(self.upper),
        )


def build_reference(plan: Plan, *, time_limit: float, gap: float) -> RefModel:
    inf = highspy.kHighsInf
    progs = plan.programs
    if any(p.max_ramp_oku_yen is not None or p.predecessors for p in progs):
        raise NotImplementedError("the reference model has no ramps or predecessors")
    n = len(progs)
    first_year, last_year = plan.first_year, plan.last_year
    # --- one pass over the plan into per-program arrays
    first = np.fromiter((max(p.window_first_year, first_year) for p in progs), np.int64, n)
    last = np.fromiter((min(p.window_last_year, last_year) for p in progs), np.int64, n)
    is_prof = np.fromiter((p.payment_profile is not None for p in progs), bool, n)
    high = np.fromiter((p.high_oku_yen for p in progs), np.float64, n)
    low = np.fromiter((p.low_oku_yen for p in progs), np.float64, n)
    ub = np.fromiter(
        (
            p.high_oku_yen
            if p.max_per_year_oku_yen is None
            else min(p.high_oku_yen, p.max_per_year_oku_yen)
            for p in progs
        ),
        np.int64,
        n,
    )
    unit = np.fromiter((p.unit_cost_oku_yen or 0 for p in progs), np.int64, n)
    value = np.fromiter((np.nan if p.value is None else p.value for p in progs), np.float64, n)
    rank = np.fromiter((p.rank for p in progs), np.int64, n)
    area_ids = [a.id for a in plan.areas]
    area = np.fromiter((area_ids.index(p.area) for p in progs), np.int64, n)
    phase_ids = [ph.id for ph in plan.phases]
    phase = np.fromiter(
        (-1 if p.phase == MULTI_PHASE else phase_ids.index(p.phase) for p in progs), np.int64, n
    )
    counts = np.fromiter((plan.counts_toward_defense(p) for p in progs), bool, n)
    mandatory = np.flatnonzero(np.fromiter((p.mandatory for p in progs), bool, n))

    # --- columns: go[p], then alloc[p,y] / units[p,y] for y in the window (not for profiles)
    n_years = np.where(last >= first, last - first + 1, 0)
    n_alloc = np.where(is_prof, 0, n_years)
    go_col = np.arange(n) + np.concatenate(([0], np.cumsum(n_alloc)[:-1]))
    n_cols = n + int(n_alloc.sum())
    a_prog = np.repeat(np.arange(n), n_alloc)
    a_k = np.arange(len(a_prog)) - np.repeat(np.cumsum(n_alloc) - n_alloc, n_alloc)
    a_col = go_col[a_prog] + 1 + a_k
    a_year = first[a_prog] + a_k
    a_coef = np.where(unit[a_prog] > 0, unit[a_prog], 1).astype(np.float64)
    col_lower = np.zeros(n_cols)
    col_upper = np.ones(n_cols)
    col_upper[a_col] = np.where(
        unit[a_prog] > 0, ub[a_prog] // np.maximum(unit[a_prog], 1), ub[a_prog]
    )
    # amount entries: (program, year, column, coefficient); a profile's money is pay × go
    pp: list[int] = []
    py: list[int] = []
    pa: list[float] = []
    for i in np.flatnonzero(is_prof):
        for y, pay in progs[i].payment_profile or ():
            if first_year <= y <= last_year:
                pp.append(int(i))
                py.append(y)
                pa.append(float(pay))
    e_prog = np.concatenate((a_prog, np.array(pp, dtype=np.int64)))
    e_year = np.concatenate((a_year, np.array(py, dtype=np.int64)))
    e_col = np.concatenate((a_col, go_col[np.array(pp, dtype=np.int64)]))
    e_coef = np.concatenate((a_coef, np.array(pa)))
    order = np.lexsort((e_year, e_prog))  # program by program, year by year (as PuLP sums)
    e_prog, e_year, e_col, e_coef = e_prog[order], e_year[order], e_col[order], e_coef[order]

    rows = _Rows()
    # --- range_low (≥ max(low, 1)·go: funded means money), range_high, year_max: one block per
    # non-profile program, in program order
    if np.any(n_years[~is_prof] == 0):
        raise NotImplementedError("a program without years in the horizon")
    ranged = np.flatnonzero(~is_prof)
    block = np.where(is_prof, 0, 2 + n_alloc)
    start = np.concatenate(([0], np.cumsum(block)[:-1]))
    s_a = start[a_prog]
    r_rows = np.concatenate(
        (s_a, start[ranged], s_a + 1, start[ranged] + 1, s_a + 2 + a_k, s_a + 2 + a_k)
    )
    r_cols = np.concatenate((a_col, go_col[ranged], a_col, go_col[ranged], a_col, go_col[a_prog]))
    r_vals = np.concatenate(
        (
            a_coef,
            -np.maximum(low[ranged], 1.0),
            a_coef,
            -high[ranged],
            a_coef,
            -ub[a_prog].astype(np.float64),
        )
    )
    nb = int(block.sum())
    lower = np.full(nb, -inf)
    upper = np.zeros(nb)
    lower[start[ranged]] = 0.0
    upper[start[ranged]] = inf
    rows.block(r_rows, r_cols, r_vals, lower, upper)
    # --- mandatory
    for i in mandatory:
        rows.one(np.array([go_col[i]]), np.array([1.0]), 1.0, inf)

    def bounded(mask: npt.NDArray[np.bool_], lo: int | None, hi: int | None) -> None:
        cols, vals = e_col[mask], e_coef[mask]
        if lo is not None and lo > 0:
            rows.one(cols, vals, float(lo), inf)
        if hi is not None:
            rows.one(cols, vals, -inf, float(hi))

    for a, ar_ in enumerate(plan.areas):
        if ar_.low_oku_yen is not None or ar_.high_oku_yen is not None:
            bounded(area[e_prog] == a, ar_.low_oku_yen, ar_.high_oku_yen)
    for k, ph in enumerate(plan.phases):
        if ph.low_oku_yen is not None or ph.high_oku_yen is not None:
            bounded(phase[e_prog] == k, ph.low_oku_yen, ph.high_oku_yen)
    for b in plan.bounds:
        mask = (e_year >= b.first_year) & (e_year <= b.last_year)
        if b.areas:
            mask &= np.isin(area[e_prog], [area_ids.index(x) for x in b.areas])
        bounded(mask, b.low_oku_yen, b.high_oku_yen)
    # --- GDP cap and fiscal caps
    for y in plan.fiscal_years:
        room = plan.cap_oku_yen(y) - plan.baseline(y)
        mask = (e_year == y) & counts[e_prog]
        rows.one(e_col[mask], e_coef[mask], -inf, float(room))
    f = plan.fiscal
    for y in plan.fiscal_years:
        ceiling = f.ceiling(y)
        if ceiling is not None:
            mask = e_year == y
            rows.one(e_col[mask], e_coef[mask], -inf, float(ceiling))
    if f.max_new_total_oku_yen is not None:
        rows.one(e_col, e_coef, -inf, float(f.max_new_total_oku_yen))
    if f.max_growth_ratio is not None:
        g = 1 + f.max_growth_ratio
        years = plan.fiscal_years
        for prev, y in itertools.pairwise(years):
            m1, m0 = e_year == y, e_year == prev
            rows.one(
                np.concatenate((e_col[m1], e_col[m0])),
                np.concatenate((e_coef[m1], -g * e_coef[m0])),
                -inf,
                0.0,
            )

    # --- objectives: V[r] for each rank, then earliness
    rank_cost: dict[int, F64] = {}
    rank_integral: dict[int, bool] = {}
    has_value = ~np.isnan(value)
    for r in plan.ranks:
        c = np.zeros(n_cols)
        mine = rank[e_prog] == r.rank
        plain = mine & ~has_value[e_prog]
        np.add.at(c, e_col[plain], e_coef[plain])
        valued = mine & has_value[e_prog] & ~is_prof[e_prog]
        scale = value[e_prog[valued]] / high[e_prog[valued]]
        np.add.at(c, e_col[valued], scale * e_coef[valued])
        vp = np.flatnonzero((rank == r.rank) & has_value & is_prof)
        np.add.at(c, go_col[vp], value[vp])
        rank_cost[r.rank] = c
        in_rank = rank == r.rank
        rank_integral[r.rank] = bool(
            np.all(~has_value[in_rank] | (is_prof[in_rank] & (value[in_rank] % 1 == 0)))
        )
    hold_row: dict[int, int] = {}
    for r in plan.ranks:  # V[r] ≥ 0: idle until the stage loop raises it to V*[r]
        hold_row[r.rank] = rows.n
        nz = np.flatnonzero(rank_cost[r.rank])
        rows.one(nz, rank_cost[r.rank][nz], 0.0, inf)
    earliness = np.zeros(n_cols)
    np.add.at(earliness, e_col, (last_year - e_year + 1) * e_coef)

    starts, index, coef, row_lower, row_upper = rows.csr()
    with quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit))
    empty = np.zeros(0, dtype=np.int32)
    h.addCols(n_cols, np.zeros(n_cols), col_lower, col_upper, 0, empty, empty, np.zeros(0))
    h.changeColsIntegrality(
        n_cols,
        np.arange(n_cols, dtype=np.int32),
        np.full(n_cols, highspy.HighsVarType.kInteger),
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.addRows(rows.n, row_lower, row_upper, len(index), starts, index, coef)
    return RefModel(
        h, n_cols, rows.n, len(index), rank_cost, rank_integral, hold_row, earliness, go_col
    )


_OK = {highspy.HighsModelStatus.kOptimal}
_STOPPED = {
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kInterrupt,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kIterationLimit,
}


def _columns_match(h: Any, cost: F64, reported: float) -> bool:
    """The returned columns score what HiGHS reports for them."""
    x = np.asarray(h.getSolution().col_value)
    return abs(float(cost @ x) - reported) <= 1e-6 * max(1.0, abs(reported))


def _within_gap(h: Any, value: float, integral: bool) -> bool:
    """The value read from the columns is within the gap asked for of HiGHS's dual bound."""
    bound = h.getInfo().mip_dual_bound
    if not math.isfinite(bound):
        return True  # an LP, or no bound reported: HiGHS's own status stands
    if integral:
        value, bound = round(value), math.floor(bound + 1e-6)
    gap = max(0.0, bound - value) / max(1.0, abs(value))
    asked = h.getOptionValue("mip_rel_gap")
    asked = asked[1] if isinstance(asked, tuple) else asked  # (status, value) in highspy 1.x
    return gap <= float(asked) * (1 + 1e-6) + 1e-9


def solve_reference(
    ref: RefModel,
    *,
    time_limit: float,
    tolerance: float = 0.0,
    warm_start: bool = False,
    integral_abs_gap: float | None = None,
) -> RefResult:
    """Rank by rank, then earliness; ``time_limit`` is shared by all stages.

    The defaults solve like the allocator. ``warm_start`` hands each stage the previous stage's
    solution as a starting incumbent (it satisfies every hold row); ``integral_abs_gap`` sets
    ``mip_abs_gap`` for stages whose objective is integral on integral solutions (a gap below 1
    then still proves optimality). Both are for ``bench/solver_options.py``.
    """
    h = ref.highs
    start = time.perf_counter()
    out = RefResult(status="optimal")
    all_cols = np.arange(ref.n_cols, dtype=np.int32)
    stages: list[tuple[int | None, F64]] = [(r, ref.rank_cost[r]) for r in sorted(ref.rank_cost)]
    stages.append((None, ref.earliness))
    have_solution = False
    x: F64 | None = None
    for rank, cost in stages:
        t0 = time.perf_counter()
        left = time_limit - (t0 - start)
        if left <= 0.01 and have_solution:
            out.stages.append(RefStage(rank, "skipped", None, 0.0))
            out.status = "feasible"
            continue
        h.setOptionValue("time_limit", max(left, 0.01))
        h.changeColsCost(ref.n_cols, all_cols, cost)
        if integral_abs_gap is not None:
            integral = rank is None or ref.rank_integral[rank]
            h.setOptionValue("mip_abs_gap", integral_abs_gap if integral else 1e-6)
        h.clearSolver()
        if warm_start and x is not None:
            start_sol = highspy.HighsSolution()
            start_sol.col_value = list(x)
            h.setSolution(start_sol)
        h.run()
        status = h.getModelStatus()
        obj = h.getInfo().objective_function_value
        solved = status in _OK or (status in _STOPPED and math.isfinite(obj))
        if solved and warm_start and x is not None and not _columns_match(h, cost, obj):
            # HiGHS 1.16 with a MIP start and presolve may report the optimum's value while
            # handing back the start's columns (issue 9): solve again without the start
            h.setOptionValue("time_limit", max(left - (time.perf_counter() - t0), 0.01))
            h.clearSolver()
            h.run()
            status = h.getModelStatus()
            obj = h.getInfo().objective_function_value
            solved = status in _OK or (status in _STOPPED and math.isfinite(obj))
        seconds = time.perf_counter() - t0
        if not solved:
            name = "infeasible" if status == highspy.HighsModelStatus.kInfeasible else str(status)
            out.stages.append(RefStage(rank, name, None, seconds))
            out.status = name if not have_solution else "feasible"
            if not have_solution:
                break
            continue
        have_solution = True
        x = np.asarray(h.getSolution().col_value)
        v = float(cost @ x)
        proven = status in _OK and _within_gap(h, v, rank is None or ref.rank_integral[rank])
        out.stages.append(RefStage(rank, "optimal" if proven else "time_limit", v, seconds))
        if not proven:
            out.status = "feasible"
        if rank is not None:
            if ref.rank_integral[rank]:
                rhs = round(v) - math.floor(tolerance) - 0.5
            else:
                rhs = v - tolerance - 1e-7 * max(1.0, abs(v))
            h.changeRowBounds(ref.hold_row[rank], rhs, highspy.kHighsInf)
    return out
