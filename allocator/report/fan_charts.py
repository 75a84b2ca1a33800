"""Charts of a Monte Carlo or risk folder, drawn from its summary tables alone:

- ``ratio_fan.png``: the defence ratio to GDP per fiscal year as a fan (5–95 % and 25–75 %
  bands, median line) against the cap, with the central case (montecarlo) or the held plan
  and the named GDP cases (risk), and — for risk — the probability of a breach per year;
- ``ranks.png`` (montecarlo): each rank's value over the draws (5–95 % whiskers, 25–75 % box,
  median) beside its central value;
- ``programs.png`` (montecarlo): probability of each program being funded and reaching its
  high; (risk): purchasing power of each funded program's held yen as a share of its plan
  (5/50/95 %) with its floor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from allocator.report.plotting import pyplot, save

_TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "ratio": "防衛費 / GDP (%)",
        "year": "年度",
        "cap": "GDP比上限",
        "band90": "5–95 %",
        "band50": "25–75 %",
        "median": "中央値",
        "central": "中心ケース",
        "planned": "計画(計画時GDP)",
        "mc_title": "防衛費のGDP比の分布(各抽出で再最適化, {n}回)",
        "risk_title": "計画を固定した場合の防衛費のGDP比(計画どおり調達, {n}回)",
        "p_exceed": "上限超過確率",
        "case": "GDPケース {c}(予算額固定)",
        "rank_title": "優先順位ごとの価値の分布({n}回のうち計画のある抽出)",
        "value": "価値(計画価格の億円)",
        "rank": "順位{r}",
        "prog_title": "事業ごとの確率({n}回)",
        "funded": "実施される確率",
        "high": "上限まで配分される確率",
        "prob": "確率",
        "with_plan": "計画が存在する抽出の割合",
        "power_title": "予算額を固定した場合の購買力(計画比, {n}回)",
        "power": "購買力 / 計画額",
        "floor": "下限(事業の low)",
    },
    "en": {
        "ratio": "defence spending / GDP (%)",
        "year": "fiscal year",
        "cap": "GDP-ratio cap",
        "band90": "5–95 %",
        "band50": "25–75 %",
        "median": "median",
        "central": "central case",
        "planned": "plan (at planned GDP)",
        "mc_title": "Defence spending / GDP, plan re-solved per draw ({n} draws)",
        "risk_title": "Defence spending / GDP with the plan held and delivered ({n} draws)",
        "p_exceed": "probability of exceeding the cap",
        "case": "GDP case {c} (yen budget held)",
        "rank_title": "Value per priority rank over the draws with a plan (of {n})",
        "value": "value (億円 at planning prices)",
        "rank": "rank {r}",
        "prog_title": "Per program ({n} draws)",
        "funded": "probability funded",
        "high": "probability of reaching its high",
        "prob": "probability",
        "with_plan": "share of draws with a plan",
        "power_title": "Purchasing power of the held yen budget, share of plan ({n} draws)",
        "power": "purchasing power / planned",
        "floor": "floor (the program's low)",
    },
}


def _pct(series: pd.Series) -> list[float]:
    return [float("nan") if pd.isna(v) else 100 * float(v) for v in series]


def _fan(
    ax: Any, years: list[int], table: pd.DataFrame, t: dict[str, str], *, quartiles: bool
) -> None:
    ax.fill_between(
        years,
        _pct(table["ratio_p5"]),
        _pct(table["ratio_p95"]),
        color="#2980b9",
        alpha=0.18,
        label=t["band90"],
        step=None,
    )
    if quartiles:
        ax.fill_between(
            years,
            _pct(table["ratio_p25"]),
            _pct(table["ratio_p75"]),
            color="#2980b9",
            alpha=0.35,
            label=t["band50"],
        )
    ax.plot(years, _pct(table["ratio_p50"]), color="#1f4e79", linewidth=2, label=t["median"])
    ax.plot(
        years,
        _pct(table["cap_ratio"]),
        color="#c0392b",
        linestyle="--",
        linewidth=1.5,
        label=t["cap"],
    )


def ratio_fan_chart(table: pd.DataFrame, path: Path, lang: str, *, draws: int, kind: str) -> Path:
    """``ratio_fan.png`` from ``mc_years.csv`` (kind ``montecarlo``) or ``risk_years.csv``
    (kind ``risk``)."""
    t = _TEXT["ja" if lang == "ja" else "en"]
    plt = pyplot()
    years = [int(y) for y in table["fiscal_year"]]
    if kind == "risk":
        fig, (ax, ax2) = plt.subplots(
            2, 1, figsize=(9, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]}
        )
    else:
        fig, ax = plt.subplots(figsize=(9, 5))
        ax2 = None
    _fan(ax, years, table, t, quartiles=kind == "montecarlo")
    if kind == "montecarlo":
        ax.plot(
            years,
            _pct(table["central_ratio"]),
            color="#333333",
            linestyle=":",
            marker="o",
            markersize=3,
            label=t["central"],
        )
        ax.set_title(t["mc_title"].format(n=draws))
    else:
        ax.plot(
            years,
            _pct(table["planned_ratio"]),
            color="#333333",
            linestyle=":",
            marker="o",
            markersize=3,
            label=t["planned"],
        )
        styles = ["-.", (0, (3, 1, 1, 1)), (0, (5, 2))]
        for i, col in enumerate(c for c in table.columns if str(c).startswith("case_ratio_")):
            ax.plot(
                years,
                _pct(table[col]),
                color="#7f8c8d",
                linestyle=styles[i % len(styles)],
                linewidth=1.2,
                label=t["case"].format(c=str(col).removeprefix("case_ratio_")),
            )
        ax.set_title(t["risk_title"].format(n=draws))
        assert ax2 is not None
        ax2.bar(years, _pct(table["p_exceed"]), color="#c0392b", alpha=0.8)
        ax2.set_ylabel(t["p_exceed"] + " (%)")
        ax2.set_ylim(0, 100)
        ax2.grid(alpha=0.3)
        ax2.set_xlabel(t["year"])
    ax.set_ylabel(t["ratio"])
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    if ax2 is None:
        ax.set_xlabel(t["year"])
    (ax2 or ax).set_xticks(years[:: 1 if len(years) <= 20 else 2])
    fig.tight_layout()
    save(fig, path)
    return Path(path)


def ranks_chart(table: pd.DataFrame, path: Path, lang: str, *, draws: int) -> Path:
    """``ranks.png`` from ``mc_ranks.csv``: per rank a box (25–75 %), whiskers (5–95 %) and the
    median of its value, and the central case's value as a diamond."""
    t = _TEXT["ja" if lang == "ja" else "en"]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.8 * len(table) + 1.8))
    stats = []
    labels = []
    for row in table.itertuples(index=False):
        if pd.isna(row.value_p50):
            stats.append({"med": 0, "q1": 0, "q3": 0, "whislo": 0, "whishi": 0, "fliers": []})
        else:
            stats.append(
                {
                    "med": row.value_p50,
                    "q1": row.value_p25,
                    "q3": row.value_p75,
                    "whislo": row.value_p5,
                    "whishi": row.value_p95,
                    "fliers": [],
                }
            )
        name = row.name_ja if lang == "ja" else row.name_en
        labels.append(f"{t['rank'].format(r=int(row.rank))} {str(name)[:18]}")
    positions = list(range(len(stats), 0, -1))
    ax.bxp(
        stats,
        positions=positions,
        orientation="horizontal",
        showfliers=False,
        widths=0.5,
        patch_artist=True,
        boxprops={"facecolor": "#aed6f1"},
    )
    ax.plot(list(table["central_value"]), positions, "D", color="#c0392b", label=t["central"])
    ax.set_yticks(positions)
    ax.set_yticklabels(labels, fontsize="small")
    from matplotlib.ticker import StrMethodFormatter

    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel(t["value"])
    ax.set_title(t["rank_title"].format(n=draws))
    ax.grid(alpha=0.3, axis="x")
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    save(fig, path)
    return Path(path)


