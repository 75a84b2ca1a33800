"""The ``[[groups]]`` rules, from the files alone: which programs are funded (programs.csv and
the schedule) against each group of the reloaded plan.

A program counts as funded here when programs.csv (or plan.json) marks it funded *and* the
schedule pays it something: that is what funded means in the model (at least 1 億円, or its
fixed profile). A program marked funded without money, or paid without being marked, is the
business of the rules ``funded`` and ``program_range``; here it cannot help a group's floor.
"""

from __future__ import annotations

from allocator.plan.schema import Group, Plan
from allocator.run.verify.common import Amounts, total_of
from allocator.run.verify.tally import Tally


def funded_members(plan: Plan, amounts: Amounts, funded: dict[str, bool]) -> set[str]:
    """Programs that are funded and paid."""
    return {
        p.program_id
        for p in plan.programs
        if funded.get(p.program_id, False) and total_of(amounts, p.program_id) > 0
    }


def _names(ids: list[str]) -> str:
    return ", ".join(ids) if ids else "none"


def check_group_at_most(g: Group, on: set[str], t: Tally) -> None:
    """At most ``at_most`` of the group's programs are funded."""
    if g.at_most is None:
        return
    t.check("group_at_most")
    chosen = [p for p in g.programs if p in on]
    if len(chosen) > g.at_most:
        t.fail(
            "group_at_most",
            g.id,
            f"group {g.id} ({g.name_en}) allows at most {g.at_most} of "
            f"{', '.join(g.programs)} but {len(chosen)} are funded ({_names(chosen)})",
        )


def check_group_at_least(g: Group, on: set[str], t: Tally) -> None:
    """At least ``at_least`` of the group's programs are funded."""
    if not g.at_least:
        return
    t.check("group_at_least")
    chosen = [p for p in g.programs if p in on]
    if len(chosen) < g.at_least:
        t.fail(
            "group_at_least",
            g.id,
            f"group {g.id} ({g.name_en}) needs at least {g.at_least} of "
            f"{', '.join(g.programs)} funded but {len(chosen)} are ({_names(chosen)})",
        )


def check_group_all_or_none(g: Group, on: set[str], t: Tally) -> None:
    """The group's programs are all funded or none is."""
    if not g.all_or_none:
        return
    t.check("group_all_or_none")
    chosen = [p for p in g.programs if p in on]
    if chosen and len(chosen) < len(g.programs):
        left = [p for p in g.programs if p not in on]
        t.fail(
            "group_all_or_none",
            g.id,
            f"package {g.id} ({g.name_en}) is funded in part: {_names(chosen)} funded, "
            f"{_names(left)} not",
        )


def check_group_requires(g: Group, on: set[str], t: Tally) -> None:
    """A funded program of the group has every program of ``requires`` funded, and at least
    one of ``requires_any``."""
    for p in g.programs:
        for q in g.requires:
            t.check("group_requires")
            if p in on and q not in on:
                t.fail(
                    "group_requires",
                    g.id,
                    f"{p} is funded but {q}, which it requires (group {g.id}, {g.name_en}), is not",
                )
        if g.requires_any:
            t.check("group_requires")
            if p in on and not any(q in on for q in g.requires_any):
                t.fail(
                    "group_requires",
                    g.id,
                    f"{p} is funded but none of {', '.join(g.requires_any)}, one of which it "
                    f"requires (group {g.id}, {g.name_en})",
                )


def check_groups(plan: Plan, amounts: Amounts, funded: dict[str, bool], t: Tally) -> None:
    """Every ``[[groups]]`` rule of the plan (rules ``group_at_most``, ``group_at_least``,
    ``group_all_or_none``, ``group_requires``)."""
    on = funded_members(plan, amounts, funded)
    for g in plan.groups:
        check_group_at_most(g, on, t)
        check_group_at_least(g, on, t)
        check_group_all_or_none(g, on, t)
        check_group_requires(g, on, t)
