"""The tie-break stage: which schedule, among those of equal value for every rank (and equal
shortfall for every floor), the run shows.

Many schedules are worth the same to every rank; the one shown is chosen by a rule the analyst
names (``--profile``):

- ``level`` (the default): the smoothest path. Minimise, in 億円,

  L = Σ_y |T_y − T_{y−1}| + Σ_y Ḡ·|r_y − r_{y−1}| + Σ_p Σ_y |x_{p,y} − x_{p,y−1}|

  over consecutive fiscal years of the horizon: T_y total new spending (defence and economic
  security), r_y = (B_y + D_y)/G_y the defence ratio to the year's GDP (valued at Ḡ, the mean GDP
  of the horizon, so that a change of 0.01 % of GDP weighs about as much as the same money), and
  x_{p,y} each program's money paid (0 outside its window, inside the horizon). A contract
  program's x_{p,y} is measured at its pattern's shares, Σ_t s_{y−t}·c_{p,t}, before the
  whole-億円 rounding of its payments (each differs from the paid amount by less than 1 億円):
  on the rounded payments the stage took HiGHS 3–9 s on the shipped plan, on the shares
  0.2–4 s (issue 10; ``bench/tiebreak_fixing.py``). Each |·| is an
  auxiliary variable d ≥ 0 with two rows ``d ≥ e`` and ``d ≥ −e`` (families ``level_total``,
  ``level_ratio``, ``level_program``), exact at the optimum;
- ``early``: money as early as the rules allow, maximising Σ_{p,y} (y_max − y + 1)·x_{p,y}
  (the tie-break before issue 9), on payments;
- ``reference``: closest to an approved run — minimise Σ_{p,y} |x_{p,y} − x°_{p,y}|, the 億円
  moved against the reference run's payments x° (family ``reference_gap``; the persistence
  idea of capital budgeting: keep what was approved unless the priority needs otherwise).

The rows are added once, just before the first tie-break stage (:func:`ensure_tiebreak`), so
the floor and rank stages do not carry them. Every rank and floor is held when the tie-break
runs (docs/model.md): no rank loses anything to it.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

from allocator.optim.handles import ModelHandles

Reference = dict[tuple[str, int], int]
"""An approved schedule: {(program_id, fiscal_year): 億円}."""


def _abs(m: ModelHandles, family: str, index: tuple[Any, ...], expr: Any) -> Any:
    """A variable d ≥ |expr|: ``family[index,+]: d − expr ≥ 0`` and ``family[index,−]``."""
    name = ",".join(str(i) for i in index)
    d = m.prob.add_variable(f"{family}_abs[{name}]", 0)
    m.add(family, (*index, "+"), d - expr >= 0)
    m.add(family, (*index, "-"), d + expr >= 0)
    return d


def _peak(m: ModelHandles, family: str, steps: list[Any]) -> Any:
    """A variable at least every one of ``steps`` (each a |change|): the largest jump."""
    peak = m.prob.add_variable(f"{family}_peak", 0)
    for i, d in enumerate(steps):
        m.add("level_peak", (family, i), peak - d >= 0)
    return peak


def _shares(m: ModelHandles) -> dict[tuple[str, int], Any]:
    """What level measures as each program's payment in a year: the payment itself, or for a
    contract program Σ_t s_{y−t}·contract[p,t] over the contracts paying in y (the shares of
    its pattern, before the whole-億円 rounding of ``payment_rounding``)."""
    measured: dict[tuple[str, int], Any] = {}
    for p in m.plan.programs:
        pid = p.program_id
        years = m.payment_years_of(p)
        if p.contract_pattern is None:
            for y in years:
                measured[pid, y] = m.payment[pid, y]
            continue
        terms: dict[int, list[Any]] = {y: [] for y in years}
        for t in m.years_of(p):
            for k, share in enumerate(p.contract_pattern):
                if share and t + k in terms:
                    terms[t + k].append(float(share) * m.amount[pid, t])
        for y in years:
            measured[pid, y] = m.linear_sum(terms[y])
    return measured


def _level(m: ModelHandles) -> Any:
    plan = m.plan
    years = plan.fiscal_years
    x = _shares(m)

    def spent(y: int, defence: bool) -> Any:
        return m.linear_sum(
            x[p.program_id, y]
            for p in plan.programs
            if (p.program_id, y) in x and (not defence or plan.counts_toward_defense(p))
        )

    terms: list[Any] = []
    mean_gdp = Fraction(sum(plan.gdp(y) for y in years), len(years))
    total_steps: list[Any] = []
    ratio_steps: list[Any] = []
    for prev, y in itertools.pairwise(years):
        step = spent(y, False) - spent(prev, False)
        total_steps.append(_abs(m, "level_total", (y,), step))
        # Ḡ·(r_y − r_{y−1}) with r_y = (B_y + D_y)/G_y, in 億円 at the horizon's mean GDP
        a = float(mean_gdp / plan.gdp(y))
        b = float(mean_gdp / plan.gdp(prev))
        const = a * plan.committed(y) - b * plan.committed(prev)
        ratio = a * spent(y, True) - b * spent(prev, True) + const
        ratio_steps.append(_abs(m, "level_ratio", (y,), ratio))
    terms += total_steps + ratio_steps
    if total_steps:
        # the sum of the changes alone is indifferent to how a fall is spread (one cliff or
        # several steps): the largest change, weighted as if every year had it, prefers steps
        weight = len(total_steps)
        terms.append(weight * _peak(m, "level_total", total_steps))
        terms.append(weight * _peak(m, "level_ratio", ratio_steps))
    for p in plan.programs:
        pid = p.program_id
        mine = set(m.payment_years_of(p))  # what it pays (a contract program's payments)
        if not mine:
            continue
        for prev, y in itertools.pairwise(years):
            if prev not in mine and y not in mine:
                continue
            now = x[pid, y] if y in mine else 0
            before = x[pid, prev] if prev in mine else 0
            if isinstance(now, int) or isinstance(before, int):
                terms.append(now if not isinstance(now, int) else before)  # |x − 0| = x
            else:
                terms.append(_abs(m, "level_program", (pid, y), now - before))
    return m.linear_sum(terms)


def _early(m: ModelHandles) -> Any:
    return m.earliness  # Σ (y_max − y + 1)·payment[p,y] (allocator.optim.families.priorities)


def _reference(m: ModelHandles, reference: Reference) -> Any:
    terms: list[Any] = []
    for (pid, y), expr in m.payment.items():
        target = reference.get((pid, y), 0)
        terms.append(_abs(m, "reference_gap", (pid, y), expr - target))
    return m.linear_sum(terms)


def ensure_tiebreak(m: ModelHandles) -> tuple[Any, str, bool]:
    """Add the tie-break's rows to ``m`` (once) and return (objective to **maximise**, label,
    whether its value is whole on whole-億円 schedules)."""
    profile = m.plan.solver.profile
    if m.tiebreak is None:
        if profile == "level":
            m.tiebreak = -1 * _level(m)
        elif profile == "reference":
            m.tiebreak = -1 * _reference(m, m.reference or {})
        else:
            m.tiebreak = _early(m)
    labels = {
        "level": ("smoothest path", False),
        "reference": ("closest to the reference run", True),
        "early": ("earliest years", True),
    }
    label, integral = labels.get(profile, ("earliest years", True))
    return m.tiebreak, label, integral


__all__ = ["Reference", "ensure_tiebreak"]
