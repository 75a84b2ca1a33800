"""The tie-break stage of the shipped plan with different integers fixed (issue 14).

    .venv/bin/python bench/tiebreak_fixing.py [--cap 2%] [--profile level] [--repeats 3]

For the shipped plan (with its contract data) at ``--cap``: the staged solve, its tie-break
stage solved with the integer decisions fixed (``go``, ``units``, ``started``, ``finished``:
the default), and with the contracts' payment-rounding integers fixed as well (which pins every
contract's amounts). Prints the tie-break stage's median seconds, status and value, and whether
every rank keeps its value (it must: the holds stay in place and the fixed values come from a
schedule that meets them).
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cap", default="2%")
    ap.add_argument("--profile", default="level")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    plan = load_plan(ROOT / "data", Overrides(cap=parse_cap(args.cap), profile=args.profile))
    ok = True
    values = {}
    for what, rounding in (("decisions fixed", False), ("decisions and rounding fixed", True)):
        secs, results = [], []
        for _ in range(args.repeats):
            result = solve_lexicographic(
                build_model(plan), time_limit=300, gap=0.0, fix_tiebreak_rounding=rounding
            )
            tie = next(s for s in result.stages if s.kind == "tiebreak" and s.name is None)
            secs.append(tie.seconds)
            results.append((result, tie))
        result, tie = results[-1]
        values[what] = result.rank_values()
        print(
            f"{what}: tie-break {statistics.median(secs):.2f} s (median of {args.repeats}; "
            f"{', '.join(f'{s:.2f}' for s in secs)}), {tie.status}, gap {tie.gap}, value "
            f"{tie.objective}; run {result.status}; ranks {values[what]}",
            flush=True,
        )
    same = len({tuple(sorted(v.items())) for v in values.values()}) == 1
    print(f"every rank keeps its value: {same}")
    ok = ok and same
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
