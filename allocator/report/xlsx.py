"""``report.xlsx``: the run's tables as an Excel workbook with native (editable) charts.

Sheets (Japanese / English names): 概要/Summary, 配分表/Schedule, 事業/Programs,
優先順位/Ranks, 限界価値/Marginal values, 契約と支払/Contracts (a plan with contracts,
earlier obligations or vehicles), 実行情報/Run info. Amounts are numbers with the format
``#,##0`` (億円), ratios are numbers with ``0.000%``; text that Excel would take for a formula
(``=``, ``+``, ``-``, ``@``) is stored as a text cell with Excel's quote prefix, so it is shown
and re-saved as text. The file is deterministic for a given run folder: its document dates and
the zip entries' times come from ``plan.json``'s ``created_at``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from allocator import __version__
from allocator.constants import FORMULA_START
from allocator.formatting import blocked_sentence, fy, year_ranges, year_span
from allocator.report.data import RunData
from allocator.report.labels import (
    TIEBREAK_WORDS,
    YES_NO,
    column_label,
    limit_phrase,
    rank_label,
    status_word,
    t,
)
from allocator.report.markdown import more_cap_lines
from allocator.run.csvfile import RATIO_COLUMNS
from allocator.run.folder import write_bytes_atomic

OKU_FORMAT = "#,##0"
RATIO_FORMAT = "0.000%"
YEAR_FORMAT = "0"
MARGINAL_FORMAT = "#,##0.00"


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="808080"))
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")


_t = t


# ---------------------------------------------------------------------------------------------
# cells


def put(ws: Worksheet, row: int, col: int, value: Any, number_format: str | None = None) -> Any:
    """Write one cell. Text stays text: no formula, even when it starts with = + - @."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ws.cell(row=row, column=col)
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = ws.cell(row=row, column=col)
        cell.value = text
        if text.startswith(FORMULA_START) or text.startswith("'"):
            cell.data_type = "s"  # never a formula
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        return cell
    cell = ws.cell(row=row, column=col, value=value)
    if number_format:
        cell.number_format = number_format
    return cell


def _display_width(value: Any, number_format: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, float) and number_format == RATIO_FORMAT:
        text = f"{value * 100:.3f}%"
    elif isinstance(value, int | float) and number_format in (OKU_FORMAT, MARGINAL_FORMAT):
        text = f"{value:,.2f}" if number_format == MARGINAL_FORMAT else f"{value:,.0f}"
    else:
        text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_format(column: str, values: pd.Series) -> str | None:
    if column.endswith("_oku_yen") and not column.startswith("marginal_"):
        return OKU_FORMAT
    if column in RATIO_COLUMNS:
        return RATIO_FORMAT
    if column.startswith("marginal_"):
        return MARGINAL_FORMAT
    if column.endswith("year") or column in ("rank", "programs", "programs_funded", "units"):
        return YEAR_FORMAT
    if pd.api.types.is_float_dtype(values):
        return "#,##0.###"
    if pd.api.types.is_integer_dtype(values):
        return OKU_FORMAT
    return None


def style_header(ws: Worksheet, row: int, first_col: int, last_col: int) -> None:
    """Style a table's header row; the sheet's first one is repeated on every printed page."""
    if ws.print_title_rows is None:
        ws.print_title_rows = f"{row}:{row}"
    for c in range(first_col, last_col + 1):
        cell = ws.cell(row=row, column=c)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _HEADER_BORDER
        cell.alignment = _HEADER_ALIGN


def fit_columns(
    ws: Worksheet, widths: dict[int, int], *, minimum: int = 6, maximum: int = 60
) -> None:
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(minimum, min(maximum, w + 2))


