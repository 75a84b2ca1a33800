"""The value each program delivers to its rank, the rank values the staged solve maximises,
and the idle hold rows it raises."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from allocator.optim.families.indicators import indicator_rank_value
from allocator.optim.handles import ModelHandles
from allocator.plan.schema import Program


def program_value(m: ModelHandles, p: Program) -> tuple[Any, bool]:
    """The value p delivers to its rank, and whether it is integral.

    Without an explicit value: the 億円 funded (on the program's basis: paid in the horizon, or
    contracted). With one: value × go for a fixed profile, value × (億円 funded / high)
    otherwise. Integral when every coefficient is whole (no value, or a value that is a whole
    multiple of high).
    """
    if p.value is None:
        return m.counted(p, p.basis), True
    if p.payment_profile is not None:
        return p.value * m.go[p.program_id], float(p.value).is_integer()
    per_oku = Fraction(p.value) / p.high_oku_yen if p.high_oku_yen else Fraction(0)
    if per_oku.denominator == 1:
        # a whole multiple (value 3,000 for high 1,000): the value is whole on whole 億円, so
        # the rank is solved exactly (a fractional rank gets a 1e-4 gap: FRACTIONAL_VALUE_GAP)
        return int(per_oku) * m.counted(p, p.basis), True
    return (p.value / p.high_oku_yen) * m.counted(p, p.basis), False


def define_priorities(m: ModelHandles) -> None:
    """V[r] = Σ_{p of rank r} value[p] (or, for a rank valued by an indicator, what its
    programs deliver into it by its year); earliness = Σ_{p,y} (last_year − y + 1)·payment[p,y]."""
    for r in m.plan.ranks:
        terms = []
        integral = True
        for p in m.plan.programs:
            if p.rank == r.rank:
                term, is_int = program_value(m, p)
                terms.append(term)
                integral = integral and is_int
        m.rank_value[r.rank] = m.linear_sum(terms)
        if r.indicator is not None:  # valued by what it buys (docs/model.md, "Indicators")
            m.rank_value[r.rank], integral = indicator_rank_value(m, r)
        m.rank_value_integral[r.rank] = integral
        # V[r] ≥ 0 holds for every schedule (amounts and values are ≥ 0), so the row is idle
        # until the solver raises its right-hand side to hold rank r at the value it reached
        m.add("priority_hold", (r.rank,), m.rank_value[r.rank] >= 0)
    last = m.plan.last_year
    # what is paid (a contract program's payments, paid within the horizon), as early as the
    # rules allow; for a program without a contract pattern the payment is its amount
    m.earliness = m.linear_sum((last - y + 1) * expr for (_, y), expr in m.payment.items())
