"""Rules on contracts, their payments and the budgets that pay them, recomputed from the run
folder alone: each contract's payments (whole 億円, floor of each share, the rest in the last
year), the contract window, the ceilings on new contracts and on obligations outstanding, the
vehicles (split, ceilings, fund balances), and the ledger ``obligations.csv``.

The payment rule is written here a second time on purpose (the model writes it as
constraints, the run folder's ledger with :func:`allocator.plan.contracts.split_payments`):
``tests/test_contracts.py`` checks that the copies agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from allocator.constants import OBLIGATIONS_CSV
from allocator.formatting import fy, oku
from allocator.plan.schema import Plan, Program
from allocator.run.record import RunRecord
from allocator.run.verify.common import Amounts, Table, int_cell, span, text_cell
from allocator.run.verify.files import read_table
from allocator.run.verify.tally import Tally

LEDGER_COLUMNS = (
    "fiscal_year",
    "in_horizon",
    "new_contracts_oku_yen",
    "new_obligations_oku_yen",
    "paid_on_new_contracts_oku_yen",
    "paid_on_earlier_obligations_oku_yen",
    "payments_total_oku_yen",
    "outstanding_end_oku_yen",
    "owed_past_horizon_oku_yen",
)


def paid_each_year(contract: int, pattern: Sequence[Fraction]) -> list[int]:
    """The verifier's own copy of the payment rule: floor(share × contract) in every year but
    the last, the rest in the last."""
    out: list[int] = []
    for share in pattern[:-1]:
        out.append(contract * share.numerator // share.denominator)
    out.append(contract - sum(out))
    return out


def obligations_by_year(plan: Plan, *, defense_only: bool) -> dict[int, int]:
    """億円 due per fiscal year on contracts signed before the horizon, from the plan's rows."""
    out: dict[int, int] = {}
    for o in plan.obligations:
        if o.counts_toward_defense or not defense_only:
            out[o.fiscal_year] = out.get(o.fiscal_year, 0) + o.oku_yen
    return out


@dataclass
class ContractCells:
    """The contract and vehicle cells of ``schedule.csv``."""

    contracts: Amounts = field(default_factory=dict)
    """{program_id: {fiscal_year: 億円 contracted}} of contract programs."""
    vehicles: dict[tuple[str, int, str], int] = field(default_factory=dict)
    """{(program_id, fiscal_year, vehicle): 億円} (plans with vehicles)."""


def read_contract_cells(plan: Plan, table: Table, t: Tally) -> ContractCells:
    """Contracts and vehicle payments from ``schedule.csv`` (rule ``schedule_row`` for cells
    that are not whole numbers, a payment column that differs from the amount, a program
    without a pattern whose contract differs from its amount)."""
    out = ContractCells()
    programs = {p.program_id: p for p in plan.programs}
    vehicle_ids = [v.id for v in plan.vehicles]
    for line, c in table:
        pid = text_cell(c.get("program_id")).strip()
        p = programs.get(pid)
        year = int_cell(c.get("fiscal_year"))
        amount = int_cell(c.get("amount_oku_yen"))
        if p is None or year is None or amount is None:
            continue  # reported by the schedule's own rules
        where = f"schedule.csv row {line}"
        t.check("schedule_row")
        contract = int_cell(c.get("contract_oku_yen"))
        payment = int_cell(c.get("payment_oku_yen"))
        if contract is None or contract < 0 or payment is None:
            t.fail(
                "schedule_row",
                pid,
                f"{fy(year)}: {pid} in {where}: contract_oku_yen {c.get('contract_oku_yen')!r} "
                f"and payment_oku_yen {c.get('payment_oku_yen')!r} must be whole 億円 ≥ 0",
                year=year,
            )
            continue
        if payment != amount:
            t.fail(
                "schedule_row",
                pid,
                f"{fy(year)}: {pid} in {where}: payment_oku_yen {oku(payment)} differs from "
                f"amount_oku_yen {oku(amount)}",
                year=year,
                excess=abs(payment - amount),
            )
        if p.is_contract:
            if contract:
                out.contracts.setdefault(pid, {})[year] = (
                    out.contracts.get(pid, {}).get(year, 0) + contract
                )
        elif contract != amount:
            t.fail(
                "schedule_row",
                pid,
                f"{fy(year)}: {pid} in {where} has no contract pattern, so it contracts what it "
                f"pays ({oku(amount)}), but contract_oku_yen is {oku(contract)}",
                year=year,
                excess=abs(contract - amount),
            )
        for v in vehicle_ids:
            cell = c.get(f"paid_{v}_oku_yen")
            if cell is None:
                t.check("vehicle_split")
                t.fail(
                    "vehicle_split", "schedule.csv", f"schedule.csv has no column paid_{v}_oku_yen"
                )
                continue
            paid = int_cell(cell)
            if paid is None or paid < 0:
                t.check("vehicle_split")
                t.fail(
                    "vehicle_split",
                    pid,
                    f"{fy(year)}: {pid} in {where}: paid_{v}_oku_yen {cell!r} is not whole "
                    "億円 ≥ 0",
                    year=year,
                )
                continue
            if paid:
                out.vehicles[pid, year, v] = paid
    return out


