"""HiGHS options for the fast engine's full-MIP fallback, each alone (issue 14).

    .venv/bin/python bench/engine_options.py [--size 300] [--repeats 3]

A synthetic plan (``synthetic.py``), profile ``early`` with the tie-break as a full MIP; for each
variant of ``allocator.optim.solve.FULL_MIP_OPTIONS`` the whole staged solve (``engine="fast"``)
timed ``--repeats`` times (wall seconds), with its status and rank values (which must not move).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import generate_plan

import allocator.optim.solve as solve
from allocator.optim.model import build_model
from allocator.plan.loading import Overrides, load_plan

VARIANTS: dict[str, dict[str, object]] = {
    "HiGHS defaults": {},
    "no restart (the default)": {"mip_allow_restart": False},
    "heuristic effort 0.3": {"mip_heuristic_effort": 0.3},
    "heuristic effort 0.6": {"mip_heuristic_effort": 0.6},
    "presolve off": {"presolve": "off"},
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    kept = dict(solve.FULL_MIP_OPTIONS)
    seen = set()
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate_plan(Path(tmp) / "plan", args.size).folder
        plan = load_plan(folder, Overrides(profile="early"))
        for name, options in VARIANTS.items():
            solve.FULL_MIP_OPTIONS.clear()
            solve.FULL_MIP_OPTIONS.update(options)
            times = []
            for _ in range(args.repeats):
                m = build_model(plan)
                t0 = time.perf_counter()
                result = solve.solve_lexicographic(
                    m, time_limit=600, gap=0.0, fix_tiebreak_decisions=False, engine="fast"
                )
                times.append(time.perf_counter() - t0)
            values = result.rank_values()
            seen.add(tuple(sorted(values.items())))
            print(
                f"{args.size} programs, {name}: median {statistics.median(times):.2f} s "
                f"({', '.join(f'{t:.2f}' for t in times)}), {result.status}, {values}",
                flush=True,
            )
    solve.FULL_MIP_OPTIONS.clear()
    solve.FULL_MIP_OPTIONS.update(kept)
    print(f"rank values the same for every variant: {len(seen) == 1}")
    return 0 if len(seen) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