def programs_chart(table: pd.DataFrame, path: Path, lang: str, *, draws: int) -> Path:
    """``programs.png`` from ``mc_programs.csv``: P(funded) and P(high) per program."""
    t = _TEXT["ja" if lang == "ja" else "en"]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(table) + 1.8))
    ys = list(range(len(table), 0, -1))
    ax.barh(
        [y + 0.18 for y in ys],
        list(table["p_funded"]),
        height=0.36,
        color="#2980b9",
        label=t["funded"],
    )
    ax.barh(
        [y - 0.18 for y in ys], list(table["p_high"]), height=0.36, color="#16a085", label=t["high"]
    )
    ax.set_yticks(ys)
    ax.set_yticklabels(
        [
            f"{r.program_id} ({t['rank'].format(r=int(r.rank))})"
            for r in table.itertuples(index=False)
        ],
        fontsize="small",
    )
    ax.set_xlim(0, 1)
    ax.set_xlabel(t["prob"])
    ax.set_title(t["prog_title"].format(n=draws))
    ax.grid(alpha=0.3, axis="x")
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    save(fig, path)
    return Path(path)


def purchasing_power_chart(table: pd.DataFrame, path: Path, lang: str, *, draws: int) -> Path:
    """``programs.png`` of a risk folder (``risk_programs.csv``): purchasing power of each
    funded program's held yen as a share of its planned amount (5–95 % bar, median dot), with
    its floor (low / planned)."""
    t = _TEXT["ja" if lang == "ja" else "en"]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(table) + 1.8))
    ys = list(range(len(table), 0, -1))
    planned = table["planned_oku_yen"].astype(float)
    lo = table["real_p5_oku_yen"].astype(float) / planned
    mid = table["real_p50_oku_yen"].astype(float) / planned
    hi = table["real_p95_oku_yen"].astype(float) / planned
    floor = table["low_oku_yen"].astype(float) / planned
    ax.hlines(ys, lo, hi, color="#2980b9", linewidth=5, alpha=0.5, label="5–95 %")
    ax.plot(mid, ys, "o", color="#1f4e79", label=t["median"])
    ax.plot(floor, ys, "|", color="#c0392b", markersize=14, markeredgewidth=2, label=t["floor"])
    ax.axvline(1.0, color="#333333", linewidth=0.8, linestyle=":")
    ax.set_yticks(ys)
    ax.set_yticklabels(
        [
            f"{r.program_id} ({t['rank'].format(r=int(r.rank))})"
            for r in table.itertuples(index=False)
        ],
        fontsize="small",
    )
    ax.set_xlabel(t["power"])
    ax.set_title(t["power_title"].format(n=draws))
    ax.grid(alpha=0.3, axis="x")
    ax.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    save(fig, path)
    return Path(path)


__all__ = ["programs_chart", "purchasing_power_chart", "ranks_chart", "ratio_fan_chart"]
