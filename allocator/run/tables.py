"""The tables of an output folder, built from a solve: ``schedule.csv``, ``summary.csv``,
``programs.csv``, ``ranks.csv`` of a run, ``frontier.csv`` of a sweep and ``min_cap.csv``.

Amounts are integer 億円, rows in a stable order, and nothing depends on the clock, so the
same inputs give byte-identical files (written by :func:`allocator.run.csvfile.write_csv`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from allocator.formatting import format_cap
from allocator.optim.result import SolveResult
from allocator.plan.schema import Plan
from allocator.plan.values import rank_areas, rank_values

if TYPE_CHECKING:
    from allocator.optim.analysis import MinCapResult, SweepResult


def schedule_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """One row per fiscal year and program with a nonzero amount."""
    by_id = {p.program_id: p for p in plan.programs}
    rows = []
    for r in result.schedule.itertuples(index=False):
        p = by_id[r.program_id]
        rows.append(
            {
                "fiscal_year": int(r.fiscal_year),
                "program_id": p.program_id,
                "name_ja": p.name_ja,
                "name_en": p.name_en,
                "area": p.area,
                "phase": p.phase,
                "rank": p.rank,
                "amount_oku_yen": int(r.amount_oku_yen),
                "units": None if pd.isna(r.units) else int(r.units),
                "counts_toward_defense": "yes" if plan.counts_toward_defense(p) else "no",
            }
        )
    cols = [
        "fiscal_year",
        "program_id",
        "name_ja",
        "name_en",
        "area",
        "phase",
        "rank",
        "amount_oku_yen",
        "units",
        "counts_toward_defense",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["units"] = df["units"].astype("Int64")
    return df.sort_values(["fiscal_year", "rank", "program_id"], kind="stable").reset_index(
        drop=True
    )


def summary_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """One row per fiscal year: GDP, cap, baseline, allocations, ratio to GDP, headroom."""
    sched = schedule_table(plan, result)
    defense = (
        sched[sched.counts_toward_defense == "yes"].groupby("fiscal_year")["amount_oku_yen"].sum()
    )
    other = (
        sched[sched.counts_toward_defense == "no"].groupby("fiscal_year")["amount_oku_yen"].sum()
    )
    rows = []
    for y in plan.fiscal_years:
        d = int(defense.get(y, 0))
        o = int(other.get(y, 0))
        gdp = plan.gdp(y)
        cap = plan.cap_oku_yen(y)
        base = plan.baseline(y)
        room = plan.cap_room(y)
        ceiling = plan.fiscal.ceiling(y)
        rows.append(
            {
                "fiscal_year": y,
                "gdp_oku_yen": gdp,
                "cap_ratio": f"{float(plan.cap.ratio):.6f}",
                "cap_oku_yen": cap,
                "baseline_oku_yen": base,
                "defense_alloc_oku_yen": d,
                "other_alloc_oku_yen": o,
                "defense_total_oku_yen": base + d,
                "gdp_ratio": f"{(base + d) / gdp:.6f}",
                "headroom_oku_yen": room - d,
                "new_total_oku_yen": d + o,
                "fiscal_ceiling_oku_yen": ceiling,
            }
        )
    df = pd.DataFrame(rows)
    df["fiscal_ceiling_oku_yen"] = df["fiscal_ceiling_oku_yen"].astype("Int64")
    if result.marginal is not None and len(result.marginal):
        wide = result.marginal.pivot(
            index="fiscal_year", columns="rank", values="value_per_100_oku_yen"
        )
        for rank in wide.columns:
            col = f"marginal_rank{rank}_per_100_oku_yen"
            df[col] = [_num(wide.loc[y, rank]) if y in wide.index else "" for y in df.fiscal_year]
    return df


def programs_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """Per program: funded or not, total, range, first and last funded year."""
    per = result.schedule.groupby("program_id").agg(
        total=("amount_oku_yen", "sum"), first=("fiscal_year", "min"), last=("fiscal_year", "max")
    )
    rows = []
    for p in sorted(plan.programs, key=lambda q: (q.rank, q.program_id)):
        has = p.program_id in per.index
        total = int(per.at[p.program_id, "total"]) if has else 0
        rows.append(
            {
                "program_id": p.program_id,
                "name_ja": p.name_ja,
                "name_en": p.name_en,
                "area": p.area,
                "phase": p.phase,
                "rank": p.rank,
                "funded": "yes" if result.funded.get(p.program_id) else "no",
                "total_oku_yen": total,
                "low_oku_yen": p.low_oku_yen,
                "high_oku_yen": p.high_oku_yen,
                "first_funded_year": int(per.at[p.program_id, "first"]) if has else None,
                "last_funded_year": int(per.at[p.program_id, "last"]) if has else None,
                "window_first_year": p.window_first_year,
                "window_last_year": p.window_last_year,
                "mandatory": "yes" if p.mandatory else "no",
                "source": p.source,
            }
        )
    df = pd.DataFrame(rows)
    for c in ("first_funded_year", "last_funded_year"):
        df[c] = df[c].astype("Int64")
    return df


def ranks_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """Per rank: 億円 funded, the most its programs could take, share funded, the value the
    final schedule gives it (as ``plan.json`` objective_per_rank), and its stage's bound, gap
    and status. ``areas`` are the areas of the rank's programs."""
    sched = result.schedule
    totals = sched.groupby("program_id")["amount_oku_yen"].sum() if len(sched) else {}
    values = (
        rank_values(
            plan,
            {str(k): int(v) for k, v in totals.items()},
            result.funded,
            schedule_cells(sched),
        )
        if result.has_plan
        else result.rank_values()
    )
    by_stage = {s.rank: s for s in result.stages if s.rank is not None}
    rows = []
    for r in plan.ranks:
        ids = {p.program_id for p in plan.programs if p.rank == r.rank}
        funded = int(sched[sched.program_id.isin(ids)].amount_oku_yen.sum()) if len(sched) else 0
        ceiling = sum(p.high_oku_yen for p in plan.programs if p.rank == r.rank)
        stage = by_stage.get(r.rank)
        rows.append(
            {
                "rank": r.rank,
                "name_ja": r.name_ja,
                "name_en": r.name_en,
                "areas": " ".join(rank_areas(plan, r.rank)),
                "programs": len(ids),
                "programs_funded": sum(1 for i in ids if result.funded.get(i)),
                "funded_oku_yen": funded,
                "sum_of_highs_oku_yen": ceiling,
                "share_funded": f"{funded / ceiling:.4f}" if ceiling else "",
                "value": _num(values.get(r.rank)),
                "best_bound": _num(stage.best_bound if stage else None),
                "gap": f"{stage.gap:.6f}" if stage and stage.gap is not None else "",
                "status": stage.status if stage else "not_solved",
            }
        )
    return pd.DataFrame(rows)


