"""PNG charts of a run folder: allocation by area per fiscal year, and funding by rank.

Matplotlib comes from :func:`allocator.report.plotting.pyplot` (Agg, bundled Japanese font)
and files are saved with :func:`allocator.report.plotting.save` (no timestamps), 10 inches at
120 dpi: about 1200 px wide.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from allocator.constants import OKU_PER_CHO
from allocator.report.data import RunData
from allocator.report.labels import rank_label, t
from allocator.report.plotting import AREA_COLOURS, pyplot, save

WIDTH_INCHES = 10.0
_FALLBACK_COLOURS = ["#1abc9c", "#e67e22", "#9b59b6", "#34495e", "#95a5a6", "#e84393"]


_t = t


def _shorten(text: str, width: int) -> str:
    """At most ``width`` characters: drop a trailing parenthetical first, then cut with '…'."""
    if len(text) <= width:
        return text
    plain = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", text)
    if plain and len(plain) <= width:
        return plain
    return plain[: width - 1].rstrip() + "…"


_NO_LINE_START = set("・、。，．)）」』】:：")


def _units(text: str) -> int:
    """Display width: a full-width character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int, lines: int = 2) -> str:
    """Wrap to ``width`` display units, never inside a Latin word or number and never starting
    a line with closing punctuation; at most ``lines`` lines (the last one cut with '…')."""
    tokens: list[str] = []
    for tok in re.findall(r"[A-Za-z0-9.,'/+-]+|\s+|.", text):
        tokens += list(tok) if _units(tok) > width else [tok]
    out: list[str] = []
    line = ""
    for tok in tokens:
        if line and _units(line + tok) > width and not tok.isspace() and tok not in _NO_LINE_START:
            cut = _break_point(line)
            out.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        if not line and tok.isspace():
            continue
        line += tok
    if line.strip():
        out.append(line.rstrip())
    if len(out) > lines:
        rest = "".join(out[lines - 1 :]) if not text.isascii() else " ".join(out[lines - 1 :])
        out = [*out[: lines - 1], _cut(rest, width)]
    return "\n".join(out)


def _break_point(line: str) -> int:
    """Where to end a full line, in its second half: before '(' or at a space, else after
    '・' or '、', else at the end of the line."""
    half = len(line) // 2
    for good in (
        lambda i: line[i] in "(（" or line[i - 1] == " ",
        lambda i: line[i - 1] in "・、，,",
    ):
        for i in range(len(line) - 1, half, -1):
            if good(i):
                return i
    return len(line)


