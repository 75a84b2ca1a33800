"""Command-line options shared by several ``allocate`` commands (one definition each), and
parsers of option text that need no library (pure: no typer in their results)."""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path
from typing import Annotated

import typer

from allocator.errors import UsageError

FirstYearOption = Annotated[
    str | None,
    typer.Option(
        "--first-year",
        help="Start the plan in this fiscal year (2027 = 2027年度, 1900–2200); every window, "
        "phase and bound moves with it.",
        metavar="YEAR",
    ),
]
YearsOption = Annotated[
    str | None,
    typer.Option(
        "--years",
        help="Horizon in fiscal years; a shorter horizon cuts windows (floors of areas whose "
        "programs cannot all be funded inside it, and of phases and bounds reaching beyond it, "
        "are not applied); 1–100.",
        metavar="N",
    ),
]
CapBaseOption = Annotated[
    str | None,
    typer.Option(
        "--cap-base",
        help="What the cap is a ratio of: each_year (each year's GDP) or fixed_year:2022 (one "
        "base year's GDP, as the 2022 target was set against FY2022 GDP). Default: the plan's "
        "[cap] base.",
    ),
]

PlanOption = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        help="Plan folder (with plan.toml) or the plan.toml file. Default: $ALLOCATOR_PLAN, "
        "else ./data, else the shipped plan (data/ of the repository allocate runs from).",
    ),
]
GdpCaseOption = Annotated[
    str | None,
    typer.Option(
        "--gdp-case",
        help="GDP path from gdp.csv (e.g. past_projection, "
        "growth_transition). Default: the plan's gdp_case.",
    ),
]
ReportsOption = Annotated[
    Path, typer.Option("--reports", help="Parent folder of the default output folders.")
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="Which schedule to show among those of equal value for every rank: level (the "
        "smoothest path: fewest and smallest year-to-year changes of total new spending, of "
        "the defence ratio and of each program's money), early (money as early as the rules "
        "allow), or reference (closest to --reference). Default: the plan's [solver] profile "
        "(level). No rank loses anything to it.",
    ),
]
ReferenceOption = Annotated[
    Path | None,
    typer.Option(
        "--reference",
        help="An approved run folder: show the schedule closest to it (fewest 億円 moved) among "
        "those of equal value for every rank. Implies --profile reference.",
    ),
]
FloorRatioOption = Annotated[
    str | None,
    typer.Option(
        "--floor-ratio",
        help="The ratio as a target as well as a ceiling: defence spending (baseline + new) at "
        "least this share of GDP (2%, 0.02) in every fiscal year from --floor-from. A floor of "
        "no single rank: when it cannot be met it gives way first, and the run says what the "
        "programs and ceilings cannot absorb.",
    ),
]
FloorFromOption = Annotated[
    int | None,
    typer.Option(
        "--floor-from",
        help="First fiscal year of --floor-ratio (default: the first year of the plan).",
        min=1900,
        max=2200,
    ),
]
FloorsOption = Annotated[
    str | None,
    typer.Option(
        "--floors",
        help="priority: when not every floor (areas, phases, the ten-year minimum, the ratio "
        "floor) can be met, floors give way in reverse priority order — floors of no single "
        "rank first, rank 1's last — and the run lists each shortfall; hard: every floor must "
        "be met, else no plan (exit 4, explained). Default: the plan's [solver] floors "
        "(priority).",
    ),
]

MAX_RANK = 100_000
"""Largest rank number ``--ranks`` accepts (a plan numbers its ranks 1, 2, ...; none has more)."""
MAX_TIME_LIMIT = 1_000_000.0
"""Longest ``--time-limit`` in seconds (about 11.5 days)."""


