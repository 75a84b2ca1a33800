"""Issue 9, part 5: the ratio as a target as well as a ceiling (``--floor-ratio``,
``--floor-from``).

Hand-worked plans: GDP 100,000 億円 a year and a baseline of 1,000, so a 2 % floor asks for
1,000 億円 of new defence money a year; the cap is 3 % (2,000 of new money).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from planbuilder import program, write_plan
from typer.testing import CliRunner

from allocator.api import solve_plan
from allocator.cli.app import EXIT_FLOORS_SHORT, EXIT_INFEASIBLE, app
from allocator.optim.model import build_model
from allocator.optim.solve import solve_lexicographic
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides, load_plan
from allocator.run.record import RunOptions
from allocator.run.verify import verify_run
from allocator.run.writer import write_run

TARGET = Overrides(floor_ratio=parse_cap("2%"))


def two_years(tmp_path: Path, fiscal: str = "", high: int = 500) -> Path:
    # P may pay only in 2026 (up to ``high``); nothing may pay in 2027
    progs = [program("P", 0, high, first=2026, last=2026)]
    return write_plan(tmp_path / "plan", progs, years=2, baseline=1000, cap="3%", fiscal=fiscal)


def test_target_missed_where_no_program_can_spend(tmp_path: Path) -> None:
    plan = load_plan(two_years(tmp_path), TARGET)
    result = solve_plan(plan, marginal=True)
    assert result.status == "optimal"
    assert [(s.floor.label, s.shortfall) for s in result.shortfalls] == [
        ("ratio 2026", 500),
        ("ratio 2027", 1000),
    ]
    rt = result.ratio_target
    assert rt is not None
    assert [(y.fiscal_year, y.target, y.cap, y.reached, y.short) for y in rt.years] == [
        (2026, 2000, 3000, 1500, 500),
        (2027, 2000, 3000, 1000, 1000),
    ]
    # no ceiling holds P back: its own high and window do — nothing to raise, 1,500 unabsorbable
    assert rt.raises == () and rt.unabsorbed == 1500
    run = write_run(
        plan, result, tmp_path / "run", options=RunOptions(cap="3%", floor_ratio="1/50")
    )
    report = verify_run(run)
    assert report.ok, [v.message for v in report.violations]
    assert dict(report.checks)["shortfall"] == 2


def test_a_ceiling_that_holds_the_target_back_is_named(tmp_path: Path) -> None:
    # P could take 2,000 but the fiscal ceiling of 600 a year stops it at 600 in 2026:
    # raising that ceiling by 400 would absorb 2026's shortfall; 2027's cannot be absorbed
    folder = two_years(tmp_path, fiscal="max_new_per_year_oku_yen = 600", high=2000)
    plan = load_plan(folder, TARGET)
    result = solve_plan(plan, marginal=True)
    rt = result.ratio_target
    assert rt is not None
    assert rt.raises == (("fiscal_year_cap", "2026", 400),)
    assert rt.unabsorbed == 1000


def test_floor_from_and_equal_cap_meet_exactly(tmp_path: Path) -> None:
    # a 2 % target from 2027 under a 2 % cap: in 2027 defence is exactly at the cap (both are
    # rounded down to 億円), 2026 is free
    progs = [program("P", 0, 5000, first=2026, last=2027)]
    folder = write_plan(tmp_path / "plan", progs, years=2, baseline=1000, gdp=100_050)
    ov = Overrides(floor_ratio=parse_cap("2%"), floor_from=2027)
    plan = load_plan(folder, ov)
    assert plan.ratio_floor_oku_yen(2026) is None
    assert plan.ratio_floor_oku_yen(2027) == plan.cap_oku_yen(2027) == 2001
    result = solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)
    assert result.status == "optimal" and result.shortfalls == ()


def test_hard_floors_make_a_missed_target_infeasible(tmp_path: Path) -> None:
    plan = two_years(tmp_path)
    r = CliRunner().invoke(
        app,
        ["--plan", str(plan), "--floor-ratio", "2%", "--floors", "hard", "--lang", "en",
         "--out", str(tmp_path / "run")],
    )  # fmt: skip
    assert r.exit_code == EXIT_INFEASIBLE, r.output
    assert "ratio floor" in r.output


def test_floor_from_alone_is_refused(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["--plan", str(two_years(tmp_path)), "--floor-from", "2027"])
    assert r.exit_code == 2 and "--floor-from" in r.output


@pytest.mark.slow
def test_shipped_plan_keeping_2_percent_from_2027(tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = CliRunner().invoke(
        app,
        ["--cap", "2%", "--floor-ratio", "2%", "--floor-from", "2027", "--out", str(out),
         "--lang", "en"],
    )  # fmt: skip
    assert r.exit_code == EXIT_FLOORS_SHORT, r.output
    record = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    rt = record["ratio_target"]
    assert rt["meets_cap"] == list(range(2027, 2041))
    assert rt["short_years"] == list(range(2029, 2041))
    # with the contract data: after FY2028 keeping 2 % needs ceilings raised (areas C, G, I, the
    # 50 兆円 on new spending and the horizon total) and more than the programs can absorb
    raised = {(rule, key) for rule, key, _ in rt["raises"]}
    assert ("fiscal_total_cap", "horizon") in raised and ("area_high", "C") in raised
    assert 0 < rt["unabsorbed_oku_yen"] < sum(y["short_oku_yen"] for y in rt["years"])
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "Target and cap meet: FY2027–2040" in text
    assert "Target missed: FY2029–2040" in text and "the programs cannot absorb" in text
    assert "the ceiling on new spending over the horizon raised by" in text
