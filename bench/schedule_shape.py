"""How smooth is a solved schedule? Year-to-year changes of the defence ratio to GDP, of total new
spending and of each program's money, read from run folders alone.

Usage (from the project root)::

    .venv/bin/python bench/schedule_shape.py reports/japan-defense-2026-cap2pct [more run folders]

For each folder it prints, over consecutive fiscal years of the horizon:

- defence ratio (baseline + new defence money) / GDP: the sum of the absolute year-to-year
  changes and the largest one, in percentage points;
- total new spending (defence and economic security): the same, in 億円;
- per program: the sum over programs of the absolute year-to-year changes (money before the
  window counts as 0), in 億円, and the largest single jump.

These are the figures issue 9 asks for (the tie-break stage ``--profile level`` minimises the
same quantities); reading only ``summary.csv`` and ``schedule.csv`` keeps them independent of the
solver.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
from pathlib import Path


def _rows(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _changes(series: list[float]) -> tuple[float, float]:
    steps = [abs(b - a) for a, b in itertools.pairwise(series)]
    return sum(steps), max(steps, default=0.0)


def shape(run: Path) -> dict[str, float]:
    """The smoothness figures of one run folder."""
    summary = _rows(run / "summary.csv")
    years = [int(r["fiscal_year"]) for r in summary]
    ratio = [float(r["gdp_ratio"]) * 100 for r in summary]
    new = [float(r["new_total_oku_yen"]) for r in summary]
    per: dict[str, dict[int, int]] = {}
    for r in _rows(run / "schedule.csv"):
        per.setdefault(r["program_id"], {})[int(r["fiscal_year"])] = int(r["amount_oku_yen"])
    prog_sum = prog_max = 0.0
    for amounts in per.values():
        series = [0.0] + [float(amounts.get(y, 0)) for y in years] + [0.0]
        s, m = _changes(series)
        prog_sum += s
        prog_max = max(prog_max, m)
    r_sum, r_max = _changes(ratio)
    n_sum, n_max = _changes(new)
    return {
        "ratio_pp_sum": r_sum,
        "ratio_pp_max": r_max,
        "new_oku_sum": n_sum,
        "new_oku_max": n_max,
        "program_oku_sum": prog_sum,
        "program_oku_max": prog_max,
        "ratio_min_pct": min(ratio),
        "ratio_max_pct": max(ratio),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    args = ap.parse_args()
    head = (
        f"{'run':<40}{'Σ|Δratio| pp':>13}{'max pp':>8}{'Σ|Δnew| 億円':>14}{'max 億円':>10}"
        f"{'Σ|Δprog| 億円':>15}{'max 億円':>10}  ratio range"
    )
    print(head)
    for run in args.runs:
        s = shape(run)
        print(
            f"{run.name:<40}{s['ratio_pp_sum']:>13.3f}{s['ratio_pp_max']:>8.3f}"
            f"{s['new_oku_sum']:>14,.0f}{s['new_oku_max']:>10,.0f}"
            f"{s['program_oku_sum']:>15,.0f}{s['program_oku_max']:>10,.0f}"
            f"  {s['ratio_min_pct']:.3f}–{s['ratio_max_pct']:.3f}%"
        )


if __name__ == "__main__":
    main()
