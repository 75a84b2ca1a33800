"""Summaries of a Monte Carlo or risk folder, computed from its ``draws.csv`` and
``draw_inputs.csv`` on disk (so they can be made again, and nothing is held while draws run).

Quantiles are numpy's linear interpolation of the draws; a probability is the share of draws.
Column groups are read one at a time (``usecols``), so the memory of a summary is a few columns
of floats, however wide the files. Definitions (also in ``docs/model.md``, "Uncertainty"):

- ``montecarlo``: per program ``p_funded`` = share of **all** draws in which the re-solved
  plan funds the program (a draw without a plan funds nothing); ``p_low`` = share of all draws
  in which it is funded at no less than its low; ``p_high`` = … at its high (within 0.5 億円);
  ``p_funded_if_plan`` and ``p_high_if_plan`` the same over the draws with a plan;
  per rank the distribution of its value over the draws **with a plan**; per year the
  distribution of total defence spending in yen over the draw's GDP (draws with a plan);
- ``risk``: per year ``p_exceed`` = share of draws in which delivering the held plan costs
  more than the draw's cap (baseline + Σ cost factor × amount > ⌊κ G⌋), with the 5/50/95 %
  of that ratio and of the excess in 億円; the same with the yen budget held
  (``budget_ratio``: only GDP moves); per funded program the purchasing power of its held
  yen at planning prices, Σ_y x / f, and ``p_below_floor`` = share of draws in which it falls
  below the program's low.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from allocator.constants import has_plan
from allocator.plan.schema import Plan
from allocator.run.draws import DRAW_INPUTS_CSV, DRAWS_CSV

QUANTILES = (5, 25, 50, 75, 95)
HIGH_SLACK = 0.5
"""A program reaches its high when its 億円 at planning prices are within this of it (amounts
of a draw are rounded to whole 億円 when written)."""

BELOW_TOLERANCE = 2e-4
"""A rank's value counts as below the central case's when it is lower by more than this share:
the stages of a draw are solved to a relative gap of 1e-4 (values are fractional in a draw),
so smaller differences are the solver's tolerance, not the draw."""

MC_YEARS_CSV = "mc_years.csv"
MC_RANKS_CSV = "mc_ranks.csv"
MC_PROGRAMS_CSV = "mc_programs.csv"
RISK_YEARS_CSV = "risk_years.csv"
RISK_PROGRAMS_CSV = "risk_programs.csv"


def read_columns(path: Path, columns: list[str]) -> pd.DataFrame:
    """The named columns of a draws file (numbers as floats, empty cells as NaN)."""
    return pd.read_csv(path, encoding="utf-8-sig", usecols=columns)


def _q(values: np.ndarray, q: float) -> float | None:
    v = values[~np.isnan(values)]
    return _tidy(float(np.percentile(v, q))) if v.size else None


def _tidy(x: float) -> float:
    """Ten significant digits: the interpolation's float noise (0.019879249999999998) dropped."""
    return float(f"{x:.10g}")


def _share(mask: np.ndarray, n: int) -> float | None:
    return float(mask.sum()) / n if n else None


def _statuses(folder: Path) -> pd.Series:
    return pd.read_csv(folder / DRAWS_CSV, encoding="utf-8-sig", usecols=["status"], dtype=str)[
        "status"
    ]


def status_counts(folder: Path) -> dict[str, int]:
    return {str(k): int(v) for k, v in _statuses(folder).value_counts().sort_index().items()}


# ---------------------------------------------------------------------------------------------
# montecarlo


