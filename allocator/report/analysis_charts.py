"""Charts of the questions asked across runs: the sweep's frontier (value per rank against the
cap, ``frontier.png``) and the comparison of solved plans (``compare.png``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from allocator.errors import UsageError
from allocator.formatting import format_cap
from allocator.report import plotting
from allocator.report.plotting import pyplot, save
from allocator.run.compare import Comparison

Lang = Literal["ja", "en"]

_LABELS = {
    "ja": {
        "title": "GDP比上限と優先順位ごとの価値",
        "x": "防衛費のGDP比上限 (%)",
        "value": "価値 (資金額 億円)",
        "programs": "実施事業数",
        "rank": "順位{r}",
        "infeasible": "実行不可能",
    },
    "en": {
        "title": "Value per priority rank against the GDP-ratio cap",
        "x": "cap on defence spending (% of GDP)",
        "value": "value (億円 funded)",
        "programs": "programs funded",
        "rank": "rank {r}",
        "infeasible": "infeasible",
    },
}


def frontier_chart(
    table: pd.DataFrame,
    path: Path,
    lang: Literal["ja", "en"] = "ja",
    *,
    rank_names: dict[int, str] | None = None,
    title: str | None = None,
) -> Path:
    """Draw a sweep's frontier as a PNG: value per rank against the cap (stacked areas), and
    the number of programs funded below it. Infeasible caps are marked on the cap axis.

    Parameters
    ----------
    table
        :func:`allocator.run.tables.frontier_table` output.
    path
        PNG file to write.
    lang
        ``"ja"`` or ``"en"`` labels.
    rank_names
        Optional ``{rank: name}`` for the legend.
    title
        Optional title (default: a generic one in ``lang``).

    Returns
    -------
    Path
        ``path``.
    """
    text = _LABELS["ja" if lang == "ja" else "en"]
    plt = pyplot()
    x = [float(v) * 100 for v in table["cap_ratio"]]
    value_cols = [c for c in table.columns if c.startswith("value_rank")]
    ok = [s in ("optimal", "feasible") for s in table["status"]]
    fig, (top, bottom) = plt.subplots(
        2, 1, sharex=True, figsize=(8, 6), gridspec_kw={"height_ratios": [3, 1]}
    )
    xs = [v for v, good in zip(x, ok, strict=True) if good]
    if xs:
        layers = []
        labels = []
        for col in value_cols:
            r = int(col.removeprefix("value_rank"))
            series = pd.to_numeric(table[col], errors="coerce").astype(float)
            layers.append([float(v) for v, good in zip(series, ok, strict=True) if good])
            name = text["rank"].format(r=r)
            if rank_names and r in rank_names:
                name += f" {rank_names[r]}"
            labels.append(name)
        top.stackplot(xs, layers, labels=labels, alpha=0.85)
        funded = pd.to_numeric(table["programs_funded"], errors="coerce").astype(float)
        bottom.plot(xs, [float(v) for v, g in zip(funded, ok, strict=True) if g], "o-")
    bad = [v for v, good in zip(x, ok, strict=True) if not good]
    if bad:
        for ax in (top, bottom):
            ax.plot(bad, [0] * len(bad), "x", color="grey", clip_on=False)
        top.plot([], [], "x", color="grey", label=text["infeasible"])
    from matplotlib.ticker import StrMethodFormatter

    top.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    top.set_ylabel(text["value"])
    top.set_title(title or text["title"])
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    top.grid(alpha=0.3)
    bottom.set_ylabel(text["programs"])
    bottom.set_xlabel(text["x"])
    bottom.grid(alpha=0.3)
    path = Path(path)
    save(fig, path)
    return path


# ---------------------------------------------------------------------------------------------
# the chart for compare.png

_CHART_TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "title": "防衛費のGDP比と配分の差(基準: {ref})",
        "ratio": "防衛費(既存+新規)/ GDP (%)",
        "diff": "基準との配分差(億円)",
        "year": "年度",
        "cap": "GDP比上限(点線)",
        "defense": "防衛の差(塗り)",
        "other": "防衛以外(経済安保等)の差(斜線)",
        "net": "合計の差",
        "infeasible": "実行不可能・配分なし",
        "reference": "基準",
        "no_ref": "基準計画が実行不可能のため差はありません",
        "no_other": "比較対象の計画はすべて実行不可能(配分なし)です",
        "same": "どの年度も配分の差はありません",
    },
    "en": {
        "title": "Defence spending / GDP and allocation difference (reference: {ref})",
        "ratio": "Defence spending (baseline + new) / GDP (%)",
        "diff": "Difference vs reference (億円 = ¥100m)",
        "year": "Fiscal year",
        "cap": "GDP-ratio cap (dotted)",
        "defense": "defence difference (solid)",
        "other": "non-defence (economic security) difference (hatched)",
        "net": "net difference",
        "infeasible": "infeasible, no allocations",
        "reference": "reference",
        "no_ref": "the reference is infeasible: no differences to show",
        "no_other": "every compared plan is infeasible: no allocations to compare",
        "same": "no difference in allocation in any fiscal year",
    },
}

_PLAN_COLOURS = ("#222222", "#c0392b", "#2980b9", "#16a085", "#8e44ad", "#f39c12", "#d35400")


def _plan_colour(i: int) -> str:
    return _PLAN_COLOURS[i % len(_PLAN_COLOURS)]


def compare_chart(cmp: Comparison, path: Path, lang: Lang = "ja") -> None:
    """Draw ``compare.png``: each plan's defence ratio to GDP per fiscal year (lines; its cap
    dotted) above the per-year difference in allocation to the reference (bars, 億円).

    Parameters
    ----------
    cmp : Comparison
        From :func:`allocator.run.compare.compare`.
    path : Path
        The PNG file to write.
    lang : {"ja", "en"}
        Language of titles, axes and legend.

    Raises
    ------
    UsageError
        (option ``--lang``) for a language other than ``ja`` or ``en``.
    """
    if lang not in _CHART_TEXT:
        raise UsageError("--lang", f"{lang!r} is not a chart language", "give ja or en")
    plt = plotting.pyplot()
    text = _CHART_TEXT[lang]
    years = list(cmp.years)
    fig, (ax1, ax2) = plt.subplots(
        2, 1, figsize=(10.5, 8), sharex=True, gridspec_kw={"height_ratios": [3, 2.2]}
    )
    _ratio_panel(ax1, cmp, text)
    _difference_panel(ax2, cmp, text)
    ax2.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    step = 1 if len(years) <= 20 else 2 if len(years) <= 40 else 5
    ax2.set_xticks(years[::step])
    if len(years) > 20:
        plt.setp(ax2.get_xticklabels(), rotation=45, ha="right")
    fig.tight_layout()
    plotting.save(fig, path)


def _series(cmp: Comparison, metric: str, i: int) -> list[float]:
    out: list[float] = []
    for y in cmp.years:
        v = cmp.row("fiscal_year", str(y), metric).values[i]
        out.append(float("nan") if v is None else float(v))
    return out


def _ratio_panel(ax1: Any, cmp: Comparison, t: dict[str, str]) -> None:
    """Each plan's defence spending / GDP per year (its cap as a dotted step)."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    years = list(cmp.years)
    handles: list[Any] = []
    for i, sp in enumerate(cmp.plans):
        colour = _plan_colour(i)
        name = cmp.labels[i] + (f" ({t['reference']})" if i == 0 else "")
        cap = [
            float("nan") if c is None or g is None else 100 * float(c) / float(g)
            for c, g in zip(
                _series(cmp, "cap_oku_yen", i), _series(cmp, "gdp_oku_yen", i), strict=True
            )
        ]
        # the cap as a step over each fiscal year (visible even for a one-year horizon)
        ax1.plot(
            [years[0] - 0.5, *years, years[-1] + 0.5],
            [cap[0], *cap, cap[-1]],
            drawstyle="steps-mid",
            color=colour,
            linestyle=":",
            linewidth=1.3,
            alpha=0.8,
        )
        cap_text = format_cap(sp.plan.cap.ratio)
        if not sp.has_plan:
            handles.append(
                Line2D(
                    [],
                    [],
                    color=colour,
                    linestyle=":",
                    linewidth=1.6,
                    label=f"{name}: {cap_text}, {sp.plan.gdp_case} — {t['infeasible']}",
                )
            )
            continue
        (line,) = ax1.plot(
            years,
            _series(cmp, "gdp_ratio_pct", i),
            color=colour,
            marker="o",
            markersize=3.5,
            linewidth=2.2 if i == 0 else 1.6,
            label=f"{name}: {cap_text}, {sp.plan.gdp_case}",
            zorder=3 if i == 0 else 2,
        )
        handles.append(line)
    handles.append(Line2D([], [], color="#777777", linestyle=":", label=t["cap"]))
    ax1.legend(handles=handles, loc="best", fontsize=8.5, framealpha=0.9)
    ax1.set_ylabel(t["ratio"])
    ax1.set_title(t["title"].format(ref=cmp.labels[0]), fontsize=12)
    ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2f}"))
    ax1.grid(axis="y", alpha=0.3)
    ax1.margins(y=0.08)


