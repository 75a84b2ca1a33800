"""The shipped plan's tie-break and vehicles stages across caps (issue 7's sweep, issue 14).

    .venv/bin/python bench/tiebreak_caps.py [--caps 1.5%,1.55%,...] [--repeats 1]

For each cap: the staged solve of the shipped plan (``data/``), and the seconds of its floor,
rank, tie-break and vehicles stages (medians over ``--repeats``), then the totals. The low caps
(floors giving way) are where a sweep spends its time; the tie-break (the ``level`` path, the
decisions fixed) and the vehicles stage are measured separately because each has its own proof.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from allocator.optim.model import build_model
from allocator.optim.solve import solve_lexicographic
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides, load_plan

ROOT = Path(__file__).resolve().parents[1]
CAPS = "1.5%,1.55%,1.6%,1.65%,1.7%,1.75%,1.8%,1.9%,2%,2.1%,2.2%,2.3%,2.4%,2.5%"
KINDS = ("floors", "rank", "tiebreak", "vehicles")


def stage_seconds(cap: str) -> dict[str, float]:
    plan = load_plan(ROOT / "data", Overrides(cap=parse_cap(cap)))
    result = solve_lexicographic(
        build_model(plan), time_limit=plan.solver.time_limit_seconds, gap=plan.solver.gap
    )
    out = dict.fromkeys(KINDS, 0.0)
    for s in result.stages:
        kind = "vehicles" if s.name == "vehicles" else s.kind
        out[kind] = out.get(kind, 0.0) + s.seconds
    out["solve"] = result.solve_seconds
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--caps", default=CAPS)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    columns = (*KINDS, "solve")
    print(f"{'cap':>6} " + " ".join(f"{c:>9}" for c in columns) + "   (seconds, median)")
    totals = dict.fromkeys(columns, 0.0)
    for cap in args.caps.split(","):
        runs = [stage_seconds(cap) for _ in range(args.repeats)]
        med = {c: statistics.median(r[c] for r in runs) for c in columns}
        for c in columns:
            totals[c] += med[c]
        print(f"{cap:>6} " + " ".join(f"{med[c]:9.2f}" for c in columns), flush=True)
    print(f"{'total':>6} " + " ".join(f"{totals[c]:9.2f}" for c in columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
