"""Monte Carlo on the allocation model: a draw of GDP, exchange rate and cost growth applied to a
built model, the plan re-solved per draw, and a held schedule evaluated under draws.

**Planning prices and yen paid.** The model's money ``amount[p,y]`` is at *planning prices*:
the prices the plan's figures were estimated at, so a program's range, units, per-year maximum,
ramp and value, and the area, phase and aggregate bounds, describe what is bought. The budget
rows that limit yen actually paid — ``gdp_cap``, ``fiscal_year_cap``, ``fiscal_total_cap`` and
``fiscal_growth`` (:data:`NOMINAL_FAMILIES`) — count each amount at ``f[p,y]`` yen per 億円
(:mod:`allocator.optim.draws`). A draw changes only those rows: the coefficients of the four
families and the right-hand side of ``gdp_cap`` (``⌊κ G_y⌋ − B_y`` with the draw's GDP). With
every factor 1 and the plan's GDP the model is exactly the one ``allocate`` solves (tested).

Everything here changes a model built once per worker process and puts nothing back that a
next draw relies on: each draw sets every coefficient of the four families from the base
terms recorded when the model was built, so the order in which a worker solves draws does not
change any draw's answer (the same seed gives the same results whatever the number of workers).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from allocator.constants import has_plan
from allocator.optim.draws import DRAW_STREAM, DrawInputs, Sampler
from allocator.optim.model import ModelHandles, build_model
from allocator.optim.result import SolveResult
from allocator.optim.solve import (
    expression_value,
    fixed_decisions,
    rhs,
    set_rhs,
    solve_lexicographic,
)
from allocator.plan.schema import Plan
from allocator.plan.uncertainty import Uncertainty

NOMINAL_FAMILIES = ("gdp_cap", "fiscal_year_cap", "fiscal_total_cap", "fiscal_growth")
"""Rows that limit yen paid: their amounts are counted at the draw's cost factors."""


# ---------------------------------------------------------------------------------------------
# applying a draw to a built model


def _row_terms(
    m: ModelHandles, family: str, index: tuple[Any, ...]
) -> list[tuple[float, str, int]]:
    """(coefficient, program, year) of the amounts in row ``family[index]``, as
    :mod:`allocator.optim.families.caps` builds it (``≤`` rows, amounts on the left)."""
    plan = m.plan
    keys = [(p.program_id, p) for p in plan.programs]
    if family == "gdp_cap":
        (y,) = index
        return [
            (1.0, pid, y)
            for pid, p in keys
            if plan.counts_toward_defense(p) and (pid, y) in m.payment
        ]
    if family == "fiscal_year_cap":
        (y,) = index
        return [(1.0, pid, y) for pid, _ in keys if (pid, y) in m.payment]
    if family == "fiscal_total_cap":
        return [(1.0, pid, y) for (pid, y) in m.payment]
    if family == "fiscal_growth":
        (y,) = index
        growth = plan.fiscal.max_growth_ratio or 0.0
        years = plan.fiscal_years
        prev = years[years.index(y) - 1]
        return [(1.0, pid, y) for pid, _ in keys if (pid, y) in m.payment] + [
            (-(1.0 + growth), pid, prev) for pid, _ in keys if (pid, prev) in m.payment
        ]
    raise KeyError(family)


