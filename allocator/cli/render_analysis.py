"""Terminal text of ``allocate sweep`` (the frontier) and ``allocate min-cap``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from allocator.formatting import format_cap
from allocator.optim.analysis import MinCapResult, SweepResult
from allocator.plan.schema import Plan
from allocator.run.tables import frontier_table


def _num(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    try:
        if pd.isna(v):
            return "-"
    except (TypeError, ValueError):
        pass
    f = float(v)
    return f"{round(f):,}" if abs(f - round(f)) < 1e-6 else f"{f:,.2f}"


def render_sweep(plan: Plan, result: SweepResult) -> str:
    """The frontier as a terminal table (one line per cap)."""
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
    builds = (
        "one model build"
        if result.workers == 1
        else f"{result.workers} workers, one model build each"
    )
    lines.append(f"solved in {result.seconds:.2f} s ({builds}, {result.build_seconds:.3f} s)")
    return "\n".join(lines)


def render_min_cap(plan: Plan, result: MinCapResult) -> str:
    """The uniform minimum and the per-year path as terminal text."""
    ranks = ranks_text(result.ranks)
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


def ranks_text(ranks: tuple[int, ...]) -> str:
    if len(ranks) == 1:
        return f"rank {ranks[0]}"
    if list(ranks) == list(range(ranks[0], ranks[-1] + 1)):
        return f"ranks {ranks[0]}–{ranks[-1]}"
    return "ranks " + ", ".join(map(str, ranks))
