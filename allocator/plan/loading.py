"""Read a plan folder (``plan.toml``, ``programs.csv``, ``gdp.csv``) into a :class:`Plan`.

Every problem is raised as a :class:`~allocator.errors.PlanError` naming the file, the row and
the column and saying what to write instead. Nothing here solves, prints or exits.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from allocator.plan.checks import check_plan
from allocator.errors import PlanError, UsageError
from allocator.plan.cap import parse_cap
from allocator.plan.schema import (
    MULTI_PHASE,
    AggregateBound,
    Area,
    CapSettings,
    FiscalCaps,
    Phase,
    Plan,
    Predecessor,
    Program,
    Rank,
    SolverSettings,
)

PLAN_FILE = "plan.toml"

# ---------------------------------------------------------------------------------------------
# plan.toml: shape and types, with unknown keys refused (a typo must not be silently ignored)


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
    gdp_case: str
    source: str = ""


class _RawCap(_Raw):
    ratio: str | float = "2%"
    base: Literal["each_year", "fixed_year"] = "each_year"
    base_year: int | None = None
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


class _RawFile(_Raw):
    plan: _RawPlanHeader
    cap: _RawCap = _RawCap()
    baseline: _RawBaseline
    fiscal: _RawFiscal = _RawFiscal()
    solver: _RawSolver = _RawSolver()
    ranks: list[Rank]
    areas: list[Area]
    phases: list[Phase]
    bounds: list[AggregateBound] = []


def _toml_location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"[[{parts[-1]}]] #{item + 1}" if parts else f"#{item + 1}"
        else:
            parts.append(str(item))
    return ", key ".join(parts) if parts else "(top level)"


def _read_toml(path: Path) -> tuple[_RawFile, bytes]:
    if not path.exists():
        raise PlanError(path, "file not found", fix="give --plan a plan folder or its plan.toml")
    if path.is_dir():
        raise PlanError(path, "is a folder, not a file", fix="give the plan.toml inside it")
    data = path.read_bytes()
    if not data.strip():
        raise PlanError(path, "the file is empty", fix="start from data/plan.toml")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanError(path, "is not UTF-8 text", fix="save it as UTF-8") from None
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
    try:
        raw = _RawFile.model_validate(doc)
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


# ---------------------------------------------------------------------------------------------
# CSV files


@dataclass(frozen=True)
class CsvTable:
    path: Path
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    """(row number as Excel shows it, {column: cell}) for each non-empty data row."""
    encoding: str
    raw: bytes


def read_csv(path: Path, required: list[str]) -> CsvTable:
    """Read a CSV saved by Excel or a text editor: UTF-8 with or without BOM, or cp932.

    Raises PlanError for a missing or empty file, a missing column, or a duplicated column.
    """
    if not path.exists():
        raise PlanError(path, "file not found", fix="check the file name given in plan.toml")
    if path.is_dir():
        raise PlanError(path, "is a folder, not a CSV file")
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp932")
            encoding = "cp932"
        except UnicodeDecodeError:
            raise PlanError(
                path,
                "is neither UTF-8 nor Shift_JIS (cp932) text",
                fix="in Excel save as 'CSV UTF-8 (comma delimited)'",
            ) from None
    if not text.strip():
        raise PlanError(path, "the file is empty", fix="it needs a header row and data rows")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        all_rows = list(reader)
    except csv.Error as exc:
        raise PlanError(
            path, f"not a valid CSV file: {exc}", fix="save it again from Excel"
        ) from None
    header = [h.strip() for h in all_rows[0]]
    if len(header) == 1 and len(required) > 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs")):
            if sep in header[0]:
                raise PlanError(
                    path,
                    f"the header is one cell separated by {name}, not commas",
                    row=1,
                    fix="in Excel save as 'CSV UTF-8 (comma delimited)'",
                )
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            raise PlanError(path, f"column {h!r} appears twice", row=1, fix="keep one of them")
        seen.add(h)
    for col in required:
        if col not in header:
            raise PlanError(
                path,
                f"the header has no column {col!r}",
                row=1,
                column=col,
                fix=f"add a column named {col} (see docs/plan-format.md)",
            )
    rows: list[tuple[int, dict[str, str]]] = []
    for i, cells in enumerate(all_rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            raise PlanError(
                path,
                f"has {len(cells)} cells but the header has {len(header)}",
                row=i,
                fix="remove the extra cells or quote a value that contains a comma",
            )
        rows.append(
            (
                i,
                {
                    h: (cells[j].strip() if j < len(cells) else "")
                    for j, h in enumerate(header)
                    if h
                },
            )
        )
    if not rows:
        raise PlanError(path, "has a header but no data rows", fix="add at least one row")
    return CsvTable(path, header, rows, encoding, raw)


_INT_RE = re.compile(r"[+-]?\d+")


def _cell_int(t: CsvTable, row: int, col: str, text: str, *, minimum: int | None = 0) -> int:
    # full-width digits typed in Japanese Excel (１２００) are the same number
    s = unicodedata.normalize("NFKC", text).strip()
    if col.endswith("year"):  # 2026年度, FY2026 and 2026 all name fiscal year 2026
        s = re.sub(r"^(?:FY\s*)?(\d{4})(?:\s*年度)?$", r"\1", s, flags=re.IGNORECASE)
    if _INT_RE.fullmatch(s):
        value = int(s)
    else:
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", s):
            fix = f"write {s.replace(',', '')} without thousands separators"
        elif s.lower() in {"nan", "inf", "-inf", "none", "null", "n/a", "#n/a"}:
            fix = "write a whole number of 億円, or leave the cell empty where that is allowed"
        elif re.fullmatch(r"[+-]?\d+\.\d*", s):
            fix = "amounts are whole 億円: round to an integer (1.5兆円 = 15000)"
        else:
            fix = "write a whole number (億円 for amounts, e.g. 15000 for 1.5兆円)"
        raise PlanError(t.path, f"{text!r} is not a whole number", row=row, column=col, fix=fix)
    if minimum is not None and value < minimum:
        raise PlanError(
            t.path,
            f"{value} is below {minimum}",
            row=row,
            column=col,
            fix="amounts and counts cannot be negative",
        )
    return value


def _opt_int(
    t: CsvTable, row: int, cells: dict[str, str], col: str, minimum: int = 0
) -> int | None:
    text = cells.get(col, "")
    return None if text == "" else _cell_int(t, row, col, text, minimum=minimum)


_TRUE = {"yes", "y", "true", "1", "はい", "○", "x"}
_FALSE = {"no", "n", "false", "0", "いいえ", ""}


def _cell_bool(t: CsvTable, row: int, col: str, text: str) -> bool | None:
    s = text.strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return None if s == "" else False
    raise PlanError(
        t.path,
        f"{text!r} is not yes or no",
        row=row,
        column=col,
        fix="write yes or no (or leave it empty)",
    )


def _parse_profile(t: CsvTable, row: int, text: str) -> tuple[tuple[int, int], ...]:
    col = "payment_profile"
    pairs: dict[int, int] = {}
    for part in re.split(r"[;；]", text):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d{4})\s*[:：=]\s*([+-]?\d+)", part)
        if not m:
            raise PlanError(
                t.path,
                f"{part!r} is not year:amount",
                row=row,
                column=col,
                fix="write fixed payments as 2026:120;2027:300 (fiscal year:億円)",
            )
        year, amount = int(m.group(1)), int(m.group(2))
        if amount < 0:
            raise PlanError(
                t.path,
                f"payment {amount} in {year} is negative",
                row=row,
                column=col,
                fix="payments are amounts of 億円 ≥ 0",
            )
        if year in pairs:
            raise PlanError(
                t.path,
                f"year {year} appears twice",
                row=row,
                column=col,
                fix="give each fiscal year once",
            )
        pairs[year] = amount
    if not pairs:
        raise PlanError(
            t.path,
            "the payment profile is empty",
            row=row,
            column=col,
            fix="write e.g. 2026:120;2027:300 or leave the cell empty",
        )
    return tuple(sorted(pairs.items()))


def _parse_predecessors(t: CsvTable, row: int, text: str) -> tuple[Predecessor, ...]:
    out: list[Predecessor] = []
    for part in re.split(r"[;；,]", text):
        part = part.strip()
        if not part:
            continue
        pid, _, kind = part.partition(":")
        kind = kind.strip().lower() or "start"
        if kind not in ("start", "finish"):
            raise PlanError(
                t.path,
                f"{part!r}: {kind!r} is not start or finish",
                row=row,
                column="predecessor",
                fix="write A01 or A01:finish",
            )
        out.append(Predecessor(program_id=pid.strip(), kind=kind))  # type: ignore[arg-type]
    return tuple(out)


PROGRAM_COLUMNS = [
    "program_id", "name_ja", "name_en", "area", "phase", "rank",
    "window_first_year", "window_last_year", "low_oku_yen", "high_oku_yen",
    "max_per_year_oku_yen", "max_ramp_oku_yen", "unit_cost_oku_yen", "payment_profile",
    "value", "mandatory", "predecessor", "counts_toward_defense", "source", "note",
]  # fmt: skip
"""Every column of programs.csv, in the order of docs/plan-format.md and data/programs.csv."""

PROGRAM_COLUMNS_REQUIRED = [
    "program_id",
    "name_ja",
    "name_en",
    "area",
    "phase",
    "rank",
    "window_first_year",
    "window_last_year",
    "low_oku_yen",
    "high_oku_yen",
    "source",
]
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _program_from_row(t: CsvTable, row: int, c: dict[str, str]) -> Program:
    pid = c["program_id"]
    if not pid:
        raise PlanError(
            t.path,
            "program_id is empty",
            row=row,
            column="program_id",
            fix="give every program an ASCII id such as A01",
        )
    if not _ID_RE.fullmatch(pid):
        raise PlanError(
            t.path,
            f"{pid!r} is not an ASCII id",
            row=row,
            column="program_id",
            fix="use letters, digits, '_', '-' or '.' (e.g. A01)",
        )
    for col in ("name_ja", "name_en", "area", "phase", "rank", "source"):
        if not c.get(col, ""):
            raise PlanError(
                t.path, f"{col} is empty for {pid}", row=row, column=col, fix=f"fill in {col}"
            )
    profile = _parse_profile(t, row, c["payment_profile"]) if c.get("payment_profile") else None
    low = _opt_int(t, row, c, "low_oku_yen")
    high = _opt_int(t, row, c, "high_oku_yen")
    if profile is not None:
        total = sum(a for _, a in profile)
        low = total if low is None else low
        high = total if high is None else high
    for col, v in (("low_oku_yen", low), ("high_oku_yen", high)):
        if v is None:
            raise PlanError(
                t.path,
                f"{col} is empty for {pid}",
                row=row,
                column=col,
                fix="give the program's cost range in 億円",
            )
    assert low is not None and high is not None
    value_text = c.get("value", "")
    value: float | None = None
    if value_text:
        try:
            value = float(value_text.replace("\u3000", "").strip())
        except ValueError:
            raise PlanError(
                t.path,
                f"{value_text!r} is not a number",
                row=row,
                column="value",
                fix="write a number, or leave empty to count 億円 funded",
            ) from None
        if not math.isfinite(value) or value < 0:
            raise PlanError(
                t.path,
                f"{value_text!r} is not a finite number ≥ 0",
                row=row,
                column="value",
                fix="write a number ≥ 0 or leave it empty",
            )
    unit_cost = _opt_int(t, row, c, "unit_cost_oku_yen", minimum=1)
    return Program(
        program_id=pid,
        name_ja=c["name_ja"],
        name_en=c["name_en"],
        area=c["area"],
        phase=c["phase"],
        rank=_cell_int(t, row, "rank", c["rank"], minimum=1),
        window_first_year=_cell_int(t, row, "window_first_year", c["window_first_year"]),
        window_last_year=_cell_int(t, row, "window_last_year", c["window_last_year"]),
        low_oku_yen=low,
        high_oku_yen=high,
        max_per_year_oku_yen=_opt_int(t, row, c, "max_per_year_oku_yen"),
        max_ramp_oku_yen=_opt_int(t, row, c, "max_ramp_oku_yen"),
        unit_cost_oku_yen=unit_cost,
        payment_profile=profile,
        value=value,
        mandatory=bool(_cell_bool(t, row, "mandatory", c.get("mandatory", ""))),
        predecessors=_parse_predecessors(t, row, c.get("predecessor", "")),
        counts_toward_defense=_cell_bool(
            t, row, "counts_toward_defense", c.get("counts_toward_defense", "")
        ),
        source=c["source"],
        note=c.get("note", ""),
        row=row,
    )


def read_programs(path: Path) -> tuple[list[Program], CsvTable]:
    t = read_csv(path, PROGRAM_COLUMNS_REQUIRED)
    programs: list[Program] = []
    seen: dict[str, int] = {}
    for row, cells in t.rows:
        p = _program_from_row(t, row, cells)
        if p.program_id in seen:
            raise PlanError(
                path,
                f"program_id {p.program_id} is used twice (rows {seen[p.program_id]} and {row})",
                row=row,
                column="program_id",
                fix="give each program its own id",
            )
        seen[p.program_id] = row
        programs.append(p)
    return programs, t


def read_gdp(path: Path) -> tuple[dict[str, dict[int, int]], CsvTable]:
    t = read_csv(path, ["fiscal_year", "gdp_case", "gdp_oku_yen"])
    cases: dict[str, dict[int, int]] = {}
    for row, c in t.rows:
        year = _cell_int(t, row, "fiscal_year", c["fiscal_year"])
        case = c["gdp_case"]
        if not case:
            raise PlanError(
                path,
                "gdp_case is empty",
                row=row,
                column="gdp_case",
                fix="name the GDP case, e.g. past_projection",
            )
        gdp = _cell_int(t, row, "gdp_oku_yen", c["gdp_oku_yen"], minimum=1)
        if year in cases.setdefault(case, {}):
            raise PlanError(
                path,
                f"fiscal year {year} of case {case} appears twice",
                row=row,
                column="fiscal_year",
                fix="keep one row per year and case",
            )
        cases[case][year] = gdp
    return cases, t


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overrides:
    """Command-line settings that replace the plan's own."""

    cap: Fraction | None = None
    first_year: int | None = None
    years: int | None = None
    gdp_case: str | None = None
    time_limit_seconds: float | None = None
    gap: float | None = None
    cap_base: str | None = None
    """``each_year``, or ``fixed_year`` (with ``cap_base_year``)."""
    cap_base_year: int | None = None


