"""Floors that give way: every shortfall recomputed from the schedule and compared with
``shortfalls.csv`` and ``plan.json``.

With ``floors = "priority"`` (the default) a floor of an area, a phase or an aggregate bound, or
the ratio floor of a fiscal year, may be missed — but only by exactly the amount the run lists:
a shortfall that is not listed, listed wrongly, or listed for a floor that is met is a
violation (rule ``shortfall``). With ``floors = "hard"`` no floor may be missed and the list
must be empty. Which floors may fall short and in which order is the solver's business (it
cannot be checked from the files); how much each falls short is checked here, with integers.
"""

from __future__ import annotations

from fractions import Fraction

from allocator.formatting import oku
from allocator.plan.schema import Plan
from allocator.run.record import RunRecord
from allocator.run.verify.common import (
    Amounts,
    Table,
    exact_cap,
    int_cell,
    text_cell,
    total_of,
    year_total,
)
from allocator.run.verify.contract_rules import obligations_by_year
from allocator.run.verify.tally import Tally

FloorKey = tuple[str, str]
"""(family, id): ``("area_low", "A")``, ``("ratio_floor", "2027")``."""


def floor_totals(
    plan: Plan, amounts: Amounts, contracts: Amounts | None = None
) -> dict[FloorKey, tuple[int, int]]:
    """Every floor of the plan: {(family, id): (low, achieved)}, recomputed from the schedule.

    Areas, phases and bounds sum their programs as the area/phase/bound rules do (payments,
    or ``contracts`` for one on the contract basis); the ratio floor of a year is baseline +
    obligations already owed + new defence payments against ⌊floor ratio × GDP of the cap's
    base year⌋ (rounded down like the cap), from ``floor_from`` on.
    """

    def counted(basis: str) -> Amounts:
        return contracts if basis == "contract" and contracts is not None else amounts

    out: dict[FloorKey, tuple[int, int]] = {}
    for a in plan.areas:
        if a.low_oku_yen:
            mine = counted(a.basis)
            total = sum(total_of(mine, p.program_id) for p in plan.programs if p.area == a.id)
            out[("area_low", a.id)] = (a.low_oku_yen, total)
    for ph in plan.phases:
        if ph.low_oku_yen:
            mine = counted(ph.basis)
            total = sum(total_of(mine, p.program_id) for p in plan.programs if p.phase == ph.id)
            out[("phase_low", ph.id)] = (ph.low_oku_yen, total)
    for b in plan.bounds:
        if b.low_oku_yen:
            years = range(b.first_year, b.last_year + 1)
            mine = counted(b.basis)
            total = sum(
                total_of(mine, p.program_id, years)
                for p in plan.programs
                if not b.areas or p.area in b.areas
            )
            out[("bound_low", b.id)] = (b.low_oku_yen, total)
    ratio = plan.cap.floor_ratio
    if ratio is not None:
        defence = [p for p in plan.programs if plan.counts_toward_defense(p)]
        owed = obligations_by_year(plan, defense_only=True)
        start = plan.cap.floor_from if plan.cap.floor_from is not None else plan.first_year
        for y in plan.fiscal_years:
            if y < start:
                continue
            base_year = plan.cap.base_year if plan.cap.base == "fixed_year" else y
            exact = Fraction(ratio) * dict(plan.gdp_oku_yen)[base_year or y]
            need = exact.numerator // exact.denominator  # rounded down, like the cap
            achieved = plan.baseline(y) + owed.get(y, 0) + year_total(amounts, y, defence)
            out[("ratio_floor", str(y))] = (need, achieved)
    return out


def check_shortfalls(
    plan: Plan,
    record: RunRecord,
    table: Table | None,
    amounts: Amounts,
    t: Tally,
    contracts: Amounts | None = None,
) -> set[FloorKey]:
    """Compare the recomputed shortfalls with ``shortfalls.csv`` and ``plan.json``; return the
    floors whose shortfall is listed correctly (the floor rules then accept them)."""
    rule = "shortfall"
    soft = plan.solver.floors == "priority"
    every = floor_totals(plan, amounts, contracts)
    actual = {
        key: (low, achieved, low - achieved)
        for key, (low, achieved) in every.items()
        if achieved < low
    }
    listed: dict[FloorKey, tuple[int | None, int | None, int | None]] = {}
    for line, c in table or []:
        key = (text_cell(c.get("floor")).strip(), text_cell(c.get("id")).strip())
        if key in listed:
            t.check(rule)
            t.fail(rule, key[1], f"shortfalls.csv row {line}: {key[0]} {key[1]} listed twice")
        listed[key] = (
            int_cell(c.get("floor_oku_yen")),
            int_cell(c.get("achieved_oku_yen")),
            int_cell(c.get("shortfall_oku_yen")),
        )
    in_json = {
        (s.floor, s.key): (s.floor_oku_yen, s.achieved_oku_yen, s.shortfall_oku_yen)
        for s in record.shortfalls
    }
    accepted: set[FloorKey] = set()
    for key in sorted(set(every) | set(listed) | set(in_json)):
        t.check(rule)
        family, ident = key
        if key not in actual and key not in listed and key not in in_json:
            continue  # met, and listed nowhere
        what = f"{family.removesuffix('_low').replace('_floor', '')} {ident}"
        want = actual.get(key)
        if want is not None and not soft:
            t.fail(
                rule,
                ident,
                f"{what}: total {oku(want[1])} is {oku(want[2])} 億円 below its floor "
                f"{oku(want[0])}, and floors are hard in this run",
                excess=want[2],
            )
            continue
        got = listed.get(key) if table is not None else want
        if want is None:
            t.fail(
                rule,
                ident,
                f"{what}: listed as {oku(got[2] if got else None)} 億円 short, but the schedule "
                "meets the floor"
                if got is not None
                else f"{what}: plan.json lists a shortfall, but the schedule meets the floor",
            )
            continue
        if got != want:
            t.fail(
                rule,
                ident,
                f"{what}: the schedule falls {oku(want[2])} 億円 short of the floor "
                f"{oku(want[0])} (reaching {oku(want[1])}), but shortfalls.csv "
                + ("does not list it" if got is None else f"says {oku(got[2])}"),
                excess=want[2],
            )
            continue
        if in_json.get(key) != want:
            t.fail(
                rule,
                ident,
                f"{what}: plan.json shortfalls disagree with the schedule "
                f"({in_json.get(key)} vs {want})",
            )
            continue
        accepted.add(key)
    return accepted


def check_gdp_cap_baseline(plan: Plan, amounts: Amounts, t: Tally) -> set[int]:
    """Years where the baseline alone breaks the cap. With floors that give way such a year
    may have no new defence money (and gets a note); return the years accepted so."""
    accepted: set[int] = set()
    if plan.solver.floors != "priority":
        return accepted
    defence = [p for p in plan.programs if plan.counts_toward_defense(p)]
    owed = obligations_by_year(plan, defense_only=True)
    for y in plan.fiscal_years:
        cap = exact_cap(plan, y)
        base = plan.baseline(y) + owed.get(y, 0)  # committed: baseline and what is owed
        if base > cap and year_total(amounts, y, defence) == 0:
            accepted.add(y)
    if accepted:
        years = sorted(accepted)
        t.notes.append(
            f"in {len(years)} year(s) ({years[0]}–{years[-1]}年度) the committed spending alone "
            "exceeds the cap: no new defence money was allocated in them"
        )
    return accepted
