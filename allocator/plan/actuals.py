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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allocator.errors import PlanError, UsageError
from allocator.formatting import fy, oku
from allocator.plan.csvfile import CsvTable, cell_int, read_csv
from allocator.plan.schema import MULTI_PHASE, Actual, Actuals, Plan, Program

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


def _amount(
    t: CsvTable, row: int, c: Mapping[str, str], col: str, *, required: bool
) -> int | None:
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


def fixed_cells(plan: Plan) -> dict[tuple[str, int], tuple[int, int | None]]:
    """{(program_id, fiscal_year): (億円 executed, units)} for every program and fixed year
    (0 where the actuals have no row): the cells a re-plan does not choose."""
    if plan.actuals is None:
        return {}
    rows = {(a.program_id, a.fiscal_year): a for a in plan.actuals.rows}
    out: dict[tuple[str, int], tuple[int, int | None]] = {}
    for p in plan.programs:
        for y in plan.fixed_years:
            a = rows.get((p.program_id, y))
            if a is not None:
                out[p.program_id, y] = (a.executed_oku_yen, a.units)
            elif y in p.window:
                out[p.program_id, y] = (0, 0 if p.unit_cost_oku_yen is not None else None)
    return out


# ---------------------------------------------------------------------------------------------
# rules the actuals already break


@dataclass(frozen=True)
class Breach:
    """A rule the executed amounts already break (or, for a floor, can no longer meet): a
    fact about the fixed years that a re-plan reports and cannot undo.

    ``family`` and ``index`` name the model's row (docs/model.md); ``action`` says what the
    re-plan does with it: ``past`` (a rule about a fixed year: not applied to it),
    ``ceiling_reached`` (a total the fixed years already exceed: nothing more is planned
    under it), ``floor_missed`` (a floor whose years are all fixed: not applied).
    """

    family: str
    index: tuple[str | int, ...]
    subject: str
    fiscal_year: int | None
    excess_oku_yen: int
    action: str
    en: str
    ja: str


CEILING_FAMILIES = ("range_high", "area_high", "phase_high", "bound_high", "fiscal_total_cap")
FLOOR_FAMILIES = ("range_low", "area_low", "phase_low", "bound_low", "mandatory")


def _free_years(plan: Plan, p: Program) -> list[int]:
    """The years of ``p``'s window that a re-plan still chooses."""
    assert plan.actuals is not None
    return [y for y in plan.fiscal_years if y in p.window and y >= plan.actuals.from_year]


