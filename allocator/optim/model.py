"""Build the integer program from a checked :class:`~allocator.plan.schema.Plan`.

:func:`build_model` calls one ``define_<family>()`` per constraint family, in order; each lives
in :mod:`allocator.optim.families` and returns early when its input is empty. Variables and
constraints are named after their family and index (``alloc[A01,2026]``, ``gdp_cap[2027]``),
and every constraint is recorded in ``ModelHandles.rows`` as ``(family, index)`` so that
explanations and duals map back to the plan's own words. The mathematics is written down in
``docs/model.md``.

To add a constraint family: describe it in :data:`allocator.constants.FAMILIES`, write its
``define_<family>()`` in a module of :mod:`allocator.optim.families`, call it below, add its
line to ``docs/model.md`` and its check to :mod:`allocator.run.verify`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allocator.optim.families.actuals import define_actuals, settle_actuals
from allocator.optim.families.aggregates import (
    define_aggregate_bounds,
    define_area_bounds,
    define_phase_bounds,
)
from allocator.optim.families.caps import define_fiscal_caps, define_gdp_cap
from allocator.optim.families.contracts import (
    define_contract_window,
    define_new_contract_cap,
    define_outstanding_cap,
    define_payments,
    define_vehicles,
)
from allocator.optim.families.floors import define_floor_shortfalls, define_ratio_floor
from allocator.optim.families.groups import DEFINE_GROUPS
from allocator.optim.families.indicators import define_indicator_targets
from allocator.optim.families.priorities import define_priorities, program_value
from allocator.optim.families.programs import (
    define_allocations,
    define_mandatory,
    define_precedence,
    define_program_ranges,
    define_ramps,
)
from allocator.optim.handles import Index, ModelHandles
from allocator.plan.schema import Plan

BUILD_ORDER: tuple[Callable[[ModelHandles], None], ...] = (
    define_allocations,
    define_actuals,  # the fixed years' money, before payments are built from it
    define_payments,
    define_program_ranges,
    define_mandatory,
    define_ramps,
    define_precedence,
    *DEFINE_GROUPS,
    define_area_bounds,
    define_phase_bounds,
    define_aggregate_bounds,
    define_gdp_cap,
    define_fiscal_caps,
    define_contract_window,
    define_new_contract_cap,
    define_outstanding_cap,
    define_vehicles,
    define_ratio_floor,
    define_floor_shortfalls,
    define_indicator_targets,
    settle_actuals,
    define_priorities,
)
"""The families, in the order they are added (variables first, priorities last)."""


def build_model(plan: Plan, elastic: frozenset[str] = frozenset()) -> ModelHandles:
    """Build the whole model (without an objective: the solver sets one per priority stage).

    ``elastic`` names constraint families that get a slack (see :mod:`allocator.optim.diagnose`).
    """
    m = ModelHandles.new(plan, elastic=elastic)
    for define in BUILD_ORDER:
        define(m)
    return m


def define_defense_totals(m: ModelHandles) -> dict[int, Any]:
    """Turn each ``gdp_cap[y]`` row into ``defence(y) − z_y ≤ −committed(y)``: a variable
    ``defense_total[y]`` = z_y (0 … the model's cap in ``y``) that is at least the year's total
    defence spending (baseline, obligations already owed, new money). Used by the minimum-cap
    path, which minimises Σ_y z_y."""
    z: dict[int, Any] = {}
    for y in m.plan.fiscal_years:
        z[y] = m.prob.add_variable(f"defense_total[{y}]", 0, m.plan.cap_oku_yen(y))
        row = m.constraints[("gdp_cap", (y,))]
        row.set_coefficient(z[y], -1)
        row.changeRHS(-m.plan.committed(y))
    return z


__all__ = ["BUILD_ORDER", "Index", "ModelHandles", "build_model", "program_value"]
