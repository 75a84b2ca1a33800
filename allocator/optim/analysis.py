"""Decision analysis on the allocation model: cap sweeps, the marginal value of cap, and the
smallest cap that funds chosen priority ranks fully.

Everything here changes a model built once by :func:`allocator.model.build_model` in place
between solves — the right-hand sides of the ``gdp_cap`` and ``priority_hold`` rows and the
bounds of the integer decisions — and puts it back afterwards, so many solves pay for one
model build. Nothing here prints, exits or imports typer. Money is integer 億円
(1 兆円 = 10,000 億円); caps are exact fractions of GDP (``Fraction(1, 50)`` = 2 %).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import pandas as pd

from allocator.constants import has_plan
from allocator.formatting import format_cap
from allocator.optim.diagnose import precheck
from allocator.optim.model import ModelHandles, build_model, define_defense_totals
from allocator.optim.result import Shortfall, SolveResult
from allocator.optim.solve import (
    LpChain,
    expression_value,
    find_feasible,
    fixed_decisions,
    hold_rank,
    minimise,
    release_holds,
    release_rank_holds,
    rhs,
    set_rhs,
    shadow_price,
    solve_lexicographic,
    solve_lp,
    solve_stage,
    values,
)
from allocator.plan.reached import LimitReached, limits_reached
from allocator.plan.schema import Plan

NO_CAP = Fraction(99, 100)
"""The cap that stands for "no GDP cap at all" (99 % of GDP)."""

Progress = Callable[[int, int, Fraction], None]
"""``progress(done, total, cap)``: called after each cap of a sweep is solved."""


# ---------------------------------------------------------------------------------------------
# changing the cap of a built model


def cap_rooms(plan: Plan, cap: Fraction) -> dict[int, int]:
    """Right-hand side of every ``gdp_cap[y]`` row at ``cap``, exactly as
    :func:`allocator.model.define_gdp_cap` computes it.

    Parameters
    ----------
    plan
        The plan (its GDP, baseline and cap base year are used; its own cap ratio is not).
    cap
        GDP-ratio cap as an exact fraction (``Fraction(1, 50)`` = 2 %).

    Returns
    -------
    dict[int, int]
        ``{fiscal_year: ⌊cap × GDP(base year)⌋ − baseline(year)}`` in 億円 (may be negative:
        the baseline alone breaks the cap).
    """
    capped = plan.with_cap(cap)
    return {y: capped.cap_room(y) for y in capped.fiscal_years}


def set_cap(m: ModelHandles, cap: Fraction) -> None:
    """Move the GDP-ratio cap of a built model to ``cap`` (changes the ``gdp_cap`` right-hand
    sides in place and ``m.plan``'s cap, so the handles stay consistent). As in
    :func:`allocator.optim.families.caps.define_gdp_cap`, a year whose baseline alone breaks the
    cap gets no new defence money when floors give way."""
    m.plan = m.plan.with_cap(cap)
    for y in m.plan.fiscal_years:
        set_rhs(m, "gdp_cap", (y,), m.plan.new_defense_room(y))


# ---------------------------------------------------------------------------------------------
# 1. sweep


@dataclass(frozen=True)
class SweepPoint:
    """The strict-priority solution at one cap.

    Amounts are totals over the horizon in 億円; ``None`` when there is no plan.
    """

    cap: Fraction
    """GDP-ratio cap (``Fraction(1, 50)`` = 2 %)."""
    status: str
    """``optimal``, ``feasible`` (a limit stopped some stage), ``infeasible`` or
    ``no_solution`` (a limit before any plan), as :class:`~allocator.solve.SolveResult`."""
    rank_values: dict[int, float]
    """Value reached per priority rank (億円 funded, or the explicit values); empty if no plan."""
    defense_alloc_oku_yen: int | None
    """New money counting toward the defence cap, summed over the horizon (億円)."""
    other_alloc_oku_yen: int | None
    """New money not counting toward the cap (economic security), summed (億円)."""
    programs_funded: int | None
    solve_seconds: float
    """Wall time of this cap's solve (all priority stages), seconds."""
    shortfalls: tuple[Shortfall, ...] = ()
    """Floors that fall short at this cap (floors give way), in give-way order."""
    limits: tuple[LimitReached, ...] = ()
    """The caps and ceilings the schedule reaches at this cap (which rule binds)."""

    @property
    def shortfall_oku_yen(self) -> int:
        return sum(s.shortfall for s in self.shortfalls)

    @property
    def has_plan(self) -> bool:
        return has_plan(self.status)

    @property
    def total_alloc_oku_yen(self) -> int | None:
        if self.defense_alloc_oku_yen is None or self.other_alloc_oku_yen is None:
            return None
        return self.defense_alloc_oku_yen + self.other_alloc_oku_yen


@dataclass(frozen=True)
class SweepResult:
    """A solved sweep: one :class:`SweepPoint` per cap, in the order asked."""

    plan: Plan
    """The plan swept (with its own cap; each point's cap is in the point)."""
    points: tuple[SweepPoint, ...]
    ranks: tuple[int, ...]
    build_seconds: float
    """Seconds spent building models (once for :func:`sweep`, per point for
    :func:`sweep_rebuild`)."""
    seconds: float
    """Wall time of the whole sweep, seconds."""
    reused_model: bool
    workers: int = 1
    """Processes that solved the caps (each built the model once)."""


def _summarise(plan: Plan, cap: Fraction, result: SolveResult, seconds: float) -> SweepPoint:
    if not result.has_plan:
        return SweepPoint(cap, result.status, {}, None, None, None, seconds)
    by_id = {p.program_id: p for p in plan.programs}
    defense = other = 0
    for row in result.schedule.itertuples(index=False):
        amount = int(row.amount_oku_yen)
        if plan.counts_toward_defense(by_id[str(row.program_id)]):
            defense += amount
        else:
            other += amount
    amounts = {
        (str(r.program_id), int(r.fiscal_year)): int(r.amount_oku_yen)
        for r in result.schedule.itertuples(index=False)
    }
    return SweepPoint(
        cap=cap,
        status=result.status,
        rank_values=dict(result.rank_values()),
        defense_alloc_oku_yen=defense,
        other_alloc_oku_yen=other,
        programs_funded=sum(1 for funded in result.funded.values() if funded),
        solve_seconds=seconds,
        shortfalls=result.shortfalls,
        limits=tuple(limits_reached(plan, amounts)),
    )


def _solve_point(
    m: ModelHandles, plan_at_cap: Plan, time_limit: float, build_seconds: float
) -> tuple[SolveResult | None, float]:
    """Solve one point; ``None`` when the cheap pre-checks already prove it infeasible."""
    t0 = time.perf_counter()
    if precheck(plan_at_cap):
        return None, time.perf_counter() - t0
    result = solve_lexicographic(
        m,
        time_limit=time_limit,
        gap=plan_at_cap.solver.gap,
        tolerance=plan_at_cap.solver.tolerance,
        build_seconds=build_seconds,
    )
    return result, time.perf_counter() - t0


def _infeasible_point(cap: Fraction, seconds: float) -> SweepPoint:
    return SweepPoint(cap, "infeasible", {}, None, None, None, seconds)


@dataclass(frozen=True)
class SweepJob:
    """What every point of a sweep shares: sent to each worker once."""

    plan: Plan
    time_limit: float


_WORKER_MODELS: dict[str, tuple[ModelHandles, float]] = {}
"""The model this process built for a sweep's plan (keyed by the plan's input hash) and the
seconds its build took: a worker builds once and re-solves it for every cap it is given."""


def solve_sweep_point(job: SweepJob, cap: Fraction) -> tuple[SweepPoint, float]:
    """One cap of a sweep, on this process's model of ``job.plan`` (built on first use; the
    ``gdp_cap`` right-hand sides moved to ``cap``). Returns the point and the seconds spent
    building the model for it (0 when it was already built)."""
    key = job.plan.input_hash
    built = 0.0
    if key not in _WORKER_MODELS:
        _WORKER_MODELS.clear()
        t0 = time.perf_counter()
        _WORKER_MODELS[key] = (build_model(job.plan), time.perf_counter() - t0)
        built = _WORKER_MODELS[key][1]
    m, build = _WORKER_MODELS[key]
    set_cap(m, cap)
    result, seconds = _solve_point(m, m.plan, job.time_limit, build)
    if result is None:
        return _infeasible_point(cap, seconds), built
    return _summarise(m.plan, cap, result, seconds), built


def sweep(
    plan: Plan,
    caps: list[Fraction],
    progress: Progress | None = None,
    *,
    time_limit: float | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> SweepResult:
    """Solve ``plan`` under strict priority at every cap of ``caps``.

    Each worker process builds the model once; for each cap it is given, the right-hand side
    of every ``gdp_cap[y]`` row is set to ``⌊cap × GDP(base year)⌋ − baseline(y)`` 億円 (as
    :func:`allocator.optim.families.caps.define_gdp_cap` computes it) and the model is solved
    again (:func:`allocator.optim.solve.solve_lexicographic` releases the priority holds
    itself). A cap at which no plan exists is kept as a point with status ``infeasible``.

    Parameters
    ----------
    plan
        A loaded plan; its own cap ratio is ignored.
    caps
        GDP-ratio caps as exact fractions (``Fraction(3, 200)`` = 1.5 %); the result keeps
        their order.
    progress
        Called as ``progress(done, total, cap)`` as each cap is solved (in the order they
        finish).
    time_limit
        Seconds for each cap's whole solve (all priority stages); default: the plan's
        ``[solver] time_limit_seconds``.
    workers
        Worker processes (default 1: this process, one model for every cap; ``None``: every
        core of this machine). More than one runs the caps in parallel on a local Dask cluster
        (:mod:`allocator.parallel`).
    scheduler
        Address of an existing Dask scheduler to run the caps on instead.

    Returns
    -------
    SweepResult
        One point per cap: status, value per rank, 億円 allocated, programs funded, seconds.
    """
    from allocator.parallel import check_workers, run_tasks

    start = time.perf_counter()
    limit = plan.solver.time_limit_seconds if time_limit is None else time_limit
    n_workers = check_workers(workers)
    points: list[SweepPoint | None] = [None] * len(caps)
    build = 0.0
    job = SweepJob(plan, limit)
    for done, (i, (point, built)) in enumerate(
        run_tasks(solve_sweep_point, caps, shared=job, workers=n_workers, scheduler=scheduler),
        start=1,
    ):
        points[i] = point
        build += built
        if progress is not None:
            progress(done, len(caps), caps[i])
    _WORKER_MODELS.clear()  # the serial path built here: do not keep the model alive
    return SweepResult(
        plan=plan,
        points=tuple(p for p in points if p is not None),
        ranks=tuple(sorted(r.rank for r in plan.ranks)),
        build_seconds=build,
        seconds=time.perf_counter() - start,
        reused_model=True,
        workers=1 if scheduler is None and (n_workers == 1 or len(caps) <= 1) else n_workers,
    )


def sweep_rebuild(
    plan: Plan,
    caps: list[Fraction],
    progress: Progress | None = None,
    *,
    time_limit: float | None = None,
) -> SweepResult:
    """The same sweep as :func:`sweep`, but building a new model for every cap.

    Only for measuring what reusing one model saves (benchmark and tests); same parameters
    and result as :func:`sweep`.
    """
    start = time.perf_counter()
    limit = plan.solver.time_limit_seconds if time_limit is None else time_limit
    points: list[SweepPoint] = []
    build_total = 0.0
    ranks: tuple[int, ...] = tuple(sorted(r.rank for r in plan.ranks))
    for i, cap in enumerate(caps):
        at_cap = plan.with_cap(cap)
        t0 = time.perf_counter()
        m = build_model(at_cap)
        build = time.perf_counter() - t0
        build_total += build
        result, seconds = _solve_point(m, at_cap, limit, build)
        points.append(
            _infeasible_point(cap, seconds)
            if result is None
            else _summarise(at_cap, cap, result, seconds)
        )
        if progress is not None:
            progress(i + 1, len(caps), cap)
    return SweepResult(
        plan=plan,
        points=tuple(points),
        ranks=ranks,
        build_seconds=build_total,
        seconds=time.perf_counter() - start,
        reused_model=False,
    )


# ---------------------------------------------------------------------------------------------
# 2. marginal value of cap


def _decision_values(m: ModelHandles, result: SolveResult) -> list[tuple[Any, float]]:
    """The integer decisions of a solved model at the solution in ``result``.

    ``go`` and ``units`` are read from the result; ``started[q,y]`` is 1 when q has paid
    something by year y and ``finished[q,y]`` is 1 when q pays nothing after y — the most
    permissive values consistent with the schedule (the solver's own are never larger), so the
    schedule stays feasible with them fixed.
    """
    amounts: dict[tuple[str, int], int] = {}
    units: dict[tuple[str, int], int] = {}
    for row in result.schedule.itertuples(index=False):
        key = (str(row.program_id), int(row.fiscal_year))
        amounts[key] = int(row.amount_oku_yen)
        if not pd.isna(row.units):
            units[key] = int(row.units)
    out: list[tuple[Any, float]] = []
    for pid, var in m.go.items():
        out.append((var, 1.0 if result.funded.get(pid) else 0.0))
    for key, var in m.units.items():
        out.append((var, float(units.get(key, 0))))
    for (qid, y), var in m.started.items():
        paid = sum(a for (pid, t), a in amounts.items() if pid == qid and t <= y)
        out.append((var, 1.0 if paid >= 1 else 0.0))
    for (qid, y), var in m.finished.items():
        later = sum(a for (pid, t), a in amounts.items() if pid == qid and t > y)
        out.append((var, 1.0 if later == 0 else 0.0))
    return out


def marginal_values(
    m: ModelHandles, result: SolveResult, *, time_limit: float = 60.0
) -> pd.DataFrame:
    """The value that 100 億円 more cap in one fiscal year would buy for each priority rank.

    Definition. Fix the integer decisions at the solution in ``result`` (``go``, ``units``,
    ``started``, ``finished``; see :func:`_decision_values`) and let the yen amounts
    ``alloc[p,y]`` be continuous. Solve the resulting LPs lexicographically: stage k maximises
    V_k with every rank j < k held at the value its own stage reached (the ``priority_hold[j]``
    rows, right-hand side = that value, no tolerance). In stage k let ∂V_k/∂b_y be the dual of
    ``gdp_cap[y]`` (b_y = that row's right-hand side, 億円) and ∂V_k/∂h_j the dual of
    ``priority_hold[j]``, both as ∂objective/∂rhs (positive = a larger right-hand side raises
    V_k, whatever the solver's own sign; see :func:`_dual_signs`). Because raising b_y also
    raises what the ranks above reach, the value reported is the total derivative under
    strict priority::

        dV_k/db_y = ∂V_k/∂b_y + Σ_{j<k} ∂V_k/∂h_j · dV_j/db_y

    times 100. So extra cap goes to rank 1 first: a rank only gains where the ranks above
    cannot use the money. It is what re-solving the integer program with ``b_y`` raised by
    100 億円 gives as long as the optimal basis and the integer decisions do not change; it is
    a local rate (a larger raise may fund a new program or hit another limit), and at a kink
    (the cap exactly where another limit starts to bind) it is one of the two one-sided rates.

    Parameters
    ----------
    m
        The model that produced ``result`` (from :func:`allocator.model.build_model`). Its
        variable bounds, priority holds and objective are put back afterwards, so it can be
        solved again; integrality is never touched (the LPs are solved with HiGHS's
        ``mip=False``).
    result
        A solve of ``m`` with a plan (status ``optimal`` or ``feasible``).
    time_limit
        Seconds for each LP.

    Returns
    -------
    pandas.DataFrame
        One row per fiscal year and rank, ordered by year then rank: ``fiscal_year``,
        ``rank``, ``value_per_100_oku_yen`` (the total derivative above × 100: value of the
        rank — 億円 funded, or its explicit values — per 100 億円 of cap in that year), and
        ``held_value_per_100_oku_yen`` (∂V_k/∂b_y × 100 alone: the rate if the ranks above were
        held at their current values and could not take the money), ``valid_up_to_oku_yen``
        (how many 億円 more cap that year the year's rates hold for exactly; empty where every
        rate is 0) and ``valid_open`` (the rates still hold at the end of the search, 1 % of
        GDP: the range is at least that).

    Raises
    ------
    ValueError
        If ``result`` has no plan.
    RuntimeError
        If an LP does not solve to optimality (it always has the schedule as a solution).
    """
    if not result.has_plan:
        raise ValueError(f"no plan to analyse (status {result.status})")
    years = m.plan.fiscal_years
    ranks = sorted(m.rank_value)
    total: dict[int, dict[int, float]] = {}
    held: dict[int, dict[int, float]] = {}
    base: dict[int, float] = {}
    with fixed_decisions(m, _decision_values(m, result)):
        release_rank_holds(m)  # the floors stay as the solve left them
        for k in ranks:
            status = solve_lp(m, m.rank_value[k], time_limit)
            if status != "optimal":
                raise RuntimeError(f"marginal-value LP for rank {k} ended {status}")
            cap_dual = {y: shadow_price(m, "gdp_cap", (y,)) for y in years}
            hold_dual = {j: shadow_price(m, "priority_hold", (j,)) for j in ranks if j < k}
            held[k] = cap_dual
            total[k] = {
                y: cap_dual[y] + sum(hold_dual[j] * total[j][y] for j in hold_dual) for y in years
            }
            base[k] = expression_value(m.rank_value[k])
            set_rhs(m, "priority_hold", (k,), base[k])
        valid = _ranges(m, ranks, years, base, total, time_limit)

    def per100(v: float) -> float:
        x = round(100 * v, 9)
        return 0.0 if x == 0 else x

    rows = [
        (y, k, per100(total[k][y]), per100(held[k][y]), valid.get(y)) for y in years for k in ranks
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "fiscal_year",
            "rank",
            "value_per_100_oku_yen",
            "held_value_per_100_oku_yen",
            "valid_up_to_oku_yen",
        ],
    )
    df["valid_up_to_oku_yen"] = df["valid_up_to_oku_yen"].astype("Int64")
    tops = {y: max(1, int(m.plan.gdp(m.plan.cap_base_year(y)) // 100)) for y in years}
    df["valid_open"] = [v is not None and v == tops[y] for y, v in zip(df.fiscal_year,
                        [valid.get(y) for y in df.fiscal_year], strict=True)]  # fmt: skip
    return df


RATE_CHECK = 1e-6
"""Relative slack when checking that a rank's LP value at a raised cap equals its linear
prediction."""


def _ranges(
    m: ModelHandles,
    ranks: list[int],
    years: list[int],
    base: dict[int, float],
    rate: dict[int, dict[int, float]],
    time_limit: float,
) -> dict[int, int]:
    """For each year with a nonzero rate: the most 億円 of extra cap that year (searched up to
    1 % of the cap's base GDP: a range equal to that means "at least") over which every rank's
    rate holds exactly.

    Probe Δ: re-solve the LP chain with ``gdp_cap[y]`` raised by Δ and each rank j held at its
    predicted value V_j + ρ_j·Δ; the rate holds on [0, Δ] iff every stage reaches exactly its
    prediction. (Each stage's value is concave in Δ along that direction and ρ is a
    supergradient, so equality at Δ means equality on all of [0, Δ]; the property is
    monotone in Δ and a bisection to 1 億円 finds where it stops.) Must run inside
    :func:`fixed_decisions`, after the duals were read (it moves right-hand sides of the
    exported copy only)."""
    out: dict[int, int] = {}
    chain = LpChain(m, ranks, time_limit)
    previous: int | None = None
    for y in years:
        if all(abs(rate[k][y]) < 1e-12 for k in ranks):
            continue
        room = rhs(m, "gdp_cap", (y,))
        top = max(1, int(m.plan.gdp(m.plan.cap_base_year(y)) // 100))  # 1 % of GDP

        def excess(delta: int, y: int = y, room: float = room) -> tuple[int, float] | None:
            """None if every rank reaches its prediction at ``delta`` more cap; else the first
            rank that does not and by how much it falls short."""
            chain.set_upper("gdp_cap", (y,), room + delta)
            want = {k: base[k] + rate[k][y] * delta for k in ranks}
            # held (almost) exactly: a looser hold would let each stage take a little from the
            # ranks above and the error would grow down the chain
            holds = {k: v - 1e-9 * max(1.0, abs(v)) for k, v in want.items()}
            short: list[tuple[int, float]] = []

            def as_predicted(k: int, value: float) -> bool:
                if abs(value - want[k]) <= RATE_CHECK * max(1.0, abs(want[k])) + 1e-6:
                    return True
                short.append((k, want[k] - value))
                return False

            got = chain.values(holds, as_predicted)
            chain.set_upper("gdp_cap", (y,), room)
            if got is not None:
                return None
            return short[0] if short else (-1, math.inf)  # an LP failed: not as predicted

        # neighbouring years often share the limit that ends the rate: try the last answer
        # first (exact either way: it only narrows the search)
        guess = previous if previous is not None and 0 < previous < top else None
        out[y] = previous = last_linear(excess, top, guess)
    return out


def last_linear(
    excess: Callable[[int], tuple[int, float] | None], top: int, guess: int | None = None
) -> int:
    """The largest Δ in 0 … ``top`` at which the rates still hold (``excess(Δ)`` is None),
    given that they hold at 0 and that where they fail they fail from some point on.

    ``excess(Δ)`` is None where the rates hold, else (the first rank that falls short, by
    how much). A bisection to 1 億円, sped up by the shape of the shortfall: where one rank is
    the first to fall short its shortfall is convex in Δ (its prediction is linear, its LP
    value concave), zero up to the breakpoint, so the line through two failing points meets
    zero at or after the breakpoint, and exactly on it when the shortfall is linear there
    (one new limit: the usual case). Each probe only narrows the bracket [lo, hi), so the
    answer is exact whatever the guesses: the shipped plan's two years take 6 probes
    instead of 19 (docs/performance.md)."""
    lo, hi = 0, top + 1
    fails: list[tuple[int, int, float]] = []  # (Δ, rank, shortfall), failing points seen

    def probe(delta: int) -> bool:
        nonlocal lo, hi
        got = excess(delta)
        if got is None:
            lo = max(lo, delta)
            return True
        hi = min(hi, delta)
        fails.append((delta, got[0], got[1]))
        return False

    def secant() -> int | None:
        """Where the line through the two nearest failing points of one rank meets zero."""
        near = sorted(f for f in fails if f[0] >= hi)[:2]
        if len(near) < 2 or near[0][1] != near[1][1]:
            return None
        (a, _, sa), (b, _, sb) = near
        if not (0 < sa < sb) or not math.isfinite(sb):
            return None
        x0 = a - sa * (b - a) / (sb - sa)
        cand = math.floor(x0 + 1e-9)
        return cand if lo < cand < hi else None

    if guess is not None and 0 < guess < top:
        probe(guess)
        if lo == guess:
            probe(guess + 1)
    if hi > top and lo < top:
        probe(top)
    while hi - lo > 1:
        cand = secant()
        if cand is not None:
            if probe(cand) and cand + 1 < hi:
                probe(cand + 1)
            continue
        probe((lo + hi) // 2)
    return lo


MORE_CAP_STEP = Fraction(1, 1000)
"""What "more cap" is asked of by default: 0.1 % of GDP."""


@dataclass(frozen=True)
class MoreCap:
    """What ``step`` more cap (0.1 % of GDP by default, every year) buys, re-solved: the
    strict-priority solve at ``cap`` (= the run's cap + ``step``) against the run's own.

    Values per rank as in :meth:`SolveResult.rank_values`; shortfalls in 億円 (all floors)."""

    step: Fraction
    cap: Fraction
    status: str
    values: dict[int, float]
    base_values: dict[int, float]
    shortfall_oku_yen: int
    base_shortfall_oku_yen: int

    @property
    def gains(self) -> dict[int, float]:
        """Per rank: value at the higher cap minus value at the run's cap."""
        return {k: self.values.get(k, 0.0) - v for k, v in self.base_values.items()}


def more_cap(
    m: ModelHandles,
    result: SolveResult,
    step: Fraction = MORE_CAP_STEP,
    *,
    time_limit: float = 60.0,
) -> MoreCap:
    """Re-solve ``m`` (the model of ``result``) with the GDP-ratio cap raised by ``step`` in
    every year, and compare each rank's value (and the floors' total shortfall) with
    ``result``'s. The tie-break is left out (it changes no value); the model's cap is put back.

    This is exactly ``sweep`` at the higher cap minus ``sweep`` at the run's cap: the rank
    values of the strict-priority solve are unique.
    """
    own = m.plan.cap.ratio
    set_cap(m, own + step)
    try:
        raised = solve_lexicographic(
            m,
            time_limit=time_limit,
            gap=m.plan.solver.gap,
            tolerance=m.plan.solver.tolerance,
            tiebreak=False,
        )
    finally:
        set_cap(m, own)
    return MoreCap(
        step=step,
        cap=own + step,
        status=raised.status,
        values=raised.rank_values() if raised.has_plan else {},
        base_values=result.rank_values(),
        shortfall_oku_yen=sum(s.shortfall for s in raised.shortfalls),
        base_shortfall_oku_yen=sum(s.shortfall for s in result.shortfalls),
    )


# ---------------------------------------------------------------------------------------------
# the ratio as a target: what the caps, ceilings and programs cannot absorb

CEILINGS = frozenset(
    {"fiscal_year_cap", "fiscal_total_cap", "bound_high", "area_high", "phase_high"}
)
"""The ceilings that may be raised in the absorption question (the GDP cap never is)."""

UNABSORBED_WEIGHT = 1000
"""Weight of a 億円 the programs cannot absorb against a 億円 of ceiling raised: raise any
ceiling before declaring money unabsorbable."""


@dataclass(frozen=True)
class RatioYear:
    """One fiscal year of the ratio target: at least ``target`` 億円 of defence spending
    (baseline + new), at most ``cap``; the schedule reaches ``reached``."""

    fiscal_year: int
    target: int
    cap: int
    reached: int

    @property
    def short(self) -> int:
        return max(0, self.target - self.reached)

    @property
    def meets_cap(self) -> bool:
        """Target and ceiling meet: defence spending can only be exactly at the cap (or the
        target is above the cap: it cannot be met at all)."""
        return self.target >= self.cap


@dataclass(frozen=True)
class RatioTarget:
    """``--floor-ratio`` with the cap: per year, and what it would take to keep the target.

    ``raises``: (family, key, 億円) — how far each ceiling would have to rise for the programs
    to reach the target in every year (with the GDP cap as it is); ``unabsorbed``: the 億円
    the programs cannot absorb even with every such ceiling raised (no program may spend more
    in those years, within its window, per-year maximum and high), in all over the years
    ``unabsorbed_years``; ``above_cap``: per year, the 億円 by which the target exceeds the cap
    itself (the two cannot both hold)."""

    years: tuple[RatioYear, ...]
    status: str
    raises: tuple[tuple[str, str, int], ...]
    unabsorbed: int
    unabsorbed_years: tuple[int, ...]
    above_cap: dict[int, int]

    @property
    def short(self) -> int:
        return sum(y.short for y in self.years)


def ratio_target(plan: Plan, result: SolveResult, *, time_limit: float = 60.0) -> RatioTarget:
    """The ratio target of ``plan`` against ``result``'s schedule, and one elastic solve: with
    the target held as far as possible (each 億円 short weighs ``UNABSORBED_WEIGHT``) and the
    fiscal, area, phase and aggregate ceilings allowed to rise (each 億円 weighs 1), the least
    raise of each ceiling, and what no raise can absorb. Priorities play no part in it: it
    answers whether the money could be spent at all. Raises ValueError without a floor ratio."""
    if plan.cap.floor_ratio is None:
        raise ValueError("the plan has no floor ratio")
    defence = {p.program_id for p in plan.programs if plan.counts_toward_defense(p)}
    new = {y: 0 for y in plan.fiscal_years}
    for r in result.schedule.itertuples(index=False):
        if str(r.program_id) in defence:
            new[int(r.fiscal_year)] += int(r.amount_oku_yen)
    years: list[RatioYear] = []
    above: dict[int, int] = {}
    for y in plan.fiscal_years:
        target = plan.ratio_floor_oku_yen(y)
        if target is None:
            continue
        cap = plan.cap_oku_yen(y)
        years.append(RatioYear(y, target, cap, plan.committed(y) + new[y]))
        if target > cap:
            above[y] = target - cap
    priority = plan.model_copy(
        update={"solver": plan.solver.model_copy(update={"floors": "priority"})}
    )
    m = build_model(priority, elastic=CEILINGS)
    ratio_keys = [k for k in m.shortfall if k[0] == "ratio_floor"]
    objective = m.linear_sum(
        [*m.slacks.values(), *(UNABSORBED_WEIGHT * m.shortfall[k] for k in ratio_keys)]
    )
    status, slacks = minimise(m, objective, time_limit)
    if status not in ("optimal", "time_limit"):
        return RatioTarget(tuple(years), status, (), 0, (), above)
    short = values({k: m.shortfall[k] for k in ratio_keys})
    raises = tuple(
        (family, str(index[0]), math.ceil(v - 1e-6))
        for (family, index), v in sorted(slacks.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
        if v > 1e-6
    )
    per_year = {
        int(str(k[1][0])): math.ceil(v - 1e-6) - above.get(int(str(k[1][0])), 0)
        for k, v in short.items()
        if v > 1e-6
    }
    # how the unabsorbable money splits between years is arbitrary (any split of the same total
    # is as good): only the total is reported, over the years the schedule falls short
    unabsorbed = sum(v for v in per_year.values() if v > 0)
    short_years = tuple(y.fiscal_year for y in years if y.short)
    return RatioTarget(tuple(years), status, raises, unabsorbed, short_years, above)


# ---------------------------------------------------------------------------------------------
# 3. smallest cap that funds ranks fully


@dataclass(frozen=True)
class YearNeed:
    """One fiscal year of the least-money path that funds the ranks fully."""

    fiscal_year: int
    gdp_oku_yen: int
    """GDP the cap of this year is a share of (the year's own, or the fixed base year's)."""
    baseline_oku_yen: int
    """The baseline and the obligations already owed that count toward the cap, 億円."""
    defense_total_oku_yen: int
    """Least total defence spending of the year (baseline + obligations + new money), 億円."""
    ratio: Fraction
    """``defense_total_oku_yen / gdp_oku_yen``: the cap this year needs, exactly."""

    @property
    def new_defense_oku_yen(self) -> int:
        return self.defense_total_oku_yen - self.baseline_oku_yen


@dataclass(frozen=True)
class MinCapResult:
    """What it takes for every floor to be met, and for each rank of ``ranks`` to be as high
    as with no GDP cap (the value it reaches at 99 %, every floor met)."""

    ranks: tuple[int, ...]
    targets: dict[int, float]
    """Value of each rank with no GDP cap (the strict-priority solve at 99 %)."""
    status: Literal["found", "not_below_limit", "infeasible"]
    """``found``: ``uniform`` is below 99 %; ``not_below_limit``: only the 99 % cap funds the
    ranks fully; ``infeasible``: the plan has no schedule even at 99 % (the conflict is not
    the cap)."""
    uniform: Fraction | None
    """Smallest single cap (every year), on the grid of ``step``; ``None`` unless found."""
    path: tuple[YearNeed, ...]
    """Per year: the least defence spending with which some plan funds the ranks fully
    (minimising the sum over years); empty if none was found."""
    path_status: str
    verified: bool | None
    """Whether the strict-priority solve at ``uniform`` (as ``allocate --cap`` runs it) funds
    every rank of ``ranks`` fully; ``None`` when there is no ``uniform``."""
    step: Fraction
    """Resolution of ``uniform`` (``Fraction(1, 10000)`` = 0.01 %)."""
    solves: int
    """Solves used (MIPs and feasibility checks)."""
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    floors_met: Fraction | None = None
    """Smallest single cap (every year, grid of ``step``) at which every floor is met; None if
    not below 99 %."""
    highs: dict[int, int] = field(default_factory=dict)
    """Sum of the programs' highs per rank of ``ranks`` (what "fully" would mean: a rank can
    be as high as with no GDP cap and still below it, held back by other rules)."""

    @property
    def path_total_oku_yen(self) -> int:
        return sum(y.defense_total_oku_yen for y in self.path)


def _lex_values(
    m: ModelHandles, upto: int, time_limit: float, gap: float, tolerance: float
) -> tuple[str, dict[int, float], int]:
    """Strict-priority stages for ranks ≤ ``upto`` on ``m`` as it stands: status, values, solves."""
    release_holds(m)
    reached: dict[int, float] = {}
    overall = "optimal"
    solves = 0
    for r in sorted(k for k in m.rank_value if k <= upto):
        solved = solve_stage(m, m.rank_value[r], time_limit=time_limit, gap=gap)
        solves += 1
        if solved.status in ("infeasible", "no_solution") or not solved.has_solution:
            ended = solved.status if solved.status in ("infeasible", "no_solution") else None
            return ended or "no_solution", {}, solves
        value = expression_value(m.rank_value[r])
        reached[r] = value
        hold_rank(m, r, value, tolerance)
        if solved.status != "optimal":
            overall = "feasible"
    return overall, reached, solves


def _funds(m: ModelHandles, targets: dict[int, float], time_limit: float) -> str:
    """Whether some schedule of ``m`` (at its current cap) gives every rank in ``targets`` at
    least its target: ``yes``, ``no`` or ``unknown`` (a time limit)."""
    if any(room < 0 for room in cap_rooms(m.plan, m.plan.cap.ratio).values()):
        return "no"  # the baseline alone breaks the cap in some year
    release_holds(m)
    for r, t in targets.items():
        hold_rank(m, r, t, 0.0)
    status = find_feasible(m, time_limit)
    release_holds(m)
    return {"optimal": "yes", "infeasible": "no"}.get(status, "unknown")


def _reaches(reached: dict[int, float], targets: dict[int, float]) -> bool:
    return all(
        r in reached and reached[r] >= t - 1e-6 * max(1.0, abs(t)) for r, t in targets.items()
    )


def _least_path(
    plan: Plan, targets: dict[int, float], time_limit: float
) -> tuple[str, tuple[YearNeed, ...]]:
    """ONE MIP: the gdp_cap rows become z_y ≥ baseline(y) + defence spending(y), with
    z_y ≤ ⌊99 % × GDP⌋; minimise Σ_y z_y subject to V_k ≥ target_k."""
    m = build_model(plan.with_cap(NO_CAP))
    z = define_defense_totals(m)
    for r, t in targets.items():
        hold_rank(m, r, t, 0.0)
    status, _ = minimise(m, m.linear_sum(z.values()), time_limit)
    if status not in ("optimal", "time_limit"):
        return status, ()
    totals = values(z)
    path = []
    for y in plan.fiscal_years:
        gdp = plan.gdp(plan.cap_base_year(y))
        total = round(totals[y])
        path.append(YearNeed(y, gdp, plan.committed(y), total, Fraction(total, gdp)))
    return status, tuple(path)


def _check_min_cap_request(plan: Plan, ranks: list[int], step: Fraction) -> tuple[int, ...]:
    known = {r.rank for r in plan.ranks}
    wanted = tuple(sorted(set(ranks)))
    if not wanted:
        raise ValueError("no ranks given")
    missing = [r for r in wanted if r not in known]
    if missing:
        raise ValueError(f"the plan has no rank {', '.join(map(str, missing))}")
    if not (0 < step < NO_CAP):
        raise ValueError(f"step {step} is not a ratio between 0 and 99 %")
    return wanted


def _smallest_uniform(
    m: ModelHandles, targets: dict[int, float], step: Fraction, limit: float
) -> tuple[Fraction | None, int, bool]:
    """Bisection on the 0.01 % grid for the smallest single cap at which some schedule funds
    every target: (cap or None, solves, whether a check stopped at the time limit)."""
    plan = m.plan
    solves = 0
    hi = int(NO_CAP / step)  # invariant: funds at hi * step
    if hi * step != NO_CAP:
        set_cap(m, hi * step)
        solves += 1
        if _funds(m, targets, limit) != "yes":
            hi += 1  # the first grid point above 99 % is not a cap we search
    # below ⌈baseline / GDP⌉ the baseline alone breaks the cap: known not to fund, no solve
    base_need = max(
        Fraction(plan.committed(y), plan.gdp(plan.cap_base_year(y))) for y in plan.fiscal_years
    )
    lo = max(0, math.ceil(base_need / step) - 1)  # invariant: does not fund at lo * step
    unknown = False
    while hi - lo > 1:
        mid = (lo + hi) // 2
        set_cap(m, mid * step)
        solves += 1
        answer = _funds(m, targets, limit)
        unknown = unknown or answer == "unknown"
        if answer == "yes":
            hi = mid
        else:
            lo = mid
    uniform = hi * step if hi * step < NO_CAP else None
    return uniform, solves, unknown


def min_cap(
    plan: Plan,
    ranks: list[int],
    step: Fraction = Fraction(1, 10000),
    *,
    time_limit: float | None = None,
) -> MinCapResult:
    """The smallest GDP-ratio cap at which the priority ranks ``ranks`` are fully funded.

    "Fully funded" means: each rank k of ``ranks`` reaches at least ``target_k``, the value it
    reaches with no GDP cap at all (the strict-priority solve with a 99 % cap). A rank whose
    programs cannot all be funded for other reasons (windows, fiscal ceilings, area bounds) is
    therefore still well defined: it is full when the GDP cap no longer holds it back.

    Two answers:

    * ``uniform``: the smallest single cap (the same ratio every year), on a grid of ``step``
      (0.01 %), by bisection on the feasibility of one reused model with the GDP cap at the
      candidate and the rows V_k ≥ target_k (the ``priority_hold`` rows, raised). For ranks
      1..K (a prefix of the order) this is exactly where ``allocate --cap`` funds them fully;
      ``verified`` checks it with a strict-priority solve at ``uniform``.
    * ``path``: per fiscal year, the least defence spending (and its ratio to GDP) with which a
      plan funds the ranks fully, from ONE integer program in which the cap rows become
      variables z_y ≥ baseline(y) + defence spending(y) and Σ_y z_y is minimised. Other
      minimal paths may exist (money moved between years at the same total).

    Parameters
    ----------
    plan
        A loaded plan; its own cap ratio is ignored.
    ranks
        Priority ranks (e.g. ``[1, 2, 3]``); each must be a rank of the plan.
    step
        Resolution of ``uniform`` (``Fraction(1, 10000)`` = 0.01 %).
    time_limit
        Seconds for each solve; default: the plan's ``[solver] time_limit_seconds``.

    Returns
    -------
    MinCapResult

    Raises
    ------
    ValueError
        For an empty ``ranks``, a rank the plan lacks, or a ``step`` not in (0, 99 %).
    """
    start = time.perf_counter()
    wanted = _check_min_cap_request(plan, ranks, step)
    limit = plan.solver.time_limit_seconds if time_limit is None else time_limit
    gap, tolerance = plan.solver.gap, plan.solver.tolerance
    notes: list[str] = []
    # every floor met: the floors are hard rows here, whatever the plan's own setting (the
    # strict-priority solve meets every floor whenever it can, so above the cap at which they
    # can all be met the two agree)
    plan = plan.model_copy(update={"solver": plan.solver.model_copy(update={"floors": "hard"})})
    highs = {r: sum(p.high_oku_yen for p in plan.programs if p.rank == r) for r in wanted}
    m = build_model(plan.with_cap(NO_CAP))
    status, reached, solves = _lex_values(m, max(wanted), limit, gap, tolerance)
    if status in ("infeasible", "no_solution"):
        why = (
            "has no schedule that meets every floor"
            if status == "infeasible"
            else "found no schedule in time"
        )
        notes.append(f"even with a 99 % cap the plan {why}: the conflict is not the cap")
        return MinCapResult(
            wanted, {}, "infeasible", None, (), status, None, step, solves,
            time.perf_counter() - start, tuple(notes), None, highs,
        )  # fmt: skip
    if status != "optimal":
        notes.append("the no-cap values were not proven optimal (time limit): targets are low")
    targets = {r: reached[r] for r in wanted}

    floors_met, n, unknown_floors = _smallest_uniform(m, {}, step, limit)
    solves += n
    uniform, n, unknown = _smallest_uniform(m, targets, step, limit)
    solves += n
    unknown = unknown or unknown_floors
    if unknown:
        notes.append("a feasibility check stopped at the time limit: the minimum may be lower")
    verified: bool | None = None
    if uniform is not None:
        set_cap(m, uniform)
        lex_status, lex_values, n = _lex_values(m, max(wanted), limit, gap, tolerance)
        solves += n
        verified = has_plan(lex_status) and _reaches(lex_values, targets)
        if not verified:
            notes.append(
                f"at {format_cap(uniform)} a plan with each of these ranks as high as with no "
                "GDP cap exists, but the strict-priority solve gives the money to higher ranks "
                "first; ask for the ranks above as well (e.g. 1-"
                f"{max(wanted)})"
            )
    path_status, path = _least_path(plan, targets, limit)
    solves += 1
    return MinCapResult(
        ranks=wanted,
        targets=targets,
        status="found" if uniform is not None else "not_below_limit",
        uniform=uniform,
        path=path,
        path_status=path_status,
        verified=verified,
        step=step,
        solves=solves,
        seconds=time.perf_counter() - start,
        notes=tuple(notes),
        floors_met=floors_met,
        highs=highs,
    )


__all__ = [
    "MORE_CAP_STEP",
    "NO_CAP",
    "MinCapResult",
    "MoreCap",
    "RatioTarget",
    "RatioYear",
    "SweepPoint",
    "SweepResult",
    "YearNeed",
    "cap_rooms",
    "marginal_values",
    "min_cap",
    "more_cap",
    "ratio_target",
    "set_cap",
    "sweep",
    "sweep_rebuild",
]
