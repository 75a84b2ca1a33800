"""Shared by the verifier's rules: the run folder's column lists, cell parsers and the
recomputation of caps and ceilings. Deliberately a second copy of the plan's own rules
(:meth:`Plan.cap_oku_yen`, :meth:`FiscalCaps.ceiling`): a test checks that the two agree."""

from __future__ import annotations

import re
from collections.abc import Iterable
from fractions import Fraction

from allocator.constants import FORMULA_START
from allocator.formatting import oku
from allocator.plan.schema import Plan, Program
from allocator.run.verify.tally import Tally

GROWTH_TOLERANCE = 1e-9
"""Relative tolerance of the growth rule (its ratio is a float)."""

SCHEDULE_COLUMNS = (
    "fiscal_year",
    "program_id",
    "name_ja",
    "name_en",
    "area",
    "phase",
    "rank",
    "amount_oku_yen",
    "units",
    "counts_toward_defense",
    "contract_oku_yen",
    "payment_oku_yen",
)
SUMMARY_COLUMNS = (
    "fiscal_year",
    "gdp_oku_yen",
    "cap_ratio",
    "cap_oku_yen",
    "baseline_oku_yen",
    "defense_alloc_oku_yen",
    "other_alloc_oku_yen",
    "defense_total_oku_yen",
    "gdp_ratio",
    "headroom_oku_yen",
    "new_total_oku_yen",
    "fiscal_ceiling_oku_yen",
)
PROGRAMS_COLUMNS = (
    "program_id",
    "name_ja",
    "name_en",
    "area",
    "phase",
    "rank",
    "funded",
    "total_oku_yen",
    "low_oku_yen",
    "high_oku_yen",
    "first_funded_year",
    "last_funded_year",
    "window_first_year",
    "window_last_year",
    "mandatory",
)
RANKS_COLUMNS = (
    "rank",
    "name_ja",
    "name_en",
    "areas",
    "programs",
    "programs_funded",
    "funded_oku_yen",
    "sum_of_highs_oku_yen",
    "share_funded",
    "value",
    "best_bound",
    "gap",
    "status",
)
SHORTFALLS_COLUMNS = ("floor", "id", "floor_oku_yen", "achieved_oku_yen", "shortfall_oku_yen")
INT_RE = re.compile(r"[+-]?\d+")
SIX_DECIMALS_RE = re.compile(r"-?\d+\.\d{6}")

Amounts = dict[str, dict[int, int]]
"""{program_id: {fiscal_year: 億円}} as read from schedule.csv."""
Table = list[tuple[int, dict[str, str]]]
"""Rows of a CSV file: (row number as a spreadsheet shows it, {column: cell})."""


def span(first: int, last: int) -> str:
    return f"{first}–{last}年度"


def int_cell(cell: str | None) -> int | None:
    """The integer in ``cell``, or None when it is not exactly an integer."""
    if cell is None:
        return None
    s = cell.strip()
    return int(s) if INT_RE.fullmatch(s) else None


def text_cell(cell: str | None) -> str:
    """A text cell with the CSV-injection guard (a leading ``'``) taken off again."""
    s = cell or ""
    if s.startswith("'") and s[1:].startswith(FORMULA_START):
        return s[1:]
    return s


def yes_no(cell: str | None) -> bool | None:
    s = text_cell(cell).strip().lower()
    return True if s == "yes" else False if s == "no" else None


def total_of(amounts: Amounts, program_id: str, years: Iterable[int] | None = None) -> int:
    mine = amounts.get(program_id, {})
    if years is None:
        return sum(mine.values())
    return sum(mine.get(y, 0) for y in years)


def paid_years(amounts: Amounts, program_id: str) -> list[int]:
    return sorted(y for y, a in amounts.get(program_id, {}).items() if a > 0)


def year_total(amounts: Amounts, year: int, programs: Iterable[Program]) -> int:
    return sum(amounts.get(p.program_id, {}).get(year, 0) for p in programs)


def exact_cap(plan: Plan, year: int) -> int:
    """The GDP-ratio cap on total defence spending in ``year``: floor(ratio × GDP), in 億円.

    Parameters
    ----------
    plan : Plan
        The reloaded plan.
    year : int
        A fiscal year of the horizon.

    Returns
    -------
    int
        ``floor(cap.ratio × GDP(base year))`` where the base year is ``year`` for
        ``each_year`` and ``cap.base_year`` for ``fixed_year``.
    """
    base_year = plan.cap.base_year if plan.cap.base == "fixed_year" else year
    gdp = dict(plan.gdp_oku_yen)[base_year if base_year is not None else year]
    ratio = Fraction(plan.cap.ratio)
    return (ratio.numerator * gdp) // ratio.denominator


def fiscal_ceiling(plan: Plan, year: int) -> int | None:
    """The absolute ceiling on new spending in ``year`` (the tighter of both settings)."""
    candidates = [v for y, v in plan.fiscal.per_year_oku_yen if y == year]
    if plan.fiscal.max_new_per_year_oku_yen is not None:
        candidates.append(plan.fiscal.max_new_per_year_oku_yen)
    return min(candidates) if candidates else None


def check_range(
    t: Tally,
    rule: str,
    subject: str,
    label: str,
    total: int,
    low: int | None,
    high: int | None,
) -> None:
    t.check(rule)
    if low is not None and total < low:
        t.fail(
            rule,
            subject,
            f"{label}: total {oku(total)} is below its low {oku(low)} by {oku(low - total)} 億円",
            excess=low - total,
        )
    if high is not None and total > high:
        t.fail(
            rule,
            subject,
            f"{label}: total {oku(total)} exceeds its high {oku(high)} by {oku(total - high)} 億円",
            excess=total - high,
        )
