"""One tiny plan per constraint family, each with its answer worked out by hand.

Default plan (tests/planbuilder.py): GDP 100,000 億円 every year, baseline 0, cap 2 % → 2,000
億円 of room for new defence spending per fiscal year.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import amounts, solve_folder, totals
from planbuilder import program
from planbuilder import write_plan as _write_plan

from allocator.optim.model import build_model
from allocator.optim.solve import solve_lexicographic
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides, load_plan


def write_plan(folder: Path, programs: list[dict[str, Any]], **kw: Any) -> Path:
    """The hand-worked schedules below assume money in the earliest years the rules allow (the
    ``early`` tie-break); the tie-break itself is tested in test_tiebreak.py."""
    return _write_plan(folder, programs, solver_extra='profile = "early"', **kw)


def test_range_funds_up_to_high(tmp_path: Path) -> None:
    # room 2,000; the program may take 100..300 → rank value 300
    _, r = solve_folder(write_plan(tmp_path, [program("P1", 100, 300)]))
    assert r.status == "optimal"
    assert totals(r) == {"P1": 300}
    assert r.rank_values() == {1: 300}


def test_range_low_is_all_or_nothing(tmp_path: Path) -> None:
    # baseline 1,900 leaves 100 of room; the program needs at least 150 → not funded at all
    folder = write_plan(tmp_path, [program("P1", 150, 300)], baseline=1900)
    _, r = solve_folder(folder)
    assert r.status == "optimal"
    assert totals(r) == {}
    assert r.funded == {"P1": False}


def test_money_only_inside_window(tmp_path: Path) -> None:
    folder = write_plan(tmp_path, [program("P1", 0, 5000, first=2027, last=2027)], years=3)
    _, r = solve_folder(folder)
    assert amounts(r) == {("P1", 2027): 2000}  # the cap of 2027 binds; nothing in 2026/2028


def test_per_year_maximum(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path, [program("P1", 0, 300, first=2026, last=2028, max_per_year_oku_yen=120)], years=3
    )
    _, r = solve_folder(folder)
    # 300 in total with at most 120 a year, earliest first: 120, 120, 60
    assert amounts(r) == {("P1", 2026): 120, ("P1", 2027): 120, ("P1", 2028): 60}


def test_ramp_limit(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path, [program("P1", 0, 300, first=2026, last=2028, max_ramp_oku_yen=50)], years=3
    )
    _, r = solve_folder(folder)
    # from 0 before the window: ≤ 50, ≤ 100, ≤ 150 — exactly 300
    assert amounts(r) == {("P1", 2026): 50, ("P1", 2027): 100, ("P1", 2028): 150}


def test_units(tmp_path: Path) -> None:
    folder = write_plan(tmp_path, [program("P1", 0, 300, unit_cost_oku_yen=70)])
    _, r = solve_folder(folder)
    # whole units of 70 up to 300: 4 units = 280
    assert amounts(r) == {("P1", 2026): 280}
    assert int(r.schedule.units.iloc[0]) == 4


def test_fixed_payment_profiles_capital_budgeting(tmp_path: Path) -> None:
    # Two years, ceiling 300 a year on new spending. Values: X 10 (100+200), Y 7 (200+100),
    # Z 4 (100+100). X+Y needs 300/300 → value 17, best; X+Z 14; Y+Z 11.
    progs = [
        program("X", first=2026, last=2027, payment_profile="2026:100;2027:200", value=10),
        program("Y", first=2026, last=2027, payment_profile="2026:200;2027:100", value=7),
        program("Z", first=2026, last=2027, payment_profile="2026:100;2027:100", value=4),
    ]
    folder = write_plan(
        tmp_path, progs, years=2, fiscal="max_new_per_year_oku_yen = 300", gdp=10_000_000
    )
    _, r = solve_folder(folder)
    assert r.funded == {"X": True, "Y": True, "Z": False}
    assert r.rank_values() == {1: 17}
    assert amounts(r) == {("X", 2026): 100, ("X", 2027): 200, ("Y", 2026): 200, ("Y", 2027): 100}


def test_mandatory_program_is_funded_before_higher_rank_extra(tmp_path: Path) -> None:
    # room 2,000: rank 1 would take it all, but rank 2's mandatory B needs 500
    progs = [program("A1", 0, 2000, rank=1), program("B1", 500, 500, rank=2, mandatory="yes")]
    _, r = solve_folder(write_plan(tmp_path, progs, ranks=2))
    assert totals(r) == {"A1": 1500, "B1": 500}


def test_precedence_start(tmp_path: Path) -> None:
    # B may not start before A starts; A's window opens in 2027
    progs = [
        program("A", 0, 100, first=2027, last=2028),
        program("B", 0, 100, first=2026, last=2028, predecessor="A"),
    ]
    _, r = solve_folder(write_plan(tmp_path, progs, years=3))
    got = amounts(r)
    assert ("B", 2026) not in got
    assert got[("A", 2027)] == 100 and got[("B", 2027)] == 100


def test_precedence_finish(tmp_path: Path) -> None:
    # A needs two years (at most 60 a year, total 100); B only after A's last payment year
    progs = [
        program("A", 100, 100, first=2026, last=2028, max_per_year_oku_yen=60),
        program("B", 0, 100, first=2026, last=2028, predecessor="A:finish"),
    ]
    _, r = solve_folder(write_plan(tmp_path, progs, years=3))
    got = amounts(r)
    assert got == {("A", 2026): 60, ("A", 2027): 40, ("B", 2028): 100}


def test_successor_needs_funded_predecessor(tmp_path: Path) -> None:
    # A cannot be funded (low 5,000 > room 2,000), so B (which follows A) gets nothing
    progs = [program("A", 5000, 5000), program("B", 0, 100, predecessor="A")]
    _, r = solve_folder(write_plan(tmp_path, progs))
    assert totals(r) == {}


def test_area_bounds(tmp_path: Path) -> None:
    # area A at most 500, area B at least 300 though rank 2: A1 gets 500, B1 300
    progs = [program("A1", 0, 2000, rank=1, area="A"), program("B1", 0, 2000, rank=2, area="B")]
    areas = {"A": {"high_oku_yen": 500}, "B": {"low_oku_yen": 300}}
    _, r = solve_folder(write_plan(tmp_path, progs, ranks=2, areas=areas))
    assert totals(r) == {"A1": 500, "B1": 1500}


def test_area_floor_takes_from_higher_rank_only_when_forced(tmp_path: Path) -> None:
    # room 2,000; area B's floor 300 forces 300 to rank 2 even though rank 1 could use it
    progs = [program("A1", 0, 2000, rank=1, area="A"), program("B1", 0, 2000, rank=2, area="B")]
    areas = {"A": {}, "B": {"low_oku_yen": 300, "high_oku_yen": 300}}
    _, r = solve_folder(write_plan(tmp_path, progs, ranks=2, areas=areas))
    assert totals(r) == {"A1": 1700, "B1": 300}


def test_phase_bounds(tmp_path: Path) -> None:
    phases = (
        '[[phases]]\nid = "early"\nname_ja = "前期"\nname_en = "Early"\n'
        "first_year = 2026\nlast_year = 2026\nhigh_oku_yen = 700\n\n"
        '[[phases]]\nid = "late"\nname_ja = "後期"\nname_en = "Late"\n'
        "first_year = 2027\nlast_year = 2027\nlow_oku_yen = 100\n"
    )
    progs = [
        program("E1", 0, 5000, phase="early"),
        program("L1", 0, 5000, first=2027, last=2027, phase="late"),
    ]
    _, r = solve_folder(write_plan(tmp_path, progs, years=2, phases=phases))
    assert totals(r) == {"E1": 700, "L1": 2000}


def test_aggregate_bound_over_years(tmp_path: Path) -> None:
    bounds = (
        '[[bounds]]\nid = "first_two"\nname_ja = "最初の2年"\nname_en = "First two years"\n'
        "first_year = 2026\nlast_year = 2027\nhigh_oku_yen = 2500\n"
    )
    progs = [program("P1", 0, 10000, first=2026, last=2028)]
    _, r = solve_folder(write_plan(tmp_path, progs, years=3, bounds=bounds))
    got = amounts(r)
    assert got[("P1", 2026)] + got[("P1", 2027)] == 2500
    assert got[("P1", 2028)] == 2000
    assert got[("P1", 2026)] == 2000  # earliest first


def test_gdp_cap_each_year(tmp_path: Path) -> None:
    gdp = {2026: 100_000, 2027: 150_000}
    progs = [program("P1", 0, 10000, first=2026, last=2027)]
    folder = write_plan(tmp_path, progs, years=2, gdp=gdp, baseline=1000)
    _, r = solve_folder(folder)
    # 2 % × 100,000 − 1,000 = 1,000; 2 % × 150,000 − 1,000 = 2,000
    assert amounts(r) == {("P1", 2026): 1000, ("P1", 2027): 2000}
    _, r = solve_folder(folder, Overrides(cap=parse_cap("2.5%")))
    assert amounts(r) == {("P1", 2026): 1500, ("P1", 2027): 2750}


def test_gdp_cap_rounds_down_to_whole_oku(tmp_path: Path) -> None:
    # 1.5 % × 100,001 = 1,500.015 → 1,500
    folder = write_plan(tmp_path, [program("P1", 0, 10000)], gdp={2026: 100_001}, cap="1.5%")
    _, r = solve_folder(folder)
    assert totals(r) == {"P1": 1500}


def test_gdp_cap_fixed_base_year(tmp_path: Path) -> None:
    gdp = {2022: 50_000, 2026: 100_000}
    folder = write_plan(
        tmp_path,
        [program("P1", 0, 10000)],
        gdp=gdp,
        cap_extra='base = "fixed_year"\nbase_year = 2022',
    )
    _, r = solve_folder(folder)
    assert totals(r) == {"P1": 1000}  # 2 % of FY2022's 50,000


def test_economic_security_does_not_count_toward_cap(tmp_path: Path) -> None:
    progs = [program("D1", 0, 5000, area="D"), program("H1", 0, 5000, area="H")]
    areas = {"D": {}, "H": {"counts_toward_defense": False}}
    _, r = solve_folder(write_plan(tmp_path, progs, areas=areas))
    assert totals(r) == {"D1": 2000, "H1": 5000}


def test_fiscal_per_year_and_total_caps(tmp_path: Path) -> None:
    progs = [program("P1", 0, 10000, first=2026, last=2028)]
    fiscal = "max_new_per_year_oku_yen = 1200\nmax_new_total_oku_yen = 3000"
    _, r = solve_folder(write_plan(tmp_path, progs, years=3, fiscal=fiscal))
    assert amounts(r) == {("P1", 2026): 1200, ("P1", 2027): 1200, ("P1", 2028): 600}


def test_fiscal_per_year_override(tmp_path: Path) -> None:
    progs = [program("P1", 0, 10000, first=2026, last=2027)]
    fiscal = "[fiscal.per_year_oku_yen]\n2027 = 400"
    _, r = solve_folder(write_plan(tmp_path, progs, years=2, fiscal=fiscal))
    assert amounts(r) == {("P1", 2026): 2000, ("P1", 2027): 400}


def test_fiscal_growth_limit(tmp_path: Path) -> None:
    # year 1 at most 500 (its own ceiling); then at most +50 % a year: 750, 1125
    progs = [program("P1", 0, 10000, first=2026, last=2028)]
    fiscal = "max_growth_ratio = 0.5\n[fiscal.per_year_oku_yen]\n2026 = 500"
    _, r = solve_folder(write_plan(tmp_path, progs, years=3, fiscal=fiscal))
    assert amounts(r) == {("P1", 2026): 500, ("P1", 2027): 750, ("P1", 2028): 1125}


def test_earlier_money_preferred_within_window(tmp_path: Path) -> None:
    progs = [program("P1", 3000, 3000, first=2026, last=2028)]
    _, r = solve_folder(write_plan(tmp_path, progs, years=3))
    assert amounts(r) == {("P1", 2026): 2000, ("P1", 2027): 1000}


def test_explicit_value_counts_per_share_of_high(tmp_path: Path) -> None:
    # room 1,000. V1: value 90 over high 1,000 (0.09 per 億円); V2: value 50 over 500 (0.1).
    # Best: V2 fully (500 → 50) then V1 500 (→ 45): 95
    progs = [program("V1", 0, 1000, value=90), program("V2", 0, 500, value=50)]
    _, r = solve_folder(write_plan(tmp_path, progs, cap="1%"))
    assert totals(r) == {"V1": 500, "V2": 500}
    assert r.rank_values()[1] == pytest.approx(95)


def test_ids_that_pulp_would_merge_keep_rows_of_their_own(tmp_path: Path) -> None:
    """PuLP writes '-' as '_' in row names: A-01 and A_01 must still give two sets of rows."""
    folder = write_plan(
        tmp_path / "plan", [program("A-01", 0, 1500), program("A_01", 0, 1500, rank=2)], ranks=2
    )
    m = build_model(load_plan(folder))
    assert len(m.rows) == len(m.constraints) == m.prob.numConstraints()
    assert set(m.rows.values()) == set(m.constraints)
    result = solve_lexicographic(m, time_limit=30, gap=0.0)
    assert result.rank_values() == {1: 1500.0, 2: 500.0}  # the 2 % cap is 2,000 億円
