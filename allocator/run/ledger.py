"""The ledger of contracts and payments (契約ベースと歳出ベース): ``obligations.csv``.

Per fiscal year: what is contracted, what is paid on the plan's contracts and on the
obligations already owed before the horizon (既定分), what is outstanding at the end of the
year (後年度負担残高) and how much of that falls due after the horizon. Rows continue after the
horizon for every year in which something is still due, so what falls past the horizon is
reported, not lost.

Built from the plan and the contracts of a solved schedule; payments inside the horizon are
the schedule's own, payments after it follow the plan's payment rule
(:func:`allocator.plan.contracts.split_payments`), which the model writes as its
``payment_rounding`` rows. Money is integer 億円.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from allocator.plan.contracts import split_payments
from allocator.plan.schema import Plan

LEDGER_COLUMNS = [
    "fiscal_year",
    "in_horizon",
    "new_contracts_oku_yen",
    "new_obligations_oku_yen",
    "paid_on_new_contracts_oku_yen",
    "paid_on_earlier_obligations_oku_yen",
    "payments_total_oku_yen",
    "outstanding_end_oku_yen",
    "owed_past_horizon_oku_yen",
]
"""Columns of ``obligations.csv`` (integer 億円; ``in_horizon`` yes/no):

- ``new_contracts_oku_yen``: contracted in the year (契約ベース; a program without a contract
  pattern counts its money, a contract paid at once);
- ``new_obligations_oku_yen``: the part of those contracts paid in later years
  (新規後年度負担);
- ``paid_on_new_contracts_oku_yen``: paid in the year on the plan's own contracts and money;
- ``paid_on_earlier_obligations_oku_yen``: paid in the year on contracts signed before the
  horizon (既定分の歳出化経費, the obligations file);
- ``payments_total_oku_yen``: the two together (歳出ベース of the plan's money);
- ``outstanding_end_oku_yen``: still owed at the end of the year (後年度負担残高);
- ``owed_past_horizon_oku_yen``: the part of it that falls due after the horizon's last year.
"""


@dataclass(frozen=True)
class Ledger:
    """The ledger of one schedule."""

    table: pd.DataFrame
    """``obligations.csv``: one row per fiscal year of the horizon, then one per later year in
    which something is due."""
    past_horizon: dict[tuple[str, int], int]
    """{(program_id, fiscal_year): 億円} due after the horizon on the plan's contracts."""

    def past_horizon_of(self, program_id: str) -> int:
        return sum(a for (p, _), a in self.past_horizon.items() if p == program_id)


def contract_payments(
    plan: Plan, contracts: Mapping[tuple[str, int], int]
) -> dict[tuple[str, int], int]:
    """{(program_id, fiscal_year): 億円} paid on the contracts of contract programs, every
    year (inside the horizon and after it), by the plan's payment rule."""
    out: dict[tuple[str, int], int] = {}
    patterns = {p.program_id: p.contract_pattern for p in plan.programs if p.is_contract}
    for (pid, t), amount in sorted(contracts.items()):
        pattern = patterns.get(pid)
        if pattern is None or not amount:
            continue
        for k, paid in enumerate(split_payments(amount, pattern)):
            if paid:
                out[pid, t + k] = out.get((pid, t + k), 0) + paid
    return out


def build_ledger(
    plan: Plan,
    payments: Mapping[tuple[str, int], int],
    contracts: Mapping[tuple[str, int], int],
) -> Ledger:
    """The ledger of a schedule.

    Parameters
    ----------
    plan
        The plan (its programs' patterns, its obligations, its horizon).
    payments
        {(program_id, fiscal_year): 億円 paid} inside the horizon, every program.
    contracts
        {(program_id, fiscal_year): 億円 contracted}: contract programs only (a program without
        a pattern is contracted and paid at once: its payments stand for its contracts).
    """
    is_contract = {p.program_id: p.is_contract for p in plan.programs}
    last = plan.last_year
    planned = contract_payments(plan, contracts)
    past = {(pid, y): a for (pid, y), a in planned.items() if y > last}
    patterns = {p.program_id: p.contract_pattern for p in plan.programs if p.is_contract}
    first_paid = {
        (pid, t): split_payments(c, pattern)[0]
        for (pid, t), c in contracts.items()
        if (pattern := patterns.get(pid)) is not None
    }
    new: dict[int, int] = {}
    later: dict[int, int] = {}
    paid_new: dict[int, int] = {}
    for (pid, y), a in payments.items():
        paid_new[y] = paid_new.get(y, 0) + a
        if not is_contract.get(pid):
            new[y] = new.get(y, 0) + a
    for (pid, t), c in contracts.items():
        if not is_contract.get(pid):
            continue
        new[t] = new.get(t, 0) + c
        later[t] = later.get(t, 0) + c - first_paid.get((pid, t), 0)
    for (_, y), a in past.items():
        paid_new[y] = paid_new.get(y, 0) + a
    earlier: dict[int, int] = {}
    for o in plan.obligations:
        earlier[o.fiscal_year] = earlier.get(o.fiscal_year, 0) + o.oku_yen
    # what contracts signed in year t will pay after the horizon
    past_by_t: dict[int, int] = {}
    for (pid, t), c in contracts.items():
        pattern = patterns.get(pid)
        if pattern is not None and c:
            paid = split_payments(c, pattern)
            past_by_t[t] = past_by_t.get(t, 0) + sum(a for k, a in enumerate(paid) if t + k > last)
    after = [y for y in {*paid_new, *earlier} if y > last]
    years = [*plan.fiscal_years, *range(last + 1, max(after, default=last) + 1)]
    owed_after = sum(a for y, a in earlier.items() if y > last)
    outstanding = sum(earlier.values())
    rows = []
    for y in years:
        inside = y <= last
        outstanding += new.get(y, 0) - paid_new.get(y, 0) - earlier.get(y, 0)
        owed_after = owed_after + past_by_t.get(y, 0) if inside else outstanding
        rows.append(
            {
                "fiscal_year": y,
                "in_horizon": "yes" if inside else "no",
                "new_contracts_oku_yen": new.get(y, 0),
                "new_obligations_oku_yen": later.get(y, 0),
                "paid_on_new_contracts_oku_yen": paid_new.get(y, 0),
                "paid_on_earlier_obligations_oku_yen": earlier.get(y, 0),
                "payments_total_oku_yen": paid_new.get(y, 0) + earlier.get(y, 0),
                "outstanding_end_oku_yen": outstanding,
                "owed_past_horizon_oku_yen": owed_after,
            }
        )
    return Ledger(pd.DataFrame(rows, columns=LEDGER_COLUMNS), past)


def schedule_ledger(plan: Plan, schedule: pd.DataFrame) -> Ledger:
    """The ledger of a solved schedule (columns program_id, fiscal_year, amount_oku_yen,
    contract_oku_yen)."""
    payments: dict[tuple[str, int], int] = {}
    contracts: dict[tuple[str, int], int] = {}
    is_contract = {p.program_id: p.is_contract for p in plan.programs}
    for r in schedule.itertuples(index=False):
        key = (str(r.program_id), int(r.fiscal_year))
        if int(r.amount_oku_yen):
            payments[key] = int(r.amount_oku_yen)
        if is_contract.get(key[0]) and int(r.contract_oku_yen):
            contracts[key] = int(r.contract_oku_yen)
    return build_ledger(plan, payments, contracts)


__all__ = ["LEDGER_COLUMNS", "Ledger", "build_ledger", "contract_payments", "schedule_ledger"]
