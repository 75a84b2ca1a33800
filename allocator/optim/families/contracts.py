"""Multi-year contracts and the budgets that pay them: the payments of each contract (whole
億円, exact), the contract window, the ceilings on new contracts and on obligations
outstanding, and the budget vehicles (initial and supplementary budgets, funds).

Every function returns at once for a plan without contract programs, obligations or vehicles,
so such a plan's model is exactly the one it had before contracts existed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from allocator.optim.families.programs import year_ub
from allocator.optim.handles import ModelHandles
from allocator.plan.contracts import contract_ceiling
from allocator.plan.schema import Program


def _contract_ub(m: ModelHandles, p: Program) -> int:
    """The largest contract p may sign in any one year of the horizon."""
    return max((contract_ceiling(p, y, m.plan.last_year) for y in m.years_of(p)), default=0)


def define_payments(m: ModelHandles) -> None:
    """payment[p,y]: what p pays in fiscal year y.

    A program without a contract pattern pays what it is allocated: payment[p,y] = amount[p,y].
    A contract c = contract[p,t] with shares s_0 … s_{K−1} pays, in year t + k for k < K − 1,
    q_k = ⌊s_k c⌋, written exactly with the share in lowest terms s_k = n/d and an integer
    variable ``pay[p,t,k]``:  n·c − (d − 1) ≤ d·q_k ≤ n·c  (``payment_rounding``); the last
    year pays the rest, c − Σ_{k<K−1} q_k, so the payments add up to the contract exactly.
    Payments that fall after the horizon are not in the model (no cap counts them); the run
    folder reports them.
    """
    last = m.plan.last_year
    for p in m.plan.programs:
        pid = p.program_id
        if p.contract_pattern is None:
            for y in m.years_of(p):
                m.payment[pid, y] = m.amount[pid, y]
            continue
        pattern = p.contract_pattern
        ub = _contract_ub(m, p)
        unit = p.unit_cost_oku_yen
        lot = math.lcm(*(s.denominator for s in pattern))
        by_year: dict[int, list[Any]] = defaultdict(list)
        for t in m.years_of(p):
            c = m.amount[pid, t]
            lots = rest = None
            if unit is None and lot > 1:
                # c = lot·u + r: the shares of lot·u are whole 億円, only r (< lot) is rounded
                lots = m.prob.add_variable(f"lots[{pid},{t}]", 0, ub // lot, cat="Integer")
                rest = m.prob.add_variable(f"rest[{pid},{t}]", 0, lot - 1, cat="Integer")
                m.rounding += [lots, rest]
                m.add("payment_rounding", (pid, t, "lots"), c - lot * lots - rest == 0)
            parts: list[Any] = []
            for k, share in enumerate(pattern[:-1]):
                n, d = share.numerator, share.denominator
                if n == 0:
                    parts.append(0)
                    continue
                if unit is not None and (n * unit) % d == 0:
                    # whole units whose share is whole 億円: the floor is exact, no variable
                    parts.append((n * unit // d) * m.units[pid, t])
                    continue
                if lots is not None and rest is not None:
                    if d == 1:
                        parts.append(n * c)
                        continue
                    f = m.prob.add_variable(
                        f"pay[{pid},{t},{k}]", 0, n * (lot - 1) // d, cat="Integer"
                    )
                    m.rounding.append(f)
                    m.add("payment_rounding", (pid, t, k, "le"), d * f - n * rest <= 0)
                    m.add("payment_rounding", (pid, t, k, "ge"), d * f - n * rest >= -(d - 1))
                    parts.append((n * lot // d) * lots + f)
                    continue
                q = m.prob.add_variable(f"pay[{pid},{t},{k}]", 0, n * ub // d, cat="Integer")
                m.rounding.append(q)
                m.add("payment_rounding", (pid, t, k, "le"), d * q - n * c <= 0)
                m.add("payment_rounding", (pid, t, k, "ge"), d * q - n * c >= -(d - 1))
                parts.append(q)
            parts.append(c - m.linear_sum(x for x in parts if not isinstance(x, int)))
            m.pay_parts[pid, t] = parts
            for k, q in enumerate(parts):
                if t + k <= last and not isinstance(q, int):
                    by_year[t + k].append(q)
        for y in sorted(by_year):
            m.payment[pid, y] = m.linear_sum(by_year[y])


def _contract_programs(m: ModelHandles) -> list[Program]:
    return [p for p in m.plan.programs if p.is_contract]


def define_contract_window(m: ModelHandles) -> None:
    """Σ_{p contract} contract[p,y] ≤ 0 for every year y outside ``[contracts]`` window_first_year
    … window_last_year: multi-year contracts are signed only inside the window (their payments
    may run on after it, and past the horizon)."""
    c = m.plan.contracts
    if c.window_first_year is None and c.window_last_year is None:
        return
    progs = _contract_programs(m)
    for y in m.plan.fiscal_years:
        if c.in_window(y):
            continue
        terms = [m.amount[p.program_id, y] for p in progs if (p.program_id, y) in m.amount]
        if terms:
            m.add("contract_window", (y,), m.linear_sum(terms) <= 0)


def new_contracts(m: ModelHandles, year: int) -> Any:
    """What the new-contract ceiling counts in ``year``: the amount contracted (契約額), or with
    ``new_measure = "later_years"`` the part of it paid after the year (新規後年度負担)."""
    later = m.plan.contracts.new_measure == "later_years"
    terms: list[Any] = []
    for p in _contract_programs(m):
        key = (p.program_id, year)
        if key not in m.amount:
            continue
        terms.append(m.amount[key])
        if later:
            first = m.pay_parts[key][0]
            if not isinstance(first, int):
                terms.append(-1 * first)
    return m.linear_sum(terms) if terms else None


def define_new_contract_cap(m: ModelHandles) -> None:
    """Σ_{p contract} contract[p,y] ≤ N_y (or its later-years part), every year with a ceiling."""
    for y in m.plan.fiscal_years:
        ceiling = m.plan.contracts.new_ceiling(y)
        if ceiling is None:
            continue
        expr = new_contracts(m, y)
        if expr is not None:
            m.add("new_contract_cap", (y,), expr <= ceiling)


def outstanding(m: ModelHandles, year: int) -> tuple[Any, int]:
    """Obligations outstanding at the end of ``year``: (expression over the plan's contracts,
    the constant part owed on contracts signed before the horizon)."""
    terms: list[Any] = []
    for p in _contract_programs(m):
        for t in m.years_of(p):
            if t > year:
                continue
            parts = m.pay_parts[p.program_id, t]
            terms.append(m.amount[p.program_id, t])
            terms += [
                -1 * q for k, q in enumerate(parts) if t + k <= year and not isinstance(q, int)
            ]
    earlier = sum(o.oku_yen for o in m.plan.obligations if o.fiscal_year > year)
    return (m.linear_sum(terms) if terms else None), earlier


def define_outstanding_cap(m: ModelHandles) -> None:
    """Σ_{p contract} Σ_{t≤y} (contract[p,t] − paid on it by y) + owed after y on earlier
    contracts ≤ M_y, every year with a ceiling."""
    for y in m.plan.fiscal_years:
        ceiling = m.plan.contracts.outstanding_ceiling(y)
        if ceiling is None:
            continue
        expr, earlier = outstanding(m, y)
        if expr is not None:
            m.add("outstanding_cap", (y,), expr <= ceiling - earlier)


def define_vehicles(m: ModelHandles) -> None:
    """Each year's payment of a program is split among the vehicles that may pay it
    (``vehicle_split``: Σ_v paid[p,y,v] = payment[p,y]); each vehicle stays within its ceiling
    (``vehicle_cap``: Σ_p paid[p,y,v] + obligations it pays ≤ ceiling_v(y)); a fund's balance
    never goes below zero (``fund_balance``: Σ_{t≤y} draws_t ≤ opening + Σ_{t≤y} inflow_t).
    Also sets the last stage: use the default vehicles first."""
    plan = m.plan
    if not plan.vehicles:
        return
    for p in plan.programs:
        vids = plan.vehicles_of(p)
        pid = p.program_id
        # a year's payment is at most what the program may contract (or spend) in its window
        ub = _contract_ub(m, p) * len(m.years_of(p)) if p.is_contract else year_ub(p)
        if p.payment_profile is not None:
            ub = max((a for _, a in p.payment_profile), default=0)
        for y in m.payment_years_of(p):
            pay = m.payment[pid, y]
            if len(vids) == 1:
                m.vehicle_pay[pid, y, vids[0]] = pay
                continue
            parts = []
            for vid in vids:
                x = m.prob.add_variable(f"paid[{pid},{y},{vid}]", 0, ub, cat="Integer")
                m.vehicle_pay[pid, y, vid] = x
                parts.append(x)
            m.add("vehicle_split", (pid, y), m.linear_sum(parts) - pay == 0)
    by_vehicle: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for (_, y, vid), x in m.vehicle_pay.items():
        by_vehicle[vid, y].append(x)
    for v in plan.vehicles:
        cumulative: list[Any] = []
        balance = v.opening_balance_oku_yen
        for y in plan.fiscal_years:
            draws = by_vehicle.get((v.id, y), [])
            due = sum(
                o.oku_yen for o in plan.obligations if o.vehicle == v.id and o.fiscal_year == y
            )
            ceiling = v.ceiling(y)
            if ceiling is not None and draws:
                m.add("vehicle_cap", (v.id, y), m.linear_sum(draws) <= ceiling - due)
            if v.kind == "fund":
                balance += v.inflow(y) - due
                cumulative += draws
                if cumulative:
                    m.add("fund_balance", (v.id, y), m.linear_sum(cumulative) <= balance)
    # the last stage: pay from the default vehicles first, then from supplementary budgets,
    # from funds last (a fund's balance carries over to later years)
    weight = {v.id: 0 if v.default else (2 if v.kind == "fund" else 1) for v in plan.vehicles}
    others = [-weight[v] * x for (_, _, v), x in m.vehicle_pay.items() if weight[v]]
    if others:
        m.vehicle_order = m.linear_sum(others)
