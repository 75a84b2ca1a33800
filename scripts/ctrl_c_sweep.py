"""Send one Ctrl-C (SIGINT) to the real ``allocate`` script at evenly spaced moments and count
what happened: exit codes, tracebacks, messages that are not exactly one line, and run folders
left behind (each must verify).

Usage: python scripts/ctrl_c_sweep.py RUNS FIRST_DELAY LAST_DELAY [PLAN]

Run from the repository root (it uses .venv/bin/allocate and a scratch folder it removes).
Used for the figures of issue 8; a Ctrl-C within Python's own start-up (before the first line
of ``allocator.cli.main`` runs, some tens of milliseconds) is handled by Python, not by us.
"""

from __future__ import annotations

import collections
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    runs, lo, hi = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    plan = Path(sys.argv[4] if len(sys.argv) > 4 else "data").resolve()
    exe = Path(".venv/bin/allocate").resolve()
    codes: collections.Counter[int] = collections.Counter()
    tracebacks = not_one_line = folders = failing = 0
    with tempfile.TemporaryDirectory() as tmp:
        reports = Path(tmp) / "reports"
        for i in range(runs):
            delay = lo + (hi - lo) * i / max(1, runs - 1)
            shutil.rmtree(reports, ignore_errors=True)
            proc = subprocess.Popen(
                [str(exe), "--plan", str(plan), "--reports", str(reports)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=600)
            codes[proc.returncode] += 1
            tracebacks += "Traceback" in err + out
            lines = [ln for ln in err.splitlines() if ln.startswith("allocate:")]
            not_one_line += proc.returncode == 130 and len(lines) != 1
            for folder in sorted(reports.iterdir()) if reports.is_dir() else []:
                folders += 1
                check = subprocess.run([str(exe), "verify", str(folder)], capture_output=True)
                failing += check.returncode != 0
    print(
        f"Ctrl-C at {runs} moments from {lo} s to {hi} s: exit codes {dict(sorted(codes.items()))} "
        f"(-2: killed by the signal before Python handles it), tracebacks {tracebacks}, exit "
        f"130 without exactly one line {not_one_line}, folders left {folders} (failing "
        f"verify: {failing})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