def schedule_cells(schedule: pd.DataFrame) -> dict[tuple[str, int], tuple[int, int | None]]:
    """{(program_id, fiscal_year): (億円, units)} of a solve's schedule (nonzero rows)."""
    return {
        (str(r.program_id), int(r.fiscal_year)): (
            int(r.amount_oku_yen),
            None if pd.isna(r.units) else int(r.units),
        )
        for r in schedule.itertuples(index=False)
    }


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return str(round(x)) if abs(x - round(x)) < 1e-6 else f"{x:.6f}"


def _whole_or_float(values: list[float | None]) -> pd.Series:
    """Int64 when every value is a whole number (within 1e-6), else Float64 rounded to 1e-6."""
    known = [v for v in values if v is not None]
    if all(abs(v - round(v)) < 1e-6 for v in known):
        return pd.Series([None if v is None else round(v) for v in values], dtype="Int64")
    return pd.Series([None if v is None else round(v, 6) for v in values], dtype="Float64")


def frontier_table(result: SweepResult) -> pd.DataFrame:
    """One row per cap of a sweep, in the sweep's order.

    Columns: ``cap_ratio`` (ratio as a 6-decimal string, ``"0.015000"``), ``cap``
    (``"1.5%"``), ``status``, ``value_rank1`` … ``value_rankN`` (value reached per rank: 億円
    funded, or the explicit values), ``defense_alloc_oku_yen``, ``other_alloc_oku_yen``,
    ``total_alloc_oku_yen`` (new money over the horizon, 億円), ``programs_funded``. Value and
    amount cells are empty where there is no plan (infeasible caps).
    """
    pts = result.points
    table = pd.DataFrame(
        {
            "cap_ratio": [f"{float(p.cap):.6f}" for p in pts],
            "cap": [format_cap(p.cap) for p in pts],
            "status": [p.status for p in pts],
        }
    )
    for r in result.ranks:
        table[f"value_rank{r}"] = _whole_or_float([p.rank_values.get(r) for p in pts])
    for col, getter in (
        ("defense_alloc_oku_yen", lambda p: p.defense_alloc_oku_yen),
        ("other_alloc_oku_yen", lambda p: p.other_alloc_oku_yen),
        ("total_alloc_oku_yen", lambda p: p.total_alloc_oku_yen),
        ("programs_funded", lambda p: p.programs_funded),
    ):
        table[col] = pd.Series([getter(p) for p in pts], dtype="Int64")
    return table


def min_cap_table(result: MinCapResult) -> pd.DataFrame:
    """One row per fiscal year of :attr:`MinCapResult.path`.

    Columns: ``fiscal_year``, ``gdp_oku_yen``, ``baseline_oku_yen``,
    ``min_defense_total_oku_yen``, ``min_new_defense_oku_yen`` (億円), ``min_ratio`` (6-decimal
    string), ``uniform_min_cap_ratio`` (the single cap, 6-decimal string, empty if none),
    ``ranks`` (e.g. ``"1,2,3"``).
    """
    uniform = "" if result.uniform is None else f"{float(result.uniform):.6f}"
    rows = [
        {
            "fiscal_year": y.fiscal_year,
            "gdp_oku_yen": y.gdp_oku_yen,
            "baseline_oku_yen": y.baseline_oku_yen,
            "min_defense_total_oku_yen": y.defense_total_oku_yen,
            "min_new_defense_oku_yen": y.new_defense_oku_yen,
            "min_ratio": f"{float(y.ratio):.6f}",
            "uniform_min_cap_ratio": uniform,
            "ranks": ",".join(map(str, result.ranks)),
        }
        for y in result.path
    ]
    columns = [
        "fiscal_year",
        "gdp_oku_yen",
        "baseline_oku_yen",
        "min_defense_total_oku_yen",
        "min_new_defense_oku_yen",
        "min_ratio",
        "uniform_min_cap_ratio",
        "ranks",
    ]
    return pd.DataFrame(rows, columns=columns)
