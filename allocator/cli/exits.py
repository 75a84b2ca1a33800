"""Exit codes of ``allocate`` and the one way a command fails: one line on stderr.

Exit codes
----------
0  an optimal plan, written and verified
1  an unexpected internal error (a bug: please report it)
2  bad usage: an option value, an output folder that exists without --force, or an output
   path that cannot be used (a file in the way, the plan folder, not a run folder for
   --force, a name too long for the file system)
3  invalid plan files (the message names file, row and column)
4  infeasible: no plan satisfies every rule
5  a usable plan not proven optimal: a stage stopped at the time limit (or another limit), or
   ended further from its bound than the gap asked for (written, verified, marked not optimal)
6  stopped at the time limit before any plan was found
7  the written plan failed independent verification (a bug: please report it); for
   ``allocate verify``: the folder was changed or breaks a rule
8  the output could not be written (read-only file system, disk full, no permission, the
   folder removed while writing); nothing was left at the output path
9  an optimal plan, written and verified, in which some floors fall short (floors give way in
   reverse priority order; each shortfall is listed in the terminal, shortfalls.csv and the
   reports). With --floors hard such a plan is not made: exit 4 instead.
130 interrupted (Ctrl-C); nothing was written, unless the message names a folder that was
   already complete

When several apply, the first in this order is used: 7, 5, 9, 0. (8 is kept for "the output
could not be written", issue 8.)
"""

from __future__ import annotations

from typing import NoReturn

import typer

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INVALID_PLAN = 3
EXIT_INFEASIBLE = 4
EXIT_LIMIT_WITH_PLAN = 5
EXIT_LIMIT_NO_PLAN = 6
EXIT_VERIFY_FAILED = 7
EXIT_OUTPUT_FAILED = 8
EXIT_FLOORS_SHORT = 9
EXIT_INTERRUPTED = 130


def exit_code(status: str, verified: bool | None, floors_short: int) -> int:
    """The exit code of a command that solved a plan (allocate, replan, evaluate), in the order
    the module's docstring gives: infeasible 4, no plan at the limit 6, verification failed 7,
    not proven optimal 5, floors short 9, else 0."""
    if status == "infeasible":
        return EXIT_INFEASIBLE
    if status == "no_solution":
        return EXIT_LIMIT_NO_PLAN
    if verified is False:
        return EXIT_VERIFY_FAILED
    if status != "optimal":
        return EXIT_LIMIT_WITH_PLAN
    return EXIT_FLOORS_SHORT if floors_short else EXIT_OK


def fail(message: str, code: int) -> NoReturn:
    """Print ``allocate: error: <message>`` on stderr and exit with ``code``."""
    typer.echo(f"allocate: error: {message}", err=True)
    raise typer.Exit(code)


INTERRUPT_REPORTED: list[bool] = []
"""Set once the interruption has been reported (typer turns Ctrl-C into a silent exit code
130; :func:`allocator.cli.app.main` reports it unless a command already did)."""


def interrupted() -> NoReturn:
    """After Ctrl-C: print what is true (nothing written, or which folder is complete) on
    stderr and exit with 130."""
    from allocator.cli import interrupted_message

    if not INTERRUPT_REPORTED:
        typer.echo(f"allocate: {interrupted_message()}", err=True)
        INTERRUPT_REPORTED.append(True)
    raise typer.Exit(EXIT_INTERRUPTED)
