"""What a solve returns: our own frozen dataclasses, free of solver objects.

The run folder, the reports and the command line read these; only
:mod:`allocator.optim.solve` makes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from allocator.constants import has_plan
from allocator.plan.floors import Floor
from allocator.plan.schema import Plan

SCHEDULE_COLUMNS = ["program_id", "fiscal_year", "amount_oku_yen", "units", "contract_oku_yen"]
"""``amount_oku_yen``: paid in the fiscal year (歳出); ``contract_oku_yen``: contracted in it
(the same as the amount for a program without a contract pattern); ``units``: whole units of
the contract (or of the amount)."""
VEHICLE_COLUMNS = ["program_id", "fiscal_year", "vehicle", "oku_yen"]


@dataclass(frozen=True)
class StageReport:
    """One stage of the strict-priority solve: a floor stage (``kind="floors"``, the give-way
    group in ``group``), a rank's stage (``kind="rank"``, ``rank``), or the tie-break
    (``kind="tiebreak"``). A floor stage's objective and bound are the group's total shortfall
    (minimised), in 億円."""

    rank: int | None
    status: str
    """``optimal`` (proven within ``requested_gap``), ``not_proven`` (a schedule, but further
    from the bound than asked, or stopped by a limit other than time), ``time_limit``,
    ``infeasible``, ``no_solution`` or ``skipped``."""
    objective: float | None
    """The stage's objective at the schedule it ended with (read from the schedule)."""
    best_bound: float | None
    """The best bound HiGHS proved (rounded down to a whole number for integral objectives)."""
    gap: float | None
    """|best_bound − objective| / max(1, |objective|)."""
    seconds: float
    requested_gap: float | None = None
    """The relative gap the stage was solved to."""
    retried_cold: bool = False
    """The warm start was dropped and the stage solved again (see ``allocator.optim.solve``)."""
    kind: str = "rank"
    """``floors``, ``rank`` or ``tiebreak`` (a rank stage with ``rank=None`` is a tie-break in
    results made before floor stages existed)."""
    group: int | None = None
    """A floor stage's give-way group: its rank, or 0 for the floors of no single rank."""
    name: str | None = None
    """A named stage after the tie-break: ``vehicles`` (pay from the default vehicles first)."""


@dataclass(frozen=True)
class Shortfall:
    """A floor the final schedule falls short of: it reaches ``achieved`` of ``floor.low``."""

    floor: Floor
    achieved: int
    shortfall: int


@dataclass(frozen=True)
class SolveResult:
    status: str
    """``optimal``: every stage proven optimal (within ``gap``); ``feasible``: a plan, but some
    stage stopped at a limit; ``infeasible``: no plan satisfies the rules; ``no_solution``: a
    limit was reached before any plan was found."""
    stages: tuple[StageReport, ...]
    schedule: pd.DataFrame
    """Columns program_id, fiscal_year, amount_oku_yen, units, contract_oku_yen (rows with a
    nonzero payment or contract only, years of the horizon)."""
    funded: dict[str, bool]
    solver_name: str
    solver_version: str
    pulp_version: str
    """Version of PuLP, which built the model and handed it to the solver."""
    build_seconds: float
    solve_seconds: float
    time_limit_seconds: float
    gap_setting: float
    values: dict[int, float] = field(default_factory=dict)
    """Each rank's value in the final schedule (what the schedule delivers, not the stage
    objective; the two agree when every stage is optimal and the tolerance is 0)."""
    shortfalls: tuple[Shortfall, ...] = ()
    """Floors the final schedule falls short of, in give-way order (floors of no rank first,
    then the lowest rank's); empty when every floor is met."""
    floors_mode: str = "priority"
    marginal: pd.DataFrame | None = None
    more_cap: Any = None
    """What 0.1 % of GDP more cap buys, re-solved (:class:`allocator.optim.analysis.MoreCap`)."""
    ratio_target: Any = None
    """With a floor ratio: the target per year and what cannot be absorbed
    (:class:`allocator.optim.analysis.RatioTarget`)."""
    """Value per rank of 100 億円 more cap, per fiscal year (see
    :func:`allocator.optim.analysis.marginal_values`)."""
    vehicle_payments: pd.DataFrame | None = None
    """For a plan with vehicles: who pays what (columns program_id, fiscal_year, vehicle,
    oku_yen; nonzero rows only)."""

    @property
    def has_plan(self) -> bool:
        return has_plan(self.status)

    def rank_values(self) -> dict[int, float]:
        """Each rank's value in the final schedule (empty without a plan)."""
        return dict(self.values)

    def counted_totals(self, plan: Plan) -> dict[str, int]:
        """{program_id: 億円 its range and its rank's value count}: what it pays in the horizon,
        or for a contract program on the contract basis, what it contracts."""
        sched = self.schedule
        paid = sched.groupby("program_id")["amount_oku_yen"].sum() if len(sched) else {}
        contracted = sched.groupby("program_id")["contract_oku_yen"].sum() if len(sched) else {}
        return {
            p.program_id: int(
                contracted.get(p.program_id, 0)
                if p.basis == "contract" and p.is_contract
                else paid.get(p.program_id, 0)
            )
            for p in plan.programs
        }

    def final_rank_values(self, plan: Plan) -> dict[int, float]:
        """The value each rank receives from the final schedule (not each stage's objective:
        a later stage may add value within the holds, and a run states what the plan gives);
        each stage's objective when there is no plan."""
        if not self.has_plan:
            return self.rank_values()
        from allocator.plan.values import rank_values

        cells = {  # year by year, for ranks valued by an indicator
            (str(r.program_id), int(r.fiscal_year)): (
                int(r.amount_oku_yen),
                None if pd.isna(r.units) else int(r.units),
            )
            for r in self.schedule.itertuples(index=False)
        }
        return rank_values(plan, self.counted_totals(plan), self.funded, cells)


def empty_schedule() -> pd.DataFrame:
    return pd.DataFrame(columns=SCHEDULE_COLUMNS)


def empty_vehicle_payments() -> pd.DataFrame:
    return pd.DataFrame(columns=VEHICLE_COLUMNS)
