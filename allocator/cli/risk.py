"""``allocate risk RUN --draws 1000``: hold a solved plan fixed and draw GDP, cost growth and the
yen: per year the probability that defence spending exceeds the cap and by how much, per
program the probability that its purchasing power falls below its floor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.cli.draws_options import (
    DrawsOption,
    LangOption,
    OutOption,
    ResumeOption,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    progress_printer,
    run_draws,
)
from allocator.cli.options import ReportsOption


def risk_command(
    run_dir: Annotated[
        Path | None, typer.Argument(help="A run folder written by allocate (the plan held).")
    ] = None,
    uncertainty: Annotated[
        Path,
        typer.Option("--uncertainty", help="uncertainty.toml, or a folder holding it."),
    ] = Path("data"),
    draws: DrawsOption = None,
    seed: SeedOption = None,
    out: OutOption = None,
    reports: ReportsOption = Path("reports"),
    resume: ResumeOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    lang: LangOption = "ja",
) -> None:
    """Hold a solved plan fixed and draw GDP, cost growth and the yen.

    Writes draws.csv and draw_inputs.csv as draws finish, then risk_years.csv (per year: the
    probability that delivering the plan breaks the cap, the 5/50/95 % of the ratio, the
    excess in 億円; the same with the yen budget held), risk_programs.csv (per funded
    program: purchasing power of its yen, probability of falling below its floor),
    ratio_fan.png, programs.png and risk.xlsx.

    Example:  allocate risk reports/japan-defense-2026-cap2pct --draws 1000
    """
    from allocator.api_uncertainty import risk
    from allocator.cli.render_uncertainty import render_risk

    tick, close = progress_printer("risk")
    outcome = run_draws(
        "risk",
        lambda: risk(
            run_dir, uncertainty=uncertainty, draws=draws, seed=seed, reports=reports, out=out,
            resume=resume, lang=lang, workers=workers, scheduler=scheduler, progress=tick,
        ),
        close,
    )  # fmt: skip
    typer.echo(render_risk(outcome))
    typer.echo(f"written: {outcome.folder}/")
