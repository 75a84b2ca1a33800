"""Published capital-budgeting examples with mutually exclusive and contingent projects, written
in the plan format and solved by the allocator, against their published optima or — where a
source gives the data and the logical conditions but no optimum — an optimum computed here
independently (enumeration of every subset, or a dynamic program), as each test says.

Each project is a go/no-go program with a fixed payment profile (its outlay in each period)
and an explicit value (its net present value); each budget period is a fiscal year whose
ceiling is the budget; GDP is so large that the cap never binds. Rank 1's optimum is then the
capital-budgeting optimum. Amounts are in the sources' units (millions or thousands of
dollars), read as 億円: only the numbers matter.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from mknap import Instance, parse_mknap, program_id, reference_file
from mknap import write_plan as write_mknap_plan
from planbuilder import program, write_plan

from allocator.optim.model import build_model
from allocator.optim.solve import SolveResult, solve_lexicographic
from allocator.plan.loading import load_plan
from allocator.plan.schema import Plan

HUGE_GDP = 10**12


@dataclass(frozen=True)
class Rule:
    """One ``[[groups]]`` entry: ``kind`` is at_most, at_least, all_or_none, requires or
    requires_any; ``k`` the number for at_most / at_least; ``needs`` the required programs."""

    members: tuple[str, ...]
    kind: str
    k: int = 0
    needs: tuple[str, ...] = ()

    def toml(self, gid: str, source: str) -> str:
        listed = ", ".join(f'"{p}"' for p in self.members)
        body = {
            "at_most": f"at_most = {self.k}",
            "at_least": f"at_least = {self.k}",
            "all_or_none": "all_or_none = true",
            "requires": "requires = [" + ", ".join(f'"{p}"' for p in self.needs) + "]",
            "requires_any": "requires_any = [" + ", ".join(f'"{p}"' for p in self.needs) + "]",
        }[self.kind]
        return (
            f'[[groups]]\nid = "{gid}"\nname_ja = "{gid}"\nname_en = "{gid}"\n'
            f'programs = [{listed}]\n{body}\nsource = "{source}"\n\n'
        )

    def holds(self, chosen: set[str]) -> bool:
        n = sum(p in chosen for p in self.members)
        if self.kind == "at_most":
            return n <= self.k
        if self.kind == "at_least":
            return n >= self.k
        if self.kind == "all_or_none":
            return n in (0, len(self.members))
        if self.kind == "requires":
            return n == 0 or all(q in chosen for q in self.needs)
        return n == 0 or any(q in chosen for q in self.needs)


@dataclass(frozen=True)
class Budgeting:
    """A one-period capital-budgeting problem: projects (id, outlay, NPV), a budget, rules."""

    source: str
    projects: tuple[tuple[str, int, int], ...]
    budget: int
    rules: tuple[Rule, ...] = field(default=())

    def write(self, folder: Path) -> Path:
        progs = [
            program(pid, payment_profile=f"2026:{cost}", value=npv, source=self.source)
            for pid, cost, npv in self.projects
        ]
        return write_plan(
            folder,
            progs,
            gdp=HUGE_GDP,
            fiscal=f"max_new_per_year_oku_yen = {self.budget}",
            extra_toml="".join(r.toml(f"g{i}", self.source) for i, r in enumerate(self.rules)),
        )

    def enumerate_optimum(self) -> tuple[int, set[str]]:
        """The best NPV over every subset of projects (2^n of them), and one best subset."""
        best: tuple[int, set[str]] = (-1, set())
        ids = [p for p, _, _ in self.projects]
        cost = {p: c for p, c, _ in self.projects}
        npv = {p: v for p, _, v in self.projects}
        for mask in itertools.product((0, 1), repeat=len(ids)):
            chosen = {p for p, x in zip(ids, mask, strict=True) if x}
            if sum(cost[p] for p in chosen) > self.budget:
                continue
            if all(r.holds(chosen) for r in self.rules):
                value = sum(npv[p] for p in chosen)
                if value > best[0]:
                    best = (value, chosen)
        return best


def solve(folder: Path) -> tuple[Plan, SolveResult]:
    plan = load_plan(folder)
    return plan, solve_lexicographic(build_model(plan), time_limit=120, gap=0.0)


def funded(result: SolveResult) -> set[str]:
    return {p for p, on in result.funded.items() if on}


# ---------------------------------------------------------------------------------------------
# Hillier & Lieberman, Introduction to Operations Research, §12.1 (9th ed.): the California
# Manufacturing Company. Factories in Los Angeles (NPV 9, capital 6) and San Francisco (5, 3);
# at most one new warehouse, Los Angeles (6, 5) or San Francisco (4, 2), and only in a city
# where a factory is built; capital 10 ($ million). Published optimum: both factories, no
# warehouse, Z = 14.

CALIFORNIA = Budgeting(
    source="Hillier & Lieberman, Introduction to Operations Research, 9th ed., §12.1",
    projects=(("FLA", 6, 9), ("FSF", 3, 5), ("WLA", 5, 6), ("WSF", 2, 4)),
    budget=10,
    rules=(
        Rule(("WLA", "WSF"), "at_most", 1),
        Rule(("WLA",), "requires", needs=("FLA",)),
        Rule(("WSF",), "requires", needs=("FSF",)),
    ),
)


def test_california_manufacturing_published_optimum(tmp_path: Path) -> None:
    plan, result = solve(CALIFORNIA.write(tmp_path))
    assert [g.rules() for g in plan.groups] == [
        "at most 1 of WLA, WSF",
        "WLA only with FLA",
        "WSF only with FSF",
    ]
    assert result.status == "optimal"
    assert result.rank_values() == {1: 14}
    assert funded(result) == {"FLA", "FSF"}
    assert CALIFORNIA.enumerate_optimum() == (14, {"FLA", "FSF"})


def test_california_manufacturing_san_diego_extension(tmp_path: Path) -> None:
    """The textbook's follow-up problem adds a factory in San Diego (NPV 7, capital 4) and a
    warehouse there (5, 3), with the same rules; no optimum is printed with it. Enumeration
    gives 17: factories in San Francisco and San Diego and the San Diego warehouse."""
    extended = Budgeting(
        source=CALIFORNIA.source + ", San Diego problem",
        projects=(*CALIFORNIA.projects, ("FSD", 4, 7), ("WSD", 3, 5)),
        budget=10,
        rules=(
            Rule(("WLA", "WSF", "WSD"), "at_most", 1),
            Rule(("WLA",), "requires", needs=("FLA",)),
            Rule(("WSF",), "requires", needs=("FSF",)),
            Rule(("WSD",), "requires", needs=("FSD",)),
        ),
    )
    assert extended.enumerate_optimum() == (17, {"FSF", "FSD", "WSD"})
    _, result = solve(extended.write(tmp_path))
    assert result.rank_values() == {1: 17}
    assert funded(result) == {"FSF", "FSD", "WSD"}


# ---------------------------------------------------------------------------------------------
# M. Trick, A Tutorial on Integer Programming (CMU, 1997), "Capital budgeting": invest $14,000
# in four opportunities (outlay, present value in $1,000): (5, 8), (7, 11), (4, 6), (3, 4).
# Published optimum 21 (investments 2, 3 and 4). The tutorial then lists three logical
# conditions without solving them: only two investments; if 2 then 4; if 1 then not 3.

TRICK = Budgeting(
    source="M. Trick, A Tutorial on Integer Programming, CMU 1997, capital budgeting",
    projects=(("I1", 5, 8), ("I2", 7, 11), ("I3", 4, 6), ("I4", 3, 4)),
    budget=14,
)
TRICK_RULES = {
    "only two": Rule(("I1", "I2", "I3", "I4"), "at_most", 2),
    "2 needs 4": Rule(("I2",), "requires", needs=("I4",)),
    "1 excludes 3": Rule(("I1", "I3"), "at_most", 1),
}


@pytest.mark.parametrize(
    ("names", "optimum", "chosen"),
    [
        ((), 21, {"I2", "I3", "I4"}),  # published
        (("only two",), 19, {"I1", "I2"}),
        (("2 needs 4",), 21, {"I2", "I3", "I4"}),
        (("1 excludes 3",), 21, {"I2", "I3", "I4"}),
        (("only two", "2 needs 4"), 15, {"I2", "I4"}),
        (("only two", "2 needs 4", "1 excludes 3"), 15, {"I2", "I4"}),
    ],
)
def test_trick_capital_budgeting(
    names: tuple[str, ...], optimum: int, chosen: set[str], tmp_path: Path
) -> None:
    case = Budgeting(
        TRICK.source, TRICK.projects, TRICK.budget, tuple(TRICK_RULES[n] for n in names)
    )
    assert case.enumerate_optimum() == (optimum, chosen)  # by hand in the table above, too
    _, result = solve(case.write(tmp_path))
    assert result.rank_values() == {1: optimum}
    assert funded(result) == chosen


# ---------------------------------------------------------------------------------------------
# W. Winston, Operations Research: Applications and Algorithms, "Stockco" capital budgeting:
# four investments (cash outflow, NPV in $1,000): (5, 16), (7, 22), (4, 12), (3, 8); $14,000.
# Published optimum 42 (investments 2, 3, 4), then the conditions: at most two investments; if
# 2 then 1; if 2 then not 4 — optima computed here by enumeration.

STOCKCO = Budgeting(
    source="W. Winston, Operations Research: Applications and Algorithms, Stockco",
    projects=(("S1", 5, 16), ("S2", 7, 22), ("S3", 4, 12), ("S4", 3, 8)),
    budget=14,
)
STOCKCO_RULES = {
    "at most two": Rule(("S1", "S2", "S3", "S4"), "at_most", 2),
    "2 needs 1": Rule(("S2",), "requires", needs=("S1",)),
    "2 excludes 4": Rule(("S2", "S4"), "at_most", 1),
}


@pytest.mark.parametrize(
    ("names", "optimum", "chosen"),
    [
        ((), 42, {"S2", "S3", "S4"}),  # published
        (("at most two",), 38, {"S1", "S2"}),
        (("2 needs 1",), 38, {"S1", "S2"}),
        (("2 excludes 4",), 38, {"S1", "S2"}),
        (("at most two", "2 needs 1", "2 excludes 4"), 38, {"S1", "S2"}),
    ],
)
def test_winston_stockco(
    names: tuple[str, ...], optimum: int, chosen: set[str], tmp_path: Path
) -> None:
    rules = tuple(STOCKCO_RULES[n] for n in names)
    case = Budgeting(STOCKCO.source, STOCKCO.projects, STOCKCO.budget, rules)
    assert case.enumerate_optimum() == (optimum, chosen)
    _, result = solve(case.write(tmp_path))
    assert result.rank_values() == {1: optimum}
    assert funded(result) == chosen


# ---------------------------------------------------------------------------------------------
# Weingartner & Ness (1967): the two-period capital-budgeting problems WEING1–8 of OR-Library
# (published optima without interrelations, tests/test_published_optima.py), with project
# interrelations of the kinds Weingartner (1966, "Capital budgeting of interrelated projects")
# surveys added: mutually exclusive projects, a contingent project, a package, a k-of-n choice,
# a project contingent on one of two others, and one of two projects required. No optimum is
# published for these: it is computed here by a two-period dynamic program over the budgets
# (checked first against the published optimum without the interrelations).


def _dp_best(capacities: Sequence[int], items: Sequence[Sequence[tuple[int, int, int]]]) -> int:
    """Two-dimensional knapsack by dynamic programming: each item is a list of options
    (cost in period 1, cost in period 2, value), one of which is taken (or nothing)."""
    c1, c2 = capacities
    best = np.zeros((c1 + 1, c2 + 1), dtype=np.int64)
    for opts in items:
        new = best.copy()
        for w1, w2, v in opts:
            if w1 > c1 or w2 > c2:
                continue
            shifted = np.full_like(best, np.iinfo(np.int64).min // 2)
            shifted[w1:, w2:] = best[: c1 + 1 - w1, : c2 + 1 - w2] + v
            np.maximum(new, shifted, out=new)
        best = new
    return int(best[c1, c2])


def _dp_choice(inst: Instance) -> set[int]:
    """One optimal set of objects without interrelations (the DP, then backtracking through
    which object improved which cell)."""
    c1, c2 = inst.capacities
    best = np.zeros((c1 + 1, c2 + 1), dtype=np.int64)
    took: list[np.ndarray] = []
    for j in range(inst.n_objects):
        w1, w2 = inst.column(j)
        taken = np.zeros_like(best, dtype=bool)
        if w1 <= c1 and w2 <= c2:
            with_j = best[: c1 + 1 - w1, : c2 + 1 - w2] + inst.values[j]
            taken[w1:, w2:] = with_j > best[w1:, w2:]
            best[w1:, w2:] = np.maximum(best[w1:, w2:], with_j)
        took.append(taken)
    chosen: set[int] = set()
    a, b = c1, c2
    for j in reversed(range(inst.n_objects)):
        if took[j][a, b]:
            chosen.add(j)
            a, b = a - inst.column(j)[0], b - inst.column(j)[1]
    return chosen


def interrelations(inst: Instance) -> tuple[Rule, ...]:
    """Six interrelations on disjoint objects, chosen to bind: built around one optimal set S
    of the problem without them (its six most valuable members, the most valuable outsiders)."""
    inside = sorted(_dp_choice(inst), key=lambda j: -inst.values[j])
    outside = sorted(set(range(inst.n_objects)) - set(inside), key=lambda j: -inst.values[j])
    pid = [program_id(j) for j in range(inst.n_objects)]
    i, o = iter(inside), iter(outside)
    a, b, c, e, g, m = (pid[next(i)] for _ in range(6))  # WEING3's S has 6 objects
    d, f, h, k, x, y, n1, n2 = (pid[next(o)] for _ in range(8))
    return (
        Rule((a, b), "at_most", 1),  # mutually exclusive
        Rule((c,), "requires", needs=(d,)),  # contingent
        Rule((e, f), "all_or_none"),  # a package
        Rule((g, h, k), "at_most", 2),  # two of three
        Rule((m,), "requires_any", needs=(x, y)),  # contingent on one of two
        Rule((n1, n2), "at_least", 1),  # one of two outsiders must be done
    )


def dp_with(inst: Instance, rules: Sequence[Rule]) -> int:
    """The optimum under ``rules`` (disjoint groups of objects) by the dynamic program: each
    group becomes one item whose options are the subsets of its objects the rules allow."""
    index = {program_id(j): j for j in range(inst.n_objects)}
    covered: set[str] = set()
    items: list[list[tuple[int, int, int]]] = []

    def option(subset: Sequence[str]) -> tuple[int, int, int]:
        cols = [inst.column(index[p]) for p in subset]
        return (
            sum(c[0] for c in cols),
            sum(c[1] for c in cols),
            sum(inst.values[index[p]] for p in subset),
        )

    for rule in rules:
        objs = sorted({*rule.members, *rule.needs})
        assert not covered & set(objs), "the dynamic program needs disjoint groups"
        covered |= set(objs)
        allowed = [
            s
            for n in range(len(objs) + 1)
            for s in itertools.combinations(objs, n)
            if rule.holds(set(s))
        ]
        must = () not in allowed
        opts = [option(s) for s in allowed if s]
        if must:  # the empty choice is not allowed: force one option by a large bonus
            opts = [(w1, w2, v + 10**9) for w1, w2, v in opts]
        items.append(opts)
    forced = sum(1 for r in rules if r.kind == "at_least")
    for p, j in index.items():
        if p not in covered:
            items.append([(*inst.column(j), inst.values[j])])
    return _dp_best(inst.capacities, items) - forced * 10**9


WEING_SMALL = ["WEING1", "WEING2", "WEING3", "WEING4", "WEING5", "WEING6", "WEING8"]


@pytest.fixture(scope="module")
def weing() -> dict[str, Instance]:
    path = reference_file(Path(__file__).resolve().parents[1])
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"OR-Library reference file not found at {path}")
        pytest.skip(f"OR-Library reference file not found at {path}")
    return {i.name: i for i in parse_mknap(path) if i.name.startswith("WEING")}


@pytest.mark.parametrize("name", WEING_SMALL)
def test_weingartner_with_interrelated_projects(
    name: str, weing: dict[str, Instance], tmp_path: Path
) -> None:
    inst = weing[name]
    assert dp_with(inst, ()) == inst.optimum  # the dynamic program reproduces the published
    rules = interrelations(inst)
    expected = dp_with(inst, rules)
    assert expected < inst.optimum  # the interrelations bind
    folder = write_mknap_plan(inst, tmp_path)
    with (folder / "plan.toml").open("a", encoding="utf-8") as f:
        f.write("\n" + "".join(r.toml(f"w{i}", f"test: {name} + interrelations")
                               for i, r in enumerate(rules)))  # fmt: skip
    plan, result = solve(folder)
    assert len(plan.groups) == 6
    assert result.status == "optimal"
    assert round(result.rank_values()[1]) == expected
    chosen = funded(result)
    assert all(r.holds(chosen) for r in rules)
    index = {program_id(j): j for j in range(inst.n_objects)}
    for period, capacity in enumerate(inst.capacities):
        assert sum(inst.column(index[p])[period] for p in chosen) <= capacity
    assert sum(inst.values[index[p]] for p in chosen) == expected
