"""What a solve returns: our own frozen dataclasses, free of solver objects.

The run folder, the reports and the command line read these; only
:mod:`allocator.optim.solve` makes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from allocator.constants import has_plan
from allocator.plan.schema import Plan

SCHEDULE_COLUMNS = ["program_id", "fiscal_year", "amount_oku_yen", "units", "contract_oku_yen"]
"""``amount_oku_yen``: paid in the fiscal year (歳出); ``contract_oku_yen``: contracted in it
(the same as the amount for a program without a contract pattern); ``units``: whole units of
the contract (or of the amount)."""
VEHICLE_COLUMNS = ["program_id", "fiscal_year", "vehicle", "oku_yen"]


@dataclass(frozen=True)
class StageReport:
    """One priority stage: rank ``rank`` (``None`` for the final tie-break stage)."""

    rank: int | None
    status: str
    """``optimal``, ``time_limit``, ``infeasible``, ``no_solution`` or ``skipped``."""
    objective: float | None
    best_bound: float | None
    gap: float | None
    seconds: float
    name: str | None = None
    """The stage after earliness: ``vehicles`` (pay from the default vehicles first)."""


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
    marginal: pd.DataFrame | None = None
    """Value per rank of 100 億円 more cap, per fiscal year (see
    :func:`allocator.optim.analysis.marginal_values`)."""
    vehicle_payments: pd.DataFrame | None = None
    """For a plan with vehicles: who pays what (columns program_id, fiscal_year, vehicle,
    oku_yen; nonzero rows only)."""

    @property
    def has_plan(self) -> bool:
        return has_plan(self.status)

    def rank_values(self) -> dict[int, float]:
        return {
            s.rank: s.objective
            for s in self.stages
            if s.rank is not None and s.objective is not None
        }

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

        return rank_values(plan, self.counted_totals(plan), self.funded)


def empty_schedule() -> pd.DataFrame:
    return pd.DataFrame(columns=SCHEDULE_COLUMNS)


def empty_vehicle_payments() -> pd.DataFrame:
    return pd.DataFrame(columns=VEHICLE_COLUMNS)