def mc_years_table(folder: Path, plan: Plan, central: dict[int, float]) -> pd.DataFrame:
    """Per fiscal year: the defence ratio over the draws with a plan (5/25/50/75/95 %, mean),
    the cap, the central case's ratio and the median GDP and defence spending."""
    ok = _statuses(folder).map(has_plan).to_numpy()
    rows = []
    for y in plan.fiscal_years:
        d = read_columns(folder / DRAWS_CSV, [f"ratio_{y}", f"defense_total_oku_yen_{y}"])
        g = read_columns(folder / DRAW_INPUTS_CSV, [f"gdp_oku_yen_{y}"])[f"gdp_oku_yen_{y}"]
        ratio = d[f"ratio_{y}"].to_numpy(dtype=float)[ok]
        total = d[f"defense_total_oku_yen_{y}"].to_numpy(dtype=float)[ok]
        row: dict[str, object] = {
            "fiscal_year": y,
            "gdp_p50_oku_yen": _round(_q(g.to_numpy(dtype=float), 50)),
            "cap_ratio": float(plan.cap.ratio),
            "central_ratio": central.get(y),
        }
        for q in QUANTILES:
            row[f"ratio_p{q}"] = _q(ratio, q)
        row["ratio_mean"] = _tidy(float(np.nanmean(ratio))) if ratio.size else None
        row["defense_total_p50_oku_yen"] = _round(_q(total, 50))
        row["draws_with_plan"] = int(ok.sum())
        rows.append(row)
    return pd.DataFrame(rows)


def mc_ranks_table(folder: Path, plan: Plan, central: dict[int, float]) -> pd.DataFrame:
    """Per rank: the value over the draws with a plan (min, 5/25/50/75/95 %, max, mean) beside
    the central case's value."""
    ok = _statuses(folder).map(has_plan).to_numpy()
    rows = []
    for r in sorted(plan.ranks, key=lambda r: r.rank):
        v = read_columns(folder / DRAWS_CSV, [f"value_rank{r.rank}"])[f"value_rank{r.rank}"]
        values = v.to_numpy(dtype=float)[ok]
        row: dict[str, object] = {
            "rank": r.rank,
            "name_ja": r.name_ja,
            "name_en": r.name_en,
            "central_value": central.get(r.rank),
            "value_mean": _tidy(float(np.nanmean(values))) if values.size else None,
            "value_min": float(np.nanmin(values)) if values.size else None,
        }
        for q in QUANTILES:
            row[f"value_p{q}"] = _q(values, q)
        row["value_max"] = float(np.nanmax(values)) if values.size else None
        c = central.get(r.rank)
        row["p_below_central"] = (
            _share(values < c - BELOW_TOLERANCE * max(1.0, abs(c)), values.size)
            if c is not None
            else None
        )
        row["draws_with_plan"] = int(ok.sum())
        rows.append(row)
    return pd.DataFrame(rows)


