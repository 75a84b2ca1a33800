"""The chart of contracts, payments and obligations outstanding (``charts/
contracts_and_payments.png``), from ``obligations.csv`` alone: per fiscal year the new
contracts beside what is paid (on the plan's contracts and on earlier ones), and the
obligations outstanding at year end; the years after the horizon are shaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from allocator.constants import OKU_PER_CHO
from allocator.report.data import RunData
from allocator.report.labels import t


def contracts_chart_spec(data: RunData, lang: str) -> dict[str, Any]:
    """The plain data of the chart for ``data`` (which must have ``obligations.csv``), drawn
    by :func:`allocator.report.chart_drawing.draw_contracts_chart`."""
    assert data.obligations is not None
    o = data.obligations
    years = [int(y) for y in o.fiscal_year]
    big = max(
        [float(v) for c in ("new_contracts_oku_yen", "outstanding_end_oku_yen") for v in o[c]]
        + [0.0]
    )
    scale = OKU_PER_CHO if big >= OKU_PER_CHO else 1  # 兆円, or 億円 for a small plan

    def cho(col: str) -> list[float]:
        return [float(v) / scale for v in o[col]]

    return {
        "years": years,
        "oku": scale == 1,
        "new": cho("new_contracts_oku_yen"),
        "paid_new": cho("paid_on_new_contracts_oku_yen"),
        "paid_old": cho("paid_on_earlier_obligations_oku_yen"),
        "owed": cho("outstanding_end_oku_yen"),
        "after": [i for i, flag in enumerate(o.in_horizon) if flag != "yes"],
        "labels": {
            "new": t("新規契約額(契約ベース)", "New contracts (contract basis)", lang),
            "paid_old": t("歳出・既定分(計画前の契約)", "Paid on earlier contracts (既定分)", lang),
            "paid_new": t("歳出・新規分(計画の契約)", "Paid on the plan's contracts", lang),
            "owed": t("年度末の後年度負担残高", "Obligations outstanding at year end", lang),
            "after": t("計画期間後", "After the horizon", lang),
            "xlabel": t("年度", "Fiscal year", lang),
            "ylabel": t("億円", "億円 (¥100 million)", lang)
            if scale == 1
            else t("兆円", "兆円 (¥ trillion)", lang),
        },
        "title": f"{data.title(lang)}\n"
        + t(
            "契約ベースと歳出ベース:新規契約、支払、後年度負担残高",
            "Contracts and payments: new contracts, payments, obligations outstanding",
            lang,
        ),
        "legend_columns": 3 if lang == "ja" else 2,
    }


def contracts_chart(data: RunData, path: Path, lang: str) -> None:
    """Write the chart for ``data`` (which must have ``obligations.csv``)."""
    from allocator.report.chart_drawing import draw_contracts_chart

    draw_contracts_chart(contracts_chart_spec(data, lang), path)


__all__ = ["contracts_chart", "contracts_chart_spec"]
