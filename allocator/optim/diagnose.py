"""Explain an infeasible plan in budget terms, in Japanese or English.

Layers, cheapest first:

1. checks before any solve: the baseline alone breaks the cap (only when floors are hard: when
   they give way such a year simply gets no new defence money); mandatory programs need more
   than the cap leaves in their windows;
2. the priority-respecting relaxation (floors hard, ``--floors hard``): the floors give way in
   reverse priority order — the floors of no single rank first, then the lowest rank's — by
   the least 億円 each; this is the plan the default (``--floors priority``) would give. A
   floor that is a total over several years is said to be one ("pooled"), not pinned on a year;
3. an elastic re-solve loosening only the caps, minimising the 億円 of change (which years need
   how much more; a cap shortfall that a pooled floor causes is given over that floor's years,
   after checking that any one of them would do), and the smallest single cap at which every
   floor is met;
4. when even giving way every floor leaves no plan (mandatory programs, program rules against
   the caps): an elastic re-solve over floors and mandatory flags, or over every rule.

A plan with ``[[groups]]`` that has no plan even with every floor given way also gets an
elastic re-solve loosening only the group rules (which either-or, package or requirement stands
in the way).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from allocator.constants import families_of
from allocator.formatting import blocked_sentence, format_cap, oku, pct, shortfall_sentence
from allocator.optim.model import build_model
from allocator.optim.result import Shortfall
from allocator.optim.solve import find_feasible, least_shortfalls, minimise, set_bounds
from allocator.plan.room import Blocked, blocked_programs
from allocator.plan.schema import Plan

CAP_FAMILIES = families_of("cap")
FLOOR_FAMILIES = families_of("floor") | {"mandatory"}
CEILING_FAMILIES = families_of("ceiling")
GROUP_FAMILIES = families_of("group")
_CONTRACT_RULES = frozenset({"new_contract_cap", "outstanding_cap", "vehicle_cap", "fund_balance"})


def _t(ja: str, en: str, lang: str) -> str:
    return ja if lang == "ja" else en


def _oku(n: float) -> str:
    """A shortfall in 億円, rounded up (never understated)."""
    return oku(n, up=True)


def _pct(ratio: Fraction | float) -> str:
    """Round a ratio UP to 0.01 % so the suggested cap is always enough."""
    return pct(ratio, 2, up=True)


def _fy(year: int, lang: str) -> str:
    return f"{year}年度" if lang == "ja" else f"FY{year}"


def _span(first: int, last: int, lang: str) -> str:
    if first == last:
        return _fy(first, lang)
    return f"{first}–{last}年度" if lang == "ja" else f"FY{first}–{last}"


def _cap_base(plan: Plan, year: int, lang: str = "en") -> tuple[int, str]:
    base_year = plan.cap_base_year(year)
    if plan.cap.base == "fixed_year":
        return plan.gdp(base_year), _t(f"{base_year}年度GDP", f"FY{base_year} GDP", lang)
    return plan.gdp(base_year), "GDP"


def precheck(plan: Plan, lang: str = "en") -> list[str]:
    """Conflicts visible without solving, each one line with a fix."""
    out: list[str] = []
    cap = format_cap(plan.cap.ratio)
    room = {y: plan.cap_room(y) for y in plan.fiscal_years}
    short = [y for y in plan.fiscal_years if room[y] < 0]
    if short and plan.solver.floors == "hard":
        worst = min(short, key=lambda y: room[y])
        need = max(Fraction(plan.committed(y), _cap_base(plan, y)[0]) for y in short)
        _, base = _cap_base(plan, worst, lang)
        due = plan.obligations_due(worst)  # owed on earlier contracts: committed spending too
        owed_ja = f" + 既定分の後年度負担 {due:,} 億円" if due else ""
        owed_en = f" + obligations already owed {due:,} 億円" if due else ""
        if lang == "ja":
            years = (
                f"{short[0]}年度"
                if len(short) == 1
                else f"{plan.years}年度のうち{len(short)}年度({short[0]}–{short[-1]}年度)"
            )
            out.append(
                f"{years}は既存の防衛予算だけで上限{cap}を超えます(最大 {-room[worst]:,} 億円、"
                f"{worst}年度: 既存予算 {plan.baseline(worst):,} 億円{owed_ja}、上限 "
                f"{plan.cap_oku_yen(worst):,} 億円)— 既存予算だけでも{base}の{_pct(need)}以上の"
                "上限が必要です"
            )
        else:
            years = (
                f"{short[0]}年度"
                if len(short) == 1
                else f"{len(short)} of {plan.years} years ({short[0]}–{short[-1]}年度)"
            )
            out.append(
                f"in {years} the baseline defence budget alone exceeds the {cap} cap, by up to "
                f"{-room[worst]:,} 億円 ({worst}年度: baseline {plan.baseline(worst):,} 億円"
                f"{owed_en}, cap "
                f"{plan.cap_oku_yen(worst):,} 億円) — a cap of at least {_pct(need)} of {base} is "
                "needed for the baseline alone"
            )
    out += _group_precheck(plan)
    for y in plan.fiscal_years:
        ceiling = plan.contracts.outstanding_ceiling(y)
        earlier = sum(o.oku_yen for o in plan.obligations if o.fiscal_year > y)
        if ceiling is not None and earlier > ceiling:
            out.append(
                _t(
                    f"{y}年度: それ以降に支払う既定分の後年度負担({earlier:,} 億円)が後年度負担"
                    f"残高の上限({ceiling:,} 億円)を {earlier - ceiling:,} 億円超えています — "
                    "[contracts] の上限を引き上げてください",
                    f"{y}年度: the obligations already owed after that year ({earlier:,} 億円) "
                    f"exceed the ceiling on obligations outstanding ({ceiling:,} 億円) by "
                    f"{earlier - ceiling:,} 億円 — raise the ceiling in [contracts]",
                    lang,
                )
            )
            break
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
                _t(
                    f"{years}: 必須の事業 {ids} には少なくとも {floor:,} 億円が必要ですが、上限"
                    f"{cap}のもとで既存予算を超えて使えるのは {have:,} 億円 — {floor - have:,} "
                    "億円不足。上限を上げる、実施可能期間を広げる、または必須の指定を外してください",
                    f"{years}: mandatory programs {ids} need at least {floor:,} 億円 but the "
                    f"{cap} cap leaves {have:,} 億円 above the baseline — short by "
                    f"{floor - have:,} 億円; raise the cap, widen their windows or drop a "
                    "mandatory flag",
                    lang,
                )
            )
    return out


def _group_precheck(plan: Plan) -> list[str]:
    """Groups that allow fewer programs than are mandatory among them."""
    out: list[str] = []
    for g in plan.groups:
        forced = [p for p in g.programs if plan.program(p).mandatory]
        if g.at_most is not None and len(forced) > g.at_most:
            out.append(
                f"group {g.id} ({g.name_en}) allows at most {g.at_most} of "
                f"{', '.join(g.programs)}, but {len(forced)} of them are mandatory "
                f"({', '.join(forced)}) — drop {len(forced) - g.at_most} mandatory flag(s) or "
                f"raise at_most to {len(forced)}"
            )
    return out


def _low(plan: Plan, program_id: str) -> int:
    """The least a funded program receives, 億円 (its low, at least 1)."""
    return max(plan.program(program_id).low_oku_yen, 1)


def _describe_group(plan: Plan, family: str, index: tuple[object, ...], slack: float) -> str:
    g = plan.group(str(index[0]))
    n = math.ceil(slack - 1e-6)
    head = f"group {g.id} ({g.name_en})"
    if family == "group_at_most":
        limit = g.at_most or 0
        return (
            f"{head}: allow {limit + n} of {', '.join(g.programs)} to be funded instead of at "
            f"most {limit}"
        )
    if family == "group_at_least":
        floor = g.at_least or 0
        cheapest = min(_low(plan, p) for p in g.programs)
        return (
            f"{head}: fund {max(floor - n, 0)} instead of at least {floor} of "
            f"{', '.join(g.programs)} (the cheapest needs at least {cheapest:,} 億円)"
        )
    pid = str(index[1])
    if family == "group_all_or_none":
        ring = list(g.programs)
        nxt = ring[(ring.index(pid) + 1) % len(ring)]
        return (
            f"{head}: split the package — fund {pid} (at least {_low(plan, pid):,} 億円) "
            f"without {nxt} (at least {_low(plan, nxt):,} 億円)"
        )
    if family == "group_requires":
        need = str(index[2])
        return (
            f"{head}: let {pid} be funded without {need} (which needs at least "
            f"{_low(plan, need):,} 億円)"
        )
    return f"{head}: let {pid} be funded without any of {', '.join(g.requires_any)}"


def _describe(
    plan: Plan, family: str, index: tuple[object, ...], slack: float, lang: str = "en"
) -> str:
    if family in GROUP_FAMILIES:
        return _describe_group(plan, family, index, slack)
    cap = format_cap(plan.cap.ratio)
    key = index[0]
    if family == "gdp_cap":
        y = int(str(key))
        gdp, base = _cap_base(plan, y, lang)
        need = plan.cap_oku_yen(y) + math.ceil(slack - 1e-6)
        return _t(
            f"{y}年度: 上限{cap}が {_oku(slack)} 億円不足 — {y}年度は{base}の"
            f"{_pct(Fraction(need, gdp))}以上の上限が必要",
            f"{y}年度: the {cap} cap is short by {_oku(slack)} 億円 — a cap of at least "
            f"{_pct(Fraction(need, gdp))} of {base} in {y}年度",
            lang,
        )
    if family == "fiscal_year_cap":
        y = int(str(key))
        return _t(
            f"{y}年度: 新規支出の年間上限({plan.fiscal.ceiling(y):,} 億円)が "
            f"{_oku(slack)} 億円不足",
            f"{y}年度: the fiscal ceiling on new spending ({plan.fiscal.ceiling(y):,} 億円) "
            f"is short by {_oku(slack)} 億円",
            lang,
        )
    if family == "fiscal_total_cap":
        total = plan.fiscal.max_new_total_oku_yen
        return _t(
            f"計画期間の新規支出の上限({total:,} 億円)が {_oku(slack)} 億円不足",
            f"the horizon ceiling on new spending ({total:,} 億円) is short by {_oku(slack)} 億円",
            lang,
        )
    if family == "fiscal_growth":
        return _t(
            f"{key}年度: 新規支出の伸びの上限が {_oku(slack)} 億円不足",
            f"{key}年度: the growth limit on new spending is short by {_oku(slack)} 億円",
            lang,
        )
    if family == "mandatory":
        p = plan.program(str(key))
        low = max(p.low_oku_yen, 1)
        return _t(
            f"{p.program_id}({p.name_ja}、少なくとも {low:,} 億円)の必須の指定を外す",
            f"drop the mandatory flag on {p.program_id} ({p.name_en}, at least {low:,} 億円)",
            lang,
        )
    if family in _CONTRACT_RULES:
        name = _rule_name(plan, family, index, lang)
        return _t(
            f"{name}が {_oku(slack)} 億円不足", f"{name} is short by {_oku(slack)} 億円", lang
        )
    kind, _, side = family.partition("_")
    what = _kind_word(kind, lang)
    if side == "low" or family == "ratio_floor":
        return _t(
            f"{what} {key} の下限を {_oku(slack)} 億円下げる",
            f"lower the floor of {what} {key} by {_oku(slack)} 億円",
            lang,
        )
    return _t(
        f"{what} {key} の上限を {_oku(slack)} 億円上げる",
        f"raise the ceiling of {what} {key} by {_oku(slack)} 億円",
        lang,
    )


def _kind_word(kind: str, lang: str) -> str:
    words = {
        "area": ("分野", "area"),
        "phase": ("期間区分", "phase"),
        "bound": ("集計", "bound"),
        "ratio": ("GDP比の下限", "ratio floor"),
    }
    ja, en = words.get(kind, (kind, kind))
    return ja if lang == "ja" else en


def _rule_name(plan: Plan, family: str, index: tuple[object, ...], lang: str = "en") -> str:
    """A short name of the rule, for the headline."""
    key = index[0]
    cap = format_cap(plan.cap.ratio)
    names = {
        "gdp_cap": (f"{key}年度の上限{cap}", f"the {cap} cap in {key}年度"),
        "fiscal_year_cap": (f"{key}年度の新規支出上限", f"the fiscal ceiling of {key}年度"),
        "fiscal_total_cap": ("計画期間の新規支出上限", "the horizon ceiling on new spending"),
        "fiscal_growth": (f"{key}年度の伸びの上限", f"the growth limit in {key}年度"),
        "mandatory": (f"必須の事業 {key}", f"mandatory program {key}"),
        "new_contract_cap": (
            f"{key}年度の新規契約の上限",
            f"the ceiling on new contracts in {key}年度",
        ),
        "outstanding_cap": (
            f"{key}年度末の後年度負担残高の上限",
            f"the ceiling on obligations outstanding at the end of {key}年度",
        ),
    }
    if family in ("vehicle_cap", "fund_balance"):
        vehicle, year = index[0], index[1]
        what = "ceiling" if family == "vehicle_cap" else "balance"
        return f"the {what} of {vehicle} in {year}年度"
    if family in names:
        ja, en = names[family]
        return _t(ja, en, lang)
    if family in GROUP_FAMILIES:
        g = plan.group(str(key))
        return _t(f"グループ {g.id}({g.rules()})", f"group {g.id} ({g.rules()})", lang)
    kind, _, side = family.partition("_")
    what = _kind_word(kind, lang)
    if side == "low" or family == "ratio_floor":
        return _t(f"{what} {key} の下限", f"the floor of {what} {key}", lang)
    return _t(f"{what} {key} の上限", f"the ceiling of {what} {key}", lang)


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


def every_floor_met(plan: Plan, time_limit: float = 60.0) -> bool:
    """Whether some schedule meets every floor (and every other rule): feasibility with the
    floors hard, whatever the plan's own setting."""
    return is_feasible(_hard(plan), time_limit)


