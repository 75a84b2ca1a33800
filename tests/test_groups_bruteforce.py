"""Random tiny plans with ``[[groups]]`` against brute force.

Every schedule of a tiny plan is enumerated (go/no-go and whole 億円 per program and year), the
rules of docs/model.md and docs/plan-format.md — program ranges, windows, per-year maxima,
units, fixed profiles, mandatory programs, the GDP cap, fiscal ceilings, area bounds and every
kind of group — are checked exactly here, and the lexicographic optimum of the rank values is
taken. The solver must reach that optimum with a schedule that keeps every rule, and call the
plan infeasible exactly when no schedule exists. Nothing here is shared with
``allocator.optim``: the plan is read by the real loader, and only the solve itself is the
allocator's.

``python tests/test_groups_bruteforce.py --n 2000 --seed 1`` checks more plans and prints the
failure rate.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from planbuilder import program, write_plan

from allocator.errors import PlanError
from allocator.optim.model import build_model
from allocator.optim.solve import solve_lexicographic
from allocator.plan.loading import load_plan
from allocator.plan.schema import Plan, Program

Schedule = dict[str, dict[int, int]]
"""{program_id: {fiscal_year: 億円}} (every year of the program's window in the horizon)."""


# ---------------------------------------------------------------------------------------------
# the rules, written from the documentation


def years_of(plan: Plan, p: Program) -> list[int]:
    horizon = set(plan.fiscal_years)
    if p.payment_profile is not None:
        return [y for y, _ in p.payment_profile if y in horizon]
    return [y for y in p.window if y in horizon]


def options(plan: Plan, p: Program) -> list[tuple[bool, dict[int, int]]]:
    """Every (funded, {year: 億円}) a program may take on its own."""
    years = years_of(plan, p)
    none = (False, dict.fromkeys(years, 0))
    if p.payment_profile is not None:
        paid = (True, {y: a for y, a in p.payment_profile if y in years})
        return [paid] if p.mandatory else [paid, none]
    top = p.high_oku_yen if p.max_per_year_oku_yen is None else p.max_per_year_oku_yen
    step = p.unit_cost_oku_yen or 1
    out = [] if p.mandatory else [none]
    for combo in itertools.product(range(0, min(top, p.high_oku_yen) + 1, step), repeat=len(years)):
        if max(p.low_oku_yen, 1) <= sum(combo) <= p.high_oku_yen:
            out.append((True, dict(zip(years, combo, strict=True))))
    return out


def groups_hold(plan: Plan, funded: dict[str, bool]) -> bool:
    for g in plan.groups:
        n = sum(funded[p] for p in g.programs)
        if g.at_most is not None and n > g.at_most:
            return False
        if g.at_least is not None and n < g.at_least:
            return False
        if g.all_or_none and 0 < n < len(g.programs):
            return False
        for p in g.programs:
            if funded[p] and not all(funded[q] for q in g.requires):
                return False
            if funded[p] and g.requires_any and not any(funded[q] for q in g.requires_any):
                return False
    return True


def sums_hold(plan: Plan, money: Schedule) -> bool:
    """The GDP cap, fiscal ceilings and area bounds."""
    by_id = {p.program_id: p for p in plan.programs}
    for y in plan.fiscal_years:
        defence = sum(
            a.get(y, 0) for pid, a in money.items() if plan.counts_toward_defense(by_id[pid])
        )
        if plan.baseline(y) + defence > plan.cap_oku_yen(y):
            return False
        ceiling = plan.fiscal.ceiling(y)
        if ceiling is not None and sum(a.get(y, 0) for a in money.values()) > ceiling:
            return False
    for area in plan.areas:
        total = sum(sum(money[p.program_id].values()) for p in plan.programs if p.area == area.id)
        if area.low_oku_yen is not None and total < area.low_oku_yen:
            return False
        if area.high_oku_yen is not None and total > area.high_oku_yen:
            return False
    return True


def rank_values(plan: Plan, money: Schedule, funded: dict[str, bool]) -> tuple[int, ...]:
    """Value per rank: 億円 funded, or an explicit value of a fixed profile when funded."""
    out = dict.fromkeys((r.rank for r in plan.ranks), 0)
    for p in plan.programs:
        if p.value is not None:
            out[p.rank] += int(p.value) * funded[p.program_id]
        else:
            out[p.rank] += sum(money[p.program_id].values())
    return tuple(out[r.rank] for r in plan.ranks)


def schedules(plan: Plan) -> Iterator[tuple[Schedule, dict[str, bool]]]:
    """Every schedule keeping the program rules, the groups and the sums."""
    progs = list(plan.programs)
    choices = [options(plan, p) for p in progs]
    for combo in itertools.product(*choices):
        funded = {p.program_id: go for p, (go, _) in zip(progs, combo, strict=True)}
        if not groups_hold(plan, funded):
            continue
        money = {p.program_id: dict(a) for p, (_, a) in zip(progs, combo, strict=True)}
        if sums_hold(plan, money):
            yield money, funded


def optimum(plan: Plan) -> tuple[int, ...] | None:
    """The lexicographic maximum of the rank values; None when no schedule exists."""
    return max((rank_values(plan, m, f) for m, f in schedules(plan)), default=None)


def search_size(plan: Plan) -> int:
    n = 1
    for p in plan.programs:
        n *= len(options(plan, p))
    return n


# ---------------------------------------------------------------------------------------------
# random tiny plans


GROUP_KINDS = ("at_most", "at_least", "exactly", "all_or_none", "requires", "requires_any")


def random_groups(rng: random.Random, ids: list[str]) -> str:
    out = []
    for n in range(rng.randint(1, 3)):
        kind = rng.choice(GROUP_KINDS)
        members = rng.sample(ids, rng.randint(1, min(3, len(ids))))
        others = [p for p in ids if p not in members]
        rules: list[str] = []
        if kind == "at_most":
            rules.append(f"at_most = {rng.randint(0, max(len(members) - 1, 0))}")
        elif kind == "at_least":
            rules.append(f"at_least = {rng.randint(1, len(members))}")
        elif kind == "exactly":
            k = rng.randint(1, len(members))
            rules += [f"at_least = {k}", f"at_most = {k}"]
        elif kind == "all_or_none":
            if len(members) < 2:
                members = rng.sample(ids, 2)
            rules.append("all_or_none = true")
        elif not others:
            rules.append(f"at_most = {len(members)}")
        elif kind == "requires":
            need = rng.sample(others, rng.randint(1, min(2, len(others))))
            rules.append(f"requires = {need!r}".replace("'", '"'))
        else:
            need = rng.sample(others, rng.randint(1, min(2, len(others))))
            rules.append(f"requires_any = {need!r}".replace("'", '"'))
        listed = f"{members!r}".replace("'", '"')
        out.append(
            f'[[groups]]\nid = "g{n}"\nname_ja = "組{n}"\nname_en = "Group {n}"\n'
            f"programs = {listed}\n" + "\n".join(rules) + '\nsource = "test: random"\n\n'
        )
    return "".join(out)


def random_plan(rng: random.Random, folder: Path) -> Path:
    n_years = rng.choice([1, 2, 2])
    years = list(range(2026, 2026 + n_years))
    n_prog = rng.randint(2, 5)
    n_ranks = rng.randint(1, min(3, n_prog))
    areas: dict[str, dict[str, Any]] = {"A": {}, "B": {}}
    if rng.random() < 0.2:
        areas["B"]["counts_toward_defense"] = False
    if rng.random() < 0.2:
        areas["A"]["high_oku_yen"] = rng.randint(1, 5)
    progs = []
    for i in range(n_prog):
        w0 = rng.choice(years)
        w1 = rng.choice([y for y in years if y >= w0])
        extra: dict[str, Any] = {}
        kind = rng.choices(["plain", "units", "profile"], [0.6, 0.15, 0.25])[0]
        low: int | str = ""
        high: int | str = ""
        if kind == "profile":
            pay = sorted(rng.sample(range(w0, w1 + 1), rng.randint(1, w1 - w0 + 1)))
            extra["payment_profile"] = ";".join(f"{y}:{rng.randint(1, 3)}" for y in pay)
            if rng.random() < 0.5:
                extra["value"] = rng.randint(1, 6)
        elif kind == "units":
            c = rng.randint(2, 3)
            high = rng.randint(c, 6)
            low = rng.choice([0, c])
            extra["unit_cost_oku_yen"] = c
        else:
            high = rng.randint(1, 3 if n_years == 2 else 5)
            low = rng.choice([0, 0, rng.randint(0, high)])
        if rng.random() < 0.08:
            extra["mandatory"] = "yes"
        progs.append(
            program(
                f"P{i}",
                low,
                high,
                first=w0,
                last=w1,
                rank=rng.randint(1, n_ranks),
                area=rng.choice(["A", "B"]),
                **extra,
            )
        )
    fiscal = f"max_new_per_year_oku_yen = {rng.randint(2, 8)}" if rng.random() < 0.2 else ""
    # room per year (cap − baseline) of 1..8 億円: GDP 5,000 + 50·room, 2 % cap, baseline 100
    gdp = {y: 5000 + 50 * rng.randint(1, 8) for y in years}
    return write_plan(
        folder,
        progs,
        years=n_years,
        gdp=gdp,
        baseline=100,
        ranks=n_ranks,
        areas=areas,
        fiscal=fiscal,
        extra_toml=random_groups(rng, [p["program_id"] for p in progs]),
    )


# ---------------------------------------------------------------------------------------------
# checking the solver


@dataclass
class Tally:
    checked: int = 0
    infeasible: int = 0
    refused: int = 0
    problems: list[str] | None = None


def check_plan(plan: Plan, best: tuple[int, ...] | None) -> list[str]:
    """What is wrong with the solver's answer for ``plan`` (empty: nothing), given the
    brute-force optimum ``best`` (None: no schedule exists)."""
    result = solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)
    if best is None:
        return [] if result.status == "infeasible" else [f"infeasible, solver: {result.status}"]
    if result.status != "optimal":
        return [f"feasible (optimum {best}), solver: {result.status}"]
    money: Schedule = {p.program_id: dict.fromkeys(years_of(plan, p), 0) for p in plan.programs}
    for r in result.schedule.itertuples():
        money[str(r.program_id)][int(r.fiscal_year)] = int(r.amount_oku_yen)
    funded = {p.program_id: bool(result.funded[p.program_id]) for p in plan.programs}
    problems = []
    own = {p.program_id: (funded[p.program_id], money[p.program_id]) for p in plan.programs}
    for p in plan.programs:
        if own[p.program_id] not in options(plan, p):
            problems.append(f"{p.program_id} breaks its own rules: {own[p.program_id]}")
    if not groups_hold(plan, funded):
        problems.append(f"a group is broken: funded {funded}")
    if not sums_hold(plan, money):
        problems.append("a cap, ceiling or area bound is broken")
    got = rank_values(plan, money, funded)
    if got != best:
        problems.append(f"rank values {got}, lexicographic optimum {best}")
    return problems


