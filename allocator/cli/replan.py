"""``allocate replan APPROVED_RUN --actuals actuals.csv --from 2027`` and ``allocate evaluate
APPROVED_RUN --actuals actuals.csv``: the annual cycle (docs/model.md, "Re-planning from
actuals"). Parses the options, calls :func:`allocator.api_replan.replan` or
:func:`~allocator.api_replan.evaluate`, renders the outcome and turns it into the exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.cli.exits import exit_code, fail, interrupted
from allocator.cli.options import GdpCaseOption, ReportsOption, parse_first_year, parse_gdp_case
from allocator.errors import AllocatorError

ApprovedArgument = Annotated[
    Path,
    typer.Argument(
        help="The approved run folder (written by allocate).",
        show_default=False,
        metavar="APPROVED_RUN",
    ),
]
ActualsOption = Annotated[
    Path,
    typer.Option(
        "--actuals",
        help="CSV of what was executed: fiscal_year, program_id, executed_oku_yen "
        "(contracted_oku_yen, units optional; docs/plan-format.md, Actuals).",
        show_default=False,
    ),
]
NewPlanOption = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        help="The plan as it stands now (new GDP figures, caps). Default: the approved run's "
        "own inputs/.",
    ),
]
CapOption = Annotated[
    str | None,
    typer.Option("--cap", help="A new GDP-ratio cap (2%, 0.02). Default: the approved run's."),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Run folder to write. Default: reports/<plan>-replan-from<year>/ "
        "(-evaluation-<year> for evaluate; a new numbered folder if that exists).",
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an existing --out folder.")]
LangOption = Annotated[
    str,
    typer.Option("--lang", help="Language of the terminal text and the reports: ja or en."),
]


def _run(
    approved: Path,
    actuals: Path,
    from_year: int | None,
    *,
    evaluate: bool,
    plan: Path | None,
    cap: str | None,
    gdp_case: str | None,
    out: Path | None,
    reports: Path,
    force: bool,
    lang: str,
) -> None:
    try:
        from allocator import api_replan
        from allocator.plan.cap import parse_cap
        from allocator.plan.loading import Overrides

        overrides = Overrides(
            cap=parse_cap(cap) if cap is not None else None, gdp_case=parse_gdp_case(gdp_case)
        )
        kwargs = {
            "plan_path": plan,
            "overrides": overrides,
            "reports": reports,
            "out": out,
            "force": force,
            "lang": lang,
        }
        if evaluate:
            outcome = api_replan.evaluate(approved, actuals, from_year, **kwargs)
        else:
            assert from_year is not None
            outcome = api_replan.replan(approved, actuals, from_year, **kwargs)  # type: ignore[arg-type]
    except AllocatorError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        interrupted()
    from allocator.cli.render_replan import render_replan

    typer.echo(render_replan(outcome, lang))
    verified = None if outcome.verification is None else outcome.verification.ok
    code = exit_code(outcome.result.status, verified, len(outcome.result.shortfalls))
    if code:
        raise typer.Exit(code)


def replan_command(
    approved: ApprovedArgument,
    actuals: ActualsOption,
    from_year: Annotated[
        str,
        typer.Option(
            "--from",
            help="First fiscal year to plan again (2027 = 2027年度); the years before it are "
            "fixed to the actuals.",
            metavar="YEAR",
            show_default=False,
        ),
    ],
    plan: NewPlanOption = None,
    cap: CapOption = None,
    gdp_case: GdpCaseOption = None,
    out: OutOption = None,
    reports: ReportsOption = Path("reports"),
    force: ForceOption = False,
    lang: LangOption = "ja",
) -> None:
    """Re-plan an approved run from a fiscal year: the years before it are fixed to the
    actuals, the rest solved again with the same strict priority, changing as little of the
    approved plan as the facts allow. Writes a run folder with variance.csv (planned,
    executed, re-planned, and why).

    Exit codes as allocate: 0 written and verified; 2 bad usage; 3 a bad actuals file (file,
    row, column and fix; nothing written); 4 the re-plan is impossible (what gives is said).
    """
    try:
        year = parse_first_year(from_year, option="--from")
    except AllocatorError as exc:
        fail(str(exc), exc.exit_code)
    _run(approved, actuals, year, evaluate=False, plan=plan, cap=cap, gdp_case=gdp_case,
         out=out, reports=reports, force=force, lang=lang)  # fmt: skip


def evaluate_command(
    approved: ApprovedArgument,
    actuals: ActualsOption,
    from_year: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First fiscal year to plan again. Default: the year after the last one in "
            "the actuals.",
            metavar="YEAR",
        ),
    ] = None,
    plan: NewPlanOption = None,
    cap: CapOption = None,
    gdp_case: GdpCaseOption = None,
    out: OutOption = None,
    reports: ReportsOption = Path("reports"),
    force: ForceOption = False,
    lang: LangOption = "ja",
) -> None:
    """The year's evaluation (年次評価) of an approved run: execution rate by area and rank,
    indicators against their targets, programs behind plan and the re-plan's headline
    changes, on one page (report.md) and in report.xlsx. The folder is a verified re-plan.

    Exit codes as allocate replan.
    """
    try:
        year = parse_first_year(from_year, option="--from") if from_year is not None else None
    except AllocatorError as exc:
        fail(str(exc), exc.exit_code)
    _run(approved, actuals, year, evaluate=True, plan=plan, cap=cap, gdp_case=gdp_case,
         out=out, reports=reports, force=force, lang=lang)  # fmt: skip
