"""What the money buys, in the model: the deliveries of programs' outputs into indicators, a
rank valued by an indicator (:func:`indicator_rank_value`, used by ``define_priorities``), and
indicator targets that are rules (``indicator_target[i,y]``; docs/model.md, "Indicators").

A delivery in year t is ``r · q_{p,t−lag}`` with q the 億円 paid (``per_oku_yen``) or the units
bought (``per_unit``). Rates are exact fractions; a target row is multiplied by the least
common denominator of its rates when that is small, so its coefficients are whole numbers and
its check exact.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from allocator.optim.handles import ModelHandles
from allocator.plan.indicators import outputs_by_program
from allocator.plan.schema import Output, Rank

MAX_SCALE = 10**6
"""The largest factor a target row is multiplied by to make its coefficients whole."""


def _quantity(m: ModelHandles, o: Output, pid: str, year: int) -> Any | None:
    """The 億円 paid or units bought by ``pid`` in ``year`` as a model expression (None when
    the program can pay nothing that year)."""
    if (pid, year) not in m.amount:
        return None
    if o.per_oku_yen is not None:
        return m.amount[pid, year]
    if (pid, year) in m.fixed:
        units = m.fixed[pid, year][1] or 0
        var = m.fixed_units.get((pid, year))
        if var is None:
            var = m.prob.add_variable(f"actual_units[{pid},{year}]", units, units)
            m.fixed_units[pid, year] = var
        return var
    return m.units.get((pid, year))


def _rate(o: Output) -> Fraction:
    rate = o.per_oku_yen if o.per_oku_yen is not None else o.per_unit
    assert rate is not None
    return rate


def _delivered_terms(
    m: ModelHandles, indicator: str, last: int, *, exact_year: bool = False,
    programs: set[str] | None = None,
) -> list[tuple[Fraction, Any]]:  # fmt: skip
    """(rate, quantity) of every delivery into ``indicator`` in years ≤ ``last`` (only in
    ``last`` with ``exact_year``), from ``programs`` (all when None)."""
    terms: list[tuple[Fraction, Any]] = []
    by_id = {p.program_id: p for p in m.plan.programs}
    for pid, outputs in sorted(outputs_by_program(m.plan).items()):
        if programs is not None and pid not in programs:
            continue
        for o in outputs:
            if o.indicator != indicator:
                continue
            for year in m.years_of(by_id[pid]):
                when = year + o.lag_years
                if when > last or (exact_year and when != last):
                    continue
                q = _quantity(m, o, pid, year)
                if q is not None:
                    terms.append((_rate(o), q))
    return terms


def indicator_rank_value(m: ModelHandles, rank: Rank) -> tuple[Any, bool]:
    """V[r] = Σ_{p of rank r} Σ_{t + lag ≤ Y} rate·q[p,t]: what the rank's own programs deliver
    into its indicator by ``indicator_year`` Y; and whether it is whole on every schedule."""
    assert rank.indicator is not None and rank.indicator_year is not None
    mine = {p.program_id for p in m.plan.programs if p.rank == rank.rank}
    terms = _delivered_terms(m, rank.indicator, rank.indicator_year, programs=mine)
    integral = all(r.denominator == 1 for r, _ in terms)
    return m.linear_sum(_coef(r) * q for r, q in terms), integral


def define_indicator_targets(m: ModelHandles) -> None:
    """For each target that is a rule: the indicator's level in year y meets it,
    ``s·Σ D ≥ s·(N − start)`` (stock: deliveries up to y; flow: in y), as
    ``indicator_target[i,y]``."""
    for ind in m.plan.indicators:
        for target in ind.targets:
            if not target.rule:
                continue
            flow = ind.kind == "flow"
            terms = _delivered_terms(m, ind.id, target.fiscal_year, exact_year=flow)
            need = ind.sign * (target.level - ind.start)
            scale = math.lcm(need.denominator, *(r.denominator for r, _ in terms))
            if scale > MAX_SCALE:
                scale = 1
            expr = m.linear_sum(_coef(r * scale) * q for r, q in terms)
            m.add("indicator_target", (ind.id, target.fiscal_year), expr >= _coef(need * scale))


def _coef(x: Fraction) -> int | float:
    return x.numerator if x.denominator == 1 else float(x)


__all__ = ["define_indicator_targets", "indicator_rank_value"]
