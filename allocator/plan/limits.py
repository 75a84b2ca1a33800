"""What the model can hold: the largest amount of money, the fiscal years, the solver settings
and the text sizes a plan may use, and the checks that refuse anything beyond them with a
message naming the file, the row or key and the limit.

The limits are far above any real plan (Japan's nominal GDP is about 6,400,000 億円; the largest
amount allowed is 160 times that) and far below what breaks the solver: HiGHS treats 1e20 as
infinite and loses whole 億円 long before, so a plan with 1e30 億円 would otherwise end in an
internal error inside PuLP, or worse, in a schedule that is silently wrong.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from allocator.errors import PlanError

MAX_OKU_YEN = 1_000_000_000
"""The largest amount of money (億円) a plan may state: 1,000,000,000 億円 = 10京円 (100,000
兆円). Money in 億円 is an integer; values are exact up to here, and the solver keeps whole
億円 well beyond it (tested up to 10¹² 億円 on small plans)."""

MAX_OKU_YEN_TEXT = "1,000,000,000 億円 (100,000 兆円)"

MAX_GDP_OKU_YEN = 1_000_000_000_000
"""The largest GDP (億円) gdp.csv may state: GDP enters the model only through the cap's
right-hand side, so it may be far larger (a GDP this size makes the cap never bind)."""
MAX_GDP_TEXT = "1,000,000,000,000 億円"

MAX_VALUE = 1e12
"""The largest explicit ``value`` of a program."""

FIRST_FISCAL_YEAR = 1900
LAST_FISCAL_YEAR = 2200
"""Fiscal years a plan may name (the same range ``--first-year`` accepts)."""

MAX_TIME_LIMIT_SECONDS = 1_000_000.0
"""The longest time limit (about 11.5 days), on the command line and in ``[solver]``."""

MAX_CELL_CHARS = 10_000
"""The longest cell of a plan's CSV files (a source note fits many times over)."""

MAX_FILE_BYTES = 100_000_000
"""The largest plan file read (100 MB: ten thousand programs take about 3 MB)."""

MAX_DIGITS = 20
"""Digits in a whole number beyond which it is refused before conversion (Python refuses to
convert more than 4,300, with an error that names neither the file nor the cell)."""


def too_much_money(value: int) -> bool:
    return abs(value) > MAX_OKU_YEN


def _toml_key(where: tuple[str, ...]) -> str:
    """``("fiscal", "gap")`` -> ``[fiscal] gap``; ``("areas", "#2", "low")`` -> ``[[areas]] #2
    low``."""
    if not where:
        return "(top level)"
    if len(where) == 1:
        return where[0]
    if len(where) >= 3 and where[1].startswith("#"):
        return f"[[{where[0]}]] {where[1]} {'.'.join(where[2:])}"
    return f"[{'.'.join(where[:-1])}] {where[-1]}"


def check_toml_numbers(doc: Any, path: Path, where: tuple[str, ...] = ()) -> None:
    """Refuse non-finite floats (``nan``, ``inf``) anywhere in ``plan.toml``, money beyond
    :data:`MAX_OKU_YEN`, and fiscal years outside 1900–2200.

    Parameters
    ----------
    doc : Any
        The parsed TOML document (dicts, lists, numbers, strings).
    path : Path
        The file, for messages.

    Raises
    ------
    PlanError
        Naming the key (``fiscal, key max_growth_ratio``) and what to write instead.
    """
    if isinstance(doc, dict):
        for key, value in doc.items():
            check_toml_numbers(value, path, (*where, str(key)))
        return
    if isinstance(doc, list):
        for i, value in enumerate(doc):
            check_toml_numbers(value, path, (*where, f"#{i + 1}"))
        return
    if isinstance(doc, bool):
        return
    key = _toml_key(where)
    column = ".".join(w for w in where if not w.startswith("#"))
    if isinstance(doc, float) and not math.isfinite(doc):
        raise PlanError(
            path,
            f"{key} = {doc} is not a finite number",
            column=column,
            fix="write a number (nan and inf are not values a plan can use)",
        )
    if not isinstance(doc, int | float):
        return
    money = any("oku_yen" in w or w == "by_year" for w in where) or where[-1:] == ("tolerance",)
    if money and abs(doc) > MAX_OKU_YEN:
        raise PlanError(
            path,
            f"{key} = {doc:,} is above the largest amount the model can hold, {MAX_OKU_YEN_TEXT}",
            column=column,
            fix="amounts are in 億円 (1 兆円 = 10,000 億円): check the unit",
        )
    if (
        where
        and where[-1] in ("first_year", "last_year", "base_year")
        and not (FIRST_FISCAL_YEAR <= doc <= LAST_FISCAL_YEAR)
    ):
        raise PlanError(
            path,
            f"{key} = {doc} is not a fiscal year the tool plans for",
            column=column,
            fix=f"give a fiscal year between {FIRST_FISCAL_YEAR} and {LAST_FISCAL_YEAR}",
        )
    if where[-1:] == ("time_limit_seconds",) and doc > MAX_TIME_LIMIT_SECONDS:
        raise PlanError(
            path,
            f"{key} = {doc} is above the longest time limit, {MAX_TIME_LIMIT_SECONDS:,.0f} s",
            column=column,
            fix="give seconds between 0.1 and 1,000,000, e.g. 120",
        )
    if isinstance(doc, int) and abs(doc) > 10**15:
        raise PlanError(
            path,
            f"{key} = {doc:,} is too large",
            column=column,
            fix="see docs/plan-format.md for what the setting means",
        )
