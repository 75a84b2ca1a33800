"""The comparison of solved plans as terminal text: the plans, per fiscal year the ratio to GDP
and the change in new money, the value of every priority rank, the programs that changed, the
alternatives chosen in program groups, the inputs that differ (most important first,
fixed-width columns)."""

from __future__ import annotations

from allocator.formatting import format_cap, oku, shorten, year_span
from allocator.run.compare import Cell, Comparison, SolvedPlan

MAX_PROGRAM_LINES = 14
"""Program changes shown per compared plan; the rest are in compare.csv."""
MAX_INPUT_LINES = 16
"""Input differences shown; the rest are in compare.csv."""


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"P{i + 1}"


def _oku(v: Cell, *, sign: bool = False) -> str:
    return "-" if isinstance(v, str) else oku(v, sign=sign)


def _pct(v: Cell) -> str:
    return "-" if v is None or isinstance(v, str) else f"{float(v):.3f}%"


_cut = shorten


def _show(v: Cell) -> str:
    if v is None:
        return "-"
    if v == "":
        return "(none)"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    return str(v)


def _header(cmp: Comparison) -> list[str]:
    n = len(cmp.plans)
    lines = [f"compare {n} plans with {_letter(0)} (the reference):"]
    width = max(len(x) for x in cmp.labels)
    for i, (sp, label) in enumerate(zip(cmp.plans, cmp.labels, strict=True)):
        p = sp.plan
        total = cmp.row("fiscal_year", "total", "new_total_oku_yen").values[i]
        money = f"new {_oku(total)} 億円" if sp.has_plan else "no allocations"
        status = sp.status if sp.status != "infeasible" else "INFEASIBLE"
        lines.append(
            f"  {_letter(i)}  {label:<{width}}  {status:<10}  cap {_cap(sp):<6} "
            f"GDP {p.gdp_case:<18} {p.first_year}–{p.last_year}年度  {money}"
        )
        if not sp.has_plan and sp.explanation:
            lines.append(f"     {_cut(sp.explanation[0].strip(), 90)}")
    return lines


_span = year_span


def _cap(sp: SolvedPlan) -> str:
    return format_cap(sp.plan.cap.ratio)


def _with_plan(cmp: Comparison) -> list[int]:
    """Compared plans (index ≥ 1) that have a schedule: the others have no column."""
    return [i for i in range(1, len(cmp.plans)) if cmp.plans[i].has_plan]


def _no_plan_note(cmp: Comparison) -> list[str]:
    missing = [_letter(i) for i, sp in enumerate(cmp.plans) if not sp.has_plan]
    if not missing:
        return []
    return [f"({', '.join(missing)}: no plan, so no figures)"]


def _years_table(cmp: Comparison) -> list[str]:
    if not cmp.reference.has_plan:
        return ["", f"per fiscal year: {_letter(0)} has no plan — no differences to show"]
    others = _with_plan(cmp)
    lines = [
        "",
        f"per fiscal year: defence / GDP, and new money vs {_letter(0)} "
        "(億円; def. = counts toward the cap)",
    ]
    head = f"{'FY':<6}{_letter(0) + ' ratio':>9}{_letter(0) + ' new def.':>12}"
    for i in others:
        x = _letter(i)
        head += f" |{x + ' ratio':>9}{x + ' Δdef.':>10}{x + ' Δother':>10}"
    lines += [head, "-" * len(head)]

    def cell(key: str, metric: str, i: int, diff: bool = False) -> Cell:
        r = cmp.row("fiscal_year", key, metric)
        return r.diffs[i - 1] if diff else r.values[i]

    for key in [*(str(y) for y in cmp.years), "total"]:
        is_total = key == "total"
        line = f"{key:<6}"
        line += f"{'' if is_total else _pct(cell(key, 'gdp_ratio_pct', 0)):>9}"
        line += f"{_oku(cell(key, 'defense_alloc_oku_yen', 0)):>12}"
        for i in others:
            ratio = "" if is_total else _pct(cell(key, "gdp_ratio_pct", i))
            line += f" |{ratio:>9}"
            line += f"{_oku(cell(key, 'defense_alloc_oku_yen', i, True), sign=True):>10}"
            line += f"{_oku(cell(key, 'other_alloc_oku_yen', i, True), sign=True):>10}"
        if is_total:
            lines.append("-" * len(head))
        lines.append(line)
    return lines + _no_plan_note(cmp)


def _ranks_table(cmp: Comparison) -> list[str]:
    if not cmp.reference.has_plan:
        return []
    others = _with_plan(cmp)
    lines = ["", f"value per priority rank (億円 funded; Δ vs {_letter(0)})"]
    head = f"{'rank':<5}{_letter(0) + ' value':>11}"
    for i in others:
        head += f"{_letter(i) + ' Δ':>10}"
    lines += [head + "  name", "-" * (len(head) + 30)]
    names = {r.rank: r.name_en for sp in reversed(cmp.plans) for r in sp.plan.ranks}
    for row in cmp.section("rank"):
        if row.metric != "value":
            continue
        rank = int(row.key)
        line = f"{rank:<5}{_oku(row.values[0]):>11}"
        for i in others:
            line += f"{_oku(row.diffs[i - 1], sign=True):>10}"
        notes = []
        for i, sp in enumerate(cmp.plans):
            status = sp.rank_status.get(rank)
            if sp.has_plan and status and status != "optimal":
                gap = sp.rank_gaps.get(rank)
                shown = f" gap {gap * 100:.2f}%" if gap is not None else ""
                notes.append(f"{_letter(i)}: {status}{shown}")
        extra = f"  [{'; '.join(notes)}]" if notes else ""
        lines.append(f"{line}  {_cut(names.get(rank, ''), 48)}{extra}")
    return lines


