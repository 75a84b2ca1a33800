"""The command line: parse options, call one library function, render the answer.

Library errors become one line on stderr and a documented exit code here, at the edge only.

Exit codes
----------
0  an optimal plan, written and verified
1  an unexpected internal error (a bug: please report it)
2  bad usage: an option value, or an output folder that exists without --force
3  invalid plan files (the message names file, row and column)
4  infeasible: no plan satisfies every rule
5  stopped at the time limit with a usable plan (written, verified, marked not optimal)
6  stopped at the time limit before any plan was found
7  the written plan failed independent verification (a bug: please report it)
130 interrupted (Ctrl-C); nothing was written
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from allocator import __version__
from allocator.cli.options import GdpCaseOption, PlanOption, ReportsOption
from allocator.errors import AllocatorError
from allocator.plan.loading import Overrides
from allocator.plan.cap import format_cap, parse_cap

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INVALID_PLAN = 3
EXIT_INFEASIBLE = 4
EXIT_LIMIT_WITH_PLAN = 5
EXIT_LIMIT_NO_PLAN = 6
EXIT_VERIFY_FAILED = 7
EXIT_INTERRUPTED = 130

HELP = """Allocate yearly budgets to a defence and economic-security plan under a GDP-ratio cap.

Solves the plan as an integer program (HiGHS, in-process): rank 1 of the priority order is
funded as fully as the rules allow, then rank 2 without taking anything from rank 1, and so on.
Writes a run folder (schedule.csv, summary.csv, programs.csv, ranks.csv, plan.json, report.md,
report.xlsx, charts/; CSV in UTF-8 with BOM for Excel, amounts in 億円) and verifies it
independently. An infeasible request is explained: which rules conflict, by how many 億円, in
which fiscal years, and the smallest change that would make a plan possible.

Examples:

  allocate --cap 2%                     the shipped plan in data/, 2 % of each year's GDP

  allocate --cap 1.8% --out reports/cap-1.8 --lang en

  allocate verify reports/japan-defense-2026-cap2pct

  allocate compare reports/japan-defense-2026-cap2pct reports/cap-1.8

  allocate sweep --cap 1.5%..2.5% --step 0.1%

  allocate min-cap --ranks 1-3

Exit codes: 0 optimal; 2 bad usage; 3 invalid plan; 4 infeasible; 5 time limit, plan written;
6 time limit, no plan; 7 verification failed; 1 internal error; 130 interrupted.
"""

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help=HELP,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"allocate: error: {message}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        import pulp

        from allocator.optim.solve import highs_version

        typer.echo(f"allocate {__version__} (PuLP {pulp.__version__}, HiGHS {highs_version()})")
        raise typer.Exit(0)


def _check_cap(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        parse_cap(text)
    except AllocatorError as exc:
        raise typer.BadParameter(str(exc).split(": ", 1)[-1]) from None
    return text


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
    _fail(
        f"--cap-base: {text!r} is not a cap base — write each_year or fixed_year:2022", EXIT_USAGE
    )


@app.callback(invoke_without_command=True)
def main_command(
    ctx: typer.Context,
    cap: Annotated[
        str | None,
        typer.Option(
            "--cap",
            help="GDP-ratio cap on defence spending: 2%, 2.5 %, 0.02 or ２％. "
            "Default: the plan's own [cap] ratio.",
            callback=_check_cap,
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
        int | None,
        typer.Option(
            "--first-year",
            help="Start the plan in this fiscal year (2027 = 2027年度); every "
            "window, phase and bound moves with it.",
            min=1900,
            max=2200,
        ),
    ] = None,
    years: Annotated[
        int | None,
        typer.Option(
            "--years",
            help="Horizon in fiscal years; a shorter horizon cuts windows.",
            min=1,
            max=100,
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
        float | None,
        typer.Option(
            "--time-limit", help="Seconds for the whole solve (all priority stages).", min=0.1
        ),
    ] = None,
    gap: Annotated[
        float | None,
        typer.Option(
            "--gap", help="Relative MIP gap per stage; 0 proves optimality.", min=0.0, max=0.99
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
    from allocator.api import allocate

    base, base_year = _parse_cap_base(cap_base)
    overrides = Overrides(
        cap_base=base,
        cap_base_year=base_year,
        cap=parse_cap(cap) if cap is not None else None,
        first_year=first_year,
        years=years,
        gdp_case=gdp_case,
        time_limit_seconds=time_limit,
        gap=gap,
    )
    try:
        outcome = allocate(
            plan,
            overrides,
            reports=reports,
            out=out,
            force=force,
            lang=lang,
            progress=_progress_printer(),
        )
    except AllocatorError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted; no run folder was written", EXIT_INTERRUPTED)
    from allocator.cli.render import render_outcome

    typer.echo(render_outcome(outcome))
    status = outcome.result.status
    if status == "infeasible":
        raise typer.Exit(EXIT_INFEASIBLE)
    if status == "no_solution":
        raise typer.Exit(EXIT_LIMIT_NO_PLAN)
    if outcome.verification is not None and not outcome.verification.ok:
        raise typer.Exit(EXIT_VERIFY_FAILED)
    if status != "optimal":
        raise typer.Exit(EXIT_LIMIT_WITH_PLAN)


@app.command("verify")
def verify_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by allocate.")],
) -> None:
    """Recompute every rule of a run folder from its inputs and outputs; list violations.

    Exit code 0 when every rule holds, 7 when any is broken, 2 when the folder is not a run.
    """
    from allocator.cli.render import render_verification
    from allocator.run.verify import verify_run

    if not (run_dir / "plan.json").is_file():
        _fail(
            f"{run_dir}: not a run folder (no plan.json) — give a folder written by allocate",
            EXIT_USAGE,
        )
    report = verify_run(run_dir)
    typer.echo(render_verification(report, run_dir))
    if not report.ok:
        raise typer.Exit(EXIT_VERIFY_FAILED)


from allocator.cli.analysis import register as register_analysis  # noqa: E402
from allocator.cli.compare import register as register_compare  # noqa: E402

register_compare(app)
register_analysis(app)


def main() -> None:
    """Entry point of the ``allocate`` script: no traceback ever reaches the user."""
    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("allocate: interrupted; no run folder was written", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except AllocatorError as exc:
        typer.echo(f"allocate: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors found by the option parser
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"allocate: error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
    except Exception as exc:  # a bug: one line, not a traceback
        typer.echo(
            f"allocate: internal error: {type(exc).__name__}: {exc} — please report "
            "this with the command you ran",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


__all__ = ["app", "format_cap", "main"]
