"""Terminal text of ``allocate sweep`` (the frontier) and ``allocate min-cap``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from allocator.formatting import format_cap
from allocator.optim.analysis import MinCapResult, SweepResult
from allocator.plan.reached import limits_text
from allocator.plan.schema import Plan
from allocator.run.tables import frontier_table


def _num(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    try:
        if pd.isna(v):
            return "-"
    except (TypeError, ValueError):
        pass
    f = float(v)
    return f"{round(f):,}" if abs(f - round(f)) < 1e-6 else f"{f:,.2f}"


def _t(ja: str, en: str, lang: str) -> str:
    return ja if lang == "ja" else en


def render_sweep(plan: Plan, result: SweepResult, lang: str = "en") -> str:
    """The frontier as a terminal table (one line per cap), then per cap the floors that fall
    short and the caps and ceilings reached."""
    table = frontier_table(result)
    caps = [p.cap for p in result.points]
    span = f"{format_cap(min(caps))}–{format_cap(max(caps))}"
    lines = [
        _t(
            f"計画 {plan.name}: 上限 {span} の{len(caps)}点(GDPケース {plan.gdp_case})、"
            f"{plan.first_year}–{plan.last_year}年度、事業{len(plan.programs)}件",
            f"plan {plan.name}: sweep of {len(caps)} caps {span} of GDP (GDP case "
            f"{plan.gdp_case}), {plan.first_year}–{plan.last_year}年度, {len(plan.programs)} "
            "programs",
            lang,
        )
    ]
    ranks = [f"rank{r}" for r in result.ranks]
    head = f"{'cap':>8}  {'status':<11}" + "".join(f"{r:>10}" for r in ranks)
    head += f"{'defence':>10}{'other':>10}{'short':>10}{'floors':>7}{'seconds':>9}"
    lines.append(head)
    for point, row in zip(result.points, table.itertuples(index=False), strict=True):
        cells = f"{format_cap(point.cap):>8}  {point.status:<11}"
        cells += "".join(f"{_num(getattr(row, f'value_{r}')):>10}" for r in ranks)
        cells += f"{_num(point.defense_alloc_oku_yen):>10}{_num(point.other_alloc_oku_yen):>10}"
        short = _num(point.shortfall_oku_yen) if point.has_plan else "-"
        count = str(len(point.shortfalls)) if point.has_plan else "-"
        cells += f"{short:>10}{count:>7}{point.solve_seconds:>9.2f}"
        lines.append(cells)
    lines.append(
        _t(
            "値: 順位ごとの手当て額(億円、明示的な価値があればその値); 金額: 億円、計画期間の合計; "
            "short: 満たせない下限の不足額の合計、floors: その件数",
            "values: 億円 funded per rank (or its explicit values); amounts: 億円, horizon; "
            "short: 億円 by which floors fall short in all, floors: how many",
            lang,
        )
    )
    lines.append(_t("各点で上限に達したルールと満たせない下限:", "at each cap, the limits "
                    "reached and the floors that fall short:", lang))  # fmt: skip
    for point in result.points:
        if not point.has_plan:
            lines.append(f"  {format_cap(point.cap):>6}: {point.status}")
            continue
        limits = limits_text(list(point.limits), lang) or "-"
        text = f"  {format_cap(point.cap):>6}: {_t('上限', 'limits', lang)} {limits}"
        if point.shortfalls:
            short = ", ".join(f"{s.floor.label} {s.shortfall:,}" for s in point.shortfalls)
            text += _t(f"; 下限の不足 {short}", f"; floors short {short}", lang)
        lines.append(text)
    bad = [format_cap(p.cap) for p in result.points if not p.has_plan]
    if bad:
        lines.append(_t(f"計画なし: {', '.join(bad)}", f"no plan at: {', '.join(bad)}", lang))
    builds = (
        _t("モデル構築1回", "one model build", lang)
        if result.workers == 1
        else _t(
            f"{result.workers} ワーカー、各1回のモデル構築",
            f"{result.workers} workers, one model build each",
            lang,
        )
    )
    lines.append(
        _t(
            f"{result.seconds:.2f} 秒で求解({builds}、{result.build_seconds:.3f} 秒)",
            f"solved in {result.seconds:.2f} s ({builds}, {result.build_seconds:.3f} s)",
            lang,
        )
    )
    return "\n".join(lines)


def render_min_cap(plan: Plan, result: MinCapResult, lang: str = "en") -> str:
    """The two answers — every floor met; each rank as high as with no GDP cap — and the
    per-year path, as terminal text."""
    ranks = ranks_text(result.ranks, lang)
    lines = [
        _t(
            f"計画 {plan.name}: {ranks}の最小上限(GDPケース {plan.gdp_case}、"
            f"{plan.first_year}–{plan.last_year}年度)",
            f"plan {plan.name}: smallest GDP-ratio caps for {ranks}, GDP case {plan.gdp_case}, "
            f"{plan.first_year}–{plan.last_year}年度",
            lang,
        )
    ]
    if result.floors_met is not None:
        lines.append(
            _t(
                f"すべての下限を満たす(every floor met): {format_cap(result.floors_met)}(全年度"
                f"共通。{format_cap(result.floors_met - result.step)}では一部の下限が不足)",
                f"every floor met: {format_cap(result.floors_met)} of GDP, every year "
                f"({format_cap(result.floors_met - result.step)} leaves some floor short)",
                lang,
            )
        )
    elif result.status != "infeasible":
        lines.append(
            _t(
                "すべての下限を満たす上限は99%未満にはありません",
                "every floor met: no cap below 99% of GDP",
                lang,
            )
        )
    if result.targets:
        parts = []
        for r, v in sorted(result.targets.items()):
            high = result.highs.get(r)
            share = f" ({v / high:.1%} of its programs' highs)" if high else ""
            share_ja = f"(事業の上限額合計の{v / high:.1%})" if high else ""
            parts.append(_t(f"順位{r} {_num(v)}{share_ja}", f"rank {r} {_num(v)}{share}", lang))
        lines.append(
            _t("GDP上限がない場合の値: ", "values with no GDP cap: ", lang)
            + _t("、", "; ", lang).join(parts)
        )
    if result.uniform is not None:
        check = (
            _t(
                f"確認済み: {format_cap(result.uniform)}での優先順位どおりの求解で達成",
                f"checked: the strict-priority solve at {format_cap(result.uniform)} reaches it",
                lang,
            )
            if result.verified
            else _t(
                "優先順位どおりの求解では再現せず(注記を参照)",
                "NOT reproduced by the strict-priority solve (see note)",
                lang,
            )
        )
        lines.append(
            _t(
                f"各順位がGDP上限なしの場合と同じ高さ(each rank as high as with no GDP cap): "
                f"{format_cap(result.uniform)}(全年度共通。"
                f"{format_cap(result.uniform - result.step)}では不足。{check})",
                f"each rank as high as with no GDP cap: {format_cap(result.uniform)} of GDP, "
                f"every year ({format_cap(result.uniform - result.step)} is not enough; "
                f"{check})",
                lang,
            )
        )
        below = [
            r for r, v in result.targets.items() if result.highs.get(r) and v < result.highs[r]
        ]
        if below:
            which = ", ".join(str(r) for r in sorted(below))
            en = f"rank {which} stays" if len(below) == 1 else f"ranks {which} stay"
            lines.append(
                _t(
                    f"  (順位{which}はGDP上限がなくても事業の上限額合計に届きません: 財政上の上限"
                    "や分野の上限など他のルールが制約しています)",
                    f"  ({en} below the sum of their programs' highs even with no GDP cap: "
                    "other rules — fiscal ceilings, area ceilings, windows — hold them back)",
                    lang,
                )
            )
    if result.path:
        status = "" if result.path_status == "optimal" else f" [{result.path_status}]"
        lines.append(
            _t(
                "各順位をGDP上限なしの場合と同じ高さにする、年度ごとの最小の防衛費"
                f"(整数計画1回、年度合計を最小化){status}:",
                "least defence spending per year with which a plan has each rank as high as "
                f"with no GDP cap (one integer program, Σ over years minimised){status}:",
                lang,
            )
        )
        lines.append(
            # 年度 and 兆円 are two columns wide on a terminal: pad them two characters less
            f"{'年度':<6}{'GDP 兆円':>8}{'baseline':>10}{'min total':>11}{'new def.':>10}"
            f"{'ratio':>9}"
        )
        for y in result.path:
            lines.append(
                f"{y.fiscal_year:<8}{y.gdp_oku_yen / 10000:>10,.1f}{y.baseline_oku_yen:>10,}"
                f"{y.defense_total_oku_yen:>11,}{y.new_defense_oku_yen:>10,}"
                f"{float(y.ratio) * 100:>8.3f}%"
            )
        lines.append(f"{'total':<8}{'':>10}{'':>10}{result.path_total_oku_yen:>11,}  (億円)")
    lines += [_t("注記: ", "note: ", lang) + n for n in result.notes]
    return "\n".join(lines)


def ranks_text(ranks: tuple[int, ...], lang: str = "en") -> str:
    if len(ranks) == 1:
        return _t(f"順位{ranks[0]}", f"rank {ranks[0]}", lang)
    if list(ranks) == list(range(ranks[0], ranks[-1] + 1)):
        return _t(f"順位{ranks[0]}–{ranks[-1]}", f"ranks {ranks[0]}–{ranks[-1]}", lang)
    return _t("順位" + "、".join(map(str, ranks)), "ranks " + ", ".join(map(str, ranks)), lang)
