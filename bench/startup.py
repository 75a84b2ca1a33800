"""Wall time of the ``allocate`` command as a user runs it: each command N times in a fresh
process, medians printed with ratios to a bare ``python -c pass`` and to the solve alone.

Run from the project root::

    .venv/bin/python bench/startup.py [-n 5] [--out /tmp/allocate-bench] [--json out.json]
        [--plan FOLDER]

Commands timed (each as a subprocess, output discarded):

- ``python -c pass``            the interpreter floor
- ``python -c "import typer"``  the floor of any typer CLI
- ``allocate --help``
- ``allocate --cap 2% --out <tmp> --force``  the shipped plan, every output written
- with ``--serial``: the same with the chart worker forced on (``ALLOCATOR_REPORT_WORKER=1``)
  and off (``=0``, charts drawn in-process); by default it starts only when a CPU is spare
- with ``--sweep``: ``allocate sweep --cap 1.5%..2.5% --step 0.05%`` (21 caps) on every core,
  and with ``--workers 1``; its ratio to one ``allocate --cap 2%`` is printed (target ≤ 6)

Runs are interleaved (round robin over the commands), so a change in the machine's load
during the benchmark affects every command alike.

The solve alone is read from each run's ``plan.json`` (``times_seconds``: ``solve``, and
``build + solve + marginal``), so the ratio says how many times the solve the user waits.
Wall time on a shared machine depends on what else runs: CPU time (user + sys of the child
and its workers) is printed too, and is the steadier number.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = "ALLOCATOR_REPORT_WORKER"


def _bin(name: str) -> str:
    here = Path(sys.executable).parent / name
    return str(here if here.exists() else ROOT / ".venv" / "bin" / name)


def run_once(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (children: user + sys) and exit code of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
    return wall, cpu, proc.returncode


def not_compiled(py: str) -> list[str]:
    """Which of the packages ``allocate`` imports have no current bytecode in ``py``'s
    environment (figures measured so include compiling them at every start)."""
    code = (
        "import importlib.util, os, sys\n"
        "for name in ('allocator.api', 'pandas', 'matplotlib', 'pulp', 'pydantic'):\n"
        "    spec = importlib.util.find_spec(name)\n"
        "    if spec and spec.origin and not os.path.exists(\n"
        "            importlib.util.cache_from_source(spec.origin)):\n"
        "        print(name.split('.')[0])\n"
    )
    found = subprocess.run([py, "-c", code], capture_output=True, text=True, cwd=ROOT)
    return found.stdout.split()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=5, help="runs per command (median reported)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    ap.add_argument("--out", type=Path, default=None, help="run folder for --cap (temporary)")
    ap.add_argument("--cap", default="2%")
    ap.add_argument(
        "--plan", type=Path, default=None, help="plan folder (default: the shipped plan, data/)"
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    ap.add_argument(
        "--serial", action="store_true", help="also time the run with the worker forced on / off"
    )
    ap.add_argument(
        "--sweep", action="store_true", help="also time a 21-cap sweep, parallel and serial"
    )
    args = ap.parse_args()

    py = _bin("python")
    allocate = _bin("allocate")
    missing = not_compiled(py)
    if missing:
        print(
            f"note: {', '.join(missing)} not byte-compiled and Python may not cache it here "
            "(PYTHONDONTWRITEBYTECODE): every run compiles it again; scripts/setup.sh compiles it",
            file=sys.stderr,
        )
    tmp = tempfile.TemporaryDirectory(prefix="allocate-bench-")
    out = args.out or Path(tmp.name) / "run"
    run = [allocate, "--cap", args.cap, "--out", str(out), "--force"]
    if args.plan is not None:
        run += ["--plan", str(args.plan)]
    serial_env = {**os.environ, ENV: "0"}
    worker_env = {**os.environ, ENV: "1"}
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "python -c pass": ([py, "-c", "pass"], None),
        "python -c 'import typer'": ([py, "-c", "import typer"], None),
        "allocate --help": ([allocate, "--help"], None),
        f"allocate --cap {args.cap}": (run, None),
    }
    if args.serial:
        commands["  worker forced on (=1)"] = (run, worker_env)
        commands["  worker off (=0)"] = (run, serial_env)
    sweep = [allocate, "sweep", "--cap", "1.5%..2.5%", "--step", "0.05%"]
    if args.sweep:
        commands["sweep 21 caps"] = ([*sweep, "--out", str(out) + "-sweep"], None)
        commands["sweep 21 caps, 1 worker"] = (
            [*sweep, "--workers", "1", "--out", str(out) + "-sweep1"],
            None,
        )
    walls: dict[str, list[float]] = {k: [] for k in commands}
    cpus: dict[str, list[float]] = {k: [] for k in commands}
    solve: list[float] = []
    solve_all: list[float] = []
    loads: list[float] = []
    for round_ in range(args.warmup + args.n):
        for label, (cmd, env) in commands.items():
            if cmd[1] == "sweep":  # a sweep refuses an existing --out: make room
                shutil.rmtree(cmd[-1], ignore_errors=True)
            wall, cpu, code = run_once(cmd, env)
            if code != 0:
                print(f"{label}: exit code {code}", file=sys.stderr)
                return 1
            if round_ < args.warmup:
                continue
            walls[label].append(wall)
            cpus[label].append(cpu)
            if cmd is run:
                times = json.loads((out / "plan.json").read_text(encoding="utf-8"))["times_seconds"]
                solve.append(times["solve"])
                solve_all.append(times["build"] + times["solve"] + times.get("marginal", 0.0))
        loads.append(os.getloadavg()[0])
    results = {
        label: {
            "wall_median": statistics.median(walls[label]),
            "wall_min": min(walls[label]),
            "cpu_median": statistics.median(cpus[label]),
            "walls": walls[label],
        }
        for label in commands
    }

    floor = results["python -c pass"]["wall_median"]
    s = statistics.median(solve)
    s_all = statistics.median(solve_all)
    print(
        f"{args.n} runs each (interleaved), medians; 1-min load average "
        f"{min(loads):.2f}–{max(loads):.2f} on {os.cpu_count()} CPUs"
    )
    print(f"{'command':26s} {'wall':>8s} {'min':>8s} {'cpu':>8s} {'x python':>9s} {'x solve':>8s}")
    for label, r in results.items():
        wall = float(r["wall_median"])  # type: ignore[arg-type]
        print(
            f"{label:26s} {wall:8.3f} {float(r['wall_min']):8.3f} "  # type: ignore[arg-type]
            f"{float(r['cpu_median']):8.3f} {wall / floor:9.1f} {wall / s:8.1f}"  # type: ignore[arg-type]
        )
    print(
        f"solve alone (plan.json times_seconds.solve): {s:.3f} s; "
        f"build + solve + marginal: {s_all:.3f} s"
    )
    if args.sweep:
        one = float(results[f"allocate --cap {args.cap}"]["wall_median"])  # type: ignore[arg-type]
        for label in ("sweep 21 caps", "sweep 21 caps, 1 worker"):
            wall = float(results[label]["wall_median"])  # type: ignore[arg-type]
            print(f"{label}: {wall / one:.1f}× one allocate --cap {args.cap} (target ≤ 6)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"results": results, "solve": solve, "solve_all": solve_all, "loads": loads},
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