def write_table(
    ws: Worksheet,
    df: pd.DataFrame,
    lang: str,
    *,
    start_row: int = 1,
    translate_yes_no: bool = True,
) -> dict[str, int]:
    """Header (translated) and rows of ``df``; returns {column: sheet column number}."""
    cols: dict[str, int] = {}
    widths: dict[int, int] = {}
    for j, name in enumerate(df.columns, start=1):
        label = column_label(str(name), lang)
        put(ws, start_row, j, label)
        cols[str(name)] = j
        # headers wrap: count a long header as two lines
        widths[j] = min(_display_width(label, None), max(12, _display_width(label, None) // 2))
    style_header(ws, start_row, 1, len(df.columns))
    yes_no = YES_NO[lang]
    for j, name in enumerate(df.columns, start=1):
        fmt = column_format(str(name), df[name])
        for i, v in enumerate(df[name].tolist(), start=start_row + 1):
            if translate_yes_no and isinstance(v, str) and v in yes_no:
                v = yes_no[v]
            if str(name) == "status" and isinstance(v, str):
                v = status_word(v, lang)
            put(ws, i, j, v, fmt)
            widths[j] = max(widths[j], _display_width(v, fmt))
    fit_columns(ws, widths)
    ws.row_dimensions[start_row].height = 32
    return cols


def add_chart(ws: Worksheet, chart: Any, row: int) -> None:
    """Anchor ``chart`` at column A of ``row``, starting a new printed page there, so that a
    chart is never split across two pages (every chart is shorter than a landscape page)."""
    if row > 1:
        ws.row_breaks.append(Break(id=row - 1))
    ws.add_chart(chart, f"A{row}")


def page_setup(ws: Worksheet) -> None:
    """Print sensibly: A4 landscape, every column on one page width (as many pages down as it
    takes), narrow margins; header rows repeated (:func:`style_header`)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.print_options.horizontalCentered = True


# ---------------------------------------------------------------------------------------------
# sheets


def summary_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    assert data.summary is not None
    s = data.summary[[c for c in data.summary.columns if not str(c).startswith("marginal_")]]
    fixed_base = data.plan_info.cap_base == "fixed_year"
    if fixed_base:
        s = s.copy()
        s["cap_gdp_ratio"] = data.cap_gdp_ratio()
    cols = write_table(ws, s, lang)
    n = len(s)
    last = n + 1
    # totals of the columns that add up
    total_row = last + 1
    put(ws, total_row, 1, _t("合計", "Total", lang))
    for name in (
        "baseline_oku_yen",
        "defense_alloc_oku_yen",
        "other_alloc_oku_yen",
        "defense_total_oku_yen",
        "new_total_oku_yen",
    ):
        if name in cols:
            put(ws, total_row, cols[name], int(s[name].sum()), OKU_FORMAT)
    for c in range(1, len(s.columns) + 1):
        ws.cell(row=total_row, column=c).font = _HEADER_FONT
        ws.cell(row=total_row, column=c).fill = _TOTAL_FILL
    ws.freeze_panes = "A2"

    needed = ("fiscal_year", "defense_alloc_oku_yen", "other_alloc_oku_yen", "gdp_ratio")
    if n == 0 or not all(c in cols for c in needed):
        return
    cats = Reference(ws, min_col=cols["fiscal_year"], min_row=2, max_row=last)
    bar = BarChart()
    bar.type = "col"
    bar.grouping = "stacked"
    bar.overlap = 100
    bar.gapWidth = 60
    for name in ("defense_alloc_oku_yen", "other_alloc_oku_yen"):
        ref = Reference(ws, min_col=cols[name], min_row=1, max_row=last)
        bar.add_data(ref, titles_from_data=True)
    bar.set_categories(cats)
    bar.y_axis.title = _t("新規配分(億円)", "New allocation (億円)", lang)
    bar.y_axis.number_format = OKU_FORMAT
    bar.x_axis.title = _t("年度", "Fiscal year", lang)
    for s_, colour in zip(bar.series, ("C0392B", "27AE60"), strict=True):
        s_.graphicalProperties.solidFill = colour
        s_.graphicalProperties.line.solidFill = colour

    line = LineChart()
    cap_col = "cap_gdp_ratio" if fixed_base else "cap_ratio"
    for name in ("gdp_ratio", cap_col):
        if name in cols:
            ref = Reference(ws, min_col=cols[name], min_row=1, max_row=last)
            line.add_data(ref, titles_from_data=True)
    line.set_categories(cats)
    line.y_axis.axId = 200
    line.y_axis.title = _t("GDP比", "Ratio to GDP", lang)
    line.y_axis.number_format = "0.0%"
    line.y_axis.crosses = "max"
    line.y_axis.majorGridlines = None
    line.y_axis.scaling.min = 0
    styles = [("1F3864", None), ("E74C3C", "dash")]
    for s_, (colour, dash) in zip(line.series, styles, strict=False):
        s_.graphicalProperties.line.solidFill = colour
        s_.graphicalProperties.line.width = 28575
        if dash:
            s_.graphicalProperties.line.dashStyle = dash
        s_.smooth = False
    # openpyxl >= 3.1 writes axes as deleted unless told otherwise
    for ax in (bar.x_axis, bar.y_axis, line.y_axis):
        ax.delete = False
    bar += line
    bar.title = f"{data.title(lang)} — " + _t(
        f"新規配分とGDP比(上限 {data.cap_phrase(lang)})",
        f"new allocation and ratio to GDP (cap {data.cap_phrase(lang)})",
        lang,
    )
    bar.legend.position = "b"
    bar.width = 26
    bar.height = 13
    add_chart(ws, bar, total_row + 3)


def schedule_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    """Programs × fiscal years, with a totals row and a totals column."""
    assert data.summary is not None
    years = [int(y) for y in data.summary.fiscal_year]
    sched = data.schedule
    amounts: dict[tuple[str, int], int] = {}
    if sched is not None:
        for r in sched.itertuples(index=False):
            key = (str(r.program_id), int(r.fiscal_year))
            amounts[key] = amounts.get(key, 0) + int(r.amount_oku_yen)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    if data.programs is not None:
        for p in data.programs.itertuples(index=False):
            rows.append(
                {
                    "program_id": p.program_id,
                    "name_ja": p.name_ja,
                    "name_en": p.name_en,
                    "area": p.area,
                    "rank": p.rank,
                }
            )
            seen.add(str(p.program_id))
    if sched is not None:  # any program missing from programs.csv
        extra = sched[~sched.program_id.isin(seen)].drop_duplicates("program_id")
        for r in extra.itertuples(index=False):
            rows.append(
                {
                    "program_id": r.program_id,
                    "name_ja": r.name_ja,
                    "name_en": r.name_en,
                    "area": r.area,
                    "rank": r.rank,
                }
            )
    label_cols = ["program_id", "name_ja", "name_en", "area", "rank"]
    ncol = len(label_cols)
    widths: dict[int, int] = {}
    for j, c in enumerate(label_cols, start=1):
        put(ws, 1, j, column_label(c, lang))
        widths[j] = _display_width(column_label(c, lang), None)
    for j, y in enumerate(years, start=ncol + 1):
        put(ws, 1, j, fy(y, lang))
        widths[j] = 9
    total_col = ncol + len(years) + 1
    put(ws, 1, total_col, _t("合計(億円)", "Total (億円)", lang))
    widths[total_col] = 12
    style_header(ws, 1, 1, total_col)

    col_totals = dict.fromkeys(years, 0)
    for i, row in enumerate(rows, start=2):
        for j, c in enumerate(label_cols, start=1):
            put(ws, i, j, row[c], YEAR_FORMAT if c == "rank" else None)
            widths[j] = max(widths[j], _display_width(row[c], None))
        row_total = 0
        for j, y in enumerate(years, start=ncol + 1):
            a = amounts.get((str(row["program_id"]), y), 0)
            row_total += a
            col_totals[y] += a
            if a:
                put(ws, i, j, a, OKU_FORMAT)
                widths[j] = max(widths[j], _display_width(a, OKU_FORMAT))
        put(ws, i, total_col, row_total, OKU_FORMAT)
        widths[total_col] = max(widths[total_col], _display_width(row_total, OKU_FORMAT))
    total_row = len(rows) + 2
    put(ws, total_row, 1, _t("合計", "Total", lang))
    for j, y in enumerate(years, start=ncol + 1):
        put(ws, total_row, j, col_totals[y], OKU_FORMAT)
        widths[j] = max(widths[j], _display_width(col_totals[y], OKU_FORMAT))
    grand = sum(col_totals.values())
    put(ws, total_row, total_col, grand, OKU_FORMAT)
    widths[total_col] = max(widths[total_col], _display_width(grand, OKU_FORMAT))
    for k in range(1, total_col + 1):
        ws.cell(row=total_row, column=k).font = _HEADER_FONT
        ws.cell(row=total_row, column=k).fill = _TOTAL_FILL
    for i in range(2, total_row):
        ws.cell(row=i, column=total_col).font = _HEADER_FONT
    fit_columns(ws, widths, maximum=48)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = ws.cell(row=2, column=ncol + 1).coordinate
    ws.auto_filter.ref = f"A1:{get_column_letter(total_col)}{total_row - 1}"


def programs_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    assert data.programs is not None
    write_table(ws, data.programs, lang)
    ws.freeze_panes = "C2"
    last = get_column_letter(len(data.programs.columns))
    ws.auto_filter.ref = f"A1:{last}{len(data.programs) + 1}"


def ranks_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    assert data.ranks is not None
    r = data.ranks
    cols = write_table(ws, r, lang)
    ws.freeze_panes = "A2"
    n = len(r)
    if n == 0 or "share_funded" not in cols:
        return
    # the chart's category labels: "順位1" ... in a helper column the chart reads
    helper = len(r.columns) + 2
    put(ws, 1, helper, _t("グラフ用ラベル", "Chart label", lang))
    for i, k in enumerate(r["rank"].tolist(), start=2):
        put(ws, i, helper, rank_label(int(k), lang))
    ws.column_dimensions[get_column_letter(helper)].width = 12
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.add_data(
        Reference(ws, min_col=cols["share_funded"], min_row=1, max_row=n + 1),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=helper, min_row=2, max_row=n + 1))
    chart.x_axis.scaling.orientation = "maxMin"  # rank 1 on top
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.number_format = "0%"
    chart.y_axis.title = column_label("share_funded", lang)
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend = None
    chart.title = _t(
        f"優先順位別の充足率(上限 {data.cap_phrase(lang)})",
        f"Share funded by priority rank (cap {data.cap_phrase(lang)})",
        lang,
    )
    chart.series[0].graphicalProperties.solidFill = "2980B9"
    from openpyxl.chart.label import DataLabelList

    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.dataLabels.numFmt = "0.0%"
    chart.width = 20
    chart.height = 10
    add_chart(ws, chart, n + 4)


def marginal_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    """What more cap buys: the re-solve at 0.1 % of GDP more (every year), then per year the
    local rate per 100 億円 and the range over which it holds."""
    row = 1
    for line in more_cap_lines(data, lang):
        if line:
            put(ws, row, 1, line)
            row += 1
    ws.cell(row=1, column=1).font = _HEADER_FONT
    row += 1
    cols = data.marginal_columns()
    if not cols or data.summary is None:
        put(
            ws,
            row,
            1,
            _t(
                "この実行フォルダの summary.csv には限界価値の列"
                "(marginal_rank{k}_per_100_oku_yen)がありません。",
                "The summary.csv of this run folder has no marginal-value columns "
                "(marginal_rank{k}_per_100_oku_yen).",
                lang,
            ),
        )
        ws.column_dimensions["A"].width = 100
        return
    s = data.summary
    table = pd.DataFrame({"fiscal_year": s.fiscal_year, "headroom_oku_yen": s.headroom_oku_yen})
    yes_no = YES_NO[lang]
    table["binding"] = [yes_no["yes"] if h == 0 else yes_no["no"] for h in s.headroom_oku_yen]
    for _, col in cols:
        table[col] = pd.to_numeric(s[col], errors="coerce")
    if "marginal_valid_up_to_oku_yen" in s:
        table["marginal_valid_up_to_oku_yen"] = pd.to_numeric(
            s["marginal_valid_up_to_oku_yen"], errors="coerce"
        )
    labels = {
        "binding": _t("上限に到達", "At the cap", lang),
        "marginal_valid_up_to_oku_yen": _t(
            "率が成り立つ上乗せ額(億円まで)", "Rate holds up to (億円 more)", lang
        ),
    }
    header_row = row
    widths: dict[int, int] = {}
    for j, c in enumerate(table.columns, start=1):
        label = labels.get(str(c)) or column_label(str(c), lang)
        put(ws, header_row, j, label)
        widths[j] = max(10, min(_display_width(label, None), 24) // 2 + 4)
    style_header(ws, header_row, 1, len(table.columns))
    for j, c in enumerate(table.columns, start=1):
        name = str(c)
        fmt: str | None
        if name.startswith("marginal_rank"):
            fmt = MARGINAL_FORMAT
        elif name == "fiscal_year":
            fmt = YEAR_FORMAT
        elif name == "binding":
            fmt = None
        else:
            fmt = OKU_FORMAT
        for i, v in enumerate(table[c].tolist(), start=header_row + 1):
            put(ws, i, j, v, fmt)
            widths[j] = max(widths[j], _display_width(v, fmt))
    fit_columns(ws, widths)
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 10, 12)
    ws.row_dimensions[header_row].height = 48
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2).coordinate
    ws.print_title_rows = f"{header_row}:{header_row}"
    note_row = header_row + len(table) + 2
    put(
        ws,
        note_row,
        1,
        _t(
            "限界価値: その年度だけ上限を100億円引き上げたときの順位の価値の変化(事業の実施・数量の"
            "決定は同じまま)。右端の列の億円までの上乗せでは正確で、それを超えると率は変わります。"
            "上の再計算が、GDPの0.1%の引き上げで実際に増える額です。",
            "Marginal value: the change in the rank's value per 100 億円 more cap in that year "
            "alone (same funding decisions). It holds exactly up to the 億円 in the last "
            "column; beyond that the rate changes. The re-solve above is what 0.1% of GDP more "
            "actually buys.",
            lang,
        ),
    )


def contracts_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    """The ledger of contracts and payments (obligations.csv) with a native chart: new
    contracts beside payments per fiscal year, obligations outstanding as a line; then what
    each budget vehicle pays, and the contract programs."""
    from allocator.report.contracts import vehicle_table

    assert data.obligations is not None
    o = data.obligations
    cols = write_table(ws, o, lang)
    n = len(o)
    ws.freeze_panes = "B2"
    row = n + 3
    if n:
        cats = Reference(ws, min_col=cols["fiscal_year"], min_row=2, max_row=n + 1)
        bar = BarChart()
        bar.type = "col"
        bar.grouping = "clustered"
        for name in ("new_contracts_oku_yen", "payments_total_oku_yen"):
            bar.add_data(
                Reference(ws, min_col=cols[name], min_row=1, max_row=n + 1), titles_from_data=True
            )
        bar.set_categories(cats)
        bar.y_axis.title = _t("億円", "億円", lang)
        bar.y_axis.number_format = OKU_FORMAT
        bar.x_axis.title = _t("年度", "Fiscal year", lang)
        for s_, colour in zip(bar.series, ("F39C12", "2980B9"), strict=True):
            s_.graphicalProperties.solidFill = colour
            s_.graphicalProperties.line.solidFill = colour
        line = LineChart()
        line.add_data(
            Reference(ws, min_col=cols["outstanding_end_oku_yen"], min_row=1, max_row=n + 1),
            titles_from_data=True,
        )
        line.set_categories(cats)
        line.y_axis.axId = 200
        line.y_axis.title = column_label("outstanding_end_oku_yen", lang)
        line.y_axis.number_format = OKU_FORMAT
        line.y_axis.crosses = "max"
        line.y_axis.majorGridlines = None
        line.series[0].graphicalProperties.line.solidFill = "C0392B"
        line.series[0].graphicalProperties.line.width = 28575
        line.series[0].smooth = False
        for ax in (bar.x_axis, bar.y_axis, line.y_axis):
            ax.delete = False
        bar += line
        bar.title = _t(
            "契約ベースと歳出ベース(新規契約・支払・後年度負担残高)",
            "Contracts and payments (new contracts, payments, obligations outstanding)",
            lang,
        )
        bar.legend.position = "b"
        bar.width = 26
        bar.height = 12
        ws.add_chart(bar, f"A{row}")
        row += 26
    if data.vehicle_names and data.summary is not None:
        table = vehicle_table(data)
        table.columns = [
            "fiscal_year",
            *(f"paid_{c}_oku_yen" for c in table.columns[1:]),
        ]
        put(ws, row, 1, _t("財源別の支払", "Payments by budget vehicle", lang))
        ws.cell(row=row, column=1).font = _HEADER_FONT
        vcols = write_table(ws, table, lang, start_row=row + 1)
        for v in data.vehicle_names:
            col = vcols.get(f"paid_{v}_oku_yen")
            if col is not None:
                put(ws, row + 1, col, data.vehicle_name(v, lang))
        row += len(table) + 3
    if data.programs is not None and "contract_pattern" in data.programs:
        progs = data.programs[data.programs.contract_pattern.fillna("") != ""]
        keep = [
            c
            for c in (
                "program_id",
                "name_ja",
                "name_en",
                "rank",
                "basis",
                "contract_pattern",
                "vehicles",
                "contract_total_oku_yen",
                "total_oku_yen",
                "paid_past_horizon_oku_yen",
            )
            if c in progs
        ]
        if len(progs):
            put(ws, row, 1, _t("複数年度契約の事業", "Multi-year contract programs", lang))
            ws.cell(row=row, column=1).font = _HEADER_FONT
            write_table(ws, progs[keep], lang, start_row=row + 1)


def shortfalls_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    """The floors that fall short, in the order they gave way (shortfalls.csv), with the
    programs that cannot be funded at this cap even alone."""
    table = data.shortfalls
    if table is None or not len(table):
        put(
            ws,
            1,
            1,
            _t("すべての下限を満たしています。", "Every floor is met.", lang)
            if data.record.solver.floors == "priority"
            else _t(
                "下限はすべて必須(--floors hard)です。",
                "Every floor is hard (--floors hard).",
                lang,
            ),
        )
        ws.column_dimensions["A"].width = 60
        return
    shown = table.copy()
    shown["name"] = shown["name_ja"] if lang == "ja" else shown["name_en"]
    shown = shown[
        ["order", "floor", "id", "name", "rank", "first_year", "last_year", "pooled",
         "floor_oku_yen", "achieved_oku_yen", "shortfall_oku_yen"]
    ]  # fmt: skip
    cols = write_table(ws, shown, lang)
    for i in range(2, len(shown) + 2):
        cell = ws.cell(row=i, column=cols["shortfall_oku_yen"])
        cell.font = Font(bold=True, color="C0392B")
    ws.freeze_panes = "A2"
    note = len(shown) + 3
    put(
        ws,
        note,
        1,
        _t(
            "下限は優先順位の逆順に譲られます(順序1が最初): 単一の順位に属さない下限、次に下位の"
            "順位の下限から。上限と必須の事業は譲られません。",
            "Floors give way in reverse priority order (order 1 first): floors of no single rank, "
            "then the lowest rank's. Caps and mandatory programs never give way.",
            lang,
        ),
    )
    short_ranks = {sf.rank for sf in data.record.shortfalls if sf.rank is not None}
    row = note + 1
    for b in data.record.blocked:
        if b.rank in short_ranks:
            put(
                ws,
                row,
                1,
                blocked_sentence(
                    b.program_id, b.rank, b.need_oku_yen, b.room_oku_yen, b.first_year,
                    b.last_year, b.limit, data.cap_text, lang,
                ),
            )  # fmt: skip
            row += 1


def choice_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    """Which tie-break chose the schedule (others have the same value for every rank), and the
    caps and ceilings the schedule reaches, in which years."""
    tb = data.record.tiebreak
    profile = tb.profile if tb is not None else data.record.solver.profile
    words = TIEBREAK_WORDS.get(profile, (profile, profile))
    put(ws, 1, 1, _t("配分の選び方", "How this schedule was chosen", lang))
    ws.cell(row=1, column=1).font = _HEADER_FONT
    put(
        ws,
        2,
        1,
        _t(
            f"同値の配分から選ぶ規則: {words[0]}",
            f"Tie-break among schedules of equal value: {words[1]}",
            lang,
        ),
    )
    put(
        ws,
        3,
        1,
        _t(
            "すべての順位(と下限の不足)が同じ値になる配分は多数あり、他の配分も各順位の値は"
            "同じです。この選択で失われる順位の価値はありません。",
            "Many schedules give every rank (and every floor) the same value; other schedules "
            "have the same value for every rank. No rank gives anything up to this choice.",
            lang,
        ),
    )
    row = 4
    if tb is not None and tb.reference:
        moved = f"{tb.moved_oku_yen:,}" if tb.moved_oku_yen is not None else "—"
        text = _t(
            f"基準の実行結果: {tb.reference}(配分の差の合計 {moved} 億円)",
            f"Reference run: {tb.reference} ({moved} 億円 moved)",
            lang,
        )
        put(ws, row, 1, text)
        row += 1
    row += 1
    head = [
        _t("上限に達しているルール", "Limit reached", lang),
        _t("年度", "Fiscal years", lang),
        _t("上限額(億円)", "Limit (億円)", lang),
    ]
    for j, h in enumerate(head, start=1):
        put(ws, row, j, h)
    style_header(ws, row, 1, len(head))
    header_row = row
    for lim in data.record.limits:
        row += 1
        name = lim.name_ja if lang == "ja" else lim.name_en
        put(
            ws,
            row,
            1,
            limit_phrase(lim.rule, lim.key, name, lim.limit_oku_yen, data.cap_text, lang),
        )
        if lim.rule in ("gdp_cap", "fiscal_year_cap"):
            put(ws, row, 2, year_ranges(list(lim.years), lang))
        else:
            put(ws, row, 2, year_span(lim.years[0], lim.years[-1], lang))
        put(ws, row, 3, lim.limit_oku_yen, OKU_FORMAT)
    if not data.record.limits:
        row += 1
        put(ws, row, 1, _t("どの上限にも達していません", "No cap or ceiling is reached", lang))
    ws.column_dimensions["A"].width = 70
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 16
    ws.print_title_rows = f"{header_row}:{header_row}"


def _info_rows(data: RunData, lang: str) -> Iterable[tuple[str, Any, str | None]]:
    rec = data.record
    info = data.plan_info
    solver = rec.solver
    yield _t("計画", "Plan", lang), info.name, None
    yield _t("表題", "Title", lang), data.title(lang), None
    first, years = info.first_year, info.years
    yield _t("期間", "Horizon", lang), f"{fy(first, lang)}–{fy(first + years - 1, lang)}", None
    yield _t("上限(GDP比)", "Cap (ratio to GDP)", lang), data.cap_text, None
    yield _t("上限(厳密な比)", "Cap (exact ratio)", lang), info.cap_ratio, None
    yield _t("GDPケース", "GDP case", lang), info.gdp_case, None
    if info.cap_base == "fixed_year":
        base_text = _t(f"{info.cap_base_year}年度のGDP", f"FY{info.cap_base_year} GDP", lang)
    else:
        base_text = _t("各年度のGDP", "each year's GDP", lang)
    yield _t("上限の基準", "Cap base", lang), base_text, None
    yield _t("ソルバー", "Solver", lang), f"{solver.name} {solver.version}".strip(), None
    yield "PuLP", solver.pulp_version, None
    yield _t("時間制限(秒)", "Time limit (s)", lang), solver.time_limit_seconds, None
    yield _t("許容ギャップ", "Gap setting", lang), solver.gap, RATIO_FORMAT_SMALL
    status = status_word(data.status, lang)
    if data.floors_short:
        status += _t(
            f"(下限の不足 {data.floors_short}件)", f", {data.floors_short} floors short", lang
        )
    yield _t("状態", "Status", lang), status, None
    yield _t("下限の扱い", "Floors", lang), rec.solver.floors, None
    profile = rec.tiebreak.profile if rec.tiebreak is not None else rec.solver.profile
    yield _t("同値の配分からの選択", "Tie-break", lang), profile, None
    for st in rec.stages:
        if st.kind == "floors":
            g = st.group
            what = (
                _t(f"順位{g}の下限", f"rank {g} floors", lang)
                if g
                else _t("単一の順位に属さない下限", "floors of no single rank", lang)
            )
        elif st.is_tiebreak:
            what = _t("同値の配分からの選択", "tie-break", lang)
        else:
            what = rank_label(st.rank or 0, lang)
        yield _t(f"ギャップ({what})", f"Gap ({what})", lang), st.gap, RATIO_FORMAT_SMALL
        yield _t(f"状態({what})", f"Status ({what})", lang), status_word(st.status, lang), None
    yield _t("入力ハッシュ", "Input hash", lang), rec.input_hash, None
    for name, h in rec.inputs.items():
        yield f"SHA-256 inputs/{name}", h, None
    for name, sec in rec.times_seconds.items():
        yield _t(f"時間 {name}(秒)", f"Time {name} (s)", lang), sec, "0.000"
    v = rec.verification
    if v is not None:
        verdict = (
            _t("全ルールを満たす", "every rule holds", lang)
            if v.ok
            else _t("違反あり", "RULES BROKEN", lang)
        )
        yield _t("検証", "Verification", lang), verdict, None
        yield _t("検証した件数", "Checks", lang), v.checks, OKU_FORMAT
        yield _t("違反件数", "Violations", lang), len(v.violations), OKU_FORMAT
        for x in v.violations[:50]:
            yield _t("違反", "Violation", lang), x.message, None
    else:
        yield _t("検証", "Verification", lang), _t("未検証", "not verified", lang), None
    yield _t("作成日時(UTC)", "Created at (UTC)", lang), rec.created_at, None
    yield "allocator", rec.allocator_version, None
    yield _t("レポート作成", "Reports by", lang), f"allocator {__version__}", None
    for n in rec.notes:
        yield _t("注記", "Note", lang), n, None


RATIO_FORMAT_SMALL = "0.00%"


def info_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    put(ws, 1, 1, _t("項目", "Item", lang))
    put(ws, 1, 2, _t("値", "Value", lang))
    style_header(ws, 1, 1, 2)
    widths = {1: 10, 2: 10}
    for i, (key, value, fmt) in enumerate(_info_rows(data, lang), start=2):
        put(ws, i, 1, key)
        put(ws, i, 2, value, fmt)
        ws.cell(row=i, column=2).alignment = Alignment(horizontal="left")
        widths[1] = max(widths[1], _display_width(key, None))
        widths[2] = max(widths[2], _display_width(value, fmt))
    fit_columns(ws, widths, maximum=80)
    ws.freeze_panes = "A2"


# ---------------------------------------------------------------------------------------------
# workbook


def _created_at(data: RunData) -> dt.datetime:
    """plan.json's created_at as naive UTC; a fixed date when missing or unreadable."""
    text = data.record.created_at
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return dt.datetime(2000, 1, 1)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return max(when, dt.datetime(1980, 1, 1))


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed time (openpyxl would stamp the current time)."""

    fixed_time: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0)

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: bytes | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.fixed_time)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(  # type: ignore[override]
        self,
        filename: str | os.PathLike[str],
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        """openpyxl writes worksheets from temporary files: keep their content, not their
        modification time."""
        data = Path(filename).read_bytes()
        name = arcname if arcname is not None else Path(filename).name
        self.writestr(name, data, compress_type, compresslevel)


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook: its key, names, writer, and whether the run has its data."""

    key: str
    ja: str
    en: str
    write: Callable[[Worksheet, RunData, str], None]
    present: Callable[[RunData], bool] = lambda data: True

    def name(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


def evaluation_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    """The year's evaluation (``allocate evaluate``): the tables of report.md, one under another."""
    from allocator.report.annual import (
        TOP,
        behind_table,
        changes_table,
        execution_table,
        gives_lines,
    )

    row = 1
    rec = data.record.replan
    assert rec is not None
    put(
        ws,
        row,
        1,
        t(
            f"{rec.from_year - 1}年度までの年次評価",
            f"Annual evaluation to FY{rec.from_year - 1}",
            lang,
        ),
    )
    row += 1
    for line in gives_lines(data, lang):
        put(ws, row, 1, line)
        row += 1
    for title_ja, title_en, df in (
        ("分野別の執行率", "Execution rate by area", execution_table(data, "area")),
        ("優先順位別の執行率", "Execution rate by rank", execution_table(data, "rank")),
        ("計画より遅れている事業", "Programs behind plan", behind_table(data).head(TOP)),
        ("再計画の主な変更", "The re-plan's headline changes", changes_table(data).head(TOP)),
    ):
        row += 1
        put(ws, row, 1, t(title_ja, title_en, lang))
        row += 1
        write_table(ws, df, lang, start_row=row)
        row += len(df) + 2


def variance_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    assert data.variance is not None
    df = data.variance.drop(columns=["reason_en" if lang == "ja" else "reason_ja"])
    write_table(ws, df, lang)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"


def indicators_sheet(ws: Worksheet, data: RunData, lang: str) -> None:
    assert data.indicators is not None
    write_table(ws, data.indicators, lang)
    ws.freeze_panes = "B2"


SHEETS: tuple[Sheet, ...] = (
    Sheet("evaluation", "年次評価", "Evaluation", evaluation_sheet, lambda d: d.is_evaluation),
    Sheet("summary", "概要", "Summary", summary_sheet),
    Sheet("schedule", "配分表", "Schedule", schedule_sheet),
    Sheet("programs", "事業", "Programs", programs_sheet, lambda d: d.programs is not None),
    Sheet("ranks", "優先順位", "Ranks", ranks_sheet, lambda d: d.ranks is not None),
    Sheet("shortfalls", "下限の不足", "Shortfalls", shortfalls_sheet),
    Sheet("choice", "配分の選び方と上限", "Choice and limits", choice_sheet),
    Sheet("variance", "計画との差", "Variance", variance_sheet, lambda d: d.variance is not None),
    Sheet("indicators", "指標", "Indicators", indicators_sheet, lambda d: d.indicators is not None),
    Sheet("marginal", "限界価値", "Marginal values", marginal_sheet),
    Sheet("contracts", "契約と支払", "Contracts", contracts_sheet, lambda d: d.has_contracts),
    Sheet("info", "実行情報", "Run info", info_sheet),
)
"""The sheets, in workbook order. A new sheet: write ``<key>_sheet(ws, data, lang)`` above and
add it here."""


def build_workbook(data: RunData, lang: str) -> Workbook:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for sheet in SHEETS:
        if sheet.present(data):
            ws = wb.create_sheet(sheet.name(lang))
            sheet.write(ws, data, lang)
            page_setup(ws)
    when = _created_at(data)
    props = wb.properties
    props.created = when
    props.modified = when
    props.creator = f"allocator {__version__}"
    props.lastModifiedBy = f"allocator {__version__}"
    props.title = data.title(lang)
    props.language = lang
    return wb


def write_workbook(data: RunData, path: Path, lang: str) -> None:
    """Write ``report.xlsx`` at ``path``, byte-identical for the same run folder and language."""
    wb = build_workbook(data, lang)
    when = _created_at(data)
    buf = io.BytesIO()
    archive = _FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.fixed_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    ExcelWriter(wb, archive).save()  # not openpyxl.save_workbook: it stamps "modified" = now
    write_bytes_atomic(path, buf.getvalue())


def workbook_difference(path: Path, data: RunData, lang: str) -> str | None:
    """Where the workbook at ``path`` differs from the one the run's files give now: the first
    sheet and cell whose value differs (``None`` when every value is the same, so only bytes
    such as styles or zip entries changed). Used by ``allocate verify``.

    Raises
    ------
    OSError, ValueError, KeyError, zipfile.BadZipFile
        If ``path`` is not a workbook.
    """
    from openpyxl import load_workbook

    want = build_workbook(data, lang)
    got = load_workbook(path, read_only=False, data_only=False)
    if got.sheetnames != want.sheetnames:
        return f"its sheets are {got.sheetnames}, regenerated {want.sheetnames}"
    for name in want.sheetnames:
        a, b = got[name], want[name]
        rows = max(a.max_row, b.max_row)
        cols = max(a.max_column, b.max_column)
        for r in range(1, rows + 1):
            for c in range(1, cols + 1):
                x, y = a.cell(r, c).value, b.cell(r, c).value
                if x != y and not (_number(x) and _number(y) and abs(x - y) <= 1e-9):
                    where = a.cell(r, c).coordinate
                    return f"sheet {name!r} cell {where} is {x!r}, regenerated {y!r}"
    return None


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def write_workbook_file(wb: Workbook, path: Path, when: dt.datetime) -> None:
    """Write any workbook ``wb`` at ``path`` with every zip entry dated ``when``, so the bytes
    depend on the content only (used by the Monte Carlo and risk workbooks)."""
    buf = io.BytesIO()
    archive = _FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.fixed_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    ExcelWriter(wb, archive).save()
    write_bytes_atomic(path, buf.getvalue())
