"""``allocate min-cap --ranks 1-3``: the smallest GDP-ratio cap that funds the given priority
ranks fully (a single ratio, and the least path year by year)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.cli.exits import EXIT_INFEASIBLE, fail
from allocator.cli.options import (
    CapBaseOption,
    FirstYearOption,
    GdpCaseOption,
    PlanOption,
    YearsOption,
    parse_cap_base,
    parse_first_year,
    parse_gdp_case,
    parse_ranks,
    parse_time_limit,
    parse_years,
)
from allocator.errors import AllocatorError, UsageError
from allocator.plan.cap import parse_cap


def min_cap_command(
    ranks: Annotated[str, typer.Option("--ranks", help="Ranks to fund fully: 1-3, 1,2,3 or 1.")],
    plan: PlanOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder to write min_cap.csv into (nothing is written without)."
        ),
    ] = None,
    step: Annotated[str, typer.Option("--step", help="Resolution of the single cap.")] = "0.01%",
    gdp_case: GdpCaseOption = None,
    cap_base: CapBaseOption = None,
    first_year: FirstYearOption = None,
    years: YearsOption = None,
    time_limit: Annotated[
        str | None,
        typer.Option(
            "--time-limit", help="Seconds for each solve, 0.1–1000000.", metavar="SECONDS"
        ),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Terminal language: ja or en.")] = "ja",
) -> None:
    """The smallest GDP-ratio caps for the given ranks: at which every floor is met, and at
    which each rank is as high as with no GDP cap.

    "As high as with no GDP cap": each rank reaches the value it gets with a 99 % cap (every
    floor met) — which may be below the sum of its programs' highs when other rules (fiscal
    ceilings, area ceilings) hold it back. Prints both single caps (to 0.01 %) and, per fiscal
    year, the least defence spending with which a plan has each rank that high. Exit code 4
    when no cap below 99 % does.

    Example:  allocate min-cap --ranks 1-3
    """
    from allocator.api import min_cap
    from allocator.cli.render_analysis import ranks_text, render_min_cap
    from allocator.plan.loading import Overrides, plan_folder

    try:
        wanted = parse_ranks(ranks)
        resolution = parse_cap(step, option="--step")
        base, base_year = parse_cap_base(cap_base)
        if lang not in ("ja", "en"):
            raise UsageError("--lang", f"{lang!r} is not a language", "give ja or en")
        outcome = min_cap(
            plan_folder(plan),
            wanted,
            resolution,
            Overrides(
                gdp_case=parse_gdp_case(gdp_case),
                time_limit_seconds=None if time_limit is None else parse_time_limit(time_limit),
                cap_base=base,
                cap_base_year=base_year,
                first_year=None if first_year is None else parse_first_year(first_year),
                years=None if years is None else parse_years(years),
            ),
            out=out,
        )
    except AllocatorError as exc:
        fail(str(exc), exc.exit_code)
    result = outcome.result
    typer.echo(render_min_cap(outcome.plan, result, lang))
    if outcome.written is not None:
        typer.echo(f"written: {outcome.written}")
    if result.uniform is None:
        why = (
            "the plan has no schedule even at 99 % of GDP"
            if result.status == "infeasible"
            else "only the 99 % cap itself does"
        )
        fail(
            f"no cap below 99% has {ranks_text(result.ranks)} as high as with no GDP cap: {why}",
            EXIT_INFEASIBLE,
        )
