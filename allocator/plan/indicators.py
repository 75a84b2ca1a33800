"""What the money buys: ``[[indicators]]`` of plan.toml, ``outputs.csv`` (which programs deliver
into which indicator, per 億円 or per unit, and how many years later), their checks, and the
indicator trajectories of a schedule.

The mathematics (docs/model.md, "Indicators"): a program p with an output into indicator i
delivers ``D_{i,t} += r · q_{p,t−lag}``, where q is the 億円 paid (``per_oku_yen``) or the units
bought (``per_unit``) in that year. A stock indicator's level is ``start + s·Σ_{u≤t} D_{i,u}``,
a flow indicator's ``start + s·D_{i,t}`` (s = +1 for direction ``up``, −1 for ``down``).
Rates are exact fractions (``0.001`` is 1/1000), so a trajectory is exact.

The model builds the same sums as solver expressions (:mod:`allocator.optim.families.indicators`),
the verifier has its own copy (:mod:`allocator.run.verify.indicator_rules`); tests check that all
three agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from allocator.errors import PlanError
from allocator.plan.csvfile import CsvTable, cell_int, read_csv
from allocator.plan.schema import Indicator, IndicatorTarget, Output, Plan, Rank
from allocator.plan.tomlfile import RawIndicator

OUTPUT_COLUMNS = [
    "program_id",
    "indicator",
    "per_oku_yen",
    "per_unit",
    "lag_years",
    "source",
    "note",
]
"""Every column of outputs.csv (docs/plan-format.md)."""
OUTPUT_COLUMNS_REQUIRED = ["program_id", "indicator", "source"]

MAX_RATE = Fraction(10**9)
"""The largest output rate (per 億円 or per unit)."""
MAX_LAG_YEARS = 30
"""The longest delivery lag (years from payment to delivery)."""
MAX_RATE_DENOMINATOR = 10**9
"""Rates are exact fractions; one with a larger denominator is refused (write fewer digits)."""

_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_DECIMAL_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FRACTION_RE = re.compile(r"[+-]?\d+\s*/\s*\d+")

Cells = Mapping[tuple[str, int], tuple[int, int | None]]
"""A schedule: {(program_id, fiscal_year): (億円, units or None)}."""


# ---------------------------------------------------------------------------------------------
# reading


def exact_number(text: str) -> Fraction | None:
    """``0.001``, ``1/1000``, ``2`` or ``1e-3`` as an exact fraction; None when not a number."""
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if _FRACTION_RE.fullmatch(s):
        num, den = s.split("/")
        return Fraction(int(num), int(den)) if int(den) else None
    if _DECIMAL_RE.fullmatch(s) and len(s) <= 40:
        return Fraction(s)
    return None


def indicators_from_toml(raw: Sequence[RawIndicator], shift: int = 0) -> tuple[Indicator, ...]:
    """``[[indicators]]`` as written, target years moved by ``shift`` with the plan's start."""
    out = []
    for n, r in enumerate(raw, start=1):
        out.append(
            Indicator(
                id=r.id,
                name_ja=r.name_ja,
                name_en=r.name_en,
                unit_ja=r.unit_ja,
                unit_en=r.unit_en,
                kind=r.kind,
                direction=r.direction,
                start=Fraction(str(r.start)),
                targets=tuple(
                    IndicatorTarget(
                        fiscal_year=t.fiscal_year + shift,
                        level=Fraction(str(t.level)),
                        rule=t.rule,
                        source=t.source,
                    )
                    for t in r.targets
                ),
                source=r.source,
                note=r.note,
                entry=n,
            )
        )
    return tuple(out)


def shift_ranks(ranks: Sequence[Rank], shift: int) -> tuple[Rank, ...]:
    """Ranks with their ``indicator_year`` moved with the plan's start."""
    if not shift:
        return tuple(ranks)
    return tuple(
        r.model_copy(update={"indicator_year": r.indicator_year + shift})
        if r.indicator_year is not None
        else r
        for r in ranks
    )


