"""A re-plan's fixed years: the money of every program in the years before ``--from`` is what
it executed (family ``actual``), a program with money executed stays funded
(``actual_funded``), and rules about the fixed years that the actuals already break are set
aside rather than making the re-plan impossible (docs/model.md, "Re-planning from actuals").

Two steps of :data:`allocator.optim.model.BUILD_ORDER`:

- :func:`define_actuals`, right after the variables: each fixed cell's money becomes a
  variable ``actual[p,y]`` whose bounds are both the executed amount (its own variable is
  fixed at 0 and dropped from the handles), so every later family sums the executed amount
  where it sums money, and every row keeps its right-hand side apart from its terms (the
  holds and sweeps move right-hand sides);
- :func:`settle_actuals`, after the last money rule: rows that speak only of fixed years are
  emptied (they hold or not as facts, and :func:`allocator.plan.actuals.past_breaches` reports
  the ones that do not); a total the fixed years already exceed is held where it stands
  (nothing more under it); a floor whose years are all fixed and unmet is emptied.
"""

from __future__ import annotations

from typing import Any

from allocator.optim.handles import ModelHandles
from allocator.plan.breaches import CEILING_FAMILIES, FLOOR_FAMILIES, fixed_cells, past_breaches

PAST_YEAR_AT: dict[str, int] = {
    "year_max": 1,
    "ramp": 1,
    "gdp_cap": 0,
    "fiscal_year_cap": 0,
    "fiscal_growth": 0,
    "after_start": 2,
    "finished_def": 2,
    "vehicle_cap": 1,  # who paid what in a fixed year is a fact (vehicle_cap[v,y])
    "new_contract_cap": 0,
}
"""Families whose rows speak of one fiscal year, and where that year is in the row's index
(``finished_def[q,y,t]``: the later payment year t). A row of a fixed year is emptied."""


def define_actuals(m: ModelHandles) -> None:
    """amount[p,y] = actual[p,y] = executed[p,y] for every fixed year y (``actual[p,y]``,
    and the variable's bounds);
    go[p] = 1 for every program with money executed (``actual_funded[p]``)."""
    plan = m.plan
    if plan.actuals is None:
        return
    for (pid, y), (amount, units) in fixed_cells(plan).items():
        if (pid, y) not in m.amount and not amount:
            continue  # no money possible there and none executed
        for table in (m.alloc, m.units):
            var = table.pop((pid, y), None)
            if var is not None:
                var.bounds(0, 0)  # unused: the cell's money is the fixed variable below
        var = m.prob.add_variable(f"actual[{pid},{y}]", amount, amount)
        m.add("actual", (pid, y), var == amount)  # named, for explanations and LP files
        m.amount[pid, y] = var
        m.fixed[pid, y] = (amount, units)
    spent = {pid for (pid, _), (amount, _) in m.fixed.items() if amount > 0}
    for pid in sorted(spent):
        m.go[pid].bounds(1, 1)
        m.add("actual_funded", (pid,), m.go[pid] >= 1)


def settle_actuals(m: ModelHandles) -> None:
    """Empty the rows about fixed years only, hold the totals the actuals already exceed, and
    empty the floors they can no longer meet (see the module's docstring)."""
    plan = m.plan
    if plan.actuals is None:
        return
    start = plan.actuals.from_year
    breaches = {(b.family, b.index): b for b in past_breaches(plan)}
    for (family, index), row in list(m.constraints.items()):
        at = PAST_YEAR_AT.get(family)
        if at is not None and int(index[at]) < start:
            _empty(row)
        elif family == "after_finish" and int(index[2]) < start:
            # "s pays in y only once q has finished": with s paid in a fixed year this rules
            # out q's later payments, so it stays, unless the actuals already broke it
            sid = str(index[0])
            if (family, index) in breaches or not m.fixed.get((sid, int(index[2])), (0,))[0]:
                _empty(row)
        elif (family, index) in breaches:
            if family in CEILING_FAMILIES:
                _hold_at_minimum(m, row)
            elif family in FLOOR_FAMILIES:
                _empty(row)


def _empty(row: Any) -> None:
    """Turn a row into 0 ≤ 0 (its variables and constant removed), keeping its name."""
    for var in list(row.keys()):
        del row[var]
    row.constant = 0


def _hold_at_minimum(m: ModelHandles, row: Any) -> None:
    """A ≤ row whose fixed part alone exceeds its limit: move the limit to the row's least
    value over its variables' bounds, so that nothing more is added under it (a ceiling the
    actuals broke stays where they left it instead of making the re-plan impossible)."""
    slacks = {s.name for s in m.slacks.values()}
    least = 0.0
    for var, coef in row.items():
        if var.name in slacks:
            continue
        bound = var.lowBound if coef > 0 else var.upBound
        least += coef * (bound or 0)
    row.constant = -least


__all__ = ["PAST_YEAR_AT", "define_actuals", "settle_actuals"]
