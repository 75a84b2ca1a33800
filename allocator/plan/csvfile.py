"""CSV files as Excel and text editors save them: UTF-8 with or without BOM, or Shift_JIS
(cp932); cells parsed with messages that name the file, the row and the column."""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from allocator.errors import PlanError
from allocator.plan.limits import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    MAX_CELL_CHARS,
    MAX_DIGITS,
    MAX_FILE_BYTES,
    MAX_GDP_OKU_YEN,
    MAX_GDP_TEXT,
    MAX_OKU_YEN,
    MAX_OKU_YEN_TEXT,
)


@dataclass(frozen=True)
class CsvTable:
    path: Path
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    """(row number as Excel shows it, {column: cell}) for each non-empty data row."""
    encoding: str
    raw: bytes


def read_csv(path: Path, required: list[str], allowed: list[str] | None = None) -> CsvTable:
    """Read a CSV saved by Excel or a text editor: UTF-8 with or without BOM, or cp932.

    ``allowed`` lists every column the file may have (``None``: any); a column not in it is
    refused, since a misspelt optional column (``mandatroy``) would otherwise be ignored.

    Raises PlanError for a missing, empty or oversized file, a doubled byte-order mark, a
    missing, unknown or duplicated column, a cell longer than :data:`MAX_CELL_CHARS`, or data
    under a column with no name.
    """
    if not path.exists():
        raise PlanError(path, "file not found", fix="check the file name given in plan.toml")
    if path.is_dir():
        raise PlanError(path, "is a folder, not a CSV file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise PlanError(
            path,
            f"is {size:,} bytes, more than a plan file can be ({MAX_FILE_BYTES:,})",
            fix="check that this is the plan's table (ten thousand programs take about 3 MB)",
        )
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf\xef\xbb\xbf"):
        raise PlanError(
            path,
            "starts with two byte-order marks (BOM), so its first column name cannot be read",
            row=1,
            fix="save it again as 'CSV UTF-8 (comma delimited)' (one BOM), or remove the "
            "extra BOM in a text editor",
        )
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
    limit = csv.field_size_limit()
    try:
        # long cells are measured below, where their row and column can be named
        csv.field_size_limit(max(limit, len(text) + 1))
        all_rows = list(reader)
    except csv.Error as exc:
        raise PlanError(
            path,
            f"not a valid CSV file: {exc}",
            row=reader.line_num or None,
            fix="save it again from Excel",
        ) from None
    finally:
        csv.field_size_limit(limit)
    header = [h.strip() for h in all_rows[0]]
    _check_cell_sizes(path, header, all_rows)
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
            strangers = [h for h in header if h and allowed is not None and h not in allowed]
            close = difflib.get_close_matches(col, strangers, n=1, cutoff=0.4)
            raise PlanError(
                path,
                f"the header has no column {col!r}",
                row=1,
                column=col,
                fix=f"rename column {close[0]!r} to {col}"
                if close
                else f"add a column named {col} (see docs/plan-format.md)",
            )
    if allowed is not None:
        _check_known_columns(path, header, allowed)
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
        for j, h in enumerate(header):
            if not h and j < len(cells) and cells[j].strip():
                raise PlanError(
                    path,
                    f"column {j + 1} has no name in the header but holds {cells[j][:40]!r}",
                    row=i,
                    fix="name the column in row 1, or delete it",
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


def _check_cell_sizes(path: Path, header: list[str], rows: list[list[str]]) -> None:
    for i, cells in enumerate(rows, start=1):
        for j, cell in enumerate(cells):
            if len(cell) > MAX_CELL_CHARS:
                name = header[j] if j < len(header) and header[j] else f"{j + 1}"
                raise PlanError(
                    path,
                    f"a cell of {len(cell):,} characters (at most {MAX_CELL_CHARS:,})",
                    row=i,
                    column=name,
                    fix="shorten it: a note or source this long belongs in a separate document",
                )


def _check_known_columns(path: Path, header: list[str], allowed: list[str]) -> None:
    for j, h in enumerate(header):
        if h and h not in allowed:
            close = difflib.get_close_matches(h, allowed, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise PlanError(
                path,
                f"unknown column {h!r} (column {j + 1})",
                row=1,
                column=h,
                fix=f"{hint}the columns are {', '.join(allowed)} (see docs/plan-format.md); "
                "rename or delete it",
            )


_INT_RE = re.compile(r"[+-]?\d+")


def cell_int(t: CsvTable, row: int, col: str, text: str, *, minimum: int | None = 0) -> int:
    # full-width digits typed in Japanese Excel (１２００) are the same number
    s = unicodedata.normalize("NFKC", text).strip()
    if col.endswith("year"):  # 2026年度, FY2026 and 2026 all name fiscal year 2026
        s = re.sub(r"^(?:FY\s*)?(\d{4})(?:\s*年度)?$", r"\1", s, flags=re.IGNORECASE)
    if _INT_RE.fullmatch(s) and len(s) > MAX_DIGITS:
        raise PlanError(
            t.path,
            f"a number of {len(s.lstrip('+-')):,} digits is too large",
            row=row,
            column=col,
            fix=_too_large_fix(col),
        )
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
    limit, text = (
        (MAX_GDP_OKU_YEN, MAX_GDP_TEXT) if col == "gdp_oku_yen" else (MAX_OKU_YEN, MAX_OKU_YEN_TEXT)
    )
    if col.endswith("oku_yen") and abs(value) > limit:
        raise PlanError(
            t.path,
            f"{value:,} is above the largest amount the model can hold, {text}",
            row=row,
            column=col,
            fix=_too_large_fix(col),
        )
    if col.endswith("year") and not FIRST_FISCAL_YEAR <= value <= LAST_FISCAL_YEAR:
        raise PlanError(
            t.path,
            f"{value} is not a fiscal year the tool plans for",
            row=row,
            column=col,
            fix=f"give a fiscal year between {FIRST_FISCAL_YEAR} and {LAST_FISCAL_YEAR}",
        )
    return value


def _too_large_fix(col: str) -> str:
    if col.endswith("oku_yen"):
        most = MAX_GDP_OKU_YEN if col == "gdp_oku_yen" else MAX_OKU_YEN
        return f"amounts are in 億円 (1 兆円 = 10,000 億円), at most {most:,}"
    if col.endswith("year"):
        return "write a fiscal year such as 2027"
    return "write a whole number"


def opt_int(t: CsvTable, row: int, cells: dict[str, str], col: str, minimum: int = 0) -> int | None:
    text = cells.get(col, "")
    return None if text == "" else cell_int(t, row, col, text, minimum=minimum)


_TRUE = {"yes", "y", "true", "1", "はい", "○", "x"}
_FALSE = {"no", "n", "false", "0", "いいえ", ""}


def cell_bool(t: CsvTable, row: int, col: str, text: str) -> bool | None:
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