def _hard(plan: Plan) -> Plan:
    return plan.model_copy(update={"solver": plan.solver.model_copy(update={"floors": "hard"})})


def _priority(plan: Plan) -> Plan:
    return plan.model_copy(update={"solver": plan.solver.model_copy(update={"floors": "priority"})})


def smallest_uniform_cap(
    plan: Plan, time_limit: float = 60.0, step: Fraction = Fraction(1, 10_000)
) -> Fraction | None:
    """The smallest cap, in steps of ``step`` (0.01 %), at which a plan exists (with the
    plan's own floors setting: with ``hard``, every floor met); None if even 99 % is not
    enough (the conflict is then not the cap)."""
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
class PooledCap:
    """The cap falls ``total`` 億円 short over the years ``first``..``last`` of a floor that is a
    total over them (``family[key]``); ``anywhere``: the years in which that whole amount
    alone, added to the cap of that one year, makes a plan possible (never empty)."""

    family: str
    key: str
    first: int
    last: int
    total: int
    anywhere: tuple[int, ...]


@dataclass(frozen=True)
class Diagnosis:
    """Why a plan is infeasible, as data: ``lines(plan, lang)`` renders it for people."""

    precheck: tuple[str, ...] = ()
    uniform_cap: Fraction | None = None
    """The smallest single cap (0.01 % steps) at which every floor is met."""
    relaxation: tuple[Shortfall, ...] = ()
    """The floors that give way, in reverse priority order, by the least 億円 each (what
    ``--floors priority`` gives); empty when the relaxation was not tried or did not help."""
    relaxation_status: str = ""
    """``optimal`` (the relaxation above is a plan), ``infeasible`` (no plan even with every
    floor given way), or empty (not tried)."""
    cap_changes: tuple[Slack, ...] = ()
    """Smallest 億円 of extra cap / fiscal room, floors and mandatory flags kept."""
    pooled: tuple[PooledCap, ...] = ()
    """Cap shortfalls that a floor over several years causes (given over those years)."""
    floor_changes: tuple[Slack, ...] = ()
    """Floors to lower (and mandatory flags to drop), caps kept: the relaxation above as
    slacks, or, when it is infeasible, the smallest change to floors and mandatory flags."""
    group_changes: tuple[Slack, ...] = ()
    """Fewest changes to the ``[[groups]]`` rules (one per program), everything else kept."""
    other_changes: tuple[Slack, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    """Programs of a rank whose floors give way that cannot be funded at this cap even alone."""
    cap_ratio: Fraction | None = None

    def lines(self, plan: Plan, lang: str = "en") -> list[str]:
        if self.precheck:
            found = precheck(plan, lang) or list(self.precheck)
            head = _t("理由: ", "why: ", lang)
            return [head + found[0], *("     " + x for x in found[1:])]
        out: list[str] = []
        conflict = self._conflict(plan, lang)
        if conflict:
            out.append(
                _t("同時には満たせないルール: ", "these rules cannot hold together: ", lang)
                + _t("、", "; ", lang).join(conflict)
            )
        out += self._relaxation_lines(lang)
        if self.uniform_cap is not None:
            hard = plan.solver.floors == "hard"
            what = _t(
                "すべての下限を満たす" if hard else "計画が存在する",
                "at which every floor is met" if hard else "at which a plan exists",
                lang,
            )
            out.append(
                _t(
                    f"{what}最小の上限(全年度共通): {format_cap(self.uniform_cap)}"
                    f"(上限{format_cap(plan.cap.ratio)}では不足)",
                    f"the smallest single cap (every year) {what}: "
                    f"{format_cap(self.uniform_cap)} (the {format_cap(plan.cap.ratio)} cap is "
                    "too low)",
                    lang,
                )
            )
        if self.cap_changes:
            out.append(
                _t(
                    "あるいは、すべての下限と必須の事業を守ったまま、上限の最小の変更:",
                    "or, keeping every floor and mandatory program, the smallest change to the "
                    "caps:",
                    lang,
                )
            )
            out += [f"  - {x}" for x in self._cap_lines(plan, lang)]
        if self.floor_changes and self.relaxation_status != "optimal":
            out.append(
                _t(
                    "上限を守ったまま、下限と必須の指定の最小の変更:",
                    "or, keeping the caps, the smallest change to floors and mandatory flags:",
                    lang,
                )
            )
            out += [f"  - {_describe(plan, *x, lang=lang)}" for x in self.floor_changes]
        if self.group_changes:
            out.append(
                _t(
                    "上限・下限・必須の指定を守ったまま、事業グループの規則の最小の変更:",
                    "or, keeping the caps, floors and mandatory flags, the smallest change to the "
                    "program groups:",
                    lang,
                )
            )
            out += [f"  - {_describe(plan, *x, lang=lang)}" for x in self.group_changes]
        if self.other_changes:
            out.append(
                _t(
                    "ルール同士が矛盾しています。最小の変更:",
                    "the rules conflict among themselves; the smallest set of changes:",
                    lang,
                )
            )
            out += [f"  - {_describe(plan, *x, lang=lang)}" for x in self.other_changes]
        if not out:
            out.append(
                _t(
                    "矛盾は事業のルール(実施可能期間、数量、先行関係)の中にあります: "
                    "programs.csv を確認してください",
                    "the conflict is inside program rules (windows, units, precedence): "
                    "check programs.csv",
                    lang,
                )
            )
        return out

    def _conflict(self, plan: Plan, lang: str) -> list[str]:
        names: list[str] = []
        pooled_years = {y for p in self.pooled for y in range(p.first, p.last + 1)}
        cap = format_cap(plan.cap.ratio)
        for p in self.pooled:
            names.append(
                _t(
                    f"{_span(p.first, p.last, lang)}の上限{cap}(合計で)",
                    f"the {cap} cap in {_span(p.first, p.last, lang)} (in total)",
                    lang,
                )
            )
        for f, i, _ in self.cap_changes:
            if f == "gdp_cap" and int(str(i[0])) in pooled_years:
                continue
            names.append(_rule_name(plan, f, i, lang))
        if self.relaxation_status == "optimal":
            for sf in self.relaxation:
                fl = sf.floor
                what = _rule_name(plan, fl.family, (fl.key,), lang)
                if fl.pooled:
                    what += _t(
                        f"({_span(fl.first_year, fl.last_year, lang)}の合計)",
                        f" (a total over {_span(fl.first_year, fl.last_year, lang)})",
                        lang,
                    )
                names.append(what)
        else:
            names += [_rule_name(plan, f, i, lang) for f, i, _ in self.floor_changes]
        names += [_rule_name(plan, f, i, lang) for f, i, _ in self.group_changes]
        return names

    def _relaxation_lines(self, lang: str) -> list[str]:
        if self.relaxation_status == "infeasible":
            return [
                _t(
                    "すべての下限を譲っても計画はありません(必須の事業や事業のルールが上限と矛盾)",
                    "even with every floor given way there is no plan: mandatory programs or "
                    "program rules conflict with the caps",
                    lang,
                )
            ]
        if self.relaxation_status != "optimal" or not self.relaxation:
            return []
        out = [
            _t(
                "上限を守ったまま、下限を優先順位の逆順に(単一の順位に属さない下限、次に下位の順位の"
                "下限から)必要最小限だけ譲る計画があります(--floors hard を付けずに実行すると"
                "この計画になります):",
                "keeping the caps, the floors can give way in reverse priority order (floors of "
                "no single rank first, then the lowest rank's), each by the least 億円 (allocate "
                "without --floors hard gives this plan):",
                lang,
            )
        ]
        out += [f"  - {shortfall_text(sf, lang)}" for sf in self.relaxation]
        cap = format_cap(self.cap_ratio) if self.cap_ratio is not None else ""
        out += [
            "    "
            + blocked_sentence(
                b.program_id, b.rank, b.need, b.room, b.first_year, b.last_year, b.limit, cap,
                lang,
            )
            for b in self.blocked
        ]  # fmt: skip
        return out

    def _cap_lines(self, plan: Plan, lang: str) -> list[str]:
        cap = format_cap(plan.cap.ratio)
        pooled_years = {y for p in self.pooled for y in range(p.first, p.last + 1)}
        out: list[str] = []
        for p in self.pooled:
            span = _span(p.first, p.last, lang)
            if set(p.anywhere) == set(range(p.first, p.last + 1)):
                where = _t(
                    "どの年度に上乗せしても(複数年度に分けても)よい",
                    "the extra room can be in any one of these years, or spread over them",
                    lang,
                )
            else:
                years = _t("、", ", ", lang).join(_fy(y, lang) for y in p.anywhere)
                where = _t(
                    f"全額を1年度に上乗せするなら {years}",
                    f"all of it in one year works in {years}",
                    lang,
                )
            floor = _rule_name(plan, p.family, (p.key,), lang)
            out.append(
                _t(
                    f"{span}: 上限{cap}が合計 {p.total:,} 億円不足({floor}は{span}の合計なので"
                    f"{where})",
                    f"{span}: the {cap} cap is short by {p.total:,} 億円 in total ({floor} is "
                    f"a total over {span}, so {where})",
                    lang,
                )
            )
        for f, i, v in self.cap_changes:
            if f == "gdp_cap" and int(str(i[0])) in pooled_years:
                continue
            out.append(_describe(plan, f, i, v, lang))
        return out


def shortfall_text(sf: Shortfall, lang: str) -> str:
    """One floor that gives way, in words: which floor, whose, how far short, over which years."""
    fl = sf.floor
    return shortfall_sentence(
        fl.family, fl.key, fl.name_ja if lang == "ja" else fl.name_en, fl.rank,
        fl.first_year, fl.last_year, fl.low, sf.achieved, sf.shortfall, lang,
    )  # fmt: skip


def _pooled(
    plan: Plan, cap_changes: list[Slack], relaxation: tuple[Shortfall, ...], time_limit: float
) -> tuple[PooledCap, ...]:
    """Cap shortfalls that one floor over several years causes: when every year in which the
    elastic re-solve put more cap lies within the years of a floor that falls short and is a
    total over several years, and the whole amount added to the cap of some single one of
    those years makes a plan possible (checked year by year), the shortfall is given over the
    floor's years instead of the year the re-solve happened to pick. Narrowest floor first."""
    gdp = {int(str(i[0])): v for f, i, v in cap_changes if f == "gdp_cap"}
    if not gdp:
        return ()
    floors = sorted(
        (sf.floor for sf in relaxation if sf.floor.pooled),
        key=lambda f: f.last_year - f.first_year,
    )
    for fl in floors:
        years = range(fl.first_year, fl.last_year + 1)
        if not all(y in years for y in gdp):
            continue
        total = math.ceil(sum(gdp.values()) - 1e-6)
        anywhere = tuple(y for y in years if _cap_slack_works(plan, y, total, time_limit))
        if anywhere:
            return (
                PooledCap(fl.family, str(fl.key), fl.first_year, fl.last_year, total, anywhere),
            )
    return ()


def _cap_slack_works(plan: Plan, year: int, extra: int, time_limit: float) -> bool:
    """Whether ``extra`` 億円 more cap in ``year`` alone makes a plan possible."""
    m = build_model(plan, elastic=frozenset({"gdp_cap"}))
    for (_, index), s in m.slacks.items():
        set_bounds(s, 0, extra if int(str(index[0])) == year else 0)
    return find_feasible(m, time_limit) == "optimal"


def diagnose(plan: Plan, time_limit: float = 60.0) -> Diagnosis:
    """Cheap checks first; if they find nothing, the priority-respecting relaxation, the
    elastic re-solves and the cap bisection."""
    found = precheck(plan)
    if found:
        return Diagnosis(precheck=tuple(found))
    status, relaxation = least_shortfalls(
        build_model(_priority(plan)), time_limit=time_limit, gap=plan.solver.gap
    )
    relaxation_status = "optimal" if status in ("optimal", "feasible") else status
    by_caps = tuple(_elastic(plan, CAP_FAMILIES, time_limit) or ())
    by_floors: tuple[Slack, ...]
    if relaxation_status == "optimal":
        by_floors = tuple(
            (str(sf.floor.family), (sf.floor.key,), float(sf.shortfall)) for sf in relaxation
        )
    else:
        by_floors = tuple(_elastic(plan, FLOOR_FAMILIES, time_limit) or ())
    by_groups = tuple(_elastic(plan, GROUP_FAMILIES, time_limit) or ()) if plan.groups else ()
    other: tuple[Slack, ...] = ()
    if not by_caps and not by_floors and not by_groups:
        every = CAP_FAMILIES | FLOOR_FAMILIES | CEILING_FAMILIES | GROUP_FAMILIES
        other = tuple(_elastic(plan, every, time_limit) or ())
    pooled = _pooled(plan, list(by_caps), relaxation, time_limit) if by_caps else ()
    short_ranks = {sf.floor.rank for sf in relaxation if sf.floor.rank is not None}
    blocked = tuple(b for b in blocked_programs(_priority(plan), {}) if b.rank in short_ranks)
    return Diagnosis(
        blocked=blocked,
        cap_ratio=plan.cap.ratio,
        uniform_cap=smallest_uniform_cap(plan, time_limit),
        relaxation=relaxation if relaxation_status == "optimal" else (),
        relaxation_status=relaxation_status,
        cap_changes=by_caps,
        pooled=pooled,
        floor_changes=by_floors,
        group_changes=by_groups,
        other_changes=other,
    )


def explain_infeasibility(plan: Plan, time_limit: float = 60.0, lang: str = "en") -> list[str]:
    """Lines that say which rules conflict, by how many 億円, and the smallest changes."""
    return diagnose(plan, time_limit).lines(plan, lang)


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
        elif family == "ratio_floor":  # one ratio for every year: the floor is dropped
            plan = plan.model_copy(
                update={"cap": plan.cap.model_copy(update={"floor_ratio": None})}
            )
    return plan.model_copy(
        update={
            "areas": tuple(areas.values()),
            "phases": tuple(phases.values()),
            "bounds": tuple(bounds.values()),
            "programs": tuple(programs.values()),
        }
    )