def resolve_plan_file(path: Path) -> Path:
    return path / PLAN_FILE if path.is_dir() else path


def load_plan(path: Path, overrides: Overrides | None = None) -> Plan:
    """Load and check a plan folder (or its ``plan.toml``).

    Raises
    ------
    PlanError
        For any malformed or inconsistent input, naming file, row and column.
    UsageError
        For an override that does not fit the plan (a GDP case it lacks, a bad horizon).
    """
    ov = overrides or Overrides()
    toml_path = resolve_plan_file(path)
    raw, toml_bytes = _read_toml(toml_path)
    folder = toml_path.parent
    for key in ("programs", "gdp"):
        rel = getattr(raw.plan, key)
        if not _inside(rel):
            raise PlanError(
                toml_path,
                f"[plan] {key} = {rel!r} points outside the plan folder",
                column=f"plan.{key}",
                fix="keep the CSV files in the plan folder (or a folder below it)",
            )
    programs, prog_table = read_programs(folder / raw.plan.programs)
    gdp_cases, gdp_table = read_gdp(folder / raw.plan.gdp)

    notes: list[str] = []
    for t in (prog_table, gdp_table):
        if t.encoding == "cp932":
            notes.append(f"{t.path.name} was read as Shift_JIS (cp932); UTF-8 is preferred")

    cap_ratio = ov.cap
    if cap_ratio is None:
        try:
            cap_ratio = parse_cap(str(raw.cap.ratio), option="[cap] ratio")
        except UsageError as exc:
            raise PlanError(toml_path, str(exc), fix='write ratio = "2%"') from None

    first_year = raw.plan.first_year
    years = raw.plan.years
    shift = 0
    if ov.first_year is not None:
        shift = ov.first_year - first_year
        first_year = ov.first_year
    if ov.years is not None:
        if ov.years < 1:
            raise UsageError("--years", f"{ov.years} is not a horizon", "give 1 or more years")
        years = ov.years
    if years < 1 or years > 100:
        raise PlanError(
            toml_path,
            f"years = {years} is not a horizon length",
            column="plan.years",
            fix="give between 1 and 100 fiscal years",
        )
    last_year = first_year + years - 1

    gdp_case = ov.gdp_case or raw.plan.gdp_case
    if gdp_case not in gdp_cases:
        known = ", ".join(sorted(gdp_cases))
        if ov.gdp_case:
            raise UsageError(
                "--gdp-case",
                f"{gdp_case!r} is not in {gdp_table.path.name}",
                f"choose one of: {known}",
            )
        raise PlanError(
            toml_path,
            f"gdp_case {gdp_case!r} is not in {gdp_table.path.name}",
            column="plan.gdp_case",
            fix=f"choose one of: {known}",
        )

    def sy(y: int) -> int:
        return y + shift

    if shift:
        notes.append(
            f"plan moved by {shift:+d} years to start in {first_year}年度 "
            "(windows, phases and bounds moved with it)"
        )
        programs = [_shift_program(p, shift) for p in programs]

    # clip windows to the horizon when the user shortened it on the command line
    if ov.years is not None and ov.years < raw.plan.years:
        clipped: list[Program] = []
        for p in programs:
            if p.window_first_year > last_year:
                notes.append(f"{p.program_id} left out: its window starts after {last_year}年度")
                continue
            if p.window_last_year > last_year:
                notes.append(f"{p.program_id}: window cut to end in {last_year}年度")
                p = p.model_copy(update={"window_last_year": last_year})
            clipped.append(p)
        dropped = {p.program_id for p in programs} - {p.program_id for p in clipped}
        programs = [
            p.model_copy(
                update={
                    "predecessors": tuple(q for q in p.predecessors if q.program_id not in dropped)
                }
            )
            for p in clipped
        ]

    cap_base = raw.cap.base
    base_year = raw.cap.base_year
    if ov.cap_base is not None:
        if ov.cap_base not in ("each_year", "fixed_year"):
            raise UsageError(
                "--cap-base",
                f"{ov.cap_base!r} is not a cap base",
                "write each_year, or fixed_year:2022",
            )
        cap_base = ov.cap_base  # type: ignore[assignment]
    if ov.cap_base_year is not None:
        base_year = ov.cap_base_year
    if cap_base == "fixed_year" and base_year is None:
        raise PlanError(
            toml_path,
            '[cap] base = "fixed_year" needs base_year',
            column="cap.base_year",
            fix="add base_year = 2022",
        )

    baseline: dict[int, int] = {y: raw.baseline.oku_yen for y in range(first_year, last_year + 1)}
    for key, value in raw.baseline.by_year.items():
        y = _year_key(toml_path, "baseline.by_year", key)
        if sy(y) in baseline:
            baseline[sy(y)] = value

    per_year: list[tuple[int, int]] = []
    for key, value in raw.fiscal.per_year_oku_yen.items():
        per_year.append((sy(_year_key(toml_path, "fiscal.per_year_oku_yen", key)), value))

    gdp_all = gdp_cases[gdp_case]
    needed = list(range(first_year, last_year + 1))
    if cap_base == "fixed_year" and base_year is not None:
        needed.append(base_year)
    for y in needed:
        if y not in gdp_all:
            raise PlanError(
                gdp_table.path,
                f"no GDP for {y}年度 in case {gdp_case}",
                column="fiscal_year",
                fix=f"add a row fiscal_year={y}, gdp_case={gdp_case}",
            )
    gdp = tuple(sorted((y, gdp_all[y]) for y in set(needed)))

    digest = hashlib.sha256()
    for blob in (toml_bytes, prog_table.raw, gdp_table.raw):
        digest.update(hashlib.sha256(blob).digest())
    digest.update(
        repr(
            (
                str(cap_ratio),
                first_year,
                years,
                gdp_case,
                cap_base,
                base_year,
                ov.time_limit_seconds,
                ov.gap,
            )
        ).encode()
    )

    solver = SolverSettings(
        time_limit_seconds=(
            ov.time_limit_seconds
            if ov.time_limit_seconds is not None
            else raw.solver.time_limit_seconds
        ),
        gap=ov.gap if ov.gap is not None else raw.solver.gap,
        tolerance=raw.solver.tolerance,
    )
    shortened = ov.years is not None and ov.years < raw.plan.years
    areas, phases, bounds = _bounds_for_horizon(raw, sy, last_year, shortened, notes)
    plan = Plan(
        name=raw.plan.name,
        title_ja=raw.plan.title_ja,
        title_en=raw.plan.title_en,
        first_year=first_year,
        years=years,
        gdp_case=gdp_case,
        cap=CapSettings(ratio=cap_ratio, base=cap_base, base_year=base_year, source=raw.cap.source),
        baseline_oku_yen=tuple(sorted(baseline.items())),
        baseline_source=raw.baseline.source,
        fiscal=FiscalCaps(
            max_new_per_year_oku_yen=raw.fiscal.max_new_per_year_oku_yen,
            per_year_oku_yen=tuple(sorted(per_year)),
            max_new_total_oku_yen=raw.fiscal.max_new_total_oku_yen,
            max_growth_ratio=raw.fiscal.max_growth_ratio,
            source=raw.fiscal.source,
        ),
        solver=solver,
        ranks=tuple(raw.ranks),
        areas=areas,
        phases=phases,
        bounds=bounds,
        programs=tuple(programs),
        gdp_oku_yen=gdp,
        gdp_cases=tuple(sorted(gdp_cases)),
        input_hash=digest.hexdigest(),
        notes=tuple(notes),
    )
    check_plan(plan, toml_path=toml_path, programs_path=prog_table.path, clipped=shortened)
    return plan


