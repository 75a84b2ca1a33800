"""``variance.csv`` of a re-plan: per program, area, rank and fiscal year, what the approved plan
planned, what was executed (the years before ``--from``), what the re-plan plans, and why the
plan moved (docs/model.md, "Re-planning from actuals").

Reasons are codes, joined with ``;`` in the ``reasons`` column and written out in
``reason_ja`` / ``reason_en``:

- ``actuals``: the executed amount differs from the plan (a fixed year), or the re-plan
  moved money because of what was executed (a re-planned year, with the approved inputs);
- ``gdp``: the GDP outlook changed (the re-plan's GDP table against the approved run's);
- ``caps``: the cap, the baseline or the fiscal ceilings changed;
- ``plan``: anything else of the plan changed (programs, ranks, rules).

The reasons of a re-planned year come from re-solving the plan one change at a time
(:func:`allocator.api_replan.replan`); a cell moved by a step carries that step's code. The
verifier recomputes every amount of this table from the run folder alone
(:mod:`allocator.run.verify.actual_rules`); the reasons it can only check for form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from allocator.plan.schema import Plan

REASONS = ("actuals", "gdp", "caps", "plan")
REASON_WORDS: dict[str, tuple[str, str]] = {
    "actuals": ("執行実績", "actuals"),
    "gdp": ("GDP見通しの変更", "changed GDP"),
    "caps": ("上限の変更", "changed caps"),
    "plan": ("計画の変更", "changed plan"),
}
"""{code: (ja, en)} of each reason."""

VARIANCE_COLUMNS = [
    "scope",
    "subject",
    "area",
    "rank",
    "fiscal_year",
    "fixed",
    "planned_oku_yen",
    "executed_oku_yen",
    "replanned_oku_yen",
    "change_oku_yen",
    "reasons",
    "reason_ja",
    "reason_en",
]
"""``scope``: program, area, rank or total; ``subject``: the program, area or rank (the rank
number as text; ``total`` for the total). ``executed_oku_yen`` is empty in re-planned years;
``replanned_oku_yen`` is the executed amount in fixed years; ``change`` = re-planned − planned."""

SCOPES = ("program", "area", "rank", "total")

Amounts = Mapping[tuple[str, int], int]
"""{(program_id, fiscal_year): 億円}."""


def reason_text(codes: Iterable[str], lang: str, *, fixed: bool = False, change: int = 0) -> str:
    """The reasons in words; a fixed year's ``actuals`` says overrun or underrun."""
    words = []
    for c in codes:
        ja, en = REASON_WORDS[c]
        if c == "actuals" and fixed and change:
            over = change > 0
            ja = "執行超過" if over else "執行不足"
            en = "overrun" if over else "underrun"
        words.append(ja if lang == "ja" else en)
    return "・".join(words) if lang == "ja" else ", ".join(words)


def cell_reasons(
    steps: list[tuple[tuple[str, ...], Amounts]], approved: Amounts
) -> dict[tuple[str, int], tuple[str, ...]]:
    """{cell: reason codes} from the step schedules: ``steps`` are (codes added by the step,
    the step's schedule), in order, the last one the re-plan; a cell moved by a step takes the
    step's codes."""
    out: dict[tuple[str, int], list[str]] = {}
    before: Amounts = approved
    for codes, schedule in steps:
        for cell in set(before) | set(schedule):
            if schedule.get(cell, 0) != before.get(cell, 0):
                have = out.setdefault(cell, [])
                have.extend(c for c in codes if c not in have)
        before = schedule
    return {cell: tuple(c for c in REASONS if c in codes) for cell, codes in out.items()}


