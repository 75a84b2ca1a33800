"""``allocate montecarlo --draws 1000``: re-solve the plan for each draw of GDP, cost growth and
the yen; per program the probability of being funded, per rank the distribution of value, per
year the distribution of the defence ratio; ``--robust-years 2`` first years that hold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from allocator.cli.draws_options import (
    DrawsOption,
    LangOption,
    OutOption,
    ResumeOption,
    SchedulerOption,
    SeedOption,
    UncertaintyOption,
    WorkersOption,
    progress_printer,
    run_draws,
)
from allocator.cli.options import GdpCaseOption, PlanOption, ReportsOption


def montecarlo_command(
    plan: PlanOption = None,
    cap: Annotated[
        str | None, typer.Option("--cap", help="GDP-ratio cap (default: the plan's).")
    ] = None,
    gdp_case: GdpCaseOption = None,
    uncertainty: UncertaintyOption = None,
    draws: DrawsOption = None,
    seed: SeedOption = None,
    robust_years: Annotated[
        int | None,
        typer.Option(
            "--robust-years",
            help="Find one set of decisions for this many first fiscal years that holds under "
            "the GDP cases and --scenarios sampled draws (later years adapt), hold it in every "
            "draw, and report what robustness costs each rank.",
        ),
    ] = None,
    scenarios: Annotated[
        int | None,
        typer.Option(
            "--scenarios",
            help="Sampled draws added to the GDP cases for --robust-years "
            "(default: [uncertainty] robust_scenarios).",
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Seconds for each draw's solve (all stages).", min=0.1),
    ] = None,
    out: OutOption = None,
    reports: ReportsOption = Path("reports"),
    resume: ResumeOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    lang: LangOption = "ja",
) -> None:
    """Re-solve the plan for each draw of GDP, cost growth and the yen.

    Writes draws.csv and draw_inputs.csv as draws finish (in draw order; an interrupted run
    keeps every draw done and can be resumed with --resume FOLDER), then mc_years.csv,
    mc_ranks.csv, mc_programs.csv, ratio_fan.png, ranks.png, programs.png and
    montecarlo.xlsx. With --robust-years also robust_first_years.csv, robust_scenarios.csv and
    robust_cost.csv.

    Example:  allocate montecarlo --draws 1000 --seed 7 --robust-years 2
    """
    from allocator.api_uncertainty import montecarlo
    from allocator.cli.render_uncertainty import render_montecarlo
    from allocator.plan.cap import parse_cap
    from allocator.plan.loading import Overrides, plan_folder

    tick, close = progress_printer("montecarlo")

    def call() -> Any:
        overrides = Overrides(
            cap=parse_cap(cap) if cap is not None else None,
            gdp_case=gdp_case,
            time_limit_seconds=time_limit,
        )
        return montecarlo(
            plan_folder(plan), overrides, uncertainty=uncertainty, draws=draws, seed=seed,
            robust_years=robust_years, robust_scenarios=scenarios, reports=reports, out=out,
            resume=resume, lang=lang, workers=workers, scheduler=scheduler, progress=tick,
            say=lambda text: typer.echo(text, err=True),
        )  # fmt: skip

    outcome = run_draws("montecarlo", call, close)
    typer.echo(render_montecarlo(outcome))
    typer.echo(f"written: {outcome.folder}/")