def _rate(t: CsvTable, row: int, col: str, text: str) -> Fraction:
    value = exact_number(text)
    if value is None:
        raise PlanError(
            t.path,
            f"{text!r} is not a number",
            row=row,
            column=col,
            fix="write a number such as 0.001 or 1/1000 (units delivered per 億円 or per unit)",
        )
    if value < 0:
        raise PlanError(
            t.path,
            f"{text!r} is negative",
            row=row,
            column=col,
            fix="write how much the program delivers (≥ 0); an indicator where less is better "
            'takes direction = "down" in plan.toml instead',
        )
    if value > MAX_RATE or value.denominator > MAX_RATE_DENOMINATOR:
        raise PlanError(
            t.path,
            f"{text!r} is outside what a rate may be (at most {MAX_RATE}, nine decimals)",
            row=row,
            column=col,
            fix="give the rate in a larger unit of the indicator",
        )
    return value


def read_outputs(path: Path) -> tuple[list[Output], CsvTable]:
    """Read ``outputs.csv``: one row per program and indicator it delivers into.

    Raises PlanError for a missing column, an unknown one, a rate that is not a number ≥ 0, a
    row giving both or neither of ``per_oku_yen`` and ``per_unit``, a lag outside 0–30 years,
    or a program listed twice for the same indicator.
    """
    t = read_csv(path, OUTPUT_COLUMNS_REQUIRED, allowed=OUTPUT_COLUMNS)
    out: list[Output] = []
    seen: dict[tuple[str, str], int] = {}
    for row, c in t.rows:
        pid, ind = c["program_id"], c["indicator"]
        for col, v in (("program_id", pid), ("indicator", ind)):
            if not _ID_RE.fullmatch(v):
                raise PlanError(
                    path,
                    f"{v!r} is not an ASCII id" if v else f"{col} is empty",
                    row=row,
                    column=col,
                    fix="give the program_id of programs.csv and the id of an [[indicators]] "
                    "entry of plan.toml",
                )
        if not c.get("source", ""):
            raise PlanError(
                path,
                f"source is empty for {pid} → {ind}",
                row=row,
                column="source",
                fix="say where the rate comes from (a reference row, or 'assumption: why')",
            )
        per_oku = c.get("per_oku_yen", "")
        per_unit = c.get("per_unit", "")
        if bool(per_oku) == bool(per_unit):
            raise PlanError(
                path,
                f"{pid} → {ind} gives {'both' if per_oku else 'neither'} of per_oku_yen and "
                "per_unit",
                row=row,
                column="per_oku_yen",
                fix="give exactly one: per_oku_yen (delivered per 億円 paid) or per_unit "
                "(delivered per unit bought)",
            )
        lag = c.get("lag_years", "")
        lag_years = cell_int(t, row, "lag_years", lag) if lag else 0
        if lag_years > MAX_LAG_YEARS:
            raise PlanError(
                path,
                f"a lag of {lag_years} years",
                row=row,
                column="lag_years",
                fix=f"give the years from payment to delivery, 0 to {MAX_LAG_YEARS}",
            )
        if (pid, ind) in seen:
            raise PlanError(
                path,
                f"{pid} → {ind} is listed twice (rows {seen[pid, ind]} and {row})",
                row=row,
                column="indicator",
                fix="keep one row per program and indicator",
            )
        seen[pid, ind] = row
        out.append(
            Output(
                program_id=pid,
                indicator=ind,
                per_oku_yen=_rate(t, row, "per_oku_yen", per_oku) if per_oku else None,
                per_unit=_rate(t, row, "per_unit", per_unit) if per_unit else None,
                lag_years=lag_years,
                source=c["source"],
                note=c.get("note", ""),
                row=row,
            )
        )
    return out, t


# ---------------------------------------------------------------------------------------------
# checks


