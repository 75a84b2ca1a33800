"""Cross-table checks on a loaded plan, one ``check_*`` per rule.

Each raises :class:`~allocator.errors.PlanError` naming the file, the row and the column and
saying how to fix the input. They run before any model is built.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from allocator.errors import PlanError
from allocator.plan.contracts import check_contracts
from allocator.plan.groups import says_something
from allocator.plan.schema import MULTI_PHASE

if TYPE_CHECKING:
    from allocator.plan.schema import Group, Plan, Program


def check_plan(
    plan: Plan,
    *,
    toml_path: Path,
    programs_path: Path,
    clipped: bool = False,
    obligations_path: Path | None = None,
) -> None:
    """Run every check; raise on the first problem found."""
    check_contracts(
        plan, toml_path=toml_path, programs_path=programs_path, obligations_path=obligations_path
    )
    check_ranks(plan, toml_path)
    check_areas(plan, toml_path)
    check_phases(plan, toml_path)
    check_bounds(plan, toml_path)
    check_fiscal(plan, toml_path)
    for p in plan.programs:
        check_program_references(plan, p, programs_path)
        check_program_range(p, programs_path)
        check_program_window(plan, p, programs_path, clipped)
        check_program_profile(p, programs_path)
        check_program_units(p, programs_path)
    check_predecessors(plan, programs_path)


def check_ranks(plan: Plan, path: Path) -> None:
    ranks = [r.rank for r in plan.ranks]
    if not ranks:
        raise PlanError(path, "no [[ranks]] are defined", fix="add the priority ranks 1, 2, ...")
    if sorted(ranks) != list(range(1, len(ranks) + 1)):
        raise PlanError(
            path,
            f"[[ranks]] are {sorted(ranks)}, not 1..{len(ranks)}",
            column="ranks.rank",
            fix="number the ranks 1, 2, 3, ... once each",
        )
    area_ids = {a.id for a in plan.areas}
    for r in plan.ranks:
        for a in r.areas:
            if a not in area_ids:
                raise PlanError(
                    path,
                    f"rank {r.rank} names unknown area {a!r}",
                    column="ranks.areas",
                    fix=f"use one of {sorted(area_ids)}",
                )


def check_areas(plan: Plan, path: Path) -> None:
    seen: set[str] = set()
    for a in plan.areas:
        if a.id in seen:
            raise PlanError(
                path,
                f"area {a.id!r} is defined twice",
                column="areas.id",
                fix="keep one [[areas]] block per area",
            )
        seen.add(a.id)
        _check_low_high(path, f"area {a.id}", a.low_oku_yen, a.high_oku_yen, "areas")


def check_phases(plan: Plan, path: Path) -> None:
    seen: set[str] = set()
    for ph in plan.phases:
        if ph.id in seen or ph.id == MULTI_PHASE:
            raise PlanError(
                path,
                f"phase id {ph.id!r} is used twice or reserved",
                column="phases.id",
                fix=f"give each phase its own id (not {MULTI_PHASE!r})",
            )
        seen.add(ph.id)
        if ph.first_year > ph.last_year:
            raise PlanError(
                path,
                f"phase {ph.id}: first_year {ph.first_year} is after last_year {ph.last_year}",
                column="phases.first_year",
                fix="swap them",
            )
        _check_low_high(path, f"phase {ph.id}", ph.low_oku_yen, ph.high_oku_yen, "phases")


def check_bounds(plan: Plan, path: Path) -> None:
    area_ids = {a.id for a in plan.areas}
    seen: set[str] = set()
    for b in plan.bounds:
        if b.id in seen:
            raise PlanError(
                path,
                f"bound {b.id!r} is defined twice",
                column="bounds.id",
                fix="give each bound its own id",
            )
        seen.add(b.id)
        if b.first_year > b.last_year:
            raise PlanError(
                path,
                f"bound {b.id}: first_year {b.first_year} is after last_year {b.last_year}",
                column="bounds.first_year",
                fix="swap them",
            )
        for a in b.areas:
            if a not in area_ids:
                raise PlanError(
                    path,
                    f"bound {b.id} names unknown area {a!r}",
                    column="bounds.areas",
                    fix=f"use one of {sorted(area_ids)}",
                )
        _check_low_high(path, f"bound {b.id}", b.low_oku_yen, b.high_oku_yen, "bounds")


def check_fiscal(plan: Plan, path: Path) -> None:
    f = plan.fiscal
    for name, v in (
        ("max_new_per_year_oku_yen", f.max_new_per_year_oku_yen),
        ("max_new_total_oku_yen", f.max_new_total_oku_yen),
    ):
        if v is not None and v < 0:
            raise PlanError(
                path,
                f"[fiscal] {name} = {v} is negative",
                column=f"fiscal.{name}",
                fix="give a ceiling ≥ 0 in 億円, or remove the line",
            )
    if f.max_growth_ratio is not None and f.max_growth_ratio < 0:
        raise PlanError(
            path,
            f"[fiscal] max_growth_ratio = {f.max_growth_ratio} is negative",
            column="fiscal.max_growth_ratio",
            fix="write e.g. 0.2 for +20 % a year",
        )
    for y, v in f.per_year_oku_yen:
        if v < 0:
            raise PlanError(
                path,
                f"[fiscal.per_year_oku_yen] {y} = {v} is negative",
                column="fiscal.per_year_oku_yen",
                fix="give a ceiling ≥ 0",
            )
    s = plan.solver
    if s.time_limit_seconds <= 0 or s.gap < 0 or s.gap >= 1 or s.tolerance < 0:
        raise PlanError(
            path,
            "[solver] needs time_limit_seconds > 0, 0 ≤ gap < 1, tolerance ≥ 0",
            column="solver",
            fix="e.g. time_limit_seconds = 120, gap = 0.0",
        )
    for y, v in plan.baseline_oku_yen:
        if v < 0:
            raise PlanError(
                path,
                f"baseline for {y}年度 is negative ({v})",
                column="baseline",
                fix="the baseline is the existing defence budget in 億円",
            )


def _check_low_high(path: Path, what: str, low: int | None, high: int | None, table: str) -> None:
    for name, v in (("low_oku_yen", low), ("high_oku_yen", high)):
        if v is not None and v < 0:
            raise PlanError(
                path,
                f"{what}: {name} = {v} is negative",
                column=f"{table}.{name}",
                fix="amounts are 億円 ≥ 0",
            )
    if low is not None and high is not None and low > high:
        raise PlanError(
            path,
            f"{what}: low {low} is above high {high}",
            column=f"{table}.low_oku_yen",
            fix="swap them or correct one",
        )


def check_program_references(plan: Plan, p: Program, path: Path) -> None:
    areas = {a.id for a in plan.areas}
    if p.area not in areas:
        raise PlanError(
            path,
            f"{p.program_id}: unknown area {p.area!r}",
            row=p.row,
            column="area",
            fix=f"use one of {', '.join(sorted(areas))}",
        )
    phases = {ph.id for ph in plan.phases} | {MULTI_PHASE}
    if p.phase not in phases:
        raise PlanError(
            path,
            f"{p.program_id}: unknown phase {p.phase!r}",
            row=p.row,
            column="phase",
            fix=f"use one of {', '.join(sorted(phases))}",
        )
    ranks = {r.rank for r in plan.ranks}
    if p.rank not in ranks:
        raise PlanError(
            path,
            f"{p.program_id}: unknown rank {p.rank}",
            row=p.row,
            column="rank",
            fix=f"use a rank from 1 to {max(ranks)}",
        )


def check_program_range(p: Program, path: Path) -> None:
    if p.low_oku_yen > p.high_oku_yen:
        raise PlanError(
            path,
            f"{p.program_id}: low {p.low_oku_yen} is above high {p.high_oku_yen}",
            row=p.row,
            column="low_oku_yen",
            fix="swap low_oku_yen and high_oku_yen",
        )
    if p.high_oku_yen == 0 and p.payment_profile is None:
        raise PlanError(
            path,
            f"{p.program_id}: high_oku_yen is 0",
            row=p.row,
            column="high_oku_yen",
            fix="give the program's largest total in 億円",
        )
    n_years = p.window_last_year - p.window_first_year + 1
    if (
        p.max_per_year_oku_yen is not None
        and n_years > 0
        and (p.max_per_year_oku_yen * n_years < p.low_oku_yen)
    ):
        raise PlanError(
            path,
            f"{p.program_id}: {n_years} years × max_per_year "
            f"{p.max_per_year_oku_yen} cannot reach low {p.low_oku_yen}",
            row=p.row,
            column="max_per_year_oku_yen",
            fix="raise max_per_year_oku_yen, widen the window or lower low_oku_yen",
        )


def check_program_window(plan: Plan, p: Program, path: Path, clipped: bool) -> None:
    if p.window_first_year > p.window_last_year:
        raise PlanError(
            path,
            f"{p.program_id}: window {p.window_first_year}–{p.window_last_year} is reversed",
            row=p.row,
            column="window_first_year",
            fix="window_first_year must not be after window_last_year",
        )
    if p.window_first_year < plan.first_year or p.window_last_year > plan.last_year:
        raise PlanError(
            path,
            f"{p.program_id}: window {p.window_first_year}–"
            f"{p.window_last_year} is outside the horizon {plan.first_year}–"
            f"{plan.last_year}",
            row=p.row,
            column=(
                "window_first_year" if p.window_first_year < plan.first_year else "window_last_year"
            ),
            fix="move the window inside the horizon or change first_year/years",
        )
    if p.phase != MULTI_PHASE and not clipped:
        ph = next(x for x in plan.phases if x.id == p.phase)
        if p.window_first_year < ph.first_year or p.window_last_year > ph.last_year:
            raise PlanError(
                path,
                f"{p.program_id}: window {p.window_first_year}–"
                f"{p.window_last_year} is outside phase {ph.id} "
                f"({ph.first_year}–{ph.last_year})",
                row=p.row,
                column="phase",
                fix=f"move the window into {ph.first_year}–{ph.last_year} "
                f"or set phase to {MULTI_PHASE}",
            )


def check_program_profile(p: Program, path: Path) -> None:
    if p.payment_profile is None:
        return
    for y, _ in p.payment_profile:
        if y < p.window_first_year or y > p.window_last_year:
            raise PlanError(
                path,
                f"{p.program_id}: payment in {y} is outside its window "
                f"{p.window_first_year}–{p.window_last_year}",
                row=p.row,
                column="payment_profile",
                fix="move the payment into the window or widen the window",
            )
    total = sum(a for _, a in p.payment_profile)
    if not p.low_oku_yen <= total <= p.high_oku_yen:
        raise PlanError(
            path,
            f"{p.program_id}: payments total {total}, outside its range "
            f"[{p.low_oku_yen}, {p.high_oku_yen}]",
            row=p.row,
            column="payment_profile",
            fix="leave low/high empty for a fixed profile, or make them agree",
        )
    if p.unit_cost_oku_yen is not None:
        raise PlanError(
            path,
            f"{p.program_id}: has both a payment profile and a unit cost",
            row=p.row,
            column="unit_cost_oku_yen",
            fix="a fixed contract has no units: empty one of the two cells",
        )


def check_program_units(p: Program, path: Path) -> None:
    u = p.unit_cost_oku_yen
    if u is None:
        return
    if p.high_oku_yen // u * u < max(p.low_oku_yen, 1):
        raise PlanError(
            path,
            f"{p.program_id}: no whole number of units of {u} lies in "
            f"[{p.low_oku_yen}, {p.high_oku_yen}]",
            row=p.row,
            column="unit_cost_oku_yen",
            fix="widen the range to include a multiple of the unit cost",
        )


def check_predecessors(plan: Plan, path: Path) -> None:
    ids = {p.program_id: p for p in plan.programs}
    for p in plan.programs:
        for q in p.predecessors:
            if q.program_id == p.program_id:
                raise PlanError(
                    path,
                    f"{p.program_id} names itself as predecessor",
                    row=p.row,
                    column="predecessor",
                    fix="remove it",
                )
            if q.program_id not in ids:
                raise PlanError(
                    path,
                    f"{p.program_id}: predecessor {q.program_id!r} is not a program",
                    row=p.row,
                    column="predecessor",
                    fix="use an existing program_id",
                )
    # cycle detection (depth-first, iterative)
    state: dict[str, int] = {}
    for start in ids:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path_ids: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path_ids.append(node)
            preds = [q.program_id for q in ids[node].predecessors]
            if i < len(preds):
                stack.append((node, i + 1))
                nxt = preds[i]
                if state.get(nxt) == 1:
                    cycle = [*path_ids[path_ids.index(nxt) :], nxt]
                    p = ids[node]
                    raise PlanError(
                        path,
                        f"predecessors form a cycle: {' → '.join(cycle)}",
                        row=p.row,
                        column="predecessor",
                        fix="remove one of these predecessor links",
                    )
                if not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path_ids.pop()


# ---------------------------------------------------------------------------------------------
# [[groups]]


GROUP_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A group id: ASCII, as a program_id (it names the model's rows, ``group_at_most[fighter]``)."""