@dataclass
class PricedRows:
    """The rows of :data:`NOMINAL_FAMILIES` of one model, with each variable's base terms, so
    the coefficients can be set for any cost factors: ``coef(v) = Σ c · f[p,y]`` over the
    amounts ``amount[p,y]`` of the row in which ``v`` appears with coefficient ``c``."""

    rows: list[tuple[Any, list[tuple[Any, list[tuple[float, int, int]]]]]] = field(
        default_factory=list
    )
    """(row, [(variable, [(c, program position, year position), ...]), ...])."""

    @classmethod
    def of(cls, m: ModelHandles) -> PricedRows:
        position = {p.program_id: i for i, p in enumerate(m.plan.programs)}
        year_pos = {y: k for k, y in enumerate(m.plan.fiscal_years)}
        out = cls()
        for (family, index), row in m.constraints.items():
            if family not in NOMINAL_FAMILIES:
                continue
            by_var: dict[str, tuple[Any, list[tuple[float, int, int]]]] = {}
            for sign, pid, y in _row_terms(m, family, index):
                for var, c in m.linear_sum([m.payment[pid, y]]).items():
                    entry = by_var.setdefault(var.name, (var, []))
                    entry[1].append((sign * c, position[pid], year_pos[y]))
            out.rows.append((row, list(by_var.values())))
        return out

    def coefficients(self, factor: np.ndarray) -> list[list[float]]:
        """The coefficient of each variable of each row at cost factors ``factor[p, k]``."""
        return [
            [sum(c * float(factor[p, k]) for c, p, k in terms) for _, terms in variables]
            for _, variables in self.rows
        ]

    def apply(self, factor: np.ndarray) -> None:
        for (row, variables), coefs in zip(self.rows, self.coefficients(factor), strict=True):
            for (var, _), coef in zip(variables, coefs, strict=True):
                row.set_coefficient(var, coef)


def gdp_cap_rooms(plan: Plan, gdp: dict[int, int], cap: Fraction | None = None) -> dict[int, int]:
    """``{y: ⌊κ G_{β(y)}⌋ − B_y − O_y}`` (baseline and obligations already owed) with the GDP
    ``gdp`` (the right-hand sides of ``gdp_cap``)."""
    ratio = plan.cap.ratio if cap is None else cap
    out = {}
    for y in plan.fiscal_years:
        exact = ratio * gdp[plan.cap_base_year(y)]
        out[y] = exact.numerator // exact.denominator - plan.committed(y)
    return out


def apply_draw(m: ModelHandles, priced: PricedRows, draw: DrawInputs) -> None:
    """Set ``m``'s ``gdp_cap`` right-hand sides to the draw's GDP and the yen-paid rows to its
    cost factors."""
    for y, room in gdp_cap_rooms(m.plan, draw.gdp).items():
        set_rhs(m, "gdp_cap", (y,), room)
    priced.apply(draw.factor)


def gdp_cap_rhs(m: ModelHandles) -> dict[int, float]:
    """The current right-hand sides of ``gdp_cap`` (for tests and checks)."""
    return {y: rhs(m, "gdp_cap", (y,)) for y in m.plan.fiscal_years}


# ---------------------------------------------------------------------------------------------
# first-year decisions (fixed in a model)


@dataclass(frozen=True)
class FirstYears:
    """Decisions for the first fiscal years of the horizon: 億円 at planning prices per
    (program, year) for programs with amounts, and go/no-go for fixed-profile programs that
    pay in those years."""

    years: tuple[int, ...]
    amounts: tuple[tuple[str, int, int], ...]
    """(program_id, fiscal_year, 億円), every program with a variable in those years (zeros too)."""
    contracts: tuple[tuple[str, bool], ...] = ()
    """(program_id, signed) for fixed payment profiles paying in those years."""

    def amount(self, program_id: str, year: int) -> int:
        return next((a for p, y, a in self.amounts if p == program_id and y == year), 0)


def first_year_variables(
    m: ModelHandles, years: Iterable[int]
) -> tuple[list[tuple[str, int, Any, int]], list[tuple[str, Any]]]:
    """The first-stage variables of ``m`` for ``years``: ([(program, year, variable, 億円 per
    unit)], [(program, go variable)]) — ``alloc`` (1 億円 per unit) or ``units`` (the unit cost),
    and ``go`` of fixed-profile programs paying in those years."""
    wanted = set(years)
    amounts: list[tuple[str, int, Any, int]] = []
    contracts: list[tuple[str, Any]] = []
    for p in m.plan.programs:
        pid = p.program_id
        if p.payment_profile is not None:
            if any(y in wanted for y, _ in p.payment_profile):
                contracts.append((pid, m.go[pid]))
            continue
        for y in sorted(wanted):
            if (pid, y) in m.alloc:
                amounts.append((pid, y, m.alloc[pid, y], 1))
            elif (pid, y) in m.units:
                amounts.append((pid, y, m.units[pid, y], p.unit_cost_oku_yen or 1))
    return amounts, contracts


