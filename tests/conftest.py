from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
from plainplan import strip_contracts

from allocator.optim.model import build_model
from allocator.optim.solve import SolveResult, solve_lexicographic
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.schema import Plan

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
