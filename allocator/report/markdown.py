"""``report.md``: a one-page summary for a director (headline, what is and is not funded,
binding years, what 0.1 % of GDP more would buy, links to the rest), from a run folder alone."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from allocator.constants import AREA_CHART, CHARTS_DIR, RANK_CHART, WORKBOOK
from allocator.formatting import cho_text, fy, pct, year_ranges
from allocator.report.data import RunData
from allocator.report.labels import md, rank_label, status_word

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
        return f"{status_word(data.status, lang)} — 時間制限で停止。ギャップ: {gap_text}"
    return f"{status_word(data.status, lang)} — stopped by the time limit; gap: {gap_text}"


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
    if data.explanation:
        lines += [
            "## 理由と対処(explanation.txt)"
            if ja
            else "## Why, and what would fix it (explanation.txt)",
            "",
        ]
        fence = _fence(data.explanation)
        lines += [fence + "text", data.explanation, fence]
    else:
        lines.append("explanation.txt がありません。" if ja else "There is no explanation.txt.")
    return "\n".join(lines) + "\n"


def _num(v: float) -> str:
    if v == 0:
        return "0"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2f}"


def _marginal_md(data: RunData, lang: str, binding: list[int]) -> list[str]:
    ja = lang == "ja"
    cols = data.marginal_columns()
    if not cols:
        return [
            "この実行フォルダには限界価値(summary.csv の `marginal_rank{k}_per_100_oku_yen` 列)"
            "がないため、見積もれません。"
            if ja
            else "Not available: this run folder has no marginal values (the "
            "`marginal_rank{k}_per_100_oku_yen` columns of summary.csv)."
        ]
    if not binding:
        return [
            "どの年度も上限に達していないため、上限を引き上げても配分は増えません。"
            if ja
            else "No year is at the cap, so a higher cap buys nothing."
        ]
    assert data.summary is not None
    s = data.summary.set_index("fiscal_year")
    rows: list[tuple[int, int, dict[int, float | None]]] = []
    for y in binding:
        step = float(s.at[y, "gdp_oku_yen"]) * 0.001
        vals: dict[int, float | None] = {}
        for k, col in cols:
            v = s.at[y, col]
            vals[k] = None if pd.isna(v) else float(v) / 100 * step
        rows.append((y, round(step), vals))
    used = [k for k, _ in cols if any((r[2][k] or 0) != 0 for r in rows)]
    out = [
        (
            "各年度の上限をGDPの0.1%引き上げたとき、各順位の価値がどれだけ増えるか"
            "(限界価値による線形の見積もり。価値は明示的な価値のない順位では手当て額の億円。"
            "大きな変更では小さくなりえます):"
            if ja
            else "How much each rank's value rises if that year's cap is raised by 0.1% of "
            "GDP (a linear estimate from the marginal values; for a rank without explicit "
            "values its value is 億円 funded; larger changes may buy less):"
        ),
        "",
    ]
    if not used:
        out.append(
            "どの順位の価値も増えません(上限以外のルールが配分を制約しています)。"
            if ja
            else "No rank gains anything: rules other than the cap limit the schedule."
        )
        return out
    head = ["年度" if ja else "FY", "+0.1% (億円)", *(rank_label(k, lang) for k in used)]
    out += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for y, step, vals in rows:
        cells = [fy(y, lang), f"{step:,}"]
        for k in used:
            v = vals[k]
            cells.append("—" if v is None else ("+" + _num(v) if v > 0 else _num(v)))
        out.append("| " + " | ".join(cells) + " |")
    return out


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
    binding = data.binding_years()
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

    # binding years
    lines += ["## 上限に達している年度" if ja else "## Years at the cap", ""]
    if binding:
        lines.append(
            f"{year_ranges(binding, lang)}({len(binding)}年度):防衛費が上限いっぱいで余裕は0。"
            "これらの年度では上限が配分を制約しています。"
            if ja
            else f"{year_ranges(binding, lang)} ({len(binding)} years): defence spending is "
            "exactly at the cap (no headroom); the cap limits the schedule in these years."
        )
    else:
        lines.append("どの年度も上限に達していません。" if ja else "No year is at the cap.")
    lines.append("")

    # marginal value
    lines += [
        "## GDP比をあと0.1%引き上げると" if ja else "## What one more 0.1% of GDP would buy",
        "",
        *_marginal_md(data, lang, binding),
        "",
    ]

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
