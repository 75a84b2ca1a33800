"""The annual cycle in the reports, from a run folder alone: indicator trajectories
(``indicators.csv``: a report.md section, a sheet, ``charts/indicators.png``), the variance of
a re-plan (``variance.csv``: a section and a sheet), and the year's evaluation (年次評価) of
``allocate evaluate``: one page, the same in the workbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from allocator.constants import CHARTS_DIR, INDICATOR_CHART, VARIANCE_CSV, WORKBOOK
from allocator.formatting import fy, oku, pct
from allocator.report.data import RunData
from allocator.report.labels import md, rank_label

TOP = 8
"""Rows listed in the evaluation's short tables (programs behind plan, headline changes)."""


def _t(ja: str, en: str, lang: str) -> str:
    return ja if lang == "ja" else en


def _md(text: Any) -> str:
    return md(text)


def _na(v: Any) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v)) or v == ""


# ---------------------------------------------------------------------------------------------
# indicators


def indicator_rows(data: RunData) -> list[dict[str, Any]]:
    """One entry per indicator: its names, unit, and the horizon's (year, level) points."""
    ind = data.indicators
    if ind is None or not len(ind):
        return []
    out = []
    for iid, g in ind.groupby("indicator", sort=False):
        first = g.iloc[0]
        out.append(
            {
                "id": str(iid),
                "name_ja": str(first["name_ja"]),
                "name_en": str(first["name_en"]),
                "unit_ja": str(first["unit_ja"]),
                "unit_en": str(first["unit_en"]),
                "years": [int(y) for y in g.fiscal_year],
                "levels": [float(v) for v in g.level],
                "in_horizon": [str(v) == "yes" for v in g.in_horizon],
                "targets": [
                    (int(y), float(t), str(m) == "yes")
                    for y, t, m in zip(g.fiscal_year, g.target, g.target_met, strict=True)
                    if not _na(t)
                ],
            }
        )
    return out


def indicators_md(data: RunData, lang: str) -> list[str]:
    """report.md's section: each indicator's level at a few years and its targets."""
    rows = indicator_rows(data)
    if not rows:
        return []
    ja = lang == "ja"
    out = [
        "## 予算で得られるもの(指標)" if ja else "## What the money buys (indicators)",
        "",
        (
            "配分から計算した各指標の水準(年度末)。詳細は indicators.csv。"
            if ja
            else "Each indicator's level at the end of the fiscal year, computed from the "
            "schedule (all years: indicators.csv)."
        ),
        "",
    ]
    head = ["指標" if ja else "Indicator", "単位" if ja else "Unit"]
    sample = _sample_years(rows[0]["years"], data.plan_info.first_year, data.plan_info.last_year)
    head += [fy(y, lang) for y in sample]
    head += ["目標" if ja else "Targets"]
    out += ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * len(sample) + "---|"]
    for r in rows:
        levels = dict(zip(r["years"], r["levels"], strict=True))
        cells = [
            _md(r["name_ja"] if ja else r["name_en"]),
            _md(r["unit_ja"] if ja else r["unit_en"]),
        ]
        cells += [_level(levels.get(y)) for y in sample]
        targets = [
            f"{fy(y, lang)} {_level(level)} ({_met_word(met, lang)})"
            for y, level, met in r["targets"]
        ]
        cells.append("; ".join(targets) or "—")
        out.append("| " + " | ".join(cells) + " |")
    out += [
        "",
        f"{'図' if ja else 'Chart'}: [{_CHART}]({_CHART})",
        "",
    ]
    return out


_CHART = f"{CHARTS_DIR}/{INDICATOR_CHART}"


def _met_word(met: bool, lang: str) -> str:
    return _t("達成", "met", lang) if met else _t("未達", "not met", lang)


