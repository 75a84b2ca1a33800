"""A program's own rules: its variables, range, per-year maximum, mandatory flag, ramp, and
the precedence links between programs."""

from __future__ import annotations

from typing import Any

from allocator.optim.handles import ModelHandles
from allocator.plan.contracts import contract_ceiling
from allocator.plan.schema import Program


def year_ub(p: Program) -> int:
    ub = p.high_oku_yen
    if p.max_per_year_oku_yen is not None:
        ub = min(ub, p.max_per_year_oku_yen)
    return ub


def decision_ub(m: ModelHandles, p: Program, year: int) -> int:
    """The bound of p's decision in ``year``: :func:`year_ub`, or for a contract program what
    it may contract that year (:func:`allocator.plan.contracts.contract_ceiling`)."""
    if p.is_contract:
        return contract_ceiling(p, year, m.plan.last_year)
    return year_ub(p)


def define_allocations(m: ModelHandles) -> None:
    """Variables: go[p] binary; alloc[p,y] or units[p,y] integer, only inside p's window.

    A fixed payment profile has no allocation variable: its money is profile[y] × go[p]. A
    contract program's variable is the amount contracted in y, ``contract[p,y]`` (its payments
    are added by :func:`allocator.optim.families.contracts.define_payments`).
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
        for y in years:
            ub = decision_ub(m, p, y)
            if p.unit_cost_oku_yen is not None:
                n = ub // p.unit_cost_oku_yen
                u = m.prob.add_variable(f"units[{pid},{y}]", 0, n, cat="Integer")
                m.units[pid, y] = u
                m.amount[pid, y] = p.unit_cost_oku_yen * u
            else:
                name = "contract" if p.is_contract else "alloc"
                x = m.prob.add_variable(f"{name}[{pid},{y}]", 0, ub, cat="Integer")
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
        total = m.counted(p, p.basis)
        # a funded program receives at least 1 億円 even when its low is 0: "funded" means money
        m.add("range_low", (pid,), total >= max(p.low_oku_yen, 1) * go)
        m.add("range_high", (pid,), total <= p.high_oku_yen * go)
        for y in years:
            m.add("year_max", (pid, y), m.amount[pid, y] <= decision_ub(m, p, y) * go)


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
        return max([decision_ub(m, p, y) for y in p.window] + [year_ub(p), 1])

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
                paid = m.linear_sum(m.amount[qid, t] for t in m.years_of(q) if t <= y)
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
