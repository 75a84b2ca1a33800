"""Command-line options shared by several ``allocate`` commands (one definition each), and
parsers of option text that need no library (pure: no typer in their results)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Annotated

import typer

from allocator.errors import UsageError

FirstYearOption = Annotated[
    int | None,
    typer.Option(
        "--first-year",
        help="Start the plan in this fiscal year (2027 = 2027年度); every window, phase and "
        "bound moves with it.",
        min=1900,
        max=2200,
    ),
]
YearsOption = Annotated[
    int | None,
    typer.Option(
        "--years",
        help="Horizon in fiscal years; a shorter horizon cuts windows (floors of areas whose "
        "programs cannot all be funded inside it, and of phases and bounds reaching beyond it, "
        "are not applied).",
        min=1,
        max=100,
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


def parse_ranks(text: str, option: str = "--ranks") -> list[int]:
    """Parse ``1-3``, ``1,2,3``, ``1`` or a mix (``1-2,4``; full-width digits too).

    Raises
    ------
    UsageError
        If a part is not a rank number (≥ 1) or a range goes down.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
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
        if first < 1 or first > last:
            raise UsageError(
                option, f"{part!r} is not a rank range", "ranks count from 1, e.g. 1-3"
            )
        out.update(range(first, last + 1))
    return sorted(out)


def parse_cap_base(text: str | None) -> tuple[str | None, int | None]:
    """``each_year`` | ``fixed_year`` | ``fixed_year:2022`` | ``2022``.

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
