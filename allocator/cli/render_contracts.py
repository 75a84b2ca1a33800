"""Terminal text of the contract view beside the payment view (契約ベースと歳出ベース) for
``allocate``: per fiscal year the new contracts, what is paid on them and on earlier
obligations, what is outstanding at year end and what falls due after the horizon; and what
each budget vehicle pays. Headers in Japanese and English."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from allocator.formatting import oku
from allocator.run.tables import ledger, schedule_table, vehicle_column

if TYPE_CHECKING:
    from allocator.api import Outcome


def has_contract_view(outcome: Outcome) -> bool:
    """Whether the plan has anything on the contract basis to show."""
    plan = outcome.plan
    return bool(plan.has_contracts or plan.obligations or plan.vehicles)


def render_contracts(outcome: Outcome) -> list[str]:
    """Lines of the contract view (empty for a plan without contracts, obligations or
    vehicles, or without a schedule)."""
    plan, result = outcome.plan, outcome.result
    if not result.has_plan or not has_contract_view(outcome):
        return []
    table = ledger(plan, result).table
    lines = [
        "",
        "contracts and payments / 契約ベースと歳出ベース (億円; * = after the horizon 計画期間後)",
        f"{'FY':<7}{'new contr.':>12}{'paid new':>11}{'paid earlier':>13}"
        f"{'outstanding':>13}{'after horizon':>15}",
        _left("年度", 7)
        + "".join(
            _right(h, w)
            for h, w in (
                ("新規契約", 12),
                ("歳出(新規)", 11),
                ("歳出(既定分)", 13),
                ("年度末残高", 13),
                ("うち期間後", 15),
            )
        ),
        "-" * 71,
    ]
    for r in table.itertuples(index=False):
        mark = "" if r.in_horizon == "yes" else "*"
        lines.append(
            f"{str(r.fiscal_year) + mark:<7}{oku(r.new_contracts_oku_yen):>12}"
            f"{oku(r.paid_on_new_contracts_oku_yen):>11}"
            f"{oku(r.paid_on_earlier_obligations_oku_yen):>13}"
            f"{oku(r.outstanding_end_oku_yen):>13}{oku(r.owed_past_horizon_oku_yen):>15}"
        )
    inside = table[table.in_horizon == "yes"]
    lines.append(
        f"{'total':<7}{oku(inside.new_contracts_oku_yen.sum()):>12}"
        f"{oku(inside.paid_on_new_contracts_oku_yen.sum()):>11}"
        f"{oku(inside.paid_on_earlier_obligations_oku_yen.sum()):>13}"
        f"{'':>13}{oku(table.paid_on_new_contracts_oku_yen[table.in_horizon != 'yes'].sum()):>15}"
    )
    if plan.vehicles:
        sched = schedule_table(plan, result)
        ids = [v.id for v in plan.vehicles]
        lines += [
            "",
            "payments by budget vehicle / 財源別の支払 (億円)",
            f"{'FY':<7}" + "".join(f"{v[:14]:>15}" for v in ids),
            _left("年度", 7) + "".join(_right(plan.vehicle(v).name_ja[:7], 15) for v in ids),
            "-" * (7 + 15 * len(ids)),
        ]
        per = {v: sched.groupby("fiscal_year")[vehicle_column(v)].sum() for v in ids}
        for y in plan.fiscal_years:
            lines.append(f"{y:<7}" + "".join(f"{oku(int(per[v].get(y, 0))):>15}" for v in ids))
    return lines


def _columns(text: str) -> int:
    """Terminal columns of ``text`` (a full-width character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _right(text: str, width: int) -> str:
    return " " * max(width - _columns(text), 1) + text


def _left(text: str, width: int) -> str:
    return text + " " * max(width - _columns(text), 1)
