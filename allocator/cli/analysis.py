"""The decision-analysis commands ``allocate sweep`` and ``allocate min-cap``.

:func:`register` adds them to the main typer app (``allocator.cli.app``). Like
:mod:`allocator.cli.app`, this module only parses options, calls the library
(:mod:`allocator.optim.analysis`) and renders the answer; library errors become one line on stderr
and the exit code of :mod:`allocator.cli.app` (2 bad usage or an existing output folder, 3 invalid
plan files, 4 no cap funds the ranks).
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from allocator.cli.options import GdpCaseOption, PlanOption, ReportsOption
from allocator.errors import AllocatorError, OutputExistsError, UsageError
from allocator.plan.cap import cap_slug, format_cap, parse_cap

if TYPE_CHECKING:
    from allocator.optim.analysis import MinCapResult, SweepResult
    from allocator.plan.schema import Plan

MAX_POINTS = 500
"""Most caps one sweep may have."""

# ---------------------------------------------------------------------------------------------
# parsing (pure: no typer)


def parse_cap_range(text: str, option: str = "--cap") -> tuple[Fraction, Fraction]:
    """Parse ``1.5%..2.5%`` (also ``1.5%〜2.5%``, ``1.5%~2.5%``, full-width) or one cap ``2%``.

    Returns
    -------
    tuple[Fraction, Fraction]
        The lower and upper cap as exact ratios (equal for a single cap).

    Raises
    ------
    UsageError
        If a side is not a cap (see :func:`allocator.ratio.parse_cap`) or low > high.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    parts = re.split(r"\.\.|〜|~", s)
    if len(parts) == 1:
        cap = parse_cap(parts[0], option=option)
        return cap, cap
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise UsageError(option, f"{text!r} is not a cap range", "write it as 1.5%..2.5%")
    low, high = parse_cap(parts[0], option=option), parse_cap(parts[1], option=option)
    if low > high:
        raise UsageError(
            option,
            f"{text!r} goes down ({format_cap(low)} > {format_cap(high)})",
            "write the lower cap first, e.g. 1.5%..2.5%",
        )
    return low, high


