"""Terminal text of ``allocate montecarlo`` and ``allocate risk``: the headline figures of the
summary tables (the full tables are in the folder)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from allocator.api_uncertainty import DrawsOutcome
from allocator.formatting import format_cap


def _p(v: Any) -> str:
    return "-" if v is None or pd.isna(v) else f"{100 * float(v):.1f}%"


def _r(v: Any) -> str:
    return "-" if v is None or pd.isna(v) else f"{100 * float(v):.3f}%"


def _n(v: Any) -> str:
    return "-" if v is None or pd.isna(v) else f"{round(float(v)):,}"


def _head(o: DrawsOutcome, what: str) -> list[str]:
    rec = o.record
    counts = ", ".join(f"{k} {v}" for k, v in rec.status_counts.items())
    where = f"{rec.workers} local workers" if rec.workers else f"cluster {rec.scheduler}"
    resumed = f", resumed after {o.resumed_from}" if o.resumed_from else ""
    line = (
        f"plan {o.plan.name}: {what}, cap {format_cap(o.plan.cap.ratio)} of GDP, "
        f"{rec.draws_done} draws (seed {rec.request.seed}{resumed}) on {where}, "
        f"{rec.seconds.get('draws', 0.0):.1f} s"
    )
    return [line] + ([f"statuses: {counts}"] if counts else [])


def render_montecarlo(o: DrawsOutcome) -> str:
    lines = _head(o, "plan re-solved per draw")
    years = o.tables["years"]
    lines.append(f"{'FY':<6}{'cap':>8}{'central':>10}{'5%':>9}{'50%':>9}{'95%':>9}")
    for r in years.itertuples(index=False):
        lines.append(
            f"{r.fiscal_year:<6}{_r(r.cap_ratio):>8}{_r(r.central_ratio):>10}"
            f"{_r(r.ratio_p5):>9}{_r(r.ratio_p50):>9}{_r(r.ratio_p95):>9}"
        )
    lines.append("rank   central       5%      50%      95%   P(below central)")
    for r in o.tables["ranks"].itertuples(index=False):
        lines.append(
            f"{r.rank:<5}{_n(r.central_value):>9}{_n(r.value_p5):>9}{_n(r.value_p50):>9}"
            f"{_n(r.value_p95):>9}   {_p(r.p_below_central):>7}"
        )
    lines.append("program  rank  P(funded)  P(low)  P(high)   if a plan: P(funded)  P(high)")
    for r in o.tables["programs"].itertuples(index=False):
        lines.append(
            f"{r.program_id:<9}{r.rank:<6}{_p(r.p_funded):>9}{_p(r.p_low):>8}{_p(r.p_high):>9}"
            f"{_p(r.p_funded_if_plan):>23}{_p(r.p_high_if_plan):>9}"
        )
    lines.append(
        "P over all draws: a draw with no plan (its floors cost more yen than its cap allows) "
        "funds nothing"
    )
    if o.robust is not None:
        rb = o.robust
        lines.append(
            f"robust first years {rb.years[0]}–{rb.years[-1]}: hold in "
            f"{sum(1 for r, _ in rb.fixed.values() if r.status in ('optimal', 'feasible'))}"
            f"/{len(rb.fixed)} scenarios of the set; the central-case plan's first years in "
            f"{sum(1 for _, c in rb.fixed.values() if c.status in ('optimal', 'feasible'))}"
            f"/{len(rb.fixed)}"
        )
        if rb.left_out:
            lines.append(f"left out (no plan at all): {', '.join(rb.left_out)}")
    lines.extend(f"note: {n}" for n in o.record.notes if not n.startswith("robust first"))
    return "\n".join(lines)


def render_risk(o: DrawsOutcome) -> str:
    lines = _head(o, f"plan of {o.record.request.held_run} held fixed")
    lines.append(
        f"{'FY':<6}{'planned':>9}{'P(exceed)':>11}{'5%':>9}{'50%':>9}{'95%':>9}"
        f"{'excess 95%':>12}{'P(budget>cap)':>15}"
    )
    for r in o.tables["years"].itertuples(index=False):
        lines.append(
            f"{r.fiscal_year:<6}{_r(r.planned_ratio):>9}{_p(r.p_exceed):>11}{_r(r.ratio_p5):>9}"
            f"{_r(r.ratio_p50):>9}{_r(r.ratio_p95):>9}{_n(r.excess_p95_oku_yen):>12}"
            f"{_p(r.p_exceed_budget):>15}"
        )
    lines.append(
        "ratio: spending to deliver the plan as signed (cost growth and the yen paid) / GDP"
    )
    lines.append("program  rank  planned   power 5%   50%     P(below floor)")
    for r in o.tables["programs"].itertuples(index=False):
        lines.append(
            f"{r.program_id:<9}{r.rank:<6}{_n(r.planned_oku_yen):>8}{_n(r.real_p5_oku_yen):>10}"
            f"{_n(r.real_p50_oku_yen):>8}   {_p(r.p_below_floor):>8}"
        )
    return "\n".join(lines)
