"""More of ``plan.json`` against the reloaded plan (rule ``plan_json_mismatch``), and the
columns of the tables that are not recomputed from the schedule but recorded in ``plan.json``:
the marginal values in ``summary.csv`` (``summary_mismatch``), the sources in ``programs.csv``
(``programs_mismatch``), and ``explanation.txt``."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

from allocator.constants import EXPLANATION_TXT
from allocator.formatting import format_cap, fy
from allocator.plan.schema import Plan
from allocator.run.record import RunRecord
from allocator.run.verify.common import Table, int_cell, text_cell
from allocator.run.verify.tally import Tally

MARGINAL_RE = re.compile(r"marginal_rank(\d+)_per_100_oku_yen")
PLAN_JSON = "plan.json"


def check_record_fields(plan: Plan, record: RunRecord, t: Tally) -> None:
    """The displayed cap, names, solver settings, notes, status and the stored verdict agree
    with the reloaded plan and with each other."""
    rule = "plan_json_mismatch"
    block = record.plan
    try:
        ratio = Fraction(block.cap_ratio)
    except (ValueError, ZeroDivisionError):
        ratio = None
    expected: dict[str, tuple[object, object]] = {
        "plan.cap": (block.cap, format_cap(ratio) if ratio is not None else "?"),
        "plan.name": (block.name, plan.name),
        "plan.title_ja": (block.title_ja, plan.title_ja),
        "plan.title_en": (block.title_en, plan.title_en),
        "notes": (list(record.notes), list(plan.notes)),
    }
    for key, (got, want) in expected.items():
        t.check(rule)
        if got != want:
            t.fail(rule, PLAN_JSON, f"plan.json {key} is {got!r}, the reloaded plan gives {want!r}")
    t.check(rule)
    got = record.solver.tolerance
    if not (math.isfinite(got) and abs(got - plan.solver.tolerance) <= 1e-9):
        t.fail(
            rule,
            PLAN_JSON,
            f"plan.json solver.tolerance is {got!r}, the reloaded plan has "
            f"{plan.solver.tolerance!r}",
        )
    t.check(rule)
    statuses = {s.status for s in record.stages}
    if record.status == "feasible" and record.stages and statuses == {"optimal"}:
        t.fail(
            rule,
            PLAN_JSON,
            "plan.json says feasible (not proven optimal), but every stage is optimal",
        )
    verdict = record.verification
    if verdict is not None:
        t.check(rule)
        if verdict.ok != (not verdict.violations):
            t.fail(
                rule,
                PLAN_JSON,
                f"plan.json verification.ok is {verdict.ok} with {len(verdict.violations)} "
                "violations listed",
            )


def check_marginal_columns(plan: Plan, record: RunRecord, table: Table, t: Tally) -> None:
    """``summary.csv`` marginal columns equal ``plan.json`` ``marginal``, year by year."""
    rule = "summary_mismatch"
    header = set(table[0][1]) if table else set()
    columns = {int(m.group(1)): c for c in header if (m := MARGINAL_RE.fullmatch(c))}
    recorded = record.marginal or {}
    t.check(rule)
    if sorted(columns) != sorted(int(k) for k in recorded):
        t.fail(
            rule,
            "summary.csv",
            f"summary.csv has marginal columns for ranks {sorted(columns)}, plan.json marginal "
            f"for ranks {sorted(int(k) for k in recorded)}",
        )
    for rank, col in sorted(columns.items()):
        values = recorded.get(str(rank), {})
        for line, c in table:
            year = int_cell(c["fiscal_year"])
            if year is None:
                continue
            t.check(rule)
            want = values.get(str(year))
            cell = text_cell(c[col]).strip()
            if want is None and cell == "":
                continue
            try:
                ok = want is not None and abs(float(cell) - want) <= 1e-6 * max(1.0, abs(want))
            except ValueError:
                ok = False
            if not ok:
                t.fail(
                    rule,
                    "summary.csv",
                    f"{fy(year)}: summary.csv row {line} {col} is {cell!r}, plan.json marginal "
                    f"has {'(none)' if want is None else f'{want:g}'}",
                    year=year,
                )


def check_program_sources(plan: Plan, table: Table, t: Tally) -> None:
    """``programs.csv`` ``source`` repeats the plan's source of each program."""
    rule = "programs_mismatch"
    sources = {p.program_id: p.source for p in plan.programs}
    for line, c in table:
        pid = text_cell(c.get("program_id")).strip()
        if pid not in sources or "source" not in c:
            continue
        t.check(rule)
        if text_cell(c["source"]).strip() != sources[pid].strip():
            t.fail(
                rule,
                pid,
                f"{pid}: programs.csv row {line} source is {text_cell(c['source'])!r}, the plan "
                f"says {sources[pid]!r}",
            )
    if table and "source" not in table[0][1]:
        t.check(rule)
        t.fail(rule, "programs.csv", "programs.csv has no source column")


def check_explanation(run_dir: Path, record: RunRecord, t: Tally) -> None:
    """``explanation.txt`` says what ``plan.json`` ``explanation`` says (both or neither), in
    the run's language (``explanation_ja`` for a Japanese run)."""
    rule = "plan_json_mismatch"
    path = run_dir / EXPLANATION_TXT
    t.check(rule)
    if record.explanation is None:
        if path.is_file():
            t.fail(rule, EXPLANATION_TXT, "explanation.txt exists but plan.json has none")
        return
    # written in the run's language: the Japanese lines when the run was in Japanese
    lines = (
        record.explanation_ja
        if record.options.lang == "ja" and record.explanation_ja
        else record.explanation
    )
    want = "\n".join(lines) + "\n"
    if not path.is_file():
        t.fail(rule, EXPLANATION_TXT, "explanation.txt is missing (plan.json has one)")
        return
    got = path.read_bytes().decode("utf-8", errors="replace")
    if got != want:
        lines_got, lines_want = got.splitlines(), want.splitlines()
        n = next(
            (i for i, (a, b) in enumerate(zip(lines_got, lines_want, strict=False)) if a != b),
            min(len(lines_got), len(lines_want)),
        )
        t.fail(
            rule,
            EXPLANATION_TXT,
            f"explanation.txt line {n + 1} differs from plan.json explanation",
        )
