"""Which caps and ceilings a schedule reaches, and in which years.

A limit is *reached* when the schedule sits exactly at it: the GDP-ratio cap in a year with no
headroom left, the yearly fiscal ceiling (6 兆円 a year in the shipped plan) in a year whose new
spending equals it, the horizon ceiling (50 兆円) when the total equals it, and the ceilings of
areas, phases and aggregate bounds. A reached limit is where more money would have to come
from; whether raising it would buy anything is a different question (answered by re-solving,
see docs/model.md, *What more cap buys*). Computed from the plan and the schedule alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from allocator.formatting import year_ranges
from allocator.plan.schema import MULTI_PHASE, Plan

Amounts = dict[tuple[str, int], int]
"""{(program_id, fiscal_year): 億円}."""


@dataclass(frozen=True)
class LimitReached:
    """``rule`` (``gdp_cap``, ``fiscal_year_cap``, ``fiscal_total_cap``, ``area_high``,
    ``phase_high``, ``bound_high``) with id ``key`` is reached in ``years`` (for a yearly
    rule: the years at the limit; for a total: the years it spans); ``limit`` in 億円 (the
    yearly rules' limits differ by year: the first year's is given)."""

    rule: str
    key: str
    name_ja: str
    name_en: str
    years: tuple[int, ...]
    limit: int

    def years_text(self, lang: str) -> str:
        return year_ranges(list(self.years), lang)


def limits_reached(plan: Plan, amounts: Amounts) -> list[LimitReached]:
    """The caps and ceilings ``amounts`` reaches, in the order: GDP cap, yearly fiscal
    ceiling, horizon ceiling, aggregate bounds, areas, phases."""
    by_program: dict[str, dict[int, int]] = {}
    for (pid, y), amount in amounts.items():
        by_program.setdefault(pid, {})[y] = by_program.get(pid, {}).get(y, 0) + amount
    years = plan.fiscal_years
    new = {y: sum(m.get(y, 0) for m in by_program.values()) for y in years}
    defence_ids = {p.program_id for p in plan.programs if plan.counts_toward_defense(p)}
    defence = {y: sum(by_program.get(pid, {}).get(y, 0) for pid in defence_ids) for y in years}
    out: list[LimitReached] = []
    at_cap = [y for y in years if defence[y] >= plan.new_defense_room(y)]
    if at_cap:
        out.append(
            LimitReached(
                "gdp_cap", "gdp_cap", "GDP比上限", "GDP-ratio cap", tuple(at_cap),
                plan.cap_oku_yen(at_cap[0]),
            )
        )  # fmt: skip
    ceiling_years = [y for y in years if (c := plan.fiscal.ceiling(y)) is not None and new[y] >= c]
    if ceiling_years:
        limit = plan.fiscal.ceiling(ceiling_years[0]) or 0
        out.append(
            LimitReached(
                "fiscal_year_cap", "fiscal_year_cap", "新規支出の年間上限",
                "yearly ceiling on new spending", tuple(ceiling_years), limit,
            )
        )  # fmt: skip
    total = plan.fiscal.max_new_total_oku_yen
    if total is not None and sum(new.values()) >= total:
        last = max((y for y in years if new[y]), default=years[-1])
        out.append(
            LimitReached(
                "fiscal_total_cap", "fiscal_total_cap", "計画期間の新規支出の上限",
                "ceiling on new spending over the horizon", (years[0], last), total,
            )
        )  # fmt: skip
    for b in plan.bounds:
        if b.high_oku_yen is None:
            continue
        span = range(b.first_year, b.last_year + 1)
        ids = {p.program_id for p in plan.programs if not b.areas or p.area in b.areas}
        got = sum(by_program.get(pid, {}).get(y, 0) for pid in ids for y in span)
        if got >= b.high_oku_yen:
            out.append(
                LimitReached(
                    "bound_high", b.id, b.name_ja, b.name_en, (b.first_year, b.last_year),
                    b.high_oku_yen,
                )
            )  # fmt: skip
    for a in plan.areas:
        if a.high_oku_yen is None:
            continue
        progs = [p for p in plan.programs if p.area == a.id]
        got = sum(sum(by_program.get(p.program_id, {}).values()) for p in progs)
        if got >= a.high_oku_yen and progs:
            first = min(p.window_first_year for p in progs)
            last = max(p.window_last_year for p in progs)
            out.append(
                LimitReached("area_high", a.id, a.name_ja, a.name_en, (first, last), a.high_oku_yen)
            )
    for ph in plan.phases:
        if ph.high_oku_yen is None:
            continue
        progs = [p for p in plan.programs if p.phase == ph.id and p.phase != MULTI_PHASE]
        got = sum(sum(by_program.get(p.program_id, {}).values()) for p in progs)
        if got >= ph.high_oku_yen:
            out.append(
                LimitReached(
                    "phase_high", ph.id, ph.name_ja, ph.name_en, (ph.first_year, ph.last_year),
                    ph.high_oku_yen,
                )
            )  # fmt: skip
    return out


def limits_text(limits: list[LimitReached], lang: str) -> str:
    """``gdp_cap 2026–2034年度; fiscal_total_cap`` — a short list for tables."""
    kinds = {"area_high": "area", "phase_high": "phase", "bound_high": "bound"}
    parts = []
    for lim in limits:
        if lim.rule in kinds:
            parts.append(f"{kinds[lim.rule]} {lim.key}")
        elif lim.rule in ("gdp_cap", "fiscal_year_cap"):
            parts.append(f"{lim.rule} {lim.years_text(lang)}")
        else:
            parts.append(lim.rule)
    return "; ".join(parts)


__all__ = ["Amounts", "LimitReached", "limits_reached", "limits_text"]
