"""Draws of GDP, the yen and cost growth: reproducible from (seed, stream, index) alone, and
right in distribution — checked against closed forms (lognormal GDP: the probability that a
held plan breaks the cap in year k is a normal CDF) and against a re-solve with a known answer."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
from uncertaintybuilder import GDP_ONLY, WITH_COSTS, one_program_plan

from allocator.optim.draws import SCENARIO_STREAM, Sampler, normal_cdf, overrun_quantile
from allocator.optim.montecarlo import DrawJob, held_matrix, risk_row, solve_draw
from allocator.plan.loading import load_plan
from allocator.plan.uncertainty import Overrun, load_uncertainty


def _load(tmp_path: Path, text: str = GDP_ONLY):
    folder = one_program_plan(tmp_path / "plan", uncertainty=text)
    plan = load_plan(folder)
    return plan, load_uncertainty(folder, plan)


def test_a_draw_depends_on_seed_stream_and_index_only(tmp_path: Path) -> None:
    plan, u = _load(tmp_path, WITH_COSTS)
    a, b = Sampler(plan, u), Sampler(plan, u)
    for i in (5, 0, 3):  # drawn in another order by another sampler
        b.draw(i, 11)
    d1, d2 = a.draw(3, 11), b.draw(3, 11)
    assert d1.gdp == d2.gdp and d1.fx == d2.fx and d1.overrun == d2.overrun
    assert np.array_equal(d1.factor, d2.factor)
    assert a.draw(4, 11).gdp != d1.gdp
    assert a.draw(3, 12).gdp != d1.gdp
    assert a.draw(3, 11, SCENARIO_STREAM).gdp != d1.gdp


def test_switching_the_yen_off_leaves_the_gdp_draws_unchanged(tmp_path: Path) -> None:
    plan, u = _load(tmp_path, WITH_COSTS)
    off = u.model_copy(update={"fx": u.fx.model_copy(update={"distribution": "none"})})
    on_draw, off_draw = Sampler(plan, u).draw(7, 1), Sampler(plan, off).draw(7, 1)
    assert on_draw.gdp == off_draw.gdp and on_draw.overrun == off_draw.overrun
    assert set(off_draw.fx.values()) == {100.0}


def test_cost_factor_is_overrun_times_the_dollar_mix(tmp_path: Path) -> None:
    plan, u = _load(tmp_path, WITH_COSTS)
    d = Sampler(plan, u).draw(2, 5)
    g = d.overrun["P"]
    for k, y in enumerate(plan.fiscal_years):
        expected = (1 + g) * (0.5 + 0.5 * d.fx[y] / 100)
        assert math.isclose(d.cost_factor(0, k), expected, rel_tol=1e-12)
    assert 0 <= g <= 0.3


def test_triangular_quantiles_match_the_closed_form() -> None:
    o = Overrun(distribution="triangular", low=0.0, mode=0.2, high=0.54)
    c = (0.2 - 0.0) / 0.54
    assert math.isclose(overrun_quantile(o, c, 0.0), 0.2)
    assert overrun_quantile(o, 0.0, -9) == 0.0 and math.isclose(overrun_quantile(o, 1.0, 9), 0.54)
    u = np.linspace(0.001, 0.999, 999)
    samples = np.array([overrun_quantile(o, x, 0.0) for x in u])
    assert abs(samples.mean() - o.expected) < 2e-3  # expected (0 + 0.2 + 0.54) / 3


def test_probability_of_breaking_the_cap_matches_the_lognormal_closed_form(tmp_path: Path) -> None:
    """One program, GDP lognormal around a flat case: log G_k = log G + Σ_{t≤k} ε_t with
    ε ~ N(0, σ²), so P(B + x_k > ⌊κ G_k⌋) = P(G_k < (B + x_k)/κ)
    = Φ(log((B + x_k)/(κ G)) / (σ√k))."""
    plan, u = _load(tmp_path)
    x = held_matrix(plan, [("P", 2026, 1000), ("P", 2027, 900), ("P", 2028, 600)])
    sampler = Sampler(plan, u)
    n = 20_000
    breaches = np.zeros(3)
    for i in range(n):
        row = risk_row(plan, i, sampler.draw(i, 99), x, [0])
        breaches += [row[f"excess_oku_yen_{y}"] > 0 for y in plan.fiscal_years]
    sigma = 0.02
    for k, (y, spend) in enumerate(zip(plan.fiscal_years, (2000, 1900, 1600), strict=True), 1):
        exact = normal_cdf(math.log(spend / (0.02 * 100_000)) / (sigma * math.sqrt(k)))
        got = breaches[k - 1] / n
        se = math.sqrt(exact * (1 - exact) / n)
        assert abs(got - exact) < 4 * se + 1e-3, (y, got, exact)
    assert breaches[0] / n > 0.45  # spending exactly at the cap breaks it about half the time


def test_a_re_solved_draw_funds_exactly_what_its_cap_leaves(tmp_path: Path) -> None:
    """One program, one cap row a year: the re-solve must give min(high left, ⌊κ G_y⌋ − B)
    in every year of every draw — a per-draw closed form."""
    plan, u = _load(tmp_path)
    job = DrawJob(plan, u, seed=8, time_limit=10)
    sampler = Sampler(plan, u)
    for i in range(25):
        row, inputs = solve_draw(job, i)
        draw = sampler.draw(i, 8)
        room = [(Fraction(1, 50) * draw.gdp[y]).__floor__() - 1000 for y in plan.fiscal_years]
        left, expected = 2500, 0
        for r in room:
            take = max(0, min(left, r))
            expected += take
            left -= take
        assert row["status"] == "optimal"
        assert abs(row["real_oku_yen_P"] - expected) <= 1, (i, row, room)
        assert inputs["gdp_oku_yen_2026"] == draw.gdp[2026]