def parse_ranks(text: str, option: str = "--ranks") -> list[int]:
    """Parse ``1-3``, ``1,2,3``, ``1`` or a mix (``1-2,4``; full-width digits too).

    Raises
    ------
    UsageError
        If a part is not a rank number (≥ 1) or a range goes down.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if len(s) > 1000:
        raise UsageError(option, f"{len(s):,} characters is not a list of ranks", "write e.g. 1-3")
    s = s.replace("〜", "-").replace("~", "-").replace("..", "-").replace("−", "-")
    out: set[int] = set()
    for part in s.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
        if not m:
            raise UsageError(
                option, f"{text!r} is not a list of ranks", "write e.g. 1-3, 1,2,3 or 1"
            )
        if m.group(3) is None:
            first, last = int(m.group(1)), int(m.group(2))
        else:
            first = last = int(m.group(3))
        if last > MAX_RANK:
            raise UsageError(
                option,
                f"rank {last} is beyond any plan (ranks are numbered 1, 2, ... and no plan "
                f"has more than {MAX_RANK:,})",
                "give the ranks of your plan, e.g. 1-3",
            )
        if first < 1 or first > last:
            raise UsageError(
                option, f"{part!r} is not a rank range", "ranks count from 1, e.g. 1-3"
            )
        out.update(range(first, last + 1))
    return sorted(out)


def _number_text(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def parse_int_in_range(text: str, option: str, low: int, high: int, what: str, fix: str) -> int:
    """A whole number between ``low`` and ``high`` (full-width digits too).

    Raises
    ------
    UsageError
        Naming the option, repeating the value and the allowed range, e.g.
        ``--years: 0 is not a horizon length — give between 1 and 100 fiscal years``.
    """
    s = _number_text(text)
    if not re.fullmatch(r"[+-]?\d+", s):
        raise UsageError(option, f"{text[:40]!r} is not a whole number", fix)
    if len(s) > 12:
        raise UsageError(option, f"{s[:20]}… is not {what}", fix)
    value = int(s)
    if not low <= value <= high:
        raise UsageError(option, f"{value} is not {what}", fix)
    return value


def parse_years(text: str) -> int:
    """``--years``: a horizon of 1 to 100 fiscal years."""
    return parse_int_in_range(
        text, "--years", 1, 100, "a horizon length", "give between 1 and 100 fiscal years"
    )


def parse_first_year(text: str, option: str = "--first-year") -> int:
    """``--first-year`` (or ``option``): a fiscal year from 1900 to 2200 (``2027`` = 2027年度)."""
    s = re.sub(r"^(?:FY\s*)?(\d{4})(?:\s*年度)?$", r"\1", _number_text(text), flags=re.I)
    return parse_int_in_range(
        s,
        option,
        1900,
        2200,
        "a fiscal year the tool plans for",
        "give a fiscal year between 1900 and 2200, e.g. 2027 for 2027年度",
    )


def parse_float_in_range(
    text: str, option: str, low: float, high: float, what: str, fix: str
) -> float:
    """A finite decimal number between ``low`` and ``high`` (``inf`` and ``nan`` refused).

    Raises
    ------
    UsageError
        Naming the option, repeating the value and the allowed range.
    """
    s = _number_text(text)
    try:
        value = float(s) if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s) else None
    except (ValueError, OverflowError):
        value = None
    if value is None or not math.isfinite(value):
        raise UsageError(option, f"{text!r} is not a finite number", fix)
    if not low <= value <= high:
        raise UsageError(option, f"{text} is not {what}", fix)
    return value


def parse_time_limit(text: str) -> float:
    """``--time-limit``: seconds, from 0.1 to 1,000,000."""
    return parse_float_in_range(
        text,
        "--time-limit",
        0.1,
        MAX_TIME_LIMIT,
        "a time limit the solver can use",
        f"give seconds between 0.1 and {MAX_TIME_LIMIT:,.0f}, e.g. 120",
    )


def parse_gap(text: str) -> float:
    """``--gap``: the relative MIP gap per stage, from 0 (prove optimality) to 0.99."""
    return parse_float_in_range(
        text,
        "--gap",
        0.0,
        0.99,
        "a relative gap",
        "give a number from 0 (prove optimality) to 0.99, e.g. 0.01 for 1 %",
    )


def parse_gdp_case(text: str | None) -> str | None:
    """``--gdp-case``: None (the plan's own case) or a non-empty name."""
    if text is None:
        return None
    s = text.strip()
    if not s:
        raise UsageError(
            "--gdp-case",
            f"{text!r} is empty, not a GDP case",
            "name a case of gdp.csv (e.g. past_projection), or leave the option out to use "
            "the plan's own",
        )
    return s


def parse_cap_base(text: str | None) -> tuple[str | None, int | None]:
    """``--cap-base``: ``each_year`` | ``fixed_year`` | ``fixed_year:2022`` | ``2022``.

    Raises
    ------
    UsageError
        For anything else.
    """
    if text is None:
        return None, None
    s = text.strip().lower()
    if s in ("each_year", "each"):
        return "each_year", None
    kind, _, year = s.partition(":")
    if s.isdigit():
        kind, year = "fixed_year", s
    if kind in ("fixed_year", "fixed") and (not year or (year.isdigit() and len(year) == 4)):
        return "fixed_year", int(year) if year else None
    raise UsageError(
        "--cap-base", f"{text!r} is not a cap base", "write each_year or fixed_year:2022"
    )
