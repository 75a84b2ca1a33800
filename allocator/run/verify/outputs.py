"""The output files against the schedule: ``summary.csv``, ``programs.csv``, ``plan.json`` and
the copies in ``inputs/``."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from allocator.constants import INPUTS_DIR
from allocator.formatting import format_cap, fy, oku
from allocator.plan.schema import Plan
from allocator.run.record import RunRecord
from allocator.run.verify.common import (
    SIX_DECIMALS_RE,
    Amounts,
    Table,
    exact_cap,
    fiscal_ceiling,
    int_cell,
    paid_years,
    text_cell,
    total_of,
    year_total,
    yes_no,
)
from allocator.run.verify.contract_rules import obligations_by_year
from allocator.run.verify.files import ScheduleRow
from allocator.run.verify.tally import Tally


def _ratio_cell_ok(cell: str, exact: Fraction) -> bool:
    """``cell`` is ``exact`` written with 6 decimals (either rounding of a tie accepted)."""
    s = cell.strip()
    if not SIX_DECIMALS_RE.fullmatch(s):
        return False
    return abs(Fraction(s) - exact) <= Fraction(1, 2_000_000)


def summary_expected(
    plan: Plan, amounts: Amounts, year: int, contracts: Amounts | None = None
) -> dict[str, int | None]:
    """The integer columns of ``summary.csv`` for ``year``, recomputed from the schedule
    (``contracts``: what each program contracts, for the contract columns)."""
    defence = [p for p in plan.programs if plan.counts_toward_defense(p)]
    other = [p for p in plan.programs if not plan.counts_toward_defense(p)]
    d = year_total(amounts, year, defence)
    o = year_total(amounts, year, other)
    base = plan.baseline(year)
    owed = obligations_by_year(plan, defense_only=True).get(year, 0)
    cap = exact_cap(plan, year)
    out: dict[str, int | None] = {
        "gdp_oku_yen": plan.gdp(year),
        "cap_oku_yen": cap,
        "baseline_oku_yen": base,
        "defense_alloc_oku_yen": d,
        "other_alloc_oku_yen": o,
        "defense_total_oku_yen": base + owed + d,
        "headroom_oku_yen": cap - base - owed - d,
        "new_total_oku_yen": d + o,
        "fiscal_ceiling_oku_yen": fiscal_ceiling(plan, year),
        "obligations_oku_yen": owed,
    }
    if contracts is not None:
        out["defense_contract_oku_yen"] = year_total(contracts, year, defence)
        out["other_contract_oku_yen"] = year_total(contracts, year, other)
    return out


def check_summary(
    plan: Plan, amounts: Amounts, table: Table, t: Tally, *, contracts: Amounts | None = None
) -> None:
    """``summary.csv`` has one row per horizon year and every column recomputes."""
    rule = "summary_mismatch"
    by_year: dict[int, dict[str, str]] = {}
    for line, c in table:
        year = int_cell(c["fiscal_year"])
        if year is None or year not in plan.fiscal_years or year in by_year:
            t.check(rule)
            what = "a duplicate" if year in by_year else "not a fiscal year of the horizon"
            t.fail(rule, "summary.csv", f"summary.csv row {line}: {c['fiscal_year']!r} is {what}")
            continue
        by_year[year] = c
    for year in plan.fiscal_years:
        t.check(rule)
        row = by_year.get(year)
        if row is None:
            t.fail(rule, "summary.csv", f"{fy(year)}: summary.csv has no row", year=year)
            continue
        expected = summary_expected(plan, amounts, year, contracts)
        for col, want in expected.items():
            t.check(rule)
            if col not in row:
                t.fail(rule, "summary.csv", f"summary.csv has no column {col}")
                continue
            cell = row[col].strip()
            got = int_cell(cell)
            if (want is None and cell == "") or (want is not None and got == want):
                continue
            diff = abs(got - want) if got is not None and want is not None else None
            t.fail(
                rule,
                "summary.csv",
                f"{fy(year)}: summary.csv {col} is {cell!r}, recomputed "
                f"{'(empty)' if want is None else oku(want)}",
                year=year,
                excess=diff,
            )
        gdp = plan.gdp(year)
        ratios = {
            "cap_ratio": Fraction(plan.cap.ratio),
            "gdp_ratio": Fraction(
                plan.baseline(year)
                + (expected["obligations_oku_yen"] or 0)
                + (expected["defense_alloc_oku_yen"] or 0)
            )
            / gdp,
        }
        for col, exact in ratios.items():
            t.check(rule)
            if not _ratio_cell_ok(row[col], exact):
                t.fail(
                    rule,
                    "summary.csv",
                    f"{fy(year)}: summary.csv {col} is {row[col]!r}, recomputed {float(exact):.6f}",
                    year=year,
                )


def check_programs_table(plan: Plan, amounts: Amounts, table: Table, t: Tally) -> None:
    """``programs.csv``: one row per program, repeating the plan and matching the schedule."""
    rule = "programs_mismatch"
    rows: dict[str, dict[str, str]] = {}
    known = {p.program_id for p in plan.programs}
    for line, c in table:
        pid = text_cell(c["program_id"]).strip()
        if pid not in known or pid in rows:
            t.check(rule)
            what = "listed twice" if pid in rows else "not a program of the plan"
            t.fail(rule, pid or "programs.csv", f"programs.csv row {line}: {pid!r} is {what}")
            continue
        rows[pid] = c
    for p in plan.programs:
        t.check(rule)
        row = rows.get(p.program_id)
        if row is None:
            t.fail(rule, p.program_id, f"{p.program_id} has no row in programs.csv")
            continue
        paid = paid_years(amounts, p.program_id)
        expected = {
            "name_ja": p.name_ja,
            "name_en": p.name_en,
            "area": p.area,
            "phase": p.phase,
            "rank": str(p.rank),
            "total_oku_yen": str(total_of(amounts, p.program_id)),
            "low_oku_yen": str(p.low_oku_yen),
            "high_oku_yen": str(p.high_oku_yen),
            "first_funded_year": str(paid[0]) if paid else "",
            "last_funded_year": str(paid[-1]) if paid else "",
            "window_first_year": str(p.window_first_year),
            "window_last_year": str(p.window_last_year),
            "mandatory": "yes" if p.mandatory else "no",
        }
        for col, want in expected.items():
            cell = text_cell(row[col]).strip()
            if cell == want:
                continue
            got, w = int_cell(cell), int_cell(want)
            money = col.endswith("_oku_yen") and got is not None and w is not None
            t.fail(
                rule,
                p.program_id,
                f"{p.program_id}: programs.csv {col} is {cell!r}, expected {want!r}",
                excess=abs(got - w) if money and got is not None and w is not None else None,
            )
        if yes_no(row["funded"]) is None:
            t.fail(
                rule,
                p.program_id,
                f"{p.program_id}: programs.csv funded is {row['funded']!r}, not yes or no",
            )


def check_plan_json(
    plan: Plan,
    record: RunRecord,
    rows: Sequence[ScheduleRow] | None,
    funded: dict[str, bool] | None,
    t: Tally,
) -> None:
    """``plan.json`` agrees with the reloaded plan, its inputs, the schedule and programs.csv.

    ``rows`` and ``funded`` are None for a run without a schedule.
    """
    check_json_plan_block(plan, record, t)
    check_json_status(record, t)
    if rows is not None:
        check_json_allocations(record, rows, t)
    if funded is not None:
        check_json_funded(plan, record, funded, t)


def check_json_plan_block(plan: Plan, record: RunRecord, t: Tally) -> None:
    rule = "plan_json_mismatch"
    block = record.plan
    expected: dict[str, object] = {
        "first_year": plan.first_year,
        "years": plan.years,
        "gdp_case": plan.gdp_case,
        "cap_base": plan.cap.base,
        "cap_base_year": plan.cap.base_year,
    }
    for key, want in expected.items():
        t.check(rule)
        got = getattr(block, key)
        if got != want:
            t.fail(
                rule,
                "plan.json",
                f"plan.json plan.{key} is {got!r}, the reloaded plan has {want!r}",
            )
    t.check(rule)
    try:
        ratio = Fraction(block.cap_ratio)
    except (ValueError, ZeroDivisionError):
        ratio = None
    if ratio != plan.cap.ratio:
        t.fail(
            rule,
            "plan.json",
            f"plan.json plan.cap_ratio is {block.cap_ratio!r}, the options give "
            f"{plan.cap.ratio} ({format_cap(plan.cap.ratio)})",
        )
    t.check(rule)
    if record.input_hash != plan.input_hash:
        t.fail(
            rule,
            "plan.json",
            "plan.json input_hash differs from the hash of inputs/ with the stored options: "
            "the inputs or options were changed after the run",
        )


def check_input_files(run_dir: Path, record: RunRecord, t: Tally) -> None:
    """Every file listed under ``inputs`` in ``plan.json`` is in ``inputs/`` unchanged."""
    if not record.inputs:
        t.check("file")
        t.fail("file", "plan.json", "plan.json has no inputs listing")
        return
    for name, digest in sorted(record.inputs.items()):
        t.check("file")
        path = run_dir / INPUTS_DIR / str(name)
        if not path.is_file():
            t.fail("file", str(name), f"{INPUTS_DIR}/{name} is missing")
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            t.fail(
                "file",
                str(name),
                f"{INPUTS_DIR}/{name} differs from the file the run was made from (sha256)",
            )


def check_json_status(record: RunRecord, t: Tally) -> None:
    rule = "plan_json_mismatch"
    status = record.status
    t.check(rule)
    if record.optimal is not (status == "optimal"):
        t.fail(
            rule,
            "plan.json",
            f"plan.json optimal is {record.optimal!r} but status is {status!r}",
        )
    if status != "optimal":
        return
    for i, s in enumerate(record.stages, start=1):
        t.check(rule)
        if s.status != "optimal":
            which = f"rank {s.rank}" if s.rank is not None else f"stage {i}"
            t.fail(
                rule,
                "plan.json",
                f"plan.json says optimal but {which} has status {s.status!r}",
            )


def check_json_allocations(record: RunRecord, rows: Sequence[ScheduleRow], t: Tally) -> None:
    rule = "plan_json_mismatch"
    in_json: Counter[tuple[str, int, int, int | None]] = Counter(record.allocations)
    in_csv: Counter[tuple[str, int, int, int | None]] = Counter(
        (r.program_id, r.fiscal_year, r.amount, r.units) for r in rows
    )
    t.check(rule, max(len(in_json), len(in_csv), 1))
    json_by: dict[tuple[str, int], list[tuple[int, int | None]]] = {}
    csv_by: dict[tuple[str, int], list[tuple[int, int | None]]] = {}
    for (pid, year, amount, units), n in (in_json - in_csv).items():
        json_by.setdefault((pid, year), []).extend([(amount, units)] * n)
    for (pid, year, amount, units), n in (in_csv - in_json).items():
        csv_by.setdefault((pid, year), []).extend([(amount, units)] * n)
    for pid, year in sorted(set(json_by) | set(csv_by)):
        j, c = json_by.get((pid, year), []), csv_by.get((pid, year), [])
        diff = None
        if len(j) == 1 and len(c) == 1:
            diff = abs(j[0][0] - c[0][0]) or None
        t.fail(
            rule,
            pid,
            f"{fy(year)}: {pid} is {_alloc_text(c)} in schedule.csv but "
            f"{_alloc_text(j)} in plan.json allocations",
            year=year,
            excess=diff,
        )


def _alloc_text(items: list[tuple[int, int | None]]) -> str:
    if not items:
        return "absent"
    return " and ".join(
        f"{oku(a)} 億円" + (f" ({u} units)" if u is not None else "") for a, u in items
    )


def check_json_funded(plan: Plan, record: RunRecord, funded: dict[str, bool], t: Tally) -> None:
    rule = "plan_json_mismatch"
    for p in plan.programs:
        t.check(rule)
        got = record.funded.get(p.program_id)
        if got is not funded[p.program_id]:
            t.fail(
                rule,
                p.program_id,
                f"{p.program_id}: plan.json funded is {got!r}, programs.csv says "
                f"{'yes' if funded[p.program_id] else 'no'}",
            )
