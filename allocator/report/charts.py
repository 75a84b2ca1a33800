"""PNG charts of a run folder: allocation by area per fiscal year, and funding by rank.

Each chart is made in two steps: ``*_chart_spec`` reads the run's tables (pandas) into plain
lists and strings, and :mod:`allocator.report.chart_drawing` draws that spec with matplotlib (Agg,
bundled Japanese font; files saved with :func:`allocator.report.plotting.save`, no timestamps,
10 inches at 120 dpi: about 1200 px wide). The split lets the report worker
(:mod:`allocator.report.worker`) draw without loading pandas.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd

from allocator.constants import OKU_PER_CHO
from allocator.report.data import RunData
from allocator.report.labels import rank_label, t

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


def area_chart_spec(data: RunData, lang: str) -> dict[str, Any]:
    """What :func:`allocator.report.chart_drawing.draw_area_chart` draws, as plain data: bars of new
    allocation by area per fiscal year (兆円), the defence ratio to GDP and the cap."""
    assert data.summary is not None
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
    outside = _outside_cap_areas(data)
    bars: list[tuple[str, str, list[float]]] = []
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
        bars.append((str(a), label, vals))
    cap_words = data.cap_phrase(lang)
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
    return {
        "years": years,
        "bars": bars,
        "ratio": [float(v) for v in s.gdp_ratio],
        "cap": [float(v) for v in data.cap_gdp_ratio()],
        "xlabel": _t("年度", "Fiscal year", lang),
        "ylabel": _t("新規配分(兆円)", "New allocation (兆円 = ¥ trillion)", lang),
        "y2label": _t("GDP比", "Ratio to GDP", lang),
        "ratio_label": _t("防衛費(既存+新規)のGDP比", "Defence (baseline + new) / GDP", lang),
        "cap_label": _t(f"上限({cap_words})", f"Cap ({cap_words})", lang),
        "title": f"{data.title(lang)}\n"
        + _t(
            f"分野別の新規配分と防衛費のGDP比 — 上限 {cap_words}",
            f"New allocation by area and defence ratio to GDP — cap {cap_words}",
            lang,
        ),
        "legend_columns": 2 if lang == "en" else 3,
        "note": note,
    }


def area_chart(data: RunData, path: Path, lang: str) -> None:
    """Stacked bars of new allocation by area per fiscal year (兆円), with the defence ratio to
    GDP and the cap as lines on a secondary axis (percent)."""
    from allocator.report.chart_drawing import draw_area_chart

    draw_area_chart(area_chart_spec(data, lang), path)


def _outside_cap_areas(data: RunData) -> set[str]:
    """Areas all of whose scheduled money does not count toward the defence cap."""
    sched = data.schedule
    if sched is None or not len(sched) or "counts_toward_defense" not in sched:
        return set()
    counts = sched.groupby("area")["counts_toward_defense"].agg(lambda v: set(v.tolist()))
    return {str(a) for a, vals in counts.items() if vals == {"no"}}


def rank_chart_spec(data: RunData, lang: str) -> dict[str, Any]:
    """What :func:`allocator.report.chart_drawing.draw_rank_chart` draws, as plain data."""
    assert data.ranks is not None
    r = data.ranks
    name_col = "name_ja" if lang == "ja" else "name_en"
    labels = [
        f"{rank_label(int(k), lang).capitalize()}\n"
        + _wrap(str(n), 36 if lang == "ja" else 30, 2 if lang == "ja" else 3)
        for k, n in zip(r["rank"], r[name_col], strict=True)
    ]
    short = {int(k): 0.0 for k in r["rank"]}
    for sf in data.record.shortfalls:
        if sf.rank is not None and sf.rank in short:
            short[sf.rank] += sf.shortfall_oku_yen / OKU_PER_CHO
    return {
        "labels": labels,
        "highs": [float(v) / OKU_PER_CHO for v in r.sum_of_highs_oku_yen],
        "funded": [float(v) / OKU_PER_CHO for v in r.funded_oku_yen],
        "gaps": [short.get(int(k), 0.0) for k in r["rank"]],
        "highs_label": _t("上限額の合計", "Sum of the programs' highs", lang),
        "funded_label": _t("手当て額", "Funded", lang),
        "gaps_label": _t(
            "下限に届かない額(このランクの下限の不足)", "Short of this rank's floors", lang
        ),
        "gap_words": _t("  ▲下限不足 {:,.1f}兆円", "  ▲ floors short {:,.1f} 兆円", lang),
        "unit_suffix": _t(" 兆円)", " 兆円)", lang),
        "xlabel": _t("兆円", "兆円 (¥ trillion)", lang),
        "title": f"{data.title(lang)}\n"
        + _t(
            f"優先順位別の充足 — 上限 {data.cap_phrase(lang)}",
            f"Funding by priority rank — cap {data.cap_phrase(lang)}",
            lang,
        ),
    }


def rank_chart(data: RunData, path: Path, lang: str) -> None:
    """Per priority rank: 億円 funded against the sum of its programs' highs, with the share."""
    from allocator.report.chart_drawing import draw_rank_chart

    draw_rank_chart(rank_chart_spec(data, lang), path)
