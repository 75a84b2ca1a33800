"""``allocate sweep --cap 1.5%..2.5% --step 0.1%``: the value of every priority rank against
the cap; writes ``frontier.csv`` and ``frontier.png``."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import typer

from allocator.cli.exits import fail
from allocator.cli.options import (
    CapBaseOption,
    FirstYearOption,
    FloorFromOption,
    FloorRatioOption,
    FloorsOption,
    GdpCaseOption,
    PlanOption,
    ProfileOption,
    ReportsOption,
    YearsOption,
    parse_cap_base,
    parse_first_year,
    parse_gdp_case,
    parse_time_limit,
    parse_years,
)
from allocator.errors import AllocatorError, UsageError
from allocator.formatting import format_cap
from allocator.plan.cap import cap_grid, parse_cap, parse_cap_range

MAX_POINTS = 500
"""Most caps one sweep may have."""


def _progress_printer(total: int) -> tuple[Callable[[int, int, Fraction], None], Any]:
    """A progress callback: a bar on a terminal, else one line per cap on stderr."""
    if sys.stderr.isatty():
        bar = typer.progressbar(length=total, label="sweep", file=sys.stderr)
        bar.__enter__()

        def tick(done: int, n: int, cap: Fraction) -> None:
            bar.update(1)

        return tick, bar

    def line(done: int, n: int, cap: Fraction) -> None:
        typer.echo(f"sweep: {done}/{n} caps solved ({format_cap(cap)})", err=True)

    return line, None


def sweep_command(
    cap: Annotated[
        str,
        typer.Option(
            "--cap",
            help="Caps to solve: a range 1.5%..2.5% (also 1.5%〜2.5%, full-width) or one cap.",
        ),
    ],
    step: Annotated[
        str, typer.Option("--step", help="Distance between caps: 0.1%, 0.001 or ０．１％.")
    ] = "0.1%",
    plan: PlanOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write (must not exist). Default: reports/<plan>-sweep-<lo>-<hi>/ "
            "(a new numbered folder if that exists).",
        ),
    ] = None,
    reports: ReportsOption = Path("reports"),
    lang: Annotated[str, typer.Option("--lang", help="Chart labels: ja or en.")] = "ja",
    gdp_case: GdpCaseOption = None,
    cap_base: CapBaseOption = None,
    first_year: FirstYearOption = None,
    years: YearsOption = None,
    floors: FloorsOption = None,
    floor_ratio: FloorRatioOption = None,
    floor_from: FloorFromOption = None,
    profile: ProfileOption = None,
    time_limit: Annotated[
        str | None,
        typer.Option(
            "--time-limit",
            help="Seconds for each cap's whole solve, 0.1–1000000.",
            metavar="SECONDS",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Processes solving caps in parallel (a local Dask cluster). Default: every "
            "core of this machine; 1 solves in this process.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of an existing Dask scheduler (tcp://host:8786) to solve the caps on.",
        ),
    ] = None,
) -> None:
    """Solve the plan at every cap of a range; write frontier.csv and frontier.png.

    Each worker process builds the model once and re-solves it with the cap changed in place;
    the caps are shared among the machine's cores (--workers) or an existing Dask cluster
    (--scheduler). Floors give way in reverse priority order where not all can be met (unless
    --floors hard), so every cap has a plan; the frontier lists the floors that fall short and
    the caps and ceilings each point reaches. Caps with no plan (--floors hard, or mandatory
    programs that do not fit) are reported as such (exit code still 0).

    Example:  allocate sweep --cap 1.5%..2.5% --step 0.1%
    """
    from allocator.api import sweep
    from allocator.cli.render_analysis import render_sweep
    from allocator.plan.loading import Overrides, plan_folder

    try:
        low, high = parse_cap_range(cap)
        delta = parse_cap(step, option="--step")
        count = (high - low) / delta + 1  # before building the grid: 1e-9 steps would not fit
        if count > MAX_POINTS:
            raise UsageError(
                "--step",
                f"{math.ceil(count):,} caps is too many",
                f"at most {MAX_POINTS}: a larger step",
            )
        caps = cap_grid(low, high, delta)
        if lang not in ("ja", "en"):
            raise UsageError("--lang", f"{lang!r} is not a language", "give ja or en")
        base, base_year = parse_cap_base(cap_base)
        tick, bar = _progress_printer(len(caps))
        try:
            outcome = sweep(
                plan_folder(plan),
                caps,
                Overrides(
                    gdp_case=parse_gdp_case(gdp_case),
                    time_limit_seconds=None if time_limit is None else parse_time_limit(time_limit),
                    cap_base=base,
                    cap_base_year=base_year,
                    first_year=None if first_year is None else parse_first_year(first_year),
                    years=None if years is None else parse_years(years),
                    floors=floors,
                    profile=profile,
                    floor_ratio=(
                        parse_cap(floor_ratio, option="--floor-ratio")
                        if floor_ratio is not None
                        else None
                    ),
                    floor_from=floor_from,
                ),
                reports=reports,
                out=out,
                lang=lang,
                progress=tick,
                workers=workers,
                scheduler=scheduler,
            )
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    except AllocatorError as exc:
        fail(str(exc), exc.exit_code)
    typer.echo(render_sweep(outcome.plan, outcome.result, lang))
    typer.echo(f"written: {outcome.folder}/ (frontier.csv, frontier.png)")