def first_years_of(m: ModelHandles, result: SolveResult, years: Iterable[int]) -> FirstYears:
    """The first-year decisions of a solved model's schedule: what each program decided in the
    year — for a contract program the amount contracted (``contract_oku_yen``), not the money
    it paid then (``amount_oku_yen``), since the decision variable is the contract."""
    years = tuple(sorted(years))
    decided = "contract_oku_yen" if "contract_oku_yen" in result.schedule else "amount_oku_yen"
    sched = {
        (str(r.program_id), int(r.fiscal_year)): int(getattr(r, decided))
        for r in result.schedule.itertuples(index=False)
    }
    amounts, contracts = first_year_variables(m, years)
    return FirstYears(
        years=years,
        amounts=tuple((pid, y, sched.get((pid, y), 0)) for pid, y, _, _ in amounts),
        contracts=tuple((pid, bool(result.funded.get(pid, False))) for pid, _ in contracts),
    )


def fixing(m: ModelHandles, first: FirstYears) -> list[tuple[Any, float]]:
    """(variable, value) pairs that fix ``first`` in ``m`` (for :func:`fixed_decisions`)."""
    amounts, contracts = first_year_variables(m, first.years)
    signed = dict(first.contracts)
    out: list[tuple[Any, float]] = [
        (var, first.amount(pid, y) / per_unit) for pid, y, var, per_unit in amounts
    ]
    out += [(var, 1.0 if signed.get(pid, False) else 0.0) for pid, var in contracts]
    return out


# ---------------------------------------------------------------------------------------------
# one draw, re-solved


@dataclass(frozen=True)
class DrawJob:
    """What every draw of a Monte Carlo run shares (sent to each worker once)."""

    plan: Plan
    uncertainty: Uncertainty
    seed: int
    time_limit: float
    first_years: FirstYears | None = None
    """Decisions held fixed in every draw (the robust first years), or None."""
    stream: int = DRAW_STREAM


@dataclass
class _Worker:
    m: ModelHandles
    priced: PricedRows
    sampler: Sampler
    build_seconds: float


_WORKERS: dict[tuple[str, str], _Worker] = {}
"""The model this process built for a run's plan (keyed by the plan's and the uncertainty
file's hashes): built once, re-solved for every draw the process is given."""


def relax_amounts(m: ModelHandles, keep: Iterable[tuple[str, int]] = ()) -> None:
    """Make the ``alloc[p,y]`` amounts continuous (except the (program, year) pairs of
    ``keep``) and the rank values fractional, for re-solves under draws.

    Why: with cost factors the yen-paid rows have fractional coefficients, and integer 億円
    amounts then turn each cap row into a number-theoretic knapsack that HiGHS closes in 15–47
    s a draw instead of about 1 s (measured on the shipped plan); whole 億円 change a value by
    less than one 億円 per program and year, far below the spread of any draw. Go/no-go
    decisions, units and precedence stay integral. Rank values are then held with the relative
    tolerance of fractional values (``docs/model.md``).
    """
    kept = set(keep)
    # a kept amount stays whole even where another handle names the same variable (a program
    # paid by one vehicle: its vehicle_pay IS its alloc; relaxed through it, a robust first
    # year came out 26,334.93 and, rounded, left no plan in a scenario)
    whole = {id(var) for key, var in m.alloc.items() if key in kept}
    for key, var in m.alloc.items():
        if key not in kept:
            var.cat = "Continuous"
    # the same for a contract's payments and who pays them: their whole-億円 rounding moves a
    # payment by less than one 億円 (with it kept, a draw of the shipped plan took 7-40 s)
    for var in m.rounding:
        var.cat = "Continuous"
    for var in m.vehicle_pay.values():
        if hasattr(var, "cat") and id(var) not in whole:
            var.cat = "Continuous"
    for rank in m.rank_value_integral:
        m.rank_value_integral[rank] = False


