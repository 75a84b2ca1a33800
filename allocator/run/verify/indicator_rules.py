"""What the money buys, recomputed from the schedule (rules ``indicator`` and
``indicator_target``), and the value of ranks valued by an indicator.

Written here again on purpose (docs/model.md, "Indicators"; the planning copy is
:mod:`allocator.plan.indicators`): money paid (or units bought) by program p in year t delivers
``rate × quantity`` into its indicator in t + lag; a stock's level is ``start + s·Σ`` of the
deliveries so far, a flow's ``start + s·`` the year's delivery; exact fractions throughout.
"""

from __future__ import annotations

from fractions import Fraction

from allocator.constants import INDICATORS_CSV
from allocator.formatting import fy
from allocator.plan.schema import Indicator, Plan
from allocator.run.verify.common import Table, text_cell
from allocator.run.verify.files import ScheduleRow
from allocator.run.verify.tally import Tally

INDICATOR_TABLE_COLUMNS = (
    "indicator",
    "fiscal_year",
    "delivered",
    "level",
    "target",
    "target_rule",
    "target_met",
    "in_horizon",
)


def _delivered(
    plan: Plan, rows: list[ScheduleRow], ind: Indicator, rank: int | None = None
) -> dict[int, Fraction]:
    """{year: delivered} into ``ind`` (from the programs of ``rank`` only, when given)."""
    programs = {p.program_id: p for p in plan.programs}
    out: dict[int, Fraction] = {}
    for o in plan.outputs:
        if o.indicator != ind.id or o.program_id not in programs:
            continue
        if rank is not None and programs[o.program_id].rank != rank:
            continue
        for r in rows:
            if r.program_id != o.program_id:
                continue
            if o.per_oku_yen is not None:
                q = o.per_oku_yen * r.amount
            else:
                assert o.per_unit is not None
                q = o.per_unit * (r.units or 0)
            out[r.fiscal_year + o.lag_years] = out.get(r.fiscal_year + o.lag_years, 0) + q
    return out


def _years(plan: Plan, ind: Indicator) -> range:
    lag = max((o.lag_years for o in plan.outputs if o.indicator == ind.id), default=0)
    return range(plan.first_year, plan.last_year + lag + 1)


def _levels(
    plan: Plan, rows: list[ScheduleRow], ind: Indicator
) -> dict[int, tuple[Fraction, Fraction]]:
    """{year: (delivered, level)} over the indicator's trajectory."""
    got = _delivered(plan, rows, ind)
    sign = 1 if ind.direction == "up" else -1
    out: dict[int, tuple[Fraction, Fraction]] = {}
    running = Fraction(0)
    for y in _years(plan, ind):
        d = Fraction(got.get(y, 0))
        running += d
        out[y] = (d, ind.start + sign * (running if ind.kind == "stock" else d))
    return out


def _meets(ind: Indicator, level: Fraction, target: Fraction) -> bool:
    return level >= target if ind.direction == "up" else level <= target


def _parse(cell: str) -> Fraction | None:
    try:
        return Fraction(cell.strip())
    except (ValueError, ZeroDivisionError):
        return None


def _close(a: Fraction, b: Fraction) -> bool:
    scale = max(Fraction(1), abs(a), abs(b))
    return abs(a - b) <= scale / 10**6


def check_indicator_targets(plan: Plan, rows: list[ScheduleRow], t: Tally) -> None:
    """Every indicator target that is a rule is met by the schedule."""
    rule = "indicator_target"
    for ind in plan.indicators:
        levels = _levels(plan, rows, ind)
        for target in ind.targets:
            if not target.rule:
                continue
            t.check(rule)
            y = target.fiscal_year
            if y in levels:
                level = levels[y][1]
            else:  # after the trajectory: a stock keeps its last level, a flow is back to start
                last = max(levels) if levels else None
                level = levels[last][1] if ind.kind == "stock" and last is not None else ind.start
            if not _meets(ind, level, target.level):
                word = "at least" if ind.direction == "up" else "at most"
                t.fail(
                    rule,
                    ind.id,
                    f"{fy(y)}: indicator {ind.id} reaches {float(level):,.6g}, but its target "
                    f"(a rule) is {word} {float(target.level):,.6g}",
                    year=y,
                )


def check_indicator_table(
    plan: Plan, rows: list[ScheduleRow], table: Table | None, t: Tally
) -> None:
    """``indicators.csv`` holds every indicator and year of its trajectory, each row as the
    schedule gives it."""
    rule = "indicator"
    if not plan.indicators:
        return
    t.check(rule)
    if table is None:
        t.fail(rule, INDICATORS_CSV, f"{INDICATORS_CSV} is missing or unreadable")
        return
    found: dict[tuple[str, int], tuple[int, dict[str, str]]] = {}
    for line, c in table:
        key = (text_cell(c["indicator"]).strip(), int(_parse(c["fiscal_year"]) or 0))
        if key in found:
            t.check(rule)
            t.fail(rule, key[0], f"{INDICATORS_CSV} row {line}: {key[0]} {key[1]} appears twice")
        found[key] = (line, c)
    expected: set[tuple[str, int]] = set()
    for ind in plan.indicators:
        targets = {tg.fiscal_year: tg for tg in ind.targets}
        for y, (delivered, level) in _levels(plan, rows, ind).items():
            expected.add((ind.id, y))
            t.check(rule)
            hit = found.get((ind.id, y))
            if hit is None:
                t.fail(rule, ind.id, f"{INDICATORS_CSV} has no row for {ind.id} in {fy(y)}", year=y)
                continue
            line, c = hit
            target = targets.get(y)
            want_text = {
                "target_rule": "" if target is None else ("yes" if target.rule else "no"),
                "target_met": ""
                if target is None
                else ("yes" if _meets(ind, level, target.level) else "no"),
                "in_horizon": "yes" if y <= plan.last_year else "no",
            }
            wrong = [k for k, v in want_text.items() if text_cell(c.get(k)).strip() != v]
            for col, want in (("delivered", delivered), ("level", level)):
                got = _parse(c.get(col, ""))
                if got is None or not _close(got, want):
                    wrong.append(col)
            got_target = _parse(c.get("target", "")) if c.get("target", "").strip() else None
            if (got_target is None) != (target is None) or (
                target is not None
                and got_target is not None
                and not _close(got_target, target.level)
            ):
                wrong.append("target")
            if wrong:
                t.fail(
                    rule,
                    ind.id,
                    f"{INDICATORS_CSV} row {line} ({ind.id}, {fy(y)}): {', '.join(wrong)} differ "
                    f"from the schedule (level {float(level):,.6g})",
                    year=y,
                )
    extra = sorted(set(found) - expected)
    if extra:
        t.check(rule)
        t.fail(rule, INDICATORS_CSV, f"{INDICATORS_CSV} has rows the plan does not: {extra[:3]}")


def indicator_rank_values(plan: Plan, rows: list[ScheduleRow]) -> dict[int, float]:
    """{rank: value} of the ranks valued by an indicator: what their programs deliver into it
    by the rank's year."""
    out: dict[int, float] = {}
    for r in plan.ranks:
        if r.indicator is None or r.indicator_year is None:
            continue
        ind = next(i for i in plan.indicators if i.id == r.indicator)
        got = _delivered(plan, rows, ind, rank=r.rank)
        out[r.rank] = float(sum((d for y, d in got.items() if y <= r.indicator_year), Fraction(0)))
    return out


__all__ = [
    "INDICATOR_TABLE_COLUMNS",
    "check_indicator_table",
    "check_indicator_targets",
    "indicator_rank_values",
]
