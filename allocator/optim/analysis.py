"""Decision analysis on the allocation model: cap sweeps, the marginal value of cap, and the
smallest cap that funds chosen priority ranks fully.

Everything here changes a model built once by :func:`allocator.model.build_model` in place
between solves — the right-hand sides of the ``gdp_cap`` and ``priority_hold`` rows and the
bounds of the integer decisions — and puts it back afterwards, so many solves pay for one
model build. Nothing here prints, exits or imports typer. Money is integer 億円
(1 兆円 = 10,000 億円); caps are exact fractions of GDP (``Fraction(1, 50)`` = 2 %).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pulp

from allocator.optim.diagnose import precheck, with_cap
from allocator.optim.model import ModelHandles, build_model
from allocator.plan.cap import format_cap
from allocator.plan.schema import Plan
from allocator.optim.solve import (
    SolveResult,
    _fix_value,
    _QuietHiGHS,
    _run,
    minimise,
    reset_holds,
    solve_lexicographic,
)

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
    capped = with_cap(plan, cap)
    return {y: capped.cap_oku_yen(y) - capped.baseline(y) for y in capped.fiscal_years}


def set_cap(m: ModelHandles, cap: Fraction) -> None:
    """Move the GDP-ratio cap of a built model to ``cap`` (changes the ``gdp_cap`` right-hand
    sides in place and ``m.plan``'s cap, so the handles stay consistent)."""
    for y, room in cap_rooms(m.plan, cap).items():
        m.constraints[("gdp_cap", (y,))].changeRHS(room)
    m.plan = with_cap(m.plan, cap)


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

    @property
    def has_plan(self) -> bool:
        return self.status in ("optimal", "feasible")

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
    return SweepPoint(
        cap=cap,
        status=result.status,
        rank_values=dict(result.rank_values()),
        defense_alloc_oku_yen=defense,
        other_alloc_oku_yen=other,
        programs_funded=sum(1 for funded in result.funded.values() if funded),
        solve_seconds=seconds,
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


def sweep(
    plan: Plan,
    caps: list[Fraction],
    progress: Progress | None = None,
    *,
    time_limit: float | None = None,
) -> SweepResult:
    """Solve ``plan`` under strict priority at every cap of ``caps``, reusing one built model.

    The model is built once; for each cap the right-hand side of every ``gdp_cap[y]`` row is
    set to ``⌊cap × GDP(base year)⌋ − baseline(y)`` 億円 (as
    :func:`allocator.model.define_gdp_cap` computes it) and the model is solved again
    (:func:`allocator.solve.solve_lexicographic` releases the priority holds itself). A cap at
    which no plan exists is kept as a point with status ``infeasible``.

    Parameters
    ----------
    plan
        A loaded plan; its own cap ratio is ignored.
    caps
        GDP-ratio caps as exact fractions (``Fraction(3, 200)`` = 1.5 %), solved in this order.
    progress
        Called as ``progress(done, total, cap)`` after each cap is solved.
    time_limit
        Seconds for each cap's whole solve (all priority stages); default: the plan's
        ``[solver] time_limit_seconds``.

    Returns
    -------
    SweepResult
        One point per cap: status, value per rank, 億円 allocated, programs funded, seconds.
    """
    start = time.perf_counter()
    limit = plan.solver.time_limit_seconds if time_limit is None else time_limit
    t0 = time.perf_counter()
    m = build_model(plan)
    build = time.perf_counter() - t0
    points: list[SweepPoint] = []
    for i, cap in enumerate(caps):
        set_cap(m, cap)
        result, seconds = _solve_point(m, m.plan, limit, build)
        points.append(
            _infeasible_point(cap, seconds)
            if result is None
            else _summarise(m.plan, cap, result, seconds)
        )
        if progress is not None:
            progress(i + 1, len(caps), cap)
    return SweepResult(
        plan=plan,
        points=tuple(points),
        ranks=tuple(sorted(m.rank_value)),
        build_seconds=build,
        seconds=time.perf_counter() - start,
        reused_model=True,
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
        at_cap = with_cap(plan, cap)
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


def _whole_or_float(values: list[float | None]) -> pd.Series:
    """Int64 when every value is a whole number (within 1e-6), else Float64 rounded to 1e-6."""
    known = [v for v in values if v is not None]
    if all(abs(v - round(v)) < 1e-6 for v in known):
        return pd.Series([None if v is None else round(v) for v in values], dtype="Int64")
    return pd.Series([None if v is None else round(v, 6) for v in values], dtype="Float64")


def frontier_table(result: SweepResult) -> pd.DataFrame:
    """One row per cap of a sweep, in the sweep's order.

    Columns: ``cap_ratio`` (ratio as a 6-decimal string, ``"0.015000"``), ``cap``
    (``"1.5%"``), ``status``, ``value_rank1`` … ``value_rankN`` (value reached per rank: 億円
    funded, or the explicit values), ``defense_alloc_oku_yen``, ``other_alloc_oku_yen``,
    ``total_alloc_oku_yen`` (new money over the horizon, 億円), ``programs_funded``. Value and
    amount cells are empty where there is no plan (infeasible caps).
    """
    pts = result.points
    table = pd.DataFrame(
        {
            "cap_ratio": [f"{float(p.cap):.6f}" for p in pts],
            "cap": [format_cap(p.cap) for p in pts],
            "status": [p.status for p in pts],
        }
    )
    for r in result.ranks:
        table[f"value_rank{r}"] = _whole_or_float([p.rank_values.get(r) for p in pts])
    for col, getter in (
        ("defense_alloc_oku_yen", lambda p: p.defense_alloc_oku_yen),
        ("other_alloc_oku_yen", lambda p: p.other_alloc_oku_yen),
        ("total_alloc_oku_yen", lambda p: p.total_alloc_oku_yen),
        ("programs_funded", lambda p: p.programs_funded),
    ):
        table[col] = pd.Series([getter(p) for p in pts], dtype="Int64")
    return table


_LABELS = {
    "ja": {
        "title": "GDP比上限と優先順位ごとの価値",
        "x": "防衛費のGDP比上限 (%)",
        "value": "価値 (資金額 億円)",
        "programs": "実施事業数",
        "rank": "順位{r}",
        "infeasible": "実行不可能",
    },
    "en": {
        "title": "Value per priority rank against the GDP-ratio cap",
        "x": "cap on defence spending (% of GDP)",
        "value": "value (億円 funded)",
        "programs": "programs funded",
        "rank": "rank {r}",
        "infeasible": "infeasible",
    },
}


def frontier_chart(
    table: pd.DataFrame,
    path: Path,
    lang: Literal["ja", "en"] = "ja",
    *,
    rank_names: dict[int, str] | None = None,
    title: str | None = None,
) -> Path:
    """Draw a sweep's frontier as a PNG: value per rank against the cap (stacked areas), and
    the number of programs funded below it. Infeasible caps are marked on the cap axis.

    Parameters
    ----------
    table
        :func:`frontier_table` output.
    path
        PNG file to write.
    lang
        ``"ja"`` or ``"en"`` labels.
    rank_names
        Optional ``{rank: name}`` for the legend.
    title
        Optional title (default: a generic one in ``lang``).

    Returns
    -------
    Path
        ``path``.
    """
    from allocator.report.plotting import pyplot, save

    text = _LABELS["ja" if lang == "ja" else "en"]
    plt = pyplot()
    x = [float(v) * 100 for v in table["cap_ratio"]]
    value_cols = [c for c in table.columns if c.startswith("value_rank")]
    ok = [s in ("optimal", "feasible") for s in table["status"]]
    fig, (top, bottom) = plt.subplots(
        2, 1, sharex=True, figsize=(8, 6), gridspec_kw={"height_ratios": [3, 1]}
    )
    xs = [v for v, good in zip(x, ok, strict=True) if good]
    if xs:
        layers = []
        labels = []
        for col in value_cols:
            r = int(col.removeprefix("value_rank"))
            series = pd.to_numeric(table[col], errors="coerce").astype(float)
            layers.append([float(v) for v, good in zip(series, ok, strict=True) if good])
            name = text["rank"].format(r=r)
            if rank_names and r in rank_names:
                name += f" {rank_names[r]}"
            labels.append(name)
        top.stackplot(xs, layers, labels=labels, alpha=0.85)
        funded = pd.to_numeric(table["programs_funded"], errors="coerce").astype(float)
        bottom.plot(xs, [float(v) for v, g in zip(funded, ok, strict=True) if g], "o-")
    bad = [v for v, good in zip(x, ok, strict=True) if not good]
    if bad:
        for ax in (top, bottom):
            ax.plot(bad, [0] * len(bad), "x", color="grey", clip_on=False)
        top.plot([], [], "x", color="grey", label=text["infeasible"])
    from matplotlib.ticker import StrMethodFormatter

    top.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    top.set_ylabel(text["value"])
    top.set_title(title or text["title"])
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    top.grid(alpha=0.3)
    bottom.set_ylabel(text["programs"])
    bottom.set_xlabel(text["x"])
    bottom.grid(alpha=0.3)
    path = Path(path)
    save(fig, path)
    return path


# ---------------------------------------------------------------------------------------------
# 2. marginal value of cap


@functools.cache
def _dual_signs() -> tuple[float, float]:
    """Factors turning the solver's row duals into ∂objective/∂rhs, for ≤ and ≥ rows.

    Found empirically on: maximise x + y subject to x + 2y ≤ 4, y ≥ 1 (optimum x = 2, y = 1),
    where ∂objective/∂rhs is +1 for the ≤ row and −1 for the ≥ row. HiGHS 1.x reports
    exactly these (factors 1, 1); the probe keeps the convention right if a solver flips it.
    """
    p = pulp.LpProblem("dual_sign_probe", pulp.LpMaximize)
    x = p.add_variable("x", 0, 10)
    y = p.add_variable("y", 0, 10)
    le = p.addConstraint(x + 2 * y <= 4, "le")
    ge = p.addConstraint(y >= 1, "ge")
    p.setObjective(x + y)
    p.solve(_QuietHiGHS(msg=False, mip=False, threads=1))
    le_pi, ge_pi = float(le.pi or 0.0), float(ge.pi or 0.0)
    if abs(abs(le_pi) - 1) > 1e-6 or abs(abs(ge_pi) - 1) > 1e-6:
        raise RuntimeError(f"unexpected duals from the sign probe: {le_pi}, {ge_pi}")
    return (1.0 if le_pi > 0 else -1.0), (1.0 if ge_pi < 0 else -1.0)


def _shadow(constraint: Any) -> float:
    """∂objective/∂rhs of a row after an LP solve (positive: a larger rhs raises the objective)."""
    le, ge = _dual_signs()
    factor = le if constraint.sense == pulp.LpConstraintLE else ge
    return factor * float(constraint.pi or 0.0)


def _rhs(constraint: Any) -> float:
    return -float(constraint.constant)


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


def _solve_lp(m: ModelHandles, objective: Any, time_limit: float) -> str:
    """Maximise ``objective`` over the model with integrality ignored (HiGHS ``mip=False``)."""
    m.prob.setObjective(objective)
    solver = _QuietHiGHS(msg=False, mip=False, timeLimit=max(time_limit, 0.01), threads=1)
    stats = m.prob.solve(solver)
    return "optimal" if stats.status_str == "Optimal" and stats.has_solution else stats.status_str


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
        held at their current values and could not take the money).

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
    holds = {r: m.constraints[("priority_hold", (r,))] for r in ranks}
    caps = {y: m.constraints[("gdp_cap", (y,))] for y in years}
    fixed = _decision_values(m, result)
    saved_bounds = [(var, var.lowBound, var.upBound) for var, _ in fixed]
    saved_rhs = {r: _rhs(c) for r, c in holds.items()}
    saved_objective = m.prob.objective
    total: dict[int, dict[int, float]] = {}
    held: dict[int, dict[int, float]] = {}
    try:
        for var, value in fixed:
            var.bounds(value, value)
        for c in holds.values():
            c.changeRHS(0)
        for k in ranks:
            status = _solve_lp(m, m.rank_value[k], time_limit)
            if status != "optimal":
                raise RuntimeError(f"marginal-value LP for rank {k} ended {status}")
            cap_dual = {y: _shadow(caps[y]) for y in years}
            hold_dual = {j: _shadow(holds[j]) for j in ranks if j < k}
            held[k] = cap_dual
            total[k] = {
                y: cap_dual[y] + sum(hold_dual[j] * total[j][y] for j in hold_dual) for y in years
            }
            holds[k].changeRHS(float(m.rank_value[k].value()))
    finally:
        for var, lo, up in saved_bounds:
            var.bounds(lo, up)
        for r, c in holds.items():
            c.changeRHS(saved_rhs[r])
        if saved_objective is not None:
            m.prob.setObjective(saved_objective)

    def per100(v: float) -> float:
        x = round(100 * v, 9)
        return 0.0 if x == 0 else x

    rows = [(y, k, per100(total[k][y]), per100(held[k][y])) for y in years for k in ranks]
    return pd.DataFrame(
        rows,
        columns=["fiscal_year", "rank", "value_per_100_oku_yen", "held_value_per_100_oku_yen"],
    )


# ---------------------------------------------------------------------------------------------
# 3. smallest cap that funds ranks fully


@dataclass(frozen=True)
class YearNeed:
    """One fiscal year of the least-money path that funds the ranks fully."""

    fiscal_year: int
    gdp_oku_yen: int
    """GDP the cap of this year is a share of (the year's own, or the fixed base year's)."""
    baseline_oku_yen: int
    defense_total_oku_yen: int
    """Least total defence spending of the year (baseline + new defence money), 億円."""
    ratio: Fraction
    """``defense_total_oku_yen / gdp_oku_yen``: the cap this year needs, exactly."""

    @property
    def new_defense_oku_yen(self) -> int:
        return self.defense_total_oku_yen - self.baseline_oku_yen


@dataclass(frozen=True)
class MinCapResult:
    """What it takes to fund ``ranks`` fully (each at the value it reaches with no GDP cap)."""

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

    @property
    def path_total_oku_yen(self) -> int:
        return sum(y.defense_total_oku_yen for y in self.path)


def _lex_values(
    m: ModelHandles, upto: int, time_limit: float, gap: float, tolerance: float
) -> tuple[str, dict[int, float], int]:
    """Strict-priority stages for ranks ≤ ``upto`` on ``m`` as it stands: status, values, solves."""
    reset_holds(m)
    values: dict[int, float] = {}
    overall = "optimal"
    solves = 0
    for r in sorted(k for k in m.rank_value if k <= upto):
        status, stats = _run(m, m.rank_value[r], time_limit, gap)
        solves += 1
        if status in ("infeasible", "no_solution") or not stats.has_solution:
            return (
                (status if status in ("infeasible", "no_solution") else "no_solution"),
                {},
                solves,
            )
        value = float(m.rank_value[r].value())
        values[r] = value
        _fix_value(m, r, value, tolerance)
        if status != "optimal":
            overall = "feasible"
    return overall, values, solves


def _funds(m: ModelHandles, targets: dict[int, float], time_limit: float) -> str:
    """Whether some schedule of ``m`` (at its current cap) gives every rank in ``targets`` at
    least its target: ``yes``, ``no`` or ``unknown`` (a time limit)."""
    if any(room < 0 for room in cap_rooms(m.plan, m.plan.cap.ratio).values()):
        return "no"  # the baseline alone breaks the cap in some year
    reset_holds(m)
    for r, t in targets.items():
        _fix_value(m, r, t, 0.0)
    status, _ = minimise(m, pulp.lpSum([]), time_limit)
    reset_holds(m)
    return {"optimal": "yes", "infeasible": "no"}.get(status, "unknown")


def _reaches(values: dict[int, float], targets: dict[int, float]) -> bool:
    return all(r in values and values[r] >= t - 1e-6 * max(1.0, abs(t)) for r, t in targets.items())


def _least_path(
    plan: Plan, targets: dict[int, float], time_limit: float
) -> tuple[str, tuple[YearNeed, ...]]:
    """ONE MIP: the gdp_cap rows become z_y ≥ baseline(y) + defence spending(y), with
    z_y ≤ ⌊99 % × GDP⌋; minimise Σ_y z_y subject to V_k ≥ target_k."""
    m = build_model(with_cap(plan, NO_CAP))
    z: dict[int, Any] = {}
    gdp: dict[int, int] = {}
    for y in plan.fiscal_years:
        base_year = plan.cap.base_year if plan.cap.base == "fixed_year" else y
        assert base_year is not None
        gdp[y] = plan.gdp(base_year)
        z[y] = m.prob.add_variable(f"defense_total[{y}]", 0, m.plan.cap_oku_yen(y))
        row = m.constraints[("gdp_cap", (y,))]
        row.set_coefficient(z[y], -1)  # defence(y) − z_y ≤ −baseline(y)
        row.changeRHS(-plan.baseline(y))
    for r, t in targets.items():
        _fix_value(m, r, t, 0.0)
    status, _ = minimise(m, pulp.lpSum(z.values()), time_limit)
    if status not in ("optimal", "time_limit"):
        return status, ()
    path = []
    for y in plan.fiscal_years:
        total = round(float(z[y].varValue or 0.0))
        path.append(YearNeed(y, gdp[y], plan.baseline(y), total, Fraction(total, gdp[y])))
    return status, tuple(path)


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
    known = {r.rank for r in plan.ranks}
    wanted = tuple(sorted(set(ranks)))
    if not wanted:
        raise ValueError("no ranks given")
    missing = [r for r in wanted if r not in known]
    if missing:
        raise ValueError(f"the plan has no rank {', '.join(map(str, missing))}")
    if not (0 < step < NO_CAP):
        raise ValueError(f"step {step} is not a ratio between 0 and 99 %")
    limit = plan.solver.time_limit_seconds if time_limit is None else time_limit
    notes: list[str] = []
    m = build_model(with_cap(plan, NO_CAP))
    status, values, solves = _lex_values(
        m, max(wanted), limit, plan.solver.gap, plan.solver.tolerance
    )
    if status in ("infeasible", "no_solution"):
        why = "has no schedule" if status == "infeasible" else "found no schedule in time"
        notes.append(f"even with a 99 % cap the plan {why}: the conflict is not the cap")
        return MinCapResult(
            wanted, {}, "infeasible", None, (), status, None, step, solves,
            time.perf_counter() - start, tuple(notes),
        )  # fmt: skip
    if status != "optimal":
        notes.append("the no-cap values were not proven optimal (time limit): targets are low")
    targets = {r: values[r] for r in wanted}

    hi = int(NO_CAP / step)  # invariant: funds at hi * step
    if hi * step != NO_CAP:
        set_cap(m, hi * step)
        solves += 1
        if _funds(m, targets, limit) != "yes":
            hi += 1  # the first grid point above 99 % is not a cap we search
    # below ⌈baseline / GDP⌉ the baseline alone breaks the cap: known not to fund, no solve
    base_need = max(
        Fraction(plan.baseline(y), plan.gdp(_base_year(plan, y))) for y in plan.fiscal_years
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
    if unknown:
        notes.append("a feasibility check stopped at the time limit: the minimum may be lower")
    uniform = hi * step if hi * step < NO_CAP else None
    verified: bool | None = None
    if uniform is not None:
        set_cap(m, uniform)
        lex_status, lex_values, n = _lex_values(
            m, max(wanted), limit, plan.solver.gap, plan.solver.tolerance
        )
        solves += n
        verified = lex_status in ("optimal", "feasible") and _reaches(lex_values, targets)
        if not verified:
            notes.append(
                f"at {format_cap(uniform)} a plan funding these ranks fully exists, but the "
                "strict-priority solve gives the money to higher ranks first and does not "
                "fund them fully; ask for the ranks above as well (e.g. 1-"
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
    )


def _base_year(plan: Plan, year: int) -> int:
    if plan.cap.base == "fixed_year" and plan.cap.base_year is not None:
        return plan.cap.base_year
    return year


def min_cap_table(result: MinCapResult) -> pd.DataFrame:
    """One row per fiscal year of :attr:`MinCapResult.path`.

    Columns: ``fiscal_year``, ``gdp_oku_yen``, ``baseline_oku_yen``,
    ``min_defense_total_oku_yen``, ``min_new_defense_oku_yen`` (億円), ``min_ratio`` (6-decimal
    string), ``uniform_min_cap_ratio`` (the single cap, 6-decimal string, empty if none),
    ``ranks`` (e.g. ``"1,2,3"``).
    """
    uniform = "" if result.uniform is None else f"{float(result.uniform):.6f}"
    rows = [
        {
            "fiscal_year": y.fiscal_year,
            "gdp_oku_yen": y.gdp_oku_yen,
            "baseline_oku_yen": y.baseline_oku_yen,
            "min_defense_total_oku_yen": y.defense_total_oku_yen,
            "min_new_defense_oku_yen": y.new_defense_oku_yen,
            "min_ratio": f"{float(y.ratio):.6f}",
            "uniform_min_cap_ratio": uniform,
            "ranks": ",".join(map(str, result.ranks)),
        }
        for y in result.path
    ]
    columns = [
        "fiscal_year",
        "gdp_oku_yen",
        "baseline_oku_yen",
        "min_defense_total_oku_yen",
        "min_new_defense_oku_yen",
        "min_ratio",
        "uniform_min_cap_ratio",
        "ranks",
    ]
    return pd.DataFrame(rows, columns=columns)


def cap_grid(low: Fraction, high: Fraction, step: Fraction) -> list[Fraction]:
    """``low, low + step, …`` up to ``high`` (exact fractions); ``high`` is always the last
    point, even when it is not on the grid.

    Raises
    ------
    ValueError
        If ``low > high`` or ``step ≤ 0``.
    """
    if step <= 0:
        raise ValueError("the step must be positive")
    if low > high:
        raise ValueError("the lower cap is above the upper one")
    out: list[Fraction] = []
    cap = low
    while cap < high:
        out.append(cap)
        cap += step
    out.append(high)
    return out


__all__ = [
    "NO_CAP",
    "MinCapResult",
    "SweepPoint",
    "SweepResult",
    "YearNeed",
    "cap_grid",
    "cap_rooms",
    "frontier_chart",
    "frontier_table",
    "marginal_values",
    "min_cap",
    "min_cap_table",
    "set_cap",
    "sweep",
    "sweep_rebuild",
]
