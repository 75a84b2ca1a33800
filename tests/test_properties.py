"""Property tests (hypothesis) on random small plans.

- every plan is either solved, written and passed by the independent verifier, or reported
  infeasible with an explanation whose suggested relaxation, applied, makes it feasible;
- for up to 10 go/no-go programs the optimum equals exhaustive enumeration.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from planbuilder import program, write_plan

from allocator.optim.diagnose import diagnose, is_feasible, relax_floors
from allocator.optim.model import build_model
from allocator.optim.solve import solve_lexicographic
from allocator.plan.loading import load_plan
from allocator.run.record import RunOptions
from allocator.run.verify import verify_run
from allocator.run.writer import write_run

YEARS = [2026, 2027, 2028]


@st.composite
def small_plans(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(1, 5))
    progs = []
    for i in range(n):
        first = draw(st.sampled_from(YEARS))
        last = draw(st.sampled_from([y for y in YEARS if y >= first]))
        low = draw(st.integers(0, 400))
        high = low + draw(st.integers(1, 400))
        extra: dict[str, object] = {}
        if draw(st.booleans()):
            span = last - first + 1
            extra["max_per_year_oku_yen"] = draw(st.integers(-(-low // span) or 1, high))
        if draw(st.integers(0, 4)) == 0:
            extra["mandatory"] = "yes"
        if draw(st.integers(0, 4)) == 0:
            extra["max_ramp_oku_yen"] = draw(st.integers(50, 400))
        if i and draw(st.integers(0, 4)) == 0:
            extra["predecessor"] = f"P{draw(st.integers(0, i - 1))}" + draw(
                st.sampled_from(["", ":finish"])
            )
        progs.append(
            program(
                f"P{i}",
                low,
                high,
                first=first,
                last=last,
                rank=draw(st.integers(1, 2)),
                area=draw(st.sampled_from("AB")),
                **extra,
            )
        )
    areas = {"A": {}, "B": {"low_oku_yen": draw(st.integers(0, 300))}}
    if draw(st.booleans()):
        areas["B"]["counts_toward_defense"] = False
    return {
        "programs": progs,
        "years": 3,
        "ranks": 2,
        "areas": areas,
        "cap": draw(st.sampled_from(["0.2%", "0.5%", "1%", "2%"])),
        "fiscal": draw(
            st.sampled_from(["", "max_new_per_year_oku_yen = 500", "max_new_total_oku_yen = 900"])
        ),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=small_plans())
def test_solved_and_verified_or_explained_and_repairable(spec: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_plan(Path(tmp) / "plan", **spec)  # type: ignore[arg-type]
        plan = load_plan(folder)
        result = solve_lexicographic(build_model(plan), time_limit=30, gap=0.0)
        event(f"status: {result.status}")
        if result.has_plan:
            run = write_run(
                plan,
                result,
                Path(tmp) / "run",
                options=RunOptions(cap=str(plan.cap.ratio)),
            )
            report = verify_run(run)
            assert report.ok, [v.message for v in report.violations]
            return
        assert result.status == "infeasible"
        d = diagnose(plan, time_limit=30)
        assert d.lines(plan), "an infeasible plan must be explained"
        repaired = False
        if d.uniform_cap is not None:
            assert is_feasible(plan.with_cap(d.uniform_cap))
            repaired = True
        if d.floor_changes:
            assert is_feasible(relax_floors(plan, d.floor_changes))
            repaired = True
        if d.precheck:
            repaired = True  # the baseline alone breaks the cap: the fix is a higher cap
        assert repaired or d.cap_changes or d.other_changes, d


@st.composite
def knapsacks(draw: st.DrawFn) -> tuple[list[list[int]], list[int], list[int]]:
    n = draw(st.integers(1, 10))
    years = draw(st.integers(1, 3))
    costs = [[draw(st.integers(0, 60)) for _ in range(years)] for _ in range(n)]
    for c in costs:  # a fixed contract pays something (a profile of zeros is refused)
        c[0] = max(c[0], 1 if sum(c) == 0 else 0)
    values = [draw(st.integers(1, 100)) for _ in range(n)]
    ceilings = [draw(st.integers(0, 150)) for _ in range(years)]
    return costs, values, ceilings


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=knapsacks())
def test_go_no_go_optimum_equals_enumeration(
    problem: tuple[list[list[int]], list[int], list[int]],
) -> None:
    costs, values, ceilings = problem
    years = len(ceilings)
    best = 0
    for choice in itertools.product([0, 1], repeat=len(values)):
        if all(
            sum(c[y] for c, x in zip(costs, choice, strict=True) if x) <= ceilings[y]
            for y in range(years)
        ):
            best = max(best, sum(v for v, x in zip(values, choice, strict=True) if x))
    progs = [
        program(
            f"K{i}",
            first=2026,
            last=2026 + years - 1,
            value=values[i],
            payment_profile=";".join(f"{2026 + y}:{costs[i][y]}" for y in range(years)),
        )
        for i in range(len(values))
    ]
    fiscal = "[fiscal.per_year_oku_yen]\n" + "\n".join(
        f"{2026 + y} = {ceilings[y]}" for y in range(years)
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_plan(Path(tmp) / "plan", progs, years=years, gdp=10**9, fiscal=fiscal)
        plan = load_plan(folder)
        result = solve_lexicographic(build_model(plan), time_limit=30, gap=0.0)
    assert result.status == "optimal"
    assert result.rank_values()[1] == best
