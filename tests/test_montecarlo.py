"""Re-solving the plan per draw: a draw changes only the yen-paid rows; at planning prices and
the plan's GDP the model is the one allocate solves; the same seed gives byte-identical files
with one worker or two; an interrupted run keeps its complete draws and resumes to the same
files; the summaries say what the per-draw rows say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, solve_folder
from planbuilder import program, write_plan
from uncertaintybuilder import WITH_COSTS, one_program_plan

from allocator.api_uncertainty import montecarlo
from allocator.optim.draws import Sampler
from allocator.optim.model import build_model
from allocator.optim.montecarlo import PricedRows, apply_draw, solve_inputs, worker_model
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.uncertainty import load_uncertainty
from allocator.run.draws import DRAW_INPUTS_CSV, DRAWS_CSV, DrawsRecord


def _coefficients(m) -> dict[str, dict[str, float]]:
    # a variable whose terms cancel (a contract's payments summed over every year) is 0 either way
    return {row.name: {v.name: c for v, c in row.items() if c} for row, _ in PricedRows.of(m).rows}


def test_priced_rows_at_planning_prices_are_the_rows_allocate_builds(tmp_path) -> None:
    """Every yen-paid family, fiscal growth included, rebuilt from its terms at factor 1."""
    folder = write_plan(
        tmp_path / "plan",
        [
            program("P1", 0, 100, first=2026, last=2027),
            program("P2", 0, 90, first=2026, last=2027, unit_cost_oku_yen=30),
            program("P3", "", "", first=2026, last=2027, payment_profile="2026:10;2027:10"),
            program("E", 0, 50, first=2026, last=2027, area="H"),
        ],
        years=2,
        areas={"A": {}, "H": {"counts_toward_defense": False}},
        fiscal="max_new_per_year_oku_yen = 1000\nmax_new_total_oku_yen = 2000\n"
        "max_growth_ratio = 0.5\n",
    )
    for plan in (load_plan(folder), load_plan(DATA)):
        m = build_model(plan)
        before = _coefficients(m)
        priced = PricedRows.of(m)
        families = {m.rows[row.name][0] for row, _ in priced.rows}
        priced.apply(np.ones((len(plan.programs), plan.years)))
        assert _coefficients(m) == before
        if plan.fiscal.max_growth_ratio:
            assert families == {"gdp_cap", "fiscal_year_cap", "fiscal_total_cap", "fiscal_growth"}


@pytest.mark.slow  # the shipped plan solved several times; -m slow
def test_the_central_draw_gives_the_values_allocate_gives() -> None:
    plan, exact = solve_folder(DATA)
    u = load_uncertainty(DATA, plan)
    w = worker_model(plan, u)
    central = Sampler(plan, u).case(plan.gdp_case)
    assert np.allclose(central.factor, 1.0)  # market_150 is the costing rate
    result = solve_inputs(w, central, 60)
    for rank, value in exact.rank_values().items():
        assert abs(result.rank_values()[rank] - value) <= 2e-4 * max(1.0, value), rank


def test_a_draw_moves_the_cap_rows_and_nothing_else(tmp_path) -> None:
    folder = one_program_plan(tmp_path / "plan", uncertainty=WITH_COSTS)
    plan = load_plan(folder)
    u = load_uncertainty(folder, plan)
    m = build_model(plan)
    others = {
        name: (dict((v.name, c) for v, c in row.items()), row.constant)
        for (family, _), row in m.constraints.items()
        if family not in ("gdp_cap",)
        for name in [row.name]
    }
    draw = Sampler(plan, u).draw(1, 4)
    apply_draw(m, PricedRows.of(m), draw)
    for (family, index), row in m.constraints.items():
        if family == "gdp_cap":
            (y,) = index
            assert -row.constant == (draw.gdp[y] // 50) - 1000
            k = plan.fiscal_years.index(y)
            assert dict((v.name, c) for v, c in row.items()) == {
                f"alloc[P,{y}]": pytest.approx(draw.cost_factor(0, k))
            }
        else:
            assert (dict((v.name, c) for v, c in row.items()), row.constant) == others[row.name]


def _run(folder, out, **kw):
    return montecarlo(folder, Overrides(), out=out, lang="en", **kw)


def test_same_seed_same_files_with_one_worker_or_two(tmp_path) -> None:
    folder = one_program_plan(tmp_path / "plan", uncertainty=WITH_COSTS)
    one = _run(folder, tmp_path / "one", draws=6, seed=5, workers=1)
    two = _run(folder, tmp_path / "two", draws=6, seed=5, workers=2)
    assert two.record.workers == 2
    for name in (DRAWS_CSV, DRAW_INPUTS_CSV):
        a = (one.folder / name).read_text(encoding="utf-8")
        b = (two.folder / name).read_text(encoding="utf-8")

        def drop(text: str) -> list[str]:  # solve_seconds (column 3) is a wall time
            return [
                ",".join(c for j, c in enumerate(line.split(",")) if j != 2)
                for line in text.splitlines()
            ]

        assert (drop(a) if name == DRAWS_CSV else a.splitlines()) == (
            drop(b) if name == DRAWS_CSV else b.splitlines()
        )
    for name in ("mc_years.csv", "mc_ranks.csv", "mc_programs.csv"):
        assert (one.folder / name).read_bytes() == (two.folder / name).read_bytes()
    other = _run(folder, tmp_path / "other", draws=6, seed=6, workers=1)
    assert (other.folder / DRAW_INPUTS_CSV).read_bytes() != (
        one.folder / DRAW_INPUTS_CSV
    ).read_bytes()


def test_an_interrupted_run_keeps_its_draws_and_resumes_to_the_same_files(tmp_path) -> None:
    folder = one_program_plan(tmp_path / "plan", uncertainty=WITH_COSTS)
    whole = _run(folder, tmp_path / "whole", draws=10, seed=2, workers=1)

    def stop_after_4(done: int, total: int) -> None:
        if done == 4:
            raise KeyboardInterrupt

    out = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        _run(folder, out, draws=10, seed=2, workers=1, progress=stop_after_4)
    record = DrawsRecord.read(out)
    assert record.state == "interrupted" and record.draws_done == 4
    rows = pd.read_csv(out / DRAWS_CSV, encoding="utf-8-sig")
    assert list(rows["draw"]) == [0, 1, 2, 3]
    with (out / DRAWS_CSV).open("a", encoding="utf-8", newline="") as f:
        f.write("4,optimal,0.01,12")  # a half-written line, as a kill would leave
    resumed = montecarlo(tmp_path / "elsewhere", Overrides(), resume=out, lang="en", workers=1)
    assert resumed.resumed_from == 4 and resumed.record.state == "complete"
    for name in (DRAW_INPUTS_CSV, "mc_programs.csv"):
        assert (out / name).read_bytes() == (whole.folder / name).read_bytes()
    a = pd.read_csv(out / DRAWS_CSV, encoding="utf-8-sig").drop(columns="solve_seconds")
    b = pd.read_csv(whole.folder / DRAWS_CSV, encoding="utf-8-sig").drop(columns="solve_seconds")
    pd.testing.assert_frame_equal(a, b)
    more = montecarlo(tmp_path, Overrides(), resume=out, draws=13, lang="en", workers=1)
    assert more.resumed_from == 10 and more.record.draws_done == 13


def test_resume_refuses_changed_inputs(tmp_path) -> None:
    from allocator.run.draws import ResumeError

    folder = one_program_plan(tmp_path / "plan", uncertainty=WITH_COSTS)
    done = _run(folder, tmp_path / "mc", draws=3, seed=2, workers=1)
    path = done.folder / "inputs" / "uncertainty.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("seed = 3", "seed = 4"), encoding="utf-8"
    )
    with pytest.raises(ResumeError, match="changed since the run began"):
        montecarlo(folder, Overrides(), resume=done.folder, workers=1)


def test_summaries_agree_with_the_per_draw_rows(tmp_path) -> None:
    folder = one_program_plan(tmp_path / "plan", uncertainty=WITH_COSTS)
    o = _run(folder, tmp_path / "mc", draws=20, seed=9, workers=1)
    rows = pd.read_csv(o.folder / DRAWS_CSV, encoding="utf-8-sig")
    ok = rows["status"] == "optimal"
    p = o.tables["programs"].set_index("program_id").loc["P"]
    assert p["p_funded"] == pytest.approx((rows["funded_P"] == 1).mean())
    assert p["p_high"] == pytest.approx(
        ((rows["funded_P"] == 1) & (rows["real_oku_yen_P"] >= 2499.5)).mean()
    )
    y = o.tables["years"].set_index("fiscal_year").loc[2027]
    assert y["ratio_p50"] == pytest.approx(np.percentile(rows.loc[ok, "ratio_2027"], 50))
    assert (rows.loc[ok, [f"ratio_{y}" for y in (2026, 2027, 2028)]] <= 0.02 + 1e-6).all().all()
    r = o.tables["ranks"].iloc[0]
    assert r["value_p95"] == pytest.approx(np.percentile(rows.loc[ok, "value_rank1"], 95))
    for name in ("ratio_fan.png", "ranks.png", "programs.png", "montecarlo.xlsx"):
        assert (o.folder / name).stat().st_size > 1000
    import zipfile

    with zipfile.ZipFile(o.folder / "montecarlo.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 3  # the fan, the ranks, the programs: native charts
