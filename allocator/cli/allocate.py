"""``allocate [--cap 2%] ...``: solve a plan and write its run folder (the main command).

Parses the options, calls :func:`allocator.api.allocate`, renders the outcome and turns its
status into the exit code. The library is imported only when a plan is to be solved, so
``--help`` and ``--version`` start at once.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from allocator import __version__
from allocator.cli.exits import exit_code, fail, interrupted
from allocator.cli.options import (
    CapBaseOption,
    FirstYearOption,
    FloorFromOption,
    FloorRatioOption,
    FloorsOption,
    GdpCaseOption,
    PlanOption,
    ProfileOption,
    ReferenceOption,
    ReportsOption,
    YearsOption,
    parse_cap_base,
    parse_first_year,
    parse_gap,
    parse_gdp_case,
    parse_time_limit,
    parse_years,
)
from allocator.errors import AllocatorError
from allocator.plan.cap import parse_cap


def _version(value: bool) -> None:
    if value:
        from allocator.optim.solve import highs_version, pulp_version

        typer.echo(f"allocate {__version__} (PuLP {pulp_version()}, HiGHS {highs_version()})")
        raise typer.Exit(0)


def _progress_printer() -> Callable[[str], None] | None:
    """On a terminal, one line per step on stderr, so a long solve never blocks silently."""
    if not sys.stderr.isatty():
        return None
    start = time.perf_counter()

    def show(message: str) -> None:
        typer.echo(f"  [{time.perf_counter() - start:6.1f}s] {message}", err=True)

    return show


def allocate_command(
    ctx: typer.Context,
    cap: Annotated[
        str | None,
        typer.Option(
            "--cap",
            help="GDP-ratio cap on defence spending: 2%, 2.5 %, 0.02 or ２％. "
            "Default: the plan's own [cap] ratio.",
        ),
    ] = None,
    plan: PlanOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Run folder to write. Default: reports/<plan>-cap<cap>/ (a new "
            "numbered folder if that exists).",
        ),
    ] = None,
    reports: ReportsOption = Path("reports"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --out folder.")
    ] = False,
    first_year: FirstYearOption = None,
    years: YearsOption = None,
    gdp_case: GdpCaseOption = None,
    cap_base: CapBaseOption = None,
    time_limit: Annotated[
        str | None,
        typer.Option(
            "--time-limit",
            help="Seconds for the whole solve (all priority stages), 0.1–1000000.",
            metavar="SECONDS",
        ),
    ] = None,
    gap: Annotated[
        str | None,
        typer.Option(
            "--gap",
            help="Relative MIP gap per stage, 0–0.99; 0 proves optimality.",
            metavar="GAP",
        ),
    ] = None,
    floors: FloorsOption = None,
    floor_ratio: FloorRatioOption = None,
    floor_from: FloorFromOption = None,
    profile: ProfileOption = None,
    reference: ReferenceOption = None,
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help="Language of the terminal output, report.md, report.xlsx and the charts: ja "
            "or en.",
        ),
    ] = "ja",
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from allocator.report.worker import ReportWorker

    # the chart process loads matplotlib on the other core while this one loads and solves
    worker = ReportWorker.start()
    try:
        from allocator.api import allocate
        from allocator.plan.loading import Overrides, plan_folder

        base, base_year = parse_cap_base(cap_base)
        overrides = Overrides(
            cap_base=base,
            cap_base_year=base_year,
            cap=parse_cap(cap) if cap is not None else None,
            first_year=parse_first_year(first_year) if first_year is not None else None,
            years=parse_years(years) if years is not None else None,
            gdp_case=parse_gdp_case(gdp_case),
            time_limit_seconds=parse_time_limit(time_limit) if time_limit is not None else None,
            gap=parse_gap(gap) if gap is not None else None,
            floors=floors,
            profile=profile,
            floor_ratio=(
                parse_cap(floor_ratio, option="--floor-ratio") if floor_ratio is not None else None
            ),
            floor_from=floor_from,
        )
        outcome = allocate(
            plan_folder(plan),
            overrides,
            reports=reports,
            out=out,
            force=force,
            lang=lang,
            progress=_progress_printer(),
            report_worker=worker,
            reference=reference,
        )
    except AllocatorError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:  # also while the solver is still being imported
        interrupted()
    finally:
        if worker is not None:
            worker.close()
    try:
        from allocator.cli.render import render_outcome

        typer.echo(render_outcome(outcome, lang))
    except KeyboardInterrupt:
        interrupted()
    verified = None if outcome.verification is None else outcome.verification.ok
    code = exit_code(outcome.result.status, verified, len(outcome.result.shortfalls))
    if code:
        raise typer.Exit(code)