def past_breaches(plan: Plan) -> list[Breach]:
    """Every rule the fixed years break, in the order of docs/model.md's families; empty
    outside a re-plan. Computed from the plan and the actuals alone."""
    if plan.actuals is None:
        return []
    cells = {k: a for k, (a, _) in fixed_cells(plan).items()}
    fixed = plan.fixed_years
    out: list[Breach] = []

    def paid(pid: str, y: int) -> int:
        return cells.get((pid, y), 0)

    def add(family: str, index: tuple[str | int, ...], subject: str, year: int | None,
            excess: int, action: str, en: str, ja: str) -> None:  # fmt: skip
        out.append(Breach(family, index, subject, year, excess, action, en, ja))

    for p in plan.programs:
        pid = p.program_id
        ub = min(p.high_oku_yen, p.max_per_year_oku_yen or p.high_oku_yen)
        prev = 0
        for y in fixed:
            a = paid(pid, y)
            if p.payment_profile is None and y in p.window and a > ub:
                add("year_max", (pid, y), pid, y, a - ub, "past",
                    f"{fy(y)}: {pid} executed {oku(a)} 億円, above its per-year maximum {oku(ub)}",
                    f"{fy(y, 'ja')}: {pid} の執行 {oku(a)} 億円は年度上限 {oku(ub)} を超過")  # fmt: skip
            if p.max_ramp_oku_yen is not None and p.payment_profile is None and y in p.window:
                if a - prev > p.max_ramp_oku_yen:
                    add("ramp", (pid, y), pid, y, a - prev - p.max_ramp_oku_yen, "past",
                        f"{fy(y)}: {pid} rose by {oku(a - prev)} 億円, above its ramp limit "
                        f"{oku(p.max_ramp_oku_yen)}",
                        f"{fy(y, 'ja')}: {pid} の増加 {oku(a - prev)} 億円は増加上限 "
                        f"{oku(p.max_ramp_oku_yen)} を超過")  # fmt: skip
            if y in p.window:
                prev = a
            if p.payment_profile is not None and y in p.window and y >= p.window_first_year:
                want = p.profile.get(y, 0)
                spent_any = any(paid(pid, t) for t in fixed)
                if spent_any and a != want:
                    add("payment_profile", (pid, y), pid, y, abs(a - want), "past",
                        f"{fy(y)}: {pid} paid {oku(a)} 億円 against its contract payment "
                        f"{oku(want)}",
                        f"{fy(y, 'ja')}: {pid} の支払 {oku(a)} 億円(契約上の支払 {oku(want)})")  # fmt: skip
        past = sum(paid(pid, y) for y in fixed)
        free = _free_years(plan, p)
        if p.payment_profile is None and past > p.high_oku_yen:
            add("range_high", (pid,), pid, None, past - p.high_oku_yen, "ceiling_reached",
                f"{pid} has executed {oku(past)} 億円, above its high {oku(p.high_oku_yen)}: "
                "nothing more is planned for it",
                f"{pid} の執行累計 {oku(past)} 億円は上限 {oku(p.high_oku_yen)} を超過(以後の配分なし)")  # fmt: skip
        low = max(p.low_oku_yen, 1)
        if p.payment_profile is None and not free and 0 < past < low:
            add("range_low", (pid,), pid, None, low - past, "floor_missed",
                f"{pid} executed {oku(past)} 億円, below its low {oku(low)}, and its window "
                "has closed",
                f"{pid} の執行累計 {oku(past)} 億円は下限 {oku(low)} に届かず、実施可能期間は終了")  # fmt: skip
        if p.mandatory and not free and past == 0:
            add("mandatory", (pid,), pid, None, low, "floor_missed",
                f"mandatory program {pid} executed nothing and its window has closed",
                f"必須事業 {pid} は執行がなく、実施可能期間は終了")  # fmt: skip
        for link in p.predecessors:
            qid = link.program_id
            for y in fixed:
                a = paid(pid, y)
                if not a:
                    continue
                if link.kind == "start" and not any(paid(qid, t) for t in fixed if t <= y):
                    add("after_start", (pid, qid, y), pid, y, a, "past",
                        f"{fy(y)}: {pid} paid {oku(a)} 億円 before its predecessor {qid} started",
                        f"{fy(y, 'ja')}: {pid} は先行事業 {qid} の開始前に {oku(a)} 億円を支払")  # fmt: skip
                if link.kind == "finish" and any(paid(qid, t) for t in fixed if t >= y):
                    add("after_finish", (pid, qid, y), pid, y, a, "past",
                        f"{fy(y)}: {pid} paid {oku(a)} 億円 before its predecessor {qid} finished",
                        f"{fy(y, 'ja')}: {pid} は先行事業 {qid} の完了前に {oku(a)} 億円を支払")  # fmt: skip
    _aggregate_breaches(plan, cells, add)
    for y in fixed:
        spend = sum(paid(p.program_id, y) for p in plan.programs if plan.counts_toward_defense(p))
        room = plan.cap_room(y)
        if spend > room:
            add("gdp_cap", (y,), "horizon", y, spend - room, "past",
                f"{fy(y)}: defence spending executed was {oku(spend - room)} 億円 above the cap",
                f"{fy(y, 'ja')}: 防衛費の執行はGDP比上限を {oku(spend - room)} 億円超過")  # fmt: skip
        total = sum(paid(p.program_id, y) for p in plan.programs)
        ceiling = plan.fiscal.ceiling(y)
        if ceiling is not None and total > ceiling:
            add("fiscal_year_cap", (y,), "horizon", y, total - ceiling, "past",
                f"{fy(y)}: new spending executed was {oku(total - ceiling)} 億円 above the "
                "year's fiscal ceiling",
                f"{fy(y, 'ja')}: 新規支出の執行は年度の財政上限を {oku(total - ceiling)} 億円超過")  # fmt: skip
        growth = plan.fiscal.max_growth_ratio
        if growth is not None and y > plan.first_year:
            before = sum(paid(p.program_id, y - 1) for p in plan.programs)
            allowed = (1 + growth) * before
            if total > allowed * (1 + 1e-9):
                add("fiscal_growth", (y,), "horizon", y, round(total - allowed), "past",
                    f"{fy(y)}: new spending executed grew above the growth limit",
                    f"{fy(y, 'ja')}: 新規支出の執行は伸び率上限を超過")  # fmt: skip
    return out


