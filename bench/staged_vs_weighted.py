"""The staged solve against ONE weighted solve of the same model (issue 14).

    .venv/bin/python bench/staged_vs_weighted.py [--sizes 300,2000] [--repeats 3]
        [--profile early|level] [--tiebreak full|fixed] [--engines fast,plain] [--contracts]
        [--time-limit 600]

For each size: a synthetic plan (``synthetic.py``), then, per repeat and in the same process,
the model built afresh (``build_model``) and solved

- once with the weighted objective Σ_r 10^(k−i)·V_r (rank 1 weighted 10^k … rank k 10; gap 0,
  one thread, no tie-break): the *yardstick* — one MIP of the same model, which does not
  guarantee the priority;
- by ``solve_lexicographic`` with each engine (``fast``, ``plain``), the tie-break as asked
  (``full``: a full MIP, as the highspy reference solves it; ``fixed``: the default, the
  integer decisions fixed at the last rank stage's values).

Prints the medians, the ratio of each staged solve to the yardstick, a stage-by-stage table
(median seconds per stage, status, how the fast engine closed it) and whether every engine
reached the same rank values (exit 1 if not, or if a solve is not optimal).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import generate_plan

from allocator.optim.model import build_model
from allocator.optim.result import SolveResult
from allocator.optim.solve import ENGINES, solve_lexicographic, solve_stage
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.schema import Plan


def weighted_objective(m: Any) -> Any:
    """Σ_r 10^(k−i)·V_r: rank 1 weighted 10^k, the last rank 10 (capped at 10^7)."""
    ranks = sorted(m.rank_value)
    k = len(ranks)
    return m.linear_sum(10 ** min(k - i, 7) * m.rank_value[r] for i, r in enumerate(ranks))


def weighted_solve(plan: Plan, time_limit: float) -> tuple[float, str]:
    """Seconds and status of one weighted solve (the model built first, not timed).

    The floors are hard rows, as the staged solve first solves them (every shortfall fixed at
    0; the floor stages run only when no plan meets them all): with the shortfalls free the
    weighted model is another model, and 2-4x slower at 300 programs."""
    m = build_model(
        plan.model_copy(update={"solver": plan.solver.model_copy(update={"floors": "hard"})})
    )
    gc.collect()
    t0 = time.perf_counter()
    solved = solve_stage(m, weighted_objective(m), time_limit=time_limit, gap=0.0)
    return time.perf_counter() - t0, solved.status


def staged_solve(
    plan: Plan, engine: str, tiebreak: str, time_limit: float
) -> tuple[float, SolveResult]:
    m = build_model(plan)
    gc.collect()
    t0 = time.perf_counter()
    result = solve_lexicographic(
        m,
        time_limit=time_limit,
        gap=0.0,
        tolerance=plan.solver.tolerance,
        fix_tiebreak_decisions=tiebreak == "fixed",
        engine=engine,
    )
    return time.perf_counter() - t0, result


def stage_label(s: Any) -> str:
    if s.kind == "floors":
        return f"floors {s.group}"
    if s.kind == "rank":
        return f"rank {s.rank}"
    return s.name or "tie-break"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="300,2000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", default="early", choices=["early", "level", "reference"])
    ap.add_argument("--tiebreak", default="full", choices=["full", "fixed"])
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--contracts", action="store_true")
    ap.add_argument("--time-limit", type=float, default=600.0)
    args = ap.parse_args(argv)
    engines = args.engines.split(",")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            folder = generate_plan(Path(tmp) / f"plan-{size}", size, contracts=args.contracts)
            plan = load_plan(folder.folder, Overrides(profile=args.profile))
            times: dict[str, list[float]] = {"weighted": []}
            stages: dict[str, list[list[Any]]] = {e: [] for e in engines}
            values: dict[str, list[dict[int, float]]] = {e: [] for e in engines}
            for rep in range(args.repeats):
                w, status = weighted_solve(plan, args.time_limit)
                times["weighted"].append(w)
                line = f"size {size} repeat {rep + 1}: weighted {w:.2f} s ({status})"
                for e in engines:
                    t, result = staged_solve(plan, e, args.tiebreak, args.time_limit)
                    times.setdefault(e, []).append(t)
                    stages[e].append(list(result.stages))
                    values[e].append(result.rank_values())
                    line += f", {e} {t:.2f} s ({result.status})"
                    if result.status != "optimal":
                        ok = False
                print(line, flush=True)
            med = {k: statistics.median(v) for k, v in times.items()}
            print(f"\n## {size} programs (profile {args.profile}, tie-break {args.tiebreak})")
            print("| solve | median s | ratio to one weighted solve |")
            print("|---|---:|---:|")
            for k, v in med.items():
                print(f"| {k} | {v:.2f} | {v / med['weighted']:.2f} |")
            print("\n| stage | " + " | ".join(f"{e} s (status)" for e in engines) + " |")
            print("|---|" + "---:|" * len(engines))
            first = stages[engines[0]][0]
            for i, s in enumerate(first):
                cells = []
                for e in engines:
                    runs = [r for r in stages[e] if i < len(r)]
                    if not runs:
                        cells.append("n/a")
                        continue
                    sec = statistics.median(r[i].seconds for r in runs)
                    cells.append(f"{sec:.2f} ({runs[0][i].status})")
                print(f"| {stage_label(s)} | " + " | ".join(cells) + " |")
            every = [v for e in engines for v in values[e]]
            same = all(v == every[0] for v in every)
            print(f"\nrank values identical across engines and repeats: {same}")
            if not same:
                ok = False
                for e in engines:
                    print(f"  {e}: {values[e]}")
            print(flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
