"""The actuals file of a re-plan: what each program executed (決算) in the fiscal years before
``--from``. Read and checked here; the model fixes those years to it
(:mod:`allocator.optim.families.actuals`), the verifier checks them
(:mod:`allocator.run.verify.actual_rules`).

Columns (docs/plan-format.md, "Actuals"): ``fiscal_year``, ``program_id``,
``executed_oku_yen`` (required); ``contracted_oku_yen`` (contract-based programs: reserved),
``units`` (programs bought in whole units); any other column (``source``, ``note``, ...) is
kept in the file but not read. A bad row is refused with the file, the row, the column and the
fix (exit code 3), before anything is solved or written.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from pathlib import Path

from allocator.errors import PlanError, UsageError
from allocator.formatting import fy, oku
from allocator.plan.contracts import format_pattern
from allocator.plan.csvfile import CsvTable, cell_int, read_csv
from allocator.plan.schema import Actual, Actuals, Plan

ACTUALS_REQUIRED = ["fiscal_year", "program_id", "executed_oku_yen"]
ACTUALS_NAME = "actuals.csv"
"""The actuals' name inside a run folder's ``inputs/``."""


def check_from_year(plan: Plan, from_year: int) -> None:
    """``--from`` names a fiscal year of the horizon (the first one re-planned).

    Raises UsageError otherwise.
    """
    if not plan.first_year <= from_year <= plan.last_year:
        raise UsageError(
            "--from",
            f"{from_year} is not a fiscal year of the plan ({plan.first_year}–{plan.last_year})",
            "give the first fiscal year to plan again; the years before it are fixed to the "
            "actuals",
        )


def read_actuals(path: Path, plan: Plan, from_year: int) -> Actuals:
    """Read and check the actuals file against ``plan``, fixing the years before ``from_year``.

    Raises
    ------
    PlanError
        For a missing or malformed file, an unknown program, a year not before ``from_year``
        or before the plan starts, a year outside the program's window, a negative or
        non-integer amount, two rows for the same program and year, ``units`` for a program
        without a unit cost, or actuals that fund more programs of a ``[[groups]]`` entry than
        its ``at_most`` allows.
    UsageError
        If ``from_year`` is not a year of the horizon.
    """
    check_from_year(plan, from_year)
    path = Path(path)
    t = read_csv(path, ACTUALS_REQUIRED, allowed=None)
    programs = {p.program_id: p for p in plan.programs}
    rows: list[Actual] = []
    seen: dict[tuple[str, int], int] = {}
    notes: list[str] = []
    for row, c in t.rows:
        pid = c["program_id"]
        p = programs.get(pid)
        if p is None:
            close = difflib.get_close_matches(pid, list(programs), n=1)
            raise PlanError(
                path,
                f"unknown program {pid!r}" if pid else "program_id is empty",
                row=row,
                column="program_id",
                fix=(f"did you mean {close[0]}? " if close else "")
                + "use a program_id of the plan's programs.csv",
            )
        year = cell_int(t, row, "fiscal_year", c["fiscal_year"])
        if year >= from_year:
            raise PlanError(
                path,
                f"{fy(year)} is not before --from {from_year}: only years already executed "
                "are fixed",
                row=row,
                column="fiscal_year",
                fix=f"remove the row, or re-plan from a later year (--from {year + 1})",
            )
        if year < plan.first_year:
            raise PlanError(
                path,
                f"{fy(year)} is before the plan starts ({fy(plan.first_year)})",
                row=row,
                column="fiscal_year",
                fix="give actuals only for fiscal years of the plan's horizon",
            )
        executed = _amount(t, row, c, "executed_oku_yen", required=True)
        assert executed is not None
        if executed and year not in p.window:
            raise PlanError(
                path,
                f"{pid} executed {oku(executed)} 億円 in {fy(year)}, outside its window "
                f"{p.window_first_year}–{p.window_last_year}",
                row=row,
                column="fiscal_year",
                fix="correct the year, or widen the program's window in programs.csv",
            )
        if (pid, year) in seen:
            raise PlanError(
                path,
                f"{pid} in {fy(year)} appears twice (rows {seen[pid, year]} and {row})",
                row=row,
                column="program_id",
                fix="keep one row per program and fiscal year (add the amounts together)",
            )
        seen[pid, year] = row
        contracted = _amount(t, row, c, "contracted_oku_yen", required=False)
        if p.is_contract and executed and contracted is None:
            # a contract program's decision is what it contracts; what it pays follows its
            # payment pattern, so the fixed year needs the contract amount
            raise PlanError(
                path,
                f"{pid} is a multi-year contract program (pattern "
                f"{format_pattern(p.contract_pattern or ())}) and executed {oku(executed)} 億円 "
                f"in {fy(year)}, but contracted_oku_yen is empty",
                row=row,
                column="contracted_oku_yen",
                fix="give what was contracted that year (契約額; 0 if nothing was)",
            )
        units = _units(t, row, c, plan, pid, executed, year, notes)
        rows.append(
            Actual(
                fiscal_year=year,
                program_id=pid,
                executed_oku_yen=executed,
                contracted_oku_yen=contracted,
                units=units,
                row=row,
            )
        )
    actuals = Actuals(
        from_year=from_year,
        rows=tuple(sorted(rows, key=lambda a: (a.fiscal_year, a.program_id))),
        file=str(path),
        sha256=hashlib.sha256(t.raw).hexdigest(),
        notes=tuple(notes),
    )
    check_actual_groups(plan, actuals, path)
    return actuals


def _amount(t: CsvTable, row: int, c: Mapping[str, str], col: str, *, required: bool) -> int | None:
    text = c.get(col, "")
    if text == "":
        if required:
            raise PlanError(
                t.path,
                f"{col} is empty",
                row=row,
                column=col,
                fix="give the 億円 executed (0 if nothing was spent)",
            )
        return None
    return cell_int(t, row, col, text, minimum=0)


def _units(
    t: CsvTable,
    row: int,
    c: Mapping[str, str],
    plan: Plan,
    pid: str,
    executed: int,
    year: int,
    notes: list[str],
) -> int | None:
    p = plan.program(pid)
    text = c.get("units", "")
    cost = p.unit_cost_oku_yen
    if cost is None:
        if text:
            raise PlanError(
                t.path,
                f"{pid} is not bought in units (no unit_cost_oku_yen)",
                row=row,
                column="units",
                fix="leave the units cell empty for this program",
            )
        return None
    if text:
        return cell_int(t, row, "units", text, minimum=0)
    if executed % cost:
        notes.append(
            f"{pid} {fy(year)}: {oku(executed)} 億円 executed is not a whole number of units of "
            f"{oku(cost)} 億円: {executed // cost} units counted (give a units column to say "
            "otherwise)"
        )
    return executed // cost


def check_actual_groups(plan: Plan, actuals: Actuals, path: Path) -> None:
    """Actuals cannot fund more programs of a group than its ``at_most`` allows: the past
    cannot be re-planned, so the group (or the actuals) must be corrected."""
    spent = {pid for (pid, _), a in actuals.executed().items() if a > 0}
    for g in plan.groups:
        if g.at_most is None:
            continue
        funded = [pid for pid in g.programs if pid in spent]
        if len(funded) > g.at_most:
            raise PlanError(
                path,
                f"{', '.join(funded)} all have money executed, but plan.toml {g.label} funds at "
                f"most {g.at_most} of {', '.join(g.programs)}",
                column="program_id",
                fix="correct the actuals, or the group's at_most in plan.toml",
            )


def check_complete(actuals: Actuals, approved: Mapping[tuple[str, int], int], plan: Plan) -> None:
    """Every program and fixed year with money in the approved plan has an actuals row: a
    missing row is refused rather than read as "nothing spent".

    Raises PlanError naming the actuals file, the program and year, and the approved amount.
    """
    have = actuals.executed()
    known = {p.program_id for p in plan.programs}
    for (pid, year), amount in sorted(approved.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if year < actuals.from_year and amount and (pid, year) not in have and pid in known:
            raise PlanError(
                actuals.file,
                f"no row for {pid} in {fy(year)}, where the approved plan has {oku(amount)} 億円",
                column="program_id",
                fix=f"add a row {year},{pid},<億円 executed> (0 if nothing was spent)",
            )


def with_actuals(plan: Plan, actuals: Actuals) -> Plan:
    """``plan`` with its years before ``actuals.from_year`` fixed to ``actuals``: the file
    joins the plan's inputs (copied into the run folder as ``actuals.csv``) and its digest and
    ``--from`` the plan's input hash."""
    digest = hashlib.sha256()
    digest.update(plan.input_hash.encode())
    digest.update(actuals.sha256.encode())
    digest.update(str(actuals.from_year).encode())
    return plan.model_copy(
        update={
            "actuals": actuals,
            "input_files": (*plan.input_files, (actuals.file, actuals.name)),
            "input_hash": digest.hexdigest(),
            "notes": (*plan.notes, *actuals.notes),
        }
    )


__all__ = [
    "ACTUALS_NAME",
    "check_complete",
    "check_from_year",
    "read_actuals",
    "with_actuals",
]
