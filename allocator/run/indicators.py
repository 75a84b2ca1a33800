"""``indicators.csv``: what the schedule buys, per indicator and fiscal year (plans with
``[[indicators]]``): what is delivered that year, the level at its end, and the year's target
(docs/model.md, "Indicators"). Computed by :func:`allocator.plan.indicators.trajectories`; the
verifier recomputes it on its own (:mod:`allocator.run.verify.indicator_rules`).
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd

from allocator.plan.indicators import Cells, trajectories
from allocator.plan.schema import Plan

INDICATOR_COLUMNS = [
    "indicator",
    "name_ja",
    "name_en",
    "unit_ja",
    "unit_en",
    "kind",
    "direction",
    "fiscal_year",
    "delivered",
    "level",
    "target",
    "target_rule",
    "target_met",
    "in_horizon",
]


def number_text(x: Fraction | None) -> str:
    """An exact quantity as text: whole numbers as such, others with six decimals."""
    if x is None:
        return ""
    if x.denominator == 1:
        return str(x.numerator)
    return f"{float(x):.6f}"


def indicators_table(plan: Plan, cells: Cells) -> pd.DataFrame:
    """One row per indicator and fiscal year of its trajectory (the horizon, and the years
    after it in which money paid within it is still delivered: ``in_horizon`` no)."""
    names = {i.id: i for i in plan.indicators}
    rows = []
    for pt in trajectories(plan, cells):
        ind = names[pt.indicator]
        rows.append(
            {
                "indicator": ind.id,
                "name_ja": ind.name_ja,
                "name_en": ind.name_en,
                "unit_ja": ind.unit_ja,
                "unit_en": ind.unit_en,
                "kind": ind.kind,
                "direction": ind.direction,
                "fiscal_year": pt.fiscal_year,
                "delivered": number_text(pt.delivered),
                "level": number_text(pt.level),
                "target": number_text(pt.target),
                "target_rule": "" if pt.target is None else ("yes" if pt.target_rule else "no"),
                "target_met": "" if pt.target_met is None else ("yes" if pt.target_met else "no"),
                "in_horizon": "yes" if pt.in_horizon else "no",
            }
        )
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


__all__ = ["INDICATOR_COLUMNS", "indicators_table", "number_text"]
