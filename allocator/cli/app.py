"""The ``allocate`` command line: the typer app with every command, and :func:`main`, which turns
every library error into one line on stderr and a documented exit code (see
:mod:`allocator.cli.exits`). Each command lives in its own module and imports the library only
when it runs, so ``allocate --help`` starts at once.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

from allocator.cli import INTERRUPTED, interrupted_message
from allocator.cli.allocate import allocate_command
from allocator.cli.compare import compare_command
from allocator.cli.exits import (
    EXIT_FLOORS_SHORT,
    EXIT_INFEASIBLE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID_PLAN,
    EXIT_LIMIT_NO_PLAN,
    EXIT_LIMIT_WITH_PLAN,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VERIFY_FAILED,
    INTERRUPT_REPORTED,
)
from allocator.cli.min_cap import min_cap_command
from allocator.cli.montecarlo import montecarlo_command
from allocator.cli.replan import evaluate_command, replan_command
from allocator.cli.risk import risk_command
from allocator.cli.sweep import sweep_command
from allocator.cli.verify import verify_command
from allocator.errors import AllocatorError

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

  allocate risk reports/japan-defense-2026-cap2pct --draws 1000

  allocate montecarlo --draws 1000 --robust-years 2

Exit codes: 0 optimal, every floor met; 9 optimal, some floors fall short (listed); 2 bad usage
or an output path that cannot be used; 3 invalid plan; 4 infeasible; 5 plan written but not
proven optimal (time limit); 6 time limit, no plan; 7 verification failed; 8 the output could
not be written (read-only, disk full, removed while writing); 1 internal error; 130 interrupted.
"""

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help=HELP,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


app.callback(invoke_without_command=True)(allocate_command)
app.command("verify")(verify_command)
app.command("compare")(compare_command)
app.command("sweep")(sweep_command)
app.command("min-cap")(min_cap_command)
app.command("montecarlo")(montecarlo_command)
app.command("risk")(risk_command)
app.command("replan")(replan_command)
app.command("evaluate")(evaluate_command)


def _fail_with(exc: Exception) -> NoReturn:
    """One line on stderr for an exception that left the command, and its exit code."""
    if isinstance(exc, AllocatorError):
        typer.echo(f"allocate: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    if isinstance(exc, typer.TyperException):  # usage errors found by the option parser
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"allocate: error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
    # a bug: one line, not a traceback
    typer.echo(
        f"allocate: internal error: {type(exc).__name__}: {exc} — please report this with "
        "the command you ran",
        err=True,
    )
    sys.exit(EXIT_INTERNAL)


def main() -> None:
    """Run the typer app; every library error becomes one line and its exit code (the
    console script :func:`allocator.cli.main` calls this once it can handle Ctrl-C)."""
    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        code = EXIT_INTERRUPTED
    except Exception as exc:
        if INTERRUPTED:  # Ctrl-C broke something mid-way (an import, a write): say so
            code = EXIT_INTERRUPTED
        else:
            _fail_with(exc)
    if code == EXIT_INTERRUPTED and not INTERRUPT_REPORTED:
        # typer turns Ctrl-C inside a command into a silent exit code 130: say what is true
        typer.echo(f"allocate: {interrupted_message()}", err=True)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


__all__ = [
    "EXIT_FLOORS_SHORT",
    "EXIT_INFEASIBLE",
    "EXIT_INVALID_PLAN",
    "EXIT_LIMIT_NO_PLAN",
    "EXIT_LIMIT_WITH_PLAN",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_VERIFY_FAILED",
    "app",
    "main",
]