def variance_table(
    plan: Plan,
    approved: Amounts,
    replanned: Amounts,
    reasons: Mapping[tuple[str, int], tuple[str, ...]],
) -> pd.DataFrame:
    """The table of this module's docstring for ``plan`` (a re-plan: ``plan.actuals`` set).

    ``replanned`` is the re-plan's whole schedule (its fixed years equal the actuals); a program
    row is written for every cell with money planned, executed or re-planned; area, rank and
    total rows for every fiscal year of the horizon."""
    assert plan.actuals is not None
    start = plan.actuals.from_year
    executed = plan.actuals.executed()
    programs = {p.program_id: p for p in plan.programs}
    cells = sorted(
        {c for c in (*approved, *replanned, *executed) if c[0] in programs},
        key=lambda c: (c[0], c[1]),
    )
    rows: list[dict[str, object]] = []
    agg: dict[tuple[str, str, int], list[int]] = {}
    agg_reasons: dict[tuple[str, str, int], set[str]] = {}
    for pid, y in cells:
        p = programs[pid]
        fixed = y < start
        planned = approved.get((pid, y), 0)
        now = replanned.get((pid, y), 0)
        ex = executed.get((pid, y), 0) if fixed else None
        codes = reasons.get((pid, y), ())
        if fixed:
            codes = ("actuals",) if now != planned else ()
        rows.append(_row("program", pid, p.area, p.rank, y, fixed, planned, ex, now, codes))
        for key in (("area", p.area, y), ("rank", str(p.rank), y), ("total", "total", y)):
            sums = agg.setdefault(key, [0, 0, 0])
            sums[0] += planned
            sums[1] += ex or 0
            sums[2] += now
            if now != planned:
                agg_reasons.setdefault(key, set()).update(codes)
    keys = [("area", a.id, y) for a in plan.areas for y in plan.fiscal_years]
    keys += [("rank", str(r.rank), y) for r in plan.ranks for y in plan.fiscal_years]
    keys += [("total", "total", y) for y in plan.fiscal_years]
    for level, subject, y in keys:
        planned, ex, now = agg.get((level, subject, y), [0, 0, 0])
        fixed = y < start
        moved = agg_reasons.get((level, subject, y), set()) if now != planned else set()
        codes = tuple(c for c in REASONS if c in moved)
        area = subject if level == "area" else ""
        rank = int(subject) if level == "rank" else None
        rows.append(
            _row(level, subject, area, rank, y, fixed, planned, ex if fixed else None, now, codes)
        )
    df = pd.DataFrame(rows, columns=VARIANCE_COLUMNS)
    df["rank"] = df["rank"].astype("Int64")
    df["executed_oku_yen"] = df["executed_oku_yen"].astype("Int64")
    return df


def _row(
    level: str,
    subject: str,
    area: str,
    rank: int | None,
    year: int,
    fixed: bool,
    planned: int,
    executed: int | None,
    now: int,
    codes: tuple[str, ...],
) -> dict[str, object]:
    change = now - planned
    return {
        "scope": level,
        "subject": subject,
        "area": area,
        "rank": rank,
        "fiscal_year": year,
        "fixed": "yes" if fixed else "no",
        "planned_oku_yen": planned,
        "executed_oku_yen": executed,
        "replanned_oku_yen": now,
        "change_oku_yen": change,
        "reasons": ";".join(codes),
        "reason_ja": reason_text(codes, "ja", fixed=fixed, change=change),
        "reason_en": reason_text(codes, "en", fixed=fixed, change=change),
    }


# ---------------------------------------------------------------------------------------------
# what gives


@dataclass(frozen=True)
class Give:
    """A rank that ends the horizon with less than the approved plan gave it (executed years
    and re-planned years together)."""

    rank: int
    planned_oku_yen: int
    replanned_oku_yen: int

    @property
    def less_oku_yen(self) -> int:
        return self.planned_oku_yen - self.replanned_oku_yen


def what_gives(variance: pd.DataFrame) -> list[Give]:
    """The ranks whose money over the horizon (executed plus re-planned) falls short of the
    approved plan's, in priority order (rank 1 first). Under strict priority the model takes
    the room it lacks from the lowest ranks first; a rank's own underrun shows here too (money
    not spent in a closed year is not spent again beyond what the rules allow)."""
    rows = variance[variance.scope == "rank"]
    out = []
    for rank, g in rows.groupby("subject"):
        planned = int(g.planned_oku_yen.sum())
        now = int(g.replanned_oku_yen.sum())
        if now < planned:
            out.append(Give(int(str(rank)), planned, now))
    return sorted(out, key=lambda g: g.rank)


def moved_oku_yen(approved: Amounts, replanned: Amounts, start: int, *, fixed: bool) -> int:
    """Σ |re-planned − approved| over the re-planned years (``fixed`` false) or the fixed ones."""
    cells = set(approved) | set(replanned)
    return sum(
        abs(replanned.get(c, 0) - approved.get(c, 0)) for c in cells if (c[1] < start) == fixed
    )


__all__ = [
    "REASONS",
    "REASON_WORDS",
    "SCOPES",
    "VARIANCE_COLUMNS",
    "Give",
    "cell_reasons",
    "moved_oku_yen",
    "reason_text",
    "variance_table",
    "what_gives",
]