def _aggregate_breaches(plan: Plan, cells: Mapping[tuple[str, int], int], add: Any) -> None:
    """Totals of areas, phases, bounds and the horizon ceiling that the fixed years already
    exceed, and floors whose years are all fixed and not met."""
    assert plan.actuals is not None
    start = plan.actuals.from_year

    def scope_sum(programs: list[Program], first: int, last: int) -> tuple[int, bool]:
        past = sum(a for (pid, y), a in cells.items()
                   if first <= y <= last and pid in {p.program_id for p in programs})  # fmt: skip
        free = any(
            y in p.window and first <= y <= last and y >= start
            for p in programs
            for y in plan.fiscal_years
        )
        return past, free

    scopes: list[tuple[str, str, list[Program], int, int, int | None, int | None, str]] = []
    everything = (plan.first_year, plan.last_year)
    for a in plan.areas:
        progs = [p for p in plan.programs if p.area == a.id]
        scopes.append(("area", a.id, progs, *everything, a.low_oku_yen, a.high_oku_yen, "分野"))
    for ph in plan.phases:
        progs = [p for p in plan.programs if p.phase == ph.id and p.phase != MULTI_PHASE]
        scopes.append(("phase", ph.id, progs, *everything, ph.low_oku_yen, ph.high_oku_yen,
                       "期間区分"))  # fmt: skip
    for b in plan.bounds:
        progs = [p for p in plan.programs if not b.areas or p.area in b.areas]
        scopes.append(("bound", b.id, progs, b.first_year, b.last_year, b.low_oku_yen,
                       b.high_oku_yen, "集計"))  # fmt: skip
    for kind, key, progs, first, last, low, high, word in scopes:
        past, free = scope_sum(progs, first, last)
        if high is not None and past > high:
            add(f"{kind}_high", (key,), key, None, past - high, "ceiling_reached",
                f"{kind} {key}: {oku(past)} 億円 executed, above its ceiling {oku(high)}: "
                "nothing more is planned under it",
                f"{word} {key}: 執行 {oku(past)} 億円は上限 {oku(high)} を超過(以後の配分なし)")  # fmt: skip
        if low and not free and past < low:
            add(f"{kind}_low", (key,), key, None, low - past, "floor_missed",
                f"{kind} {key}: {oku(past)} 億円 executed, below its floor {oku(low)}, and its "
                "years are over",
                f"{word} {key}: 執行 {oku(past)} 億円は下限 {oku(low)} に届かず、期間は終了")  # fmt: skip
    total_cap = plan.fiscal.max_new_total_oku_yen
    past = sum(cells.values())
    if total_cap is not None and past > total_cap:
        add("fiscal_total_cap", ("horizon",), "horizon", None, past - total_cap,
            "ceiling_reached",
            f"new spending executed, {oku(past)} 億円, is above the horizon ceiling "
            f"{oku(total_cap)}: nothing more is planned",
            f"新規支出の執行 {oku(past)} 億円は期間上限 {oku(total_cap)} を超過(以後の配分なし)")  # fmt: skip


__all__ = [
    "ACTUALS_NAME",
    "CEILING_FAMILIES",
    "FLOOR_FAMILIES",
    "Breach",
    "past_breaches",
    "check_complete",
    "check_from_year",
    "fixed_cells",
    "read_actuals",
    "with_actuals",
]
