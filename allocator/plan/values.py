"""The value a schedule delivers to each priority rank (docs/model.md, "Objective"): what
``plan.json`` records as ``objective_per_rank`` and ``ranks.csv`` as ``value``.

- no explicit value: the 億円 funded;
- an explicit value and a fixed payment profile: the value if funded;
- an explicit value otherwise: value × funded 億円 / high;
- a rank valued by an indicator (``[[ranks]] indicator``): what its programs deliver into the
  indicator by its year (:func:`allocator.plan.indicators.rank_indicator_value`).

The model builds the same quantity as a solver expression (``allocator.optim``); the verifier
has its own copy (``allocator.run.verify``); tests check that all three agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from allocator.plan.indicators import Cells, rank_indicator_value
from allocator.plan.schema import Plan, Program


def program_value(program: Program, total_oku_yen: int, funded: bool) -> float:
    """Value of ``program`` when it receives ``total_oku_yen`` over the horizon."""
    if program.value is None:
        return float(total_oku_yen)
    if program.payment_profile is not None:
        return float(program.value) if funded else 0.0
    if not program.high_oku_yen:
        return 0.0
    return program.value * total_oku_yen / program.high_oku_yen


def rank_values(
    plan: Plan,
    totals: Mapping[str, int],
    funded: Mapping[str, bool],
    cells: Cells | None = None,
) -> dict[int, float]:
    """{rank: value} of a schedule, for every rank of the plan (0 for a rank given nothing).

    Parameters
    ----------
    totals : mapping
        {program_id: 億円 over the horizon}.
    funded : mapping
        {program_id: funded} (the ``go`` decision).
    cells : mapping, optional
        {(program_id, fiscal_year): (億円, units)}: the schedule year by year, needed by ranks
        valued by an indicator (ValueError without it).
    """
    out = {r.rank: 0.0 for r in plan.ranks}
    for p in plan.programs:
        pid = p.program_id
        out[p.rank] = out.get(p.rank, 0.0) + program_value(
            p, int(totals.get(pid, 0)), bool(funded.get(pid, False))
        )
    for r in plan.ranks:
        if r.indicator is not None:
            if cells is None:
                raise ValueError(f"rank {r.rank} is valued by an indicator: give the cells")
            out[r.rank] = float(rank_indicator_value(plan, r, cells))
    return out


def rank_areas(plan: Plan, rank: int) -> list[str]:
    """Areas of the programs of ``rank``, in the order of ``[[areas]]`` (the ranks' ``areas``
    in plan.toml must say the same; see :mod:`allocator.plan.consistency`)."""
    used = {p.area for p in plan.programs if p.rank == rank}
    return [a.id for a in plan.areas if a.id in used]
