"""Options shared by ``allocate montecarlo`` and ``allocate risk``, and their progress bar."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

DrawsOption = Annotated[
    int | None,
    typer.Option("--draws", help="Number of draws (default: [uncertainty] draws, 1000)."),
]
SeedOption = Annotated[
    int | None,
    typer.Option(
        "--seed",
        help="Seed of the draws (default: [uncertainty] seed). The same seed gives the same "
        "results whatever the number of workers.",
    ),
]
UncertaintyOption = Annotated[
    Path | None,
    typer.Option(
        "--uncertainty",
        help="uncertainty.toml, or a folder holding it. Default: the plan folder's.",
    ),
]
ResumeOption = Annotated[
    Path | None,
    typer.Option(
        "--resume",
        help="Carry on an interrupted run in this folder (its inputs are read from it; "
        "--draws may raise the number of draws).",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Folder to write (must not exist). Default: under --reports."),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Processes solving draws in parallel (a local Dask cluster). Default: every core "
        "of this machine; 1 solves in this process.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler", help="Address of an existing Dask scheduler (tcp://host:8786) to use."
    ),
]
LangOption = Annotated[str, typer.Option("--lang", help="Charts and workbook: ja or en.")]


def progress_printer(label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress callback (a bar on a terminal, else a line every 10 %) and its closer."""
    state: dict[str, Any] = {"bar": None, "shown": 0, "next": 0}

    def tick(done: int, total: int) -> None:
        if sys.stderr.isatty():
            bar = state["bar"]
            if bar is None:
                bar = typer.progressbar(length=total, label=label, file=sys.stderr)
                bar.__enter__()
                state["bar"] = bar
            bar.update(done - state["shown"])
            state["shown"] = done
            return
        if done >= state["next"] or done == total:
            typer.echo(f"{label}: {done}/{total} draws", err=True)
            state["next"] = done + max(1, total // 10)

    def close() -> None:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)

    return tick, close


def run_draws(command: str, call: Callable[[], Any], close: Callable[[], None]) -> Any:
    """Run ``call`` (the api function of ``command``, ``montecarlo`` or ``risk``) and close the
    progress bar whatever happens: a bad input is one line and its exit code; Ctrl-C says the
    draws done are kept and how to resume (exit 130)."""
    from allocator.cli.exits import EXIT_INTERRUPTED, fail
    from allocator.errors import AllocatorError

    try:
        outcome = call()
    except AllocatorError as exc:
        close()
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        close()
        typer.echo(
            "allocate: interrupted; the draws done are in the folder — carry on with "
            f"allocate {command} --resume FOLDER",
            err=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    close()
    return outcome
