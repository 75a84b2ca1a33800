"""The floors of a plan and the order in which they give way.

A *floor* is a lower bound on a sum of money that a plan may fall short of when not every floor
can be met (``floors = "priority"``, the default): the floor of an area, of a phase, of an
aggregate bound (the ten-year minimum), and the ratio floor of a fiscal year (``--floor-ratio``).
A program's own range is not a floor of this kind (an unfunded program needs nothing); caps,
ceilings and mandatory programs never give way.

Each floor belongs to a priority rank or to none:

- an area's floor belongs to the rank whose ``[[ranks]] areas`` lists the area; else to the one
  rank of all its programs, if they share one;
- a phase's or bound's floor belongs to the one rank of all the programs it counts (for a bound:
  those of its areas that may receive money in its years), if they share one; else to no rank
  (the phase totals and the ten-year minimum of the shipped plan);
- the ratio floor belongs to no rank;
- ``floor_rank = k`` on an ``[[areas]]``, ``[[phases]]`` or ``[[bounds]]`` entry says otherwise.

Floors give way in reverse priority order: the floors of no rank first, then rank N's, …, rank
1's last. The solver minimises the shortfalls in the opposite order (rank 1's floors first; see
docs/model.md, *Floors that give way*). Nothing here builds a model: the model, the reports and
the tables all read this one description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from allocator.plan.schema import MULTI_PHASE, Plan, Program

FloorFamily = Literal["area_low", "phase_low", "bound_low", "ratio_floor"]

GENERAL = 0
"""The give-way group of floors that belong to no rank."""


@dataclass(frozen=True)
class Floor:
    """One floor: the row ``family[key]`` of the model, ``low`` 億円 over ``first_year``..
    ``last_year``, belonging to ``rank`` (None: no single rank)."""

    family: FloorFamily
    key: str | int
    name_ja: str
    name_en: str
    low: int
    rank: int | None
    first_year: int
    last_year: int

    @property
    def group(self) -> int:
        """The give-way group: the rank, or :data:`GENERAL` (0) for no rank."""
        return self.rank if self.rank is not None else GENERAL

    @property
    def pooled(self) -> bool:
        """The floor is a total over several fiscal years (any of them may carry the money)."""
        return self.last_year > self.first_year

    @property
    def label(self) -> str:
        """``area A``, ``phase mid``, ``bound total_10y``, ``ratio 2027``."""
        kind = {"area_low": "area", "phase_low": "phase", "bound_low": "bound"}.get(
            self.family, "ratio"
        )
        return f"{kind} {self.key}"


def _pay_years(p: Program) -> list[int]:
    """The years a program may receive money: its fixed payments' years, else its window."""
    if p.payment_profile is not None:
        return [y for y, _ in p.payment_profile]
    return list(p.window)


def _shared_rank(programs: list[Program]) -> int | None:
    ranks = {p.rank for p in programs}
    return ranks.pop() if len(ranks) == 1 else None


def _span(plan: Plan, programs: list[Program]) -> tuple[int, int]:
    if not programs:
        return plan.first_year, plan.last_year
    first = max(plan.first_year, min(p.window_first_year for p in programs))
    last = min(plan.last_year, max(p.window_last_year for p in programs))
    return first, max(first, last)


def floors_of(plan: Plan) -> list[Floor]:
    """Every floor of ``plan`` with a positive low, in the order areas, phases, bounds, ratio
    years (the order of the model's rows)."""
    out: list[Floor] = []
    for a in plan.areas:
        if not a.low_oku_yen:
            continue
        progs = [p for p in plan.programs if p.area == a.id]
        rank = a.floor_rank or plan.rank_of_area(a.id) or _shared_rank(progs)
        first, last = _span(plan, progs)
        out.append(Floor("area_low", a.id, a.name_ja, a.name_en, a.low_oku_yen, rank, first, last))
    for ph in plan.phases:
        if not ph.low_oku_yen:
            continue
        progs = [p for p in plan.programs if p.phase == ph.id and p.phase != MULTI_PHASE]
        rank = ph.floor_rank or _shared_rank(progs)
        out.append(
            Floor(
                "phase_low", ph.id, ph.name_ja, ph.name_en, ph.low_oku_yen, rank,
                ph.first_year, ph.last_year,
            )
        )  # fmt: skip
    for b in plan.bounds:
        if not b.low_oku_yen:
            continue
        years = set(range(b.first_year, b.last_year + 1))
        progs = [
            p
            for p in plan.programs
            if (not b.areas or p.area in b.areas) and years & set(_pay_years(p))
        ]
        rank = b.floor_rank or _shared_rank(progs)
        out.append(
            Floor(
                "bound_low", b.id, b.name_ja, b.name_en, b.low_oku_yen, rank,
                b.first_year, b.last_year,
            )
        )  # fmt: skip
    for y in plan.fiscal_years:
        need = plan.ratio_floor_oku_yen(y)
        if need is None:
            continue
        ratio = plan.cap.floor_ratio
        name, name_en = "防衛費のGDP比の下限", "defence ratio floor"
        if ratio is not None:
            pct = f"{float(ratio) * 100:g}%"
            name, name_en = f"防衛費 GDP比{pct}以上", f"defence at least {pct} of GDP"
        out.append(Floor("ratio_floor", y, name, name_en, need, None, y, y))
    return out


def give_way_order(plan: Plan) -> list[int]:
    """The give-way groups in the order the solver protects them: rank 1 (its floors fall
    short last), 2, …, then :data:`GENERAL` (the floors of no rank fall short first). Only
    groups that have a floor."""
    groups = {f.group for f in floors_of(plan)}
    ranked = sorted(g for g in groups if g != GENERAL)
    return ranked + ([GENERAL] if GENERAL in groups else [])


__all__ = ["GENERAL", "Floor", "FloorFamily", "floors_of", "give_way_order"]