def check_groups(groups: Sequence[Group], programs: Sequence[Program], path: Path) -> None:
    """Each ``[[groups]]`` entry names known programs, can be met on its own, says something,
    has a source, and no ``requires`` link closes a cycle (with other groups' links or the
    predecessors of programs.csv).

    Run on the groups and programs as written, before a shortened horizon leaves any out.
    """
    known = [p.program_id for p in programs]
    seen: dict[str, int] = {}
    for g in groups:
        _check_group(g, set(known), known, path)
        if g.id in seen:
            raise PlanError(
                path,
                f"{g.label}, key id: {g.id!r} is already the id of [[groups]] #{seen[g.id]}",
                fix="give each group its own id",
            )
        seen[g.id] = g.entry
    _check_requires_cycles(groups, programs, path)


def _check_group(g: Group, known: set[str], order: list[str], path: Path) -> None:
    def bad(key: str, message: str, fix: str) -> PlanError:
        return PlanError(path, f"{g.label}, key {key}: {message}", fix=fix)

    if not GROUP_ID_RE.fullmatch(g.id):
        what = "is empty" if not g.id.strip() else f"{g.id!r} is not an ASCII id"
        raise bad("id", what, 'use letters, digits, "_", "-" or "." (e.g. id = "fighter")')
    if not g.source.strip():
        raise bad("source", "is empty", "say where the rule comes from (seed §, ref: row, or "
                  "assumption: why)")  # fmt: skip
    if not g.programs:
        raise bad(
            "programs", "is empty: the group has no programs",
            'list the program_id of its programs, e.g. programs = ["F1", "F2"]',
        )  # fmt: skip
    for key, ids in (
        ("programs", g.programs),
        ("requires", g.requires),
        ("requires_any", g.requires_any),
    ):
        for pid in ids:
            if pid not in known:
                shown = ", ".join(order[:8]) + (", ..." if len(order) > 8 else "")
                raise bad(
                    key,
                    f"names program {pid!r}, which is not in programs.csv",
                    f"use a program_id of programs.csv ({shown})",
                )
        twice = sorted({pid for pid in ids if ids.count(pid) > 1})
        if twice:
            raise bad(key, f"names {', '.join(twice)} twice", "list each program once")
    if not says_something(g):
        raise bad(
            "programs", "the group sets no rule",
            "add at_most, at_least (above 0), all_or_none = true, requires or requires_any",
        )  # fmt: skip
    size = len(g.programs)
    for key, v in (("at_most", g.at_most), ("at_least", g.at_least)):
        if v is not None and v < 0:
            raise bad(key, f"is {v}, below 0", f"give a number of programs from 0 to {size}")
    if g.at_least is not None and g.at_least > size:
        raise bad(
            "at_least",
            f"is {g.at_least} but the group has {size} program{'s' if size != 1 else ''}",
            f"lower at_least to {size} or less, or add programs",
        )
    if g.at_most is not None and g.at_least is not None and g.at_most < g.at_least:
        raise bad(
            "at_most",
            f"is {g.at_most}, below at_least {g.at_least}",
            "no choice can meet both: raise at_most or lower at_least",
        )
    if g.all_or_none:
        if size < 2:
            raise bad(
                "all_or_none", "needs two or more programs",
                "list the programs of the package in programs (or drop all_or_none)",
            )  # fmt: skip
        if g.at_most is not None or g.at_least is not None:
            key = "at_most" if g.at_most is not None else "at_least"
            raise bad(
                key,
                "cannot be combined with all_or_none (which allows none or all)",
                f"drop {key}, or write a separate group for it",
            )
    for key, ids in (("requires", g.requires), ("requires_any", g.requires_any)):
        own = [pid for pid in ids if pid in g.programs]
        if own:
            raise bad(
                key,
                f"names {', '.join(own)}, which is in the group's own programs",
                f"a program cannot require itself: remove {', '.join(own)} from {key}",
            )