def mc_programs_table(folder: Path, plan: Plan, central: dict[str, int]) -> pd.DataFrame:
    """Per program: probability of being funded, of reaching its low and its high (over all
    draws), and its 億円 at planning prices (5/50/95 % over the draws with a plan)."""
    statuses = _statuses(folder)
    n = len(statuses)
    ok = statuses.map(has_plan).to_numpy()
    rows = []
    for p in plan.programs:
        pid = p.program_id
        d = read_columns(folder / DRAWS_CSV, [f"funded_{pid}", f"real_oku_yen_{pid}"])
        funded = np.nan_to_num(d[f"funded_{pid}"].to_numpy(dtype=float)) > 0.5
        real = d[f"real_oku_yen_{pid}"].to_numpy(dtype=float)
        real0 = np.nan_to_num(real)
        rows.append(
            {
                "program_id": pid,
                "name_ja": p.name_ja,
                "name_en": p.name_en,
                "area": p.area,
                "rank": p.rank,
                "low_oku_yen": p.low_oku_yen,
                "high_oku_yen": p.high_oku_yen,
                "central_total_oku_yen": central.get(pid, 0),
                "p_funded": _share(funded, n),
                "p_low": _share(funded & (real0 >= p.low_oku_yen - HIGH_SLACK), n),
                "p_high": _share(funded & (real0 >= p.high_oku_yen - HIGH_SLACK), n),
                "p_funded_if_plan": _share(funded[ok], int(ok.sum())),
                "p_high_if_plan": _share(
                    (funded & (real0 >= p.high_oku_yen - HIGH_SLACK))[ok], int(ok.sum())
                ),
                "real_p5_oku_yen": _round(_q(real[ok], 5)),
                "real_p50_oku_yen": _round(_q(real[ok], 50)),
                "real_p95_oku_yen": _round(_q(real[ok], 95)),
                "draws_with_plan": int(ok.sum()),
                "draws": n,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# risk


def risk_years_table(
    folder: Path, plan: Plan, planned: dict[int, float], cases: dict[str, dict[int, float]]
) -> pd.DataFrame:
    """Per fiscal year of a held plan: probability and size of a breach of the cap, as delivered
    and with the yen budget held; ``planned`` and ``cases`` give the ratio at the plan's own GDP
    and at each named GDP case."""
    rows = []
    for y in plan.fiscal_years:
        d = read_columns(
            folder / DRAWS_CSV, [f"ratio_{y}", f"budget_ratio_{y}", f"excess_oku_yen_{y}"]
        )
        g = read_columns(folder / DRAW_INPUTS_CSV, [f"gdp_oku_yen_{y}"])[f"gdp_oku_yen_{y}"]
        n = len(d)
        ratio = d[f"ratio_{y}"].to_numpy(dtype=float)
        budget = d[f"budget_ratio_{y}"].to_numpy(dtype=float)
        excess = d[f"excess_oku_yen_{y}"].to_numpy(dtype=float)
        gdp = g.to_numpy(dtype=float)
        row: dict[str, object] = {
            "fiscal_year": y,
            "gdp_p5_oku_yen": _round(_q(gdp, 5)),
            "gdp_p50_oku_yen": _round(_q(gdp, 50)),
            "gdp_p95_oku_yen": _round(_q(gdp, 95)),
            "cap_ratio": float(plan.cap.ratio),
            "planned_ratio": planned.get(y),
            "p_exceed": _share(excess > 0, n),
            "ratio_p5": _q(ratio, 5),
            "ratio_p50": _q(ratio, 50),
            "ratio_p95": _q(ratio, 95),
            "excess_mean_oku_yen": round(float(excess.mean()), 2) if n else None,
            "excess_p95_oku_yen": _q(excess, 95),
            "p_exceed_budget": _share(budget > float(plan.cap.ratio), n),
            "budget_ratio_p5": _q(budget, 5),
            "budget_ratio_p50": _q(budget, 50),
            "budget_ratio_p95": _q(budget, 95),
        }
        for case, by_year in cases.items():
            row[f"case_ratio_{case}"] = by_year.get(y)
        rows.append(row)
    return pd.DataFrame(rows)


def risk_programs_table(
    folder: Path,
    plan: Plan,
    held: dict[str, int],
    shares: dict[str, float],
    expected_overrun: dict[str, float],
) -> pd.DataFrame:
    """Per program funded by the held plan: its held 億円, dollar share and expected overrun,
    the purchasing power of the held yen at planning prices (5/50/95 %), and the probability
    that it falls below the program's low (its floor)."""
    rows = []
    n = None
    for p in plan.programs:
        pid = p.program_id
        if held.get(pid, 0) <= 0:
            continue
        real = read_columns(folder / DRAWS_CSV, [f"real_oku_yen_{pid}"])[f"real_oku_yen_{pid}"]
        values = real.to_numpy(dtype=float)
        n = len(values)
        planned = held[pid]
        rows.append(
            {
                "program_id": pid,
                "name_ja": p.name_ja,
                "name_en": p.name_en,
                "area": p.area,
                "rank": p.rank,
                "planned_oku_yen": planned,
                "low_oku_yen": p.low_oku_yen,
                "dollar_share": shares.get(pid, 0.0),
                "expected_overrun": expected_overrun.get(pid, 0.0),
                "real_p5_oku_yen": _round(_q(values, 5)),
                "real_p50_oku_yen": _round(_q(values, 50)),
                "real_p95_oku_yen": _round(_q(values, 95)),
                "real_share_p50": (_q(values, 50) or 0.0) / planned,
                "p_below_floor": _share(values < p.low_oku_yen, n) if p.low_oku_yen > 0 else 0.0,
            }
        )
    return pd.DataFrame(rows)


def _round(x: float | None) -> int | None:
    return None if x is None else round(x)


__all__ = [
    "MC_PROGRAMS_CSV",
    "MC_RANKS_CSV",
    "MC_YEARS_CSV",
    "QUANTILES",
    "RISK_PROGRAMS_CSV",
    "RISK_YEARS_CSV",
    "mc_programs_table",
    "mc_ranks_table",
    "mc_years_table",
    "read_columns",
    "risk_programs_table",
    "risk_years_table",
    "status_counts",
]
