"""Each program's own rules, from the schedule alone."""

from __future__ import annotations

from collections.abc import Iterable

from allocator.formatting import fy, oku
from allocator.plan.schema import Plan
from allocator.run.verify.common import (
    Amounts,
    check_range,
    paid_years,
    span,
    total_of,
)
from allocator.run.verify.files import ScheduleRow
from allocator.run.verify.tally import Tally


def check_window(plan: Plan, rows: Iterable[ScheduleRow], t: Tally) -> None:
    """Money only inside the program's window and inside the horizon (a contract program's
    contracts: its payments run on after the window, see the contract rules)."""
    programs = {p.program_id: p for p in plan.programs}
    for r in rows:
        p = programs[r.program_id]
        if p.is_contract:
            continue
        t.check("window")
        if r.fiscal_year not in p.window:
            t.fail(
                "window",
                r.program_id,
                f"{fy(r.fiscal_year)}: {r.program_id} is paid {oku(r.amount)} 億円 outside its "
                f"window {span(p.window_first_year, p.window_last_year)}",
                year=r.fiscal_year,
                excess=r.amount,
            )
        elif not plan.first_year <= r.fiscal_year <= plan.last_year:
            t.fail(
                "window",
                r.program_id,
                f"{fy(r.fiscal_year)}: {r.program_id} is paid {oku(r.amount)} 億円 outside the "
                f"horizon {span(plan.first_year, plan.last_year)}",
                year=r.fiscal_year,
                excess=r.amount,
            )


def check_funded(plan: Plan, amounts: Amounts, funded: dict[str, bool], t: Tally) -> None:
    """A program that is not funded receives nothing.

    A funded program receiving nothing is left to the range rule: it is only consistent when
    0 lies in its range (``low_oku_yen = 0``), which the range rule then accepts.
    """
    for p in plan.programs:
        t.check("funded")
        total = total_of(amounts, p.program_id)
        if not funded[p.program_id] and total != 0:
            t.fail(
                "funded",
                p.program_id,
                f"{p.program_id} is not funded (programs.csv) but the schedule pays it "
                f"{oku(total)} 億円",
                excess=abs(total),
            )


def check_program_range(plan: Plan, amounts: Amounts, funded: dict[str, bool], t: Tally) -> None:
    """A funded program's total lies in [low, high]."""
    for p in plan.programs:
        if not funded[p.program_id]:
            t.check("program_range")
            continue
        total = total_of(amounts, p.program_id)
        check_range(
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
                    f"{fy(year)}: {p.program_id} amount {oku(amount)} exceeds its per-year "
                    f"maximum {oku(cap)} by {oku(amount - cap)} 億円",
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
                    f"{fy(year)}: {p.program_id} rises by {oku(rise)} (from {oku(prev)} to "
                    f"{oku(mine.get(year, 0))}), above its ramp limit {oku(ramp)} by "
                    f"{oku(rise - ramp)} 億円",
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
        head = f"{fy(r.fiscal_year)}: {r.program_id}"
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
                f"{head} is bought in units of {oku(u)} 億円 but schedule.csv gives "
                f"{r.units_text!r} units, not a whole number ≥ 0",
                year=r.fiscal_year,
            )
            continue
        bought = r.contract if p.is_contract else r.amount
        if bought != r.units * u:
            diff = abs(bought - r.units * u)
            what = "contract" if p.is_contract else "amount"
            t.fail(
                "units",
                r.program_id,
                f"{head} {what} {oku(bought)} is not {r.units} units × {oku(u)} = "
                f"{oku(r.units * u)} 億円 (off by {oku(diff)} 億円)",
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
                    f"{fy(year)}: {p.program_id} is paid {oku(got)} but its fixed payment "
                    f"profile says {oku(want)} (off by {oku(abs(got - want))} 億円)",
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
            q_years = paid_years(amounts, qid)
            mine = amounts.get(sid, {})
            if q.kind == "start":
                limit = q_years[0] if q_years else None
                early = [y for y in paid_years(amounts, sid) if limit is None or y < limit]
                when = f"before its predecessor {qid} starts" + (
                    f" ({fy(limit)})" if limit is not None else " (it never pays)"
                )
            else:
                limit = q_years[-1] if q_years else None
                early = [y for y in paid_years(amounts, sid) if limit is None or y <= limit]
                when = f"in or before the last payment year of its predecessor {qid}" + (
                    f" ({fy(limit)})" if limit is not None else " (it never pays)"
                )
            if early:
                paid = sum(mine[y] for y in early)
                t.fail(
                    "precedence",
                    sid,
                    f"{fy(early[0])}: {sid} pays {oku(paid)} 億円 {when}",
                    year=early[0],
                    excess=paid,
                )