def _cut(text: str, width: int) -> str:
    if _units(text) <= width:
        return text
    while text and _units(text) > width - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def area_chart(data: RunData, path: Path, lang: str) -> None:
    """Stacked bars of new allocation by area per fiscal year (兆円), with the defence ratio to
    GDP and the cap as lines on a secondary axis (percent)."""
    assert data.summary is not None
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    s = data.summary
    years = [int(y) for y in s.fiscal_year]
    sched = data.schedule
    if sched is not None and len(sched):
        table = sched.pivot_table(
            index="fiscal_year", columns="area", values="amount_oku_yen", aggfunc="sum"
        )
        table.index = table.index.astype(int)
    else:
        table = pd.DataFrame(index=years)
    table = table.reindex(years).fillna(0)
    known = list(data.area_names)
    areas = [a for a in known if a in table.columns] + sorted(
        str(a) for a in table.columns if a not in known
    )

    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 6.4))
    x = list(range(len(years)))
    bottom = [0.0] * len(years)
    extra = iter(_FALLBACK_COLOURS * 4)
    outside = _outside_cap_areas(data)
    short_areas = {
        sf.key: sf.shortfall_oku_yen for sf in data.record.shortfalls if sf.floor == "area_low"
    }
    for a in areas:
        vals = [float(v) / OKU_PER_CHO for v in table[a].tolist()]
        if not any(vals):
            continue
        name = data.area_name(a, lang)
        tag = f"{a}*" if a in outside else a
        label = f"{tag}  {_shorten(name, 22 if lang == 'ja' else 46)}" if name else tag
        if a in short_areas:
            label += _t(
                f"  ▲下限不足 {short_areas[a] / OKU_PER_CHO:,.1f}兆円",
                f"  ▲ floor short {short_areas[a] / OKU_PER_CHO:,.1f} 兆円",
                lang,
            )
        colour = AREA_COLOURS.get(a) or next(extra)
        ax.bar(x, vals, bottom=bottom, color=colour, width=0.72, label=label, zorder=2)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    for xi, total in zip(x, bottom, strict=True):
        if total > 0:
            ax.text(xi, total, f"{total:,.1f}", ha="center", va="bottom", fontsize=9, zorder=5)
    ax.set_xticks(x, [str(y) for y in years])
    ax.set_xlabel(_t("年度", "Fiscal year", lang))
    ax.set_ylabel(_t("新規配分(兆円)", "New allocation (兆円 = ¥ trillion)", lang))
    top = max(bottom, default=0.0)
    ax.set_ylim(0, max(top * 1.3, 0.1))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.1f}"))
    ax.grid(axis="y", color="#dddddd", zorder=0)
    ax.spines["top"].set_visible(False)

    ax2 = ax.twinx()
    cap_words = data.cap_phrase(lang)
    ratio = [float(v) for v in s.gdp_ratio]
    cap = [float(v) for v in data.cap_gdp_ratio()]
    ax2.plot(
        x,
        ratio,
        color="#1f2d3d",
        marker="o",
        markersize=5,
        linewidth=2.2,
        label=_t("防衛費(既存+新規)のGDP比", "Defence (baseline + new) / GDP", lang),
        zorder=4,
    )
    ax2.plot(
        x,
        cap,
        color="#e74c3c",
        linestyle=(0, (4, 3)),
        linewidth=2.0,
        label=_t(f"上限({cap_words})", f"Cap ({cap_words})", lang),
        zorder=5,
    )
    hi = max([*ratio, *cap, 0.0])
    ax2.set_ylim(0, max(hi * 1.15, 0.001))
    ax2.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=1))
    ax2.set_ylabel(_t("GDP比", "Ratio to GDP", lang))
    ax2.spines["top"].set_visible(False)

    ax.set_title(
        f"{data.title(lang)}\n"
        + _t(
            f"分野別の新規配分と防衛費のGDP比 — 上限 {cap_words}",
            f"New allocation by area and defence ratio to GDP — cap {cap_words}",
            lang,
        ),
        fontsize=13,
        loc="left",
    )
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    fig.tight_layout()
    legend = fig.legend(
        h1 + h2,
        l1 + l2,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=2 if lang == "en" else 3,
        fontsize=9.5,
        frameon=False,
    )
    note = _t(
        "棒: 新規配分(分野別、上の数字は合計 兆円)。"
        "線: 防衛費(既存予算+新規のうち防衛費に算入する分)のGDP比。",
        "Bars: new allocation by area (total in 兆円 on top). Lines: defence spending "
        "(baseline + new money counted toward the cap) as a ratio to GDP.",
        lang,
    )
    if outside:
        note += _t(
            f"\n*印の分野({'・'.join(sorted(outside))})は防衛費の上限に算入しない。",
            f"\nAreas marked * ({', '.join(sorted(outside))}) do not count toward the cap.",
            lang,
        )
    if data.record.shortfalls:
        parts = [
            f"{sf.key} {sf.shortfall_oku_yen / OKU_PER_CHO:,.1f}" for sf in data.record.shortfalls
        ]
        note += _t(
            f"\n▲ 満たせない下限(兆円、譲られた順): {'、'.join(parts)}(shortfalls.csv)",
            f"\n▲ Floors that fall short (兆円, in the order they gave way): {', '.join(parts)} "
            "(shortfalls.csv)",
            lang,
        )
    fig.canvas.draw()  # to know where the legend ends
    box = legend.get_window_extent().transformed(fig.transFigure.inverted())
    fig.text(0.5, box.y0 - 0.01, note, fontsize=9, color="#444444", ha="center", va="top")
    save(fig, path)


