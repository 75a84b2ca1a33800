"""``allocate min-cap --ranks 1-3``: the smallest GDP-ratio cap that funds the given priority
ranks fully (a single ratio, and the least path year by year)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.cli.exits import EXIT_INFEASIBLE, fail
from allocator.cli.options import (
    GdpCaseOption,
    PlanOption,
    parse_gdp_case,
    parse_ranks,
    parse_time_limit,
)
from allocator.errors import AllocatorError
from allocator.plan.cap import parse_cap


def min_cap_command(
    ranks: Annotated[str, typer.Option("--ranks", help="Ranks to fund fully: 1-3, 1,2,3 or 1.")],
    plan: PlanOption = Path("data"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder to write min_cap.csv into (nothing is written without)."
        ),
    ] = None,
    step: Annotated[str, typer.Option("--step", help="Resolution of the single cap.")] = "0.01%",
    gdp_case: GdpCaseOption = None,
    time_limit: Annotated[
        str | None,
        typer.Option(
            "--time-limit", help="Seconds for each solve, 0.1–1000000.", metavar="SECONDS"
        ),
    ] = None,
) -> None:
    """The smallest GDP-ratio cap at which the given ranks are fully funded.

    "Fully funded": each rank reaches the value it gets with no GDP cap (a 99 % cap). Prints
    the smallest single cap (to 0.01 %) and, per fiscal year, the least defence spending with
    which a plan funds them fully. Exit code 4 when no cap below 99 % does.

    Example:  allocate min-cap --ranks 1-3
    """
    from allocator.api import min_cap
    from allocator.cli.render_analysis import ranks_text, render_min_cap
    from allocator.plan.loading import Overrides

    try:
        wanted = parse_ranks(ranks)
        resolution = parse_cap(step, option="--step")
        outcome = min_cap(
            plan,
            wanted,
            resolution,
            Overrides(
                gdp_case=parse_gdp_case(gdp_case),
                time_limit_seconds=None if time_limit is None else parse_time_limit(time_limit),
            ),
            out=out,
        )
    except AllocatorError as exc:
        fail(str(exc), exc.exit_code)
    result = outcome.result
    typer.echo(render_min_cap(outcome.plan, result))
    if outcome.written is not None:
        typer.echo(f"written: {outcome.written}")
    if result.uniform is None:
        why = (
            "the plan has no schedule even at 99 % of GDP"
            if result.status == "infeasible"
            else "only the 99 % cap itself does"
        )
        fail(f"no cap below 99% funds {ranks_text(result.ranks)} fully: {why}", EXIT_INFEASIBLE)