def run_random(n: int, seed: int, limit: int = 20_000) -> Tally:
    """Check ``n`` random plans (seeds ``seed`` …); plans the loader refuses (a random group
    that is bad input) and plans too large to enumerate are counted, not checked."""
    tally = Tally(problems=[])
    with tempfile.TemporaryDirectory() as tmp:
        for s in range(seed, seed + n):
            folder = random_plan(random.Random(s), Path(tmp) / f"p{s}")
            try:
                plan = load_plan(folder)
            except PlanError:
                tally.refused += 1
                continue
            if search_size(plan) > limit:
                continue
            tally.checked += 1
            best = optimum(plan)
            tally.infeasible += best is None
            found = check_plan(plan, best)
            if found:
                assert tally.problems is not None
                tally.problems.append(f"seed {s}: " + "; ".join(found))
    return tally


# ---------------------------------------------------------------------------------------------
# tests


def test_enumerator_on_a_hand_worked_plan(tmp_path: Path) -> None:
    # room 4 in one year; A (rank 1, 0–3) or B (rank 1, 0–2), not both; A requires C (rank 2,
    # fixed 2). A 3 would need C as well (5 > 4), so rank 1 reaches 2 (A 2 with C, or B 2),
    # and C's 2 fits beside either: (2, 2). Without the requirement A takes 3 and C no longer
    # fits: (3, 0).
    groups = (
        '[[groups]]\nid = "ab"\nname_ja = "ab"\nname_en = "ab"\nprograms = ["A", "B"]\n'
        'at_most = 1\nsource = "t"\n\n'
        '[[groups]]\nid = "ac"\nname_ja = "ac"\nname_en = "ac"\nprograms = ["A"]\n'
        'requires = ["C"]\nsource = "t"\n'
    )
    progs = [
        program("A", 0, 3),
        program("B", 0, 2),
        program("C", payment_profile="2026:2", rank=2),
    ]
    gdp = {2026: 5200}  # 2 % = 104, baseline 100: room 4
    plan = load_plan(write_plan(tmp_path / "g", progs, gdp=gdp, baseline=100, ranks=2,
                                extra_toml=groups))  # fmt: skip
    assert optimum(plan) == (2, 2)
    assert check_plan(plan, (2, 2)) == []
    plan = load_plan(write_plan(tmp_path / "n", progs, gdp=gdp, baseline=100, ranks=2,
                                extra_toml=groups.split("\n\n")[0] + "\n"))  # fmt: skip
    assert optimum(plan) == (3, 0)


@pytest.mark.parametrize("seed", [1, 1001])
def test_random_plans_with_groups_match_brute_force(seed: int) -> None:
    tally = run_random(60, seed)
    assert tally.checked >= 40, tally
    assert 0 < tally.infeasible < tally.checked, tally  # both verdicts are exercised
    assert tally.problems == [], "\n".join(tally.problems or [])


@pytest.mark.slow
def test_many_random_plans_with_groups_match_brute_force() -> None:
    tally = run_random(600, 100_000)
    assert tally.checked >= 400, tally
    assert tally.problems == [], "\n".join(tally.problems or [])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    tally = run_random(a.n, a.seed)
    for line in tally.problems or []:
        print(line)
    print(
        f"{len(tally.problems or [])}/{tally.checked} plans wrong; {tally.infeasible} infeasible, "
        f"{tally.refused} refused by the loader; seeds {a.seed}..{a.seed + a.n - 1}"
    )


if __name__ == "__main__":
    main()
