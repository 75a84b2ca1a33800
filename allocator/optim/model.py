"""Build the integer program from a checked :class:`~allocator.schema.Plan`.

One ``define_<family>()`` per constraint family, called in order by :func:`build_model`. Each
returns early when its input is empty. Variables and constraints are named after their family
and index (``alloc[A01,2026]``, ``gdp_cap[2027]``), and every constraint is recorded in
``ModelHandles.rows`` as ``(family, index)`` so that explanations and duals map back to the
plan's own words. The mathematics is written down in ``docs/model.md``.

Only this module and :mod:`allocator.optim.solve` import PuLP.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pulp

from allocator.plan.schema import MULTI_PHASE, Plan, Program

Index = tuple[Any, ...]


@dataclass
class ModelHandles:
    """The PuLP problem and the handles the solving and reporting layers need."""

    plan: Plan
    prob: pulp.LpProblem
    go: dict[str, Any] = field(default_factory=dict)
    """go[p]: 1 if program p is funded (binary)."""
    alloc: dict[tuple[str, int], Any] = field(default_factory=dict)
    """alloc[p, y]: integer 億円 of program p in fiscal year y (not for fixed profiles)."""
    units: dict[tuple[str, int], Any] = field(default_factory=dict)
    """units[p, y]: whole units bought in year y (programs with a unit cost)."""
    amount: dict[tuple[str, int], Any] = field(default_factory=dict)
    """amount[p, y]: the money of p in y as an expression, whatever its kind."""
    started: dict[tuple[str, int], Any] = field(default_factory=dict)
    finished: dict[tuple[str, int], Any] = field(default_factory=dict)
    rows: dict[str, tuple[str, Index]] = field(default_factory=dict)
    """PuLP constraint name -> (family, index)."""
    constraints: dict[tuple[str, Index], Any] = field(default_factory=dict)
    rank_value: dict[int, Any] = field(default_factory=dict)
    rank_value_integral: dict[int, bool] = field(default_factory=dict)
    earliness: Any = None
    elastic: frozenset[str] = frozenset()
    """Families whose constraints get a penalised slack (for explaining infeasibility)."""
    slacks: dict[tuple[str, Index], Any] = field(default_factory=dict)

    def add(self, family: str, index: Index, constraint: Any) -> Any:
        """Add ``constraint`` named ``family[index]`` and record it.

        When ``family`` is elastic the constraint gets a slack ``slack[family,index] ≥ 0`` that
        loosens it (≤ rows: lhs − slack ≤ rhs; ≥ rows: lhs + slack ≥ rhs).
        """
        name = f"{family}[{','.join(str(i) for i in index)}]"
        c = self.prob.addConstraint(constraint, name)
        if family in self.elastic:
            s = self.prob.add_variable(f"slack[{family},{','.join(map(str, index))}]", 0)
            c[s] = 1 if c.sense == pulp.LpConstraintGE else -1
            self.slacks[(family, index)] = s
        self.rows[c.name] = (family, index)
        self.constraints[(family, index)] = c
        return c

    def years_of(self, p: Program) -> list[int]:
        return [y for y in p.window if (p.program_id, y) in self.amount]

    def total(self, p: Program) -> Any:
        return pulp.lpSum(self.amount[p.program_id, y] for y in self.years_of(p))


def build_model(plan: Plan, elastic: frozenset[str] = frozenset()) -> ModelHandles:
    """Build the whole model (without an objective: the solver sets one per priority stage).

    ``elastic`` names constraint families that get a slack (see :mod:`allocator.optim.diagnose`).
    """
    m = ModelHandles(
        plan=plan, prob=pulp.LpProblem(f"allocate_{plan.name}", pulp.LpMaximize), elastic=elastic
    )
    define_allocations(m)
    define_program_ranges(m)
    define_mandatory(m)
    define_ramps(m)
    define_precedence(m)
    define_area_bounds(m)
    define_phase_bounds(m)
    define_aggregate_bounds(m)
    define_gdp_cap(m)
    define_fiscal_caps(m)
    define_priorities(m)
    return m


def _year_ub(p: Program) -> int:
    ub = p.high_oku_yen
    if p.max_per_year_oku_yen is not None:
        ub = min(ub, p.max_per_year_oku_yen)
    return ub


def define_allocations(m: ModelHandles) -> None:
    """Variables: go[p] binary; alloc[p,y] or units[p,y] integer, only inside p's window.

    A fixed payment profile has no allocation variable: its money is profile[y] × go[p].
    """
    horizon = set(m.plan.fiscal_years)
    for p in m.plan.programs:
        pid = p.program_id
        m.go[pid] = m.prob.add_variable(f"go[{pid}]", 0, 1, cat="Binary")
        years = [y for y in p.window if y in horizon]
        if p.payment_profile is not None:
            for y, pay in p.payment_profile:
                if y in horizon:
                    m.amount[pid, y] = pay * m.go[pid]
            continue
        ub = _year_ub(p)
        for y in years:
            if p.unit_cost_oku_yen is not None:
                n = ub // p.unit_cost_oku_yen
                u = m.prob.add_variable(f"units[{pid},{y}]", 0, n, cat="Integer")
                m.units[pid, y] = u
                m.amount[pid, y] = p.unit_cost_oku_yen * u
            else:
                x = m.prob.add_variable(f"alloc[{pid},{y}]", 0, ub, cat="Integer")
                m.alloc[pid, y] = x
                m.amount[pid, y] = x


def define_program_ranges(m: ModelHandles) -> None:
    """low[p]·go[p] ≤ Σ_y amount[p,y] ≤ high[p]·go[p]; amount[p,y] ≤ min(high, max/yr)·go[p]."""
    for p in m.plan.programs:
        if p.payment_profile is not None:
            continue  # all or nothing by construction
        pid, go = p.program_id, m.go[p.program_id]
        years = m.years_of(p)
        if not years:
            m.add("no_window", (pid,), go == 0)
            continue
        total = m.total(p)
        # a funded program receives at least 1 億円 even when its low is 0: "funded" means money
        m.add("range_low", (pid,), total >= max(p.low_oku_yen, 1) * go)
        m.add("range_high", (pid,), total <= p.high_oku_yen * go)
        ub = _year_ub(p)
        for y in years:
            m.add("year_max", (pid, y), m.amount[pid, y] <= ub * go)


def define_mandatory(m: ModelHandles) -> None:
    """go[p] = 1 for every mandatory program."""
    for p in m.plan.programs:
        if p.mandatory:
            m.add("mandatory", (p.program_id,), m.go[p.program_id] >= 1)


def define_ramps(m: ModelHandles) -> None:
    """amount[p,y] − amount[p,y−1] ≤ ramp[p] (amount before the window counts as 0)."""
    for p in m.plan.programs:
        if p.max_ramp_oku_yen is None or p.payment_profile is not None:
            continue
        prev: Any = 0
        for y in m.years_of(p):
            m.add("ramp", (p.program_id, y), m.amount[p.program_id, y] - prev <= p.max_ramp_oku_yen)
            prev = m.amount[p.program_id, y]


def define_precedence(m: ModelHandles) -> None:
    """A successor may be funded only if its predecessor is, and pays nothing before the
    predecessor's first payment year ("start") or after-or-in its last one ("finish").

    started[q,y] = 1 once q has paid in some year ≤ y; finished[q,y] = 1 only if q pays nothing
    after y. A successor s pays in y only if started[q,y] (start) or finished[q,y−1] (finish).
    """
    links = [(p, q) for p in m.plan.programs for q in p.predecessors]
    if not links:
        return
    years = m.plan.fiscal_years
    by_id = {p.program_id: p for p in m.plan.programs}

    def big(pid: str) -> int:
        p = by_id[pid]
        if p.payment_profile is not None:
            return max((a for _, a in p.payment_profile), default=0) or 1
        return max(_year_ub(p), 1)

    def started(qid: str) -> dict[int, Any]:
        if (qid, years[0]) not in m.started:
            for i, y in enumerate(years):
                s = m.prob.add_variable(f"started[{qid},{y}]", 0, 1, cat="Binary")
                m.started[qid, y] = s
                if i:
                    m.add("started_monotone", (qid, y), s >= m.started[qid, years[i - 1]])
            q = by_id[qid]
            for y in years:
                # started[q,y] ≤ Σ_{t ≤ y} amount[q,t] (cannot be "started" with nothing paid)
                paid = pulp.lpSum(m.amount[qid, t] for t in m.years_of(q) if t <= y)
                m.add("started_def", (qid, y), m.started[qid, y] <= paid)
        return {y: m.started[qid, y] for y in years}

    def finished(qid: str) -> dict[int, Any]:
        if (qid, years[0]) not in m.finished:
            q = by_id[qid]
            for y in years:
                f = m.prob.add_variable(f"finished[{qid},{y}]", 0, 1, cat="Binary")
                m.finished[qid, y] = f
                for t in m.years_of(q):
                    if t > y:
                        m.add("finished_def", (qid, y, t), m.amount[qid, t] <= big(qid) * (1 - f))
        return {y: m.finished[qid, y] for y in years}

    for s, link in links:
        sid, qid = s.program_id, link.program_id
        m.add("needs_funded", (sid, qid), m.go[sid] <= m.go[qid])
        gate = started(qid) if link.kind == "start" else finished(qid)
        for y in m.years_of(s):
            allowed: Any = gate[y] if link.kind == "start" else gate.get(y - 1, 0)
            m.add(f"after_{link.kind}", (sid, qid, y), m.amount[sid, y] <= big(sid) * allowed)


def _bounded_sum(
    m: ModelHandles, family: str, key: str, expr: Any, low: int | None, high: int | None
) -> None:
    if low is not None and low > 0:
        m.add(f"{family}_low", (key,), expr >= low)
    if high is not None:
        m.add(f"{family}_high", (key,), expr <= high)


def define_area_bounds(m: ModelHandles) -> None:
    """low[a] ≤ Σ_{p in area a} Σ_y amount[p,y] ≤ high[a]."""
    for a in m.plan.areas:
        if a.low_oku_yen is None and a.high_oku_yen is None:
            continue
        progs = [p for p in m.plan.programs if p.area == a.id]
        expr = pulp.lpSum(m.total(p) for p in progs)
        _bounded_sum(m, "area", a.id, expr, a.low_oku_yen, a.high_oku_yen)


def define_phase_bounds(m: ModelHandles) -> None:
    """low[φ] ≤ Σ_{p labelled φ} Σ_y amount[p,y] ≤ high[φ]; 'multi' programs are in no phase."""
    for ph in m.plan.phases:
        if ph.low_oku_yen is None and ph.high_oku_yen is None:
            continue
        progs = [p for p in m.plan.programs if p.phase == ph.id and p.phase != MULTI_PHASE]
        expr = pulp.lpSum(m.total(p) for p in progs)
        _bounded_sum(m, "phase", ph.id, expr, ph.low_oku_yen, ph.high_oku_yen)


def define_aggregate_bounds(m: ModelHandles) -> None:
    """low[b] ≤ Σ_{p in areas(b)} Σ_{y in years(b)} amount[p,y] ≤ high[b]."""
    for b in m.plan.bounds:
        areas = set(b.areas)
        expr = pulp.lpSum(
            m.amount[p.program_id, y]
            for p in m.plan.programs
            if not areas or p.area in areas
            for y in m.years_of(p)
            if b.first_year <= y <= b.last_year
        )
        _bounded_sum(m, "bound", b.id, expr, b.low_oku_yen, b.high_oku_yen)


def defense_spending(m: ModelHandles, year: int) -> Any:
    """Σ of new money in ``year`` that counts toward the defence GDP-ratio cap."""
    return pulp.lpSum(
        m.amount[p.program_id, year]
        for p in m.plan.programs
        if m.plan.counts_toward_defense(p) and (p.program_id, year) in m.amount
    )


def new_spending(m: ModelHandles, year: int) -> Any:
    """Σ of all new money in ``year`` (defence and economic security)."""
    return pulp.lpSum(
        m.amount[p.program_id, year] for p in m.plan.programs if (p.program_id, year) in m.amount
    )


def define_gdp_cap(m: ModelHandles) -> None:
    """baseline[y] + Σ_{p counts} amount[p,y] ≤ ⌊cap × GDP[base(y)]⌋, every fiscal year y."""
    for y in m.plan.fiscal_years:
        room = m.plan.cap_oku_yen(y) - m.plan.baseline(y)
        m.add("gdp_cap", (y,), defense_spending(m, y) <= room)


def define_fiscal_caps(m: ModelHandles) -> None:
    """Σ_p amount[p,y] ≤ ceiling[y]; Σ_{p,y} amount ≤ total; T[y] ≤ (1+g)·T[y−1]."""
    f = m.plan.fiscal
    years = m.plan.fiscal_years
    for y in years:
        ceiling = f.ceiling(y)
        if ceiling is not None:
            m.add("fiscal_year_cap", (y,), new_spending(m, y) <= ceiling)
    if f.max_new_total_oku_yen is not None:
        total = pulp.lpSum(new_spending(m, y) for y in years)
        m.add("fiscal_total_cap", ("horizon",), total <= f.max_new_total_oku_yen)
    if f.max_growth_ratio is not None:
        for prev, y in itertools.pairwise(years):
            m.add(
                "fiscal_growth",
                (y,),
                new_spending(m, y) <= (1 + f.max_growth_ratio) * new_spending(m, prev),
            )


def program_value(m: ModelHandles, p: Program) -> tuple[Any, bool]:
    """The value p delivers to its rank, and whether it is integral.

    Without an explicit value: the 億円 funded. With one: value × go for a fixed profile,
    value × (億円 funded / high) otherwise.
    """
    if p.value is None:
        return m.total(p), True
    if p.payment_profile is not None:
        return p.value * m.go[p.program_id], float(p.value).is_integer()
    return (p.value / p.high_oku_yen) * m.total(p), False


def define_priorities(m: ModelHandles) -> None:
    """V[r] = Σ_{p of rank r} value[p]; earliness = Σ_{p,y} (last_year − y + 1)·amount[p,y]."""
    for r in m.plan.ranks:
        terms = []
        integral = True
        for p in m.plan.programs:
            if p.rank == r.rank:
                term, is_int = program_value(m, p)
                terms.append(term)
                integral = integral and is_int
        m.rank_value[r.rank] = pulp.lpSum(terms)
        m.rank_value_integral[r.rank] = integral
        # V[r] ≥ 0 holds for every schedule (amounts and values are ≥ 0), so the row is idle
        # until the solver raises its right-hand side to hold rank r at the value it reached
        m.add("priority_hold", (r.rank,), m.rank_value[r.rank] >= 0)
    last = m.plan.last_year
    m.earliness = pulp.lpSum((last - y + 1) * expr for (_, y), expr in m.amount.items())
