"""Drawing of the run-folder charts from plain data (lists, strings): matplotlib only.

:mod:`allocator.report.charts` turns a run folder's tables into the plain ``spec`` dictionaries
drawn here, so this module needs neither pandas nor the run folder, and can run in the report
worker (:mod:`allocator.report.worker`) while the main process writes the workbook.

Each chart is rendered once: the legend's place is read from a renderer without drawing the
figure, and the tight bounding box is computed here and handed to ``savefig`` (which would
otherwise draw the whole figure a second time to find it). The PNG files are byte-identical to
drawing with ``fig.canvas.draw()`` and ``bbox_inches="tight"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from allocator.report.plotting import AREA_COLOURS, pyplot, save

WIDTH_INCHES = 10.0
FALLBACK_COLOURS = ["#1abc9c", "#e67e22", "#9b59b6", "#34495e", "#95a5a6", "#e84393"]


def draw_area_chart(spec: dict[str, Any], path: Path | str) -> None:
    """Stacked bars of new allocation by area per fiscal year (兆円), with the defence ratio
    to GDP and the cap as lines on a secondary axis (percent)."""
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    years: list[int] = spec["years"]
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 6.4))
    x = list(range(len(years)))
    bottom = [0.0] * len(years)
    extra = iter(FALLBACK_COLOURS * 4)
    for i, (area, label, vals) in enumerate(spec["bars"]):
        colour = AREA_COLOURS.get(area) or next(extra)
        # zero-height bars draw nothing (most areas are funded in a few years only): leave
        # them out, except the first area's outermost two, which set the x range as before
        keep = [j for j, v in enumerate(vals) if v or (i == 0 and j in (0, len(vals) - 1))]
        ax.bar(
            [x[j] for j in keep],
            [vals[j] for j in keep],
            bottom=[bottom[j] for j in keep],
            color=colour,
            width=0.72,
            label=label,
            zorder=2,
        )
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    for xi, total in zip(x, bottom, strict=True):
        if total > 0:
            ax.text(xi, total, f"{total:,.1f}", ha="center", va="bottom", fontsize=9, zorder=5)
    ax.set_xticks(x, [str(y) for y in years])
    ax.set_xlabel(spec["xlabel"])
    ax.set_ylabel(spec["ylabel"])
    top = max(bottom, default=0.0)
    ax.set_ylim(0, max(top * 1.3, 0.1))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.1f}"))
    ax.grid(axis="y", color="#dddddd", zorder=0)
    ax.spines["top"].set_visible(False)

    ax2 = ax.twinx()
    ratio: list[float] = spec["ratio"]
    cap: list[float] = spec["cap"]
    ax2.plot(
        x,
        ratio,
        color="#1f2d3d",
        marker="o",
        markersize=5,
        linewidth=2.2,
        label=spec["ratio_label"],
        zorder=4,
    )
    ax2.plot(
        x,
        cap,
        color="#e74c3c",
        linestyle=(0, (4, 3)),
        linewidth=2.0,
        label=spec["cap_label"],
        zorder=5,
    )
    hi = max([*ratio, *cap, 0.0])
    ax2.set_ylim(0, max(hi * 1.15, 0.001))
    ax2.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=1))
    ax2.set_ylabel(spec["y2label"])
    ax2.spines["top"].set_visible(False)

    ax.set_title(spec["title"], fontsize=13, loc="left")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    fig.tight_layout()
    legend = fig.legend(
        h1 + h2,
        l1 + l2,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=spec["legend_columns"],
        fontsize=9.5,
        frameon=False,
    )
    # where the legend ends, from a renderer: no need to draw the whole figure for that
    box = legend.get_window_extent(fig.canvas.get_renderer()).transformed(
        fig.transFigure.inverted()
    )
    fig.text(0.5, box.y0 - 0.01, spec["note"], fontsize=9, color="#444444", ha="center", va="top")
    save(fig, path)


def draw_rank_chart(spec: dict[str, Any], path: Path | str) -> None:
    """Per priority rank: 兆円 funded against the sum of its programs' highs, with the share."""
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter

    labels: list[str] = spec["labels"]
    highs: list[float] = spec["highs"]
    funded: list[float] = spec["funded"]
    n = len(labels)
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, max(3.0, 1.0 + 0.95 * n)))
    y = list(range(n))
    ax.barh(y, highs, height=0.7, color="#d5dbe3", label=spec["highs_label"], zorder=2)
    ax.barh(y, funded, height=0.7, color="#2980b9", label=spec["funded_label"], zorder=3)
    gaps: list[float] = spec.get("gaps") or [0.0] * n
    marked = [i for i, g in enumerate(gaps) if g]
    if marked:  # the part of a rank's floors it falls short of, hatched after what it got
        ax.barh(
            [y[i] for i in marked],
            [gaps[i] for i in marked],
            left=[funded[i] for i in marked],
            height=0.7,
            color="none",
            edgecolor="#c0392b",
            hatch="///",
            linewidth=1.2,
            label=spec["gaps_label"],
            zorder=3,
        )
    top = max([*highs, *(f + g for f, g in zip(funded, gaps, strict=True)), 0.0])
    for i, (f, h) in enumerate(zip(funded, highs, strict=True)):
        share = f / h if h else None
        text = (
            f"{share * 100:.1f}%  ({f:,.1f} / {h:,.1f}" + spec["unit_suffix"]
            if share is not None
            else "—"
        )
        if gaps[i]:
            text += spec["gap_words"].format(gaps[i])
        ax.text(
            max(h, f + gaps[i]) + top * 0.01, i, text, va="center", ha="left", fontsize=10,
            zorder=4, color="#c0392b" if gaps[i] else "black",
        )  # fmt: skip
    ax.set_yticks(y, labels, fontsize=10)
    ax.invert_yaxis()  # rank 1 on top
    ax.set_xlim(0, max(top * (1.6 if marked else 1.32), 0.1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_xlabel(spec["xlabel"])
    ax.grid(axis="x", color="#dddddd", zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(spec["title"], fontsize=13, loc="left")
    ax.legend(loc="lower right", fontsize=9.5, frameon=False)
    fig.tight_layout()
    save(fig, path)


def draw_contracts_chart(spec: dict[str, Any], path: Path | str) -> None:
    """Per fiscal year the new contracts beside what is paid (on the plan's contracts and on
    earlier ones), and the obligations outstanding at year end; years after the horizon
    shaded (spec from :func:`allocator.report.contract_charts.contracts_chart_spec`)."""
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter

    years: list[int] = spec["years"]
    labels: dict[str, str] = spec["labels"]
    new, paid_new, paid_old, owed = (
        spec["new"],
        spec["paid_new"],
        spec["paid_old"],
        spec["owed"],
    )
    x = list(range(len(years)))
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 6.0))
    width = 0.38
    ax.bar(
        [i - width / 2 for i in x], new, width=width, color="#f39c12", label=labels["new"], zorder=2
    )
    ax.bar(
        [i + width / 2 for i in x],
        paid_old,
        width=width,
        color="#95a5a6",
        label=labels["paid_old"],
        zorder=2,
    )
    ax.bar(
        [i + width / 2 for i in x],
        paid_new,
        width=width,
        bottom=paid_old,
        color="#2980b9",
        label=labels["paid_new"],
        zorder=2,
    )
    ax.plot(
        x,
        owed,
        color="#c0392b",
        marker="o",
        markersize=4,
        linewidth=2.2,
        label=labels["owed"],
        zorder=4,
    )
    after: list[int] = spec["after"]
    if after:
        ax.axvspan(
            min(after) - 0.5, max(after) + 0.5, color="#eeeeee", zorder=0, label=labels["after"]
        )
    ax.set_xticks(x, [str(y) for y in years], rotation=45 if len(years) > 16 else 0)
    ax.set_xlabel(labels["xlabel"])
    ax.set_ylabel(labels["ylabel"])
    digits = 0 if spec["oku"] else 1
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.{digits}f}"))
    ax.grid(axis="y", color="#dddddd", zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    top = max([*new, *(a + b for a, b in zip(paid_new, paid_old, strict=True)), *owed, 0.1])
    ax.set_ylim(0, top * 1.15)
    ax.set_title(spec["title"], fontsize=13, loc="left")
    fig.tight_layout()
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=spec["legend_columns"],
        fontsize=9.5,
        frameon=False,
    )
    save(fig, path)