def worker_model(plan: Plan, u: Uncertainty) -> _Worker:
    """This process's model of ``plan`` for draws (built and relaxed on first use)."""
    key = (plan.input_hash, u.input_hash)
    if key not in _WORKERS:
        _WORKERS.clear()
        t0 = time.perf_counter()
        m = build_model(plan)
        relax_amounts(m)
        _WORKERS[key] = _Worker(m, PricedRows.of(m), Sampler(plan, u), time.perf_counter() - t0)
    return _WORKERS[key]


def solve_inputs(
    w: _Worker, draw: DrawInputs, time_limit: float, first_years: FirstYears | None = None
) -> SolveResult:
    """The strict-priority solve of the plan under ``draw`` (with ``first_years`` held)."""
    apply_draw(w.m, w.priced, draw)
    gap, tolerance = w.m.plan.solver.gap, w.m.plan.solver.tolerance
    if first_years is None:
        return solve_lexicographic(w.m, time_limit=time_limit, gap=gap, tolerance=tolerance)
    with fixed_decisions(w.m, fixing(w.m, first_years)):
        return solve_lexicographic(w.m, time_limit=time_limit, gap=gap, tolerance=tolerance)


Row = dict[str, Any]


def result_columns(plan: Plan) -> list[str]:
    """Columns of ``draws.csv`` of a Monte Carlo run (see :func:`result_row`)."""
    cols = ["draw", "status", "solve_seconds"]
    cols += [f"value_rank{r.rank}" for r in sorted(plan.ranks, key=lambda r: r.rank)]
    cols += [f"funded_{p.program_id}" for p in plan.programs]
    cols += [f"real_oku_yen_{p.program_id}" for p in plan.programs]
    cols += [f"defense_total_oku_yen_{y}" for y in plan.fiscal_years]
    cols += [f"ratio_{y}" for y in plan.fiscal_years]
    return cols


def input_columns(plan: Plan) -> list[str]:
    """Columns of ``draw_inputs.csv``: the draw's GDP, exchange rate and overruns."""
    cols = ["draw"]
    cols += [f"gdp_oku_yen_{y}" for y in plan.fiscal_years]
    cols += [f"jpy_per_usd_{y}" for y in plan.fiscal_years]
    cols += [f"overrun_{p.program_id}" for p in plan.programs]
    return cols


def input_row(plan: Plan, index: int, draw: DrawInputs) -> Row:
    row: Row = {"draw": index}
    row.update({f"gdp_oku_yen_{y}": draw.gdp[y] for y in plan.fiscal_years})
    row.update({f"jpy_per_usd_{y}": round(draw.fx[y], 4) for y in plan.fiscal_years})
    row.update({f"overrun_{pid}": round(g, 6) for pid, g in draw.overrun.items()})
    return row


def yen_by_year(
    plan: Plan, schedule: dict[tuple[str, int], float], factor: np.ndarray
) -> dict[int, float]:
    """New defence money paid per year (yen at the draw's prices), 億円."""
    pos = {p.program_id: i for i, p in enumerate(plan.programs)}
    year_pos = {y: k for k, y in enumerate(plan.fiscal_years)}
    counts = {p.program_id: plan.counts_toward_defense(p) for p in plan.programs}
    out = dict.fromkeys(plan.fiscal_years, 0.0)
    for (pid, y), amount in schedule.items():
        if counts[pid] and y in year_pos:
            out[y] += amount * float(factor[pos[pid], year_pos[y]])
    return out


