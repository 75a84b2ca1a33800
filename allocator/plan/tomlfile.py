"""``plan.toml``: its shape and types (pydantic), with unknown keys refused, since a misspelt
setting must never be silently ignored. :func:`read_toml` raises :class:`PlanError` naming the
file, the line or key, and the fix.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictInt, ValidationError

from allocator.errors import PlanError
from allocator.plan.contracts import RawContracts, RawVehicle
from allocator.plan.limits import MAX_FILE_BYTES, check_toml_numbers
from allocator.plan.schema import AggregateBound, Area, Phase, Rank


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _RawPlanHeader(_Raw):
    name: str
    title_ja: str = ""
    title_en: str = ""
    first_year: int
    years: int
    programs: str = "programs.csv"
    gdp: str = "gdp.csv"
    outputs: str | None = None
    """``outputs.csv``: which programs deliver into which ``[[indicators]]`` (optional)."""
    gdp_case: str
    source: str = ""


class _RawCap(_Raw):
    ratio: str | float = "2%"
    base: Literal["each_year", "fixed_year"] = "each_year"
    base_year: int | None = None
    floor_ratio: str | float | None = None
    floor_from: int | None = None
    source: str = ""


class _RawBaseline(_Raw):
    oku_yen: int
    source: str = ""
    note: str = ""
    by_year: dict[str, int] = {}


class _RawFiscal(_Raw):
    max_new_per_year_oku_yen: int | None = None
    max_new_total_oku_yen: int | None = None
    max_growth_ratio: float | None = None
    per_year_oku_yen: dict[str, int] = {}
    source: str = ""


class _RawSolver(_Raw):
    time_limit_seconds: float = 120.0
    gap: float = 0.0
    tolerance: float = 0.0
    floors: Literal["priority", "hard"] = "priority"
    profile: Literal["level", "early"] = "level"


class RawGroup(_Raw):
    """One ``[[groups]]`` entry as written (checked by :func:`allocator.plan.checks.check_groups`,
    then turned into a :class:`~allocator.plan.schema.Group`)."""

    id: str
    name_ja: str
    name_en: str
    programs: list[str]
    at_most: StrictInt | None = None
    at_least: StrictInt | None = None
    all_or_none: bool = False
    requires: list[str] = []
    requires_any: list[str] = []
    source: str
    note: str = ""


class RawTarget(_Raw):
    """One ``[[indicators.targets]]`` entry as written."""

    fiscal_year: StrictInt
    level: StrictInt | float
    rule: bool = False
    source: str = ""


class RawIndicator(_Raw):
    """One ``[[indicators]]`` entry as written (turned into an
    :class:`~allocator.plan.schema.Indicator` by :mod:`allocator.plan.indicators`)."""

    id: str
    name_ja: str
    name_en: str
    unit_ja: str = ""
    unit_en: str = ""
    kind: Literal["stock", "flow"] = "stock"
    direction: Literal["up", "down"] = "up"
    start: StrictInt | float = 0
    targets: list[RawTarget] = []
    source: str
    note: str = ""


class RawFile(_Raw):
    plan: _RawPlanHeader
    cap: _RawCap = _RawCap()
    baseline: _RawBaseline
    fiscal: _RawFiscal = _RawFiscal()
    solver: _RawSolver = _RawSolver()
    ranks: list[Rank]
    areas: list[Area]
    phases: list[Phase]
    bounds: list[AggregateBound] = []
    groups: list[RawGroup] = []
    contracts: RawContracts = RawContracts()
    vehicles: list[RawVehicle] = []
    indicators: list[RawIndicator] = []


def _toml_location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"[[{parts[-1]}]] #{item + 1}" if parts else f"#{item + 1}"
        else:
            parts.append(str(item))
    return ", key ".join(parts) if parts else "(top level)"


def read_toml(path: Path) -> tuple[RawFile, bytes]:
    if not path.exists():
        raise PlanError(path, "file not found", fix="give --plan a plan folder or its plan.toml")
    if path.is_dir():
        raise PlanError(path, "is a folder, not a file", fix="give the plan.toml inside it")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise PlanError(
            path,
            f"is {path.stat().st_size:,} bytes, more than a plan file can be ({MAX_FILE_BYTES:,})",
            fix="give the plan.toml of a plan folder",
        )
    data = path.read_bytes()
    if not data.strip():
        raise PlanError(path, "the file is empty", fix="start from data/plan.toml")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanError(path, "is not UTF-8 text", fix="save it as UTF-8") from None
    if text.startswith("\ufeff"):
        raise PlanError(
            path,
            "starts with two byte-order marks (BOM), so its first line cannot be read",
            row=1,
            fix="save it again as UTF-8 (one BOM or none)",
        )
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"at line (\d+), column (\d+)", msg)
        row = int(m.group(1)) if m else None
        col = m.group(2) if m else None
        detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise PlanError(
            path,
            f"TOML syntax error: {detail}",
            row=row,
            column=col,
            fix="correct the TOML syntax (strings in quotes, one key = value per line)",
        ) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise PlanError(
            path,
            f"a value cannot be read ({str(exc).split(';')[0]})",
            fix="check the numbers in the file: money is a whole number of 億円",
        ) from None
    check_toml_numbers(doc, path)
    try:
        raw = RawFile.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _toml_location(tuple(err["loc"]))
        kind = err["type"]
        if kind == "missing":
            msg, fix = f"{where} is missing", "add it (see docs/plan-format.md)"
        elif kind == "extra_forbidden":
            msg, fix = (
                f"{where} is not a known setting",
                "check its spelling in docs/plan-format.md",
            )
        else:
            msg = f"{where}: {err['msg']} (got {err.get('input')!r})"
            fix = "see docs/plan-format.md for its type"
        raise PlanError(path, msg, fix=fix) from None
    return raw, data
