"""CSV files of an output folder, as Excel expects them: UTF-8 with BOM, CRLF line ends, text
cells that Excel would evaluate as formulas neutralised with a leading ``'``. One writer
(:func:`write_csv`) and one reader (:func:`read_run_csv`) for every CSV the tool writes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from allocator.constants import FORMULA_START
from allocator.run.folder import write_bytes_atomic

TEXT_COLUMNS = frozenset(
    {
        "program_id",
        "name_ja",
        "name_en",
        "area",
        "areas",
        "phase",
        "funded",
        "mandatory",
        "counts_toward_defense",
        "status",
        "in_horizon",
        "basis",
        "contract_pattern",
        "vehicles",
        "floor",
        "id",
        "pooled",
        "floors_short_list",
        "limits_reached",
        "marginal_valid_at_least",
        "indicator",
        "subject",
    }
)
"""CSV columns always read as text (an id such as ``007`` must not become a number)."""

RATIO_COLUMNS = frozenset({"cap_ratio", "gdp_ratio", "share_funded", "gap", "cap_gdp_ratio"})
"""CSV columns of ratios: read as floats even when a cell looks whole."""


NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
"""A plain number: Excel reads it as a number, never as a formula."""


def neutralise_cell(value: Any) -> Any:
    """Prefix text that Excel would evaluate as a formula with ``'`` (CSV injection). Numbers,
    negative ones included, stay numbers (``-100``), so that a spreadsheet can sum them."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo :func:`neutralise_cell`: ``'=x`` -> ``=x`` (the workbook keeps such text as text by
    its own means, and Markdown shows it as written)."""
    if len(value) >= 2 and value[0] == "'" and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, CRLF line ends, text cells neutralised against formula injection."""
    safe = df.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(neutralise_cell)
    return str(safe.to_csv(index=False, lineterminator="\r\n")).encode("utf-8-sig")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write :func:`csv_bytes` of ``df`` at ``path`` atomically."""
    write_bytes_atomic(path, csv_bytes(df))


def read_run_csv(path: Path) -> pd.DataFrame:
    """A CSV written by :func:`write_csv`: text columns as text, the others as Int64 or float
    where every cell parses."""
    df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for col in df.columns:
        df[col] = df[col].map(unneutralise)
        if col in TEXT_COLUMNS:
            continue
        texts = df[col]
        filled = texts[texts != ""]
        nums = pd.to_numeric(filled, errors="coerce")
        if len(filled) == 0 or nums.isna().any():
            continue
        integral = not filled.str.contains(r"[.eE]", regex=True).any() and col not in (
            RATIO_COLUMNS
        )
        full = pd.to_numeric(texts.replace("", None), errors="coerce")
        df[col] = full.astype("Int64") if integral else full.astype(float)
    return df
