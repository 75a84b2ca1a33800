"""``montecarlo.xlsx`` / ``risk.xlsx``: the summary tables of a Monte Carlo or risk folder as an
Excel workbook with native (editable) charts — the fan of the defence ratio per fiscal year is a
stacked area chart whose lowest band is transparent (5 % → 25 % → 50 % → 75 % → 95 %), with
the cap as a line; probabilities per program and the value per rank as bar charts.

Amounts are numbers formatted ``#,##0`` (億円), ratios ``0.000%``, probabilities ``0.0%``. The
workbook is deterministic for a given folder (dates from its record's ``created_at``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.worksheet.worksheet import Worksheet

from allocator import __version__
from allocator.report.xlsx import (
    OKU_FORMAT,
    RATIO_FORMAT,
    YEAR_FORMAT,
    fit_columns,
    put,
    style_header,
    write_workbook_file,
)

PROB_FORMAT = "0.0%"

_LABELS: dict[str, tuple[str, str]] = {
    "fiscal_year": ("年度", "Fiscal year"),
    "gdp_p5_oku_yen": ("GDP 5%点(億円)", "GDP 5 % (億円)"),
    "gdp_p50_oku_yen": ("GDP 中央値(億円)", "GDP median (億円)"),
    "gdp_p95_oku_yen": ("GDP 95%点(億円)", "GDP 95 % (億円)"),
    "cap_ratio": ("GDP比上限", "Cap (ratio to GDP)"),
    "central_ratio": ("中心ケースのGDP比", "Central case ratio"),
    "planned_ratio": ("計画のGDP比", "Planned ratio"),
    "p_exceed": ("上限超過確率", "P(exceeds cap)"),
    "excess_mean_oku_yen": ("超過額の平均(億円)", "Mean excess (億円)"),
    "excess_p95_oku_yen": ("超過額 95%点(億円)", "Excess 95 % (億円)"),
    "p_exceed_budget": ("上限超過確率(予算額固定)", "P(exceeds cap), yen budget held"),
    "ratio_mean": ("GDP比の平均", "Mean ratio"),
    "defense_total_p50_oku_yen": ("防衛費 中央値(億円)", "Defence spending median (億円)"),
    "draws_with_plan": ("計画のある抽出数", "Draws with a plan"),
    "rank": ("順位", "Rank"),
    "name_ja": ("名称", "Name (ja)"),
    "name_en": ("名称(英)", "Name"),
    "central_value": ("中心ケースの価値", "Central value"),
    "value_mean": ("平均", "Mean"),
    "value_min": ("最小", "Min"),
    "value_max": ("最大", "Max"),
    "p_below_central": ("中心ケースを下回る確率", "P(below central)"),
    "program_id": ("事業ID", "Program"),
    "area": ("分野", "Area"),
    "low_oku_yen": ("下限(億円)", "Low (億円)"),
    "high_oku_yen": ("上限(億円)", "High (億円)"),
    "central_total_oku_yen": ("中心ケースの配分(億円)", "Central total (億円)"),
    "p_funded": ("実施確率", "P(funded)"),
    "p_low": ("下限到達確率", "P(reaches low)"),
    "p_high": ("上限到達確率", "P(reaches high)"),
    "p_funded_if_plan": ("実施確率(計画のある抽出)", "P(funded | a plan)"),
    "p_high_if_plan": ("上限到達確率(計画のある抽出)", "P(reaches high | a plan)"),
    "draws": ("抽出数", "Draws"),
    "planned_oku_yen": ("計画額(億円)", "Planned (億円)"),
    "dollar_share": ("ドル建て比率", "Dollar share"),
    "expected_overrun": ("コスト超過の期待値", "Expected overrun"),
    "real_share_p50": ("購買力/計画 中央値", "Purchasing power / plan, median"),
    "p_below_floor": ("下限割れ確率", "P(below floor)"),
}

_QUANT = {"p5": "5%", "p25": "25%", "p50": "50%", "p75": "75%", "p95": "95%"}


def label(column: str, lang: str) -> str:
    if column in _LABELS:
        pair = _LABELS[column]
        return pair[0] if lang == "ja" else pair[1]
    for stem, (ja, en) in (
        ("budget_ratio_", ("GDP比(予算額固定) ", "Ratio, yen budget held ")),
        ("ratio_", ("GDP比 ", "Ratio ")),
        ("value_", ("価値 ", "Value ")),
        ("real_", ("購買力 ", "Purchasing power ")),
        ("case_ratio_", ("GDPケース ", "GDP case ")),
    ):
        if column.startswith(stem):
            rest = column.removeprefix(stem).removesuffix("_oku_yen")
            rest = _QUANT.get(rest, rest)
            return (ja if lang == "ja" else en) + rest
    return column


def number_format(column: str) -> str | None:
    if column.startswith("p_"):
        return PROB_FORMAT
    if "ratio" in column or column in ("dollar_share", "expected_overrun", "real_share_p50"):
        return RATIO_FORMAT
    if column == "fiscal_year" or column == "rank" or column == "draws_with_plan":
        return YEAR_FORMAT
    if column.endswith("_oku_yen") or column.startswith("value_") or column == "central_value":
        return OKU_FORMAT
    return None


def table_sheet(ws: Worksheet, df: pd.DataFrame, lang: str) -> dict[str, int]:
    """Header and rows of ``df``; returns {column: sheet column number}."""
    cols: dict[str, int] = {}
    widths: dict[int, int] = {}
    for j, name in enumerate(df.columns, start=1):
        text = label(str(name), lang)
        put(ws, 1, j, text)
        cols[str(name)] = j
        widths[j] = max(8, min(len(text), 18))
    style_header(ws, 1, 1, len(df.columns))
    for j, name in enumerate(df.columns, start=1):
        fmt = number_format(str(name))
        for i, v in enumerate(df[name].tolist(), start=2):
            put(ws, i, j, v, fmt)
            widths[j] = max(widths[j], min(40, len(str(v)) if isinstance(v, str) else 10))
    fit_columns(ws, widths)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "B2"
    return cols


def _fan_chart(
    ws: Worksheet,
    table: pd.DataFrame,
    cols: dict[str, int],
    lang: str,
    title: str,
    quantiles: list[str],
) -> Any:
    """Stacked areas between successive quantiles (helper columns right of the table), the
    lowest transparent; the cap (and the median) as lines."""
    n = len(table)
    helper = len(table.columns) + 2
    put(ws, 1, helper, "fan")
    series = [quantiles[0]] + [f"{b}-{a}" for a, b in itertools.pairwise(quantiles)]
    for j, name in enumerate(series):
        put(ws, 1, helper + j, name)
        for i in range(n):
            lo = table[quantiles[max(0, j - 1)]].iloc[i] if j else 0.0
            hi = table[quantiles[j]].iloc[i]
            value = None if pd.isna(hi) or pd.isna(lo) else float(hi) - float(lo)
            put(ws, i + 2, helper + j, value, RATIO_FORMAT)
    area = AreaChart()
    area.grouping = "stacked"
    for j in range(len(series)):
        area.add_data(
            Reference(ws, min_col=helper + j, min_row=1, max_row=n + 1), titles_from_data=True
        )
    cats = Reference(ws, min_col=cols["fiscal_year"], min_row=2, max_row=n + 1)
    area.set_categories(cats)
    shades = ["D6EAF8", "AED6F1", "AED6F1", "D6EAF8"] if len(series) == 5 else ["AED6F1", "AED6F1"]
    area.series[0].graphicalProperties.noFill = True
    area.series[0].graphicalProperties.line.noFill = True
    for s, colour in zip(area.series[1:], shades, strict=False):
        s.graphicalProperties.solidFill = colour
        s.graphicalProperties.line.noFill = True
    line = LineChart()
    for name in ("ratio_p50", "cap_ratio"):
        line.add_data(
            Reference(ws, min_col=cols[name], min_row=1, max_row=n + 1), titles_from_data=True
        )
    line.set_categories(cats)
    for s, (colour, dash) in zip(line.series, (("1F4E79", None), ("C0392B", "dash")), strict=True):
        s.graphicalProperties.line.solidFill = colour
        s.graphicalProperties.line.width = 28575
        if dash:
            s.graphicalProperties.line.dashStyle = dash
        s.smooth = False
    area.y_axis.number_format = "0.00%"
    area.y_axis.title = "防衛費 / GDP" if lang == "ja" else "Defence spending / GDP"
    area.x_axis.title = "年度" if lang == "ja" else "Fiscal year"
    for ax in (area.x_axis, area.y_axis, line.y_axis):
        ax.delete = False
    area += line
    area.title = title
    area.legend.position = "b"
    area.width = 26
    area.height = 13
    ws.add_chart(area, f"A{n + 4}")
    return area


def _bar_chart(
    ws: Worksheet,
    cols: dict[str, int],
    n: int,
    series: list[str],
    cat: str,
    title: str,
    fmt: str,
    anchor: str,
) -> None:
    chart = BarChart()
    chart.type = "bar"
    for name in series:
        chart.add_data(
            Reference(ws, min_col=cols[name], min_row=1, max_row=n + 1), titles_from_data=True
        )
    chart.set_categories(Reference(ws, min_col=cols[cat], min_row=2, max_row=n + 1))
    chart.x_axis.scaling.orientation = "maxMin"
    chart.y_axis.number_format = fmt
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.title = title
    chart.legend.position = "b"
    chart.width = 22
    chart.height = max(8, 0.5 * n + 4)
    ws.add_chart(chart, anchor)


def montecarlo_workbook(
    tables: dict[str, pd.DataFrame], info: list[tuple[str, Any]], lang: str, when: dt.datetime
) -> Workbook:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    ja = lang == "ja"
    years = tables["years"]
    ws = wb.create_sheet("年度" if ja else "Years")
    cols = table_sheet(ws, years, lang)
    _fan_chart(
        ws,
        years,
        cols,
        lang,
        "防衛費のGDP比の分布" if ja else "Defence ratio to GDP, fan of the draws",
        ["ratio_p5", "ratio_p25", "ratio_p50", "ratio_p75", "ratio_p95"],
    )
    ranks = tables["ranks"]
    ws = wb.create_sheet("優先順位" if ja else "Ranks")
    cols = table_sheet(ws, ranks, lang)
    _bar_chart(
        ws,
        cols,
        len(ranks),
        ["value_p5", "value_p50", "value_p95", "central_value"],
        "rank",
        "優先順位ごとの価値" if ja else "Value per rank",
        OKU_FORMAT,
        f"A{len(ranks) + 4}",
    )
    programs = tables["programs"]
    ws = wb.create_sheet("事業" if ja else "Programs")
    cols = table_sheet(ws, programs, lang)
    _bar_chart(
        ws,
        cols,
        len(programs),
        ["p_funded", "p_high"],
        "program_id",
        "事業ごとの確率" if ja else "Probability per program",
        "0%",
        f"A{len(programs) + 4}",
    )
    for key, (name_ja, name_en) in (
        ("robust_cost", ("頑健性のコスト", "Robustness cost")),
        ("robust_first_years", ("初年度の決定", "First years")),
    ):
        if key in tables:
            table_sheet(wb.create_sheet(name_ja if ja else name_en), tables[key], lang)
    _info_sheet(wb.create_sheet("実行情報" if ja else "Run info"), info)
    _stamp(wb, when, lang)
    return wb


def risk_workbook(
    tables: dict[str, pd.DataFrame], info: list[tuple[str, Any]], lang: str, when: dt.datetime
) -> Workbook:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    ja = lang == "ja"
    years = tables["years"]
    ws = wb.create_sheet("年度" if ja else "Years")
    cols = table_sheet(ws, years, lang)
    _fan_chart(
        ws,
        years,
        cols,
        lang,
        "計画を固定した場合のGDP比" if ja else "Defence ratio to GDP with the plan held",
        ["ratio_p5", "ratio_p50", "ratio_p95"],
    )
    _bar_chart(
        ws,
        cols,
        len(years),
        ["p_exceed"],
        "fiscal_year",
        "上限超過確率" if ja else "Probability of exceeding the cap",
        "0%",
        f"P{len(years) + 4}",
    )
    programs = tables["programs"]
    ws = wb.create_sheet("事業" if ja else "Programs")
    cols = table_sheet(ws, programs, lang)
    if len(programs):
        _bar_chart(
            ws,
            cols,
            len(programs),
            ["p_below_floor"],
            "program_id",
            "下限割れ確率" if ja else "Probability of falling below the floor",
            "0%",
            f"A{len(programs) + 4}",
        )
    _info_sheet(wb.create_sheet("実行情報" if ja else "Run info"), info)
    _stamp(wb, when, lang)
    return wb


def _info_sheet(ws: Worksheet, info: list[tuple[str, Any]]) -> None:
    for i, (key, value) in enumerate(info, start=1):
        put(ws, i, 1, key)
        put(ws, i, 2, value if isinstance(value, int | float) else str(value))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 80


def _stamp(wb: Workbook, when: dt.datetime, lang: str) -> None:
    props = wb.properties
    props.created = when
    props.modified = when
    props.creator = f"allocator {__version__}"
    props.lastModifiedBy = f"allocator {__version__}"
    props.language = lang


def write_uncertainty_workbook(
    kind: str,
    tables: dict[str, pd.DataFrame],
    info: list[tuple[str, Any]],
    path: Path,
    lang: str,
    when: dt.datetime,
) -> Path:
    """Write ``montecarlo.xlsx`` or ``risk.xlsx`` at ``path`` (deterministic bytes)."""
    wb = (montecarlo_workbook if kind == "montecarlo" else risk_workbook)(tables, info, lang, when)
    write_workbook_file(wb, path, when)
    return Path(path)


__all__ = ["label", "montecarlo_workbook", "risk_workbook", "write_uncertainty_workbook"]
