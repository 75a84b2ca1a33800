"""Command-line options shared by several ``allocate`` commands (one definition each)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
