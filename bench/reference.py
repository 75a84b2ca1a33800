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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from allocator.optim.solve import quiet_stdout
from allocator.plan.contracts import contract_ceiling
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


class _Contracts:
    """Multi-year contracts, written from the plan (not from the allocator's model): for each
    contract column c (amount contracted in year t, or units × unit cost) its payments
    q_k = ⌊s_k c⌋ (k < K−1) and the rest in the last year, with c = ℓu + r (ℓ the pattern's
    least common denominator, 0 ≤ r < ℓ) so that only r is rounded; whole units whose shares
    are whole 億円 need no variable. Then the ceilings on new contracts and on obligations
    outstanding, and the contract window."""

    def __init__(self, plan: Plan, n_cols: int) -> None:
        self.plan = plan
        self.n_cols = n_cols
        self.upper: list[int] = []
        self.pay_prog: list[int] = []
        self.pay_year: list[int] = []
        self.pay_col: list[int] = []
        self.pay_coef: list[float] = []
        self.rounding: list[tuple[list[int], list[float], float, float]] = []
        self.parts: dict[tuple[int, int], list[tuple[list[int], list[float]]]] = {}
        self.decision: dict[tuple[int, int], tuple[int, float]] = {}

    def _col(self, upper: int) -> int:
        self.upper.append(upper)
        self.n_cols += 1
        return self.n_cols - 1

    def add(self, i: int, t: int, col: int, coef: float) -> None:
        p = self.plan.programs[i]
        pattern = p.contract_pattern
        assert pattern is not None
        self.decision[i, t] = (col, coef)
        c_ub = contract_ceiling(p, t, self.plan.last_year)
        unit = p.unit_cost_oku_yen
        lot = math.lcm(*(s.denominator for s in pattern))
        lots = rest = None
        if unit is None and lot > 1:
            lots, rest = self._col(c_ub // lot), self._col(lot - 1)
            self.rounding.append(([col, lots, rest], [1.0, -float(lot), -1.0], 0.0, 0.0))
        parts: list[tuple[list[int], list[float]]] = []
        for share in pattern[:-1]:
            n, d = share.numerator, share.denominator
            if n == 0:
                parts.append(([], []))
            elif unit is not None and (n * unit) % d == 0:
                parts.append(([col], [float(n * unit // d)]))
            elif lots is not None and rest is not None:
                if d == 1:
                    parts.append(([col], [float(n)]))
                    continue
                f = self._col(n * (lot - 1) // d)
                self.rounding.append(([f, rest], [float(d), -float(n)], -float(d - 1), 0.0))
                parts.append(([lots, f], [float(n * lot // d), 1.0]))
            else:
                q = self._col(n * c_ub // d)
                self.rounding.append(([q, col], [float(d), -float(n) * coef], -float(d - 1), 0.0))
                parts.append(([q], [1.0]))
        last_cols, last_vals = [col], [coef]
        for cols, vals in parts:
            last_cols += cols
            last_vals += [-v for v in vals]
        parts.append((last_cols, last_vals))
        self.parts[i, t] = parts
        for k, (cols, vals) in enumerate(parts):
            if t + k <= self.plan.last_year:
                for c, v in zip(cols, vals, strict=True):
                    self.pay_prog.append(i)
                    self.pay_year.append(t + k)
                    self.pay_col.append(c)
                    self.pay_coef.append(v)

    def rounding_rows(self, rows: _Rows) -> None:
        """One row per equality; two per floor (≤ and ≥, as PuLP writes them)."""
        inf = highspy.kHighsInf
        for cols, vals, lo, hi in self.rounding:
            c, v = np.array(cols, dtype=np.int64), np.array(vals)
            if lo == hi:
                rows.one(c, v, lo, hi)
            else:
                rows.one(c, v, -inf, hi)
                rows.one(c, v, lo, inf)

    def ceiling_rows(self, rows: _Rows) -> None:
        inf = highspy.kHighsInf
        c = self.plan.contracts
        years = self.plan.fiscal_years

        def row(terms: list[tuple[int, float]], lo: float, hi: float) -> None:
            if terms:
                cols, vals = zip(*terms, strict=True)
                rows.one(np.array(cols, dtype=np.int64), np.array(vals), lo, hi)

        if c.window_first_year is not None or c.window_last_year is not None:
            for y in years:
                if not c.in_window(y):
                    row([d for (i, t), d in self.decision.items() if t == y], -inf, 0.0)
        for y in years:
            ceiling = c.new_ceiling(y)
            if ceiling is None:
                continue
            terms = []
            for (i, t), (col, coef) in sorted(self.decision.items()):
                if t == y:
                    terms.append((col, coef))
                    if c.new_measure == "later_years":
                        cols, vals = self.parts[i, t][0]
                        terms += [(cc, -v) for cc, v in zip(cols, vals, strict=True)]
            row(terms, -inf, float(ceiling))
        for y in years:
            ceiling = c.outstanding_ceiling(y)
            if ceiling is None:
                continue
            earlier = sum(o.oku_yen for o in self.plan.obligations if o.fiscal_year > y)
            terms = []
            for (i, t), (col, coef) in sorted(self.decision.items()):
                if t > y:
                    continue
                terms.append((col, coef))
                for k, (cols, vals) in enumerate(self.parts[i, t]):
                    if t + k <= y:
                        terms += [(cc, -v) for cc, v in zip(cols, vals, strict=True)]
            row(terms, -inf, float(ceiling - earlier))


def build_reference(plan: Plan, *, time_limit: float, gap: float) -> RefModel:
    inf = highspy.kHighsInf
    progs = plan.programs
    if any(p.max_ramp_oku_yen is not None or p.predecessors for p in progs):
        raise NotImplementedError("the reference model has no ramps or predecessors")
    if plan.vehicles:
        raise NotImplementedError("the reference model has no budget vehicles")
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
    is_con = np.fromiter((p.is_contract for p in progs), bool, n)

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
    # a contract program's column is what it contracts in the year: its own per-year bound
    a_ub = col_upper[a_col].copy()
    for j in np.flatnonzero(is_con[a_prog]):
        p = progs[a_prog[j]]
        c_ub = contract_ceiling(p, int(a_year[j]), last_year)
        a_ub[j] = c_ub // p.unit_cost_oku_yen if p.unit_cost_oku_yen else c_ub
    col_upper[a_col] = a_ub
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
    # --- contracts: what each contract pays (payment_rounding), new columns after every
    # go/alloc column (as PuLP adds them after define_allocations)
    con = _Contracts(plan, n_cols)
    for j in np.flatnonzero(is_con[a_prog]):
        con.add(int(a_prog[j]), int(a_year[j]), int(a_col[j]), float(a_coef[j]))
    con.rounding_rows(rows)
    n_cols = con.n_cols
    col_lower = np.concatenate((col_lower, np.zeros(len(con.upper))))
    col_upper = np.concatenate((col_upper, np.array(con.upper, dtype=np.float64)))
    # payments (歳出): the decisions of programs without a pattern, the contracts' payments
    plain = ~is_con[e_prog]
    p_prog = np.concatenate((e_prog[plain], np.array(con.pay_prog, dtype=np.int64)))
    p_year = np.concatenate((e_year[plain], np.array(con.pay_year, dtype=np.int64)))
    p_col = np.concatenate((e_col[plain], np.array(con.pay_col, dtype=np.int64)))
    p_coef = np.concatenate((e_coef[plain], np.array(con.pay_coef, dtype=np.float64)))
    order = np.lexsort((p_year, p_prog))
    p_prog, p_year, p_col, p_coef = p_prog[order], p_year[order], p_col[order], p_coef[order]
    # what a program's range and value count: payments, or (basis = contract) its decisions
    by_contract = np.fromiter((p.basis == "contract" or not p.is_contract for p in progs), bool, n)
    keep_e, keep_p = by_contract[e_prog], ~by_contract[p_prog]
    b_prog = np.concatenate((e_prog[keep_e], p_prog[keep_p]))
    b_year = np.concatenate((e_year[keep_e], p_year[keep_p]))
    b_col = np.concatenate((e_col[keep_e], p_col[keep_p]))
    b_coef = np.concatenate((e_coef[keep_e], p_coef[keep_p]))
    order = np.lexsort((b_year, b_prog))
    b_prog, b_year, b_col, b_coef = b_prog[order], b_year[order], b_col[order], b_coef[order]
    # --- range_low (≥ max(low, 1)·go: funded means money), range_high, year_max: one block per
    # non-profile program, in program order
    if np.any(n_years[~is_prof] == 0):
        raise NotImplementedError("a program without years in the horizon")
    # (contract programs: their rows below, counting their basis)
    a_keep = ~is_con[a_prog]
    a_prog_all, a_col_all, a_coef_all, a_year_all = a_prog, a_col, a_coef, a_year
    a_prog, a_col, a_coef, a_k = a_prog[a_keep], a_col[a_keep], a_coef[a_keep], a_k[a_keep]
    n_alloc = np.where(is_con, 0, n_alloc)
    ranged = np.flatnonzero(~is_prof & ~is_con)
    block = np.where(is_prof | is_con, 0, 2 + n_alloc)
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
    for i in np.flatnonzero(is_con):
        mine = b_prog == i
        go = np.array([go_col[i]])
        cols, vals = b_col[mine], b_coef[mine]
        rows.one(np.concatenate((cols, go)), np.concatenate((vals, [-max(low[i], 1.0)])), 0.0, inf)
        rows.one(np.concatenate((cols, go)), np.concatenate((vals, [-high[i]])), -inf, 0.0)
        for j in np.flatnonzero(a_prog_all == i):
            c_ub = contract_ceiling(progs[i], int(a_year_all[j]), last_year)
            rows.one(
                np.array([a_col_all[j], go_col[i]]), np.array([a_coef_all[j], -c_ub]), -inf, 0.0
            )
    # --- mandatory
    for i in mandatory:
        rows.one(np.array([go_col[i]]), np.array([1.0]), 1.0, inf)

    entries = {  # what an aggregate of each basis counts (per program: all of it)
        "contract": (e_prog, e_year, e_col, e_coef),
        "payment": (p_prog, p_year, p_col, p_coef),
    }

    def bounded(
        basis: str,
        pick: Callable[[I64, I64], npt.NDArray[np.bool_]],
        lo: int | None,
        hi: int | None,
    ) -> None:
        g_prog, g_year, g_col, g_coef = entries[basis]
        mask = pick(g_prog, g_year)
        cols, vals = g_col[mask], g_coef[mask]
        if lo is not None and lo > 0:
            rows.one(cols, vals, float(lo), inf)
        if hi is not None:
            rows.one(cols, vals, -inf, float(hi))

    for a, ar_ in enumerate(plan.areas):
        if ar_.low_oku_yen is not None or ar_.high_oku_yen is not None:
            bounded(ar_.basis, lambda gp, _gy, a=a: area[gp] == a, ar_.low_oku_yen,
                    ar_.high_oku_yen)  # fmt: skip
    for k, ph in enumerate(plan.phases):
        if ph.low_oku_yen is not None or ph.high_oku_yen is not None:
            bounded(ph.basis, lambda gp, _gy, k=k: phase[gp] == k, ph.low_oku_yen,
                    ph.high_oku_yen)  # fmt: skip
    for b in plan.bounds:
        in_areas = [area_ids.index(x) for x in b.areas]

        def pick(gp: I64, gy: I64, b: Any = b, in_areas: list[int] = in_areas) -> Any:
            mask = (gy >= b.first_year) & (gy <= b.last_year)
            return mask & np.isin(area[gp], in_areas) if in_areas else mask

        bounded(b.basis, pick, b.low_oku_yen, b.high_oku_yen)
    # --- GDP cap (room less the obligations already owed) and fiscal caps: payments
    for y in plan.fiscal_years:
        mask = (p_year == y) & counts[p_prog]
        rows.one(p_col[mask], p_coef[mask], -inf, float(plan.cap_room(y)))
    f = plan.fiscal
    for y in plan.fiscal_years:
        ceiling = f.ceiling(y)
        if ceiling is not None:
            mask = p_year == y
            rows.one(p_col[mask], p_coef[mask], -inf, float(ceiling))
    if f.max_new_total_oku_yen is not None:
        rows.one(p_col, p_coef, -inf, float(f.max_new_total_oku_yen))
    if f.max_growth_ratio is not None:
        g = 1 + f.max_growth_ratio
        years = plan.fiscal_years
        for prev, y in itertools.pairwise(years):
            m1, m0 = p_year == y, p_year == prev
            rows.one(
                np.concatenate((p_col[m1], p_col[m0])),
                np.concatenate((p_coef[m1], -g * p_coef[m0])),
                -inf,
                0.0,
            )
    con.ceiling_rows(rows)

    # --- objectives: V[r] for each rank, then earliness
    rank_cost: dict[int, F64] = {}
    rank_integral: dict[int, bool] = {}
    has_value = ~np.isnan(value)
    for r in plan.ranks:
        c = np.zeros(n_cols)
        mine = rank[b_prog] == r.rank
        plain = mine & ~has_value[b_prog]
        np.add.at(c, b_col[plain], b_coef[plain])
        valued = mine & has_value[b_prog] & ~is_prof[b_prog]
        scale = value[b_prog[valued]] / high[b_prog[valued]]
        np.add.at(c, b_col[valued], scale * b_coef[valued])
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
    np.add.at(earliness, p_col, (last_year - p_year + 1) * p_coef)

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