def check_indicators(plan: Plan, toml_path: Path, outputs_path: Path | None) -> None:
    """Indicators, their targets, the outputs and the ranks valued by an indicator agree.

    Raises PlanError naming the file, the entry or row, the key or column, and the fix.
    """
    seen: set[str] = set()
    for ind in plan.indicators:
        where = f"[[indicators]] #{ind.entry} ({ind.id})"
        if not _ID_RE.fullmatch(ind.id):
            raise PlanError(
                toml_path,
                f"{where}: id {ind.id!r} is not an ASCII id",
                column="indicators.id",
                fix="use letters, digits, '_', '-' or '.'",
            )
        if ind.id in seen:
            raise PlanError(
                toml_path,
                f"{where}: indicator {ind.id!r} is defined twice",
                column="indicators.id",
                fix="keep one [[indicators]] entry per indicator",
            )
        seen.add(ind.id)
        if not ind.source.strip():
            raise PlanError(
                toml_path,
                f"{where}: source is empty",
                column="indicators.source",
                fix="say where the starting level comes from (a reference row, or "
                "'assumption: why')",
            )
        years: set[int] = set()
        for target in ind.targets:
            if target.fiscal_year < plan.first_year:
                raise PlanError(
                    toml_path,
                    f"{where}: a target for {target.fiscal_year}年度, before the plan starts "
                    f"({plan.first_year}年度)",
                    column="indicators.targets.fiscal_year",
                    fix="give a fiscal year of the horizon or later",
                )
            if target.fiscal_year in years:
                raise PlanError(
                    toml_path,
                    f"{where}: two targets for {target.fiscal_year}年度",
                    column="indicators.targets.fiscal_year",
                    fix="keep one target per fiscal year",
                )
            years.add(target.fiscal_year)
            if not target.source.strip():
                raise PlanError(
                    toml_path,
                    f"{where}: the target for {target.fiscal_year}年度 has no source",
                    column="indicators.targets.source",
                    fix="say where the target comes from (a document, or 'assumption: why')",
                )
    programs = {p.program_id: p for p in plan.programs}
    for o in plan.outputs:
        path = outputs_path or toml_path
        if o.indicator not in seen:
            raise PlanError(
                path,
                f"indicator {o.indicator!r} is not an [[indicators]] entry of plan.toml",
                row=o.row,
                column="indicator",
                fix=f"use one of {sorted(seen)}" if seen else "add it to plan.toml [[indicators]]",
            )
        p = programs.get(o.program_id)
        if p is None:
            continue  # a program left out by a shortened horizon delivers nothing
        if o.per_unit is not None and p.unit_cost_oku_yen is None:
            raise PlanError(
                path,
                f"{o.program_id} has no unit cost, so it buys no units",
                row=o.row,
                column="per_unit",
                fix="give per_oku_yen instead, or a unit_cost_oku_yen in programs.csv",
            )
    for r in plan.ranks:
        if r.indicator is None and r.indicator_year is None:
            continue
        where = f"[[ranks]] rank {r.rank}"
        if r.indicator is None or r.indicator_year is None:
            raise PlanError(
                toml_path,
                f"{where}: indicator and indicator_year go together",
                column="ranks.indicator",
                fix='give both (indicator = "ships", indicator_year = 2032) or neither',
            )
        if r.indicator not in seen:
            raise PlanError(
                toml_path,
                f"{where}: indicator {r.indicator!r} is not an [[indicators]] entry",
                column="ranks.indicator",
                fix=f"use one of {sorted(seen)}" if seen else "add it to [[indicators]]",
            )
        if r.indicator_year < plan.first_year:
            raise PlanError(
                toml_path,
                f"{where}: indicator_year {r.indicator_year} is before the plan starts",
                column="ranks.indicator_year",
                fix=f"give {plan.first_year} or later",
            )


def check_output_programs(outputs: Iterable[Output], known: set[str], path: Path) -> None:
    """Every program of outputs.csv is in programs.csv (as written, before the horizon)."""
    for o in outputs:
        if o.program_id not in known:
            raise PlanError(
                path,
                f"program {o.program_id!r} is not in programs.csv",
                row=o.row,
                column="program_id",
                fix="use a program_id of programs.csv",
            )


# ---------------------------------------------------------------------------------------------
# trajectories


def outputs_by_program(plan: Plan) -> dict[str, list[Output]]:
    known = {p.program_id for p in plan.programs}
    out: dict[str, list[Output]] = {}
    for o in plan.outputs:
        if o.program_id in known:
            out.setdefault(o.program_id, []).append(o)
    return out


def output_quantity(o: Output, amount: int, units: int | None) -> Fraction:
    """What output ``o`` delivers from one year's money: rate × 億円, or rate × units."""
    if o.per_oku_yen is not None:
        return o.per_oku_yen * amount
    assert o.per_unit is not None
    return o.per_unit * (units or 0)


def indicator_years(plan: Plan, indicator: Indicator) -> list[int]:
    """The fiscal years of an indicator's trajectory: the horizon, and after it as long as
    money paid within it can still be delivered (the longest lag of its outputs)."""
    lags = [o.lag_years for o in plan.outputs if o.indicator == indicator.id]
    last = plan.last_year + max(lags, default=0)
    return list(range(plan.first_year, last + 1))


