"""Monte Carlo and risk draws on Dask: in order with bounded backpressure, and on an existing
cluster — a real ``dask scheduler`` and ``dask worker`` started as separate processes — with
the same results as on this machine's own workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner
from uncertaintybuilder import WITH_COSTS, one_program_plan

from allocator.cli.app import app
from allocator.parallel import stream_tasks

runner = CliRunner()
BIN = Path(sys.executable).parent


def _slow_square(shared: int, item: int) -> tuple[int, int]:
    time.sleep(0.02 * ((item * 7) % 5))  # finish out of order
    return item * item + shared, os.getpid()


def test_stream_tasks_yields_in_order_from_other_processes() -> None:
    got = list(stream_tasks(_slow_square, list(range(12)), shared=1, workers=2, window=3))
    assert [i for i, _ in got] == list(range(12))
    assert [r[0] for _, r in got] == [i * i + 1 for i in range(12)]
    assert os.getpid() not in {r[1] for _, r in got}


def test_stream_tasks_in_this_process_with_one_worker() -> None:
    got = list(stream_tasks(_slow_square, [3, 1], shared=0, workers=1))
    assert got == [(0, (9, os.getpid())), (1, (1, os.getpid()))]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--scheduler-file", str(scheduler_file),
             "--port", "0", "--no-dashboard", "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler_file.exists(), "the dask scheduler did not start"
        for _ in range(2):
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
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _frame(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, encoding="utf-8-sig")
    return df.drop(columns=[c for c in ("solve_seconds",) if c in df.columns])


@pytest.mark.slow
def test_montecarlo_on_an_existing_cluster_matches_this_machine(
    tmp_path: Path, cluster: str
) -> None:
    folder = one_program_plan(tmp_path / "plan", uncertainty=WITH_COSTS)
    args = ["montecarlo", "--plan", str(folder), "--draws", "8", "--seed", "4", "--lang", "en"]
    r = runner.invoke(app, [*args, "--scheduler", cluster, "--out", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    assert "cluster tcp://" in r.output
    r = runner.invoke(app, [*args, "--workers", "1", "--out", str(tmp_path / "l")])
    assert r.exit_code == 0, r.output
    for name in ("draws.csv", "draw_inputs.csv"):
        pd.testing.assert_frame_equal(_frame(tmp_path / "c" / name), _frame(tmp_path / "l" / name))
    assert (tmp_path / "c" / "mc_programs.csv").read_bytes() == (
        tmp_path / "l" / "mc_programs.csv"
    ).read_bytes()


@pytest.mark.slow
def test_risk_on_an_existing_cluster_matches_this_machine(tmp_path: Path, cluster: str) -> None:
    folder = one_program_plan(tmp_path / "plan", uncertainty=WITH_COSTS)
    run = tmp_path / "run"
    r = runner.invoke(app, ["--plan", str(folder), "--out", str(run), "--lang", "en"])
    assert r.exit_code == 0, r.output
    base = ["risk", str(run), "--uncertainty", str(folder), "--draws", "600", "--seed", "4"]
    r = runner.invoke(app, [*base, "--scheduler", cluster, "--out", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, [*base, "--workers", "1", "--out", str(tmp_path / "l")])
    assert r.exit_code == 0, r.output
    for name in ("draws.csv", "draw_inputs.csv", "risk_years.csv", "risk_programs.csv"):
        assert (tmp_path / "c" / name).read_bytes() == (tmp_path / "l" / name).read_bytes(), name