def decisions(plan: Plan, payments: Amounts, cells: ContractCells) -> Amounts:
    """What each program decides per year: contracts for contract programs, payments for the
    others (the rules on windows, per-year maxima, ramps, units and precedence count these)."""
    out: Amounts = {}
    for p in plan.programs:
        mine = cells.contracts if p.is_contract else payments
        if p.program_id in mine:
            out[p.program_id] = dict(mine[p.program_id])
    return out


def basis_amounts(plan: Plan, payments: Amounts, cells: ContractCells) -> Amounts:
    """What each program's range counts: payments in the horizon, or contracts."""
    out: Amounts = {}
    for p in plan.programs:
        mine = cells.contracts if p.is_contract and p.basis == "contract" else payments
        if p.program_id in mine:
            out[p.program_id] = dict(mine[p.program_id])
    return out


def _all_payments(plan: Plan, p: Program, contracts: dict[int, int]) -> dict[int, int]:
    pattern = p.contract_pattern or (Fraction(1),)
    out: dict[int, int] = {}
    for t, c in sorted(contracts.items()):
        for k, a in enumerate(paid_each_year(c, pattern)):
            if a:
                out[t + k] = out.get(t + k, 0) + a
    return out


def check_contract_payments(plan: Plan, payments: Amounts, cells: ContractCells, t: Tally) -> None:
    """Each contract program pays, in every year of the horizon, exactly what its contracts
    owe that year by the payment rule; contracts are signed only in its window."""
    for p in plan.programs:
        if not p.is_contract:
            continue
        pid = p.program_id
        mine = cells.contracts.get(pid, {})
        for year, c in sorted(mine.items()):
            t.check("window")
            if year not in p.window or not plan.first_year <= year <= plan.last_year:
                t.fail(
                    "window",
                    pid,
                    f"{fy(year)}: {pid} contracts {oku(c)} 億円 outside its window "
                    f"{span(p.window_first_year, p.window_last_year)}",
                    year=year,
                    excess=c,
                )
        due = _all_payments(plan, p, mine)
        paid = payments.get(pid, {})
        for year in plan.fiscal_years:
            t.check("contract_payments")
            want, got = due.get(year, 0), paid.get(year, 0)
            if want != got:
                t.fail(
                    "contract_payments",
                    pid,
                    f"{fy(year)}: {pid} pays {oku(got)} 億円 but its contracts owe {oku(want)} "
                    f"that year (pattern applied to the contracts; off by {oku(abs(got - want))})",
                    year=year,
                    excess=abs(got - want),
                )


def check_contract_window(plan: Plan, cells: ContractCells, t: Tally) -> None:
    """No multi-year contract outside ``[contracts]`` window_first_year … window_last_year."""
    c = plan.contracts
    if c.window_first_year is None and c.window_last_year is None:
        return
    first, last = c.window_first_year, c.window_last_year
    for year in plan.fiscal_years:
        t.check("contract_window")
        inside = (first is None or year >= first) and (last is None or year <= last)
        signed = sum(m.get(year, 0) for m in cells.contracts.values())
        if not inside and signed:
            t.fail(
                "contract_window",
                "horizon",
                f"{fy(year)}: {oku(signed)} 億円 contracted outside the contract window "
                f"{span(first or plan.first_year, last or plan.last_year)}",
                year=year,
                excess=signed,
            )


