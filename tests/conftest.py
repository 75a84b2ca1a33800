from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from plainplan import strip_contracts

from allocator.optim.model import build_model
from allocator.optim.solve import SolveResult, solve_lexicographic
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.schema import Plan

# Local Dask clusters started by the tests (tests/test_parallel.py, test_cli_sweep.py,
# test_montecarlo.py, test_uncertainty_cluster.py) get their workers from a forkserver, not by
# forking this process. Dask forks from one of its own threads while its event loop thread keeps
# running; the loop writes Dask's INFO records (scheduler and nanny start-up) through pytest's
# logging handlers, which sit on the root logger so Dask does not install its own (among them
# a file handler on /dev/null whose buffered writer has a lock). A worker forked while the loop
# held that lock inherits it held, by a thread the child does not have, and hangs at its first
# log record ("Start worker at", in StreamHandler.flush); LocalCluster then waits for it forever.
# It happened in about 1 run in 15 of the four files under -n 2, serial runs included in
# principle. A forkserver is a fresh single-threaded process, so its children start clean;
# it costs about 6 s once per test process and about 1 s per cluster (spawn: 6-8 s a cluster).
# The product's default (fork, in a process without such handlers) is tested in a fresh
# process: test_parallel.py::test_cli_sweep_forks_its_workers_by_default.
# ALLOCATOR_WORKER_START=fork in the environment still chooses fork here, deliberately.
os.environ.setdefault("ALLOCATOR_WORKER_START", "forkserver")


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Without pytest-xdist (``-p no:xdist``, or not installed), accept and ignore the
    ``--numprocesses``/``--dist`` in pyproject's addopts, so the tests run in one process."""
    if pluginmanager.has_plugin("xdist"):
        return
    group = parser.getgroup("xdist-absent", "pytest-xdist is not loaded; these are ignored")
    group.addoption("--numprocesses", default=None, help="ignored without pytest-xdist")
    group.addoption("--dist", default="no", help="ignored without pytest-xdist")


REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
_PLAIN_ROOT = Path(tempfile.mkdtemp(prefix="allocator-plain-"))
atexit.register(shutil.rmtree, _PLAIN_ROOT, ignore_errors=True)
PLAIN = strip_contracts(DATA, _PLAIN_ROOT / "plain")
"""The shipped plan without its contract data (see tests/plainplan.py): the plan whose
figures the older tests were worked out on."""


def solve_folder(folder: Path, overrides: Overrides | None = None) -> tuple[Plan, SolveResult]:
    plan = load_plan(folder, overrides)
    return plan, solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)


def amounts(result: SolveResult) -> dict[tuple[str, int], int]:
    """{(program_id, fiscal_year): 億円} of the solved schedule."""
    return {
        (r.program_id, int(r.fiscal_year)): int(r.amount_oku_yen)
        for r in result.schedule.itertuples()
    }


def totals(result: SolveResult) -> dict[str, int]:
    out: dict[str, int] = {}
    for (pid, _), a in amounts(result).items():
        out[pid] = out.get(pid, 0) + a
    return out


@pytest.fixture
def shipped_plan_dir() -> Path:
    return DATA
