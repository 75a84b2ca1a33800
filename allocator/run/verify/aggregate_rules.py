"""Rules on sums of money: area, phase and other bounds, the GDP-ratio cap, the fiscal caps."""

from __future__ import annotations

import math
from fractions import Fraction

from allocator.formatting import format_cap, fy, oku
from allocator.plan.schema import Plan
from allocator.run.verify.common import (
    GROWTH_TOLERANCE,
    Amounts,
    check_range,
    exact_cap,
    fiscal_ceiling,
    span,
    total_of,
    year_total,
)
from allocator.run.verify.contract_rules import obligations_by_year
from allocator.run.verify.tally import Tally

GivenWay = set[tuple[str, str]] | frozenset[tuple[str, str]]
"""Floors ((family, id)) whose shortfall the run lists correctly: their low side is not a
violation (see :mod:`allocator.run.verify.floor_rules`)."""


def _low(low: int | None, key: tuple[str, str], given_way: GivenWay) -> int | None:
    return None if key in given_way else low


def check_area_bound(
    plan: Plan,
    amounts: Amounts,
    t: Tally,
    given_way: GivenWay = frozenset(),
    *,
    contracts: Amounts | None = None,
) -> None:
    """Each area's programs sum (over all years) into the area's [low, high] (payments, or
    ``contracts`` for an area on the contract basis); a floor in ``given_way`` is not checked
    here (its shortfall is, by the rule ``shortfall``)."""
    for a in plan.areas:
        counted = contracts if a.basis == "contract" and contracts is not None else amounts
        total = sum(total_of(counted, p.program_id) for p in plan.programs if p.area == a.id)
        low = _low(a.low_oku_yen, ("area_low", a.id), given_way)
        check_range(t, "area_bound", a.id, f"area {a.id}", total, low, a.high_oku_yen)


def check_phase_bound(
    plan: Plan,
    amounts: Amounts,
    t: Tally,
    given_way: GivenWay = frozenset(),
    *,
    contracts: Amounts | None = None,
) -> None:
    """The programs labelled with a phase sum (over all years) into the phase's [low, high]."""
    for ph in plan.phases:
        counted = contracts if ph.basis == "contract" and contracts is not None else amounts
        total = sum(total_of(counted, p.program_id) for p in plan.programs if p.phase == ph.id)
        label = f"phase {ph.id} ({span(ph.first_year, ph.last_year)})"
        low = _low(ph.low_oku_yen, ("phase_low", ph.id), given_way)
        check_range(t, "phase_bound", ph.id, label, total, low, ph.high_oku_yen)


def check_aggregate_bound(
    plan: Plan,
    amounts: Amounts,
    t: Tally,
    given_way: GivenWay = frozenset(),
    *,
    contracts: Amounts | None = None,
) -> None:
    """Each ``[[bounds]]``: programs of its areas (all when empty), its years, in [low, high]."""
    for b in plan.bounds:
        years = range(b.first_year, b.last_year + 1)
        counted = contracts if b.basis == "contract" and contracts is not None else amounts
        total = sum(
            total_of(counted, p.program_id, years)
            for p in plan.programs
            if not b.areas or p.area in b.areas
        )
        which = "all areas" if not b.areas else "areas " + " ".join(b.areas)
        label = f"bound {b.id} ({span(b.first_year, b.last_year)}, {which})"
        low = _low(b.low_oku_yen, ("bound_low", b.id), given_way)
        check_range(t, "aggregate_bound", b.id, label, total, low, b.high_oku_yen)


def check_gdp_cap(
    plan: Plan, amounts: Amounts, t: Tally, baseline_years: frozenset[int] | set[int] = frozenset()
) -> None:
    """baseline + obligations already owed + new defence spending ≤ floor(cap ratio × GDP of
    the base year), every year (``baseline_years``: years where the committed spending alone
    breaks the cap and, floors giving way, no new defence money was allocated: accepted with a
    note)."""
    defence = [p for p in plan.programs if plan.counts_toward_defense(p)]
    cap_text = format_cap(plan.cap.ratio)
    owed = obligations_by_year(plan, defense_only=True)
    for year in plan.fiscal_years:
        t.check("gdp_cap")
        cap = exact_cap(plan, year)
        if plan.cap_oku_yen(year) != cap:
            t.fail(
                "gdp_cap",
                "horizon",
                f"{fy(year)}: Plan.cap_oku_yen gives {oku(plan.cap_oku_yen(year))} but "
                f"floor({cap_text} × GDP) is {oku(cap)} 億円",
                year=year,
            )
        base = plan.baseline(year)
        earlier = owed.get(year, 0)
        new = year_total(amounts, year, defence)
        total = base + earlier + new
        if total > cap and year not in baseline_years:
            t.fail(
                "gdp_cap",
                "horizon",
                f"{fy(year)}: defence total {oku(total)} exceeds the {cap_text} cap "
                f"{oku(cap)} by {oku(total - cap)} 億円 (baseline {oku(base)} + obligations "
                f"{oku(earlier)} + new {oku(new)})",
                year=year,
                excess=total - cap,
            )


def new_by_year(plan: Plan, amounts: Amounts) -> dict[int, int]:
    return {y: year_total(amounts, y, plan.programs) for y in plan.fiscal_years}


def check_fiscal_year_cap(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """New spending (all programs) in a year ≤ the year's fiscal ceiling, where there is one."""
    for year, new in new_by_year(plan, amounts).items():
        ceiling = fiscal_ceiling(plan, year)
        if ceiling is None:
            continue
        t.check("fiscal_year_cap")
        if new > ceiling:
            t.fail(
                "fiscal_year_cap",
                "horizon",
                f"{fy(year)}: new spending {oku(new)} exceeds the fiscal ceiling "
                f"{oku(ceiling)} by {oku(new - ceiling)} 億円",
                year=year,
                excess=new - ceiling,
            )


def check_fiscal_total_cap(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """New spending over the horizon ≤ ``max_new_total_oku_yen``."""
    cap = plan.fiscal.max_new_total_oku_yen
    if cap is None:
        return
    t.check("fiscal_total_cap")
    total = sum(new_by_year(plan, amounts).values())
    if total > cap:
        t.fail(
            "fiscal_total_cap",
            "horizon",
            f"new spending over {span(plan.first_year, plan.last_year)} totals {oku(total)}, "
            f"above the fiscal ceiling {oku(cap)} by {oku(total - cap)} 億円",
            excess=total - cap,
        )


def check_fiscal_growth(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """New spending in y ≤ (1 + ratio) × new spending in y − 1, from the second year."""
    ratio = plan.fiscal.max_growth_ratio
    if ratio is None:
        return
    new = new_by_year(plan, amounts)
    factor = 1 + Fraction(ratio)
    for year in plan.fiscal_years[1:]:
        t.check("fiscal_growth")
        prev, cur = new[year - 1], new[year]
        limit = factor * prev
        if cur > limit * (1 + Fraction(GROWTH_TOLERANCE)):
            excess = math.ceil(cur - limit)
            t.fail(
                "fiscal_growth",
                "horizon",
                f"{fy(year)}: new spending {oku(cur)} exceeds {float(factor):g} × "
                f"{oku(prev)} ({fy(year - 1)}) = {float(limit):,.1f} by {oku(excess)} 億円",
                year=year,
                excess=excess,
            )
