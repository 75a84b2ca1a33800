"""Tables of the robust first years (``--robust-years``): the decisions, the scenarios solved
three ways, and what robustness costs each rank; and the decisions read back for a resume.

- ``robust_first_years.csv``: per program and first year, 億円 at planning prices of the
  robust plan and of the plan made for the central case only, and their difference
  (fixed-profile contracts: one row, ``decision = contract``, the amount paid in those years
  if signed);
- ``robust_scenarios.csv``: per scenario whether it is in the set (it has a plan at all), and
  the status and value per rank solved free, with the robust first years and with the central
  plan's first years;
- ``robust_cost.csv``: per rank, the value in the central scenario with the central plan's
  first years and with the robust ones, the difference (the cost of robustness in the
  central case), and the mean over the set solved free, robust, and with the central plan's
  first years (over the scenarios where those are feasible, with their count).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from allocator.constants import has_plan
from allocator.errors import AllocatorError
from allocator.optim.montecarlo import FirstYears
from allocator.optim.robust import (
    ScenarioJob,
    ScenarioSolve,
    ScenarioSpec,
    scenario_set,
    solve_first_years,
    solve_fixed,
    solve_free,
)
from allocator.plan.schema import Plan
from allocator.plan.uncertainty import Uncertainty

ROBUST_FIRST_YEARS_CSV = "robust_first_years.csv"
ROBUST_SCENARIOS_CSV = "robust_scenarios.csv"
ROBUST_COST_CSV = "robust_cost.csv"


def first_years_table(plan: Plan, robust: FirstYears, central: FirstYears) -> pd.DataFrame:
    rows = []
    for pid, y, amount in robust.amounts:
        p = plan.program(pid)
        c = central.amount(pid, y)
        rows.append((pid, p.name_ja, p.name_en, p.rank, "amount", y, amount, c, amount - c))
    signed = dict(central.contracts)
    for pid, sign in robust.contracts:
        p = plan.program(pid)
        paid = sum(a for y, a in p.profile.items() if y in robust.years)
        r, c = (paid if sign else 0), (paid if signed.get(pid) else 0)
        rows.append((pid, p.name_ja, p.name_en, p.rank, "contract", min(robust.years), r, c, r - c))
    return pd.DataFrame(
        rows,
        columns=[
            "program_id", "name_ja", "name_en", "rank", "decision", "fiscal_year",
            "robust_oku_yen", "central_oku_yen", "difference_oku_yen",
        ],
    )  # fmt: skip


def read_first_years(path: Path, years: Sequence[int]) -> FirstYears:
    """The robust first years written in ``robust_first_years.csv`` (for a resume)."""
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", dtype={"program_id": str, "decision": str})
    except (OSError, ValueError) as exc:
        raise AllocatorError(f"{path}: cannot be read ({exc})") from None
    amounts = tuple(
        (str(r.program_id), int(r.fiscal_year), int(r.robust_oku_yen))
        for r in df.itertuples(index=False)
        if r.decision == "amount"
    )
    contracts = tuple(
        (str(r.program_id), int(r.robust_oku_yen) > 0)
        for r in df.itertuples(index=False)
        if r.decision == "contract"
    )
    return FirstYears(tuple(years), amounts, contracts)


def scenarios_table(
    plan: Plan,
    specs: Sequence[ScenarioSpec],
    free: Sequence[ScenarioSolve],
    fixed: dict[int, tuple[ScenarioSolve, ScenarioSolve]],
) -> pd.DataFrame:
    ranks = sorted(r.rank for r in plan.ranks)
    rows = []
    for i, (spec, f) in enumerate(zip(specs, free, strict=True)):
        robust, central = fixed.get(i, (None, None))
        row: dict[str, object] = {
            "scenario": spec.label,
            "in_set": "yes" if i in fixed else "no",
            "free_status": f.status,
            "robust_status": robust.status if robust else None,
            "central_status": central.status if central else None,
        }
        for k in ranks:
            row[f"value_rank{k}_free"] = f.values.get(k)
            row[f"value_rank{k}_robust"] = robust.values.get(k) if robust else None
            row[f"value_rank{k}_central"] = central.values.get(k) if central else None
        rows.append(row)
    return pd.DataFrame(rows)


def cost_table(
    plan: Plan, free: Sequence[ScenarioSolve], fixed: dict[int, tuple[ScenarioSolve, ScenarioSolve]]
) -> pd.DataFrame:
    """What robustness costs each rank. Scenario 0 is the central case."""
    in_set = sorted(fixed)
    robust_ok = [i for i in in_set if has_plan(fixed[i][0].status)]
    central_ok = [i for i in in_set if has_plan(fixed[i][1].status)]
    rows = []
    for r in sorted(plan.ranks, key=lambda r: r.rank):
        k = r.rank
        base = fixed[0][1].values.get(k) if 0 in fixed else None
        rob = fixed[0][0].values.get(k) if 0 in fixed else None
        rows.append(
            {
                "rank": k,
                "name_ja": r.name_ja,
                "name_en": r.name_en,
                "central_case_central_plan": base,
                "central_case_robust_plan": rob,
                "cost_in_central_case": (base - rob)
                if base is not None and rob is not None
                else None,
                "mean_free": _mean([free[i].values.get(k) for i in in_set]),
                "mean_robust": _mean([fixed[i][0].values.get(k) for i in robust_ok]),
                "mean_central_plan_where_feasible": _mean(
                    [fixed[i][1].values.get(k) for i in central_ok]
                ),
                "scenarios": len(in_set),
                "robust_infeasible": len(in_set) - len(robust_ok),
                "central_plan_infeasible": len(in_set) - len(central_ok),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RobustRun:
    """The robust first years and their check."""

    years: tuple[int, ...]
    robust: FirstYears
    central: FirstYears
    specs: tuple[ScenarioSpec, ...]
    free: tuple[ScenarioSolve, ...]
    fixed: dict[int, tuple[ScenarioSolve, ScenarioSolve]]
    """Scenario position -> (with robust first years, with the central plan's); only the set."""
    expected: dict[int, float]
    seconds: dict[str, float]

    @property
    def left_out(self) -> list[str]:
        return [s.label for i, s in enumerate(self.specs) if i not in self.fixed]

    @property
    def holds(self) -> bool:
        """Every scenario of the set has a plan with the robust first years fixed."""
        return all(has_plan(r.status) for r, _ in self.fixed.values())


class NoRobustPlan(AllocatorError):
    """No first years hold under the scenario set (exit code 4, as an infeasible plan)."""

    exit_code = 4


def run_robust(
    plan: Plan,
    u: Uncertainty,
    robust_years: int,
    sampled: int,
    *,
    seed: int,
    time_limit: float,
    workers: int | None,
    scheduler: str | None,
    progress: Callable[[str], None] | None = None,
) -> RobustRun:
    """Solve the scenarios free (in parallel), keep those with a plan, solve the extensive
    form for the robust first years and the central case alone for the central plan's, then
    solve every scenario of the set with each fixed (in parallel).

    Raises
    ------
    NoRobustPlan
        If the central case has no plan, or the extensive form has none.
    """
    from allocator.parallel import run_tasks

    say = progress or (lambda text: None)
    years = tuple(plan.fiscal_years[:robust_years])
    specs = tuple(scenario_set(plan, u, sampled))
    job = ScenarioJob(plan, u, seed, time_limit)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    say(f"robust first years: solving {len(specs)} scenarios free")
    free: list[ScenarioSolve | None] = [None] * len(specs)
    for i, solved in run_tasks(solve_free, specs, shared=job, workers=workers, scheduler=scheduler):
        free[i] = solved
    done = [f for f in free if f is not None]
    seconds["free"] = time.perf_counter() - t0
    keep = [i for i, f in enumerate(done) if has_plan(f.status)]
    if 0 not in keep:
        raise NoRobustPlan(f"the central case ({plan.gdp_case}) has no plan: nothing can hold")
    t0 = time.perf_counter()
    say(f"robust first years: extensive form over {len(keep)} scenarios")
    try:
        robust = solve_first_years(
            plan, u, [specs[i] for i in keep], years, seed=seed, time_limit=time_limit
        )
        central = solve_first_years(plan, u, [specs[0]], years, seed=seed, time_limit=time_limit)
    except RuntimeError as exc:
        raise NoRobustPlan(
            f"no first years hold under the {len(keep)} scenarios ({exc}) — fewer "
            "--robust-years or fewer scenarios"
        ) from None
    seconds["extensive_form"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    say("robust first years: checking every scenario with them fixed")
    fixed_job = ScenarioJob(plan, u, seed, time_limit, robust.first_years, central.first_years)
    fixed: dict[int, tuple[ScenarioSolve, ScenarioSolve]] = {}
    for j, pair in run_tasks(
        solve_fixed, [specs[i] for i in keep], shared=fixed_job, workers=workers,
        scheduler=scheduler,
    ):  # fmt: skip
        fixed[keep[j]] = pair
    seconds["check"] = time.perf_counter() - t0
    return RobustRun(
        years, robust.first_years, central.first_years, specs, tuple(done), fixed,
        robust.expected, seconds,
    )  # fmt: skip


def _mean(values: Sequence[float | None]) -> float | None:
    v = [x for x in values if x is not None]
    return sum(v) / len(v) if v else None


__all__ = [
    "ROBUST_COST_CSV",
    "ROBUST_FIRST_YEARS_CSV",
    "ROBUST_SCENARIOS_CSV",
    "NoRobustPlan",
    "RobustRun",
    "cost_table",
    "first_years_table",
    "read_first_years",
    "run_robust",
    "scenarios_table",
]