def _ceiling(per_year: tuple[tuple[int, int], ...], every: int | None, year: int) -> int | None:
    candidates = [v for y, v in per_year if y == year]
    if every is not None:
        candidates.append(every)
    return min(candidates) if candidates else None


def check_new_contract_cap(plan: Plan, cells: ContractCells, t: Tally) -> None:
    """New contracts (or the part of them paid after the year, 新規後年度負担) ≤ the ceiling."""
    c = plan.contracts
    later = c.new_measure == "later_years"
    patterns = {p.program_id: p.contract_pattern for p in plan.programs if p.is_contract}
    for year in plan.fiscal_years:
        ceiling = _ceiling(c.new_per_year_oku_yen, c.max_new_per_year_oku_yen, year)
        if ceiling is None:
            continue
        t.check("new_contract_cap")
        total = 0
        for pid, mine in cells.contracts.items():
            amount = mine.get(year, 0)
            pattern = patterns.get(pid)
            if amount and pattern is not None:
                total += amount - (paid_each_year(amount, pattern)[0] if later else 0)
        if total > ceiling:
            what = "new later-year obligations (新規後年度負担)" if later else "new contracts"
            t.fail(
                "new_contract_cap",
                "horizon",
                f"{fy(year)}: {what} {oku(total)} exceed the ceiling {oku(ceiling)} by "
                f"{oku(total - ceiling)} 億円",
                year=year,
                excess=total - ceiling,
            )


def outstanding_by_year(plan: Plan, cells: ContractCells) -> dict[int, int]:
    """Owed at the end of each horizon year: on the plan's contracts and on earlier ones."""
    by_program = {p.program_id: p for p in plan.programs}
    earlier = obligations_by_year(plan, defense_only=False)
    out: dict[int, int] = {}
    for year in plan.fiscal_years:
        owed = sum(a for y, a in earlier.items() if y > year)
        for pid, mine in cells.contracts.items():
            p = by_program[pid]
            signed = {t_: c for t_, c in mine.items() if t_ <= year}
            owed += sum(a for y, a in _all_payments(plan, p, signed).items() if y > year)
        out[year] = owed
    return out


def check_outstanding_cap(plan: Plan, cells: ContractCells, t: Tally) -> None:
    """Obligations outstanding at the end of each year ≤ the ceiling."""
    c = plan.contracts
    if c.max_outstanding_oku_yen is None and not c.outstanding_per_year_oku_yen:
        return
    owed = outstanding_by_year(plan, cells)
    for year in plan.fiscal_years:
        ceiling = _ceiling(c.outstanding_per_year_oku_yen, c.max_outstanding_oku_yen, year)
        if ceiling is None:
            continue
        t.check("outstanding_cap")
        if owed[year] > ceiling:
            t.fail(
                "outstanding_cap",
                "horizon",
                f"{fy(year)}: obligations outstanding at year end {oku(owed[year])} exceed the "
                f"ceiling {oku(ceiling)} by {oku(owed[year] - ceiling)} 億円",
                year=year,
                excess=owed[year] - ceiling,
            )


def check_vehicles(plan: Plan, payments: Amounts, cells: ContractCells, t: Tally) -> None:
    """Every payment is split exactly among the vehicles that may pay the program; no vehicle
    pays above its ceiling; no fund goes below zero."""
    if not plan.vehicles:
        return
    defaults = tuple(v.id for v in plan.vehicles if v.default)
    for p in plan.programs:
        allowed = p.vehicles or defaults
        pid = p.program_id
        for year, amount in sorted(payments.get(pid, {}).items()):
            t.check("vehicle_split")
            split = {v.id: cells.vehicles.get((pid, year, v.id), 0) for v in plan.vehicles}
            wrong = [v for v, a in split.items() if a and v not in allowed]
            if wrong:
                t.fail(
                    "vehicle_split",
                    pid,
                    f"{fy(year)}: {pid} is paid by {', '.join(wrong)}, which may not pay it "
                    f"(allowed: {', '.join(allowed)})",
                    year=year,
                )
            if sum(split.values()) != amount:
                t.fail(
                    "vehicle_split",
                    pid,
                    f"{fy(year)}: {pid}'s vehicles pay {oku(sum(split.values()))} but it pays "
                    f"{oku(amount)} 億円",
                    year=year,
                    excess=abs(sum(split.values()) - amount),
                )
    for v in plan.vehicles:
        balance = v.opening_balance_oku_yen
        for year in plan.fiscal_years:
            draws = sum(a for (_, y, w), a in cells.vehicles.items() if w == v.id and y == year)
            draws += sum(
                o.oku_yen for o in plan.obligations if o.vehicle == v.id and o.fiscal_year == year
            )
            ceiling = _ceiling(v.per_year_oku_yen, v.max_per_year_oku_yen, year)
            if ceiling is not None:
                t.check("vehicle_cap")
                if draws > ceiling:
                    t.fail(
                        "vehicle_cap",
                        v.id,
                        f"{fy(year)}: {v.id} pays {oku(draws)}, above its ceiling {oku(ceiling)} "
                        f"by {oku(draws - ceiling)} 億円",
                        year=year,
                        excess=draws - ceiling,
                    )
            if v.kind == "fund":
                t.check("fund_balance")
                balance += sum(a for y, a in v.inflow_oku_yen if y == year) - draws
                if balance < 0:
                    t.fail(
                        "fund_balance",
                        v.id,
                        f"{fy(year)}: fund {v.id} is drawn {oku(-balance)} 億円 below zero",
                        year=year,
                        excess=-balance,
                    )


