"""Reading the run folder: its CSV tables, ``plan.json``, the plan reloaded from ``inputs/``, and
the schedule's rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from allocator.constants import INPUTS_DIR, PLAN_JSON
from allocator.errors import AllocatorError
from allocator.formatting import fy, oku
from allocator.plan.loading import load_plan
from allocator.plan.schema import Plan
from allocator.run.record import RecordError, RunRecord
from allocator.run.verify.common import (
    Amounts,
    Table,
    int_cell,
    text_cell,
    total_of,
    yes_no,
)
from allocator.run.verify.tally import Tally


def read_table(path: Path, columns: Sequence[str], t: Tally) -> Table | None:
    """Read a CSV file of the run folder (UTF-8 with or without BOM).

    Returns None, after recording a ``file`` violation, when the file is missing, unreadable or
    lacks a column; a row whose cell count differs from the header's is reported and skipped.
    """
    t.check("file")
    name = path.name
    if not path.is_file():
        t.fail("file", name, f"{name} is missing from the run folder")
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
        all_rows = list(csv.reader(io.StringIO(text, newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        t.fail("file", name, f"{name} cannot be read as a UTF-8 CSV file: {exc}")
        return None
    if not all_rows:
        t.fail("file", name, f"{name} is empty (not even a header row)")
        return None
    header = [h.strip() for h in all_rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        t.fail("file", name, f"{name}: the header lacks column(s) {', '.join(missing)}")
        return None
    rows: Table = []
    for line, cells in enumerate(all_rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            t.fail(
                "file",
                name,
                f"{name} row {line} has {len(cells)} cells but the header has {len(header)}",
            )
            continue
        rows.append((line, dict(zip(header, cells, strict=True))))
    return rows


def read_record(run_dir: Path, t: Tally) -> RunRecord | None:
    """``plan.json`` read by :class:`~allocator.run.record.RunRecord`; None (a ``file``
    violation recorded) when it is missing or not a run record."""
    t.check("file")
    path = run_dir / PLAN_JSON
    if not path.is_file():
        t.fail(
            "file",
            PLAN_JSON,
            f"{run_dir}: plan.json is missing — this is not a run folder written by allocate",
        )
        return None
    try:
        return RunRecord.read(path)
    except RecordError as exc:
        message = str(exc).replace(f"{path}: ", "plan.json ", 1)
        t.fail("file", PLAN_JSON, message)
        return None


def reload_plan(run_dir: Path, record: RunRecord, t: Tally) -> Plan | None:
    """The plan reloaded from ``inputs/`` with the run's options; None when it cannot be."""
    t.check("file")
    inputs = run_dir / INPUTS_DIR
    if not inputs.is_dir():
        t.fail(
            "file",
            INPUTS_DIR,
            f"{run_dir}: the {INPUTS_DIR}/ folder is missing — the run cannot be recomputed",
        )
        return None
    toml = inputs / "plan.toml"
    if not toml.is_file():
        t.fail(
            "file",
            "plan.toml",
            f"{INPUTS_DIR}/plan.toml is missing — the run cannot be recomputed",
        )
        return None
    try:
        overrides = record.options.overrides()
    except AllocatorError as exc:
        t.fail("file", PLAN_JSON, f"plan.json options cannot be used: {exc}")
        return None
    try:
        return load_plan(toml, overrides)
    except AllocatorError as exc:
        t.fail("file", "plan.toml", f"the plan in {INPUTS_DIR}/ does not load: {exc}")
        return None


@dataclass(frozen=True)
class ScheduleRow:
    """One parsed row of ``schedule.csv`` naming a known program."""

    line: int
    program_id: str
    fiscal_year: int
    amount: int
    units: int | None
    units_text: str
    contract: int = 0
    """``contract_oku_yen`` (the amount for a program without a contract pattern; 0 when the
    cell is not a whole number, which the contract rules report)."""


