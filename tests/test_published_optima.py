"""The allocator reaches the published optima of OR-Library multi-dimensional knapsack problems.

Each instance of ``shared/reference/capital_budgeting/mknap2.txt`` is written as a plan (see
``tests/mknap.py``): one fiscal year per constraint with the capacity as that year's ceiling,
one all-or-nothing program per object. Rank 1's optimum is then the knapsack optimum, which
must match the published value exactly. WEING1–8 are Weingartner and Ness's two-period capital
budgeting problems; the others have 2–30 constraints (fiscal years). All 48 instances are
solved: each takes under a second with HiGHS on a 2-core machine (about 5 s in total).
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest
from mknap import (
    Instance,
    instance_from_numbers,
    parse_mknap,
    payment_profile,
    program_id,
    reference_file,
    write_plan,
)

from allocator.optim.model import build_model
from allocator.optim.solve import SolveResult, solve_lexicographic
from allocator.plan.loading import load_plan

REPO_ROOT = Path(__file__).resolve().parents[1]
MKNAP_FILE = reference_file(REPO_ROOT)
FIRST_YEAR = 2026

WEING = [f"WEING{i}" for i in range(1, 9)]
OTHERS = [
    "SENTO1",
    "SENTO2",
    *(f"WEISH{i:02d}" for i in range(1, 31)),
    "PB1",
    "PB2",
    "PB4",
    "PB5",
    "PB6",
    "PB7",
    "HP1",
    "HP2",
]
ALL_NAMES = WEING + OTHERS


@pytest.fixture(scope="module")
def instances() -> dict[str, Instance]:
    if not MKNAP_FILE.exists():
        if os.environ.get("CI"):  # CI has shared/ beside the clone: a skip would hide a failure
            pytest.fail(f"OR-Library reference file not found at {MKNAP_FILE}")
        pytest.skip(f"OR-Library reference file not found at {MKNAP_FILE}")
    return {inst.name: inst for inst in parse_mknap(MKNAP_FILE)}


# ---------------------------------------------------------------------------------------------
# the parser


def test_parser_reads_all_48_instances(instances: dict[str, Instance]) -> None:
    assert list(instances) == [
        "SENTO1",
        "SENTO2",
        *WEING,
        *(f"WEISH{i:02d}" for i in range(1, 31)),
        "PB1",
        "PB2",
        "PB4",
        "PB5",
        "PB6",
        "PB7",
        "HP1",
        "HP2",
    ]
    assert sorted(instances) == sorted(ALL_NAMES)
    for inst in instances.values():
        n, m = inst.n_constraints, inst.n_objects
        assert n >= 2 and m >= 20, inst.name
        assert len(inst.values) == m and len(inst.capacities) == n, inst.name
        assert len(inst.rows) == n and all(len(r) == m for r in inst.rows), inst.name
        assert all(v >= 0 for v in inst.values), inst.name
        assert all(c > 0 for c in inst.capacities), inst.name
        assert all(a >= 0 for r in inst.rows for a in r), inst.name
        assert 0 < inst.optimum <= sum(inst.values), inst.name


def test_parser_dimensions_of_known_instances(instances: dict[str, Instance]) -> None:
    dims = {name: (inst.n_constraints, inst.n_objects) for name, inst in instances.items()}
    assert dims["SENTO1"] == (30, 60)
    assert dims["WEING1"] == (2, 28)
    assert dims["WEING7"] == (2, 105)
    assert dims["WEISH30"] == (5, 90)
    assert dims["PB4"] == (2, 29)
    assert dims["PB6"] == (30, 40)
    assert dims["HP2"] == (4, 35)
    w1 = instances["WEING1"]
    assert w1.values[:3] == (1898, 440, 22507) and w1.values[-1] == 10500
    assert w1.capacities == (600, 600)
    assert w1.rows[0][:4] == (45, 0, 85, 150) and w1.rows[1][-1] == 150
    assert w1.optimum == 141278
    assert instances["PB4"].optimum == 95168


def test_commented_example_in_header_is_weing1(instances: dict[str, Instance]) -> None:
    """The header's commented example (skipped by the parser) is the same data as WEING1."""
    numbers: list[int] = []
    in_example = False
    for line in MKNAP_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("problem"):
            break
        if line.strip() == "EXAMPLE":
            in_example = True
            continue
        words = line.split("//", 1)[0].split()
        if in_example and words and all(w.isdigit() for w in words):
            numbers.extend(int(w) for w in words)
    assert instance_from_numbers("WEING1", numbers) == instances["WEING1"]


