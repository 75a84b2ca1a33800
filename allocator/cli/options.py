"""Command-line options shared by several ``allocate`` commands (one definition each), and
parsers of option text that need no library (pure: no typer in their results)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Annotated

import typer

from allocator.errors import UsageError

PlanOption = Annotated[
    Path, typer.Option("--plan", help="Plan folder (with plan.toml) or the plan.toml file.")
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
