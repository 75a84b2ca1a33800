"""What can be checked of optimality from the files alone: each rank's reported value against
the value recomputed from the schedule, and each stage's claim of ``optimal`` against its own
bound and the gap asked for.

A rank's value is recomputed here with exact fractions, from the plan's definitions
(``docs/model.md``): without an explicit value, the 億円 funded; with one and a fixed payment
profile, ``value`` if funded; with one otherwise, ``value × total / high``.
"""

from __future__ import annotations

from fractions import Fraction

from allocator.plan.schema import Plan
from allocator.run.record import RunRecord
from allocator.run.verify.common import Amounts, Table, text_cell, total_of
from allocator.run.verify.tally import Tally

VALUE_TOLERANCE = Fraction(1, 10**6)
"""Absolute slack when comparing a written value (6 decimals at most) with the exact one."""

GAP_SLACK = 1e-9
"""Slack on a stage's gap against the gap asked for (float arithmetic)."""


def rank_values(plan: Plan, amounts: Amounts, funded: dict[str, bool]) -> dict[int, Fraction]:
    """Each rank's value in the schedule, exactly."""
    out = {r.rank: Fraction(0) for r in plan.ranks}
    for p in plan.programs:
        total = total_of(amounts, p.program_id)
        if p.value is None:
            v = Fraction(total)
        elif p.payment_profile is not None:
            v = Fraction(p.value) if funded.get(p.program_id) else Fraction(0)
        else:
            v = Fraction(p.value) * total / p.high_oku_yen
        out[p.rank] = out.get(p.rank, Fraction(0)) + v
    return out


def _slack(x: Fraction) -> Fraction:
    return VALUE_TOLERANCE * max(Fraction(1), abs(x))


def _close(written: float | Fraction, exact: Fraction) -> bool:
    return abs(Fraction(written) - exact) <= _slack(exact)


def _show(x: Fraction | float) -> str:
    f = float(x)
    return f"{round(f):,}" if abs(f - round(f)) < 1e-9 else f"{f:,.6f}"


def check_rank_values(
    plan: Plan,
    record: RunRecord,
    ranks_table: Table | None,
    amounts: Amounts,
    funded: dict[str, bool],
    t: Tally,
) -> dict[int, Fraction]:
    """``ranks.csv`` ``value`` and ``plan.json`` ``objective_per_rank`` equal each rank's value
    recomputed from the schedule. Returns the recomputed values."""
    rule = "rank_value"
    exact = rank_values(plan, amounts, funded)
    written = record.rank_values()
    for rank, want in sorted(exact.items()):
        t.check(rule)
        got = written.get(rank)
        if got is None or not _close(got, want):
            t.fail(
                rule,
                f"rank {rank}",
                f"rank {rank}: plan.json objective_per_rank is "
                f"{'missing' if got is None else _show(got)}, the schedule gives {_show(want)}",
            )
    if ranks_table is None:
        return exact
    seen: set[int] = set()
    for line, c in ranks_table:
        cell = text_cell(c.get("rank")).strip()
        if not cell.isdigit() or int(cell) not in exact:
            t.check(rule)
            t.fail(rule, "ranks.csv", f"ranks.csv row {line}: {cell!r} is not a rank of the plan")
            continue
        rank = int(cell)
        seen.add(rank)
        t.check(rule)
        value_cell = text_cell(c.get("value")).strip()
        try:
            got_value: Fraction | None = Fraction(value_cell)
        except (ValueError, ZeroDivisionError):
            got_value = None
        if got_value is None or not _close(got_value, exact[rank]):
            t.fail(
                rule,
                f"rank {rank}",
                f"rank {rank}: ranks.csv value is {value_cell!r}, the schedule gives "
                f"{_show(exact[rank])}",
            )
    for rank in sorted(set(exact) - seen):
        t.check(rule)
        t.fail(rule, f"rank {rank}", f"rank {rank} has no row in ranks.csv")
    return exact


def check_stage_claims(record: RunRecord, values: dict[int, Fraction], t: Tally) -> None:
    """No stage claims ``optimal`` further from its bound than the gap it was solved to, and
    no rank's final value lies outside what its stage proved: at most its best bound (a later
    stage cannot beat a proven bound) and at least its objective less the tolerance (a later
    stage gives nothing up beyond it)."""
    rule = "stage_claim"
    tolerance = record.solver.tolerance
    for i, s in enumerate(record.stages, start=1):
        which = f"rank {s.rank}" if s.rank is not None else f"stage {i} (tie-break)"
        if s.status != "optimal":
            continue
        t.check(rule)
        if s.objective is None or s.best_bound is None or s.gap is None:
            t.fail(rule, which, f"{which} claims optimal but has no objective, bound or gap")
            continue
        recomputed = abs(s.best_bound - s.objective) / max(1.0, abs(s.objective))
        if abs(recomputed - s.gap) > 1e-6 * max(1.0, recomputed):
            t.fail(
                rule,
                which,
                f"{which}: gap {s.gap:.6g} in plan.json, but objective {s.objective:g} and "
                f"bound {s.best_bound:g} give {recomputed:.6g}",
            )
        asked = s.requested_gap if s.requested_gap is not None else record.solver.gap
        if recomputed > asked * (1 + 1e-6) + GAP_SLACK:
            t.fail(
                rule,
                which,
                f"{which} claims optimal with gap {recomputed:.4%} between value "
                f"{s.objective:g} and bound {s.best_bound:g}, above the gap asked for "
                f"({asked:.4%})",
            )
        if s.rank is None or s.rank not in values:
            continue
        t.check(rule)
        final = values[s.rank]
        objective = Fraction(s.objective)
        low = objective - Fraction(tolerance) - _slack(objective)
        high = Fraction(s.best_bound) + _slack(objective)
        if final < low:
            t.fail(
                rule,
                which,
                f"{which}: the schedule gives {_show(final)}, below what its stage reached "
                f"({_show(objective)}, tolerance {tolerance:g}): a later stage took from it",
            )
        elif final > high:
            t.fail(
                rule,
                which,
                f"{which}: the schedule gives {_show(final)}, above the bound its stage "
                f"proved ({_show(s.best_bound)}): the stage was not optimal",
            )
