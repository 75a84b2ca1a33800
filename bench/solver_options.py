"""How much solver settings would save: the reference model solved with variants.

    .venv/bin/python bench/solver_options.py [--size 2000] [--repeats 1] [--time-limit 300]

Variants of the stage loop of ``bench/reference.py`` (the allocator's own model): a cold start
every stage (the allocator before its warm start), with the previous stage's solution given as
a starting incumbent (the allocator now), with ``mip_abs_gap = 0.99`` on stages whose
value is integral, both, with two threads, and with continuous amounts (only ``go[p]`` binary:
a different model, whose values may differ). Prints the solve time per variant and checks that
every variant but the last reaches the same values (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference import RefResult, build_reference, solve_reference
from synthetic import generate_plan

from allocator.plan.loading import Overrides, load_plan

# name, warm start, mip_abs_gap on integral stages, threads, amounts continuous
VARIANTS: list[tuple[str, bool, float | None, int, bool]] = [
    ("cold start every stage", False, None, 1, False),
    ("warm start (as the allocator)", True, None, 1, False),
    ("mip_abs_gap 0.99 on integral stages", False, 0.99, 1, False),
    ("warm start + abs gap 0.99", True, 0.99, 1, False),
    ("threads = 2", False, None, 2, False),
    ("continuous amounts (not the plan's rules)", False, None, 1, True),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=20260401)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="allocator-solver-options-") as tmp:
        folder = generate_plan(Path(tmp) / "plan", args.size, seed=args.seed).folder
        plan = load_plan(folder, Overrides(profile="early"))  # the reference's tie-break
    print(f"{args.size} programs, gap 0, threads 1, median of {args.repeats} run(s)", flush=True)
    baseline: RefResult | None = None
    failed = False
    for name, warm, abs_gap, threads, continuous in VARIANTS:
        times: list[float] = []
        res: RefResult | None = None
        for _ in range(args.repeats):
            ref = build_reference(plan, time_limit=args.time_limit, gap=0.0)
            # HiGHS keeps one thread pool per process: re-create it for another thread count
            ref.highs.resetGlobalScheduler(True)
            ref.highs.setOptionValue("threads", threads)
            if continuous:  # every column but go[p] continuous
                cols = np.setdiff1d(np.arange(ref.n_cols), ref.go_cols).astype(np.int32)
                kind = np.full(len(cols), highspy.HighsVarType.kContinuous)
                ref.highs.changeColsIntegrality(len(cols), cols, kind)
            t0 = time.perf_counter()
            res = solve_reference(
                ref, time_limit=args.time_limit, warm_start=warm, integral_abs_gap=abs_gap
            )
            times.append(time.perf_counter() - t0)
        assert res is not None
        stages = " ".join(f"{s.seconds:.1f}" for s in res.stages)
        same = ""
        if baseline is None:
            baseline = res
        else:
            a = [*baseline.rank_values().values(), baseline.earliness()]
            b = [*res.rank_values().values(), res.earliness()]
            ok = all(
                x is not None and y is not None and abs(x - y) <= 1e-6 * max(1.0, abs(x))
                for x, y in zip(a, b, strict=True)
            )
            same = "same values" if ok else "VALUES DIFFER"
            failed |= not ok and not continuous
        print(
            f"{name:<38} {statistics.median(times):8.1f} s  {res.status:<8} "
            f"stages [{stages}] {same}",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
