"""``allocate verify RUN``: recompute every rule of a run folder from its files alone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.cli.exits import EXIT_VERIFY_FAILED, fail
from allocator.errors import AllocatorError


def verify_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by allocate.")],
) -> None:
    """Recompute every rule of a run folder from its inputs and outputs; list violations.

    Exit code 0 when every rule holds, 7 when any is broken, 2 when the folder is not a run.
    """
    from allocator.api import verify
    from allocator.cli.render import render_verification

    try:
        report = verify(run_dir)
    except AllocatorError as exc:
        fail(str(exc), exc.exit_code)
    typer.echo(render_verification(report, run_dir))
    if not report.ok:
        raise typer.Exit(EXIT_VERIFY_FAILED)
