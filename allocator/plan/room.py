"""What the caps leave a program on its own: whether it could be funded at all.

At a low cap a rank may receive nothing although its floors and value come first, simply
because none of its programs can use the room the cap leaves (at 1.5 % of GDP, A01 needs at
least 10,000 億円 in FY2026, where the cap leaves about 5,400). A lower rank receiving that money
is then no breach of the priority, and the run says so in these terms.

The test here is an upper bound, worked by hand from the plan alone: in each year of its window
a program can receive at most its per-year maximum (whole units, or its fixed payment), the new
defence money the GDP cap leaves (for a program that counts toward defence) and the year's
fiscal ceiling; over the horizon at most the fiscal total. If even that is below what a funded
program must receive (``max(low, 1)``, or its whole payment profile), it cannot be funded,
whatever other programs do. Ramps, growth limits and other programs are ignored, so a program
that passes may still be unfundable; one that fails certainly is.
"""

from __future__ import annotations

from dataclasses import dataclass

from allocator.plan.schema import Plan, Program


@dataclass(frozen=True)
class Blocked:
    """``program_id`` cannot be funded even alone: it needs ``need`` 億円 in
    ``first_year``..``last_year``, where the caps leave it ``room``."""

    program_id: str
    rank: int
    need: int
    room: int
    first_year: int
    last_year: int
    limit: str
    """What leaves too little room: ``gdp_cap``, ``fiscal`` or ``both``."""


def _year_room(plan: Plan, p: Program, year: int) -> tuple[int | None, set[str]]:
    """The most new money ``p`` could receive in ``year`` from the caps alone (None: no cap),
    and which caps set it."""
    room: int | None = None
    limits: set[str] = set()
    if plan.counts_toward_defense(p):
        room, limits = max(plan.new_defense_room(year), 0), {"gdp_cap"}
    ceiling = plan.fiscal.ceiling(year)
    if ceiling is not None:
        if room is None or ceiling < room:
            room, limits = ceiling, {"fiscal"}
        elif ceiling == room:
            limits.add("fiscal")
    return room, limits


def blocked(plan: Plan, p: Program) -> Blocked | None:
    """Why ``p`` cannot be funded even alone at ``plan``'s cap, or None if it might be."""
    years = [y for y in p.window if plan.first_year <= y <= plan.last_year]
    if not years:
        return None
    limits: set[str] = set()
    if p.payment_profile is not None:
        for y, pay in p.payment_profile:
            room, why = _year_room(plan, p, y)
            if room is not None and pay > room:
                return Blocked(p.program_id, p.rank, pay, room, y, y, "+".join(sorted(why)))
        return None
    per_year = p.high_oku_yen
    if p.max_per_year_oku_yen is not None:
        per_year = min(per_year, p.max_per_year_oku_yen)
    capacity = 0
    for y in years:
        room, why = _year_room(plan, p, y)
        most = per_year if room is None else min(per_year, room)
        if p.unit_cost_oku_yen:
            most = most // p.unit_cost_oku_yen * p.unit_cost_oku_yen
        capacity += most
        if room is not None and room < per_year:
            limits |= why
    total = plan.fiscal.max_new_total_oku_yen
    if total is not None and total < capacity:
        capacity = total
        limits.add("fiscal")
    need = max(p.low_oku_yen, 1)
    if capacity >= need or not limits:
        return None
    limit = "both" if len(limits) > 1 else limits.pop()
    return Blocked(p.program_id, p.rank, need, capacity, years[0], years[-1], limit)


def blocked_programs(plan: Plan, funded: dict[str, bool]) -> list[Blocked]:
    """The unfunded programs of ``plan`` that cannot be funded at its cap even alone, by rank
    and id."""
    out = [
        b
        for p in plan.programs
        if not funded.get(p.program_id)
        for b in [blocked(plan, p)]
        if b is not None
    ]
    return sorted(out, key=lambda b: (b.rank, b.program_id))


__all__ = ["Blocked", "blocked", "blocked_programs"]
