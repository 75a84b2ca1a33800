"""The chart of contracts, payments and obligations outstanding (``charts/
contracts_and_payments.png``), from ``obligations.csv`` alone: per fiscal year the new
contracts beside what is paid (on the plan's contracts and on earlier ones), and the
obligations outstanding at year end; the years after the horizon are shaded."""

from __future__ import annotations

from pathlib import Path

from allocator.constants import OKU_PER_CHO
from allocator.report.data import RunData
from allocator.report.labels import t
from allocator.report.plotting import pyplot, save

WIDTH_INCHES = 10.0


def contracts_chart(data: RunData, path: Path, lang: str) -> None:
    """Write the chart for ``data`` (which must have ``obligations.csv``)."""
    assert data.obligations is not None
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter

    o = data.obligations
    years = [int(y) for y in o.fiscal_year]
    x = list(range(len(years)))
    big = max(
        [float(v) for c in ("new_contracts_oku_yen", "outstanding_end_oku_yen") for v in o[c]]
        + [0.0]
    )
    scale = OKU_PER_CHO if big >= OKU_PER_CHO else 1  # 兆円, or 億円 for a small plan

    def cho(col: str) -> list[float]:
        return [float(v) / scale for v in o[col]]

    new = cho("new_contracts_oku_yen")
    paid_new = cho("paid_on_new_contracts_oku_yen")
    paid_old = cho("paid_on_earlier_obligations_oku_yen")
    owed = cho("outstanding_end_oku_yen")
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 6.0))
    width = 0.38
    ax.bar(
        [i - width / 2 for i in x],
        new,
        width=width,
        color="#f39c12",
        label=t("新規契約額(契約ベース)", "New contracts (contract basis)", lang),
        zorder=2,
    )
    ax.bar(
        [i + width / 2 for i in x],
        paid_old,
        width=width,
        color="#95a5a6",
        label=t("歳出・既定分(計画前の契約)", "Paid on earlier contracts (既定分)", lang),
        zorder=2,
    )
    ax.bar(
        [i + width / 2 for i in x],
        paid_new,
        width=width,
        bottom=paid_old,
        color="#2980b9",
        label=t("歳出・新規分(計画の契約)", "Paid on the plan's contracts", lang),
        zorder=2,
    )
    ax.plot(
        x,
        owed,
        color="#c0392b",
        marker="o",
        markersize=4,
        linewidth=2.2,
        label=t("年度末の後年度負担残高", "Obligations outstanding at year end", lang),
        zorder=4,
    )
    after = [i for i, flag in zip(x, o.in_horizon, strict=True) if flag != "yes"]
    if after:
        ax.axvspan(
            min(after) - 0.5,
            max(after) + 0.5,
            color="#eeeeee",
            zorder=0,
            label=t("計画期間後", "After the horizon", lang),
        )
    ax.set_xticks(x, [str(y) for y in years], rotation=45 if len(years) > 16 else 0)
    ax.set_xlabel(t("年度", "Fiscal year", lang))
    if scale == 1:
        ax.set_ylabel(t("億円", "億円 (¥100 million)", lang))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    else:
        ax.set_ylabel(t("兆円", "兆円 (¥ trillion)", lang))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.1f}"))
    ax.grid(axis="y", color="#dddddd", zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    top = max([*new, *(a + b for a, b in zip(paid_new, paid_old, strict=True)), *owed, 0.1])
    ax.set_ylim(0, top * 1.15)
    ax.set_title(
        f"{data.title(lang)}\n"
        + t(
            "契約ベースと歳出ベース:新規契約、支払、後年度負担残高",
            "Contracts and payments: new contracts, payments, obligations outstanding",
            lang,
        ),
        fontsize=13,
        loc="left",
    )
    fig.tight_layout()
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=3 if lang == "ja" else 2,
        fontsize=9.5,
        frameon=False,
    )
    save(fig, path)


__all__ = ["contracts_chart"]
