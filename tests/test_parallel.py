"""Sweeps on Dask: in this process, on a local cluster of worker processes, and on an existing
cluster (a real ``dask scheduler`` with a worker started as separate processes). The same caps
give the same frontier whichever way they are solved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import PLAIN as DATA
from planbuilder import program, write_plan
from typer.testing import CliRunner

from allocator.cli.app import EXIT_USAGE, app
from allocator.errors import UsageError
from allocator.optim.analysis import sweep
from allocator.parallel import run_tasks
from allocator.plan.cap import cap_grid, parse_cap
from allocator.plan.loading import load_plan
from allocator.run.tables import frontier_table

runner = CliRunner()
BIN = Path(sys.executable).parent


def _square(shared: int, item: int) -> tuple[int, int]:
    return item * item + shared, os.getpid()


def small_plan(tmp_path: Path) -> Path:
    progs = [
        program("P", 0, 3000, first=2026, last=2027),
        program("Q", 0, 2000, first=2026, last=2027, rank=2),
        program("E", 0, 300, rank=2, area="H"),
    ]
    return write_plan(
        tmp_path / "plan",
        progs,
        years=2,
        ranks=2,
        baseline=1000,
        areas={"A": {}, "H": {"counts_toward_defense": False}},
    )


def test_run_tasks_in_this_process_keeps_order_and_runs_here() -> None:
    got = list(run_tasks(_square, [1, 2, 3], shared=10, workers=1))
    assert [(i, r[0]) for i, r in got] == [(0, 11), (1, 14), (2, 19)]
    assert {r[1] for _, r in got} == {os.getpid()}


def test_run_tasks_on_a_local_cluster_uses_other_processes() -> None:
    got = dict(run_tasks(_square, list(range(6)), shared=1, workers=2))
    assert {i: r[0] for i, r in got.items()} == {i: i * i + 1 for i in range(6)}
    assert os.getpid() not in {r[1] for r in got.values()}


def test_workers_below_one_are_refused() -> None:
    with pytest.raises(UsageError, match="--workers"):
        list(run_tasks(_square, [1, 2], workers=0))


def test_parallel_sweep_equals_the_serial_one(tmp_path: Path) -> None:
    plan = load_plan(small_plan(tmp_path))
    caps = cap_grid(parse_cap("0.5%"), parse_cap("3%"), parse_cap("0.5%"))
    serial = sweep(plan, caps, workers=1)
    parallel = sweep(plan, caps, workers=2)
    assert parallel.workers == 2 and serial.workers == 1
    assert frontier_table(parallel).equals(frontier_table(serial))
    assert [p.cap for p in parallel.points] == caps


def test_cli_sweep_forks_its_workers_by_default(tmp_path: Path) -> None:
    """The product's default start method, fork, as a user meets it: ``allocate`` in a fresh
    process. (Clusters started inside the test processes use a forkserver: tests/conftest.py.)"""
    folder = small_plan(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "ALLOCATOR_WORKER_START"}
    sweep_args = ["sweep", "--cap", "0.5%..3%", "--step", "0.5%", "--lang", "en"]
    sweep_args += ["--plan", str(folder)]
    proc = subprocess.run(
        [str(BIN / "allocate"), *sweep_args, "--workers", "2", "--out", str(tmp_path / "forked")],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "(2 workers" in proc.stdout, proc.stdout
    r = runner.invoke(app, [*sweep_args, "--workers", "1", "--out", str(tmp_path / "here")])
    assert r.exit_code == 0, r.output
    forked = (tmp_path / "forked" / "frontier.csv").read_bytes()
    assert forked == (tmp_path / "here" / "frontier.csv").read_bytes()


@pytest.mark.slow  # the shipped plan solved several times; -m slow
def test_shipped_plan_sweep_in_parallel_matches_serial() -> None:
    plan = load_plan(DATA)
    caps = [Fraction(19, 1000), Fraction(2, 100), Fraction(21, 1000)]
    assert frontier_table(sweep(plan, caps, workers=2)).equals(
        frontier_table(sweep(plan, caps, workers=1))
    )


def test_cli_refuses_zero_workers_and_an_unreachable_scheduler(tmp_path: Path) -> None:
    folder = small_plan(tmp_path)
    r = runner.invoke(app, ["sweep", "--cap", "1%..2%", "--plan", str(folder), "--workers", "0"])
    assert r.exit_code == EXIT_USAGE and "--workers" in r.output
    r = runner.invoke(
        app,
        ["sweep", "--cap", "1%..2%", "--plan", str(folder), "--scheduler", "tcp://127.0.0.1:9"],
    )
    assert r.exit_code == EXIT_USAGE, r.output
    assert "no Dask scheduler answers" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "reports").exists()


@pytest.mark.slow  # the shipped plan solved several times; -m slow
def test_sweep_on_an_existing_cluster(tmp_path: Path) -> None:
    """A real scheduler and worker, each its own process, as a ministry's cluster would be."""
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--scheduler-file", str(scheduler_file),
             "--port", "0", "--no-dashboard", "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        ),
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler_file.exists(), "the dask scheduler did not start"
        procs.append(
            subprocess.Popen(
                [str(BIN / "dask"), "worker", "--scheduler-file", str(scheduler_file),
                 "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
            )
        )  # fmt: skip
        address = json.loads(scheduler_file.read_text(encoding="utf-8"))["address"]
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        folder = small_plan(tmp_path)
        out = tmp_path / "sweep"
        r = runner.invoke(
            app,
            ["sweep", "--cap", "0.5%..3%", "--step", "0.5%", "--plan", str(folder),
             "--scheduler", address, "--out", str(out)],
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        local = tmp_path / "local"
        r = runner.invoke(
            app,
            ["sweep", "--cap", "0.5%..3%", "--step", "0.5%", "--plan", str(folder),
             "--workers", "1", "--out", str(local)],
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        assert (out / "frontier.csv").read_bytes() == (local / "frontier.csv").read_bytes()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
