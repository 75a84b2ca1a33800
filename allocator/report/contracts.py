"""The contract view beside the payment view (契約ベースと歳出ベース) in ``report.md``, and the
figures the workbook and the chart share: from ``obligations.csv``, ``schedule.csv`` and
``inputs/plan.toml`` of a run folder alone."""

from __future__ import annotations

import pandas as pd

from allocator.constants import CHARTS_DIR, OBLIGATIONS_CHART
from allocator.formatting import cho_text, fy, oku
from allocator.report.data import RunData
from allocator.report.labels import VEHICLE_COLUMN_RE


def horizon_rows(data: RunData) -> pd.DataFrame:
    """The ledger's rows inside the horizon."""
    assert data.obligations is not None
    o = data.obligations
    return o[o.in_horizon == "yes"]


def vehicle_columns(data: RunData) -> list[tuple[str, str]]:
    """``[(vehicle id, schedule column)]`` of the plan's vehicles, in plan order."""
    if data.schedule is None:
        return []
    found = {}
    for col in data.schedule.columns:
        m = VEHICLE_COLUMN_RE.match(str(col))
        if m and m.group(1) in data.vehicle_names:
            found[m.group(1)] = str(col)
    return [(v, found[v]) for v in data.vehicle_names if v in found]


def vehicle_table(data: RunData) -> pd.DataFrame:
    """Per fiscal year of the horizon: what each vehicle pays (億円)."""
    assert data.summary is not None
    years = [int(y) for y in data.summary.fiscal_year]
    table = pd.DataFrame({"fiscal_year": years})
    sched = data.schedule
    for v, col in vehicle_columns(data):
        assert sched is not None
        per = sched.groupby("fiscal_year")[col].sum()
        table[v] = [int(per.get(y, 0)) for y in years]
    return table


def contracts_markdown(data: RunData, lang: str) -> list[str]:
    """The section of ``report.md`` on contracts and payments (empty for a run without
    multi-year contracts, earlier obligations or vehicles)."""
    if not data.has_contracts or data.obligations is None:
        return []
    ja = lang == "ja"
    o = data.obligations
    inside = horizon_rows(data)
    new = float(inside.new_contracts_oku_yen.sum())
    paid_new = float(inside.paid_on_new_contracts_oku_yen.sum())
    paid_old = float(inside.paid_on_earlier_obligations_oku_yen.sum())
    end = float(inside.outstanding_end_oku_yen.iloc[-1]) if len(inside) else 0.0
    past = float(inside.owed_past_horizon_oku_yen.iloc[-1]) if len(inside) else 0.0

    def c(x: float) -> str:  # 兆円, or 億円 below 1 兆円
        if abs(x) >= 10_000:
            return cho_text(x, lang)
        return f"{oku(x)}億円" if ja else f"{oku(x)} 億円"

    lines = [
        "## 契約ベースと歳出ベース(後年度負担)" if ja else "## Contracts and payments (後年度負担)",
        "",
        (
            f"計画期間中の新規契約は {c(new)}、その支払(歳出)は期間内に {c(paid_new)}。"
            f"計画前の契約の支払(既定分の歳出化経費)が期間内に {c(paid_old)}。"
            f"期間末の後年度負担残高は {c(end)} で、うち {c(past)} は計画期間後に支払われます"
            "(失われず、obligations.csv に年度別に記載)。"
            if ja
            else f"New contracts over the horizon: {c(new)}; paid on them within it: "
            f"{c(paid_new)}. Paid on contracts signed before the horizon (既定分): {c(paid_old)}. "
            f"Outstanding at the end of the horizon: {c(end)}, of which {c(past)} falls due "
            "after it (reported year by year in obligations.csv, not lost)."
        ),
        "",
    ]
    head = (
        [
            "年度",
            "新規契約",
            "うち後年度負担",
            "歳出(新規分)",
            "歳出(既定分)",
            "年度末残高",
            "うち期間後",
        ]
        if ja
        else [
            "FY",
            "New contracts",
            "of which later years",
            "Paid (new)",
            "Paid (earlier)",
            "Outstanding at year end",
            "of which after horizon",
        ]
    )
    lines += [
        "年度別(億円、* は計画期間後の年度):"
        if ja
        else "Per fiscal year (億円; * = a year after the horizon):",
        "",
        "| " + " | ".join(head) + " |",
        "|---:|" + "---:|" * (len(head) - 1),
    ]
    for r in o.itertuples(index=False):
        year = fy(int(r.fiscal_year), lang) + ("" if r.in_horizon == "yes" else " *")
        cells = [
            year,
            oku(r.new_contracts_oku_yen),
            oku(r.new_obligations_oku_yen),
            oku(r.paid_on_new_contracts_oku_yen),
            oku(r.paid_on_earlier_obligations_oku_yen),
            oku(r.outstanding_end_oku_yen),
            oku(r.owed_past_horizon_oku_yen),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    vehicles = vehicle_columns(data)
    if vehicles:
        table = vehicle_table(data)
        names = [data.vehicle_name(v, lang) for v, _ in vehicles]
        lines += [
            "",
            "財源別の支払(億円):" if ja else "Payments by budget vehicle (億円):",
            "",
            "| " + " | ".join(["年度" if ja else "FY", *names]) + " |",
            "|---:|" + "---:|" * len(names),
        ]
        for r in table.itertuples(index=False):
            values = [oku(getattr(r, v)) for v, _ in vehicles]
            lines.append("| " + " | ".join([fy(int(r.fiscal_year), lang), *values]) + " |")
    lines += [
        "",
        f"- {'契約と支払の推移' if ja else 'Contracts, payments and obligations'}: "
        f"[{CHARTS_DIR}/{OBLIGATIONS_CHART}]({CHARTS_DIR}/{OBLIGATIONS_CHART})",
        "",
    ]
    return lines


__all__ = ["contracts_markdown", "horizon_rows", "vehicle_columns", "vehicle_table"]
