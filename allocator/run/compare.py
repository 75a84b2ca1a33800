"""Compare solved plans: what changed between two or more run folders, and which inputs differ.

A run folder (see :mod:`allocator.run.results`) is read back with :func:`load_solved`: its
``plan.json`` gives the status, the allocations and the value of every priority rank, and the
plan itself is reloaded from the byte copies in ``inputs/`` with the options stored in
``plan.json`` (cap, first year, horizon, GDP case, solver settings), so the comparison needs
nothing but the folders. :func:`compare` compares each plan with the first (the reference):

- per fiscal year: GDP, cap, baseline, defence and other allocations, total defence spending,
  its ratio to GDP and the headroom under the cap;
- per area and per priority rank: 億円 funded; per rank also the solver value, status and gap;
- per program: funded or not, total, first funded year and money-weighted mean year, and the
  kind of change (new, cut, moved in time, changed in total);
- per ``[[groups]]`` entry: which of its programs are funded (the alternative chosen), and how
  many;
- the inputs that differ: cap, GDP case and figures, horizon, baseline, fiscal caps, solver
  settings, and program, area, phase, bound and rank data field by field.

:func:`comparison_table` gives the long table written as ``compare.csv``, :func:`compare_chart`
the chart ``compare.png``, and :func:`write_comparison` writes both atomically. Money is an
integer number of 億円 throughout; ratios to GDP are in percent, their differences in
percentage points. Nothing here prints or exits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from allocator.constants import INPUTS_DIR, has_plan
from allocator.errors import PlanError, UsageError
from allocator.formatting import format_cap, year_span
from allocator.plan.loading import load_plan
from allocator.plan.schema import Plan, Program, Vehicle
from allocator.run.folder import free_folder, safe_name
from allocator.run.ledger import build_ledger
from allocator.run.record import RecordError, RunRecord

Cell = int | float | str | None
"""One value of the comparison: 億円 and years as ``int``, ratios as ``float``, text as
``str``; ``None`` where the value does not exist (no plan, a year outside the horizon)."""

Lang = Literal["ja", "en"]

CSV_NAME = "compare.csv"
PNG_NAME = "compare.png"

SECTIONS = ("plan", "fiscal_year", "contract", "area", "rank", "program", "group", "input")
"""Sections of the comparison, in the order of :attr:`Comparison.rows` and ``compare.csv``."""

YEAR_METRICS = (
    "gdp_oku_yen",
    "cap_oku_yen",
    "baseline_oku_yen",
    "defense_alloc_oku_yen",
    "other_alloc_oku_yen",
    "new_total_oku_yen",
    "defense_total_oku_yen",
    "gdp_ratio_pct",
    "headroom_oku_yen",
)
"""Metrics of each fiscal year. ``gdp_ratio_pct`` is (baseline + defence allocation) / GDP in
percent; its difference is in percentage points."""

CONTRACT_METRICS = (
    "new_contracts_oku_yen",
    "new_obligations_oku_yen",
    "paid_on_new_contracts_oku_yen",
    "paid_on_earlier_obligations_oku_yen",
    "payments_total_oku_yen",
    "outstanding_end_oku_yen",
    "owed_past_horizon_oku_yen",
)
"""Metrics of the ``contract`` section (契約ベースと歳出ベース), per fiscal year of the ledger
``obligations.csv`` (the years after a horizon included), and ``total`` (sums inside each
plan's horizon; outstanding and owed after the horizon at its end). Only when some plan has
multi-year contracts, earlier obligations or budget vehicles."""

TOTAL_METRICS = (
    "defense_alloc_oku_yen",
    "other_alloc_oku_yen",
    "new_total_oku_yen",
    "defense_total_oku_yen",
    "headroom_oku_yen",
)
"""Metrics of the ``total`` row of the fiscal-year section: sums over the plan's horizon."""

PROGRAM_METRICS = ("funded", "total_oku_yen", "first_year", "mean_year")
GROUP_METRICS = ("funded", "count")
"""Metrics of each group: its funded programs joined by ``+`` (``none`` if none, ``absent`` if
the plan has no such group; the diff is ``changed`` when the choice differs), and how many."""
RANK_METRICS = ("funded_oku_yen", "value", "status", "gap")
_TEXT_METRICS = frozenset({"funded", "status", "cap", "gdp_case", "horizon"})

CHANGE_KINDS = ("new", "cut", "moved", "total")
"""Kinds of program change: funded only in the compared plan (``new``), only in the reference
(``cut``), funded in both with another timing (``moved``: first funded year, money-weighted
mean year or — with the same total — the yearly profile differ), or with another total."""

_PROGRAM_FIELDS = tuple(
    f for f in Program.model_fields if f not in ("program_id", "row", "source", "note")
)
"""Program fields compared as inputs; ``source``, ``note`` and the CSV row number are not
plan data (a change to them shows only as a changed file hash)."""
_VEHICLE_FIELDS = tuple(f for f in Vehicle.model_fields if f not in ("id", "source"))


# ---------------------------------------------------------------------------------------------
# reading a run folder


@dataclass(frozen=True)
class SolvedPlan:
    """One run folder read back: its record, the reloaded plan and the allocations.

    Attributes
    ----------
    path : Path
        The run folder.
    label : str
        Short name: the folder's name.
    record : RunRecord
        ``plan.json`` as read.
    plan : Plan
        The plan reloaded from ``inputs/`` with the options of the run.
    allocations : dict
        ``{(program_id, fiscal_year): 億円}``, nonzero amounts only; empty without a plan.
    funded : dict
        ``{program_id: funded}`` for every program of the plan (all false without a plan).
    rank_values : dict
        ``{rank: value}``: the optimised value per priority rank (``objective_per_rank``);
        values within 1e-6 of an integer are rounded to it.
    """

    path: Path
    label: str
    record: RunRecord
    plan: Plan
    allocations: dict[tuple[str, int], int]
    funded: dict[str, bool]
    rank_values: dict[int, int | float]
    contracts: dict[tuple[str, int], int] = field(default_factory=dict)
    """``{(program_id, fiscal_year): 億円 contracted}`` of contract programs (``plan.json``
    contracts); empty without a plan."""

    @property
    def has_contract_view(self) -> bool:
        """Whether the plan has multi-year contracts, earlier obligations or vehicles."""
        p = self.plan
        return bool(p.has_contracts or p.obligations or p.vehicles)

    def program_contracts(self, program_id: str) -> int:
        """億円 contracted by ``program_id`` (its payments, for a program without a pattern)."""
        if any(p.program_id == program_id and p.is_contract for p in self.plan.programs):
            return sum(a for (p, _), a in self.contracts.items() if p == program_id)
        return self.program_total(program_id)

    @property
    def status(self) -> str:
        """``optimal``, ``feasible`` (stopped at the time limit with a plan), ``infeasible``
        or ``no_solution``."""
        return self.record.status

    @property
    def has_plan(self) -> bool:
        """True when the run has a schedule (optimal, or stopped with a usable plan)."""
        return has_plan(self.status)

    @property
    def rank_status(self) -> dict[int, str]:
        """``{rank: solver status}`` of each rank's stage."""
        return {s.rank: s.status for s in self.record.stages if s.rank is not None}

    @property
    def rank_gaps(self) -> dict[int, float | None]:
        """``{rank: relative MIP gap}`` of each rank's stage (``None`` if unknown)."""
        return {s.rank: s.gap for s in self.record.stages if s.rank is not None}

    @property
    def explanation(self) -> list[str]:
        """Why an infeasible run has no plan (from ``plan.json``; empty otherwise)."""
        return list(self.record.explanation or ())

    def program_total(self, program_id: str) -> int:
        """億円 allocated to ``program_id`` over the horizon."""
        return sum(a for (p, _), a in self.allocations.items() if p == program_id)

    def program_years(self, program_id: str) -> dict[int, int]:
        """``{fiscal_year: 億円}`` of ``program_id``, years with money only, in year order."""
        return dict(sorted((y, a) for (p, y), a in self.allocations.items() if p == program_id))


def _clean_value(x: float) -> int | float:
    return round(x) if abs(x - round(x)) < 1e-6 else round(x, 6)


def load_solved(path: Path) -> SolvedPlan:
    """Read a run folder (or its ``plan.json``) written by ``allocate``.

    Parameters
    ----------
    path : Path
        A run folder, or the ``plan.json`` inside one.

    Returns
    -------
    SolvedPlan
        The run with its plan reloaded from ``inputs/`` and its allocations in 億円.

    Raises
    ------
    UsageError
        (option ``PLAN``, exit code 2) if ``path`` does not exist or is not a run folder: no
        ``plan.json``, or a ``plan.json`` that is not a run record.
    PlanError
        (exit code 3) naming the file, if the run is damaged: ``inputs/`` missing, inputs that
        no longer load, or allocations that do not fit the plan.
    """
    path = Path(path)
    if not path.exists():
        raise _not_a_run(path, "no such file or folder")
    if not path.is_dir() and path.name != "plan.json":
        raise _not_a_run(path, "not a run folder or its plan.json")
    try:
        record = RunRecord.read(path)
    except RecordError as exc:
        raise UsageError(
            "PLAN", str(exc), "give a run folder written by allocate (or its plan.json)"
        ) from None
    folder = path if path.is_dir() else path.parent
    json_path = folder / "plan.json"
    toml = folder / INPUTS_DIR / "plan.toml"
    if not toml.is_file():
        raise PlanError(
            toml,
            "missing: the run's plan cannot be reloaded",
            fix="compare complete run folders written by allocate",
        )
    try:
        overrides = record.options.overrides()
    except UsageError as exc:
        raise PlanError(
            json_path, f"options cannot be used: {exc}", fix="run allocate again"
        ) from None
    plan = load_plan(toml, overrides)
    ids = {p.program_id for p in plan.programs}
    allocations: dict[tuple[str, int], int] = {}
    for n, (pid, year, amount, _) in enumerate(record.allocations, start=1):
        if pid not in ids:
            raise PlanError(
                json_path,
                f"allocations entry #{n} names program {pid!r}, which is not in "
                f"{INPUTS_DIR}/ of the run",
                fix="compare complete, unedited run folders",
            )
        if amount:
            allocations[(pid, year)] = allocations.get((pid, year), 0) + amount
    funded = {pid: bool(record.funded.get(pid, False)) for pid in sorted(ids)}
    for pid, _ in allocations:
        funded[pid] = True
    contracts = {(pid, year): amount for pid, year, amount in record.contracts if pid in ids}
    if not record.has_plan:
        allocations = {}
        contracts = {}
        funded = dict.fromkeys(funded, False)
    return SolvedPlan(
        path=folder,
        label=folder.resolve().name or str(folder),
        record=record,
        plan=plan,
        allocations=allocations,
        funded=funded,
        rank_values={k: _clean_value(v) for k, v in record.rank_values().items()},
        contracts=contracts,
    )


def _not_a_run(path: Path, why: str) -> UsageError:
    return UsageError(
        "PLAN",
        f"{path}: {why}",
        "give a run folder written by allocate (or its plan.json)",
    )


# ---------------------------------------------------------------------------------------------
# the comparison


@dataclass(frozen=True)
class Row:
    """One row of the comparison (one row of ``compare.csv``).

    Attributes
    ----------
    section, key, metric : str
        What the row is: e.g. ``("fiscal_year", "2027", "defense_alloc_oku_yen")``,
        ``("input", "program:B02", "high_oku_yen")``.
    values : tuple
        The value in each plan, in the order of :attr:`Comparison.plans`.
    diffs : tuple
        For each plan after the reference: its difference to the reference. Numbers: value
        minus the reference's (億円, years, percentage points); ``None`` where either value is
        missing. Text: ``""`` when equal, else ``"changed"``; for a program's ``funded`` row the
        kinds of change joined by ``+`` (``"new"``, ``"moved+total"``, ...).
    """

    section: str
    key: str
    metric: str
    values: tuple[Cell, ...]
    diffs: tuple[Cell, ...]

    @property
    def differs(self) -> bool:
        """True if any plan differs from the reference in this row."""
        return any(d not in (None, "", 0) for d in self.diffs) or any(
            (v is None) != (self.values[0] is None) for v in self.values[1:]
        )


@dataclass(frozen=True)
class ProgramChange:
    """How a program changed in one compared plan against the reference.

    Years are fiscal years; money in 億円. ``mean_year`` is the money-weighted mean fiscal year
    of the program's payments (Σ year × 億円 / Σ 億円), rounded to 0.01 year.
    """

    plan: int
    """Index of the compared plan in :attr:`Comparison.plans` (1 or more)."""
    program_id: str
    name_ja: str
    name_en: str
    rank: int
    area: str
    kinds: tuple[str, ...]
    """A subset of :data:`CHANGE_KINDS`, in that order."""
    total_ref: int
    total: int
    first_year_ref: int | None
    first_year: int | None
    last_year_ref: int | None
    last_year: int | None
    mean_year_ref: float | None
    mean_year: float | None

    @property
    def total_diff(self) -> int:
        """億円 more (negative: less) than in the reference."""
        return self.total - self.total_ref

    @property
    def first_year_shift(self) -> int | None:
        """Years by which the first funded year moved (later: positive); ``None`` unless
        funded in both."""
        if self.first_year is None or self.first_year_ref is None:
            return None
        return self.first_year - self.first_year_ref

    @property
    def mean_year_shift(self) -> float | None:
        """Years by which the money-weighted mean year moved (later: positive)."""
        if self.mean_year is None or self.mean_year_ref is None:
            return None
        return round(self.mean_year - self.mean_year_ref, 2)


@dataclass(frozen=True)
class Comparison:
    """Two or more solved plans compared with the first (the reference).

    Attributes
    ----------
    plans : tuple of SolvedPlan
        The plans; ``plans[0]`` is the reference.
    labels : tuple of str
        A unique short label per plan (the folder name, ``-2``, ``-3``, ... added to repeats).
    years : tuple of int
        Every fiscal year of any plan's horizon, ascending.
    rows : tuple of Row
        Every row, by section in the order of :data:`SECTIONS`, in a stable order.
    program_changes : tuple of ProgramChange
        Programs that changed, per compared plan (in plan order), then new, cut, changed in
        total, moved only; then by rank and id.
        Empty for a pair where either plan has no schedule.
    """

    plans: tuple[SolvedPlan, ...]
    labels: tuple[str, ...]
    years: tuple[int, ...]
    rows: tuple[Row, ...]
    program_changes: tuple[ProgramChange, ...]

    @property
    def reference(self) -> SolvedPlan:
        return self.plans[0]

    def section(self, name: str) -> list[Row]:
        """The rows of one section, in order."""
        return [r for r in self.rows if r.section == name]

    def row(self, section: str, key: str, metric: str) -> Row:
        """The row ``(section, key, metric)``.

        Raises
        ------
        KeyError
            If there is no such row.
        """
        return self._index[(section, key, metric)]

    @cached_property
    def _index(self) -> dict[tuple[str, str, str], Row]:
        return {(r.section, r.key, r.metric): r for r in self.rows}

    def input_differences(self) -> list[Row]:
        """The ``input`` rows: only settings where some plan differs from another."""
        return self.section("input")

    def changes_for(self, plan: int) -> list[ProgramChange]:
        """Program changes of plan ``plan`` (index ≥ 1) against the reference."""
        return [c for c in self.program_changes if c.plan == plan]

    def group_choices(self) -> list[Row]:
        """The ``funded`` row of each group: which of its programs each plan funds."""
        return [r for r in self.section("group") if r.metric == "funded"]


def _unique_labels(names: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out: list[str] = []
    taken = set(names)
    for name in names:
        n = seen.get(name, 0) + 1
        seen[name] = n
        label = name
        if n > 1:
            k = n
            while f"{name}-{k}" in taken:
                k += 1
            label = f"{name}-{k}"
            taken.add(label)
        out.append(label)
    return tuple(out)


def _num_diff(ref: Cell, other: Cell) -> Cell:
    if ref is None or other is None:
        return None
    if isinstance(ref, int) and isinstance(other, int):
        return other - ref
    if isinstance(ref, int | float) and isinstance(other, int | float):
        return round(other - ref, 6)
    return "" if ref == other else "changed"


def _text_diff(ref: Cell, other: Cell) -> Cell:
    return "" if ref == other else "changed"


def _row(
    section: str,
    key: str,
    metric: str,
    values: Sequence[Cell],
    diff: Callable[[Cell, Cell], Cell] | None = None,
) -> Row:
    if diff is None:
        diff = _text_diff if metric in _TEXT_METRICS else _num_diff
    vals = tuple(values)
    return Row(section, key, metric, vals, tuple(diff(vals[0], v) for v in vals[1:]))


def _pct(numerator: int, denominator: int) -> float:
    return round(float(Fraction(numerator * 100, denominator)), 4)


class _PlanFigures:
    """Per-year and per-program sums of one plan, computed once."""

    def __init__(self, sp: SolvedPlan) -> None:
        self.sp = sp
        plan = sp.plan
        self.horizon = set(plan.fiscal_years)
        by_id = {p.program_id: p for p in plan.programs}
        self.defense: dict[int, int] = {}
        self.other: dict[int, int] = {}
        self.area: dict[str, int] = {}
        self.rank: dict[int, int] = {}
        for (pid, y), a in sp.allocations.items():
            p = by_id[pid]
            target = self.defense if plan.counts_toward_defense(p) else self.other
            target[y] = target.get(y, 0) + a
            self.area[p.area] = self.area.get(p.area, 0) + a
            self.rank[p.rank] = self.rank.get(p.rank, 0) + a

    def year(self, y: int) -> dict[str, Cell]:
        plan, sp = self.sp.plan, self.sp
        out: dict[str, Cell] = dict.fromkeys(YEAR_METRICS)
        inside = y in self.horizon
        if inside:
            out["gdp_oku_yen"] = plan.gdp(y)
            out["cap_oku_yen"] = plan.cap_oku_yen(y)
            out["baseline_oku_yen"] = plan.baseline(y)
        if not sp.has_plan:
            return out
        d, o = self.defense.get(y, 0), self.other.get(y, 0)
        out["defense_alloc_oku_yen"] = d
        out["other_alloc_oku_yen"] = o
        out["new_total_oku_yen"] = d + o
        if inside:
            total = plan.committed(y) + d  # baseline, obligations owed, new
            out["defense_total_oku_yen"] = total
            out["gdp_ratio_pct"] = _pct(total, plan.gdp(y))
            out["headroom_oku_yen"] = plan.cap_oku_yen(y) - total
        return out

    def totals(self) -> dict[str, Cell]:
        if not self.sp.has_plan:
            return dict.fromkeys(TOTAL_METRICS)
        years = [self.year(y) for y in sorted(self.horizon)]
        return {m: sum(int(v[m] or 0) for v in years) for m in TOTAL_METRICS}


def _mean_year(years: dict[int, int]) -> float | None:
    total = sum(years.values())
    if not total:
        return None
    return round(sum(y * a for y, a in years.items()) / total, 2)


def _program_change(ref: SolvedPlan, other: SolvedPlan, index: int, p: Program) -> ProgramChange:
    pid = p.program_id
    ry, oy = ref.program_years(pid), other.program_years(pid)
    rf, of = ref.funded.get(pid, False), other.funded.get(pid, False)
    rt, ot = sum(ry.values()), sum(oy.values())
    change = ProgramChange(
        plan=index,
        program_id=pid,
        name_ja=p.name_ja,
        name_en=p.name_en,
        rank=p.rank,
        area=p.area,
        kinds=(),
        total_ref=rt,
        total=ot,
        first_year_ref=min(ry) if ry else None,
        first_year=min(oy) if oy else None,
        last_year_ref=max(ry) if ry else None,
        last_year=max(oy) if oy else None,
        mean_year_ref=_mean_year(ry),
        mean_year=_mean_year(oy),
    )
    kinds: list[str] = []
    if of and not rf:
        kinds.append("new")
    elif rf and not of:
        kinds.append("cut")
    elif rf and of and ry != oy:
        if (
            change.first_year_shift
            or change.mean_year_shift
            or change.last_year != change.last_year_ref
            or rt == ot
        ):
            kinds.append("moved")
        if rt != ot:
            kinds.append("total")
    return replace(change, kinds=tuple(kinds))


def _change_order(kinds: tuple[str, ...]) -> int:
    """New, then cut, then changed in total, then moved only: money before timing."""
    for n, k in enumerate(("new", "cut", "total")):
        if k in kinds:
            return n
    return 3


def _union_programs(plans: Sequence[SolvedPlan]) -> list[Program]:
    """Every program of any plan: the reference's first (by rank, id), then the others'."""
    seen: dict[str, Program] = {}
    for sp in plans:
        for p in sorted(sp.plan.programs, key=lambda q: (q.rank, q.program_id)):
            seen.setdefault(p.program_id, p)
    ref_ids = {p.program_id for p in plans[0].plan.programs}
    return sorted(seen.values(), key=lambda q: (q.program_id not in ref_ids, q.rank, q.program_id))


def compare(plans: Sequence[SolvedPlan]) -> Comparison:
    """Compare two or more solved plans with the first one.

    Parameters
    ----------
    plans : sequence of SolvedPlan
        Two or more runs from :func:`load_solved`; the first is the reference.

    Returns
    -------
    Comparison
        Per fiscal year, area, rank and program: each plan's figures (億円; ratio to GDP in %)
        and the difference to the reference (億円; percentage points; years); the program
        changes; and the inputs that differ.

    Raises
    ------
    UsageError
        (option ``PLAN``) if fewer than two plans are given.
    """
    plans = tuple(plans)
    if len(plans) < 2:
        raise UsageError(
            "PLAN",
            f"give two or more run folders to compare (got {len(plans)})",
            "e.g. allocate compare reports/a reports/b",
        )
    labels = _unique_labels([sp.label for sp in plans])
    figs = [_PlanFigures(sp) for sp in plans]
    years = tuple(sorted(set().union(*(f.horizon for f in figs))))
    union = _union_programs(plans)
    changes = _program_changes(plans, union)
    kinds_by = {(c.plan, c.program_id): "+".join(c.kinds) for c in changes}
    rows = [
        *_plan_rows(plans),
        *_year_rows(figs, years),
        *_contract_rows(plans),
        *_area_rows(figs),
        *_rank_rows(figs),
        *(row for p in union for row in _program_rows(plans, p.program_id, kinds_by)),
        *_group_rows(plans),
        *_input_rows(plans),
    ]
    return Comparison(
        plans=plans,
        labels=labels,
        years=years,
        rows=tuple(rows),
        program_changes=tuple(changes),
    )


def _plan_rows(plans: Sequence[SolvedPlan]) -> list[Row]:
    return [
        _row("plan", "run", "status", [sp.status for sp in plans]),
        _row("plan", "run", "cap", [format_cap(sp.plan.cap.ratio) for sp in plans]),
        _row("plan", "run", "gdp_case", [sp.plan.gdp_case for sp in plans]),
        _row(
            "plan",
            "run",
            "horizon",
            [year_span(sp.plan.first_year, sp.plan.last_year) for sp in plans],
        ),
        _row(
            "plan",
            "run",
            "programs_funded",
            [sum(sp.funded.values()) if sp.has_plan else None for sp in plans],
        ),
    ]


def _year_rows(figs: Sequence[_PlanFigures], years: Sequence[int]) -> list[Row]:
    """Each fiscal year's metrics, then their totals over each plan's horizon."""
    rows: list[Row] = []
    for y in years:
        per_plan = [f.year(y) for f in figs]
        for m in YEAR_METRICS:
            rows.append(_row("fiscal_year", str(y), m, [v[m] for v in per_plan]))
    totals = [f.totals() for f in figs]
    for m in TOTAL_METRICS:
        rows.append(_row("fiscal_year", "total", m, [t[m] for t in totals]))
    return rows


def _contract_rows(plans: Sequence[SolvedPlan]) -> list[Row]:
    """The ledger of each plan side by side: per fiscal year new contracts, payments,
    obligations outstanding and what falls due after the horizon; then the totals."""
    if not any(sp.has_contract_view for sp in plans):
        return []
    tables = [
        build_ledger(sp.plan, sp.allocations, sp.contracts).table.set_index("fiscal_year")
        if sp.has_plan
        else None
        for sp in plans
    ]
    years = sorted({int(y) for t in tables if t is not None for y in t.index})
    rows: list[Row] = []
    for y in years:
        for m in CONTRACT_METRICS:
            values: list[Cell] = [
                int(t.at[y, m]) if t is not None and y in t.index else None for t in tables
            ]
            rows.append(_row("contract", str(y), m, values))
    for m in CONTRACT_METRICS:
        values = []
        for t in tables:
            if t is None:
                values.append(None)
                continue
            inside = t[t.in_horizon == "yes"]
            at_end = m in ("outstanding_end_oku_yen", "owed_past_horizon_oku_yen")
            values.append(int(inside[m].iloc[-1]) if at_end else int(inside[m].sum()))
        rows.append(_row("contract", "total", m, values))
    return rows


def _area_rows(figs: Sequence[_PlanFigures]) -> list[Row]:
    area_ids: list[str] = []
    for f in figs:
        area_ids += [a.id for a in f.sp.plan.areas if a.id not in area_ids]
    return [
        _row(
            "area",
            a,
            "funded_oku_yen",
            [f.area.get(a, 0) if f.sp.has_plan else None for f in figs],
        )
        for a in area_ids
    ]


def _rank_rows(figs: Sequence[_PlanFigures]) -> list[Row]:
    plans = [f.sp for f in figs]
    rows: list[Row] = []
    for r in sorted({r.rank for sp in plans for r in sp.plan.ranks}):
        key = str(r)
        funded = [f.rank.get(r, 0) if f.sp.has_plan else None for f in figs]
        rows += [
            _row("rank", key, "funded_oku_yen", funded),
            _row(
                "rank",
                key,
                "value",
                [sp.rank_values.get(r) if sp.has_plan else None for sp in plans],
            ),
            _row("rank", key, "status", [sp.rank_status.get(r, "not_solved") for sp in plans]),
            _row("rank", key, "gap", [sp.rank_gaps.get(r) for sp in plans]),
        ]
    return rows


def _program_changes(plans: Sequence[SolvedPlan], union: Sequence[Program]) -> list[ProgramChange]:
    """Programs that changed, per compared plan: new, cut, changed in total, moved only."""
    changes: list[ProgramChange] = []
    for index, other in enumerate(plans[1:], start=1):
        if not (plans[0].has_plan and other.has_plan):
            continue
        mine = [_program_change(plans[0], other, index, p) for p in union]
        changes += sorted(
            (c for c in mine if c.kinds),
            key=lambda c: (_change_order(c.kinds), c.rank, c.program_id),
        )
    return changes


def _program_rows(
    plans: Sequence[SolvedPlan], pid: str, kinds_by: dict[tuple[int, str], str]
) -> list[Row]:
    """The four rows of one program: funded (diff: kinds of change), total, first and mean
    year (diff: shifts in years)."""

    def funded(sp: SolvedPlan) -> Cell:
        if not any(q.program_id == pid for q in sp.plan.programs):
            return "absent"
        if not sp.has_plan:
            return None
        return "yes" if sp.funded.get(pid) else "no"

    both = [plans[0].has_plan and sp.has_plan for sp in plans[1:]]
    per_years = [sp.program_years(pid) for sp in plans]
    contract_rows = []
    if any(sp.has_contract_view for sp in plans):
        contract_rows.append(
            _row(
                "program",
                pid,
                "contract_total_oku_yen",
                [sp.program_contracts(pid) if sp.has_plan else None for sp in plans],
            )
        )
    return [
        Row(
            "program",
            pid,
            "funded",
            tuple(funded(sp) for sp in plans),
            tuple(kinds_by.get((i, pid), "") if ok else None for i, ok in enumerate(both, start=1)),
        ),
        _row(
            "program",
            pid,
            "total_oku_yen",
            [
                sum(py.values()) if sp.has_plan else None
                for sp, py in zip(plans, per_years, strict=True)
            ],
        ),
        _row("program", pid, "first_year", [min(py) if py else None for py in per_years]),
        _row("program", pid, "mean_year", [_mean_year(py) for py in per_years]),
        *contract_rows,
    ]


def _group_rows(plans: Sequence[SolvedPlan]) -> list[Row]:
    """Per group (the reference's first, then the others'): which of its programs are funded in
    each plan, and how many."""
    ids: list[str] = []
    for sp in plans:
        ids += [g.id for g in sp.plan.groups if g.id not in ids]
    rows: list[Row] = []
    for gid in ids:
        chosen: list[Cell] = []
        counts: list[Cell] = []
        for sp in plans:
            g = next((x for x in sp.plan.groups if x.id == gid), None)
            if g is None or not sp.has_plan:
                chosen.append("absent" if g is None else None)
                counts.append(None)
                continue
            on = [pid for pid in g.programs if sp.funded.get(pid)]
            chosen.append("+".join(on) if on else "none")
            counts.append(len(on))
        rows += [
            _row("group", gid, "funded", chosen, _choice_diff),
            _row("group", gid, "count", counts, _num_diff),
        ]
    return rows


def _choice_diff(ref: Cell, other: Cell) -> Cell:
    if ref is None or other is None:
        return None
    return "" if ref == other else "changed"


# ---------------------------------------------------------------------------------------------
# inputs


_INPUT_GROUPS = (
    "cap",
    "gdp",
    "gdp_year",
    "horizon",
    "baseline_year",
    "fiscal",
    "fiscal_year",
    "contracts",
    "obligation_year",
    "vehicle",
    "solver",
    "program",
    "area",
    "phase",
    "bound",
    "group",
    "rank",
    "plan",
    "file",
)
"""Order of the input differences: the settings that move the most money first."""


def _fmt_input(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, tuple):
        parts: list[str] = []
        for item in value:
            if isinstance(item, tuple):
                parts.append(":".join(str(x) for x in item))
            elif hasattr(item, "program_id"):
                kind = getattr(item, "kind", "start")
                parts.append(item.program_id + ("" if kind == "start" else f":{kind}"))
            else:
                parts.append(str(item))
        return ";".join(parts)
    return str(value)


_InputKey = tuple[int, Any, str, str, int]
"""(group order, natural key, key, metric, field order): the sort key of an input row."""


def _entity_items(
    out: dict[_InputKey, Cell],
    group: str,
    ident: Any,
    key: str,
    entity: Any,
    fields: Sequence[str],
) -> None:
    g = _INPUT_GROUPS.index(group)
    out[(g, ident, key, "present", -1)] = "yes"
    for i, f in enumerate(fields):
        out[(g, ident, key, f, i)] = _fmt_input(getattr(entity, f))


def _input_items(sp: SolvedPlan, fiscal_years: set[int]) -> dict[_InputKey, Cell]:
    p = sp.plan
    out: dict[_InputKey, Cell] = {}

    def put(group: str, ident: Any, key: str, metric: str, value: Any, order: int = 0) -> None:
        out[(_INPUT_GROUPS.index(group), ident, key, metric, order)] = _fmt_input(value)

    put("cap", 0, "cap", "ratio", format_cap(p.cap.ratio), 0)
    base = f"fixed_year:{p.cap.base_year}" if p.cap.base == "fixed_year" else p.cap.base
    put("cap", 0, "cap", "base", base, 1)
    put("gdp", 0, "gdp", "case", p.gdp_case)
    for y, g in p.gdp_oku_yen:
        put("gdp_year", y, f"gdp:{y}", "gdp_oku_yen", g)
    put("horizon", 0, "horizon", "first_year", p.first_year, 0)
    put("horizon", 0, "horizon", "years", p.years, 1)
    for y, b in p.baseline_oku_yen:
        put("baseline_year", y, f"baseline:{y}", "oku_yen", b)
    put("fiscal", 0, "fiscal", "max_new_per_year_oku_yen", p.fiscal.max_new_per_year_oku_yen, 0)
    put("fiscal", 0, "fiscal", "max_new_total_oku_yen", p.fiscal.max_new_total_oku_yen, 1)
    put("fiscal", 0, "fiscal", "max_growth_ratio", p.fiscal.max_growth_ratio, 2)
    per_year = dict(p.fiscal.per_year_oku_yen)
    for y in sorted(fiscal_years):
        put("fiscal_year", y, f"fiscal:{y}", "per_year_oku_yen", per_year.get(y))
    for i, (name, value) in enumerate(p.contracts.model_dump().items()):
        if name != "source":
            put("contracts", 0, "contracts", name, value, i)
    owed: dict[int, int] = {}
    for o in p.obligations:
        owed[o.fiscal_year] = owed.get(o.fiscal_year, 0) + o.oku_yen
    for y, amount in owed.items():
        put("obligation_year", y, f"obligations:{y}", "oku_yen", amount)
    for v in p.vehicles:
        _entity_items(out, "vehicle", v.id, f"vehicle:{v.id}", v, _VEHICLE_FIELDS)
    put("solver", 0, "solver", "time_limit_seconds", p.solver.time_limit_seconds, 0)
    put("solver", 0, "solver", "gap", p.solver.gap, 1)
    put("solver", 0, "solver", "tolerance", p.solver.tolerance, 2)
    for prog in p.programs:
        _entity_items(
            out, "program", prog.program_id, f"program:{prog.program_id}", prog, _PROGRAM_FIELDS
        )
    area_fields = ("name_ja", "name_en", "low_oku_yen", "high_oku_yen", "counts_toward_defense")
    for a in p.areas:
        _entity_items(out, "area", a.id, f"area:{a.id}", a, (*area_fields, "period_years"))
    phase_fields = ("name_ja", "name_en", "first_year", "last_year", "low_oku_yen", "high_oku_yen")
    for ph in p.phases:
        _entity_items(out, "phase", ph.id, f"phase:{ph.id}", ph, phase_fields)
    for bd in p.bounds:
        _entity_items(out, "bound", bd.id, f"bound:{bd.id}", bd, (*phase_fields, "areas"))
    group_fields = (
        "name_ja", "name_en", "programs", "at_most", "at_least", "all_or_none", "requires",
        "requires_any",
    )  # fmt: skip
    for grp in p.groups:
        _entity_items(out, "group", grp.id, f"group:{grp.id}", grp, group_fields)
    for r in p.ranks:
        _entity_items(out, "rank", r.rank, f"rank:{r.rank}", r, ("name_ja", "name_en", "areas"))
    put("plan", 0, "plan", "name", p.name)
    for name, digest in sorted(sp.record.inputs.items()):
        put("file", name, f"file:{name}", "sha256", digest[:12])
    return out


def _input_rows(plans: Sequence[SolvedPlan]) -> list[Row]:
    fiscal_years = {y for sp in plans for y, _ in sp.plan.fiscal.per_year_oku_yen}
    items = [_input_items(sp, fiscal_years) for sp in plans]
    keys = sorted(
        set().union(*(i.keys() for i in items)),
        key=lambda k: (k[0], str(type(k[1])), k[1], k[4], k[3]),
    )
    rows: list[Row] = []
    for k in keys:
        metric = k[3]
        values: list[Cell] = [i.get(k, "no" if metric == "present" else None) for i in items]
        # None: not applicable in that plan (an absent program's fields, a year outside the
        # horizon, a base year of an each-year cap); only applicable values are compared
        applicable = [v for v in values if v is not None]
        if len(applicable) < 2 or len({repr(v) for v in applicable}) < 2:
            continue
        rows.append(_row("input", k[2], metric, values, _input_diff))
    return rows


def _input_diff(ref: Cell, other: Cell) -> Cell:
    if ref is None or other is None:
        return None
    if (
        isinstance(ref, int | float)
        and isinstance(other, int | float)
        and not isinstance(ref, bool)
        and not isinstance(other, bool)
    ):
        return _num_diff(ref, other)
    return "" if ref == other else "changed"


# ---------------------------------------------------------------------------------------------
# the table for compare.csv


def diff_column(label: str) -> str:
    """Name of the column holding a plan's difference to the reference in ``compare.csv``."""
    return f"diff_{label}"


def comparison_table(cmp: Comparison) -> pd.DataFrame:
    """The long table written as ``compare.csv``.

    Parameters
    ----------
    cmp : Comparison
        From :func:`compare`.

    Returns
    -------
    pandas.DataFrame
        Columns ``section, key, metric``, one column per plan (its label), then
        ``diff_<label>`` for each plan after the reference. One row per :class:`Row`, in the
        stable order of :attr:`Comparison.rows`. 億円 and years are integers, ratios to GDP are
        percent (4 decimals) and their differences percentage points; empty where a value does
        not exist (no plan, a year outside the horizon).
    """
    cols = ["section", "key", "metric", *cmp.labels, *(diff_column(x) for x in cmp.labels[1:])]
    data = [[r.section, r.key, r.metric, *r.values, *r.diffs] for r in cmp.rows]
    return pd.DataFrame(data, columns=cols, dtype=object)


# ---------------------------------------------------------------------------------------------
# writing


def compare_folder_name(labels: Sequence[str]) -> str:
    """``compare-<labelA>-vs-<labelB>[-vs-...]``, the words the labels share at the start
    written once (``compare-japan-defense-2026-cap2pct-vs-cap1.9pct``); a name too long is cut
    between words (:func:`safe_name`), never after a dangling ``-vs``."""
    names = [safe_name(x) for x in labels]
    words = [x.split("-") for x in names]
    n = 0  # whole words shared at the start
    while all(len(w) > n + 1 and w[n] == words[0][n] for w in words):
        n += 1
    shared = "".join(f"{w}-" for w in words[0][:n])
    if len(names) > 1 and shared and all(len(x) > len(shared) for x in names):
        text = "compare-" + shared + "-vs-".join(x[len(shared) :] for x in names)
    else:
        text = "compare-" + "-vs-".join(names)
    name = safe_name(text)
    return name.removesuffix("-vs")


def default_compare_dir(cmp: Comparison, reports: Path) -> Path:
    """``reports/<compare_folder_name>/``; if taken, the first free ``-2``, ``-3``, ... (ASCII
    letters, digits, '.', '_' and '-' only, so it stays inside ``reports``)."""
    return free_folder(Path(reports), compare_folder_name(cmp.labels))


__all__ = [
    "CHANGE_KINDS",
    "GROUP_METRICS",
    "SECTIONS",
    "Comparison",
    "ProgramChange",
    "Row",
    "SolvedPlan",
    "compare",
    "compare_folder_name",
    "comparison_table",
    "default_compare_dir",
    "diff_column",
    "load_solved",
]