def solved_amounts(m: ModelHandles, result: SolveResult) -> dict[tuple[str, int], float]:
    """億円 at planning prices per (program, year) as solved, not rounded (a draw's amounts are
    continuous: rounding each would move the yen paid past the cap by up to half a 億円 per
    program and year). Falls back to the rounded schedule when the last stage did not solve."""
    last = result.stages[-1] if result.stages else None
    if last is None or last.objective is None:
        return {
            (str(r.program_id), int(r.fiscal_year)): float(r.amount_oku_yen)
            for r in result.schedule.itertuples(index=False)
        }
    out = {}
    for key, expr in m.amount.items():
        value = expression_value(expr)
        if abs(value) > 1e-9:
            out[key] = value
    return out


def result_row(
    plan: Plan,
    index: int,
    draw: DrawInputs,
    result: SolveResult,
    seconds: float,
    amounts: dict[tuple[str, int], float] | None = None,
) -> Row:
    """One row of ``draws.csv``: status; value per rank; per program funded (0/1) and 億円 at
    planning prices (``amounts``: as solved; default: the rounded schedule); per year total
    defence spending in yen (baseline + new at the draw's prices) and its ratio to the draw's
    GDP. Empty cells when the draw has no plan."""
    row: Row = dict.fromkeys(result_columns(plan))
    row.update({"draw": index, "status": result.status, "solve_seconds": round(seconds, 4)})
    if not has_plan(result.status):
        return row
    for r, v in result.rank_values().items():
        row[f"value_rank{r}"] = round(v, 6)
    sched: dict[tuple[str, int], float] = (
        amounts
        if amounts is not None
        else {
            (str(r.program_id), int(r.fiscal_year)): float(r.amount_oku_yen)
            for r in result.schedule.itertuples(index=False)
        }
    )
    totals = dict.fromkeys((p.program_id for p in plan.programs), 0.0)
    for (pid, _), amount in sched.items():
        totals[pid] += amount
    for p in plan.programs:
        row[f"funded_{p.program_id}"] = int(bool(result.funded.get(p.program_id, False)))
        row[f"real_oku_yen_{p.program_id}"] = round(totals[p.program_id], 2)
    paid = yen_by_year(plan, sched, draw.factor)
    for y in plan.fiscal_years:
        total = plan.committed(y) + paid[y]
        row[f"defense_total_oku_yen_{y}"] = round(total, 2)
        row[f"ratio_{y}"] = round(total / draw.gdp[y], 8)
    return row


def solve_draw(job: DrawJob, index: int) -> tuple[Row, Row]:
    """Draw ``index`` of ``job``: apply it to this process's model, re-solve; return the row of
    ``draws.csv`` and the row of ``draw_inputs.csv``."""
    w = worker_model(job.plan, job.uncertainty)
    draw = w.sampler.draw(index, job.seed, job.stream)
    t0 = time.perf_counter()
    result = solve_inputs(w, draw, job.time_limit, job.first_years)
    seconds = time.perf_counter() - t0
    amounts = solved_amounts(w.m, result) if has_plan(result.status) else None
    row = result_row(job.plan, index, draw, result, seconds, amounts)
    return row, input_row(job.plan, index, draw)


# ---------------------------------------------------------------------------------------------
# a held schedule under draws (risk)


@dataclass(frozen=True)
class RiskJob:
    """A solved schedule held fixed, evaluated under draws (sent to each worker once)."""

    plan: Plan
    uncertainty: Uncertainty
    seed: int
    allocations: tuple[tuple[str, int, int], ...]
    """(program_id, fiscal_year, 億円) of the held plan."""
    stream: int = DRAW_STREAM


def risk_columns(plan: Plan, funded: Iterable[str]) -> list[str]:
    """Columns of ``draws.csv`` of a risk run (see :func:`risk_chunk`)."""
    cols = ["draw"]
    cols += [f"ratio_{y}" for y in plan.fiscal_years]
    cols += [f"budget_ratio_{y}" for y in plan.fiscal_years]
    cols += [f"excess_oku_yen_{y}" for y in plan.fiscal_years]
    cols += [f"real_oku_yen_{pid}" for pid in funded]
    return cols