def _difference_panel(ax2: Any, cmp: Comparison, t: dict[str, str]) -> None:
    """Per year, each compared plan's difference in allocation to the reference (bars)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    years = list(cmp.years)
    others = [i for i in range(1, len(cmp.plans)) if cmp.plans[i].has_plan]
    if not cmp.reference.has_plan or not others:
        note = t["no_ref"] if not cmp.reference.has_plan else t["no_other"]
        ax2.text(0.5, 0.5, note, transform=ax2.transAxes, ha="center", va="center")
        ax2.set_yticks([])
        others = []
    group = 0.8 if len(years) > 2 else 0.45  # a one- or two-year chart: narrower bars
    width = group / max(len(others), 1)
    any_difference = False
    for j, i in enumerate(others):
        colour = _plan_colour(i)
        xs = [y + (j - (len(others) - 1) / 2) * width for y in years]
        dd = [0.0 if math.isnan(v) else v for v in _diff_series(cmp, "defense_alloc_oku_yen", i)]
        do = [0.0 if math.isnan(v) else v for v in _diff_series(cmp, "other_alloc_oku_yen", i)]
        ax2.bar(xs, dd, width=width * 0.92, color=colour, alpha=0.85)
        # the other allocation stacks on the defence bar when both go the same way
        has_other = [k for k, o in enumerate(do) if o]
        ax2.bar(
            [xs[k] for k in has_other],
            [do[k] for k in has_other],
            width=width * 0.92,
            bottom=[dd[k] if (dd[k] >= 0) == (do[k] >= 0) else 0.0 for k in has_other],
            color=colour,
            alpha=0.35,
            hatch="///",
            edgecolor=colour,
            linewidth=0,
        )
        moved = [k for k, (d, o) in enumerate(zip(dd, do, strict=True)) if d or o]
        any_difference = any_difference or bool(moved)
        ax2.scatter(
            [xs[k] for k in moved],
            [dd[k] + do[k] for k in moved],
            marker="_",
            s=140,
            color="black",
            linewidths=1.6,
            zorder=4,
        )
    ax2.axhline(0, color="black", linewidth=0.8)
    ax2.set_ylabel(t["diff"])
    ax2.set_xlabel(t["year"])
    if others and not any_difference:
        ax2.set_ylim(-1, 1)
        ax2.set_yticks([0])
        ax2.text(0.5, 0.75, t["same"], transform=ax2.transAxes, ha="center", va="center")
    elif others:
        ax2.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
        ax2.margins(y=0.12)
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+,.0f}" if v else "0"))
    ax2.grid(axis="y", alpha=0.3)
    if not others:
        return
    ax2.legend(
        handles=[
            Patch(facecolor="#999999", label=t["defense"]),
            Patch(facecolor="#dddddd", hatch="///", edgecolor="#999999", label=t["other"]),
            Line2D(
                [], [], color="black", marker="_", linestyle="none", markersize=12, label=t["net"]
            ),
        ],
        loc="best",
        fontsize=8.5,
        framealpha=0.9,
    )


def _diff_series(cmp: Comparison, metric: str, i: int) -> list[float]:
    out: list[float] = []
    for y in cmp.years:
        d = cmp.row("fiscal_year", str(y), metric).diffs[i - 1]
        out.append(float("nan") if d is None or isinstance(d, str) else float(d))
    return out
