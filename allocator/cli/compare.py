"""``allocate compare A B [C ...]``: compare solved run folders with the first one.

Prints a compact table (per fiscal year the ratio to GDP and the change in new money, the value
of every priority rank, the programs that changed, the inputs that differ) and writes
``compare.csv`` and ``compare.png`` into a new folder.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from allocator.cli.exits import EXIT_USAGE, fail
from allocator.errors import AllocatorError


class ChartLanguage(StrEnum):
    ja = "ja"
    en = "en"


def compare_command(
    plans: Annotated[
        list[Path],
        typer.Argument(
            help="Two or more run folders written by allocate (or their plan.json); "
            "the first is the reference.",
            show_default=False,
            metavar="RUN",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for compare.csv and compare.png. Default: "
            "reports/compare-<A>-vs-<B>/ (a new numbered folder if that exists).",
        ),
    ] = None,
    reports: Annotated[
        Path, typer.Option("--reports", help="Parent folder of the default --out.")
    ] = Path("reports"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --out folder.")
    ] = False,
    lang: Annotated[
        ChartLanguage, typer.Option("--lang", help="Language of the chart: ja or en.")
    ] = ChartLanguage.ja,
) -> None:
    """Compare solved plans with the first: per fiscal year, rank and program, and the
    inputs that differ. Writes compare.csv and compare.png.

    Exit code 0 when written; 2 for fewer than two plans or a path that is not a run.
    """
    if len(plans) < 2:
        fail(
            f"PLAN: give two or more run folders to compare (got {len(plans)}) — "
            "e.g. allocate compare reports/a reports/b",
            EXIT_USAGE,
        )
    from allocator.api import compare
    from allocator.cli.render_compare import render_comparison

    try:
        outcome = compare(plans, reports=reports, out=out, force=force, lang=lang.value)
    except AllocatorError as exc:
        fail(str(exc), exc.exit_code)
    typer.echo(render_comparison(outcome.comparison))
    typer.echo(f"\nwritten: {outcome.folder}/ (compare.csv, compare.png)")
