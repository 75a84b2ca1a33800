"""Time the shipped plan with its contracts against the same plan without its contract data
(what it was before contracts existed).

    .venv/bin/python bench/shipped_plan_timing.py [--repeats 3]

For each: load, ``build_model`` and ``solve_lexicographic`` (all stages), CPU and wall seconds
(medians), the time of the stages after the ranks (earliness, and the vehicle stage), the model
size and the rank values. The plan without contract data is made by ``tests/plainplan.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from plainplan import strip_contracts  # noqa: E402

from allocator.optim.model import build_model  # noqa: E402
from allocator.optim.solve import solve_lexicographic  # noqa: E402
from allocator.plan.loading import load_plan  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="allocator-timing-") as tmp:
        plain = strip_contracts(ROOT / "data", Path(tmp) / "plain")
        for name, folder in (
            ("without contract data (before)", plain),
            ("with contracts", ROOT / "data"),
        ):
            cpu, wall, after = [], [], []
            for _ in range(args.repeats):
                plan = load_plan(folder)
                w0, c0 = time.perf_counter(), time.process_time()
                m = build_model(plan)
                result = solve_lexicographic(m, time_limit=300, gap=0.0)
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
                after.append(sum(s.seconds for s in result.stages if s.rank is None))
            values = {k: round(v) for k, v in result.rank_values().items()}
            print(
                f"{name}: build+solve CPU {statistics.median(cpu):.2f} s, wall "
                f"{statistics.median(wall):.2f} s (median of {args.repeats}); stages after the "
                f"ranks {statistics.median(after):.2f} s; {m.prob.numVariables()} variables, "
                f"{m.prob.numConstraints()} rows; {result.status}; {values}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
