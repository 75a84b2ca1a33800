"""CSV files as Excel and text editors save them: UTF-8 with or without BOM, or Shift_JIS
(cp932); cells parsed with messages that name the file, the row and the column."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from allocator.errors import PlanError


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


def cell_int(t: CsvTable, row: int, col: str, text: str, *, minimum: int | None = 0) -> int:
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
