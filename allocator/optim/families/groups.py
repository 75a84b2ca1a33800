"""Which programs are funded together (``[[groups]]`` of plan.toml): at most / at least k of a
set, packages funded whole or not at all, and programs funded only if another one is.

Every row is on the ``go`` variables only (go[p] = 1: p is funded); a group says nothing about
amounts or timing. Rows are named after the group's id: ``group_at_most[fighter]``,
``group_requires[launchers,M1,L1]``.
"""

from __future__ import annotations

from collections.abc import Callable

from allocator.optim.handles import ModelHandles


def define_group_at_most(m: ModelHandles) -> None:
    """Σ_{p ∈ G} go[p] ≤ at_most[G]."""
    for g in m.plan.groups:
        if g.at_most is not None:
            funded = m.linear_sum(m.go[p] for p in g.programs)
            m.add("group_at_most", (g.id,), funded <= g.at_most)


def define_group_at_least(m: ModelHandles) -> None:
    """Σ_{p ∈ G} go[p] ≥ at_least[G]."""
    for g in m.plan.groups:
        if g.at_least:
            funded = m.linear_sum(m.go[p] for p in g.programs)
            m.add("group_at_least", (g.id,), funded >= g.at_least)


def define_group_all_or_none(m: ModelHandles) -> None:
    """go[p_1] ≤ go[p_2] ≤ … ≤ go[p_n] ≤ go[p_1]: all equal, written as a ring of ≤ rows so
    that each row reads "p_i only with p_{i+1}" (and an elastic slack on one row means
    funding p_i without p_{i+1})."""
    for g in m.plan.groups:
        if not g.all_or_none or len(g.programs) < 2:
            continue
        ring = list(g.programs)
        for p, q in zip(ring, ring[1:] + ring[:1], strict=True):
            m.add("group_all_or_none", (g.id, p), m.go[p] <= m.go[q])


def define_group_requires(m: ModelHandles) -> None:
    """go[p] ≤ go[q] for every p of G and every q it requires."""
    for g in m.plan.groups:
        for p in g.programs:
            for q in g.requires:
                m.add("group_requires", (g.id, p, q), m.go[p] <= m.go[q])


def define_group_requires_any(m: ModelHandles) -> None:
    """go[p] ≤ Σ_{q ∈ R} go[q] for every p of G (R: the programs of ``requires_any``)."""
    for g in m.plan.groups:
        if not g.requires_any:
            continue
        alternatives = m.linear_sum(m.go[q] for q in g.requires_any)
        for p in g.programs:
            m.add("group_requires_any", (g.id, p), m.go[p] <= alternatives)


DEFINE_GROUPS: tuple[Callable[[ModelHandles], None], ...] = (
    define_group_at_most,
    define_group_at_least,
    define_group_all_or_none,
    define_group_requires,
    define_group_requires_any,
)
"""The group families, in the order :func:`allocator.optim.model.build_model` adds them."""
