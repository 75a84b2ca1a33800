"""What a re-plan's fixed years already break: the rules the executed amounts (the actuals,
:mod:`allocator.plan.actuals`) violate, or floors they can no longer meet. The model sets these
aside (:mod:`allocator.optim.families.actuals`); the re-plan reports them. The verifier has its
own copy (:mod:`allocator.run.verify.actual_rules`) and does not import this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from allocator.formatting import fy, oku
from allocator.plan.schema import MULTI_PHASE, Plan, Program


def fixed_cells(plan: Plan) -> dict[tuple[str, int], tuple[int, int | None]]:
    """{(program_id, fiscal_year): (億円 executed, units)} for every program and fixed year
    (0 where the actuals have no row): the cells a re-plan does not choose. For a multi-year
    contract program the cell is what it contracted (its decision); what it pays in the fixed
    years follows from its contracts by its payment pattern."""
    if plan.actuals is None:
        return {}
    rows = {(a.program_id, a.fiscal_year): a for a in plan.actuals.rows}
    out: dict[tuple[str, int], tuple[int, int | None]] = {}
    for p in plan.programs:
        for y in plan.fixed_years:
            a = rows.get((p.program_id, y))
            if a is not None and p.is_contract:
                # the decision of a contract program is the contract; payments follow
                out[p.program_id, y] = (a.contracted_oku_yen or 0, a.units)
            elif a is not None:
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
                add(
                    "year_max",
                    (pid, y),
                    pid,
                    y,
                    a - ub,
                    "past",
                    f"FY{y}: {pid} executed {oku(a)} 億円, above its per-year maximum {oku(ub)}",
                    f"{fy(y, 'ja')}: {pid} の執行 {oku(a)} 億円は年度上限 {oku(ub)} を超過",
                )
            ramp = p.max_ramp_oku_yen
            if ramp is not None and p.payment_profile is None and y in p.window and a - prev > ramp:
                add(
                    "ramp",
                    (pid, y),
                    pid,
                    y,
                    a - prev - ramp,
                    "past",
                    f"FY{y}: {pid} rose by {oku(a - prev)} 億円, above its ramp limit {oku(ramp)}",
                    f"{fy(y, 'ja')}: {pid} の増加 {oku(a - prev)} 億円は増加上限 "
                    f"{oku(ramp)} を超過",
                )
            if y in p.window:
                prev = a
            if p.payment_profile is not None and y in p.window and y >= p.window_first_year:
                want = p.profile.get(y, 0)
                spent_any = any(paid(pid, t) for t in fixed)
                if spent_any and a != want:
                    add(
                        "payment_profile",
                        (pid, y),
                        pid,
                        y,
                        abs(a - want),
                        "past",
                        f"FY{y}: {pid} paid {oku(a)} 億円 against its contract payment {oku(want)}",
                        f"{fy(y, 'ja')}: {pid} の支払 {oku(a)} 億円(契約上の支払 {oku(want)})",
                    )
        past = sum(paid(pid, y) for y in fixed)
        free = _free_years(plan, p)
        if p.payment_profile is None and past > p.high_oku_yen:
            add(
                "range_high",
                (pid,),
                pid,
                None,
                past - p.high_oku_yen,
                "ceiling_reached",
                f"{pid} has executed {oku(past)} 億円, above its high {oku(p.high_oku_yen)}: "
                "nothing more is planned for it",
                f"{pid} の執行累計 {oku(past)} 億円は上限 {oku(p.high_oku_yen)} を超過"
                "(以後の配分なし)",
            )
        low = max(p.low_oku_yen, 1)
        if p.payment_profile is None and not free and 0 < past < low:
            add(
                "range_low",
                (pid,),
                pid,
                None,
                low - past,
                "floor_missed",
                f"{pid} executed {oku(past)} 億円, below its low {oku(low)}, and its window "
                "has closed",
                f"{pid} の執行累計 {oku(past)} 億円は下限 {oku(low)} に届かず、実施可能期間は終了",
            )
        if p.mandatory and not free and past == 0:
            add(
                "mandatory",
                (pid,),
                pid,
                None,
                low,
                "floor_missed",
                f"mandatory program {pid} executed nothing and its window has closed",
                f"必須事業 {pid} は執行がなく、実施可能期間は終了",
            )
        for link in p.predecessors:
            qid = link.program_id
            for y in fixed:
                a = paid(pid, y)
                if not a:
                    continue
                if link.kind == "start" and not any(paid(qid, t) for t in fixed if t <= y):
                    add(
                        "after_start",
                        (pid, qid, y),
                        pid,
                        y,
                        a,
                        "past",
                        f"FY{y}: {pid} paid {oku(a)} 億円 before its predecessor {qid} started",
                        f"{fy(y, 'ja')}: {pid} は先行事業 {qid} の開始前に {oku(a)} 億円を支払",
                    )
                if link.kind == "finish" and any(paid(qid, t) for t in fixed if t >= y):
                    add(
                        "after_finish",
                        (pid, qid, y),
                        pid,
                        y,
                        a,
                        "past",
                        f"FY{y}: {pid} paid {oku(a)} 億円 before its predecessor {qid} finished",
                        f"{fy(y, 'ja')}: {pid} は先行事業 {qid} の完了前に {oku(a)} 億円を支払",
                    )
    _aggregate_breaches(plan, cells, add)
    for y in fixed:
        spend = sum(paid(p.program_id, y) for p in plan.programs if plan.counts_toward_defense(p))
        room = plan.cap_room(y)
        if spend > room:
            add(
                "gdp_cap",
                (y,),
                "horizon",
                y,
                spend - room,
                "past",
                f"FY{y}: defence spending executed was {oku(spend - room)} 億円 above the cap",
                f"{fy(y, 'ja')}: 防衛費の執行はGDP比上限を {oku(spend - room)} 億円超過",
            )
        total = sum(paid(p.program_id, y) for p in plan.programs)
        ceiling = plan.fiscal.ceiling(y)
        if ceiling is not None and total > ceiling:
            add(
                "fiscal_year_cap",
                (y,),
                "horizon",
                y,
                total - ceiling,
                "past",
                f"FY{y}: new spending executed was {oku(total - ceiling)} 億円 above the "
                "year's fiscal ceiling",
                f"{fy(y, 'ja')}: 新規支出の執行は年度の財政上限を {oku(total - ceiling)} 億円超過",
            )
        growth = plan.fiscal.max_growth_ratio
        if growth is not None and y > plan.first_year:
            before = sum(paid(p.program_id, y - 1) for p in plan.programs)
            allowed = (1 + growth) * before
            if total > allowed * (1 + 1e-9):
                add(
                    "fiscal_growth",
                    (y,),
                    "horizon",
                    y,
                    round(total - allowed),
                    "past",
                    f"FY{y}: new spending executed grew above the growth limit",
                    f"{fy(y, 'ja')}: 新規支出の執行は伸び率上限を超過",
                )
    return out


def _aggregate_breaches(plan: Plan, cells: Mapping[tuple[str, int], int], add: Any) -> None:
    """Totals of areas, phases, bounds and the horizon ceiling that the fixed years already
    exceed, and floors whose years are all fixed and not met."""
    assert plan.actuals is not None
    start = plan.actuals.from_year

    def scope_sum(programs: list[Program], first: int, last: int) -> tuple[int, bool]:
        past = sum(
            a
            for (pid, y), a in cells.items()
            if first <= y <= last and pid in {p.program_id for p in programs}
        )
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
        scopes.append(
            ("phase", ph.id, progs, *everything, ph.low_oku_yen, ph.high_oku_yen, "期間区分")
        )
    for b in plan.bounds:
        progs = [p for p in plan.programs if not b.areas or p.area in b.areas]
        scopes.append(
            ("bound", b.id, progs, b.first_year, b.last_year, b.low_oku_yen, b.high_oku_yen, "集計")
        )
    for kind, key, progs, first, last, low, high, word in scopes:
        past, free = scope_sum(progs, first, last)
        if high is not None and past > high:
            add(
                f"{kind}_high",
                (key,),
                key,
                None,
                past - high,
                "ceiling_reached",
                f"{kind} {key}: {oku(past)} 億円 executed, above its ceiling {oku(high)}: "
                "nothing more is planned under it",
                f"{word} {key}: 執行 {oku(past)} 億円は上限 {oku(high)} を超過(以後の配分なし)",
            )
        if low and not free and past < low:
            add(
                f"{kind}_low",
                (key,),
                key,
                None,
                low - past,
                "floor_missed",
                f"{kind} {key}: {oku(past)} 億円 executed, below its floor {oku(low)}, and its "
                "years are over",
                f"{word} {key}: 執行 {oku(past)} 億円は下限 {oku(low)} に届かず、期間は終了",
            )
    total_cap = plan.fiscal.max_new_total_oku_yen
    past = sum(cells.values())
    if total_cap is not None and past > total_cap:
        add(
            "fiscal_total_cap",
            ("horizon",),
            "horizon",
            None,
            past - total_cap,
            "ceiling_reached",
            f"new spending executed, {oku(past)} 億円, is above the horizon ceiling "
            f"{oku(total_cap)}: nothing more is planned",
            f"新規支出の執行 {oku(past)} 億円は期間上限 {oku(total_cap)} を超過(以後の配分なし)",
        )


__all__ = [
    "CEILING_FAMILIES",
    "FLOOR_FAMILIES",
    "Breach",
    "fixed_cells",
    "past_breaches",
]
