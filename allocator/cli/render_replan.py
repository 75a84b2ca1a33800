"""Terminal text of ``allocate replan`` and ``allocate evaluate``: where the re-plan comes from,
per fiscal year planned against executed and re-planned, what gives in priority order, the
programs that moved most (ja or en)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allocator.formatting import fy, oku

if TYPE_CHECKING:
    from allocator.api_replan import ReplanOutcome

TOP_PROGRAMS = 8
"""Programs listed as moved most."""


def render_replan(outcome: ReplanOutcome, lang: str = "ja") -> str:
    from allocator.api_replan import what_gives_lines

    ja = lang == "ja"
    rec = outcome.record
    plan = outcome.plan
    lines = [
        (
            f"再計画: {rec.approved_run} を {fy(rec.from_year)}から(それ以前は執行実績 "
            f"{rec.actuals_file} に固定、sha256 {rec.actuals_sha256[:12]})"
            if ja
            else f"re-plan of {rec.approved_run} from {fy(rec.from_year, 'en')} (earlier years "
            f"fixed to the actuals {rec.actuals_file}, sha256 {rec.actuals_sha256[:12]})"
        ),
        (f"状態: {outcome.result.status}" if ja else f"status: {outcome.result.status}"),
    ]
    lines += [f"note: {n}" for n in plan.notes]
    if not outcome.result.has_plan:
        lines += outcome.explanation
        lines.append("")
        lines.append("譲るもの(優先順位の順):" if ja else "what gives (in priority order):")
        lines += ["  " + line for line in what_gives_lines(outcome, lang)]
        return "\n".join(lines)
    v = outcome.variance
    assert v is not None
    lines += [
        (
            f"執行と承認済み計画の差: {oku(rec.executed_gap_oku_yen)} 億円(固定年度)、"
            f"再計画で動いた額: {oku(rec.moved_oku_yen)} 億円(タイブレーク: {rec.tiebreak})"
            if ja
            else f"executed against approved: {oku(rec.executed_gap_oku_yen)} 億円 apart (fixed "
            f"years); re-planned years: {oku(rec.moved_oku_yen)} 億円 moved (tie-break: "
            f"{rec.tiebreak})"
        ),
        "",
    ]
    head = (
        f"{'年度' if ja else 'FY':<8}{'計画' if ja else 'planned':>12}"
        f"{'執行' if ja else 'executed':>12}{'再計画' if ja else 're-planned':>12}"
        f"{'増減' if ja else 'change':>10}  {'理由' if ja else 'why'}"
    )
    lines += [head, "-" * 72]
    for r in v[v.scope == "total"].itertuples(index=False):
        executed = (
            ""
            if r.executed_oku_yen is None or str(r.executed_oku_yen) in ("<NA>", "nan")
            else oku(int(r.executed_oku_yen))
        )
        lines.append(
            f"{r.fiscal_year:<8}{oku(r.planned_oku_yen):>12}{executed:>12}"
            f"{oku(r.replanned_oku_yen):>12}{oku(r.change_oku_yen, sign=True):>10}  "
            f"{r.reason_ja if ja else r.reason_en}"
        )
    lines.append("")
    lines.append("譲るもの(優先順位の順):" if ja else "what gives (in priority order):")
    lines += ["  " + line for line in what_gives_lines(outcome, lang)]
    progs = v[v.scope == "program"].copy()
    progs["moved"] = progs.change_oku_yen.abs()
    moved = progs.groupby("subject").agg(moved=("moved", "sum"), change=("change_oku_yen", "sum"))
    moved = moved[moved.moved > 0].sort_values(["moved"], ascending=False).head(TOP_PROGRAMS)
    if len(moved):
        lines.append("")
        lines.append("動いた事業(上位):" if ja else "programs moved most:")
        for pid, m in moved.iterrows():
            lines.append(
                f"  {pid}: {oku(int(m.moved))} 億円 "
                + (
                    f"(差引 {oku(int(m.change), sign=True)})"
                    if ja
                    else f"(net {oku(int(m.change), sign=True)})"
                )
            )
    ver = outcome.verification
    if ver is not None:
        lines.append("")
        lines.append(
            ("独立検証: 違反なし" if ja else "verified independently: every rule holds")
            if ver.ok
            else (
                f"検証で違反 {len(ver.violations)} 件"
                if ja
                else f"verification FAILED: {len(ver.violations)} violations"
            )
        )
    if outcome.run_dir is not None:
        lines.append(
            f"written: {outcome.run_dir}/ (variance.csv, report.md, report.xlsx, plan.json)"
        )
    return "\n".join(lines)
