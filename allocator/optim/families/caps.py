"""The GDP-ratio cap and the fiscal caps on new spending."""

from __future__ import annotations

import itertools

from allocator.optim.handles import ModelHandles


def define_gdp_cap(m: ModelHandles) -> None:
    """baseline[y] + Σ_{p counts} amount[p,y] ≤ ⌊cap × GDP[base(y)]⌋, every fiscal year y.

    When the baseline alone breaks the cap and floors give way, the year gets no new defence
    money (right-hand side 0, see :meth:`Plan.new_defense_room`)."""
    for y in m.plan.fiscal_years:
        m.add("gdp_cap", (y,), m.defense_spending(y) <= m.plan.new_defense_room(y))


def define_fiscal_caps(m: ModelHandles) -> None:
    """Σ_p amount[p,y] ≤ ceiling[y]; Σ_{p,y} amount ≤ total; T[y] ≤ (1+g)·T[y−1]."""
    f = m.plan.fiscal
    years = m.plan.fiscal_years
    for y in years:
        ceiling = f.ceiling(y)
        if ceiling is not None:
            m.add("fiscal_year_cap", (y,), m.new_spending(y) <= ceiling)
    if f.max_new_total_oku_yen is not None:
        total = m.linear_sum(m.new_spending(y) for y in years)
        m.add("fiscal_total_cap", ("horizon",), total <= f.max_new_total_oku_yen)
    if f.max_growth_ratio is not None:
        for prev, y in itertools.pairwise(years):
            m.add(
                "fiscal_growth",
                (y,),
                m.new_spending(y) <= (1 + f.max_growth_ratio) * m.new_spending(prev),
            )
