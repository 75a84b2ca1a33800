"""Byte-compare two output folders of allocate, ignoring only what the clock decides.

Usage: python scripts/same_runs.py BEFORE AFTER

Every file must exist in both folders with the same bytes, except:
- plan.json: ``created_at``, ``times_seconds`` and each stage's ``seconds`` are dropped, and
  the digest of ``report.xlsx`` under ``files`` (the workbook holds the creation time);
- seal.json: holds the digest of plan.json (so it follows plan.json) and is skipped;
- report.xlsx: compared part by part (the zip's XML), with the creation time and the
  "time ... (seconds)" cells of the run-information sheet masked.

Used to check that a restructuring of the code changes no output (see docs/performance.md).
Exit code 0 when the folders agree, 1 otherwise (each difference printed).
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

_CLOCK_XML = (
    re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+00:00|Z)"),
    # the value cell after a "時間 …(秒)" / "time … (s)" label on the information sheet
    re.compile(r"((?:時間 |[Tt]ime )[a-z_]+(?:\(秒\)| \(s\))</t></is></c><c [^>]*><v>)[0-9.e-]+"),
)


def _plan_json(data: bytes) -> Any:
    record = json.loads(data)
    record.pop("created_at", None)
    record.pop("times_seconds", None)
    for stage in record.get("stages") or []:
        stage.pop("seconds", None)
    (record.get("files") or {}).pop("report.xlsx", None)
    return record


def _xlsx(data: bytes, path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        parts = {}
        for name in sorted(z.namelist()):
            text = z.read(name).decode("utf-8", "replace")
            for pattern in _CLOCK_XML:
                text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "T", text)
            parts[name] = text
    return parts


def compare(before: Path, after: Path) -> list[str]:
    problems: list[str] = []
    names_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    names_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    for name in sorted(names_a ^ names_b):
        problems.append(f"{name}: only in {'before' if name in names_a else 'after'}")
    for name in sorted(names_a & names_b):
        a, b = (before / name).read_bytes(), (after / name).read_bytes()
        if a == b or name.name == "seal.json":
            continue
        if name.name == "plan.json" and _plan_json(a) == _plan_json(b):
            continue
        if name.suffix == ".xlsx" and _xlsx(a, before / name) == _xlsx(b, after / name):
            continue
        problems.append(f"{name}: differs")
    return problems


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    problems = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    for p in problems:
        print(p)
    if not problems:
        print("same")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
