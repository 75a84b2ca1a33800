"""Explain an infeasible plan in budget terms.

Two layers: cheap checks before any solve (the baseline alone breaks the cap; mandatory
programs need more than the cap leaves in their windows), then an elastic re-solve: the same
model with a penalised slack on the rules a user can change, minimising the 億円 of change.
It is solved twice: once loosening only the caps (how much more cap, in which years) and once
loosening only floors and mandatory flags (what to give up instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from allocator.constants import families_of
from allocator.formatting import format_cap, oku, pct
from allocator.optim.model import build_model
from allocator.optim.solve import find_feasible, minimise
from allocator.plan.schema import Plan

CAP_FAMILIES = families_of("cap")
FLOOR_FAMILIES = families_of("floor") | {"mandatory"}
CEILING_FAMILIES = families_of("ceiling")


def _oku(n: float) -> str:
    """A shortfall in 億円, rounded up (never understated)."""
    return oku(n, up=True)


def _pct(ratio: Fraction | float) -> str:
    """Round a ratio UP to 0.01 % so the suggested cap is always enough."""
    return pct(ratio, 2, up=True)


def _cap_base(plan: Plan, year: int) -> tuple[int, str]:
    base_year = plan.cap_base_year(year)
    label = f"FY{base_year} GDP" if plan.cap.base == "fixed_year" else "GDP"
    return plan.gdp(base_year), label


def precheck(plan: Plan) -> list[str]:
    """Conflicts visible without solving, each one line with a fix."""
    out: list[str] = []
    cap = format_cap(plan.cap.ratio)
    room = {y: plan.cap_room(y) for y in plan.fiscal_years}
    short = [y for y in plan.fiscal_years if room[y] < 0]
    if short:
        worst = min(short, key=lambda y: room[y])
        need = max(Fraction(plan.baseline(y), _cap_base(plan, y)[0]) for y in short)
        _, base = _cap_base(plan, worst)
        years = (
            f"{short[0]}年度"
            if len(short) == 1
            else (f"{len(short)} of {plan.years} years ({short[0]}–{short[-1]}年度)")
        )
        out.append(
            f"in {years} the baseline defence budget alone exceeds the {cap} cap, by up to "
            f"{-room[worst]:,} 億円 ({worst}年度: baseline {plan.baseline(worst):,} 億円, cap "
            f"{plan.cap_oku_yen(worst):,} 億円) — a cap of at least {_pct(need)} of {base} is "
            "needed for the baseline alone"
        )
    mandatory = [p for p in plan.programs if p.mandatory and plan.counts_toward_defense(p)]
    spans = sorted({(p.window_first_year, p.window_last_year) for p in mandatory})
    for a, b in spans:
        inside = [p for p in mandatory if a <= p.window_first_year and p.window_last_year <= b]
        floor = sum(max(p.low_oku_yen, 1) for p in inside)  # a funded program gets ≥ 1 億円
        have = sum(max(room[y], 0) for y in range(a, b + 1) if y in room)
        if floor > have:
            ids = ", ".join(p.program_id for p in inside)
            years = f"{a}年度" if a == b else f"{a}–{b}年度"
            out.append(
                f"{years}: mandatory programs {ids} need at least {floor:,} 億円 but the {cap} cap "
                f"leaves {have:,} 億円 above the baseline — short by {floor - have:,} 億円; raise "
                f"the cap, widen their windows or drop a mandatory flag"
            )
    return out


def _describe(plan: Plan, family: str, index: tuple[object, ...], slack: float) -> str:
    cap = format_cap(plan.cap.ratio)
    key = index[0]
    if family == "gdp_cap":
        y = int(str(key))
        gdp, base = _cap_base(plan, y)
        need = plan.cap_oku_yen(y) + math.ceil(slack - 1e-6)
        return (
            f"{y}年度: the {cap} cap is short by {_oku(slack)} 億円 — a cap of at least "
            f"{_pct(Fraction(need, gdp))} of {base} in {y}年度"
        )
    if family == "fiscal_year_cap":
        y = int(str(key))
        return (
            f"{y}年度: the fiscal ceiling on new spending ({plan.fiscal.ceiling(y):,} 億円) "
            f"is short by {_oku(slack)} 億円"
        )
    if family == "fiscal_total_cap":
        return (
            f"the horizon ceiling on new spending ({plan.fiscal.max_new_total_oku_yen:,} 億円)"
            f" is short by {_oku(slack)} 億円"
        )
    if family == "fiscal_growth":
        return f"{key}年度: the growth limit on new spending is short by {_oku(slack)} 億円"
    if family == "mandatory":
        p = plan.program(str(key))
        return (
            f"drop the mandatory flag on {p.program_id} ({p.name_en}, at least "
            f"{max(p.low_oku_yen, 1):,} 億円)"
        )
    kind, _, side = family.partition("_")
    what = {"area": "area", "phase": "phase", "bound": "bound"}[kind]
    if side == "low":
        return f"lower the floor of {what} {key} by {_oku(slack)} 億円"
    return f"raise the ceiling of {what} {key} by {_oku(slack)} 億円"


def _rule_name(plan: Plan, family: str, index: tuple[object, ...]) -> str:
    """A short name of the rule, for the headline."""
    key = index[0]
    names = {
        "gdp_cap": f"the {format_cap(plan.cap.ratio)} cap in {key}年度",
        "fiscal_year_cap": f"the fiscal ceiling of {key}年度",
        "fiscal_total_cap": "the horizon ceiling on new spending",
        "fiscal_growth": f"the growth limit in {key}年度",
        "mandatory": f"mandatory program {key}",
    }
    if family in names:
        return names[family]
    kind, _, side = family.partition("_")
    return f"the {'floor' if side == 'low' else 'ceiling'} of {kind} {key}"


Slack = tuple[str, tuple[object, ...], float]


def _elastic(plan: Plan, families: frozenset[str], time_limit: float) -> list[Slack] | None:
    m = build_model(plan, elastic=families)
    weights = []
    for (family, index), s in m.slacks.items():
        w = max(plan.program(str(index[0])).low_oku_yen, 1) if family == "mandatory" else 1
        weights.append(w * s)
    status, values = minimise(m, m.linear_sum(weights), time_limit)
    if status not in ("optimal", "time_limit") or not values:
        return None
    return [
        (f, i, v)
        for (f, i), v in sorted(values.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
        if v > 1e-6
    ]


def is_feasible(plan: Plan, time_limit: float = 60.0) -> bool:
    """Whether any schedule satisfies every rule (one solve with no objective)."""
    return find_feasible(build_model(plan), time_limit) == "optimal"


def smallest_uniform_cap(
    plan: Plan, time_limit: float = 60.0, step: Fraction = Fraction(1, 10_000)
) -> Fraction | None:
    """The smallest cap, in steps of ``step`` (0.01 %), at which a plan exists; None if even
    99 % is not enough (the conflict is then not the cap)."""
    lo = int(plan.cap.ratio / step)  # known or assumed infeasible
    hi = int(Fraction(99, 100) / step)
    if not is_feasible(plan.with_cap(hi * step), time_limit):
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if is_feasible(plan.with_cap(mid * step), time_limit):
            hi = mid
        else:
            lo = mid
    return hi * step


@dataclass(frozen=True)
class Diagnosis:
    """Why a plan is infeasible, as data: ``lines()`` renders it for people."""

    precheck: tuple[str, ...] = ()
    uniform_cap: Fraction | None = None
    """The smallest single cap (0.01 % steps) at which a plan exists."""
    cap_changes: tuple[Slack, ...] = ()
    """Smallest 億円 of extra cap / fiscal room, floors and mandatory flags kept."""
    floor_changes: tuple[Slack, ...] = ()
    """Smallest 億円 of floors (and mandatory flags) to give up, caps kept."""
    other_changes: tuple[Slack, ...] = ()

    def lines(self, plan: Plan) -> list[str]:
        if self.precheck:
            return ["why: " + self.precheck[0], *("     " + x for x in self.precheck[1:])]
        out = []
        conflict = [_rule_name(plan, f, i) for f, i, _ in self.cap_changes + self.floor_changes]
        if conflict:
            out.append("these rules cannot hold together: " + "; ".join(conflict))
        if self.uniform_cap is not None:
            out.append(
                f"the smallest single cap (every year) at which a plan exists: "
                f"{format_cap(self.uniform_cap)} (the {format_cap(plan.cap.ratio)} cap is too low)"
            )
        if self.cap_changes:
            out.append(
                "smallest change to the caps that makes a plan possible (floors and "
                "mandatory programs kept):"
            )
            out += [f"  - {_describe(plan, *x)}" for x in self.cap_changes]
        if self.floor_changes:
            out.append("or, keeping the caps, the smallest change to floors and mandatory flags:")
            out += [f"  - {_describe(plan, *x)}" for x in self.floor_changes]
        if self.other_changes:
            out.append("the rules conflict among themselves; the smallest set of changes:")
            out += [f"  - {_describe(plan, *x)}" for x in self.other_changes]
        if not out:
            out.append(
                "the conflict is inside program rules (windows, units, precedence): "
                "check programs.csv"
            )
        return out


def diagnose(plan: Plan, time_limit: float = 60.0) -> Diagnosis:
    """Cheap checks first; if they find nothing, the elastic re-solves and the cap bisection."""
    found = precheck(plan)
    if found:
        return Diagnosis(precheck=tuple(found))
    by_caps = tuple(_elastic(plan, CAP_FAMILIES, time_limit) or ())
    by_floors = tuple(_elastic(plan, FLOOR_FAMILIES, time_limit) or ())
    other: tuple[Slack, ...] = ()
    if not by_caps and not by_floors:
        every = CAP_FAMILIES | FLOOR_FAMILIES | CEILING_FAMILIES
        other = tuple(_elastic(plan, every, time_limit) or ())
    return Diagnosis(
        uniform_cap=smallest_uniform_cap(plan, time_limit),
        cap_changes=by_caps,
        floor_changes=by_floors,
        other_changes=other,
    )


def explain_infeasibility(plan: Plan, time_limit: float = 60.0) -> list[str]:
    """Lines that say which rules conflict, by how many 億円, and the smallest changes."""
    return diagnose(plan, time_limit).lines(plan)


def relax_floors(plan: Plan, changes: tuple[Slack, ...]) -> Plan:
    """``plan`` with the floor changes of a diagnosis applied (floors lowered by the slack,
    rounded up to whole 億円; mandatory flags dropped)."""
    areas = {a.id: a for a in plan.areas}
    phases = {p.id: p for p in plan.phases}
    bounds = {b.id: b for b in plan.bounds}
    programs = {p.program_id: p for p in plan.programs}
    for family, index, slack in changes:
        key = str(index[0])
        cut = math.ceil(slack - 1e-6)
        if family == "mandatory":
            programs[key] = programs[key].model_copy(update={"mandatory": False})
        elif family == "area_low":
            areas[key] = areas[key].model_copy(
                update={"low_oku_yen": (areas[key].low_oku_yen or 0) - cut}
            )
        elif family == "phase_low":
            phases[key] = phases[key].model_copy(
                update={"low_oku_yen": (phases[key].low_oku_yen or 0) - cut}
            )
        elif family == "bound_low":
            bounds[key] = bounds[key].model_copy(
                update={"low_oku_yen": (bounds[key].low_oku_yen or 0) - cut}
            )
    return plan.model_copy(
        update={
            "areas": tuple(areas.values()),
            "phases": tuple(phases.values()),
            "bounds": tuple(bounds.values()),
            "programs": tuple(programs.values()),
        }
    )