def expected_ledger(plan: Plan, payments: Amounts, cells: ContractCells) -> list[dict[str, int]]:
    """``obligations.csv`` recomputed: one row per horizon year, then per later year with
    something due."""
    by_program = {p.program_id: p for p in plan.programs}
    last = plan.last_year
    new: dict[int, int] = {}
    later: dict[int, int] = {}
    paid: dict[int, int] = {}
    past_of_year: dict[int, int] = {}
    for pid, mine in payments.items():
        if not by_program[pid].is_contract:
            for y, a in mine.items():
                new[y] = new.get(y, 0) + a
        for y, a in mine.items():
            paid[y] = paid.get(y, 0) + a
    for pid, mine in cells.contracts.items():
        pattern = by_program[pid].contract_pattern or (Fraction(1),)
        for t_, c in mine.items():
            each = paid_each_year(c, pattern)
            new[t_] = new.get(t_, 0) + c
            later[t_] = later.get(t_, 0) + c - each[0]
            for k, a in enumerate(each):
                if t_ + k > last:
                    paid[t_ + k] = paid.get(t_ + k, 0) + a
                    past_of_year[t_] = past_of_year.get(t_, 0) + a
    earlier = obligations_by_year(plan, defense_only=False)
    end = max([last, *(y for y in (*paid, *earlier) if y > last)])
    owed = sum(earlier.values())
    past = sum(a for y, a in earlier.items() if y > last)
    rows = []
    for y in range(plan.first_year, end + 1):
        owed += new.get(y, 0) - paid.get(y, 0) - earlier.get(y, 0)
        past = past + past_of_year.get(y, 0) if y <= last else owed
        rows.append(
            {
                "fiscal_year": y,
                "new_contracts_oku_yen": new.get(y, 0),
                "new_obligations_oku_yen": later.get(y, 0),
                "paid_on_new_contracts_oku_yen": paid.get(y, 0),
                "paid_on_earlier_obligations_oku_yen": earlier.get(y, 0),
                "payments_total_oku_yen": paid.get(y, 0) + earlier.get(y, 0),
                "outstanding_end_oku_yen": owed,
                "owed_past_horizon_oku_yen": past,
            }
        )
    return rows


