"""First years that hold: one set of decisions for the first fiscal years of the horizon that
is feasible, and keeps the priority order, under every scenario of a set, with the later years
free to adapt per scenario. A two-stage stochastic program solved in extensive form.

**The model.** One copy of the allocation model per scenario s (its GDP in the ``gdp_cap``
right-hand sides, its cost factors in the yen-paid rows, as a Monte Carlo draw:
:func:`allocator.optim.montecarlo.apply_draw`), all in one problem. The first-stage variables
— ``alloc[p,y]`` and ``units[p,y]`` for the first ``R`` years, and ``go[p]`` of fixed-profile
contracts paying in them — are *one* variable shared by every copy (not copies tied by
equations: the copies are built on a problem that hands the same variable to each), integer
whole 億円. Everything else is per scenario (later amounts continuous, as in a draw).

**The objective** is the strict priority order on the *expected* value of each rank over the
scenarios (equal weights, so the sum): stage k maximises ``Σ_s V_k^s`` holding ``Σ_s V_j^s``
of every higher rank j; then earliness summed over scenarios. Every scenario's rules are hard
constraints, so the first years are feasible in each scenario by construction; the priority
order is kept in the sense that no higher rank's expected value is ever given up for a lower
rank. Why expected rather than worst-case: the worst case over a sample of draws is set by the
single worst draw, so it grows more pessimistic with every scenario added and changes with the
sample; feasibility in the bad scenarios (the low-GDP case is in the set) is already guaranteed
by the constraints, and the expectation then uses the remaining freedom for what the ministry
gets on average.

**Scenarios without any plan.** A sampled draw may have no schedule at all, whatever the first
years (its floors cost more yen than its cap allows): no first years can hold under it, so
such draws are solved free first (:func:`solve_free`) and left out of the set, and reported.

**The check and the cost.** :func:`solve_fixed` solves a scenario with the strict-priority
solve twice more: with the robust first years fixed, and with the first years of the plan made
for the central case only. Every scenario of the set must be feasible with the robust first
years (tested); the difference with the central-case plan's values in the central scenario is
what robustness costs each rank; the free solves (perfect foresight) bound both.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from allocator.constants import has_plan
from allocator.optim.draws import SCENARIO_STREAM, DrawInputs, Sampler
from allocator.optim.model import BUILD_ORDER, ModelHandles
from allocator.optim.montecarlo import (
    FirstYears,
    PricedRows,
    apply_draw,
    first_years_of,
    relax_amounts,
    solve_inputs,
    worker_model,
)
from allocator.optim.result import SolveResult
from allocator.optim.solve import solve_lexicographic
from allocator.plan.schema import Plan
from allocator.plan.uncertainty import Uncertainty


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario, as data a worker can rebuild: a named GDP case, or a sampled draw."""

    kind: str
    """``case`` or ``draw``."""
    name: str
    """The GDP case, or the draw number on the scenario stream."""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"

    def inputs(self, sampler: Sampler, seed: int) -> DrawInputs:
        if self.kind == "case":
            return sampler.case(self.name)
        return sampler.draw(int(self.name), seed, SCENARIO_STREAM)


def scenario_set(plan: Plan, u: Uncertainty, sampled: int) -> list[ScenarioSpec]:
    """The plan's own GDP case first (the central scenario), the other named cases, then
    ``sampled`` draws of the scenario stream."""
    cases = [plan.gdp_case, *(c for c in u.gdp.cases if c != plan.gdp_case)]
    return [ScenarioSpec("case", c) for c in cases] + [
        ScenarioSpec("draw", str(i)) for i in range(sampled)
    ]


# ---------------------------------------------------------------------------------------------
# the extensive form


_FIRST_STAGE = re.compile(r"^(alloc|units)\[(.+),(\d{4})\]$")


