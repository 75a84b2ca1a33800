"""The shipped plan without its contract data: the same folder with the multi-year contract
columns of programs.csv emptied and ``[contracts]`` and ``[[vehicles]]`` left out of
plan.toml. What it solves to is the shipped plan as it was before contracts existed (the
obligations it drops are inside the baseline: ``baseline_includes_obligations``), so tests
whose figures were worked out on that plan keep them, and the guard that plans without
contracts solve exactly as before runs on the real seed data."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

CONTRACT_COLUMNS = ("contract_pattern", "long_term_contract", "basis", "vehicles")


def strip_contracts(src: Path, dest: Path) -> Path:
    """Copy the plan folder ``src`` to ``dest`` without its contract data; return ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    toml = (dest / "plan.toml").read_text(encoding="utf-8")
    kept: list[str] = []
    skipping = False
    for line in toml.splitlines():
        header = re.match(r"^\s*\[\[?([A-Za-z_.]+)\]?\]", line)
        if header:
            name = header.group(1).split(".")[0]
            skipping = name in ("contracts", "vehicles")
        if not skipping:
            kept.append(line)
    (dest / "plan.toml").write_text("\n".join(kept) + "\n", encoding="utf-8")
    path = dest / "programs.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    header_row = rows[0]
    for col in CONTRACT_COLUMNS:
        if col in header_row:
            i = header_row.index(col)
            for r in rows[1:]:
                if i < len(r):
                    r[i] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    (dest / "obligations.csv").unlink(missing_ok=True)
    return dest