def draw_indicators_chart(spec: dict[str, Any], path: Path | str) -> None:
    """One panel per indicator: level per fiscal year, targets as markers; years after the
    horizon (deliveries of money paid within it) dashed."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    panels = spec["panels"]
    n = max(1, len(panels))
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(WIDTH_INCHES, 2.8 * rows + 0.6), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(panels):
            ax.set_visible(False)
            continue
        p = panels[k]
        inside = [
            (y, v) for y, v, h in zip(p["years"], p["levels"], p["in_horizon"], strict=True) if h
        ]
        after = [
            (y, v)
            for y, v, h in zip(p["years"], p["levels"], p["in_horizon"], strict=True)
            if not h
        ]
        if inside:
            ax.plot(
                [y for y, _ in inside], [v for _, v in inside], color="#2980b9", marker="o", ms=3
            )
        if after:
            link = inside[-1:] + after
            ax.plot([y for y, _ in link], [v for _, v in link], color="#2980b9", ls="--", alpha=0.6,
                    label=spec["after_label"])  # fmt: skip
        if p["targets"]:
            ax.scatter([y for y, _ in p["targets"]], [v for _, v in p["targets"]], marker="*",
                       s=90, color="#c0392b", zorder=5, label=spec["target_label"])  # fmt: skip
        ax.set_title(p["title"], fontsize=10, loc="left")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(color="#dddddd")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if p["targets"] or after:
            ax.legend(fontsize=8, frameon=False)
    fig.suptitle(spec["title"], fontsize=12, x=0.01, ha="left")
    fig.tight_layout()
    save(fig, path)


DRAW = {
    "area": draw_area_chart,
    "rank": draw_rank_chart,
    "contracts": draw_contracts_chart,
    "indicators": draw_indicators_chart,
}
"""Chart kind -> drawing function (the report worker is sent ``(kind, spec, path)``)."""


def warm_up() -> None:
    """Load matplotlib, the Japanese font and its glyph metrics before the first real chart
    (the report worker calls this while the main process is still solving). Draws into memory
    only; no global setting is changed, so later charts are byte-identical to unwarmed ones."""
    import io

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ax.bar([0, 1], [1.0, 2.0], label="年度 兆円 0123456789")
    ax.plot([0, 1], [1.0, 1.5], marker="o", linestyle=(0, (4, 3)))
    ax.set_title("防衛費のGDP比 — 上限 2.0%", fontsize=13, loc="left")
    ax.legend(fontsize=9.5, frameon=False)
    fig.text(0.5, 0.0, "優先順位別の充足", fontsize=9)
    fig.tight_layout()
    fig.savefig(io.BytesIO(), format="png", dpi=120)
    plt.close(fig)
