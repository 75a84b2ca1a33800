"""Benchmark of the Monte Carlo machinery on the shipped plan (not a test: it prints figures).

1. Draws per second of ``allocate montecarlo`` re-solves with 1 and with 2 local Dask workers
   (median of ``--repeats`` runs of ``--draws`` draws each, cluster start included), and their
   ratio (target: 2 workers ≥ 1.7 × 1 worker).
2. ``--full``: the wall time of 1,000 re-solved draws on 2 workers (one run).
3. Peak memory of ``allocate risk`` at 1,000 and 10,000 draws: each in a fresh process with
   one worker (every draw in that process), ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` and
   the ``tracemalloc`` peak of Python allocations.

The machine is shared: the load average is printed before each part; run it when it is low.

    .venv/bin/python bench/uncertainty_benchmark.py [--draws 40] [--repeats 3] [--full]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

RISK_CHILD = """
import json, resource, sys, time, tracemalloc
from pathlib import Path
tracemalloc.start()
from allocator.api_uncertainty import risk
t0 = time.perf_counter()
o = risk(Path(sys.argv[1]), uncertainty=Path(sys.argv[2]), draws=int(sys.argv[3]),
         out=Path(sys.argv[4]), workers=1, lang="en")
seconds = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"draws": o.record.draws_done, "seconds": seconds,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "tracemalloc_peak_mb": peak / 2**20}))
"""


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed_draw(job: object, index: int) -> float:
    """One draw as ``allocate montecarlo`` solves it; returns the CPU seconds it took in the
    worker process (immune to other jobs on the machine, unlike wall time)."""
    from allocator.optim.montecarlo import solve_draw

    t0 = time.process_time()
    solve_draw(job, index)  # type: ignore[arg-type]
    return time.process_time() - t0


def draws_per_second(workers: int, draws: int, seed: int) -> tuple[float, float]:
    """(draws per wall-clock second, median CPU seconds per draw) of ``draws`` draws."""
    from allocator.optim.montecarlo import DrawJob
    from allocator.parallel import stream_tasks
    from allocator.plan.loading import load_plan
    from allocator.plan.uncertainty import load_uncertainty

    plan = load_plan(DATA)
    u = load_uncertainty(DATA, plan)
    job = DrawJob(plan, u, seed, plan.solver.time_limit_seconds)
    t0 = time.perf_counter()
    cpu = [c for _, c in stream_tasks(timed_draw, range(draws), shared=job, workers=workers)]
    return len(cpu) / (time.perf_counter() - t0), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=40, help="draws per throughput run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--full", action="store_true", help="also time 1,000 draws on 2 workers")
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()

    print(f"machine: {os.cpu_count()} cores; load average {load()}")
    if not args.skip_throughput:
        rates: dict[int, list[float]] = {1: [], 2: []}
        cpus: dict[int, list[float]] = {1: [], 2: []}
        for r in range(args.repeats):
            for w in (1, 2):
                rate, cpu = draws_per_second(w, args.draws, seed=1000 + r)
                rates[w].append(rate)
                cpus[w].append(cpu)
                print(
                    f"  run {r + 1}, {w} worker(s): {rate:.3f} draws/s, CPU {cpu:.3f} s a draw "
                    f"(load {load()})"
                )
        one, two = statistics.median(rates[1]), statistics.median(rates[2])
        c1, c2 = statistics.median(cpus[1]), statistics.median(cpus[2])
        print(f"montecarlo re-solves, median of {args.repeats} x {args.draws} draws:")
        print(f"  1 worker  {one:.3f} draws/s ({1 / one:.2f} s a draw; CPU {c1:.3f} s a draw)")
        print(f"  2 workers {two:.3f} draws/s; ratio {two / one:.2f} (target ≥ 1.7)")
        print(
            f"  CPU per draw with 2 workers {c2:.3f} s: with two free cores the ratio would be "
            f"{2 * c1 / c2:.2f} (wall-clock ratio on a shared machine is lower)"
        )
    if args.full:
        print(f"1,000 re-solved draws on 2 workers (load {load()}) ...")
        t0 = time.perf_counter()
        rate, _ = draws_per_second(2, 1000, seed=7)
        print(f"  {time.perf_counter() - t0:.0f} s ({rate:.2f} draws/s; load {load()})")

    with tempfile.TemporaryDirectory() as tmp:
        from allocator.api import allocate
        from allocator.plan.loading import Overrides

        run = Path(tmp) / "run"
        allocate(DATA, Overrides(), out=run, lang="en")
        for draws in (1000, 10_000):
            out = Path(tmp) / f"risk{draws}"
            done = subprocess.run(
                [sys.executable, "-c", RISK_CHILD, str(run), str(DATA), str(draws), str(out)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            m = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"risk, {draws:>6} draws, 1 process: {m['seconds']:.1f} s, peak RSS "
                f"{m['maxrss_mb']:.0f} MB, Python allocations peak "
                f"{m['tracemalloc_peak_mb']:.1f} MB (load {load()})"
            )


if __name__ == "__main__":
    main()
