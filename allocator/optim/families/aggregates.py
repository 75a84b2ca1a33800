"""Floors and ceilings on aggregates: areas, phases and other bounds."""

from __future__ import annotations

from typing import Any

from allocator.optim.handles import ModelHandles
from allocator.plan.schema import MULTI_PHASE


def _bounded_sum(
    m: ModelHandles, family: str, key: str, expr: Any, low: int | None, high: int | None
) -> None:
    if low is not None and low > 0:
        m.add(f"{family}_low", (key,), expr >= low)
    if high is not None:
        m.add(f"{family}_high", (key,), expr <= high)


def define_area_bounds(m: ModelHandles) -> None:
    """low[a] ≤ Σ_{p in area a} Σ_y amount[p,y] ≤ high[a] (payments or contracts: the area's
    basis)."""
    for a in m.plan.areas:
        if a.low_oku_yen is None and a.high_oku_yen is None:
            continue
        progs = [p for p in m.plan.programs if p.area == a.id]
        expr = m.linear_sum(m.counted(p, a.basis) for p in progs)
        _bounded_sum(m, "area", a.id, expr, a.low_oku_yen, a.high_oku_yen)


def define_phase_bounds(m: ModelHandles) -> None:
    """low[φ] ≤ Σ_{p labelled φ} Σ_y amount[p,y] ≤ high[φ]; 'multi' programs are in no phase."""
    for ph in m.plan.phases:
        if ph.low_oku_yen is None and ph.high_oku_yen is None:
            continue
        progs = [p for p in m.plan.programs if p.phase == ph.id and p.phase != MULTI_PHASE]
        expr = m.linear_sum(m.counted(p, ph.basis) for p in progs)
        _bounded_sum(m, "phase", ph.id, expr, ph.low_oku_yen, ph.high_oku_yen)


def define_aggregate_bounds(m: ModelHandles) -> None:
    """low[b] ≤ Σ_{p in areas(b)} Σ_{y in years(b)} amount[p,y] ≤ high[b]."""
    for b in m.plan.bounds:
        areas = set(b.areas)
        years = range(b.first_year, b.last_year + 1)
        mine = [p for p in m.plan.programs if not areas or p.area in areas]
        if b.basis == "payment" and any(p.is_contract for p in mine):
            expr = m.linear_sum(m.counted(p, "payment", years) for p in mine)
        else:  # contracts, or a plan without contract programs (both bases the same)
            expr = m.linear_sum(
                m.amount[p.program_id, y] for p in mine for y in m.years_of(p) if y in years
            )
        _bounded_sum(m, "bound", b.id, expr, b.low_oku_yen, b.high_oku_yen)