def check_schedule_rows(plan: Plan, table: Table, t: Tally) -> list[ScheduleRow]:
    """Parse ``schedule.csv`` and check each row's form (rule ``schedule_row``).

    A row must name a known program, have integer year and a positive integer amount, repeat
    the plan's name, area, phase, rank and defence setting, and be the only row of its
    (program, year). Rows that cannot be attributed to a program and year are left out of the
    returned list; all others are kept (so that their money is counted by every rule).
    """
    programs = {p.program_id: p for p in plan.programs}
    seen: dict[tuple[str, int], int] = {}
    out: list[ScheduleRow] = []
    for line, c in table:
        t.check("schedule_row")
        where = f"schedule.csv row {line}"
        pid = text_cell(c["program_id"]).strip()
        p = programs.get(pid)
        if p is None:
            t.fail("schedule_row", pid or "schedule.csv", f"{where}: unknown program {pid!r}")
            continue
        year = int_cell(c["fiscal_year"])
        if year is None:
            t.fail(
                "schedule_row",
                pid,
                f"{where}: fiscal_year {c['fiscal_year']!r} of {pid} is not a year",
            )
            continue
        amount = int_cell(c["amount_oku_yen"])
        if amount is None:
            t.fail(
                "schedule_row",
                pid,
                f"{fy(year)}: {pid} amount {c['amount_oku_yen']!r} in {where} is not a whole "
                "number of 億円",
                year=year,
            )
            continue
        contract = int_cell(c.get("contract_oku_yen")) if p.is_contract else amount
        contract = contract or 0
        if amount < 0 or (amount == 0 and contract <= 0):
            t.fail(
                "schedule_row",
                pid,
                f"{fy(year)}: {pid} has amount {oku(amount)} 億円 in {where}; "
                "schedule rows must be positive (or, for a contract program, contract something)",
                year=year,
            )
        units_text = c["units"].strip()
        units = int_cell(units_text) if units_text else None
        expected = {
            "name_ja": p.name_ja,
            "name_en": p.name_en,
            "area": p.area,
            "phase": p.phase,
            "rank": str(p.rank),
            "counts_toward_defense": "yes" if plan.counts_toward_defense(p) else "no",
        }
        wrong = [k for k, v in expected.items() if text_cell(c[k]).strip() != v]
        if wrong:
            t.fail(
                "schedule_row",
                pid,
                f"{fy(year)}: {pid} in {where} has {', '.join(wrong)} different from the plan",
                year=year,
            )
        key = (pid, year)
        if key in seen:
            t.fail(
                "schedule_row",
                pid,
                f"{fy(year)}: {pid} appears twice in schedule.csv (rows {seen[key]} and {line})",
                year=year,
            )
        else:
            seen[key] = line
        out.append(ScheduleRow(line, pid, year, amount, units, units_text, contract))
    return out


def amounts_by_program(rows: Iterable[ScheduleRow]) -> Amounts:
    """{program_id: {fiscal_year: 億円}}, summing duplicate rows."""
    out: Amounts = {}
    for r in rows:
        mine = out.setdefault(r.program_id, {})
        mine[r.fiscal_year] = mine.get(r.fiscal_year, 0) + r.amount
    return out


def funded_map(
    plan: Plan, programs_table: Table | None, record: RunRecord, amounts: Amounts
) -> dict[str, bool]:
    """Whether each program is funded: ``programs.csv`` first, then ``plan.json``, then money."""
    from_csv: dict[str, bool] = {}
    for _, c in programs_table or []:
        flag = yes_no(c.get("funded"))
        if flag is not None:
            from_csv.setdefault(text_cell(c["program_id"]).strip(), flag)
    json_map = record.funded
    out: dict[str, bool] = {}
    for p in plan.programs:
        pid = p.program_id
        if pid in from_csv:
            out[pid] = from_csv[pid]
        elif isinstance(json_map.get(pid), bool):
            out[pid] = json_map[pid]
        else:
            out[pid] = total_of(amounts, pid) > 0
    return out