def check_ledger_file(
    plan: Plan, run_dir: Path, payments: Amounts, cells: ContractCells, t: Tally
) -> None:
    """``obligations.csv`` recomputes, row by row and cell by cell, from the schedule and the
    obligations file; its outstanding balance ends at zero."""
    rule = "obligations_ledger"
    table = read_table(run_dir / OBLIGATIONS_CSV, LEDGER_COLUMNS, t)
    if table is None:
        return
    want = expected_ledger(plan, payments, cells)
    got: dict[int, dict[str, str]] = {}
    for line, c in table:
        year = int_cell(c["fiscal_year"])
        if year is None or year in got:
            t.check(rule)
            t.fail(rule, OBLIGATIONS_CSV, f"obligations.csv row {line}: bad or repeated year")
            continue
        got[year] = c
    extra = sorted(set(got) - {r["fiscal_year"] for r in want})
    for year in extra:
        t.check(rule)
        t.fail(rule, OBLIGATIONS_CSV, f"{fy(year)}: obligations.csv has a row with nothing due")
    for row in want:
        year = row["fiscal_year"]
        t.check(rule)
        cells_of = got.get(year)
        if cells_of is None:
            t.fail(rule, OBLIGATIONS_CSV, f"{fy(year)}: obligations.csv has no row", year=year)
            continue
        inside = "yes" if year <= plan.last_year else "no"
        if text_cell(cells_of["in_horizon"]).strip() != inside:
            t.fail(
                rule,
                OBLIGATIONS_CSV,
                f"{fy(year)}: obligations.csv in_horizon is {cells_of['in_horizon']!r}, "
                f"expected {inside}",
                year=year,
            )
        for col, value in row.items():
            if col == "fiscal_year":
                continue
            t.check(rule)
            cell = int_cell(cells_of[col])
            if cell != value:
                t.fail(
                    rule,
                    OBLIGATIONS_CSV,
                    f"{fy(year)}: obligations.csv {col} is {cells_of[col]!r}, recomputed "
                    f"{oku(value)}",
                    year=year,
                    excess=None if cell is None else abs(cell - value),
                )
    t.check(rule)
    if want and want[-1]["outstanding_end_oku_yen"] != 0:
        t.fail(
            rule,
            OBLIGATIONS_CSV,
            f"the ledger does not close: {oku(want[-1]['outstanding_end_oku_yen'])} 億円 still "
            "owed after the last row",
        )


def check_programs_columns(
    plan: Plan, payments: Amounts, cells: ContractCells, table: Table, t: Tally
) -> None:
    """``programs.csv``'s contract columns: basis, total contracted, paid after the horizon."""
    rule = "programs_mismatch"
    rows = {text_cell(c.get("program_id")).strip(): c for _, c in table}
    for p in plan.programs:
        row = rows.get(p.program_id)
        if row is None:
            continue  # reported by the programs table's own rule
        past = 0
        if p.is_contract:
            mine = cells.contracts.get(p.program_id, {})
            contracted = str(sum(mine.values()))
            due = _all_payments(plan, p, mine)
            past = sum(a for y, a in due.items() if y > plan.last_year)
        else:  # contracted and paid at once: repeats the total (checked by its own rule)
            contracted = text_cell(row.get("total_oku_yen")).strip()
        expected = {
            "basis": p.basis,
            "contract_total_oku_yen": contracted,
            "paid_past_horizon_oku_yen": str(past),
        }
        for col, want in expected.items():
            t.check(rule)
            cell = text_cell(row.get(col)).strip()
            if cell != want:
                t.fail(
                    rule,
                    p.program_id,
                    f"{p.program_id}: programs.csv {col} is {cell!r}, expected {want!r}",
                )


def check_json_contracts(plan: Plan, record: RunRecord, cells: ContractCells, t: Tally) -> None:
    """``plan.json``'s contracts and vehicle payments are the schedule's."""
    rule = "plan_json_mismatch"
    t.check(rule)
    in_csv = sorted((pid, y, c) for pid, mine in cells.contracts.items() for y, c in mine.items())
    if sorted(record.contracts) != in_csv:
        diff = set(record.contracts) ^ set(in_csv)
        first = sorted(diff)[0]
        t.fail(
            rule,
            first[0],
            f"{fy(first[1])}: {first[0]}'s contract differs between schedule.csv and plan.json "
            f"contracts ({len(diff)} entries differ)",
            year=first[1],
        )
    if plan.vehicles:
        t.check(rule)
        csv_v = sorted((pid, y, v, a) for (pid, y, v), a in cells.vehicles.items())
        if sorted(record.vehicle_payments) != csv_v:
            t.fail(
                rule,
                "plan.json",
                "plan.json vehicle_payments differ from the paid_<vehicle> columns of schedule.csv",
            )


__all__ = [
    "ContractCells",
    "basis_amounts",
    "check_contract_payments",
    "check_contract_window",
    "check_json_contracts",
    "check_ledger_file",
    "check_new_contract_cap",
    "check_outstanding_cap",
    "check_programs_columns",
    "check_vehicles",
    "decisions",
    "expected_ledger",
    "obligations_by_year",
    "outstanding_by_year",
    "paid_each_year",
    "read_contract_cells",
]
