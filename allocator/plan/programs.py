"""``programs.csv`` and ``gdp.csv``: one :class:`Program` per row, GDP per case and year."""

from __future__ import annotations

import math
import re
from pathlib import Path

from allocator.errors import PlanError
from allocator.plan.contracts import basis_cell, pattern_cell, vehicles_cell
from allocator.plan.csvfile import CsvTable, cell_bool, cell_int, opt_int, read_csv
from allocator.plan.limits import MAX_DIGITS, MAX_OKU_YEN, MAX_OKU_YEN_TEXT, MAX_VALUE
from allocator.plan.schema import Predecessor, Program


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
        if len(m.group(2).lstrip("+-")) > MAX_DIGITS or int(m.group(2)) > MAX_OKU_YEN:
            raise PlanError(
                t.path,
                f"payment {m.group(2)[:30]} in {m.group(1)} is above the largest amount the "
                f"model can hold, {MAX_OKU_YEN_TEXT}",
                row=row,
                column=col,
                fix="payments are in 億円 (1 兆円 = 10,000 億円)",
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
    "contract_pattern", "long_term_contract", "basis", "vehicles",
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
GDP_COLUMNS = ["fiscal_year", "gdp_case", "gdp_oku_yen", "source"]
"""Every column of gdp.csv (``source`` optional, as in docs/plan-format.md)."""

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
    low = opt_int(t, row, c, "low_oku_yen")
    high = opt_int(t, row, c, "high_oku_yen")
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
        if value > MAX_VALUE:
            raise PlanError(
                t.path,
                f"{value_text!r} is above the largest value the model can hold, {MAX_VALUE:g}",
                row=row,
                column="value",
                fix="values are relative weights: scale them down, or leave the cell empty",
            )
    unit_cost = opt_int(t, row, c, "unit_cost_oku_yen", minimum=1)
    return Program(
        program_id=pid,
        name_ja=c["name_ja"],
        name_en=c["name_en"],
        area=c["area"],
        phase=c["phase"],
        rank=cell_int(t, row, "rank", c["rank"], minimum=1),
        window_first_year=cell_int(t, row, "window_first_year", c["window_first_year"]),
        window_last_year=cell_int(t, row, "window_last_year", c["window_last_year"]),
        low_oku_yen=low,
        high_oku_yen=high,
        max_per_year_oku_yen=opt_int(t, row, c, "max_per_year_oku_yen"),
        max_ramp_oku_yen=opt_int(t, row, c, "max_ramp_oku_yen"),
        unit_cost_oku_yen=unit_cost,
        payment_profile=profile,
        value=value,
        mandatory=bool(cell_bool(t, row, "mandatory", c.get("mandatory", ""))),
        predecessors=_parse_predecessors(t, row, c.get("predecessor", "")),
        counts_toward_defense=cell_bool(
            t, row, "counts_toward_defense", c.get("counts_toward_defense", "")
        ),
        source=c["source"],
        note=c.get("note", ""),
        row=row,
        contract_pattern=(
            pattern_cell(t, row, c["contract_pattern"]) if c.get("contract_pattern") else None
        ),
        long_term_contract=bool(
            cell_bool(t, row, "long_term_contract", c.get("long_term_contract", ""))
        ),
        basis=basis_cell(t, row, "basis", c.get("basis", "")),
        vehicles=vehicles_cell(t, row, c.get("vehicles", "")),
    )


def read_programs(path: Path) -> tuple[list[Program], CsvTable]:
    t = read_csv(path, PROGRAM_COLUMNS_REQUIRED, allowed=PROGRAM_COLUMNS)
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
    t = read_csv(path, ["fiscal_year", "gdp_case", "gdp_oku_yen"], allowed=GDP_COLUMNS)
    cases: dict[str, dict[int, int]] = {}
    for row, c in t.rows:
        year = cell_int(t, row, "fiscal_year", c["fiscal_year"])
        case = c["gdp_case"]
        if not case:
            raise PlanError(
                path,
                "gdp_case is empty",
                row=row,
                column="gdp_case",
                fix="name the GDP case, e.g. past_projection",
            )
        gdp = cell_int(t, row, "gdp_oku_yen", c["gdp_oku_yen"], minimum=1)
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
