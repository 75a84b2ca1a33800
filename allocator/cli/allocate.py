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
from allocator.cli.exits import (
    EXIT_INFEASIBLE,
    EXIT_LIMIT_NO_PLAN,
    EXIT_LIMIT_WITH_PLAN,
    EXIT_USAGE,
    EXIT_VERIFY_FAILED,
    fail,
    interrupted,
)
from allocator.cli.options import (
    GdpCaseOption,
    PlanOption,
    ReportsOption,
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


def _parse_cap_base(text: str | None) -> tuple[str | None, int | None]:
    """``each_year`` | ``fixed_year`` | ``fixed_year:2022`` | ``2022``."""
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
    fail(f"--cap-base: {text!r} is not a cap base — write each_year or fixed_year:2022", EXIT_USAGE)


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
    plan: PlanOption = Path("data"),
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
    first_year: Annotated[
        str | None,
        typer.Option(
            "--first-year",
            help="Start the plan in this fiscal year (2027 = 2027年度, 1900–2200); every "
            "window, phase and bound moves with it.",
            metavar="YEAR",
        ),
    ] = None,
    years: Annotated[
        str | None,
        typer.Option(
            "--years",
            help="Horizon in fiscal years (1–100); a shorter horizon cuts windows.",
            metavar="N",
        ),
    ] = None,
    gdp_case: GdpCaseOption = None,
    cap_base: Annotated[
        str | None,
        typer.Option(
            "--cap-base",
            help="What the cap is a ratio of: each_year (each year's GDP) or fixed_year:2022 "
            "(one base year's GDP, as the 2022 target was set against FY2022 GDP). Default: "
            "the plan's [cap] base.",
        ),
    ] = None,
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
    lang: Annotated[
        str,
        typer.Option("--lang", help="Language of report.md, report.xlsx and the charts: ja or en."),
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
        from allocator.plan.loading import Overrides

        base, base_year = _parse_cap_base(cap_base)
        overrides = Overrides(
            cap_base=base,
            cap_base_year=base_year,
            cap=parse_cap(cap) if cap is not None else None,
            first_year=parse_first_year(first_year) if first_year is not None else None,
            years=parse_years(years) if years is not None else None,
            gdp_case=parse_gdp_case(gdp_case),
            time_limit_seconds=parse_time_limit(time_limit) if time_limit is not None else None,
            gap=parse_gap(gap) if gap is not None else None,
        )
        outcome = allocate(
            plan,
            overrides,
            reports=reports,
            out=out,
            force=force,
            lang=lang,
            progress=_progress_printer(),
            report_worker=worker,
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

        typer.echo(render_outcome(outcome))
    except KeyboardInterrupt:
        interrupted()
    status = outcome.result.status
    if status == "infeasible":
        raise typer.Exit(EXIT_INFEASIBLE)
    if status == "no_solution":
        raise typer.Exit(EXIT_LIMIT_NO_PLAN)
    if outcome.verification is not None and not outcome.verification.ok:
        raise typer.Exit(EXIT_VERIFY_FAILED)
    if status != "optimal":
        raise typer.Exit(EXIT_LIMIT_WITH_PLAN)
