"""Issue 9, part 4: every "what more cap buys" figure is a re-solve, or a local rate with the
range over which it holds.

Hand-worked plans: GDP 100,000 億円 a year, baseline 0, so 1 % of GDP is 1,000 億円.
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import DATA
from planbuilder import program, write_plan

from allocator.api import allocate, solve_plan
from allocator.optim.analysis import sweep
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides, load_plan


@pytest.mark.slow  # the shipped plan solved several times; -m slow
def test_report_plus_0_1_percent_equals_the_sweep_difference_rank_by_rank(tmp_path: Path) -> None:
    out = tmp_path / "run"
    allocate(DATA, Overrides(cap=parse_cap("2%")), out=out, lang="en")
    record = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    gains = {int(k): v for k, v in record["more_cap"]["gains"].items()}
    assert record["more_cap"]["cap"] == "2.1%"
    points = sweep(load_plan(DATA), [parse_cap("2%"), parse_cap("2.1%")]).points
    assert all(p.status == "optimal" for p in points)
    expected = {k: points[1].rank_values[k] - points[0].rank_values[k] for k in gains}
    assert gains == expected
    # and the report says exactly these numbers, nothing extrapolated
    text = (out / "report.md").read_text(encoding="utf-8")
    section = text.split("## What one more 0.1% of GDP would buy")[1].split("##")[0]
    shown = {int(k): int(v.replace(",", "")) for k, v in
             re.findall(r"- rank (\d+): ([+-]?[\d,]+) 億円", section)}  # fmt: skip
    assert shown == {k: round(v) for k, v in expected.items() if v}
    # with the contract data: rank 2 takes the 0.1 %, ranks 3-4 give way under the 50 兆円 total
    # (without it: {3: 251, 4: -251}; the "+6,384 a year" was a local rate × 64)
    assert shown == {2: 10006, 3: -3000, 4: -7006}


def test_local_rate_holds_exactly_as_far_as_its_range(tmp_path: Path) -> None:
    # P (rank 1, 2026 only) can take 1,250; the 1 % cap leaves 1,000: each 100 億円 more cap
    # buys P 100, for the first 250 億円 (then P is full and Q, rank 2, takes it)
    progs = [program("P", 0, 1250, rank=1), program("Q", 0, 5000, rank=2)]
    plan = load_plan(write_plan(tmp_path, progs, ranks=2, cap="1%"))
    result = solve_plan(plan, marginal=True)
    m = result.marginal
    assert m is not None
    row = m[(m.fiscal_year == 2026) & (m["rank"] == 1)].iloc[0]
    assert row.value_per_100_oku_yen == 100 and row.valid_up_to_oku_yen == 250
    # the re-solve at 0.1 % of GDP more (100 億円): P +100, nobody else
    assert result.more_cap is not None and result.more_cap.step == Fraction(1, 1000)
    assert result.more_cap.gains == {1: 100.0, 2: 0.0}


def test_a_rate_with_nothing_to_stop_it_holds_for_the_whole_step(tmp_path: Path) -> None:
    progs = [program("P", 0, 100_000, rank=1)]
    plan = load_plan(write_plan(tmp_path, progs, cap="1%"))
    result = solve_plan(plan, marginal=True)
    assert result.marginal is not None
    # searched up to 1 % of GDP (1,000 億円) and still holding there: "at least"
    assert result.marginal.valid_up_to_oku_yen.tolist() == [1000]
    assert result.marginal.valid_open.tolist() == [True]
    assert result.more_cap is not None and result.more_cap.gains == {1: 100.0}


def test_the_range_search_finds_the_last_linear_point_of_any_convex_shortfall() -> None:
    """``last_linear`` against a scan of every Δ: random shortfalls, each zero up to a
    breakpoint and convex after it (one to four pieces, one or two ranks failing first),
    with and without a guess; the answer is the last Δ with no shortfall, always."""
    import random

    from allocator.optim.analysis import last_linear

    rng = random.Random(20261202)
    for _ in range(400):
        top = rng.choice([5, 40, 1000, 64_000])
        brk = rng.uniform(0, top * 1.2)
        kinks = sorted(rng.uniform(brk, top * 1.3) for _ in range(rng.randint(0, 3)))
        slopes = sorted(rng.uniform(1e-4, 5) for _ in range(len(kinks) + 1))
        other = rng.random() < 0.3  # a second rank falls short first beyond some point

        def short(d: float, brk: float = brk, kinks: list = kinks, slopes: list = slopes) -> float:
            if d <= brk:
                return 0.0
            total, x, i = 0.0, brk, 0
            for k in [*kinks, math.inf]:
                end = min(d, k)
                if end > x:
                    total += slopes[i] * (end - x)
                x, i = max(x, k), i + 1
                if d <= k:
                    break
            return total

        calls: list[int] = []

        def excess(
            d: int, short=short, other=other, brk=brk, calls=calls
        ) -> tuple[int, float] | None:
            calls.append(d)
            s = short(d)
            if s <= 1e-9:
                return None
            return (2 if other and d > brk + 3 else 1, s)

        truth = max(d for d in range(0, top + 1) if short(d) <= 1e-9) if top <= 1000 else None
        if truth is None:  # a scan of 64,000 points is slow: bisection is the reference
            lo, hi = 0, top + 1
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if short(mid) <= 1e-9 else (lo, mid)
            truth = lo
        guess = rng.choice([None, truth, truth + 1, max(1, truth - 7), rng.randint(1, top)])
        assert last_linear(excess, top, guess) == truth
        assert len(calls) <= 2 * math.ceil(math.log2(top + 2)) + 4
