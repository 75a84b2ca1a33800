"""``report.md``: a one-page summary for a director (headline, what is and is not funded,
the limits reached, how the schedule was chosen, what 0.1 % of GDP more would buy (re-solved)
and the local rates with their range, links to the rest), from a run folder alone."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from allocator.constants import AREA_CHART, CHARTS_DIR, RANK_CHART, WORKBOOK
from allocator.formatting import (
    blocked_sentence,
    cho_text,
    fy,
    pct,
    shortfall_sentence,
    year_ranges,
    year_span,
)
from allocator.report.contracts import contracts_markdown
from allocator.report.data import RunData
from allocator.report.labels import TIEBREAK_WORDS, limit_phrase, md, rank_label, status_word

# ---------------------------------------------------------------------------------------------
# report.md


def code(text: Any) -> str:
    """Text from the plan as a Markdown code span (identifiers such as ``past_projection``)."""
    return "`" + " ".join(str(text).split()).replace("`", "'") + "`"


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _verification_line(data: RunData, lang: str) -> str:
    v = data.record.verification
    if v is None:
        return "未検証(plan.json に検証結果がありません)" if lang == "ja" else "not verified"
    checks = v.checks
    bad = len(v.violations)
    if v.ok:
        if lang == "ja":
            return f"独立検証で全ルールを満たす({checks:,}件を確認、違反0)"
        return f"every rule holds, checked independently ({checks:,} checks, 0 violations)"
    if lang == "ja":
        return f"**検証で違反あり**({checks:,}件を確認、違反{bad}件)— 計画として使えません"
    return f"**verification FAILED** ({checks:,} checks, {bad} violations) — do not use"


def _status_line(data: RunData, lang: str) -> str:
    n = data.floors_short
    if data.status == "optimal" and n:
        return (
            f"最適(下限の不足 {n}件)— すべての優先順位で最適性を証明済み。下限は優先順位の"
            "逆順に譲られました(下記)"
            if lang == "ja"
            else f"optimal, {n} floor{'s' if n != 1 else ''} short — every priority rank is "
            "proven optimal; floors gave way in reverse priority order (below)"
        )
    if data.status == "optimal":
        return (
            "最適 — すべての優先順位で最適性を証明済み"
            if lang == "ja"
            else "optimal — every priority rank is proven optimal"
        )
    gaps = []
    for s in data.record.stages:
        if s.rank is not None and s.gap:
            gaps.append(f"{rank_label(s.rank, lang)} {pct(s.gap, 2)}")
    gap_text = ", ".join(gaps) if gaps else "—"
    if lang == "ja":
        return (
            f"{status_word(data.status, lang)} — 時間制限などで停止したか、上界との差が"
            f"指定のギャップを超えた段階があります。ギャップ: {gap_text}"
        )
    return (
        f"{status_word(data.status, lang)} — a stage stopped at a limit or ended further from "
        f"its bound than the gap asked for; gap: {gap_text}"
    )


def _cap_line(data: RunData, lang: str) -> str:
    info = data.plan_info
    case = code(info.gdp_case)
    base_year = info.cap_base_year
    fixed = info.cap_base == "fixed_year" and base_year
    if lang == "ja":
        base = f"{base_year}年度のGDP" if fixed else "各年度のGDP"
        return f"防衛費(既存予算+新規)は{base}の {data.cap_text} 以内(GDPケース: {case})"
    base = f"FY{base_year} GDP" if fixed else "each year's GDP"
    return f"defence spending (baseline + new) at most {data.cap_text} of {base} (GDP case: {case})"


def _horizon(data: RunData, lang: str) -> str:
    info = data.plan_info
    first, years = info.first_year, info.years
    name = code(info.name)
    span = (
        f"{first}–{first + years - 1}年度({years}年度)"
        if lang == "ja"
        else f"FY{first}–{first + years - 1} ({years} years)"
    )
    return f"計画 {name}、{span}" if lang == "ja" else f"Plan {name}, {span}"


def _infeasible_md(data: RunData, lang: str) -> str:
    ja = lang == "ja"
    lines = [
        f"# {md(data.title(lang))} — {'配分結果の要約' if ja else 'allocation summary'}",
        "",
        _horizon(data, lang) + ("。" if ja else "."),
        "",
        f"- **{'上限' if ja else 'Cap'}**: {_cap_line(data, lang)}",
        f"- **{'解の状態' if ja else 'Status'}**: {status_word(data.status, lang)}",
        "",
    ]
    if data.status == "infeasible":
        lines.append(
            "**実行可能な計画はありません。** すべてのルールを同時に満たす配分は存在しません。"
            if ja
            else "**No plan exists (infeasible).** No schedule satisfies every rule at once."
        )
    else:
        lines.append(
            "**この実行には配分がありません。**" if ja else "**This run has no schedule.**"
        )
    lines.append("")
    explanation = data.explanation_text(lang)
    if explanation:
        lines += [
            "## 理由と対処(explanation.txt)"
            if ja
            else "## Why, and what would fix it (explanation.txt)",
            "",
        ]
        fence = _fence(explanation)
        lines += [fence + "text", explanation, fence]
    else:
        lines.append("explanation.txt がありません。" if ja else "There is no explanation.txt.")
    return "\n".join(lines) + "\n"


def _num(v: float) -> str:
    if v == 0:
        return "0"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2f}"


def _signed(v: float) -> str:
    """A change: ``+251``, ``-100``, ``+12.50`` (whole numbers without decimals)."""
    text = f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.2f}"
    return "+" + text if v > 0 else text


def more_cap_lines(data: RunData, lang: str) -> list[str]:
    """What 0.1 % of GDP more cap buys, re-solved (plan.json ``more_cap``), per rank."""
    ja = lang == "ja"
    more = data.record.more_cap
    if more is None:
        return [
            "この実行フォルダには再計算の結果(plan.json の more_cap)がありません。"
            if ja
            else "This run folder has no re-solve at a higher cap (plan.json more_cap)."
        ]
    gains = {int(k): v for k, v in more.gains.items() if abs(v) > 1e-6}
    short = more.base_shortfall_oku_yen - more.shortfall_oku_yen
    head = (
        f"上限を全年度でGDPの0.1%引き上げて(上限 {more.cap})優先順位どおりに解き直した結果:"
        if ja
        else f"Solved again with the cap 0.1% of GDP higher in every year ({more.cap}), under "
        "the same strict priority:"
    )
    out = [head, ""]
    if more.status not in ("optimal", "feasible"):
        out.append(f"- {more.status}")
        return out
    if not gains and not short:
        # the GDP cap may be reached in some years (the tie-break put money there) without
        # holding any rank back: say so once, never "the cap binds" and "other rules bind"
        at_cap = data.binding_years()
        if at_cap:
            years = year_ranges(at_cap, lang)
            out.append(
                f"- どの順位の価値も変わりません。GDP比上限には{years}に達していますが、どの順位も"
                "制約していません(各順位を制約しているのは、上の表のほかの上限と、事業の上限額・"
                "実施期間です)"
                if ja
                else f"- no rank's value changes: the GDP cap is reached in {years}, but holds "
                "no rank back there; the other limits in the table above and the programs' "
                "highs and windows do"
            )
        else:
            out.append(
                "- どの順位の価値も変わりません(GDP比上限にはどの年度も達していません。各順位を"
                "制約しているのは、上の表の上限と、事業の上限額・実施期間です)"
                if ja
                else "- no rank's value changes: the GDP cap is not reached in any year; the "
                "limits in the table above and the programs' highs and windows hold the ranks "
                "back"
            )
    for k, v in sorted(gains.items()):
        out.append(f"- {rank_label(k, lang)}: {_signed(v)} 億円")
    if short:
        out.append(
            f"- 下限の不足が {short:,} 億円減ります"
            if ja
            else f"- floors fall {short:,} 億円 less short"
        )
    return out


def _marginal_md(data: RunData, lang: str) -> list[str]:
    """The re-solve at 0.1 % of GDP more, then the local rates per year with the range over
    which each holds."""
    ja = lang == "ja"
    out = more_cap_lines(data, lang)
    cols = data.marginal_columns()
    if not cols or data.summary is None:
        return out
    s = data.summary.set_index("fiscal_year")
    valid_col = "marginal_valid_up_to_oku_yen"
    rows = []
    for y in s.index:
        rates = {k: s.at[y, col] for k, col in cols}
        rates = {
            k: float(v) for k, v in rates.items() if not pd.isna(v) and str(v) != "" and float(v)
        }
        if rates:
            valid = s.at[y, valid_col] if valid_col in s.columns else None
            at_least = (
                "marginal_valid_at_least" in s.columns
                and str(s.at[y, "marginal_valid_at_least"]) == "yes"
            )
            shown = None if valid is None or pd.isna(valid) or str(valid) == "" else int(valid)
            rows.append((int(y), rates, shown, at_least))
    if not rows:
        return out
    used = sorted({k for _, rates, _, _ in rows for k in rates})
    out += [
        "",
        (
            "年度ごとの限界的な率(その年度だけ上限を100億円上げたときの各順位の価値の変化)と、"
            "その率が成り立つ範囲(その年度の上乗せ額がこの億円までは正確。事業の実施・数量の決定は"
            "同じまま。これを超えると率は変わります):"
            if ja
            else "Local rates per year — the change in each rank's value per 100 億円 more cap "
            "in that year alone — and the range over which each holds exactly (up to that many "
            "億円 more in that year, with the same funding decisions; beyond it the rate "
            "changes):"
        ),
        "",
    ]
    head = [
        "年度" if ja else "FY",
        *(f"{rank_label(k, lang)} /100億円" for k in used),
        "成り立つ範囲(億円)" if ja else "holds up to (億円)",
    ]
    out += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for y, rates, valid, at_least in rows:
        cells = [fy(y, lang), *(_signed(rates[k]) if k in rates else "0" for k in used)]
        cells.append("—" if valid is None else ("≥ " if at_least else "") + f"{valid:,}")
        out.append("| " + " | ".join(cells) + " |")
    return out


def _shortfalls_md(data: RunData, lang: str) -> list[str]:
    """The floors that fall short, in the order they gave way, and the programs that cannot be
    funded at this cap even alone; nothing when every floor is met."""
    ja = lang == "ja"
    rec = data.record
    if not rec.shortfalls:
        if rec.solver.floors == "priority":
            return ["すべての下限を満たしています。" if ja else "Every floor is met.", ""]
        return []
    out = [
        "## 満たせない下限" if ja else "## Floors that fall short",
        "",
        (
            "すべての下限を同時には満たせないため、下限は優先順位の逆順に(単一の順位に属さない"
            "下限、次に下位の順位の下限から)必要最小限だけ譲られました。上限と必須の事業は譲られ"
            "ません。一覧は shortfalls.csv にもあります。"
            if ja
            else "Not every floor can be met, so floors gave way in reverse priority order "
            "(floors of no single rank first, then the lowest rank's), each by the least 億円; "
            "caps and mandatory programs never give way. The list is also in shortfalls.csv."
        ),
        "",
    ]
    for i, sf in enumerate(rec.shortfalls, start=1):
        name = sf.name_ja if ja else sf.name_en
        text = shortfall_sentence(
            sf.floor, sf.key, name, sf.rank, sf.first_year, sf.last_year, sf.floor_oku_yen,
            sf.achieved_oku_yen, sf.shortfall_oku_yen, lang,
        )  # fmt: skip
        out.append(f"{i}. {md(text)}")
    short_ranks = {sf.rank for sf in rec.shortfalls if sf.rank is not None}
    blocked = [b for b in rec.blocked if b.rank in short_ranks]
    if blocked:
        out += [
            "",
            "この上限では単独でも実施できない事業(下位の順位がその資金を受け取っても優先順位に"
            "反しません):"
            if ja
            else "Programs that cannot be funded at this cap even alone (a lower rank receiving "
            "that money is no breach of the priority):",
            "",
        ]
        for b in blocked:
            text = blocked_sentence(
                b.program_id, b.rank, b.need_oku_yen, b.room_oku_yen, b.first_year,
                b.last_year, b.limit, data.cap_text, lang,
            )  # fmt: skip
            out.append(f"- {md(text)}")
    out.append("")
    return out


def _choice_md(data: RunData, lang: str) -> list[str]:
    """Which tie-break chose the schedule, and that others have the same value."""
    ja = lang == "ja"
    tb = data.record.tiebreak
    profile = tb.profile if tb is not None else data.record.solver.profile
    words_ja, words_en = TIEBREAK_WORDS.get(profile, (profile, profile))
    out = [
        "## 配分の選び方" if ja else "## How this schedule was chosen",
        "",
        (
            "すべての順位(と下限の不足)が同じ値になる配分は多数あります。年度ごとの配分はその中から"
            f"同値の配分を選ぶ規則 **{words_ja}** で選ばれました。他の配分も各順位の値は同じです"
            "(この選択で失われる順位の価値はありません)。"
            if ja
            else "Many schedules give every rank (and every floor) the same value; the yearly "
            f"amounts shown were chosen among them by the tie-break **{words_en}**. Other "
            "schedules have the same value for every rank (no rank gives anything up to this "
            "choice)."
        ),
    ]
    stage = next((s for s in data.record.stages if s.kind == "tiebreak" and s.name is None), None)
    if stage is not None and stage.gap is not None and stage.status == "optimal":
        asked = stage.requested_gap if stage.requested_gap is not None else 0.0
        if profile == "level" and stage.objective is not None and stage.best_bound is not None:
            rough, best = -stage.objective, -stage.best_bound
            out += [
                "",
                f"平準度の指標 L = {rough:,.0f}(億円換算の年度間の変化の合計)。どの配分も "
                f"{best:,.0f} 未満にはならないことが証明されています(差 {stage.gap:.3%}、"
                f"許容 {asked:.2%})。"
                if ja
                else f"Roughness L = {rough:,.0f} (year-to-year changes, in 億円); no schedule "
                f"has less than {best:,.0f}, proven (within {stage.gap:.3%}; allowed "
                f"{asked:.2%}).",
            ]
        else:
            out += [
                "",
                f"この選択は最良の値から {stage.gap:.3%} 以内であることが証明されています"
                f"(許容 {asked:.2%})。"
                if ja
                else f"The choice is proven within {stage.gap:.3%} of the best tie-break value "
                f"(allowed {asked:.2%}).",
            ]
    if tb is not None and tb.reference:
        moved = f"{tb.moved_oku_yen:,}" if tb.moved_oku_yen is not None else "—"
        out += [
            "",
            f"基準の実行結果: {code(tb.reference)}(配分の差の合計 {moved} 億円)"
            if ja
            else f"Reference run: {code(tb.reference)} ({moved} 億円 moved in all, Σ|difference|)",
        ]
    out.append("")
    return out


def _limits_md(data: RunData, lang: str) -> list[str]:
    """The caps and ceilings the schedule reaches, in which years — one consistent statement."""
    ja = lang == "ja"
    out = ["## 上限に達しているルール" if ja else "## Limits reached", ""]
    limits = data.record.limits
    if not limits:
        out += [
            "どの上限にも達していません。" if ja else "The schedule reaches no cap or ceiling.",
            "",
        ]
        return out
    head = ["ルール", "年度"] if ja else ["Rule", "Fiscal years"]
    out += ["| " + " | ".join(head) + " |", "|---|---|"]
    for lim in limits:
        name = lim.name_ja if ja else lim.name_en
        phrase = limit_phrase(lim.rule, lim.key, name, lim.limit_oku_yen, data.cap_text, lang)
        if lim.rule in ("gdp_cap", "fiscal_year_cap"):
            years = year_ranges(list(lim.years), lang)
            when = f"{years}({len(lim.years)}年度)" if ja else f"{years} ({len(lim.years)} years)"
        else:
            span = year_span(lim.years[0], lim.years[-1], lang)
            when = f"{span}の合計で上限いっぱい" if ja else f"used up over {span}"
        out.append(f"| {md(phrase)} | {when} |")
    out += _limits_not_reached(data, lang)
    out += [
        "",
        (
            "上限に達しているとは、その年度(または期間)の配分がちょうど上限に等しいことです。"
            "上限を引き上げたときに何が増えるかは、次の節で再計算した結果を示します。"
            if ja
            else "A limit is reached where the schedule sits exactly at it. What raising the "
            "cap would buy is in the next section, re-solved."
        ),
        "",
    ]
    return out


RAISE_WORDS = {
    "fiscal_total_cap": (
        "計画期間の新規支出の上限",
        "the ceiling on new spending over the horizon",
    ),
    "fiscal_year_cap": ("新規支出の年間上限", "the yearly ceiling on new spending"),
    "bound_high": ("集計の上限", "the ceiling of bound"),
    "area_high": ("分野の上限", "the ceiling of area"),
    "phase_high": ("期間区分の上限", "the ceiling of phase"),
}


def ratio_target_lines(data: RunData, lang: str) -> list[str]:
    """``--floor-ratio``: where target and cap meet, where the target is missed, and what the
    programs and ceilings cannot absorb (plan.json ``ratio_target``)."""
    ja = lang == "ja"
    rt = data.record.ratio_target
    if rt is None:
        return []
    out = [
        "## GDP比の目標(下限)" if ja else "## The ratio as a target",
        "",
        (
            f"防衛費(既存予算+新規)を{fy(rt.first_year, lang)}以降、GDPの{rt.ratio}以上とする"
            f"目標(--floor-ratio)。上限は{data.cap_text}。"
            if ja
            else f"Target (--floor-ratio): defence spending (baseline + new) at least {rt.ratio} "
            f"of GDP from {fy(rt.first_year, lang)}; the cap is {data.cap_text}."
        ),
        "",
    ]
    met = [y.fiscal_year for y in rt.years if not y.short_oku_yen]
    short = [y for y in rt.years if y.short_oku_yen]
    if rt.meets_cap:
        years = year_ranges(list(rt.meets_cap), lang)
        out.append(
            f"- 目標と上限が一致する年度: {years}(目標を満たす年度では防衛費はちょうど上限の額)"
            if ja
            else f"- Target and cap meet: {years} (where the target is met there, defence "
            "spending is exactly at the cap)"
        )
    if met:
        out.append(
            f"- 目標を満たす年度: {year_ranges(met, lang)}"
            if ja
            else f"- Target met: {year_ranges(met, lang)}"
        )
    if short:
        total = sum(y.short_oku_yen for y in short)
        years = year_ranges([y.fiscal_year for y in short], lang)
        out.append(
            f"- 目標に届かない年度: {years}、不足の合計 {cho_text(total, lang)}"
            if ja
            else f"- Target missed: {years}, by {cho_text(total, lang)} in all"
        )
        for fam, key, amount in rt.raises:
            words = RAISE_WORDS.get(fam, (fam, fam))
            name = words[0] if ja else words[1]
            name += "" if fam.startswith("fiscal") else f" {key}"
            out.append(
                f"  - 目標を保つには{name}を {cho_text(amount, lang)} 引き上げる必要があります"
                if ja
                else f"  - keeping it would need {name} raised by {cho_text(amount, lang)}"
            )
        if rt.unabsorbed_oku_yen:
            out.append(
                f"  - 事業が吸収できない額: {cho_text(rt.unabsorbed_oku_yen, lang)}(財政・分野・"
                "期間区分・集計の上限をすべて引き上げても、これらの年度に実施可能期間と上限額の"
                "範囲で支出できる防衛の事業がありません)"
                if ja
                else "  - the programs cannot absorb "
                f"{cho_text(rt.unabsorbed_oku_yen, lang)} of it even with every fiscal, area, "
                "phase and aggregate ceiling raised: no defence "
                "program may spend more in those years within its window and high"
            )
        if not rt.raises and not rt.unabsorbed_oku_yen:
            out.append("  - —")
    for y, v in sorted(rt.above_cap.items()):
        out.append(
            f"- {fy(int(y), lang)}: 目標が上限を {v:,} 億円上回っています(両立しません)"
            if ja
            else f"- {fy(int(y), lang)}: the target is above the cap by {v:,} 億円 "
            "(both cannot hold)"
        )
    out.append("")
    return out


def _limits_not_reached(data: RunData, lang: str) -> list[str]:
    """The GDP cap and the yearly fiscal ceiling when the schedule does not reach them, with
    how close it comes (so that "the 6 兆円 a year ceiling" is always accounted for)."""
    ja = lang == "ja"
    s = data.summary
    if s is None:
        return []
    reached = {lim.rule for lim in data.record.limits}
    out: list[str] = []
    if "gdp_cap" not in reached:
        low = int(s.headroom_oku_yen.min())
        phrase = limit_phrase("gdp_cap", "", "", 0, data.cap_text, lang)
        when = (
            f"達していない(最小の余裕 {low:,} 億円)"
            if ja
            else f"not reached (least headroom {low:,} 億円)"
        )
        out.append(f"| {md(phrase)} | {when} |")
    column = s.fiscal_ceiling_oku_yen if "fiscal_ceiling_oku_yen" in s else []
    ceilings = [x for x in column if not pd.isna(x) and str(x).strip() != ""]
    if "fiscal_year_cap" not in reached and ceilings:
        i = int(s.new_total_oku_yen.astype(int).idxmax())
        peak, year = int(s.new_total_oku_yen[i]), int(s.fiscal_year[i])
        phrase = limit_phrase("fiscal_year_cap", "", "", int(ceilings[0]), "", lang)
        when = (
            f"達していない(最大は{fy(year, lang)}の {cho_text(peak, lang)})"
            if ja
            else f"not reached (the largest year: {cho_text(peak, lang)} in {fy(year, lang)})"
        )
        out.append(f"| {md(phrase)} | {when} |")
    return out


def _groups_md(data: RunData, lang: str) -> list[str]:
    """Which programs of each ``[[groups]]`` entry the plan funds (nothing without groups)."""
    if not data.groups or data.programs is None:
        return []
    ja = lang == "ja"
    funded = {
        str(p): str(f) == "yes"
        for p, f in zip(data.programs.program_id, data.programs.funded, strict=True)
    }
    lines = [
        "## 事業グループ(選択・一括・前提)"
        if ja
        else "## Program groups (alternatives, packages, requirements)",
        "",
        "| グループ | 規則 | 実施する事業 |" if ja else "| Group | Rule | Funded |",
        "|---|---|---|",
    ]
    for g in data.groups:
        name = g.name_ja if ja else g.name_en
        chosen = [p for p in g.programs if funded.get(p)]
        text = ("、" if ja else ", ").join(chosen) if chosen else ("なし" if ja else "none")
        lines.append(f"| {md(g.id)} {md(name)} | {md(g.rules(lang))} | {md(text)} |")
    return [*lines, ""]


def report_markdown(data: RunData, lang: str) -> str:
    """The text of ``report.md`` for ``data`` in ``lang``."""
    if not data.has_plan:
        return _infeasible_md(data, lang)
    from allocator.report.annual import evaluation_md, indicators_md, variance_md

    if data.is_evaluation:
        return evaluation_md(data, lang)
    assert data.summary is not None
    ja = lang == "ja"
    s = data.summary
    lines = [
        f"# {md(data.title(lang))} — {'配分結果の要約' if ja else 'allocation summary'}",
        "",
    ]
    n_prog = len(data.programs) if data.programs is not None else None
    tail = (
        (f"、事業{n_prog}件。" if ja else f", {n_prog} programs.")
        if n_prog is not None
        else ("。" if ja else ".")
    )
    lines += [_horizon(data, lang) + tail, ""]

    new_def = float(s.defense_alloc_oku_yen.sum())
    new_other = float(s.other_alloc_oku_yen.sum())
    ratios = s.gdp_ratio.astype(float)
    peak = float(ratios.max())
    peak_years = [int(y) for y, r in zip(s.fiscal_year, ratios, strict=True) if r == peak]
    lines += [
        "## 結論" if ja else "## Headline",
        "",
        f"- **{'上限' if ja else 'Cap'}**: {_cap_line(data, lang)}",
        f"- **{'解の状態' if ja else 'Status'}**: {_status_line(data, lang)}",
        f"- **{'検証' if ja else 'Verification'}**: {_verification_line(data, lang)}",
        (
            f"- **新規支出の合計**: 防衛 {cho_text(new_def, lang)}、その他(防衛費に算入しない分野)"
            f" {cho_text(new_other, lang)}"
            if ja
            else f"- **New spending over the horizon**: defence {cho_text(new_def, lang)}, other "
            f"(not counted toward the cap) {cho_text(new_other, lang)} (1 兆円 = ¥1 trillion)"
        ),
        (
            f"- **GDP比のピーク**: {pct(peak, 3)}({year_ranges(peak_years, lang)})"
            if ja
            else f"- **Peak ratio to GDP**: {pct(peak, 3)} ({year_ranges(peak_years, lang)})"
        ),
        "",
    ]
    lines += variance_md(data, lang)

    lines += _shortfalls_md(data, lang)

    # funded and not funded
    lines += [
        "## 何が手当てされ、何がされないか" if ja else "## What is funded and what is not",
        "",
    ]
    if data.ranks is not None and len(data.ranks):
        name_col = "name_ja" if ja else "name_en"
        head = (
            ["順位", "名称", "手当て", "上限額の合計", "充足率", "実施事業"]
            if ja
            else ["Rank", "Name", "Funded", "Sum of highs", "Share", "Programs funded"]
        )
        lines += ["| " + " | ".join(head) + " |", "|---:|---|---:|---:|---:|---:|"]
        for r in data.ranks.itertuples(index=False):
            share = getattr(r, "share_funded", None)
            share_text = "—" if share is None or pd.isna(share) else pct(float(share))
            funded = cho_text(float(r.funded_oku_yen), lang)
            highs = cho_text(float(r.sum_of_highs_oku_yen), lang)
            lines.append(
                f"| {r.rank} | {md(getattr(r, name_col))} | {funded} | {highs} | {share_text} | "
                f"{r.programs_funded}/{r.programs} |"
            )
        lines.append("")
    if data.programs is not None:
        unfunded = data.programs[data.programs.funded != "yes"]
        name_col = "name_ja" if ja else "name_en"
        if len(unfunded):
            lines.append(
                f"手当てされない事業({len(unfunded)}件):"
                if ja
                else f"Programs not funded ({len(unfunded)}):"
            )
            lines.append("")
            for p in unfunded.itertuples(index=False):
                high = cho_text(float(p.high_oku_yen), lang)
                rk = rank_label(int(p.rank), lang)
                where = (
                    f"{rk}、分野{md(p.area)}、上限 {high}"
                    if ja
                    else f"{rk}, area {md(p.area)}, high {high}"
                )
                lines.append(f"- {md(p.program_id)} {md(getattr(p, name_col))} — {where}")
        else:
            lines.append("すべての事業が実施されます。" if ja else "Every program is funded.")
        lines.append("")

    lines += _choice_md(data, lang)
    lines += _limits_md(data, lang)
    lines += ratio_target_lines(data, lang)

    # marginal value
    lines += [
        "## GDP比をあと0.1%引き上げると" if ja else "## What one more 0.1% of GDP would buy",
        "",
        *_marginal_md(data, lang),
        "",
    ]

    lines += _groups_md(data, lang)
    lines += contracts_markdown(data, lang)
    lines += indicators_md(data, lang)

    # links
    lines += [
        "## 図表" if ja else "## Charts and tables",
        "",
        f"- {'分野別の新規配分とGDP比' if ja else 'Allocation by area and ratio to GDP'}: "
        f"[{CHARTS_DIR}/{AREA_CHART}]({CHARTS_DIR}/{AREA_CHART})",
        f"- {'優先順位別の充足' if ja else 'Funding by priority rank'}: "
        f"[{CHARTS_DIR}/{RANK_CHART}]({CHARTS_DIR}/{RANK_CHART})",
        f"- {'詳細な表(Excel)' if ja else 'All tables (Excel)'}: [{WORKBOOK}]({WORKBOOK})",
    ]
    return "\n".join(lines) + "\n"