def _outside_cap_areas(data: RunData) -> set[str]:
    """Areas all of whose scheduled money does not count toward the defence cap."""
    sched = data.schedule
    if sched is None or not len(sched) or "counts_toward_defense" not in sched:
        return set()
    counts = sched.groupby("area")["counts_toward_defense"].agg(lambda v: set(v.tolist()))
    return {str(a) for a, vals in counts.items() if vals == {"no"}}


def rank_chart(data: RunData, path: Path, lang: str) -> None:
    """Per priority rank: 億円 funded against the sum of its programs' highs, with the share."""
    assert data.ranks is not None
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter

    r = data.ranks
    name_col = "name_ja" if lang == "ja" else "name_en"
    labels = [
        f"{rank_label(int(k), lang).capitalize()}\n"
        + _wrap(str(n), 36 if lang == "ja" else 30, 2 if lang == "ja" else 3)
        for k, n in zip(r["rank"], r[name_col], strict=True)
    ]
    highs = [float(v) / OKU_PER_CHO for v in r.sum_of_highs_oku_yen]
    funded = [float(v) / OKU_PER_CHO for v in r.funded_oku_yen]
    n = len(r)
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, max(3.0, 1.0 + 0.95 * n)))
    y = list(range(n))
    ax.barh(
        y,
        highs,
        height=0.7,
        color="#d5dbe3",
        label=_t("上限額の合計", "Sum of the programs' highs", lang),
        zorder=2,
    )
    ax.barh(
        y,
        funded,
        height=0.7,
        color="#2980b9",
        label=_t("手当て額", "Funded", lang),
        zorder=3,
    )
    short = {k: 0.0 for k in r["rank"]}
    for sf in data.record.shortfalls:
        if sf.rank is not None and sf.rank in short:
            short[sf.rank] += sf.shortfall_oku_yen / OKU_PER_CHO
    gaps = [short.get(int(k), 0.0) for k in r["rank"]]
    marked = [i for i, g in enumerate(gaps) if g]
    if marked:
        ax.barh(
            [y[i] for i in marked],
            [gaps[i] for i in marked],
            left=[funded[i] for i in marked],
            height=0.7,
            color="none",
            edgecolor="#c0392b",
            hatch="///",
            linewidth=1.2,
            label=_t(
                "下限に届かない額(このランクの下限の不足)", "Short of this rank's floors", lang
            ),
            zorder=3,
        )
    top = max([*highs, *(f + g for f, g in zip(funded, gaps, strict=True)), 0.0])
    for i, (f, h) in enumerate(zip(funded, highs, strict=True)):
        share = f / h if h else None
        text = (
            f"{share * 100:.1f}%  ({f:,.1f} / {h:,.1f}" + _t(" 兆円)", " 兆円)", lang)
            if share is not None
            else "—"
        )
        if gaps[i]:
            text += _t(
                f"  ▲下限不足 {gaps[i]:,.1f}兆円", f"  ▲ floors short {gaps[i]:,.1f} 兆円", lang
            )
        ax.text(
            max(h, f + gaps[i]) + top * 0.01, i, text, va="center", ha="left", fontsize=10,
            zorder=4, color="#c0392b" if gaps[i] else "black",
        )  # fmt: skip
    ax.set_yticks(y, labels, fontsize=10)
    ax.invert_yaxis()  # rank 1 on top
    ax.set_xlim(0, max(top * (1.6 if marked else 1.32), 0.1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_xlabel(_t("兆円", "兆円 (¥ trillion)", lang))
    ax.grid(axis="x", color="#dddddd", zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"{data.title(lang)}\n"
        + _t(
            f"優先順位別の充足 — 上限 {data.cap_phrase(lang)}",
            f"Funding by priority rank — cap {data.cap_phrase(lang)}",
            lang,
        ),
        fontsize=13,
        loc="left",
    )
    ax.legend(loc="lower right", fontsize=9.5, frameon=False)
    fig.tight_layout()
    save(fig, path)
