"""A child process that draws the run's charts while the main process solves and writes.

The command line starts it (:meth:`ReportWorker.start`) before it loads the solver, so the
child's imports (matplotlib, the Japanese font) and a warm-up drawing run on the second core
while the main process loads the plan and solves. :func:`allocator.report.write_reports` then
sends it the charts as plain data (:mod:`allocator.report.charts` specs) and writes the
workbook and report.md itself while the child draws; it waits for the child before the run
folder is renamed into place.

Protocol: one JSON document per line over the child's stdin/stdout. The parent sends a list
of ``[kind, spec, path]``; the child answers ``["ok", null]`` or ``["error", message]``. The
child exits at end of input (the parent closed the pipe, finished or died), so it never
outlives the command by more than the chart it is drawing.

Ctrl-C: the child ignores SIGINT (the terminal sends it to the whole process group); the parent
handles the interrupt and kills the child before it removes the unfinished folder.

Anything wrong with the child (it could not start, died, or its pipe broke) makes
:meth:`ReportWorker.draw` return ``False``, and the caller draws in-process instead: the worker
is only ever an optimisation. It is not started when no CPU is spare (:func:`spare_cpu`);
``ALLOCATOR_REPORT_WORKER=0`` turns it off, ``=1`` starts it even on a busy machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

ENV_SWITCH = "ALLOCATOR_REPORT_WORKER"

Job = tuple[str, dict[str, Any], str]
"""(chart kind: ``area`` | ``rank``, spec, output path)."""


def spare_cpu() -> bool:
    """Is a CPU free for the worker? At least two CPUs, and a 1-minute load average below
    the number of CPUs less a half. On a busy machine the worker only adds its own start-up
    (another interpreter, numpy and matplotlib loaded again: about 0.3 s of CPU) to what
    every process already competes for; measured on 2 CPUs at load 4–5 it made the command
    slower, not faster."""
    cpus = os.cpu_count() or 1
    if cpus < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows): assume the CPUs are free
        return True
    return load < cpus - 0.5


class ReportWorker:
    """The parent's handle on the chart process."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc: subprocess.Popen[bytes] | None = proc
        self._busy = False

    @classmethod
    def start(cls) -> ReportWorker | None:
        """Start the child now (it warms up while we solve); ``None`` when there is no CPU to
        spare for it (see :func:`spare_cpu`) or ``ALLOCATOR_REPORT_WORKER=0``; ``=1`` starts
        it whatever the load."""
        switch = os.environ.get(ENV_SWITCH, "auto")
        if switch == "0" or (switch != "1" and not spare_cpu()):
            return None
        try:
            proc = subprocess.Popen(
                # -P: never import from the current folder (a stray matplotlib.py there)
                [sys.executable, "-P", "-m", "allocator.report.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError:
            return None
        return cls(proc)

    def submit(self, jobs: list[Job]) -> bool:
        """Send charts to draw; ``False`` if the child cannot take them (draw them yourself)."""
        proc = self._proc
        if proc is None or proc.poll() is not None or proc.stdin is None:
            self.close()
            return False
        try:
            proc.stdin.write(_line(jobs))
            proc.stdin.flush()
        except OSError:
            self.close()
            return False
        self._busy = True
        return True

    def wait(self) -> bool:
        """Wait for the charts sent; ``True`` when all are written. Raises RuntimeError with
        the child's message when drawing failed there; ``False`` when the child died (draw
        them yourself)."""
        proc = self._proc
        if proc is None or proc.stdout is None or not self._busy:
            return False
        self._busy = False
        try:
            status, message = json.loads(proc.stdout.readline())
        except (OSError, ValueError):  # end of output (b"" is not JSON): the child died
            self.close()
            return False
        if status != "ok":
            raise RuntimeError(f"drawing the charts failed: {message}")
        return True

    def close(self, *, kill: bool = False) -> None:
        """Let the child exit (end of input); with ``kill``, stop it at once (an error or
        Ctrl-C in the parent: it must not write into a folder being removed)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill or self._busy:
            proc.kill()
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> ReportWorker:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close(kill=exc_type is not None)


def _line(message: object) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n"


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """The child's loop: warm up, then draw each batch of charts sent until end of input."""
    from allocator.report.chart_drawing import DRAW, warm_up

    with contextlib.suppress(Exception):  # a failed warm-up only costs time
        warm_up()
    while True:
        try:
            line = stdin.readline()
            if not line:
                return 0
            jobs: list[Job] = json.loads(line)
        except (OSError, ValueError):
            return 0
        try:
            for kind, spec, path in jobs:
                DRAW[kind](spec, Path(path))
            reply: tuple[str, str | None] = ("ok", None)
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            stdout.write(_line(reply))
            stdout.flush()
        except OSError:
            return 0


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    return serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    code = main()
    # every chart is written and closed: skip the interpreter's slow teardown of matplotlib
    # (the parent waits for this process to end)
    os._exit(code)