def _bounds_for_horizon(
    raw: _RawFile, sy: Any, last_year: int, shortened: bool, notes: list[str]
) -> tuple[tuple[Area, ...], tuple[Phase, ...], tuple[AggregateBound, ...]]:
    """Areas, phases and bounds moved with the plan's start; with a horizon shorter than the
    plan's own, floors meant for money beyond the horizon are not applied (ceilings are): a
    five-year run cannot owe a fifteen-year total."""
    phases = [
        p.model_copy(update={"first_year": sy(p.first_year), "last_year": sy(p.last_year)})
        for p in raw.phases
    ]
    bounds = [
        b.model_copy(update={"first_year": sy(b.first_year), "last_year": sy(b.last_year)})
        for b in raw.bounds
    ]
    areas = list(raw.areas)
    if not shortened:
        return tuple(areas), tuple(phases), tuple(bounds)
    dropped: list[str] = []
    if any(a.low_oku_yen for a in areas):
        areas = [a.model_copy(update={"low_oku_yen": None}) for a in areas]
        dropped.append("areas")
    for i, p in enumerate(phases):
        if p.last_year > last_year and p.low_oku_yen:
            phases[i] = p.model_copy(update={"low_oku_yen": None})
            dropped.append(f"phase {p.id}")
    for i, b in enumerate(bounds):
        if b.last_year > last_year and b.low_oku_yen:
            bounds[i] = b.model_copy(update={"low_oku_yen": None})
            dropped.append(f"bound {b.id}")
    if dropped:
        notes.append(
            f"the horizon ends in {last_year}年度, before the plan's own: floors of "
            f"{', '.join(dropped)} are not applied (they are totals beyond the horizon); "
            "ceilings still are"
        )
    return tuple(areas), tuple(phases), tuple(bounds)


def _inside(rel: str) -> bool:
    """A relative path that stays inside its folder (no absolute path, no '..')."""
    from pathlib import PurePosixPath, PureWindowsPath

    parts = PurePosixPath(rel.replace("\\", "/")).parts
    return (
        bool(parts)
        and not PureWindowsPath(rel).is_absolute()
        and not rel.startswith("/")
        and ".." not in parts
    )


def _year_key(path: Path, table: str, key: str) -> int:
    if not re.fullmatch(r"\d{4}", key.strip()):
        raise PlanError(
            path,
            f"[{table}] key {key!r} is not a fiscal year",
            column=table,
            fix="write e.g. 2027 = 91000",
        )
    return int(key)


def _shift_program(p: Program, shift: int) -> Program:
    update: dict[str, Any] = {
        "window_first_year": p.window_first_year + shift,
        "window_last_year": p.window_last_year + shift,
    }
    if p.payment_profile is not None:
        update["payment_profile"] = tuple((y + shift, a) for y, a in p.payment_profile)
    return p.model_copy(update=update)


__all__ = ["MULTI_PHASE", "Overrides", "load_plan", "read_csv", "resolve_plan_file"]
