"""The value of every priority rank, recomputed from the schedule (rule ``rank_value``), and
``ranks.csv`` row by row (rule ``ranks_mismatch``).

The value rule is written here again, on purpose (docs/model.md, "Objective"): no explicit
value, the 億円 funded; an explicit value with a fixed payment profile, the value if funded;
otherwise value × 億円 / high. ``plan.json`` ``objective_per_rank`` must be what the schedule
gives, and no rank may receive less than its own stage reached (minus the tolerance): that is
what strict priority means, so a schedule edited to take money from a rank is caught even when
every other file was edited to match.
"""

from __future__ import annotations

from fractions import Fraction

from allocator.formatting import oku
from allocator.plan.schema import Plan
from allocator.run.record import RunRecord, StageRecord
from allocator.run.verify.common import Amounts, Table, int_cell, text_cell, total_of
from allocator.run.verify.tally import Tally


def schedule_rank_values(plan: Plan, amounts: Amounts, funded: dict[str, bool]) -> dict[int, float]:
    """{rank: value} of the schedule in ``amounts`` (exact arithmetic, then a float)."""
    values: dict[int, Fraction] = {r.rank: Fraction(0) for r in plan.ranks}
    for p in plan.programs:
        total = total_of(amounts, p.program_id)
        if p.value is None:
            v = Fraction(total)
        elif p.payment_profile is not None:
            v = Fraction(p.value) if funded.get(p.program_id) else Fraction(0)
        else:
            v = Fraction(p.value) * total / p.high_oku_yen if p.high_oku_yen else Fraction(0)
        values[p.rank] = values.get(p.rank, Fraction(0)) + v
    return {k: float(v) for k, v in values.items()}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _stages(record: RunRecord) -> dict[int, StageRecord]:
    return {s.rank: s for s in record.stages if s.rank is not None}


def check_rank_values(plan: Plan, record: RunRecord, values: dict[int, float], t: Tally) -> None:
    """``objective_per_rank`` equals the schedule's value of every rank, and no rank is below
    what its stage reached minus the tolerance."""
    rule = "rank_value"
    recorded = record.objective_per_rank
    stages = _stages(record)
    tolerance = record.solver.tolerance
    for rank, value in sorted(values.items()):
        t.check(rule, 2)
        key = str(rank)
        got = recorded.get(key)
        if got is None:
            t.fail(rule, f"rank {rank}", f"rank {rank}: plan.json objective_per_rank has no value")
        elif not _close(got, value):
            t.fail(
                rule,
                f"rank {rank}",
                f"rank {rank}: the schedule gives it {value:,.6g}, but plan.json "
                f"objective_per_rank says {got:,.6g} ({oku(abs(got - value))} "
                f"{'less' if value < got else 'more'} in the schedule)",
                excess=round(abs(got - value)),
            )
        stage = stages.get(rank)
        if stage is None or stage.objective is None:
            continue
        floor = stage.objective - tolerance - 1e-6 * max(1.0, abs(stage.objective))
        if value < floor:
            t.fail(
                rule,
                f"rank {rank}",
                f"rank {rank}: the schedule gives it {value:,.6g}, less than the "
                f"{stage.objective:,.6g} its priority stage reached (tolerance {tolerance:g}): "
                "a lower rank has its money",
                excess=round(stage.objective - tolerance - value),
            )
    extra = sorted(set(recorded) - {str(k) for k in values})
    if extra:
        t.check(rule)
        t.fail(
            rule,
            PLAN_JSON_NAME,
            f"plan.json objective_per_rank names ranks the plan lacks: {extra}",
        )


PLAN_JSON_NAME = "plan.json"


def _num_ok(cell: str, want: float | None) -> bool:
    s = cell.strip()
    if want is None:
        return s == ""
    try:
        return _close(float(s), want)
    except ValueError:
        return False


