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
from allocator.plan.contracts import format_pattern
from allocator.plan.reached import limits_text
from allocator.plan.schema import Plan, Program
from allocator.plan.values import rank_areas, rank_values
from allocator.run.ledger import Ledger, schedule_ledger

if TYPE_CHECKING:
    from allocator.optim.analysis import MinCapResult, SweepResult


SCHEDULE_TABLE_COLUMNS = [
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
    "contract_oku_yen",
    "payment_oku_yen",
]
"""Columns of ``schedule.csv``; a plan with vehicles adds ``paid_<vehicle>_oku_yen`` per
vehicle. ``amount_oku_yen`` = ``payment_oku_yen``: paid in the fiscal year (歳出);
``contract_oku_yen``: contracted in it (契約; the same as the payment for a program without a
contract pattern); ``units``: whole units contracted."""


def vehicle_column(vehicle_id: str) -> str:
    """``schedule.csv`` column of what ``vehicle_id`` pays."""
    return f"paid_{vehicle_id}_oku_yen"


def schedule_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """One row per fiscal year and program with a nonzero payment or contract."""
    by_id = {p.program_id: p for p in plan.programs}
    vehicle_ids = [v.id for v in plan.vehicles]
    paid_by: dict[tuple[str, int, str], int] = {}
    if result.vehicle_payments is not None:
        for v in result.vehicle_payments.itertuples(index=False):
            paid_by[str(v.program_id), int(v.fiscal_year), str(v.vehicle)] = int(v.oku_yen)
    rows = []
    for r in result.schedule.itertuples(index=False):
        p = by_id[r.program_id]
        year = int(r.fiscal_year)
        row = {
            "fiscal_year": year,
            "program_id": p.program_id,
            "name_ja": p.name_ja,
            "name_en": p.name_en,
            "area": p.area,
            "phase": p.phase,
            "rank": p.rank,
            "amount_oku_yen": int(r.amount_oku_yen),
            "units": None if pd.isna(r.units) else int(r.units),
            "counts_toward_defense": "yes" if plan.counts_toward_defense(p) else "no",
            "contract_oku_yen": int(r.contract_oku_yen),
            "payment_oku_yen": int(r.amount_oku_yen),
        }
        for v in vehicle_ids:
            row[vehicle_column(v)] = paid_by.get((p.program_id, year, v), 0)
        rows.append(row)
    cols = [*SCHEDULE_TABLE_COLUMNS, *(vehicle_column(v) for v in vehicle_ids)]
    df = pd.DataFrame(rows, columns=cols)
    df["units"] = df["units"].astype("Int64")
    return df.sort_values(["fiscal_year", "rank", "program_id"], kind="stable").reset_index(
        drop=True
    )


def ledger(plan: Plan, result: SolveResult) -> Ledger:
    """The ledger of contracts and payments of a solve (``obligations.csv``)."""
    return schedule_ledger(plan, result.schedule)


def obligations_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """``obligations.csv``: see :data:`allocator.run.ledger.LEDGER_COLUMNS`."""
    return ledger(plan, result).table


def summary_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """One row per fiscal year: GDP, cap, baseline, allocations (paid), ratio to GDP, headroom;
    then the obligations already owed that count toward the cap (既定分, included in
    ``defense_total_oku_yen``) and the contract view (contracted in the year, defence and other).
    Then the marginal values."""
    sched = schedule_table(plan, result)
    by_kind = {
        kind: sched[sched.counts_toward_defense == kind].groupby("fiscal_year")
        for kind in ("yes", "no")
    }
    defense = by_kind["yes"]["amount_oku_yen"].sum()
    other = by_kind["no"]["amount_oku_yen"].sum()
    defense_c = by_kind["yes"]["contract_oku_yen"].sum()
    other_c = by_kind["no"]["contract_oku_yen"].sum()
    rows = []
    for y in plan.fiscal_years:
        d = int(defense.get(y, 0))
        o = int(other.get(y, 0))
        gdp = plan.gdp(y)
        cap = plan.cap_oku_yen(y)
        base = plan.baseline(y)
        owed = plan.obligations_due(y)
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
                "defense_total_oku_yen": base + owed + d,
                "gdp_ratio": f"{(base + owed + d) / gdp:.6f}",
                "headroom_oku_yen": room - d,
                "new_total_oku_yen": d + o,
                "fiscal_ceiling_oku_yen": ceiling,
                "obligations_oku_yen": owed,
                "defense_contract_oku_yen": int(defense_c.get(y, 0)),
                "other_contract_oku_yen": int(other_c.get(y, 0)),
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
            df[col] = _whole_or_float(
                [float(wide.loc[y, rank]) if y in wide.index else None for y in df.fiscal_year]
            )
        if "valid_up_to_oku_yen" in result.marginal:
            per_year = result.marginal.groupby("fiscal_year")
            valid = per_year["valid_up_to_oku_yen"].first()
            df["marginal_valid_up_to_oku_yen"] = pd.Series(
                [valid.get(y) for y in df.fiscal_year], dtype="Int64"
            )
            if "valid_open" in result.marginal:
                is_open = per_year["valid_open"].first()
                df["marginal_valid_at_least"] = [
                    "yes" if is_open.get(y) else ("no" if not pd.isna(valid.get(y)) else "")
                    for y in df.fiscal_year
                ]
    return df