def test_parser_refuses_a_short_instance(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("header text 1 2 3\nproblem X.DAT\n+++\n2 3\n1 2 3\n5 5\n1 1 1\n1 1\n\n4\n")
    with pytest.raises(ValueError, match="expected"):
        parse_mknap(bad)


def test_parser_tolerates_wrapping_and_comments(tmp_path: Path) -> None:
    text = (
        "intro 7 8 9\nproblem A.DAT\n+++++\n2\n3 1 2\n3 // values\n4 5\n"
        "1 1 1 0 2\n2 // rows\n\n 5\n+++++\nproblem B.DAT\n1 1 7 3 2 7\n"
    )
    f = tmp_path / "ok.txt"
    f.write_text(text)
    a, b = parse_mknap(f)
    assert a == Instance("A", (1, 2, 3), (4, 5), ((1, 1, 1), (0, 2, 2)), 5)
    assert b == Instance("B", (7,), (3,), ((2,),), 7)


# ---------------------------------------------------------------------------------------------
# the converter


def test_write_plan_loads_as_the_knapsack(instances: dict[str, Instance], tmp_path: Path) -> None:
    inst = instances["WEING7"]
    plan = load_plan(write_plan(inst, tmp_path, first_year=FIRST_YEAR))
    n = inst.n_constraints
    assert plan.fiscal_years == list(range(FIRST_YEAR, FIRST_YEAR + n))
    assert [plan.fiscal.ceiling(FIRST_YEAR + i) for i in range(n)] == list(inst.capacities)
    assert len(plan.programs) == inst.n_objects
    for j, p in enumerate(plan.programs):
        assert p.program_id == program_id(j)
        assert p.value == inst.values[j]
        # zero-payment years are written and loaded too
        assert p.profile == {FIRST_YEAR + i: inst.rows[i][j] for i in range(n)}
        assert p.low_oku_yen == p.high_oku_yen == sum(inst.column(j))
        assert not plan.counts_toward_defense(p)
    assert payment_profile(inst, 0, FIRST_YEAR) == "2026:75;2027:0"


# ---------------------------------------------------------------------------------------------
# the published optima


def _check_optimum(inst: Instance, result: SolveResult) -> None:
    assert result.status == "optimal", [s.status for s in result.stages]
    objective = result.rank_values()[1]
    assert abs(objective - round(objective)) < 1e-6, objective
    assert round(objective) == inst.optimum

    funded = {j for j in range(inst.n_objects) if result.funded[program_id(j)]}
    assert sum(inst.values[j] for j in funded) == inst.optimum

    paid: dict[int, int] = defaultdict(int)
    by_program: dict[str, dict[int, int]] = defaultdict(dict)
    for pid, year, amount in result.schedule[
        ["program_id", "fiscal_year", "amount_oku_yen"]
    ].itertuples(index=False):
        paid[int(year)] += int(amount)
        by_program[str(pid)][int(year)] = int(amount)
    for i, capacity in enumerate(inst.capacities):
        assert paid[FIRST_YEAR + i] <= capacity, (FIRST_YEAR + i, paid[FIRST_YEAR + i], capacity)
    for j in range(inst.n_objects):
        expected = (
            {FIRST_YEAR + i: a for i, a in enumerate(inst.column(j)) if a} if j in funded else {}
        )
        assert by_program.get(program_id(j), {}) == expected, program_id(j)


def _solve(inst: Instance, folder: Path) -> SolveResult:
    plan = load_plan(write_plan(inst, folder, first_year=FIRST_YEAR))
    return solve_lexicographic(build_model(plan), time_limit=120, gap=0.0)


@pytest.mark.parametrize("name", WEING)
def test_weing_capital_budgeting_optimum(
    name: str, instances: dict[str, Instance], tmp_path: Path
) -> None:
    inst = instances[name]
    assert inst.n_constraints == 2  # two-period capital budgeting
    _check_optimum(inst, _solve(inst, tmp_path))


@pytest.mark.parametrize("name", OTHERS)
def test_other_mknap_optimum(name: str, instances: dict[str, Instance], tmp_path: Path) -> None:
    inst = instances[name]
    _check_optimum(inst, _solve(inst, tmp_path))