def parse_ranks(text: str, option: str = "--ranks") -> list[int]:
    """Parse ``1-3``, ``1,2,3``, ``1`` or a mix (``1-2,4``; full-width digits too).

    Raises
    ------
    UsageError
        If a part is not a rank number (≥ 1) or a range goes down.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = s.replace("〜", "-").replace("~", "-").replace("..", "-").replace("−", "-")
    out: set[int] = set()
    for part in s.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
        if not m:
            raise UsageError(
                option, f"{text!r} is not a list of ranks", "write e.g. 1-3, 1,2,3 or 1"
            )
        first, last = (
            (int(m.group(1)), int(m.group(2)))
            if m.group(3) is None
            else (
                int(m.group(3)),
                int(m.group(3)),
            )
        )
        if first < 1 or first > last:
            raise UsageError(
                option, f"{part!r} is not a rank range", "ranks count from 1, e.g. 1-3"
            )
        out.update(range(first, last + 1))
    return sorted(out)


def default_sweep_dir(
    plan: Plan, reports: Path, low: Fraction, high: Fraction, *, tag: str = ""
) -> Path:
    """``reports/<plan>-sweep-<low>-<high>[-<tag>]/``; if taken, the first free ``-2``, …"""
    from allocator.run.results import free_folder, safe_name

    base = f"{safe_name(plan.name)}-sweep-{cap_slug(low)}-{cap_slug(high)}"
    if tag:
        base += f"-{safe_name(tag)}"
    return free_folder(reports, base)


# ---------------------------------------------------------------------------------------------
# rendering


def _num(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    try:
        import pandas as pd

        if pd.isna(v):
            return "-"
    except (TypeError, ValueError):
        pass
    f = float(v)
    return f"{round(f):,}" if abs(f - round(f)) < 1e-6 else f"{f:,.2f}"


def render_sweep(plan: Plan, result: SweepResult) -> str:
    """The frontier as a terminal table (one line per cap)."""
    from allocator.optim.analysis import frontier_table

    table = frontier_table(result)
    caps = [p.cap for p in result.points]
    lines = [
        f"plan {plan.name}: sweep of {len(caps)} caps {format_cap(min(caps))}–"
        f"{format_cap(max(caps))} of GDP (GDP case {plan.gdp_case}), "
        f"{plan.first_year}–{plan.last_year}年度, {len(plan.programs)} programs"
    ]
    ranks = [f"rank{r}" for r in result.ranks]
    head = f"{'cap':>8}  {'status':<11}" + "".join(f"{r:>10}" for r in ranks)
    head += f"{'defence':>10}{'other':>10}{'programs':>9}{'seconds':>9}"
    lines.append(head)
    for point, row in zip(result.points, table.itertuples(index=False), strict=True):
        cells = f"{format_cap(point.cap):>8}  {point.status:<11}"
        cells += "".join(f"{_num(getattr(row, f'value_{r}')):>10}" for r in ranks)
        cells += f"{_num(point.defense_alloc_oku_yen):>10}{_num(point.other_alloc_oku_yen):>10}"
        cells += f"{_num(point.programs_funded):>9}{point.solve_seconds:>9.2f}"
        lines.append(cells)
    lines.append("values: 億円 funded per rank (or its explicit values); amounts: 億円, horizon")
    bad = [format_cap(p.cap) for p in result.points if not p.has_plan]
    if bad:
        lines.append(f"no plan at: {', '.join(bad)}")
    lines.append(
        f"solved in {result.seconds:.2f} s (one model build, {result.build_seconds:.3f} s)"
    )
    return "\n".join(lines)


def render_min_cap(plan: Plan, result: MinCapResult) -> str:
    """The uniform minimum and the per-year path as terminal text."""
    ranks = _ranks_text(result.ranks)
    lines = [
        f"plan {plan.name}: smallest GDP-ratio cap that funds {ranks} fully (each at its value "
        f"with no GDP cap), GDP case {plan.gdp_case}, {plan.first_year}–{plan.last_year}年度"
    ]
    if result.targets:
        lines.append(
            "no-cap values: "
            + "; ".join(f"rank {r} {_num(v)}" for r, v in sorted(result.targets.items()))
        )
    if result.uniform is not None:
        check = (
            f"checked: the strict-priority solve at {format_cap(result.uniform)} funds them fully"
            if result.verified
            else "NOT reproduced by the strict-priority solve (see note)"
        )
        lines.append(
            f"single cap, every year: {format_cap(result.uniform)} of GDP "
            f"({format_cap(result.uniform - result.step)} is not enough; {check})"
        )
    if result.path:
        status = "" if result.path_status == "optimal" else f" [{result.path_status}]"
        lines.append(
            "least defence spending per year with which a plan funds them fully "
            f"(one integer program, Σ over years minimised){status}:"
        )
        lines.append(
            # 年度 and 兆円 are two columns wide on a terminal: pad them two characters less
            f"{'年度':<6}{'GDP 兆円':>8}{'baseline':>10}{'min total':>11}{'new def.':>10}"
            f"{'ratio':>9}"
        )
        for y in result.path:
            lines.append(
                f"{y.fiscal_year:<8}{y.gdp_oku_yen / 10000:>10,.1f}{y.baseline_oku_yen:>10,}"
                f"{y.defense_total_oku_yen:>11,}{y.new_defense_oku_yen:>10,}"
                f"{float(y.ratio) * 100:>8.3f}%"
            )
        lines.append(f"{'total':<8}{'':>10}{'':>10}{result.path_total_oku_yen:>11,}  (億円)")
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def _ranks_text(ranks: tuple[int, ...]) -> str:
    if len(ranks) == 1:
        return f"rank {ranks[0]}"
    if list(ranks) == list(range(ranks[0], ranks[-1] + 1)):
        return f"ranks {ranks[0]}–{ranks[-1]}"
    return "ranks " + ", ".join(map(str, ranks))


# ---------------------------------------------------------------------------------------------
# commands


def _progress_printer(total: int) -> tuple[Callable[[int, int, Fraction], None], Any]:
    """A progress callback: a bar on a terminal, else one line per cap on stderr."""
    if sys.stderr.isatty():
        bar = typer.progressbar(length=total, label="sweep", file=sys.stderr)
        bar.__enter__()

        def tick(done: int, n: int, cap: Fraction) -> None:
            bar.update(1)

        return tick, bar

    def line(done: int, n: int, cap: Fraction) -> None:
        typer.echo(f"sweep: {done}/{n} caps solved ({format_cap(cap)})", err=True)

    return line, None


def sweep_command(
    cap: Annotated[
        str,
        typer.Option(
            "--cap",
            help="Caps to solve: a range 1.5%..2.5% (also 1.5%〜2.5%, full-width) or one cap.",
        ),
    ],
    step: Annotated[
        str, typer.Option("--step", help="Distance between caps: 0.1%, 0.001 or ０．１％.")
    ] = "0.1%",
    plan: PlanOption = Path("data"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write (must not exist). Default: reports/<plan>-sweep-<lo>-<hi>/ "
            "(a new numbered folder if that exists).",
        ),
    ] = None,
    reports: ReportsOption = Path("reports"),
    lang: Annotated[str, typer.Option("--lang", help="Chart labels: ja or en.")] = "ja",
    gdp_case: GdpCaseOption = None,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Seconds for each cap's whole solve.", min=0.1),
    ] = None,
) -> None:
    """Solve the plan at every cap of a range; write frontier.csv and frontier.png.

    One model is built and re-solved with the cap changed in place. Caps with no plan are
    reported as infeasible (exit code still 0).

    Example:  allocate sweep --cap 1.5%..2.5% --step 0.1%
    """
    from allocator.optim.analysis import cap_grid, frontier_chart, frontier_table, sweep
    from allocator.cli.app import _fail
    from allocator.plan.loading import Overrides, load_plan
    from allocator.run.results import write_csv

    try:
        low, high = parse_cap_range(cap)
        delta = parse_cap(step, option="--step")
        caps = cap_grid(low, high, delta)
        if len(caps) > MAX_POINTS:
            raise UsageError(
                "--step", f"{len(caps)} caps is too many", f"at most {MAX_POINTS}: a larger step"
            )
        if lang not in ("ja", "en"):
            raise UsageError("--lang", f"{lang!r} is not a language", "give ja or en")
        if out is not None and out.exists():
            raise OutputExistsError(f"{out}: already exists — give another --out folder")
        loaded = load_plan(plan, Overrides(gdp_case=gdp_case, time_limit_seconds=time_limit))
        target = out or default_sweep_dir(loaded, reports, low, high, tag=gdp_case or "")
        tick, bar = _progress_printer(len(caps))
        try:
            result = sweep(loaded, caps, progress=tick)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        table = frontier_table(result)
        names = {r.rank: (r.name_ja if lang == "ja" else r.name_en) for r in loaded.ranks}
        title = loaded.title_ja if lang == "ja" else loaded.title_en
        from allocator.run.results import atomic_folder

        with atomic_folder(target) as folder:
            write_csv(table, folder / "frontier.csv")
            frontier_chart(
                table,
                folder / "frontier.png",
                "ja" if lang == "ja" else "en",
                rank_names=names,
                title=f"{title or loaded.name} ({loaded.gdp_case})",
            )
    except AllocatorError as exc:
        _fail(str(exc), exc.exit_code)
    typer.echo(render_sweep(loaded, result))
    typer.echo(f"written: {target}/ (frontier.csv, frontier.png)")


def min_cap_command(
    ranks: Annotated[str, typer.Option("--ranks", help="Ranks to fund fully: 1-3, 1,2,3 or 1.")],
    plan: PlanOption = Path("data"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder to write min_cap.csv into (nothing is written without)."
        ),
    ] = None,
    step: Annotated[str, typer.Option("--step", help="Resolution of the single cap.")] = "0.01%",
    gdp_case: GdpCaseOption = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds for each solve.", min=0.1)
    ] = None,
) -> None:
    """The smallest GDP-ratio cap at which the given ranks are fully funded.

    "Fully funded": each rank reaches the value it gets with no GDP cap (a 99 % cap). Prints
    the smallest single cap (to 0.01 %) and, per fiscal year, the least defence spending with
    which a plan funds them fully. Exit code 4 when no cap below 99 % does.

    Example:  allocate min-cap --ranks 1-3
    """
    from allocator.optim.analysis import min_cap, min_cap_table
    from allocator.cli.app import EXIT_INFEASIBLE, _fail
    from allocator.plan.loading import Overrides, load_plan
    from allocator.run.results import write_csv

    try:
        wanted = parse_ranks(ranks)
        resolution = parse_cap(step, option="--step")
        if out is not None and (out / "min_cap.csv").exists():
            raise OutputExistsError(
                f"{out / 'min_cap.csv'}: already exists — give another --out folder"
            )
        loaded = load_plan(plan, Overrides(gdp_case=gdp_case, time_limit_seconds=time_limit))
        known = sorted(r.rank for r in loaded.ranks)
        missing = [r for r in wanted if r not in known]
        if missing:
            raise UsageError(
                "--ranks",
                f"the plan has no rank {', '.join(map(str, missing))}",
                f"its ranks are {known[0]}–{known[-1]}",
            )
        result = min_cap(loaded, wanted, resolution)
        written = None
        if out is not None and result.path:
            out.mkdir(parents=True, exist_ok=True)
            tmp = out / f".min_cap.csv.tmp-{os.getpid()}"
            try:
                write_csv(min_cap_table(result), tmp)
                tmp.rename(out / "min_cap.csv")
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            written = out / "min_cap.csv"
    except AllocatorError as exc:
        _fail(str(exc), exc.exit_code)
    typer.echo(render_min_cap(loaded, result))
    if written is not None:
        typer.echo(f"written: {written}")
    if result.uniform is None:
        why = (
            "the plan has no schedule even at 99 % of GDP"
            if result.status == "infeasible"
            else "only the 99 % cap itself does"
        )
        _fail(f"no cap below 99% funds {_ranks_text(result.ranks)} fully: {why}", EXIT_INFEASIBLE)


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``min-cap`` to ``app`` (once: calling it again changes nothing)."""
    names = {c.name for c in app.registered_commands}
    if "sweep" not in names:
        app.command("sweep")(sweep_command)
    if "min-cap" not in names:
        app.command("min-cap")(min_cap_command)


__all__ = [
    "default_sweep_dir",
    "min_cap_command",
    "parse_cap_range",
    "parse_ranks",
    "register",
    "render_min_cap",
    "render_sweep",
    "sweep_command",
]