def basis_total(p: Program, paid: int, contracted: int) -> int:
    """What a program's range counts: paid in the horizon, or contracted."""
    return contracted if p.basis == "contract" and p.is_contract else paid


def programs_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """Per program: funded or not, total paid in the horizon, range, first and last year paid,
    window; then its basis, pattern, vehicles, total contracted and what it still owes after the
    horizon."""
    sched = result.schedule
    paid = sched[sched.amount_oku_yen != 0]
    per = paid.groupby("program_id").agg(
        total=("amount_oku_yen", "sum"), first=("fiscal_year", "min"), last=("fiscal_year", "max")
    )
    contracted = sched.groupby("program_id")["contract_oku_yen"].sum()
    past = ledger(plan, result)
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
                "basis": p.basis,
                "contract_pattern": format_pattern(p.contract_pattern)
                if p.contract_pattern
                else "",
                "vehicles": ";".join(plan.vehicles_of(p)),
                "contract_total_oku_yen": int(contracted.get(p.program_id, 0)),
                "paid_past_horizon_oku_yen": past.past_horizon_of(p.program_id),
            }
        )
    df = pd.DataFrame(rows)
    for c in ("first_funded_year", "last_funded_year"):
        df[c] = df[c].astype("Int64")
    return df


def ranks_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """Per rank: 億円 funded (each program on its basis: paid in the horizon, or contracted),
    the most its programs could take, share funded, the value the final schedule gives it (as
    ``plan.json`` objective_per_rank), and its stage's bound, gap and status. ``areas`` are the
    areas of the rank's programs."""
    sched = result.schedule
    paid = sched.groupby("program_id")["amount_oku_yen"].sum()
    contracted = sched.groupby("program_id")["contract_oku_yen"].sum()
    counted = {
        p.program_id: basis_total(
            p, int(paid.get(p.program_id, 0)), int(contracted.get(p.program_id, 0))
        )
        for p in plan.programs
    }
    values = (
        rank_values(plan, counted, result.funded, schedule_cells(sched))
        if result.has_plan
        else result.rank_values()
    )
    by_stage = {s.rank: s for s in result.stages if s.rank is not None}
    rows = []
    for r in plan.ranks:
        mine = [p for p in plan.programs if p.rank == r.rank]
        ids = {p.program_id for p in mine}
        # each program on its own basis: what its range counts
        funded = sum(counted[p.program_id] for p in mine)
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


SHORTFALL_COLUMNS = [
    "order",
    "floor",
    "id",
    "name_ja",
    "name_en",
    "rank",
    "first_year",
    "last_year",
    "pooled",
    "floor_oku_yen",
    "achieved_oku_yen",
    "shortfall_oku_yen",
]


def shortfalls_table(result: SolveResult) -> pd.DataFrame:
    """One row per floor the schedule falls short of, in give-way order (``order`` 1 gives way
    first: the floors of no single rank, then the lowest rank's). ``rank`` is empty for a floor
    of no single rank; ``pooled`` is ``yes`` when the floor is a total over several fiscal years
    (any of them may carry the money). Header only when every floor is met."""
    rows = [
        {
            "order": i,
            "floor": sf.floor.family,
            "id": str(sf.floor.key),
            "name_ja": sf.floor.name_ja,
            "name_en": sf.floor.name_en,
            "rank": sf.floor.rank,
            "first_year": sf.floor.first_year,
            "last_year": sf.floor.last_year,
            "pooled": "yes" if sf.floor.pooled else "no",
            "floor_oku_yen": sf.floor.low,
            "achieved_oku_yen": sf.achieved,
            "shortfall_oku_yen": sf.shortfall,
        }
        for i, sf in enumerate(result.shortfalls, start=1)
    ]
    df = pd.DataFrame(rows, columns=SHORTFALL_COLUMNS)
    df["rank"] = df["rank"].astype("Int64")
    return df


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
    ``total_alloc_oku_yen`` (new money over the horizon, 億円), ``programs_funded``,
    ``floors_short`` (how many floors fall short), ``shortfall_oku_yen`` (their total),
    ``floors_short_list`` (``phase mid 3836; …`` in give-way order) and ``limits_reached``
    (the caps and ceilings the schedule reaches: which rule binds, e.g. ``gdp_cap
    2026–2034年度; fiscal_total_cap``). Value and amount cells are empty where there is no
    plan.
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
        ("floors_short", lambda p: len(p.shortfalls) if p.has_plan else None),
        ("shortfall_oku_yen", lambda p: p.shortfall_oku_yen if p.has_plan else None),
    ):
        table[col] = pd.Series([getter(p) for p in pts], dtype="Int64")
    table["floors_short_list"] = [
        "; ".join(f"{s.floor.label} {s.shortfall}" for s in p.shortfalls) for p in pts
    ]
    table["limits_reached"] = [limits_text(list(p.limits), "en") for p in pts]
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