def deliveries(plan: Plan, cells: Cells) -> dict[str, dict[int, Fraction]]:
    """{indicator: {fiscal year: delivered}} of a schedule (years with nothing are absent)."""
    out: dict[str, dict[int, Fraction]] = {i.id: {} for i in plan.indicators}
    by_program = outputs_by_program(plan)
    for (pid, year), (amount, units) in sorted(cells.items()):
        for o in by_program.get(pid, ()):
            q = output_quantity(o, amount, units)
            if q:
                when = year + o.lag_years
                out[o.indicator][when] = out[o.indicator].get(when, Fraction(0)) + q
    return out


@dataclass(frozen=True)
class IndicatorPoint:
    """One indicator in one fiscal year of a schedule."""

    indicator: str
    fiscal_year: int
    delivered: Fraction
    """What the plan's money delivers in this year."""
    level: Fraction
    """The indicator's level at the end of the year (start ± deliveries)."""
    target: Fraction | None
    target_rule: bool
    target_met: bool | None
    """Whether the level meets the year's target (None: no target this year)."""
    in_horizon: bool


def trajectories(plan: Plan, cells: Cells) -> list[IndicatorPoint]:
    """Every indicator's level per fiscal year of :func:`indicator_years`, with its target."""
    delivered = deliveries(plan, cells)
    points: list[IndicatorPoint] = []
    for ind in plan.indicators:
        targets = {t.fiscal_year: t for t in ind.targets}
        mine = delivered[ind.id]
        total = Fraction(0)
        for y in indicator_years(plan, ind):
            d = mine.get(y, Fraction(0))
            total += d
            gain = total if ind.kind == "stock" else d
            target = targets.get(y)
            points.append(
                IndicatorPoint(
                    indicator=ind.id,
                    fiscal_year=y,
                    delivered=d,
                    level=ind.start + ind.sign * gain,
                    target=target.level if target else None,
                    target_rule=bool(target and target.rule),
                    target_met=(
                        None
                        if target is None
                        else target_met(ind, ind.start + ind.sign * gain, target.level)
                    ),
                    in_horizon=y <= plan.last_year,
                )
            )
    return points


def level_at(plan: Plan, indicator: Indicator, cells: Cells, year: int) -> Fraction:
    """The indicator's level in ``year`` (any year, also beyond its trajectory)."""
    mine = deliveries(plan, cells)[indicator.id]
    if indicator.kind == "stock":
        gain = sum((d for y, d in mine.items() if y <= year), Fraction(0))
    else:
        gain = mine.get(year, Fraction(0))
    return indicator.start + indicator.sign * gain


def target_met(indicator: Indicator, level: Fraction, target: Fraction) -> bool:
    """Whether ``level`` meets ``target``: at least (``up``) or at most (``down``)."""
    return level >= target if indicator.direction == "up" else level <= target


def rank_indicator_value(plan: Plan, rank: Rank, cells: Cells) -> Fraction:
    """The value of a rank valued by an indicator: what its own programs deliver into the
    indicator in the years up to ``indicator_year`` (the gain, whatever the direction)."""
    assert rank.indicator is not None and rank.indicator_year is not None
    mine = {p.program_id for p in plan.programs if p.rank == rank.rank}
    by_program = outputs_by_program(plan)
    value = Fraction(0)
    for (pid, year), (amount, units) in cells.items():
        if pid not in mine:
            continue
        for o in by_program.get(pid, ()):
            if o.indicator == rank.indicator and year + o.lag_years <= rank.indicator_year:
                value += output_quantity(o, amount, units)
    return value


def cells_of(
    rows: Iterable[tuple[str, int, int, int | None]],
) -> dict[tuple[str, int], tuple[int, int | None]]:
    """{(program_id, fiscal_year): (億円, units)} from (program_id, year, 億円, units) rows."""
    return {(pid, int(y)): (int(a), None if u is None else int(u)) for pid, y, a, u in rows}


__all__ = [
    "OUTPUT_COLUMNS",
    "Cells",
    "IndicatorPoint",
    "cells_of",
    "check_indicators",
    "deliveries",
    "exact_number",
    "indicator_years",
    "indicators_from_toml",
    "level_at",
    "outputs_by_program",
    "rank_indicator_value",
    "read_outputs",
    "target_met",
    "trajectories",
]