def held_matrix(plan: Plan, allocations: Iterable[tuple[str, int, int]]) -> np.ndarray:
    """``x[p, k]``: the held schedule's 億円 per program (plan order) and horizon year."""
    pos = {p.program_id: i for i, p in enumerate(plan.programs)}
    year_pos = {y: k for k, y in enumerate(plan.fiscal_years)}
    x = np.zeros((len(plan.programs), len(plan.fiscal_years)))
    for pid, y, amount in allocations:
        if y in year_pos:
            x[pos[pid], year_pos[y]] += amount
    return x


def risk_row(plan: Plan, index: int, draw: DrawInputs, x: np.ndarray, funded: list[int]) -> Row:
    """One draw of a held schedule ``x``.

    ``ratio_y``: spending to deliver the plan as signed — baseline + Σ_{p counts} f[p,y] x[p,y]
    — over the draw's GDP; ``budget_ratio_y``: the yen budget held (baseline + Σ x) over the
    draw's GDP; ``excess_oku_yen_y``: how far the first exceeds the draw's cap ⌊κ G⌋ (0 if it
    does not); ``real_oku_yen_p``: with the yen budget held, what a funded program buys at
    planning prices, Σ_y x[p,y] / f[p,y].
    """
    counts = np.array([plan.counts_toward_defense(p) for p in plan.programs], dtype=bool)
    baseline = np.array([plan.committed(y) for y in plan.fiscal_years], dtype=float)
    gdp = np.array([draw.gdp[y] for y in plan.fiscal_years], dtype=float)
    delivered = baseline + (draw.factor[counts] * x[counts]).sum(axis=0)
    budget = baseline + x[counts].sum(axis=0)
    real = (x / draw.factor).sum(axis=1)
    row: Row = {"draw": index}
    ratio = plan.cap.ratio
    for k, y in enumerate(plan.fiscal_years):
        cap_exact = ratio * draw.gdp[plan.cap_base_year(y)]
        cap = cap_exact.numerator // cap_exact.denominator
        row[f"ratio_{y}"] = round(float(delivered[k] / gdp[k]), 8)
        row[f"budget_ratio_{y}"] = round(float(budget[k] / gdp[k]), 8)
        row[f"excess_oku_yen_{y}"] = round(max(0.0, float(delivered[k]) - cap), 2)
    for i in funded:
        row[f"real_oku_yen_{plan.programs[i].program_id}"] = round(float(real[i]), 2)
    return row


def risk_chunk(job: RiskJob, span: tuple[int, int]) -> list[tuple[Row, Row]]:
    """Draws ``span[0] .. span[1]-1`` of a held schedule: (row of draws.csv, row of
    draw_inputs.csv) each. Arithmetic only: no solve."""
    sampler = Sampler(job.plan, job.uncertainty)
    x = held_matrix(job.plan, job.allocations)
    funded = [i for i in range(len(job.plan.programs)) if x[i].sum() > 0]
    out = []
    for index in range(*span):
        draw = sampler.draw(index, job.seed, job.stream)
        out.append((risk_row(job.plan, index, draw, x, funded), input_row(job.plan, index, draw)))
    return out


def chunks(first: int, last: int, size: int) -> list[tuple[int, int]]:
    """``[(first, first+size), …, (…, last)]``: draws first..last-1 in spans of ``size``."""
    return [(a, min(a + size, last)) for a in range(first, last, max(1, size))]


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


__all__ = [
    "NOMINAL_FAMILIES",
    "DrawJob",
    "FirstYears",
    "PricedRows",
    "RiskJob",
    "apply_draw",
    "chunks",
    "first_year_variables",
    "first_years_of",
    "fixing",
    "gdp_cap_rooms",
    "held_matrix",
    "input_columns",
    "input_row",
    "relax_amounts",
    "result_columns",
    "result_row",
    "risk_chunk",
    "risk_columns",
    "risk_row",
    "solve_draw",
    "solve_inputs",
    "solved_amounts",
    "worker_model",
]