def _sample_years(years: list[int], first: int, last: int) -> list[int]:
    inside = [y for y in years if first <= y <= last]
    if len(inside) <= 6:
        return inside
    step = max(1, (len(inside) - 1) // 4)
    picked = inside[::step]
    if picked[-1] != inside[-1]:
        picked.append(inside[-1])
    return picked


def _level(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2f}"


def indicator_chart_spec(data: RunData, lang: str) -> dict[str, Any]:
    """What :func:`allocator.report.chart_drawing.draw_indicators_chart` draws: one small panel
    per indicator."""
    return {
        "panels": [
            {
                "title": (r["name_ja"] if lang == "ja" else r["name_en"])
                + f" ({r['unit_ja'] if lang == 'ja' else r['unit_en']})",
                "years": r["years"],
                "levels": r["levels"],
                "in_horizon": r["in_horizon"],
                "targets": [(y, level) for y, level, _ in r["targets"]],
            }
            for r in indicator_rows(data)
        ],
        "title": f"{data.title(lang)} — "
        + _t("指標の推移(配分から計算)", "Indicator trajectories (from the schedule)", lang),
        "target_label": _t("目標", "target", lang),
        "after_label": _t(
            "期間後(支払済みの納入)", "after the horizon (paid, delivered later)", lang
        ),
    }


# ---------------------------------------------------------------------------------------------
# variance of a re-plan


def variance_md(data: RunData, lang: str) -> list[str]:
    """report.md's section of a re-plan: where it comes from, per year planned, executed and
    re-planned with the reasons, what gives."""
    v = data.variance
    rec = data.record.replan
    if v is None or rec is None:
        return []
    ja = lang == "ja"
    out = [
        "## 承認済み計画との差(再計画)" if ja else "## Against the approved plan (re-plan)",
        "",
        (
            f"承認済み計画 {_md(rec.approved_run)}({_md(rec.approved_created_at)})を"
            f"{fy(rec.from_year, lang)}から再計画。それ以前の年度は執行実績"
            f"(sha256 {rec.actuals_sha256[:12]})に固定。執行と計画の差 "
            f"{oku(rec.executed_gap_oku_yen)} 億円、再計画年度で動いた額 "
            f"{oku(rec.moved_oku_yen)} 億円。"
            if ja
            else f"Approved plan {_md(rec.approved_run)} ({_md(rec.approved_created_at)}) "
            f"re-planned from {fy(rec.from_year, lang)}; earlier years fixed to the actuals "
            f"(sha256 {rec.actuals_sha256[:12]}). Executed against planned: "
            f"{oku(rec.executed_gap_oku_yen)} 億円 apart; re-planned years: "
            f"{oku(rec.moved_oku_yen)} 億円 moved."
        ),
        "",
    ]
    head = (
        ["年度", "計画(億円)", "執行(億円)", "再計画(億円)", "増減(億円)", "理由"]
        if ja
        else [
            "FY",
            "Planned (億円)",
            "Executed (億円)",
            "Re-planned (億円)",
            "Change (億円)",
            "Why",
        ]
    )
    out += ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|---:|---|"]
    for r in v[v.scope == "total"].itertuples(index=False):
        ex = "" if _na(r.executed_oku_yen) else oku(int(r.executed_oku_yen))
        out.append(
            f"| {fy(int(r.fiscal_year), lang)} | {oku(int(r.planned_oku_yen))} | {ex} | "
            f"{oku(int(r.replanned_oku_yen))} | {oku(int(r.change_oku_yen), sign=True)} | "
            f"{_md(r.reason_ja if ja else r.reason_en)} |"
        )
    out += ["", "譲るもの(優先順位の順):" if ja else "What gives (in priority order):", ""]
    out += [f"- {_md(line)}" for line in gives_lines(data, lang)]
    out += [
        "",
        (
            f"事業・分野・優先順位・年度別の詳細: [{VARIANCE_CSV}]({VARIANCE_CSV})"
            if ja
            else f"Per program, area, rank and year: [{VARIANCE_CSV}]({VARIANCE_CSV})"
        ),
        "",
    ]
    return out


@dataclass(frozen=True)
class _Give:
    rank: int
    planned: int
    now: int


def _gives(v: pd.DataFrame) -> list[_Give]:
    rows = v[v.scope == "rank"]
    out = []
    for rank, g in rows.groupby("subject"):
        planned, now = int(g.planned_oku_yen.sum()), int(g.replanned_oku_yen.sum())
        if now < planned:
            out.append(_Give(int(str(rank)), planned, now))
    return sorted(out, key=lambda g: g.rank)


def gives_lines(data: RunData, lang: str) -> list[str]:
    """The rules the actuals already break, then the ranks that end with less than approved."""
    rec = data.record.replan
    assert rec is not None and data.variance is not None
    ja = lang == "ja"
    lines = [b.message_ja if ja else b.message for b in rec.breaches]
    for g in _gives(data.variance):
        lines.append(
            f"{rank_label(g.rank, lang)}: "
            + _t(
                f"計画 {oku(g.planned)} 億円 → 再計画 {oku(g.now)} 億円"
                f"({oku(g.planned - g.now)} 億円減)",
                f"{oku(g.planned)} 億円 planned → {oku(g.now)} 億円 re-planned "
                f"({oku(g.planned - g.now)} 億円 less)",
                lang,
            )
        )
    return lines or [
        _t("承認済み計画より減る優先順位はありません", "no rank receives less than approved", lang)
    ]


# ---------------------------------------------------------------------------------------------
# the year's evaluation


def execution_table(data: RunData, level: str) -> pd.DataFrame:
    """Execution rate of the fixed years by area or rank: planned, executed, rate."""
    v = data.variance
    assert v is not None
    rows = v[(v.scope == level) & (v.fixed == "yes")]
    out = []
    for subject, g in rows.groupby("subject", sort=False):
        planned = int(g.planned_oku_yen.sum())
        executed = int(pd.to_numeric(g.executed_oku_yen, errors="coerce").fillna(0).sum())
        if planned == 0 and executed == 0:
            continue
        out.append(
            {
                level: str(subject),
                "planned_oku_yen": planned,
                "executed_oku_yen": executed,
                "execution_rate": executed / planned if planned else None,
            }
        )
    return pd.DataFrame(
        out, columns=[level, "planned_oku_yen", "executed_oku_yen", "execution_rate"]
    )


def behind_table(data: RunData) -> pd.DataFrame:
    """Programs that executed less than planned over the fixed years, largest shortfall first."""
    v = data.variance
    assert v is not None
    rows = v[(v.scope == "program") & (v.fixed == "yes")]
    out = []
    for pid, g in rows.groupby("subject", sort=False):
        planned = int(g.planned_oku_yen.sum())
        executed = int(pd.to_numeric(g.executed_oku_yen, errors="coerce").fillna(0).sum())
        if executed < planned:
            out.append(
                {
                    "program_id": str(pid),
                    "area": str(g.area.iloc[0]),
                    "rank": int(g["rank"].iloc[0]),
                    "planned_oku_yen": planned,
                    "executed_oku_yen": executed,
                    "shortfall_oku_yen": planned - executed,
                    "execution_rate": executed / planned if planned else None,
                }
            )
    df = pd.DataFrame(
        out,
        columns=["program_id", "area", "rank", "planned_oku_yen", "executed_oku_yen",
                 "shortfall_oku_yen", "execution_rate"],
    )  # fmt: skip
    return df.sort_values(["shortfall_oku_yen", "program_id"], ascending=[False, True])


def changes_table(data: RunData) -> pd.DataFrame:
    """The re-plan's headline changes: programs by 億円 moved in the re-planned years."""
    v = data.variance
    assert v is not None
    rows = v[(v.scope == "program") & (v.fixed == "no")].copy()
    rows["moved"] = rows.change_oku_yen.astype(int).abs()
    out = []
    for pid, g in rows.groupby("subject", sort=False):
        moved = int(g.moved.sum())
        if not moved:
            continue
        reasons = sorted({c for r in g.reasons for c in str(r).split(";") if c})
        out.append(
            {
                "program_id": str(pid),
                "rank": int(g["rank"].iloc[0]),
                "planned_oku_yen": int(g.planned_oku_yen.sum()),
                "replanned_oku_yen": int(g.replanned_oku_yen.sum()),
                "change_oku_yen": int(g.change_oku_yen.sum()),
                "moved_oku_yen": moved,
                "reasons": ";".join(reasons),
            }
        )
    df = pd.DataFrame(
        out,
        columns=["program_id", "rank", "planned_oku_yen", "replanned_oku_yen", "change_oku_yen",
                 "moved_oku_yen", "reasons"],
    )  # fmt: skip
    return df.sort_values(["moved_oku_yen", "program_id"], ascending=[False, True])


def _rate(x: Any) -> str:
    return "—" if _na(x) else pct(float(x))


def evaluation_md(data: RunData, lang: str) -> str:
    """report.md of ``allocate evaluate``: one page a director reads in two minutes."""
    rec = data.record.replan
    assert rec is not None and data.variance is not None
    ja = lang == "ja"
    last = rec.from_year - 1
    v = data.variance
    fixed_total = v[(v.scope == "total") & (v.fixed == "yes")]
    planned = int(fixed_total.planned_oku_yen.sum())
    executed = int(pd.to_numeric(fixed_total.executed_oku_yen, errors="coerce").fillna(0).sum())
    lines = [
        f"# {_md(data.title(lang))} — "
        + _t(f"{fy(last, lang)}までの年次評価", f"annual evaluation to {fy(last, lang)}", lang),
        "",
        _t(
            f"承認済み計画 {_md(rec.approved_run)} に対する執行実績と、"
            f"{fy(rec.from_year, lang)}以降の再計画。",
            f"Actuals against the approved plan {_md(rec.approved_run)}, and the re-plan from "
            f"{fy(rec.from_year, lang)}.",
            lang,
        ),
        "",
        "## " + _t("結論", "Headline", lang),
        "",
        "- "
        + _t(
            f"**執行率**: {_rate(executed / planned if planned else None)}"
            f"(計画 {oku(planned)} 億円、執行 {oku(executed)} 億円)",
            f"**Execution rate**: {_rate(executed / planned if planned else None)} "
            f"({oku(executed)} of {oku(planned)} 億円 planned)",
            lang,
        ),
        "- "
        + _t(
            f"**再計画**: {oku(rec.moved_oku_yen)} 億円を動かす(タイブレーク: {_md(rec.tiebreak)})",
            f"**Re-plan**: {oku(rec.moved_oku_yen)} 億円 moved (tie-break: {_md(rec.tiebreak)})",
            lang,
        ),
    ]
    gives = gives_lines(data, lang)
    lines += ["- " + _t("**譲るもの**: ", "**What gives**: ", lang) + _md("; ".join(gives)), ""]

    by_area = _t("分野別の執行率", "Execution rate by area", lang)
    by_rank = _t("優先順位別の執行率", "Execution rate by rank", lang)
    for level, title in (("area", by_area), ("rank", by_rank)):
        table = execution_table(data, level)
        lines += [f"## {title}", ""]
        if not len(table):
            lines += [
                _t("固定年度の計画・執行はありません。", "Nothing planned or executed.", lang),
                "",
            ]
            continue
        head = [_t("分野", "Area", lang) if level == "area" else _t("優先順位", "Rank", lang),
                _t("計画(億円)", "Planned (億円)", lang), _t("執行(億円)", "Executed (億円)", lang),
                _t("執行率", "Rate", lang)]  # fmt: skip
        lines += ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|"]
        for r in table.itertuples(index=False):
            subject = getattr(r, level)
            name = (
                f"{_md(subject)} {_md(data.area_name(subject, lang))}".strip()
                if level == "area"
                else rank_label(int(subject), lang)
            )
            lines.append(
                f"| {name} | {oku(r.planned_oku_yen)} | {oku(r.executed_oku_yen)} | "
                f"{_rate(r.execution_rate)} |"
            )
        lines.append("")

    rows = indicator_rows(data)
    lines += ["## " + _t("指標と目標", "Indicators against their targets", lang), ""]
    targets = [(r, y, level, met) for r in rows for y, level, met in r["targets"]]
    if targets:
        head = [_t("指標", "Indicator", lang), _t("目標年度", "Year", lang),
                _t("目標", "Target", lang), _t("見込み(再計画)", "Projected (re-plan)", lang),
                _t("達成", "Met", lang)]  # fmt: skip
        lines += ["| " + " | ".join(head) + " |", "|---|---|---:|---:|---|"]
        for r, y, level, met in targets:
            levels = dict(zip(r["years"], r["levels"], strict=True))
            lines.append(
                f"| {_md(r['name_ja'] if ja else r['name_en'])} | {fy(y, lang)} | "
                f"{_level(level)} | {_level(levels.get(y))} | {_met_word(met, lang)} |"
            )
    else:
        lines.append(
            _t("目標のある指標はありません。", "No indicator has a target in this plan.", lang)
        )
    lines.append("")

    behind = behind_table(data).head(TOP)
    lines += ["## " + _t("計画より遅れている事業", "Programs behind plan", lang), ""]
    if len(behind):
        head = [_t("事業", "Program", lang), _t("優先順位", "Rank", lang),
                _t("計画(億円)", "Planned (億円)", lang), _t("執行(億円)", "Executed (億円)", lang),
                _t("不足(億円)", "Short (億円)", lang)]  # fmt: skip
        lines += ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|---:|"]
        for r in behind.itertuples(index=False):
            lines.append(
                f"| {_md(r.program_id)} | {r.rank} | {oku(r.planned_oku_yen)} | "
                f"{oku(r.executed_oku_yen)} | {oku(r.shortfall_oku_yen)} |"
            )
    else:
        lines.append(_t("遅れている事業はありません。", "No program is behind plan.", lang))
    lines.append("")

    changes = changes_table(data).head(TOP)
    lines += ["## " + _t("再計画の主な変更", "The re-plan's headline changes", lang), ""]
    if len(changes):
        head = [
            _t("事業", "Program", lang),
            _t("計画(億円)", "Planned (億円)", lang),
            _t("再計画(億円)", "Re-planned (億円)", lang),
            _t("増減(億円)", "Change (億円)", lang),
            _t("動いた額(億円)", "Moved (億円)", lang),
            _t("理由", "Why", lang),
        ]
        lines += ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|---:|---|"]
        from allocator.run.variance import reason_text

        for r in changes.itertuples(index=False):
            why = reason_text([c for c in str(r.reasons).split(";") if c], lang)
            lines.append(
                f"| {_md(r.program_id)} | {oku(r.planned_oku_yen)} | {oku(r.replanned_oku_yen)} | "
                f"{oku(r.change_oku_yen, sign=True)} | {oku(r.moved_oku_yen)} | {_md(why)} |"
            )
    else:
        lines.append(
            _t(
                "承認済み計画からの変更はありません。",
                "Nothing changes from the approved plan.",
                lang,
            )
        )
    lines += [
        "",
        _t(
            f"詳細: [{VARIANCE_CSV}]({VARIANCE_CSV})、[{WORKBOOK}]({WORKBOOK})",
            f"Details: [{VARIANCE_CSV}]({VARIANCE_CSV}), [{WORKBOOK}]({WORKBOOK})",
            lang,
        ),
    ]
    return "\n".join(lines) + "\n"


__all__ = [
    "behind_table",
    "changes_table",
    "evaluation_md",
    "execution_table",
    "gives_lines",
    "indicator_chart_spec",
    "indicator_rows",
    "indicators_md",
    "variance_md",
]
