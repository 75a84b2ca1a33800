"""Terminal text of ``allocate`` and ``allocate verify`` (no colour, fixed-width columns)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.formatting import cho, format_cap, oku
from allocator.run.tables import ranks_table, summary_table

if TYPE_CHECKING:
    from allocator.api import Outcome
    from allocator.run.verify import VerifyReport

_STATUS_TEXT = {
    "optimal": "optimal — every priority rank is proven optimal",
    "feasible": "NOT proven optimal — a stage stopped at a limit or ended further from its "
    "bound than the gap asked for; the gap per rank is below",
    "infeasible": "INFEASIBLE — no schedule satisfies every rule",
    "no_solution": "NO PLAN — the time limit came before any schedule was found",
}


def render_outcome(outcome: Outcome) -> str:
    plan, result = outcome.plan, outcome.result
    base = "each year's GDP" if plan.cap.base == "each_year" else f"FY{plan.cap.base_year} GDP"
    lines = [
        f"plan {plan.name}: cap {format_cap(plan.cap.ratio)} of {base} (GDP case "
        f"{plan.gdp_case}), {plan.first_year}–{plan.last_year}年度, {len(plan.programs)} programs",
        f"status: {_STATUS_TEXT.get(result.status, result.status)}",
    ]
    lines += [f"note: {n}" for n in plan.notes]
    if not result.has_plan:
        if result.status == "infeasible":
            lines += outcome.explanation
        else:
            lines.append("fix: raise --time-limit, or loosen --gap")
        if outcome.run_dir is not None:
            lines.append(f"written: {outcome.run_dir}/ (explanation.txt, report.md, plan.json)")
        return "\n".join(lines)
    summary = summary_table(plan, result)
    lines.append("")
    head = (
        f"{'FY':<8}{'GDP 兆円':>10}{'cap 億円':>10}{'baseline':>10}{'new def.':>10}"
        f"{'new other':>10}{'ratio':>9}{'headroom':>10}  +100億 cap buys"
    )
    lines += [head, "-" * 95]
    marginal = _marginal_text(summary)
    for r in summary.itertuples(index=False):
        lines.append(
            f"{r.fiscal_year:<8}{cho(r.gdp_oku_yen):>10}{oku(r.cap_oku_yen):>10}"
            f"{oku(r.baseline_oku_yen):>10}{oku(r.defense_alloc_oku_yen):>10}"
            f"{oku(r.other_alloc_oku_yen):>10}{float(r.gdp_ratio) * 100:>8.3f}%"
            f"{oku(r.headroom_oku_yen):>10}  {marginal.get(r.fiscal_year, '')}"
        )
    total_def = int(summary.defense_alloc_oku_yen.sum())
    total_other = int(summary.other_alloc_oku_yen.sum())
    lines.append(f"{'total':<28}{'':>10}{oku(total_def):>10}{oku(total_other):>10}")
    lines.append("")
    ranks = ranks_table(plan, result)
    head = f"{'rank':<5}{'funded 億円':>11}{'of highs':>12}{'share':>8}  {'gap':>8}  name"
    lines += [head, "-" * 60]
    for r in ranks.itertuples(index=False):
        share = f"{float(r.share_funded) * 100:.1f}%" if r.share_funded else "-"
        gap = f"{float(r.gap) * 100:.2f}%" if r.gap else "-"
        lines.append(
            f"{r.rank:<5}{oku(r.funded_oku_yen):>12}{oku(r.sum_of_highs_oku_yen):>12}"
            f"{share:>8}  {gap:>8}  {r.name_en}"
        )
    lines.append("")
    if outcome.verification is not None:
        v = outcome.verification
        n = sum(c for _, c in v.checks)
        lines.append(
            f"verified: {'every rule holds' if v.ok else 'RULES BROKEN'} "
            f"({n:,} checks, {len(v.violations)} violations)"
        )
        lines += [f"  {x.message}" for x in v.violations[:20]]
    t = outcome.times
    lines.append("time: " + ", ".join(f"{k} {v:.3f}s" for k, v in t.items()))
    if outcome.run_dir is not None:
        lines.append(
            f"written: {outcome.run_dir}/ (report.md, report.xlsx, charts/, schedule.csv, "
            "summary.csv, programs.csv, ranks.csv, plan.json)"
        )
    return "\n".join(lines)


def _marginal_text(summary: Any) -> dict[int, str]:
    """Per fiscal year, what 100 億円 more cap buys per rank: ``r3 +100`` (nonzero ranks only)."""
    cols = [c for c in summary.columns if c.startswith("marginal_rank")]
    out: dict[int, str] = {}
    for _, row in summary.iterrows():
        parts = []
        for c in cols:
            text = row[c]
            if text in ("", None) or float(text) == 0:
                continue
            rank = c.removeprefix("marginal_rank").split("_")[0]
            parts.append(f"r{rank} {float(text):+,.0f}")
        out[int(row["fiscal_year"])] = " ".join(parts) if parts else ("-" if cols else "")
    return out


def render_verification(report: VerifyReport, run_dir: Path) -> str:
    n = sum(c for _, c in report.checks)
    verdict = "every rule holds" if report.ok else "RULES BROKEN"
    if report.ok and any("no schedule" in note for note in report.notes):
        verdict = "no schedule to verify; plan.json and inputs/ are consistent"
    lines = [f"{run_dir}: {verdict} ({n:,} checks, {len(report.violations)} violations)"]
    lines += [f"  {rule:<24}{count:>8} checked" for rule, count in report.checks if count]
    lines += [f"note: {note}" for note in report.notes]
    for v in report.violations:
        lines.append(f"VIOLATION {v.rule}: {v.message}")
    return "\n".join(lines)
