"""Independent verifier of a run folder: every rule recomputed from the files alone.

:func:`verify_run` reloads the plan from ``inputs/`` (with the options stored in ``plan.json``),
reads ``schedule.csv``, ``summary.csv``, ``programs.csv`` and ``plan.json`` and checks every rule
of ``docs/plan-format.md`` with exact integer arithmetic. It shares nothing with the code that
builds or solves the model: it imports only the loader, the plan schema and the cap parser, so a
mistake in the model cannot hide itself here. Problems are returned as :class:`Violation`
records, never raised.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from allocator.errors import AllocatorError
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.cap import format_cap, parse_cap
from allocator.plan.schema import Plan, Program

RUN_FORMAT = "allocator-run/1"
INPUTS_DIR = "inputs"
NO_PLAN_STATUSES = frozenset({"infeasible", "no_solution"})
"""Statuses of a run that has no schedule (results write only plan.json and inputs/)."""
GROWTH_TOLERANCE = 1e-9
"""Relative tolerance of the growth rule (its ratio is a float)."""

RULES: tuple[str, ...] = (
    "file",
    "schedule_row",
    "window",
    "funded",
    "program_range",
    "year_max",
    "ramp",
    "units",
    "payment_profile",
    "mandatory",
    "precedence",
    "area_bound",
    "phase_bound",
    "aggregate_bound",
    "gdp_cap",
    "fiscal_year_cap",
    "fiscal_total_cap",
    "fiscal_growth",
    "summary_mismatch",
    "programs_mismatch",
    "plan_json_mismatch",
)
"""Every rule the verifier checks, in the order of the report."""

SCHEDULE_COLUMNS = (
    "fiscal_year",
    "program_id",
    "name_ja",
    "name_en",
    "area",
    "phase",
    "rank",
    "amount_oku_yen",
    "units",
    "counts_toward_defense",
)
SUMMARY_COLUMNS = (
    "fiscal_year",
    "gdp_oku_yen",
    "cap_ratio",
    "cap_oku_yen",
    "baseline_oku_yen",
    "defense_alloc_oku_yen",
    "other_alloc_oku_yen",
    "defense_total_oku_yen",
    "gdp_ratio",
    "headroom_oku_yen",
    "new_total_oku_yen",
    "fiscal_ceiling_oku_yen",
)
PROGRAMS_COLUMNS = (
    "program_id",
    "name_ja",
    "name_en",
    "area",
    "phase",
    "rank",
    "funded",
    "total_oku_yen",
    "low_oku_yen",
    "high_oku_yen",
    "first_funded_year",
    "last_funded_year",
    "window_first_year",
    "window_last_year",
    "mandatory",
)
_NEUTRALISED = ("=", "+", "-", "@", "\t", "\r")
_INT_RE = re.compile(r"[+-]?\d+")
_SIX_DECIMALS_RE = re.compile(r"-?\d+\.\d{6}")

Amounts = dict[str, dict[int, int]]
"""{program_id: {fiscal_year: 億円}} as read from schedule.csv."""
Table = list[tuple[int, dict[str, str]]]
"""Rows of a CSV file: (row number as a spreadsheet shows it, {column: cell})."""


# ---------------------------------------------------------------------------------------------
# report


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Attributes
    ----------
    rule : str
        The rule's name, one of :data:`RULES`.
    subject : str
        A program id, area id, phase id, bound id, ``"horizon"`` or a file name.
    fiscal_year : int or None
        The fiscal year concerned, when the rule is per year.
    excess_oku_yen : int or None
        By how many 億円 the rule is broken (positive), when it is a money rule.
    message : str
        One line of plain English.
    """

    rule: str
    subject: str
    fiscal_year: int | None
    excess_oku_yen: int | None
    message: str


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify_run`.

    Attributes
    ----------
    ok : bool
        True when no rule is broken.
    violations : tuple of Violation
        Every broken rule, in the order found.
    checks : tuple of (str, int)
        For every rule, how many instances were checked.
    notes : tuple of str
        What was not checked and why (e.g. a run without a schedule).
    """

    ok: bool
    violations: tuple[Violation, ...]
    checks: tuple[tuple[str, int], ...]
    notes: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable record for ``plan.json``.

        Returns
        -------
        dict
            ``{"ok", "checked": {rule: n}, "violations": [...], "notes": [...]}``.
        """
        return {
            "ok": self.ok,
            "checked": dict(self.checks),
            "violations": [asdict(v) for v in self.violations],
            "notes": list(self.notes),
        }


class Tally:
    """Collects how many instances of each rule were checked and which were broken."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.checked: Counter[str] = Counter()
        self.notes: list[str] = []

    def check(self, rule: str, n: int = 1) -> None:
        """Count ``n`` checked instances of ``rule``."""
        self.checked[rule] += n

    def fail(
        self,
        rule: str,
        subject: str,
        message: str,
        *,
        year: int | None = None,
        excess: int | None = None,
    ) -> None:
        """Record a violation of ``rule``."""
        self.violations.append(Violation(rule, subject, year, excess, message))

    def report(self) -> VerifyReport:
        """The report of everything tallied so far."""
        extra = sorted(set(self.checked) - set(RULES))
        checks = tuple((r, self.checked[r]) for r in (*RULES, *extra))
        return VerifyReport(
            ok=not self.violations,
            violations=tuple(self.violations),
            checks=checks,
            notes=tuple(self.notes),
        )


# ---------------------------------------------------------------------------------------------
# small helpers


def _oku(n: int) -> str:
    return f"{n:,}"


def _fy(year: int) -> str:
    return f"{year}年度"


def _span(first: int, last: int) -> str:
    return f"{first}–{last}年度"


def _int(cell: str | None) -> int | None:
    """The integer in ``cell``, or None when it is not exactly an integer."""
    if cell is None:
        return None
    s = cell.strip()
    return int(s) if _INT_RE.fullmatch(s) else None


def _text(cell: str | None) -> str:
    """A text cell with the CSV-injection guard (a leading ``'``) taken off again."""
    s = cell or ""
    if s.startswith("'") and s[1:].startswith(_NEUTRALISED):
        return s[1:]
    return s


def _yes_no(cell: str | None) -> bool | None:
    s = _text(cell).strip().lower()
    return True if s == "yes" else False if s == "no" else None


def _total(amounts: Amounts, program_id: str, years: Iterable[int] | None = None) -> int:
    mine = amounts.get(program_id, {})
    if years is None:
        return sum(mine.values())
    return sum(mine.get(y, 0) for y in years)


def _paid_years(amounts: Amounts, program_id: str) -> list[int]:
    return sorted(y for y, a in amounts.get(program_id, {}).items() if a > 0)


def _year_total(amounts: Amounts, year: int, programs: Iterable[Program]) -> int:
    return sum(amounts.get(p.program_id, {}).get(year, 0) for p in programs)


def exact_cap(plan: Plan, year: int) -> int:
    """The GDP-ratio cap on total defence spending in ``year``: floor(ratio × GDP), in 億円.

    Parameters
    ----------
    plan : Plan
        The reloaded plan.
    year : int
        A fiscal year of the horizon.

    Returns
    -------
    int
        ``floor(cap.ratio × GDP(base year))`` where the base year is ``year`` for
        ``each_year`` and ``cap.base_year`` for ``fixed_year``.
    """
    base_year = plan.cap.base_year if plan.cap.base == "fixed_year" else year
    gdp = dict(plan.gdp_oku_yen)[base_year if base_year is not None else year]
    ratio = Fraction(plan.cap.ratio)
    return (ratio.numerator * gdp) // ratio.denominator


def fiscal_ceiling(plan: Plan, year: int) -> int | None:
    """The absolute ceiling on new spending in ``year`` (the tighter of both settings)."""
    candidates = [v for y, v in plan.fiscal.per_year_oku_yen if y == year]
    if plan.fiscal.max_new_per_year_oku_yen is not None:
        candidates.append(plan.fiscal.max_new_per_year_oku_yen)
    return min(candidates) if candidates else None


def _check_range(
    t: Tally,
    rule: str,
    subject: str,
    label: str,
    total: int,
    low: int | None,
    high: int | None,
) -> None:
    t.check(rule)
    if low is not None and total < low:
        t.fail(
            rule,
            subject,
            f"{label}: total {_oku(total)} is below its low {_oku(low)} by "
            f"{_oku(low - total)} 億円",
            excess=low - total,
        )
    if high is not None and total > high:
        t.fail(
            rule,
            subject,
            f"{label}: total {_oku(total)} exceeds its high {_oku(high)} by "
            f"{_oku(total - high)} 億円",
            excess=total - high,
        )


# ---------------------------------------------------------------------------------------------
# reading the run folder


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


def _read_record(run_dir: Path, t: Tally) -> dict[str, Any] | None:
    t.check("file")
    path = run_dir / "plan.json"
    if not path.is_file():
        t.fail(
            "file",
            "plan.json",
            f"{run_dir}: plan.json is missing — this is not a run folder written by allocate",
        )
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        t.fail("file", "plan.json", f"plan.json cannot be read as JSON: {exc}")
        return None
    if not isinstance(record, dict):
        t.fail("file", "plan.json", "plan.json is not a JSON object")
        return None
    fmt = record.get("format")
    if fmt != RUN_FORMAT:
        t.fail("file", "plan.json", f"plan.json format is {fmt!r}, expected {RUN_FORMAT!r}")
    return record


def overrides_from_record(record: dict[str, Any]) -> Overrides:
    """The loader overrides stored as ``options`` in ``plan.json``.

    Raises
    ------
    AllocatorError
        If the stored cap cannot be parsed.
    ValueError, TypeError
        If an option has the wrong type.
    """
    options = record.get("options") or {}
    if not isinstance(options, dict):
        raise TypeError("plan.json options is not an object")
    cap = options.get("cap")

    def opt_int(key: str) -> int | None:
        v = options.get(key)
        return None if v is None else int(v)

    def opt_float(key: str) -> float | None:
        v = options.get(key)
        return None if v is None else float(v)

    return Overrides(
        cap=None if cap is None else parse_cap(str(cap), option="plan.json options.cap"),
        first_year=opt_int("first_year"),
        years=opt_int("years"),
        gdp_case=options.get("gdp_case"),
        time_limit_seconds=opt_float("time_limit_seconds"),
        gap=opt_float("gap"),
        cap_base=options.get("cap_base"),
        cap_base_year=opt_int("cap_base_year"),
    )


def _reload_plan(run_dir: Path, record: dict[str, Any], t: Tally) -> Plan | None:
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
        overrides = overrides_from_record(record)
    except (AllocatorError, ValueError, TypeError) as exc:
        t.fail("file", "plan.json", f"plan.json options cannot be used: {exc}")
        return None
    try:
        return load_plan(toml, overrides)
    except AllocatorError as exc:
        t.fail("file", "plan.toml", f"the plan in {INPUTS_DIR}/ does not load: {exc}")
        return None


# ---------------------------------------------------------------------------------------------
# schedule rows


@dataclass(frozen=True)
class ScheduleRow:
    """One parsed row of ``schedule.csv`` naming a known program."""

    line: int
    program_id: str
    fiscal_year: int
    amount: int
    units: int | None
    units_text: str


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
        pid = _text(c["program_id"]).strip()
        p = programs.get(pid)
        if p is None:
            t.fail("schedule_row", pid or "schedule.csv", f"{where}: unknown program {pid!r}")
            continue
        year = _int(c["fiscal_year"])
        if year is None:
            t.fail(
                "schedule_row",
                pid,
                f"{where}: fiscal_year {c['fiscal_year']!r} of {pid} is not a year",
            )
            continue
        amount = _int(c["amount_oku_yen"])
        if amount is None:
            t.fail(
                "schedule_row",
                pid,
                f"{_fy(year)}: {pid} amount {c['amount_oku_yen']!r} in {where} is not a whole "
                "number of 億円",
                year=year,
            )
            continue
        if amount <= 0:
            t.fail(
                "schedule_row",
                pid,
                f"{_fy(year)}: {pid} has amount {_oku(amount)} 億円 in {where}; "
                "schedule rows must be positive",
                year=year,
            )
        units_text = c["units"].strip()
        units = _int(units_text) if units_text else None
        expected = {
            "name_ja": p.name_ja,
            "name_en": p.name_en,
            "area": p.area,
            "phase": p.phase,
            "rank": str(p.rank),
            "counts_toward_defense": "yes" if plan.counts_toward_defense(p) else "no",
        }
        wrong = [k for k, v in expected.items() if _text(c[k]).strip() != v]
        if wrong:
            t.fail(
                "schedule_row",
                pid,
                f"{_fy(year)}: {pid} in {where} has {', '.join(wrong)} different from the plan",
                year=year,
            )
        key = (pid, year)
        if key in seen:
            t.fail(
                "schedule_row",
                pid,
                f"{_fy(year)}: {pid} appears twice in schedule.csv (rows {seen[key]} and {line})",
                year=year,
            )
        else:
            seen[key] = line
        out.append(ScheduleRow(line, pid, year, amount, units, units_text))
    return out


def amounts_by_program(rows: Iterable[ScheduleRow]) -> Amounts:
    """{program_id: {fiscal_year: 億円}}, summing duplicate rows."""
    out: Amounts = {}
    for r in rows:
        mine = out.setdefault(r.program_id, {})
        mine[r.fiscal_year] = mine.get(r.fiscal_year, 0) + r.amount
    return out


def check_window(plan: Plan, rows: Iterable[ScheduleRow], t: Tally) -> None:
    """Money only inside the program's window and inside the horizon."""
    programs = {p.program_id: p for p in plan.programs}
    for r in rows:
        t.check("window")
        p = programs[r.program_id]
        if r.fiscal_year not in p.window:
            t.fail(
                "window",
                r.program_id,
                f"{_fy(r.fiscal_year)}: {r.program_id} is paid {_oku(r.amount)} 億円 outside its "
                f"window {_span(p.window_first_year, p.window_last_year)}",
                year=r.fiscal_year,
                excess=r.amount,
            )
        elif not plan.first_year <= r.fiscal_year <= plan.last_year:
            t.fail(
                "window",
                r.program_id,
                f"{_fy(r.fiscal_year)}: {r.program_id} is paid {_oku(r.amount)} 億円 outside the "
                f"horizon {_span(plan.first_year, plan.last_year)}",
                year=r.fiscal_year,
                excess=r.amount,
            )


def funded_map(
    plan: Plan, programs_table: Table | None, record: dict[str, Any], amounts: Amounts
) -> dict[str, bool]:
    """Whether each program is funded: ``programs.csv`` first, then ``plan.json``, then money."""
    from_csv: dict[str, bool] = {}
    for _, c in programs_table or []:
        flag = _yes_no(c.get("funded"))
        if flag is not None:
            from_csv.setdefault(_text(c["program_id"]).strip(), flag)
    from_json = record.get("funded")
    json_map = from_json if isinstance(from_json, dict) else {}
    out: dict[str, bool] = {}
    for p in plan.programs:
        pid = p.program_id
        if pid in from_csv:
            out[pid] = from_csv[pid]
        elif isinstance(json_map.get(pid), bool):
            out[pid] = json_map[pid]
        else:
            out[pid] = _total(amounts, pid) > 0
    return out


# ---------------------------------------------------------------------------------------------
# per-program rules


def check_funded(plan: Plan, amounts: Amounts, funded: dict[str, bool], t: Tally) -> None:
    """A program that is not funded receives nothing.

    A funded program receiving nothing is left to the range rule: it is only consistent when
    0 lies in its range (``low_oku_yen = 0``), which the range rule then accepts.
    """
    for p in plan.programs:
        t.check("funded")
        total = _total(amounts, p.program_id)
        if not funded[p.program_id] and total != 0:
            t.fail(
                "funded",
                p.program_id,
                f"{p.program_id} is not funded (programs.csv) but the schedule pays it "
                f"{_oku(total)} 億円",
                excess=abs(total),
            )


def check_program_range(plan: Plan, amounts: Amounts, funded: dict[str, bool], t: Tally) -> None:
    """A funded program's total lies in [low, high]."""
    for p in plan.programs:
        if not funded[p.program_id]:
            t.check("program_range")
            continue
        total = _total(amounts, p.program_id)
        _check_range(
            t, "program_range", p.program_id, p.program_id, total, p.low_oku_yen, p.high_oku_yen
        )


def check_year_max(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """No year's amount above the program's ``max_per_year_oku_yen``."""
    for p in plan.programs:
        cap = p.max_per_year_oku_yen
        if cap is None:
            continue
        for year, amount in sorted(amounts.get(p.program_id, {}).items()):
            t.check("year_max")
            if amount > cap:
                t.fail(
                    "year_max",
                    p.program_id,
                    f"{_fy(year)}: {p.program_id} amount {_oku(amount)} exceeds its per-year "
                    f"maximum {_oku(cap)} by {_oku(amount - cap)} 億円",
                    year=year,
                    excess=amount - cap,
                )


def check_ramp(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """amount[y] − amount[y−1] ≤ max_ramp within the window (0 before the window)."""
    for p in plan.programs:
        ramp = p.max_ramp_oku_yen
        if ramp is None:
            continue
        mine = amounts.get(p.program_id, {})
        for year in p.window:
            t.check("ramp")
            prev = mine.get(year - 1, 0) if year > p.window_first_year else 0
            rise = mine.get(year, 0) - prev
            if rise > ramp:
                t.fail(
                    "ramp",
                    p.program_id,
                    f"{_fy(year)}: {p.program_id} rises by {_oku(rise)} (from {_oku(prev)} to "
                    f"{_oku(mine.get(year, 0))}), above its ramp limit {_oku(ramp)} by "
                    f"{_oku(rise - ramp)} 億円",
                    year=year,
                    excess=rise - ramp,
                )


def check_units(plan: Plan, rows: Iterable[ScheduleRow], t: Tally) -> None:
    """amount = units × unit cost with whole units ≥ 0; no units for other programs."""
    programs = {p.program_id: p for p in plan.programs}
    for r in rows:
        t.check("units")
        p = programs[r.program_id]
        u = p.unit_cost_oku_yen
        head = f"{_fy(r.fiscal_year)}: {r.program_id}"
        if u is None:
            if r.units_text:
                t.fail(
                    "units",
                    r.program_id,
                    f"{head} has no unit cost but schedule.csv gives {r.units_text!r} units",
                    year=r.fiscal_year,
                )
            continue
        if r.units is None or r.units < 0:
            t.fail(
                "units",
                r.program_id,
                f"{head} is bought in units of {_oku(u)} 億円 but schedule.csv gives "
                f"{r.units_text!r} units, not a whole number ≥ 0",
                year=r.fiscal_year,
            )
            continue
        if r.amount != r.units * u:
            diff = abs(r.amount - r.units * u)
            t.fail(
                "units",
                r.program_id,
                f"{head} amount {_oku(r.amount)} is not {r.units} units × {_oku(u)} = "
                f"{_oku(r.units * u)} 億円 (off by {_oku(diff)} 億円)",
                year=r.fiscal_year,
                excess=diff,
            )


def check_payment_profile(plan: Plan, amounts: Amounts, funded: dict[str, bool], t: Tally) -> None:
    """A funded fixed-profile program is paid exactly its profile, every year."""
    for p in plan.programs:
        if p.payment_profile is None:
            continue
        t.check("payment_profile")
        if not funded[p.program_id]:
            continue  # an unfunded program receiving money is the rule "funded"
        mine = amounts.get(p.program_id, {})
        profile = p.profile
        for year in sorted(set(mine) | set(profile)):
            want, got = profile.get(year, 0), mine.get(year, 0)
            if want != got:
                t.fail(
                    "payment_profile",
                    p.program_id,
                    f"{_fy(year)}: {p.program_id} is paid {_oku(got)} but its fixed payment "
                    f"profile says {_oku(want)} (off by {_oku(abs(got - want))} 億円)",
                    year=year,
                    excess=abs(got - want),
                )


def check_mandatory(plan: Plan, funded: dict[str, bool], t: Tally) -> None:
    """A mandatory program is funded."""
    for p in plan.programs:
        if not p.mandatory:
            continue
        t.check("mandatory")
        if not funded[p.program_id]:
            t.fail("mandatory", p.program_id, f"{p.program_id} is mandatory but not funded")


def check_precedence(plan: Plan, amounts: Amounts, funded: dict[str, bool], t: Tally) -> None:
    """A funded successor needs its predecessor funded, and pays nothing before it starts
    (``start``) or in or before its last payment year (``finish``)."""
    for p in plan.programs:
        for q in p.predecessors:
            t.check("precedence")
            sid, qid = p.program_id, q.program_id
            if not funded[sid]:
                continue
            if not funded.get(qid, False):
                t.fail(
                    "precedence",
                    sid,
                    f"{sid} is funded but its predecessor {qid} is not",
                )
                continue
            q_years = _paid_years(amounts, qid)
            mine = amounts.get(sid, {})
            if q.kind == "start":
                limit = q_years[0] if q_years else None
                early = [y for y in _paid_years(amounts, sid) if limit is None or y < limit]
                when = f"before its predecessor {qid} starts" + (
                    f" ({_fy(limit)})" if limit is not None else " (it never pays)"
                )
            else:
                limit = q_years[-1] if q_years else None
                early = [y for y in _paid_years(amounts, sid) if limit is None or y <= limit]
                when = f"in or before the last payment year of its predecessor {qid}" + (
                    f" ({_fy(limit)})" if limit is not None else " (it never pays)"
                )
            if early:
                paid = sum(mine[y] for y in early)
                t.fail(
                    "precedence",
                    sid,
                    f"{_fy(early[0])}: {sid} pays {_oku(paid)} 億円 {when}",
                    year=early[0],
                    excess=paid,
                )


# ---------------------------------------------------------------------------------------------
# aggregate rules


def check_area_bound(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """Each area's programs sum (over all years) into the area's [low, high]."""
    for a in plan.areas:
        total = sum(_total(amounts, p.program_id) for p in plan.programs if p.area == a.id)
        _check_range(t, "area_bound", a.id, f"area {a.id}", total, a.low_oku_yen, a.high_oku_yen)


def check_phase_bound(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """The programs labelled with a phase sum (over all years) into the phase's [low, high]."""
    for ph in plan.phases:
        total = sum(_total(amounts, p.program_id) for p in plan.programs if p.phase == ph.id)
        label = f"phase {ph.id} ({_span(ph.first_year, ph.last_year)})"
        _check_range(t, "phase_bound", ph.id, label, total, ph.low_oku_yen, ph.high_oku_yen)


def check_aggregate_bound(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """Each ``[[bounds]]``: programs of its areas (all when empty), its years, in [low, high]."""
    for b in plan.bounds:
        years = range(b.first_year, b.last_year + 1)
        total = sum(
            _total(amounts, p.program_id, years)
            for p in plan.programs
            if not b.areas or p.area in b.areas
        )
        which = "all areas" if not b.areas else "areas " + " ".join(b.areas)
        label = f"bound {b.id} ({_span(b.first_year, b.last_year)}, {which})"
        _check_range(t, "aggregate_bound", b.id, label, total, b.low_oku_yen, b.high_oku_yen)


def check_gdp_cap(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """baseline + new defence spending ≤ floor(cap ratio × GDP of the base year), every year."""
    defence = [p for p in plan.programs if plan.counts_toward_defense(p)]
    cap_text = format_cap(plan.cap.ratio)
    for year in plan.fiscal_years:
        t.check("gdp_cap")
        cap = exact_cap(plan, year)
        if plan.cap_oku_yen(year) != cap:
            t.fail(
                "gdp_cap",
                "horizon",
                f"{_fy(year)}: Plan.cap_oku_yen gives {_oku(plan.cap_oku_yen(year))} but "
                f"floor({cap_text} × GDP) is {_oku(cap)} 億円",
                year=year,
            )
        base = plan.baseline(year)
        new = _year_total(amounts, year, defence)
        total = base + new
        if total > cap:
            t.fail(
                "gdp_cap",
                "horizon",
                f"{_fy(year)}: defence total {_oku(total)} exceeds the {cap_text} cap "
                f"{_oku(cap)} by {_oku(total - cap)} 億円 (baseline {_oku(base)} + new "
                f"{_oku(new)})",
                year=year,
                excess=total - cap,
            )


def _new_by_year(plan: Plan, amounts: Amounts) -> dict[int, int]:
    return {y: _year_total(amounts, y, plan.programs) for y in plan.fiscal_years}


def check_fiscal_year_cap(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """New spending (all programs) in a year ≤ the year's fiscal ceiling, where there is one."""
    for year, new in _new_by_year(plan, amounts).items():
        ceiling = fiscal_ceiling(plan, year)
        if ceiling is None:
            continue
        t.check("fiscal_year_cap")
        if new > ceiling:
            t.fail(
                "fiscal_year_cap",
                "horizon",
                f"{_fy(year)}: new spending {_oku(new)} exceeds the fiscal ceiling "
                f"{_oku(ceiling)} by {_oku(new - ceiling)} 億円",
                year=year,
                excess=new - ceiling,
            )


def check_fiscal_total_cap(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """New spending over the horizon ≤ ``max_new_total_oku_yen``."""
    cap = plan.fiscal.max_new_total_oku_yen
    if cap is None:
        return
    t.check("fiscal_total_cap")
    total = sum(_new_by_year(plan, amounts).values())
    if total > cap:
        t.fail(
            "fiscal_total_cap",
            "horizon",
            f"new spending over {_span(plan.first_year, plan.last_year)} totals {_oku(total)}, "
            f"above the fiscal ceiling {_oku(cap)} by {_oku(total - cap)} 億円",
            excess=total - cap,
        )


def check_fiscal_growth(plan: Plan, amounts: Amounts, t: Tally) -> None:
    """New spending in y ≤ (1 + ratio) × new spending in y − 1, from the second year."""
    ratio = plan.fiscal.max_growth_ratio
    if ratio is None:
        return
    new = _new_by_year(plan, amounts)
    factor = 1 + Fraction(ratio)
    for year in plan.fiscal_years[1:]:
        t.check("fiscal_growth")
        prev, cur = new[year - 1], new[year]
        limit = factor * prev
        if cur > limit * (1 + Fraction(GROWTH_TOLERANCE)):
            excess = math.ceil(cur - limit)
            t.fail(
                "fiscal_growth",
                "horizon",
                f"{_fy(year)}: new spending {_oku(cur)} exceeds {float(factor):g} × "
                f"{_oku(prev)} ({_fy(year - 1)}) = {float(limit):,.1f} by {_oku(excess)} 億円",
                year=year,
                excess=excess,
            )


# ---------------------------------------------------------------------------------------------
# output files against the schedule


def _ratio_cell_ok(cell: str, exact: Fraction) -> bool:
    """``cell`` is ``exact`` written with 6 decimals (either rounding of a tie accepted)."""
    s = cell.strip()
    if not _SIX_DECIMALS_RE.fullmatch(s):
        return False
    return abs(Fraction(s) - exact) <= Fraction(1, 2_000_000)


def summary_expected(plan: Plan, amounts: Amounts, year: int) -> dict[str, int | None]:
    """The integer columns of ``summary.csv`` for ``year``, recomputed from the schedule."""
    defence = [p for p in plan.programs if plan.counts_toward_defense(p)]
    other = [p for p in plan.programs if not plan.counts_toward_defense(p)]
    d = _year_total(amounts, year, defence)
    o = _year_total(amounts, year, other)
    base = plan.baseline(year)
    cap = exact_cap(plan, year)
    return {
        "gdp_oku_yen": plan.gdp(year),
        "cap_oku_yen": cap,
        "baseline_oku_yen": base,
        "defense_alloc_oku_yen": d,
        "other_alloc_oku_yen": o,
        "defense_total_oku_yen": base + d,
        "headroom_oku_yen": cap - base - d,
        "new_total_oku_yen": d + o,
        "fiscal_ceiling_oku_yen": fiscal_ceiling(plan, year),
    }


def check_summary(plan: Plan, amounts: Amounts, table: Table, t: Tally) -> None:
    """``summary.csv`` has one row per horizon year and every column recomputes."""
    rule = "summary_mismatch"
    by_year: dict[int, dict[str, str]] = {}
    for line, c in table:
        year = _int(c["fiscal_year"])
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
            t.fail(rule, "summary.csv", f"{_fy(year)}: summary.csv has no row", year=year)
            continue
        expected = summary_expected(plan, amounts, year)
        for col, want in expected.items():
            t.check(rule)
            cell = row[col].strip()
            got = _int(cell)
            if (want is None and cell == "") or (want is not None and got == want):
                continue
            diff = abs(got - want) if got is not None and want is not None else None
            t.fail(
                rule,
                "summary.csv",
                f"{_fy(year)}: summary.csv {col} is {cell!r}, recomputed "
                f"{'(empty)' if want is None else _oku(want)}",
                year=year,
                excess=diff,
            )
        gdp = plan.gdp(year)
        ratios = {
            "cap_ratio": Fraction(plan.cap.ratio),
            "gdp_ratio": Fraction(plan.baseline(year) + (expected["defense_alloc_oku_yen"] or 0))
            / gdp,
        }
        for col, exact in ratios.items():
            t.check(rule)
            if not _ratio_cell_ok(row[col], exact):
                t.fail(
                    rule,
                    "summary.csv",
                    f"{_fy(year)}: summary.csv {col} is {row[col]!r}, recomputed "
                    f"{float(exact):.6f}",
                    year=year,
                )


def check_programs_table(plan: Plan, amounts: Amounts, table: Table, t: Tally) -> None:
    """``programs.csv``: one row per program, repeating the plan and matching the schedule."""
    rule = "programs_mismatch"
    rows: dict[str, dict[str, str]] = {}
    known = {p.program_id for p in plan.programs}
    for line, c in table:
        pid = _text(c["program_id"]).strip()
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
        paid = _paid_years(amounts, p.program_id)
        expected = {
            "name_ja": p.name_ja,
            "name_en": p.name_en,
            "area": p.area,
            "phase": p.phase,
            "rank": str(p.rank),
            "total_oku_yen": str(_total(amounts, p.program_id)),
            "low_oku_yen": str(p.low_oku_yen),
            "high_oku_yen": str(p.high_oku_yen),
            "first_funded_year": str(paid[0]) if paid else "",
            "last_funded_year": str(paid[-1]) if paid else "",
            "window_first_year": str(p.window_first_year),
            "window_last_year": str(p.window_last_year),
            "mandatory": "yes" if p.mandatory else "no",
        }
        for col, want in expected.items():
            cell = _text(row[col]).strip()
            if cell == want:
                continue
            got, w = _int(cell), _int(want)
            money = col.endswith("_oku_yen") and got is not None and w is not None
            t.fail(
                rule,
                p.program_id,
                f"{p.program_id}: programs.csv {col} is {cell!r}, expected {want!r}",
                excess=abs(got - w) if money and got is not None and w is not None else None,
            )
        if _yes_no(row["funded"]) is None:
            t.fail(
                rule,
                p.program_id,
                f"{p.program_id}: programs.csv funded is {row['funded']!r}, not yes or no",
            )


def check_plan_json(
    plan: Plan,
    record: dict[str, Any],
    rows: Sequence[ScheduleRow] | None,
    funded: dict[str, bool] | None,
    t: Tally,
) -> None:
    """``plan.json`` agrees with the reloaded plan, its inputs, the schedule and programs.csv.

    ``rows`` and ``funded`` are None for a run without a schedule.
    """
    _check_json_plan_block(plan, record, t)
    _check_json_status(record, t)
    if rows is not None:
        _check_json_allocations(record, rows, t)
    if funded is not None:
        _check_json_funded(plan, record, funded, t)


def _check_json_plan_block(plan: Plan, record: dict[str, Any], t: Tally) -> None:
    rule = "plan_json_mismatch"
    block = record.get("plan")
    block = block if isinstance(block, dict) else {}
    expected: dict[str, object] = {
        "first_year": plan.first_year,
        "years": plan.years,
        "gdp_case": plan.gdp_case,
        "cap_base": plan.cap.base,
        "cap_base_year": plan.cap.base_year,
    }
    for key, want in expected.items():
        t.check(rule)
        if block.get(key) != want:
            t.fail(
                rule,
                "plan.json",
                f"plan.json plan.{key} is {block.get(key)!r}, the reloaded plan has {want!r}",
            )
    t.check(rule)
    try:
        ratio = Fraction(str(block.get("cap_ratio")))
    except (ValueError, ZeroDivisionError):
        ratio = None
    if ratio != plan.cap.ratio:
        t.fail(
            rule,
            "plan.json",
            f"plan.json plan.cap_ratio is {block.get('cap_ratio')!r}, the options give "
            f"{plan.cap.ratio} ({format_cap(plan.cap.ratio)})",
        )
    t.check(rule)
    if record.get("input_hash") != plan.input_hash:
        t.fail(
            rule,
            "plan.json",
            "plan.json input_hash differs from the hash of inputs/ with the stored options: "
            "the inputs or options were changed after the run",
        )


def check_input_files(run_dir: Path, record: dict[str, Any], t: Tally) -> None:
    """Every file listed under ``inputs`` in ``plan.json`` is in ``inputs/`` unchanged."""
    listed = record.get("inputs")
    if not isinstance(listed, dict):
        t.check("file")
        t.fail("file", "plan.json", "plan.json has no inputs listing")
        return
    for name, digest in sorted(listed.items()):
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


def _check_json_status(record: dict[str, Any], t: Tally) -> None:
    rule = "plan_json_mismatch"
    status = record.get("status")
    stages = record.get("stages")
    stages = stages if isinstance(stages, list) else []
    t.check(rule)
    if record.get("optimal") is not (status == "optimal"):
        t.fail(
            rule,
            "plan.json",
            f"plan.json optimal is {record.get('optimal')!r} but status is {status!r}",
        )
    if status != "optimal":
        return
    for i, s in enumerate(stages, start=1):
        t.check(rule)
        s_status = s.get("status") if isinstance(s, dict) else None
        if s_status != "optimal":
            rank = s.get("rank") if isinstance(s, dict) else None
            which = f"rank {rank}" if rank is not None else f"stage {i}"
            t.fail(
                rule,
                "plan.json",
                f"plan.json says optimal but {which} has status {s_status!r}",
            )


def _allocation_key(item: object) -> tuple[str, int, int, int | None] | None:
    if not isinstance(item, list) or len(item) != 4:
        return None
    pid, year, amount, units = item
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (year, amount))
    if not isinstance(pid, str) or not ints:
        return None
    if units is not None and (not isinstance(units, int) or isinstance(units, bool)):
        return None
    return (pid, year, amount, units)


def _check_json_allocations(record: dict[str, Any], rows: Sequence[ScheduleRow], t: Tally) -> None:
    rule = "plan_json_mismatch"
    raw = record.get("allocations")
    if not isinstance(raw, list):
        t.check(rule)
        t.fail(rule, "plan.json", "plan.json has no allocations list")
        return
    in_json: Counter[tuple[str, int, int, int | None]] = Counter()
    for i, item in enumerate(raw):
        key = _allocation_key(item)
        if key is None:
            t.check(rule)
            t.fail(rule, "plan.json", f"plan.json allocations[{i}] is not [id, year, 億円, units]")
            continue
        in_json[key] += 1
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
            f"{_fy(year)}: {pid} is {_alloc_text(c)} in schedule.csv but "
            f"{_alloc_text(j)} in plan.json allocations",
            year=year,
            excess=diff,
        )


def _alloc_text(items: list[tuple[int, int | None]]) -> str:
    if not items:
        return "absent"
    return " and ".join(
        f"{_oku(a)} 億円" + (f" ({u} units)" if u is not None else "") for a, u in items
    )


def _check_json_funded(
    plan: Plan, record: dict[str, Any], funded: dict[str, bool], t: Tally
) -> None:
    rule = "plan_json_mismatch"
    raw = record.get("funded")
    in_json = raw if isinstance(raw, dict) else {}
    for p in plan.programs:
        t.check(rule)
        got = in_json.get(p.program_id)
        if got is not funded[p.program_id]:
            t.fail(
                rule,
                p.program_id,
                f"{p.program_id}: plan.json funded is {got!r}, programs.csv says "
                f"{'yes' if funded[p.program_id] else 'no'}",
            )


# ---------------------------------------------------------------------------------------------
# the whole run


def verify_run(run_dir: Path) -> VerifyReport:
    """Recompute every rule of a run folder from its inputs and outputs.

    Parameters
    ----------
    run_dir : Path
        A folder written by ``allocate`` (``plan.json``, ``inputs/``, the CSV files).

    Returns
    -------
    VerifyReport
        ``ok`` is False when any rule is broken or a file is missing or unreadable; nothing is
        raised for a bad folder.
    """
    run_dir = Path(run_dir)
    t = Tally()
    record = _read_record(run_dir, t)
    if record is None:
        return t.report()
    plan = _reload_plan(run_dir, record, t)
    if plan is None:
        return t.report()
    check_input_files(run_dir, record, t)
    status = record.get("status")
    if status in NO_PLAN_STATUSES:
        _verify_no_plan(plan, record, run_dir, str(status), t)
        return t.report()
    schedule = read_table(run_dir / "schedule.csv", SCHEDULE_COLUMNS, t)
    summary = read_table(run_dir / "summary.csv", SUMMARY_COLUMNS, t)
    programs = read_table(run_dir / "programs.csv", PROGRAMS_COLUMNS, t)
    if schedule is None:
        t.notes.append("schedule.csv could not be read: no rule on the money was checked")
        check_plan_json(plan, record, None, None, t)
        return t.report()
    rows = check_schedule_rows(plan, schedule, t)
    amounts = amounts_by_program(rows)
    funded = funded_map(plan, programs, record, amounts)
    check_window(plan, rows, t)
    check_funded(plan, amounts, funded, t)
    check_program_range(plan, amounts, funded, t)
    check_year_max(plan, amounts, t)
    check_ramp(plan, amounts, t)
    check_units(plan, rows, t)
    check_payment_profile(plan, amounts, funded, t)
    check_mandatory(plan, funded, t)
    check_precedence(plan, amounts, funded, t)
    check_area_bound(plan, amounts, t)
    check_phase_bound(plan, amounts, t)
    check_aggregate_bound(plan, amounts, t)
    check_gdp_cap(plan, amounts, t)
    check_fiscal_year_cap(plan, amounts, t)
    check_fiscal_total_cap(plan, amounts, t)
    check_fiscal_growth(plan, amounts, t)
    if summary is not None:
        check_summary(plan, amounts, summary, t)
    if programs is not None:
        check_programs_table(plan, amounts, programs, t)
    check_plan_json(plan, record, rows, funded, t)
    return t.report()


def _verify_no_plan(
    plan: Plan, record: dict[str, Any], run_dir: Path, status: str, t: Tally
) -> None:
    """A run without a schedule: plan.json must claim no money and nothing funded."""
    rule = "plan_json_mismatch"
    t.notes.append(
        f"the run has no schedule (status {status}): only plan.json and inputs/ were checked"
    )
    check_plan_json(plan, record, None, None, t)
    t.check(rule)
    allocations = record.get("allocations")
    if allocations:
        t.fail(rule, "plan.json", f"plan.json says {status} but lists allocations")
    funded = record.get("funded")
    t.check(rule)
    if isinstance(funded, dict) and any(v is True for v in funded.values()):
        t.fail(rule, "plan.json", f"plan.json says {status} but marks programs funded")
    schedule = run_dir / "schedule.csv"
    if schedule.is_file():
        table = read_table(schedule, SCHEDULE_COLUMNS, t)
        t.check(rule)
        if table:
            t.fail(rule, "schedule.csv", f"plan.json says {status} but schedule.csv has rows")


__all__ = [
    "RULES",
    "Tally",
    "VerifyReport",
    "Violation",
    "exact_cap",
    "fiscal_ceiling",
    "verify_run",
]