def _programs(cmp: Comparison) -> list[str]:
    lines = [
        "",
        f"programs that changed vs {_letter(0)} (Δ 億円; first funded year; shift of the "
        "money-weighted mean year)",
    ]
    for i in range(1, len(cmp.plans)):
        x = f"{_letter(i)} {cmp.labels[i]}"
        if not cmp.reference.has_plan:
            lines.append(f"  {x}: the reference has no plan ({cmp.reference.status})")
            continue
        if not cmp.plans[i].has_plan:
            lines.append(f"  {x}: {cmp.plans[i].status} — no allocations to compare")
            continue
        changes = cmp.changes_for(i)
        if not changes:
            lines.append(f"  {x}: no program changed")
            continue
        counts = {k: sum(1 for c in changes if k in c.kinds) for k in ("new", "cut", "moved")}
        counts["total"] = sum(1 for c in changes if "total" in c.kinds)
        lines.append(
            f"  {x}: {counts['new']} new, {counts['cut']} cut, {counts['moved']} moved in time, "
            f"{counts['total']} changed in total"
        )
        for c in changes[:MAX_PROGRAM_LINES]:
            kind = "+".join(c.kinds)
            if "new" in c.kinds and c.first_year is not None and c.last_year is not None:
                when = _span(c.first_year, c.last_year)
            elif "cut" in c.kinds and c.first_year_ref is not None and c.last_year_ref is not None:
                when = "was " + _span(c.first_year_ref, c.last_year_ref)
            else:
                parts = []
                if c.first_year_shift:
                    parts.append(f"first {c.first_year_ref}→{c.first_year}")
                if c.mean_year_shift:
                    parts.append(f"mean {c.mean_year_shift:+.2f}y")
                when = ", ".join(parts) or "profile changed"
            total = _oku(c.total_diff, sign=True) if c.total_diff else ""
            lines.append(
                f"    {kind:<12}{c.program_id:<6}r{c.rank:<3}{total:>9}  {when:<29}"
                f"{_cut(c.name_en, 42)}"
            )
        if len(changes) > MAX_PROGRAM_LINES:
            lines.append(f"    … and {len(changes) - MAX_PROGRAM_LINES} more in compare.csv")
    return lines


def _groups(cmp: Comparison) -> list[str]:
    """Groups whose chosen programs differ between the plans (none shown without groups)."""
    rows = cmp.group_choices()
    if not rows:
        return []
    changed = [r for r in rows if r.differs]
    if not changed:
        return ["", f"program groups: the same programs chosen in every plan ({len(rows)} groups)"]
    rules = {g.id: g.rules() for sp in reversed(cmp.plans) for g in sp.plan.groups}
    width = max(len(r.key) for r in changed)
    lines = [
        "",
        f"program groups whose choice changed vs {_letter(0)} (the programs funded in each)",
    ]
    for r in changed[:MAX_PROGRAM_LINES]:
        chosen = "  ".join(f"{_letter(i)} {_show(v):<10}" for i, v in enumerate(r.values))
        lines.append(f"  {r.key:<{width}}  {chosen}  {_cut(rules.get(r.key, ''), 48)}")
    if len(changed) > MAX_PROGRAM_LINES:
        lines.append(f"  … and {len(changed) - MAX_PROGRAM_LINES} more in compare.csv")
    return lines


_YEAR_GROUPS = {"gdp": "GDP (億円)", "baseline": "baseline (億円)", "fiscal": "fiscal ceiling"}


def _inputs(cmp: Comparison) -> list[str]:
    rows = cmp.input_differences()
    if not rows:
        return ["", "inputs: the same in every plan"]
    shown: list[str] = []
    done: set[str] = set()
    for r in rows:
        prefix, _, rest = r.key.partition(":")
        values = "  ".join(f"{_letter(i)} {_show(v)}" for i, v in enumerate(r.values))
        if prefix in _YEAR_GROUPS and rest.isdigit():
            if prefix in done:
                continue
            done.add(prefix)
            years = [
                int(x.key.partition(":")[2])
                for x in rows
                if x.key.partition(":")[0] == prefix and x.key.partition(":")[2].isdigit()
            ]
            span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
            plural = "s" if len(years) != 1 else ""
            shown.append(
                f"  {_YEAR_GROUPS[prefix]}: differs in {len(years)} year{plural} ({span}); "
                f"{years[0]}: {values}"
            )
        else:
            shown.append(f"  {_cut(f'{r.key} {r.metric}', 36):<37}{values}")
    lines = ["", "inputs that differ", *shown[:MAX_INPUT_LINES]]
    if len(shown) > MAX_INPUT_LINES:
        lines.append(f"  … and {len(shown) - MAX_INPUT_LINES} more in compare.csv")
    return lines


def render_comparison(cmp: Comparison) -> str:
    """The comparison as plain text for the terminal: plans, per fiscal year, per rank,
    contract figures, program changes, group choices that changed, differing inputs (most
    important first, fixed-width columns)."""
    from allocator.cli.render_compare_contracts import contracts_table

    return "\n".join(
        [
            *_header(cmp),
            *_years_table(cmp),
            *contracts_table(cmp),
            *_ranks_table(cmp),
            *_programs(cmp),
            *_groups(cmp),
            *_inputs(cmp),
        ]
    )
