"""A re-plan's fixed years, checked from the run folder alone (rule ``actual``): every program's
money in every year before ``--from`` equals the actuals (``inputs/actuals.csv``), and the
approved run it started from is the one recorded (``inputs/approved_plan.json``).

The rules a re-plan sets aside are recomputed here, on purpose a second time
(:func:`allocator.plan.actuals.past_breaches` is the model's copy): a rule about a fixed year
only, a total the fixed years already exceed (nothing more may be added under it), a floor
whose years are all fixed. A violation of the ordinary rules that is only such a fact of the
past is moved to the notes (:func:`set_aside_past`); every other stays a violation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from allocator.constants import INPUTS_DIR, VARIANCE_CSV
from allocator.errors import AllocatorError
from allocator.formatting import fy, oku
from allocator.plan.actuals import ACTUALS_NAME, read_actuals, with_actuals
from allocator.plan.schema import MULTI_PHASE, Plan, Program
from allocator.run.record import RecordError, RunRecord
from allocator.run.verify.common import Amounts, Table, int_cell, text_cell, total_of
from allocator.run.verify.files import ScheduleRow
from allocator.run.verify.tally import Tally, Violation

APPROVED_PLAN_JSON = "approved_plan.json"
"""The approved run's plan.json, copied into a re-plan's ``inputs/``."""

PER_YEAR_RULES = frozenset(
    {
        "year_max", "ramp", "units", "payment_profile", "gdp_cap", "fiscal_year_cap",
        "fiscal_growth", "vehicle_cap", "vehicle_split", "new_contract_cap",
    }
)  # fmt: skip
"""Verifier rules that speak of one fiscal year: a violation in a fixed year is a fact."""


def attach_actuals(run_dir: Path, record: RunRecord, plan: Plan, t: Tally) -> Plan | None:
    """The reloaded plan with the re-plan's actuals (``inputs/actuals.csv``) fixing the years
    before ``from_year``; the plan itself for a run that is not a re-plan; None (a ``file``
    violation recorded) when the actuals cannot be read."""
    replan = record.replan
    if replan is None:
        return plan
    t.check("file")
    path = run_dir / INPUTS_DIR / ACTUALS_NAME
    if not path.is_file():
        t.fail("file", ACTUALS_NAME, f"{INPUTS_DIR}/{ACTUALS_NAME} is missing from a re-plan")
        return None
    try:
        actuals = read_actuals(path, plan, replan.from_year)
    except AllocatorError as exc:
        t.fail("file", ACTUALS_NAME, f"{INPUTS_DIR}/{ACTUALS_NAME} does not load: {exc}")
        return None
    t.check("actual")
    if actuals.sha256 != replan.actuals_sha256:
        t.fail(
            "actual",
            ACTUALS_NAME,
            f"{INPUTS_DIR}/{ACTUALS_NAME} is not the actuals file the re-plan recorded (sha256)",
        )
    return with_actuals(plan, actuals)


def approved_record(run_dir: Path, record: RunRecord, t: Tally) -> RunRecord | None:
    """The approved run's record copied into ``inputs/``, checked against the digest the
    re-plan recorded; None when it is missing or damaged (a violation recorded)."""
    replan = record.replan
    if replan is None:
        return None
    rule = "actual"
    t.check(rule)
    path = run_dir / INPUTS_DIR / APPROVED_PLAN_JSON
    if not path.is_file():
        t.fail(rule, APPROVED_PLAN_JSON, f"{INPUTS_DIR}/{APPROVED_PLAN_JSON} is missing")
        return None
    if hashlib.sha256(path.read_bytes()).hexdigest() != replan.approved_plan_json_sha256:
        t.fail(
            rule,
            APPROVED_PLAN_JSON,
            f"{INPUTS_DIR}/{APPROVED_PLAN_JSON} is not the approved run's plan.json the re-plan "
            "recorded (sha256)",
        )
        return None
    try:
        return RunRecord.read(path)
    except RecordError as exc:
        t.fail(rule, APPROVED_PLAN_JSON, f"{APPROVED_PLAN_JSON}: {exc}")
        return None


def check_actuals(
    plan: Plan, rows: list[ScheduleRow], approved: RunRecord | None, record: RunRecord, t: Tally
) -> None:
    """Every fixed year of every program is paid exactly what was executed (and bought the
    units the actuals say); ``moved_oku_yen`` and ``executed_gap_oku_yen`` of plan.json are
    what the schedule and the approved run give."""
    if plan.actuals is None or record.replan is None:
        return
    rule = "actual"
    start = plan.actuals.from_year
    executed = {(a.program_id, a.fiscal_year): a for a in plan.actuals.rows}
    got = {(r.program_id, r.fiscal_year): r for r in rows}
    for p in plan.programs:
        for y in plan.fiscal_years:
            if y >= start:
                continue
            t.check(rule)
            a = executed.get((p.program_id, y))
            row = got.get((p.program_id, y))
            if p.is_contract:  # fixed: the contract; its payments follow its pattern
                want = (a.contracted_oku_yen or 0) if a else 0
                have = row.contract if row else 0
            else:
                want = a.executed_oku_yen if a else 0
                have = row.amount if row else 0
            if have != want:
                t.fail(
                    rule,
                    p.program_id,
                    f"{fy(y)}: {p.program_id} is paid {oku(have)} 億円 in a year fixed to the "
                    f"actuals, which say {oku(want)} ({oku(abs(have - want))} 億円 apart)",
                    year=y,
                    excess=abs(have - want),
                )
            elif a is not None and a.units is not None and row is not None and row.units != a.units:
                t.fail(
                    rule,
                    p.program_id,
                    f"{fy(y)}: {p.program_id} bought {row.units_text or 'no'} units in a fixed "
                    f"year, the actuals say {a.units}",
                    year=y,
                )
    if approved is None:
        return
    planned = {(pid, y): amount for pid, y, amount, _ in approved.allocations}
    mine = {(r.program_id, r.fiscal_year): r.amount for r in rows}
    cells = set(planned) | set(mine)
    moved = sum(abs(mine.get(c, 0) - planned.get(c, 0)) for c in cells if c[1] >= start)
    gap = sum(abs(mine.get(c, 0) - planned.get(c, 0)) for c in cells if c[1] < start)
    for name, want, have in (
        ("moved_oku_yen", moved, record.replan.moved_oku_yen),
        ("executed_gap_oku_yen", gap, record.replan.executed_gap_oku_yen),
    ):
        t.check(rule)
        if want != have:
            t.fail(
                rule,
                "plan.json",
                f"plan.json replan.{name} is {oku(have)}, the schedule against the approved run "
                f"gives {oku(want)}",
                excess=abs(want - have),
            )


VARIANCE_TABLE_COLUMNS = (
    "scope",
    "subject",
    "fiscal_year",
    "fixed",
    "planned_oku_yen",
    "executed_oku_yen",
    "replanned_oku_yen",
    "change_oku_yen",
    "reasons",
)
_REASON_CODES = frozenset({"actuals", "gdp", "caps", "plan"})


def check_variance_table(
    plan: Plan,
    rows: list[ScheduleRow],
    approved: RunRecord | None,
    table: Table | None,
    t: Tally,
) -> None:
    """``variance.csv`` (rule ``variance``): every program, area, rank and total row's planned,
    executed, re-planned and change amounts are what the approved run's plan.json, the actuals
    and the schedule give; each program cell with money appears once; a fixed year's reason is
    ``actuals`` exactly when it moved; every reason is a known code."""
    if plan.actuals is None or approved is None:
        return
    rule = "variance"
    t.check(rule)
    if table is None:
        t.fail(rule, VARIANCE_CSV, f"{VARIANCE_CSV} is missing or unreadable")
        return
    start = plan.actuals.from_year
    executed = plan.actuals.executed()
    planned = {(pid, y): a for pid, y, a, _ in approved.allocations}
    mine = {(r.program_id, r.fiscal_year): r.amount for r in rows}
    programs = {p.program_id: p for p in plan.programs}
    want: dict[tuple[str, str, int], tuple[int, int | None, int]] = {}
    sums: dict[tuple[str, str, int], list[int]] = {}
    for level, subject, y in (
        *(("area", a.id, y) for a in plan.areas for y in plan.fiscal_years),
        *(("rank", str(r.rank), y) for r in plan.ranks for y in plan.fiscal_years),
        *(("total", "total", y) for y in plan.fiscal_years),
    ):
        sums[level, subject, y] = [0, 0, 0]
    for pid, y in set(planned) | set(mine) | set(executed):
        p = programs.get(pid)
        if p is None:
            continue
        ex = executed.get((pid, y), 0) if y < start else None
        was, now_ = planned.get((pid, y), 0), mine.get((pid, y), 0)
        want["program", pid, y] = (was, ex, now_)
        for agg in (("area", p.area, y), ("rank", str(p.rank), y), ("total", "total", y)):
            if agg in sums:
                sums[agg][0] += was
                sums[agg][1] += ex or 0
                sums[agg][2] += now_
    for (level, subject, y), (p_sum, e_sum, r_sum) in sums.items():
        want[level, subject, y] = (p_sum, e_sum if y < start else None, r_sum)
    seen: set[tuple[str, str, int]] = set()
    for line, c in table:
        t.check(rule)
        year = int_cell(c.get("fiscal_year"))
        key = (text_cell(c.get("scope")).strip(), text_cell(c.get("subject")).strip(), year or 0)
        if key in seen:
            t.fail(rule, key[1], f"{VARIANCE_CSV} row {line}: {key[0]} {key[1]} {year} twice")
            continue
        seen.add(key)
        expected = want.get(key)
        if expected is None:
            t.fail(rule, key[1], f"{VARIANCE_CSV} row {line}: {key[0]} {key[1]} {year} is not "
                   "a program, area, rank or total of the re-plan with money")  # fmt: skip
            continue
        a, b, now = expected
        got = (
            int_cell(c.get("planned_oku_yen")),
            int_cell(c.get("executed_oku_yen")),
            int_cell(c.get("replanned_oku_yen")),
            int_cell(c.get("change_oku_yen")),
        )
        fixed = "yes" if key[2] < start else "no"
        codes = [x for x in text_cell(c.get("reasons")).split(";") if x]
        bad = []
        if got != (a, b, now, now - a):
            bad.append(f"amounts {got} where the run gives {(a, b, now, now - a)}")
        if text_cell(c.get("fixed")).strip() != fixed:
            bad.append(f"fixed is not {fixed}")
        if not set(codes) <= _REASON_CODES:
            bad.append(f"unknown reason in {';'.join(codes)}")
        if key[0] == "program" and fixed == "yes" and (codes == ["actuals"]) != (now != a):
            bad.append("a fixed year's reason is actuals exactly when it moved")
        if key[0] == "program" and now != a and not codes:
            bad.append("it moved and gives no reason")
        if bad:
            t.fail(rule, key[1], f"{VARIANCE_CSV} row {line}: " + "; ".join(bad), year=year)
    for key in sorted(set(want) - seen):
        t.check(rule)
        t.fail(rule, key[1], f"{VARIANCE_CSV} has no row for {key[0]} {key[1]} {key[2]}")


# ---------------------------------------------------------------------------------------------
# what the actuals already break


def _free(plan: Plan, p: Program, first: int, last: int) -> bool:
    assert plan.actuals is not None
    start = plan.actuals.from_year
    return any(
        y in p.window and first <= y <= last and y >= start and y in plan.fiscal_years
        for y in range(first, last + 1)
    )


def _split(
    amounts: Amounts, programs: list[Program], first: int, last: int, start: int
) -> tuple[int, int]:
    """(億円 in fixed years, 億円 in re-planned years) of ``programs`` in ``first..last``."""
    past = future = 0
    for p in programs:
        for y, a in amounts.get(p.program_id, {}).items():
            if first <= y <= last:
                if y < start:
                    past += a
                else:
                    future += a
    return past, future


def _scope(
    plan: Plan, rule: str, subject: str
) -> tuple[list[Program], int, int, int | None, int | None] | None:
    everything = (plan.first_year, plan.last_year)
    if rule == "program_range":
        p = next((q for q in plan.programs if q.program_id == subject), None)
        if p is None:
            return None
        return [p], *everything, max(p.low_oku_yen, 1), p.high_oku_yen
    if rule == "area_bound":
        a = next((x for x in plan.areas if x.id == subject), None)
        if a is None:
            return None
        progs = [p for p in plan.programs if p.area == a.id]
        return progs, *everything, a.low_oku_yen, a.high_oku_yen
    if rule == "phase_bound":
        ph = next((x for x in plan.phases if x.id == subject), None)
        if ph is None:
            return None
        progs = [p for p in plan.programs if p.phase == ph.id and p.phase != MULTI_PHASE]
        return progs, *everything, ph.low_oku_yen, ph.high_oku_yen
    if rule == "aggregate_bound":
        b = next((x for x in plan.bounds if x.id == subject), None)
        if b is None:
            return None
        progs = [p for p in plan.programs if not b.areas or p.area in b.areas]
        return progs, b.first_year, b.last_year, b.low_oku_yen, b.high_oku_yen
    if rule == "fiscal_total_cap":
        return list(plan.programs), *everything, None, plan.fiscal.max_new_total_oku_yen
    return None


def _is_past(plan: Plan, amounts: Amounts, v: Violation) -> bool:
    """Whether violation ``v`` is a fact of the fixed years that a re-plan cannot change."""
    assert plan.actuals is not None
    start = plan.actuals.from_year
    if v.rule in PER_YEAR_RULES:
        return v.fiscal_year is not None and v.fiscal_year < start
    if v.rule == "mandatory":
        p = next((q for q in plan.programs if q.program_id == v.subject), None)
        return (
            p is not None
            and not _free(plan, p, plan.first_year, plan.last_year)
            and total_of(amounts, p.program_id) == 0
        )
    if v.rule == "precedence":
        return _precedence_only_in_past(plan, amounts, v.subject, start)
    scope = _scope(plan, v.rule, v.subject)
    if scope is None:
        return False
    progs, first, last, low, high = scope
    past, future = _split(amounts, progs, first, last, start)
    if high is not None and past + future > high:
        return past > high and future == 0  # the past alone broke it; nothing added since
    if low is not None and past + future < low:
        return not any(_free(plan, p, first, last) for p in progs)
    return False


def _precedence_only_in_past(plan: Plan, amounts: Amounts, sid: str, start: int) -> bool:
    """A successor's early payments (before its predecessor started, or in or before its last
    payment) all fall in fixed years."""
    p = next((q for q in plan.programs if q.program_id == sid), None)
    if p is None:
        return False
    mine = sorted(y for y, a in amounts.get(sid, {}).items() if a > 0)
    for link in p.predecessors:
        theirs = sorted(y for y, a in amounts.get(link.program_id, {}).items() if a > 0)
        if link.kind == "start":
            early = [y for y in mine if not theirs or y < theirs[0]]
        else:
            early = [y for y in mine if not theirs or y <= theirs[-1]]
        if any(y >= start for y in early):
            return False
    return True


def set_aside_past(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """Move every violation that only the fixed years cause to the notes, saying so."""
    if plan.actuals is None:
        return
    kept: list[Violation] = []
    for v in t.violations:
        if _is_past(plan, amounts, v):
            t.notes.append(f"fixed by the actuals, not re-planned: {v.message}")
        else:
            kept.append(v)
    t.violations[:] = kept


__all__ = [
    "APPROVED_PLAN_JSON",
    "VARIANCE_TABLE_COLUMNS",
    "approved_record",
    "attach_actuals",
    "check_actuals",
    "check_variance_table",
    "set_aside_past",
]