def _check_requires_cycles(
    groups: Sequence[Group], programs: Sequence[Program], path: Path
) -> None:
    """A ``requires`` link p → q closes a cycle if q already needs p, through other ``requires``
    links or predecessors (a successor needs its predecessor funded). Such programs can only
    be funded together: that is a package (``all_or_none``), and is refused here so that the
    plan says so."""
    needs: dict[str, list[str]] = {}
    for p in programs:
        needs.setdefault(p.program_id, []).extend(q.program_id for q in p.predecessors)
    for g in groups:
        for pid in g.programs:
            needs.setdefault(pid, []).extend(g.requires)
    for g in groups:
        for pid in g.programs:
            for q in g.requires:
                back = _path(needs, q, pid)
                if back is None:
                    continue
                cycle = " → ".join([pid, *back])
                raise PlanError(
                    path,
                    f"{g.label}, key requires: the links form a cycle {cycle} "
                    f"({pid} needs {q}, and {q} already needs {pid}), so they are funded only "
                    "together",
                    fix="make them a package: one group with all_or_none = true, and remove "
                    "this requires",
                )


def _path(needs: dict[str, list[str]], start: str, goal: str) -> list[str] | None:
    """Program ids from ``start`` to ``goal`` along ``needs`` (breadth first), or None."""
    parent: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            out = [node]
            while (prev := parent[out[-1]]) is not None:
                out.append(prev)
            return out[::-1]
        for nxt in needs.get(node, ()):
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None
