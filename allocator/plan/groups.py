"""``[[groups]]`` of ``plan.toml``: from the file's entries to :class:`Group` records, and what a
shortened horizon does to them.

The rules a group must obey as written (known programs, sizes, no ``requires`` cycle) are
checked by :func:`allocator.plan.checks.check_groups` against every program of programs.csv,
before the horizon drops any program.
"""

from __future__ import annotations

from collections.abc import Sequence

from allocator.plan.schema import Group
from allocator.plan.tomlfile import RawGroup


def groups_from_toml(raw: Sequence[RawGroup]) -> tuple[Group, ...]:
    """The ``[[groups]]`` entries as :class:`Group` records, numbered from 1 in file order."""
    return tuple(
        Group(
            id=g.id,
            name_ja=g.name_ja,
            name_en=g.name_en,
            programs=tuple(g.programs),
            at_most=g.at_most,
            at_least=g.at_least,
            all_or_none=g.all_or_none,
            requires=tuple(g.requires),
            requires_any=tuple(g.requires_any),
            source=g.source,
            note=g.note,
            entry=n,
        )
        for n, g in enumerate(raw, start=1)
    )


def groups_in_horizon(
    groups: Sequence[Group], kept: set[str], notes: list[str]
) -> tuple[Group, ...]:
    """The groups once programs outside a shortened horizon are left out (``kept``: the
    program ids still in the plan), saying in ``notes`` what changed.

    As for the plan's other rules: a limit still applies to what is left (``at_most``, a
    package of the remaining members, a ``requires`` on remaining programs), but a floor meant
    to be met partly beyond the horizon is not (``at_least`` of a group that lost a member),
    and a requirement on a program that was left out is dropped, like a predecessor link to
    it — for ``requires_any`` the whole requirement, since the alternative left out might be the
    one that meets it. A group with no member left is dropped.
    """
    out: list[Group] = []
    for g in groups:
        members = tuple(p for p in g.programs if p in kept)
        requires = tuple(p for p in g.requires if p in kept)
        any_kept = all(p in kept for p in g.requires_any)
        requires_any = g.requires_any if any_kept else ()
        if (members, requires, requires_any) == (g.programs, g.requires, g.requires_any):
            out.append(g)
            continue
        if not members:
            notes.append(f"group {g.id} left out: none of its programs is in the horizon")
            continue
        at_least = g.at_least if members == g.programs else None
        changes: list[str] = []
        if members != g.programs:
            gone = [p for p in g.programs if p not in kept]
            changes.append(f"{', '.join(gone)} left out")
            if g.at_least is not None:
                changes.append(f"at_least {g.at_least} not applied")
        if requires != g.requires:
            gone = [p for p in g.requires if p not in kept]
            changes.append(f"requirement on {', '.join(gone)} dropped")
        if not any_kept:
            gone = [p for p in g.requires_any if p not in kept]
            changes.append(f"requires_any dropped ({', '.join(gone)} left out)")
        notes.append(f"group {g.id}: {'; '.join(changes)} (beyond the horizon)")
        clipped = g.model_copy(
            update={
                "programs": members,
                "at_least": at_least,
                "requires": requires,
                "requires_any": requires_any,
                "all_or_none": g.all_or_none and len(members) > 1,
            }
        )
        if says_something(clipped):
            out.append(clipped)
    return tuple(out)


def says_something(g: Group) -> bool:
    """Whether the group constrains anything (a limit, a floor above 0, a package or a
    requirement)."""
    return bool(
        g.at_most is not None
        or (g.at_least or 0) > 0
        or g.all_or_none
        or g.requires
        or g.requires_any
    )
