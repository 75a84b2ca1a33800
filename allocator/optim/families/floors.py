"""Floors that may give way: the ratio floor's rows, a shortfall variable on every floor row,
and one idle hold row per give-way group.

With ``floors = "priority"`` (the default) every floor row ``Σ … ≥ low`` of the model (areas,
phases, bounds, the ratio floor; see :mod:`allocator.plan.floors`) becomes
``Σ … + shortfall[f] ≥ low`` with ``0 ≤ shortfall[f] ≤ low``, and each give-way group ``g``
(a rank's floors, or the floors of no rank) gets a row ``floor_hold[g]: Σ_{f∈g} shortfall[f] ≤
Σ low`` that is idle until the solver holds the group at the shortfall it reached. With
``floors = "hard"`` there are no shortfall variables: the model is exactly the one without this
module. The solver tries the floors as hard rows first and lets them give way only when that
has no plan (docs/model.md, *Floors that give way*).
"""

from __future__ import annotations

from allocator.optim.handles import ModelHandles
from allocator.plan.floors import floors_of


def define_ratio_floor(m: ModelHandles) -> None:
    """baseline[y] + Σ_{p counts} amount[p,y] ≥ ⌈floor ratio × GDP[base(y)]⌉ from the floor's
    first year (``--floor-ratio``); a year the baseline alone meets has no row."""
    for y in m.plan.fiscal_years:
        need = m.plan.ratio_floor_oku_yen(y)
        if need is None or need <= m.plan.committed(y):
            continue
        m.add("ratio_floor", (y,), m.defense_spending(y) >= need - m.plan.committed(y))
        m.floor_offset[("ratio_floor", (y,))] = m.plan.committed(y)


def define_floor_shortfalls(m: ModelHandles) -> None:
    """shortfall[f] on every floor row; floor_hold[g] (idle) per give-way group."""
    if m.plan.solver.floors != "priority":
        return
    totals: dict[int, int] = {}
    members: dict[int, list[tuple[str, tuple[object, ...]]]] = {}
    for f in floors_of(m.plan):
        key = (f.family, (f.key,))
        row = m.constraints.get(key)
        if row is None:  # a ratio floor the baseline alone meets
            continue
        bound = f.low - m.floor_offset.get(key, 0)
        s = m.prob.add_variable(f"shortfall[{f.family},{f.key}]", 0, bound)
        row.set_coefficient(s, 1)
        m.shortfall[key] = s
        m.shortfall_bound[key] = bound
        members.setdefault(f.group, []).append(key)
        totals[f.group] = totals.get(f.group, 0) + bound
    for group, keys in members.items():
        m.floor_groups[group] = tuple(keys)
        total = m.linear_sum(m.shortfall[k] for k in keys)
        m.add("floor_hold", (group,), total <= totals[group])
        m.floor_hold_idle[group] = totals[group]