def check_ranks_table(
    plan: Plan,
    amounts: Amounts,
    funded: dict[str, bool],
    record: RunRecord,
    table: Table,
    t: Tally,
) -> None:
    """``ranks.csv``: one row per rank, every column recomputed from the plan, the schedule
    and ``plan.json`` (value, bound, gap and status of each rank's stage)."""
    rule = "ranks_mismatch"
    rows: dict[int, tuple[int, dict[str, str]]] = {}
    known = {r.rank for r in plan.ranks}
    for line, c in table:
        rank = int_cell(c["rank"])
        if rank not in known or rank in rows:
            t.check(rule)
            what = "listed twice" if rank in rows else "not a rank of the plan"
            t.fail(rule, RANKS, f"ranks.csv row {line}: rank {c['rank']!r} is {what}")
            continue
        assert rank is not None
        rows[rank] = (line, c)
    stages = _stages(record)
    order = [a.id for a in plan.areas]
    for r in plan.ranks:
        t.check(rule)
        found = rows.get(r.rank)
        if found is None:
            t.fail(rule, f"rank {r.rank}", f"rank {r.rank} has no row in ranks.csv")
            continue
        line, row = found
        mine = [p for p in plan.programs if p.rank == r.rank]
        money = sum(total_of(amounts, p.program_id) for p in mine)
        highs = sum(p.high_oku_yen for p in mine)
        used = {p.area for p in mine}
        stage = stages.get(r.rank)
        text = {
            "name_ja": r.name_ja,
            "name_en": r.name_en,
            "areas": " ".join(a for a in order if a in used),
            "programs": str(len(mine)),
            "programs_funded": str(sum(1 for p in mine if funded.get(p.program_id))),
            "funded_oku_yen": str(money),
            "sum_of_highs_oku_yen": str(highs),
            "status": stage.status if stage else "not_solved",
        }
        numbers: dict[str, float | None] = {
            "share_funded": money / highs if highs else None,
            "value": record.objective_per_rank.get(str(r.rank)),
            "best_bound": stage.best_bound if stage else None,
            "gap": stage.gap if stage else None,
        }
        for col, want in text.items():
            t.check(rule)
            cell = text_cell(row.get(col)).strip()
            if cell != want:
                got, w = int_cell(cell), int_cell(want)
                t.fail(
                    rule,
                    f"rank {r.rank}",
                    f"ranks.csv row {line} (rank {r.rank}): {col} is {cell!r}, recomputed {want!r}",
                    excess=abs(got - w)
                    if col.endswith("oku_yen") and got is not None and w is not None
                    else None,
                )
        for col, value in numbers.items():
            t.check(rule)
            cell = row.get(col, "")
            tolerance_ok = (
                value is not None and col == "share_funded" and _share_ok(cell, value)
            ) or (value is not None and col == "gap" and _gap_ok(cell, value))
            if tolerance_ok or _num_ok(cell, value):
                continue
            t.fail(
                rule,
                f"rank {r.rank}",
                f"ranks.csv row {line} (rank {r.rank}): {col} is {cell!r}, "
                f"{'plan.json has' if col in ('value', 'best_bound', 'gap') else 'recomputed'} "
                f"{'(empty)' if value is None else f'{value:.6g}'}",
            )
        if record.status == "optimal" and text["status"] != "optimal":
            t.check(rule)
            t.fail(
                rule,
                f"rank {r.rank}",
                f"rank {r.rank}: plan.json says the run is optimal, but its stage is "
                f"{text['status']!r}",
            )


RANKS = "ranks.csv"


def _share_ok(cell: str, value: float) -> bool:
    try:
        return abs(float(cell) - value) <= 0.00005 + 1e-12
    except ValueError:
        return False


def _gap_ok(cell: str, value: float) -> bool:
    try:
        return abs(float(cell) - value) <= 5e-7 + 1e-12
    except ValueError:
        return False


GAP_SLACK = 1e-9
"""Slack on a stage's gap against the gap asked for (float arithmetic)."""
VALUE_TOLERANCE = Fraction(1, 10**6)
"""Relative slack when comparing a written value (6 decimals at most) with the exact one."""


def _slack(x: Fraction) -> Fraction:
    return VALUE_TOLERANCE * max(Fraction(1), abs(x))


def _show(x: Fraction | float) -> str:
    f = float(x)
    return f"{round(f):,}" if abs(f - round(f)) < 1e-9 else f"{f:,.6f}"


def check_stage_claims(record: RunRecord, values: dict[int, float], t: Tally) -> None:
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
        final = Fraction(values[s.rank])
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