class _ScenarioProblem:
    """The problem a scenario's copy is built on: names get the scenario's prefix, except the
    first-stage variables, which every copy shares (the first copy creates them)."""

    def __init__(
        self, prob: Any, prefix: str, shared: dict[str, Any], years: set[int], contracts: set[str]
    ) -> None:
        self.prob = prob
        self.prefix = prefix
        self.shared = shared
        self.years = years
        self.contracts = contracts

    def _first_stage(self, name: str) -> bool:
        m = _FIRST_STAGE.match(name)
        if m:
            return int(m.group(3)) in self.years
        return name.startswith("go[") and name[3:-1] in self.contracts

    def add_variable(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._first_stage(name):
            if name not in self.shared:
                self.shared[name] = self.prob.add_variable(name, *args, **kwargs)
            return self.shared[name]
        return self.prob.add_variable(self.prefix + name, *args, **kwargs)

    def addConstraint(self, constraint: Any, name: str) -> Any:
        return self.prob.addConstraint(constraint, self.prefix + name)


def first_stage_keys(plan: Plan, years: Iterable[int]) -> tuple[set[tuple[str, int]], set[str]]:
    """(program, year) pairs with first-stage amounts, and fixed-profile contracts paying in
    the first years."""
    wanted = set(years)
    amounts = {
        (p.program_id, y)
        for p in plan.programs
        if p.payment_profile is None
        for y in p.window
        if y in wanted
    }
    contracts = {
        p.program_id
        for p in plan.programs
        if p.payment_profile is not None and any(y in wanted for y, _ in p.payment_profile)
    }
    return amounts, contracts


@dataclass(frozen=True)
class ExtensiveForm:
    master: ModelHandles
    """The problem of all copies; its handles are the first scenario's, its rank values and
    earliness the sums over scenarios."""
    copies: tuple[ModelHandles, ...]


def build_extensive_form(
    plan: Plan, u: Uncertainty, scenarios: Sequence[ScenarioSpec], years: Sequence[int], seed: int
) -> ExtensiveForm:
    """One problem with a copy of the model per scenario, sharing the first-stage variables."""
    master = ModelHandles.new(plan)
    sampler = Sampler(plan, u)
    amounts, contracts = first_stage_keys(plan, years)
    shared: dict[str, Any] = {}
    copies = []
    for i, spec in enumerate(scenarios):
        proxy = _ScenarioProblem(master.prob, f"s{i}:", shared, set(years), contracts)
        m = ModelHandles(plan=plan, prob=proxy)  # type: ignore[arg-type]
        for define in BUILD_ORDER:
            define(m)
        relax_amounts(m, keep=amounts)
        apply_draw(m, PricedRows.of(m), spec.inputs(sampler, seed))
        copies.append(m)
    first = copies[0]
    master.go, master.alloc, master.units, master.amount = (
        first.go,
        first.alloc,
        first.units,
        first.amount,
    )
    master.started, master.finished = first.started, first.finished
    for r in plan.ranks:
        master.rank_value[r.rank] = master.linear_sum(c.rank_value[r.rank] for c in copies)
        master.rank_value_integral[r.rank] = False
        master.add("priority_hold", (r.rank,), master.rank_value[r.rank] >= 0)
    master.earliness = master.linear_sum(c.earliness for c in copies)
    return ExtensiveForm(master, tuple(copies))


@dataclass(frozen=True)
class FirstYearsSolution:
    first_years: FirstYears
    result: SolveResult
    """The strict-priority solve of the extensive form (schedule: the first scenario's)."""
    scenarios: int
    seconds: float
    expected: dict[int, float]
    """Expected value per rank over the scenarios (the stage objectives / scenarios)."""


def solve_first_years(
    plan: Plan,
    u: Uncertainty,
    scenarios: Sequence[ScenarioSpec],
    years: Sequence[int],
    *,
    seed: int,
    time_limit: float,
) -> FirstYearsSolution:
    """Solve the extensive form; return the shared first-year decisions.

    Raises
    ------
    RuntimeError
        If no plan exists for the set (some scenario has no schedule whatever the first
        years: its floors cannot be met under its cap) — the message names the status.
    """
    t0 = time.perf_counter()
    ef = build_extensive_form(plan, u, scenarios, years, seed)
    result = solve_lexicographic(
        ef.master, time_limit=time_limit, gap=plan.solver.gap, tolerance=plan.solver.tolerance
    )
    if not has_plan(result.status):
        raise RuntimeError(result.status)
    first = first_years_of(ef.master, result, years)
    n = len(scenarios)
    expected = {r: v / n for r, v in result.rank_values().items()}
    return FirstYearsSolution(first, result, n, time.perf_counter() - t0, expected)


# ---------------------------------------------------------------------------------------------
# checking a set of first years scenario by scenario


@dataclass(frozen=True)
class ScenarioJob:
    plan: Plan
    uncertainty: Uncertainty
    seed: int
    time_limit: float
    robust: FirstYears | None = None
    central: FirstYears | None = None


@dataclass(frozen=True)
class ScenarioSolve:
    """One strict-priority solve of a scenario: status and value per rank."""

    status: str
    values: dict[int, float]

    @classmethod
    def of(cls, result: SolveResult) -> ScenarioSolve:
        return cls(result.status, result.rank_values())


def solve_free(job: ScenarioJob, spec: ScenarioSpec) -> ScenarioSolve:
    """``spec`` solved with nothing fixed (perfect foresight), on this process's model."""
    w = worker_model(job.plan, job.uncertainty)
    return ScenarioSolve.of(solve_inputs(w, spec.inputs(w.sampler, job.seed), job.time_limit))


def solve_fixed(job: ScenarioJob, spec: ScenarioSpec) -> tuple[ScenarioSolve, ScenarioSolve]:
    """``spec`` solved with the robust first years fixed, then with the central-case plan's."""
    assert job.robust is not None and job.central is not None
    w = worker_model(job.plan, job.uncertainty)
    draw = spec.inputs(w.sampler, job.seed)
    robust = solve_inputs(w, draw, job.time_limit, job.robust)
    central = solve_inputs(w, draw, job.time_limit, job.central)
    return ScenarioSolve.of(robust), ScenarioSolve.of(central)


__all__ = [
    "ExtensiveForm",
    "FirstYearsSolution",
    "ScenarioJob",
    "ScenarioSolve",
    "ScenarioSpec",
    "build_extensive_form",
    "first_stage_keys",
    "scenario_set",
    "solve_first_years",
    "solve_fixed",
    "solve_free",
]
