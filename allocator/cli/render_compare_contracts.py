"""The contract view of a comparison as terminal text: per fiscal year the reference's new
contracts, payments and obligations outstanding at year end, and each compared plan's
differences (契約ベースと歳出ベース)."""

from __future__ import annotations

from allocator.formatting import oku
from allocator.run.compare import Cell, Comparison


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"P{i + 1}"


def _oku(v: Cell, *, sign: bool = False) -> str:
    return "-" if v is None or isinstance(v, str) else oku(v, sign=sign)


def contracts_table(cmp: Comparison) -> list[str]:
    """Lines of the table (empty when no plan has contracts, obligations or vehicles)."""
    rows = cmp.section("contract")
    if not rows or not cmp.reference.has_plan:
        return []
    others = [i for i in range(1, len(cmp.plans)) if cmp.plans[i].has_plan]
    keys = list(dict.fromkeys(r.key for r in rows))
    a = _letter(0)
    lines = [
        "",
        f"contracts and payments / 契約ベースと歳出ベース vs {a} (億円; contr. = new contracts, "
        "paid = payments on new and earlier contracts, owed = outstanding at year end)",
    ]
    head = f"{'FY':<6}{a + ' contr.':>11}{a + ' paid':>10}{a + ' owed':>10}"
    for i in others:
        x = _letter(i)
        head += f" |{x + ' Δcontr.':>11}{x + ' Δpaid':>10}{x + ' Δowed':>10}"
    lines += [head, "-" * len(head)]
    metrics = ("new_contracts_oku_yen", "payments_total_oku_yen", "outstanding_end_oku_yen")
    for key in keys:
        if key == "total":
            lines.append("-" * len(head))
        line = f"{key:<6}"
        for m in metrics:
            width = 11 if m.startswith("new") else 10
            line += f"{_oku(cmp.row('contract', key, m).values[0]):>{width}}"
        for i in others:
            line += " |"
            for m in metrics:
                diff = cmp.row("contract", key, m).diffs[i - 1]
                line += f"{_oku(diff, sign=True):>{11 if m.startswith('new') else 10}}"
        lines.append(line)
    past = cmp.row("contract", "total", "owed_past_horizon_oku_yen")
    lines.append(
        "owed after each horizon / 計画期間後の支払: "
        + ", ".join(f"{_letter(i)} {_oku(v)}" for i, v in enumerate(past.values))
    )
    return lines
