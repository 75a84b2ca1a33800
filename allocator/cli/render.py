"""Terminal text of ``allocate`` and ``allocate verify`` (no colour, fixed-width columns), in
Japanese or English (``--lang``)."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from allocator.formatting import (
    blocked_sentence,
    cho,
    format_cap,
    oku,
    shorten,
    shortfall_sentence,
)
from allocator.plan.room import blocked_programs
from allocator.run.tables import ranks_table, summary_table

if TYPE_CHECKING:
    from allocator.api import Outcome
    from allocator.run.verify import VerifyReport


def _t(ja: str, en: str, lang: str) -> str:
    return ja if lang == "ja" else en


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def rjust(text: str, width: int) -> str:
    """Right-align by display width (a full-width character takes two columns)."""
    return " " * max(0, width - _width(text)) + text


def ljust(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


_STATUS_TEXT = {
    "optimal": (
        "最適 — すべての優先順位で最適性を証明済み",
        "optimal — every priority rank is proven optimal",
    ),
    "feasible": (
        "最適性は未証明 — 時間制限などで停止したか、上界との差が指定のギャップを超えた段階が"
        "あります。順位ごとのギャップは下表",
        "NOT proven optimal — a stage stopped at a limit or ended further from its bound than "
        "the gap asked for; the gap per rank is below",
    ),
    "infeasible": (
        "実行不可能 — すべてのルールを満たす配分はありません",
        "INFEASIBLE — no schedule satisfies every rule",
    ),
    "no_solution": (
        "計画なし — 配分が見つかる前に時間制限に達しました",
        "NO PLAN — the time limit came before any schedule was found",
    ),
}


def status_text(status: str, floors_short: int, lang: str) -> str:
    """``optimal, 3 floors short — …`` / ``最適(下限の不足 3件)— …``."""
    ja, en = _STATUS_TEXT.get(status, (status, status))
    if not floors_short:
        return _t(ja, en, lang)
    if status == "optimal":
        return _t(
            f"最適(下限の不足 {floors_short}件)— すべての優先順位で最適性を証明済み。"
            "下限は優先順位の逆順に譲られ、不足は下に列挙",
            f"optimal, {floors_short} floor{'s' if floors_short != 1 else ''} short — every "
            "priority rank is proven optimal; floors gave way in reverse priority order, each "
            "shortfall is listed below",
            lang,
        )
    return _t(f"{ja}(下限の不足 {floors_short}件)", f"{en} ({floors_short} floors short)", lang)


def render_outcome(outcome: Outcome, lang: str = "en") -> str:
    plan, result = outcome.plan, outcome.result
    cap = format_cap(plan.cap.ratio)
    if lang == "ja":
        base = "各年度のGDP" if plan.cap.base == "each_year" else f"{plan.cap.base_year}年度のGDP"
        head = (
            f"計画 {plan.name}: 上限 {base}の{cap}(GDPケース {plan.gdp_case})、"
            f"{plan.first_year}–{plan.last_year}年度、事業{len(plan.programs)}件"
        )
    else:
        base = "each year's GDP" if plan.cap.base == "each_year" else f"FY{plan.cap.base_year} GDP"
        head = (
            f"plan {plan.name}: cap {cap} of {base} (GDP case {plan.gdp_case}), "
            f"{plan.first_year}–{plan.last_year}年度, {len(plan.programs)} programs"
        )
    lines = [
        head,
        _t("状態: ", "status: ", lang) + status_text(result.status, len(result.shortfalls), lang),
    ]
    lines += [_t("注記: ", "note: ", lang) + n for n in plan.notes]
    lines += [_t("注記: ", "note: ", lang) + n for n in outcome.cleaned]
    if not result.has_plan:
        if result.status == "infeasible":
            lines += outcome.explanation_ja if lang == "ja" else outcome.explanation
        else:
            lines.append(
                _t("対処: --time-limit を延ばすか --gap を緩める", "fix: raise --time-limit, or "
                   "loosen --gap", lang)
            )  # fmt: skip
        if outcome.run_dir is not None:
            lines.append(
                _t("書き出し: ", "written: ", lang)
                + f"{outcome.run_dir}/ (explanation.txt, report.md, plan.json)"
            )
        return "\n".join(lines)
    lines += _year_table(outcome, lang)
    lines += _more_cap_lines(outcome, lang)
    lines += _rank_table(outcome, lang)
    lines += _groups_text(outcome)
    from allocator.cli.render_contracts import render_contracts

    lines += render_contracts(outcome)
    lines += _shortfall_lines(outcome, lang)
    if outcome.verification is not None:
        v = outcome.verification
        n = sum(c for _, c in v.checks)
        verdict = (
            _t("すべてのルールを満たす", "every rule holds", lang)
            if v.ok
            else _t("ルール違反あり", "RULES BROKEN", lang)
        )
        lines.append(
            _t(
                f"検証: {verdict}({n:,}件を確認、違反{len(v.violations)}件)",
                f"verified: {verdict} ({n:,} checks, {len(v.violations)} violations)",
                lang,
            )
        )
        lines += [f"  {x.message}" for x in v.violations[:20]]
    t = outcome.times
    lines.append(_t("時間: ", "time: ", lang) + ", ".join(f"{k} {v:.3f}s" for k, v in t.items()))
    if outcome.run_dir is not None:
        lines.append(
            _t("書き出し: ", "written: ", lang)
            + f"{outcome.run_dir}/ ({', '.join(_written(outcome.run_dir))})"
        )
    return "\n".join(lines)


def _groups_text(outcome: Outcome) -> list[str]:
    """Which programs of each ``[[groups]]`` entry are funded (nothing without groups)."""
    groups = outcome.plan.groups
    if not groups:
        return []
    funded = outcome.result.funded
    width = max(8, *(len(g.id) for g in groups))
    chosen = {g.id: "+".join(p for p in g.programs if funded.get(p)) or "none" for g in groups}
    cw = max(8, *(len(c) for c in chosen.values()))
    lines = ["", f"{'group':<{width}}  {'funded':<{cw}}  rule", "-" * 60]
    for g in groups:
        lines.append(f"{g.id:<{width}}  {chosen[g.id]:<{cw}}  {shorten(g.rules(), 60)}")
    return lines


WRITTEN = (
    "report.md", "report.xlsx", "charts/", "schedule.csv", "summary.csv", "programs.csv",
    "ranks.csv", "obligations.csv", "shortfalls.csv", "plan.json",
)  # fmt: skip
"""The files of a run folder the terminal names, in this order (those written)."""


def _written(run_dir: Path) -> list[str]:
    return [name for name in WRITTEN if (run_dir / name.rstrip("/")).exists()]


def _year_table(outcome: Outcome, lang: str) -> list[str]:
    plan, result = outcome.plan, outcome.result
    summary = summary_table(plan, result)
    cols: tuple[tuple[str, int, str], ...] = (
        ("年度", 8, "<"),
        ("GDP兆円", 10, ">"),
        ("上限億円", 10, ">"),
        ("既存予算" if not plan.obligations else "既存+既定", 10, ">"),
        ("新規防衛", 10, ">"),
        ("新規その他", 11, ">"),
        ("GDP比", 9, ">"),
        ("余裕", 10, ">"),
    )
    if lang != "ja":
        base = "base+owed" if plan.obligations else "baseline"
        names = ("FY", "GDP 兆円", "cap 億円", base, "new def.", "new other", "ratio")
        cols = tuple((n, w, a) for n, (_, w, a) in zip((*names, "headroom"), cols, strict=True))
    head = "".join(ljust(n, w) if a == "<" else rjust(n, w) for n, w, a in cols)
    head += "  " + _t("上限+100億円で", "+100億 cap buys", lang)
    lines = ["", head, "-" * 97]
    marginal = _marginal_text(summary)
    for r in summary.itertuples(index=False):
        cells = (
            str(r.fiscal_year),
            cho(r.gdp_oku_yen),
            oku(r.cap_oku_yen),
            # the committed spending: the baseline, with what earlier contracts still owe
            oku(r.baseline_oku_yen + r.obligations_oku_yen),
            oku(r.defense_alloc_oku_yen),
            oku(r.other_alloc_oku_yen),
            f"{float(r.gdp_ratio) * 100:.3f}%",
            oku(r.headroom_oku_yen),
        )
        line = "".join(
            ljust(c, w) if a == "<" else rjust(c, w)
            for c, (_, w, a) in zip(cells, cols, strict=True)
        )
        lines.append(f"{line}  {marginal.get(r.fiscal_year, '')}")
    total_def = int(summary.defense_alloc_oku_yen.sum())
    total_other = int(summary.other_alloc_oku_yen.sum())
    lines.append(
        ljust(_t("合計", "total", lang), 38)
        + rjust(oku(total_def), 10)
        + rjust(oku(total_other), 11)
    )
    return lines


def _rank_table(outcome: Outcome, lang: str) -> list[str]:
    plan, result = outcome.plan, outcome.result
    ranks = ranks_table(plan, result)
    head = (
        ljust(_t("順位", "rank", lang), 5)
        + rjust(_t("手当て億円", "funded 億円", lang), 12)
        + rjust(_t("上限額計", "of highs", lang), 12)
        + rjust(_t("充足率", "share", lang), 8)
        + "  "
        + rjust(_t("ギャップ", "gap", lang), 8)
        + "  "
        + _t("名称", "name", lang)
    )
    lines = ["", head, "-" * 60]
    for r in ranks.itertuples(index=False):
        share = f"{float(r.share_funded) * 100:.1f}%" if r.share_funded else "-"
        gap = f"{float(r.gap) * 100:.2f}%" if r.gap not in ("", None) else "-"
        name = r.name_ja if lang == "ja" else r.name_en
        lines.append(
            f"{r.rank:<5}{oku(r.funded_oku_yen):>12}{oku(r.sum_of_highs_oku_yen):>12}"
            f"{share:>8}  {gap:>8}  {name}"
        )
    lines.append("")
    return lines


def _shortfall_lines(outcome: Outcome, lang: str) -> list[str]:
    plan, result = outcome.plan, outcome.result
    if not result.shortfalls:
        if plan.solver.floors == "priority" and any(
            x for x in (plan.areas, plan.phases, plan.bounds)
        ):
            return [_t("下限: すべて満たす", "floors: every floor is met", lang), ""]
        return []
    lines = [
        _t(
            "下限の不足(譲られた順: 単一の順位に属さない下限、次に下位の順位の下限から):",
            "floors that fall short (in the order they give way: floors of no single rank "
            "first, then the lowest rank's):",
            lang,
        )
    ]
    for sf in result.shortfalls:
        fl = sf.floor
        name = fl.name_ja if lang == "ja" else fl.name_en
        lines.append(
            "  - "
            + shortfall_sentence(
                fl.family, fl.key, name, fl.rank, fl.first_year, fl.last_year, fl.low,
                sf.achieved, sf.shortfall, lang,
            )
        )  # fmt: skip
    short_ranks = {sf.floor.rank for sf in result.shortfalls if sf.floor.rank is not None}
    cap = format_cap(plan.cap.ratio)
    for b in blocked_programs(plan, result.funded):
        if b.rank in short_ranks:
            lines.append(
                "    "
                + blocked_sentence(
                    b.program_id, b.rank, b.need, b.room, b.first_year, b.last_year, b.limit,
                    cap, lang,
                )
            )  # fmt: skip
    lines += _ratio_target_lines(outcome, lang)
    lines.append("")
    return lines


def _ratio_target_lines(outcome: Outcome, lang: str) -> list[str]:
    """``--floor-ratio``: how much the target is missed by, and what cannot be absorbed."""
    rt = outcome.result.ratio_target
    plan = outcome.plan
    if rt is None or plan.cap.floor_ratio is None:
        return []
    ratio = format_cap(plan.cap.floor_ratio)
    short = rt.short
    if not short:
        return [
            _t(
                f"目標: 防衛費GDP比{ratio}以上を毎年度満たす",
                f"target: defence at least {ratio} of GDP is met in every year",
                lang,
            )
        ]
    years = [y.fiscal_year for y in rt.years if y.short]
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    out = [
        _t(
            f"目標: 防衛費GDP比{ratio}以上に{span}年度で合計 {short:,} 億円届かない",
            f"target: defence at least {ratio} of GDP is missed in FY{span} by {short:,} 億円 "
            "in all",
            lang,
        )
    ]
    for fam, key, amount in rt.raises:
        out.append(
            _t(
                f"  保つには {fam} {key} を {amount:,} 億円引き上げる必要",
                f"  keeping it would need {fam} {key} raised by {amount:,} 億円",
                lang,
            )
        )
    if rt.unabsorbed:
        out.append(
            _t(
                f"  事業が吸収できない額 {rt.unabsorbed:,} 億円(上限をすべて引き上げても支出できる"
                "事業がない)",
                f"  the programs cannot absorb {rt.unabsorbed:,} 億円 of it, even with every "
                "fiscal, area, phase and aggregate ceiling raised",
                lang,
            )
        )
    return out


def _marginal_text(summary: Any) -> dict[int, str]:
    """Per fiscal year, the local rate per 100 億円 more cap that year, per rank, and how many
    億円 it holds for: ``r3 +100 r4 -100 ≤251`` (nonzero ranks only)."""
    cols = [c for c in summary.columns if c.startswith("marginal_rank")]
    out: dict[int, str] = {}
    for _, row in summary.iterrows():
        parts = []
        for c in cols:
            text = row[c]
            if text is None or pd.isna(text) or text == "" or float(text) == 0:
                continue
            rank = c.removeprefix("marginal_rank").split("_")[0]
            parts.append(f"r{rank} {float(text):+,.0f}")
        valid = row.get("marginal_valid_up_to_oku_yen")
        if parts and valid is not None and not pd.isna(valid):
            more = "+" if row.get("marginal_valid_at_least") == "yes" else ""
            parts.append(f"≤{int(valid):,}{more}")
        out[int(row["fiscal_year"])] = " ".join(parts) if parts else ("-" if cols else "")
    return out


def _more_cap_lines(outcome: Outcome, lang: str) -> list[str]:
    """What 0.1 % of GDP more cap buys, re-solved."""
    more = outcome.result.more_cap
    if more is None or not outcome.result.has_plan:
        return []
    gains = {k: v for k, v in more.gains.items() if abs(v) > 1e-6}
    short = more.base_shortfall_oku_yen - more.shortfall_oku_yen
    parts = [f"r{k} {v:+,.0f}" for k, v in sorted(gains.items())]
    if short:
        parts.append(_t(f"下限の不足 -{short:,}", f"floors short by {short:,} less", lang))
    what = ", ".join(parts) if parts else _t("何も変わらない", "nothing changes", lang)
    cap = format_cap(more.cap)
    return [
        _t(
            f"上限をGDPの0.1%引き上げると(全年度 {cap}、解き直し): {what}",
            f"0.1% of GDP more cap (every year, {cap}; solved again): {what}",
            lang,
        ),
        _t(
            "(年度ごとの「上限+100億円で」は限界的な率。≤ の億円まで正確)",
            "(the '+100億 cap buys' column is a local rate per 100 億円 that year, exact up to "
            "the 億円 after ≤)",
            lang,
        ),
    ]


def render_verification(report: VerifyReport, run_dir: Path) -> str:
    n = sum(c for _, c in report.checks)
    verdict = "every rule holds" if report.ok else "RULES BROKEN"
    if report.ok and any("no schedule" in note for note in report.notes):
        verdict = "no schedule to verify; plan.json and inputs/ are consistent"
    lines = [f"{run_dir}: {verdict} ({n:,} checks, {len(report.violations)} violations)"]
    if report.signature:
        lines.append(f"signature: {report.signature}")
    lines += [f"  {rule:<24}{count:>8} checked" for rule, count in report.checks if count]
    lines += [f"note: {note}" for note in report.notes]
    for v in report.violations:
        lines.append(f"VIOLATION {v.rule}: {v.message}")
    return "\n".join(lines)


__all__ = ["render_outcome", "render_verification", "status_text"]
