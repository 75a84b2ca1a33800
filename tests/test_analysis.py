"""Decision analysis (allocator.optim.analysis): cap sweeps on one reused model, the marginal
value of cap (LP duals with the integer decisions fixed), and the smallest cap funding ranks fully.

Tiny plans are worked by hand: GDP 100,000 億円 every year, so 1 % of GDP is 1,000 億円.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pulp
import pytest
from conftest import PLAIN as DATA
from conftest import solve_folder
from planbuilder import program, write_plan

from allocator.optim import analysis, solve
from allocator.optim.analysis import (
    cap_rooms,
    marginal_values,
    min_cap,
    sweep,
    sweep_rebuild,
)
from allocator.optim.model import build_model
from allocator.optim.solve import _QuietHiGHS, solve_lexicographic
from allocator.plan.cap import cap_grid, parse_cap
from allocator.plan.loading import Overrides, load_plan
from allocator.report.analysis_charts import frontier_chart
from allocator.run.tables import frontier_table, min_cap_table


def pct(text: str) -> Fraction:
    return parse_cap(text)


# ---------------------------------------------------------------------------------------------
# sweep


def _one_program_plan(tmp_path: Path, floors: str = "hard") -> Path:
    # baseline 1,000; P (rank 1, 2026 only) could take 5,000: it gets cap×100,000 − 1,000
    return write_plan(
        tmp_path, [program("P", 0, 5000)], baseline=1000, solver_extra=f'floors = "{floors}"'
    )


def test_baseline_above_the_cap_is_a_plan_with_no_new_defence_money(tmp_path: Path) -> None:
    # at 0.5 % the cap (500) is below the baseline (1,000): with floors that give way (the
    # default) that year simply gets no new defence money; with --floors hard, no plan
    plan = load_plan(_one_program_plan(tmp_path, floors="priority"))
    result = sweep(plan, [pct("0.5%"), pct("1.5%")])
    assert [p.status for p in result.points] == ["optimal", "optimal"]
    assert [p.rank_values.get(1) for p in result.points] == [0, 500]
    assert [p.defense_alloc_oku_yen for p in result.points] == [0, 500]


def test_sweep_solves_each_cap_and_keeps_infeasible_points(tmp_path: Path) -> None:
    plan = load_plan(_one_program_plan(tmp_path))
    caps = [pct("0.5%"), pct("1.5%"), pct("2%"), pct("3%")]
    seen: list[tuple[int, int, Fraction]] = []
    result = sweep(plan, caps, progress=lambda i, n, c: seen.append((i, n, c)))
    assert seen == [(1, 4, caps[0]), (2, 4, caps[1]), (3, 4, caps[2]), (4, 4, caps[3])]
    assert [p.status for p in result.points] == ["infeasible", "optimal", "optimal", "optimal"]
    assert [p.rank_values.get(1) for p in result.points] == [None, 500, 1000, 2000]
    table = frontier_table(result)
    assert list(table.columns) == [
        "cap_ratio",
        "cap",
        "status",
        "value_rank1",
        "defense_alloc_oku_yen",
        "other_alloc_oku_yen",
        "total_alloc_oku_yen",
        "programs_funded",
        "floors_short",
        "shortfall_oku_yen",
        "floors_short_list",
        "limits_reached",
    ]
    assert list(table.cap_ratio) == ["0.005000", "0.015000", "0.020000", "0.030000"]
    assert list(table.cap) == ["0.5%", "1.5%", "2%", "3%"]
    assert pd.isna(table.value_rank1[0]) and pd.isna(table.programs_funded[0])
    assert list(table.value_rank1[1:]) == [500, 1000, 2000]
    assert list(table.defense_alloc_oku_yen[1:]) == [500, 1000, 2000]
    assert list(table.other_alloc_oku_yen[1:]) == [0, 0, 0]
    assert list(table.programs_funded[1:]) == [1, 1, 1]


def test_sweep_builds_one_model_and_matches_rebuilding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two ranks competing for the cap, economic security (H) sharing a fiscal total ceiling
    progs = [
        program("P", 0, 3000, rank=1, first=2026, last=2027),
        program("Q", 500, 3000, rank=2, first=2026, last=2027),
        program("E", 0, 2000, rank=2, area="H"),
    ]
    folder = write_plan(
        tmp_path,
        progs,
        years=2,
        ranks=2,
        areas={"A": {}, "H": {"counts_toward_defense": False}},
        fiscal="max_new_total_oku_yen = 5000",
    )
    plan = load_plan(folder)
    builds = []
    real = analysis.build_model
    monkeypatch.setattr(analysis, "build_model", lambda p: builds.append(1) or real(p))
    caps = cap_grid(pct("0.2%"), pct("3%"), pct("0.4%"))
    reused = sweep(plan, caps)
    assert len(builds) == 1
    rebuilt = sweep_rebuild(plan, caps)
    assert len(builds) == 1 + len(caps)
    assert frontier_table(reused).equals(frontier_table(rebuilt))
    # and every point is what a fresh solve at that cap gives
    for point in reused.points:
        _, fresh = solve_folder(folder, Overrides(cap=point.cap))
        assert point.status == fresh.status
        assert point.rank_values == fresh.rank_values()


def test_sweep_of_the_shipped_plan_matches_fresh_solves() -> None:
    plan = load_plan(DATA)
    caps = [pct("1.85%"), pct("2.2%")]
    result = sweep(plan, caps)
    for point in result.points:
        _, fresh = solve_folder(DATA, Overrides(cap=point.cap))
        assert point.status == fresh.status == "optimal"
        assert point.rank_values == pytest.approx(fresh.rank_values())


def test_cap_rooms_are_the_model_right_hand_sides() -> None:
    plan = load_plan(DATA, Overrides(cap=pct("1.85%")))
    m = build_model(plan)
    rooms = cap_rooms(plan, pct("1.85%"))
    assert rooms[2026] == 118_104 - 90_353  # ⌊1.85 % × 6,384,000⌋ − baseline
    for y, room in rooms.items():
        assert -m.constraints[("gdp_cap", (y,))].constant == room


def test_cap_grid_is_exact_and_ends_at_the_upper_cap() -> None:
    grid = cap_grid(pct("1.5%"), pct("2.5%"), pct("0.1%"))
    assert len(grid) == 11 and grid[0] == pct("1.5%") and grid[-1] == pct("2.5%")
    assert cap_grid(pct("1%"), pct("2%"), pct("0.3%"))[-2:] == [pct("1.9%"), pct("2%")]
    assert cap_grid(pct("2%"), pct("2%"), pct("0.1%")) == [pct("2%")]
    with pytest.raises(ValueError):
        cap_grid(pct("3%"), pct("2%"), pct("0.1%"))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_frontier_chart_writes_a_png(tmp_path: Path, lang: str) -> None:
    plan = load_plan(_one_program_plan(tmp_path / "plan"))
    table = frontier_table(sweep(plan, [pct("0.5%"), pct("2%"), pct("3%")]))
    out = frontier_chart(table, tmp_path / "f.png", lang, rank_names={1: "即応性"})  # type: ignore[arg-type]
    assert out.read_bytes().startswith(b"\x89PNG")


# ---------------------------------------------------------------------------------------------
# marginal values


def test_highs_dual_sign_for_a_maximisation() -> None:
    # maximise x subject to x ≤ 4 (≤ row) and x ≥ 1 (idle): one more unit of the ≤ row's
    # right-hand side buys one more unit of objective. HiGHS reports +1 (∂objective/∂rhs);
    # for y ≥ 1 binding in max x + y s.t. x + 2y ≤ 4 it reports −1.
    p = pulp.LpProblem("sign", pulp.LpMaximize)
    x = p.add_variable("x", 0, 10)
    le = p.addConstraint(x <= 4, "le")
    p.setObjective(x)
    p.solve(_QuietHiGHS(msg=False, mip=False))
    assert le.pi == pytest.approx(1.0)
    assert solve._dual_signs() == (1.0, 1.0)


def _marginal(folder: Path) -> tuple[pd.DataFrame, dict[tuple[int, int], float]]:
    plan = load_plan(folder)
    m = build_model(plan)
    result = solve_lexicographic(m, time_limit=60, gap=0.0)
    mv = marginal_values(m, result)
    return mv, {
        (int(r.fiscal_year), int(r.rank)): float(r.value_per_100_oku_yen) for r in mv.itertuples()
    }


def test_marginal_value_one_rank_binding_year(tmp_path: Path) -> None:
    # 2026: P could take 5,000 but the 2 % cap leaves 2,000 → 100 億円 more cap buys 100.
    # 2027: R wants only 500 of the 2,000 → more cap buys nothing.
    progs = [program("P", 0, 5000), program("R", 0, 500, first=2027, last=2027)]
    mv, v = _marginal(write_plan(tmp_path, progs, years=2))
    assert list(mv.columns[:3]) == ["fiscal_year", "rank", "value_per_100_oku_yen"]
    assert v == {(2026, 1): 100.0, (2027, 1): 0.0}


def test_marginal_value_goes_to_rank_one_first(tmp_path: Path) -> None:
    # P (rank 1) only in 2026, Q (rank 2) in 2026–2027; 2,000 of room a year.
    # P takes all of 2026, Q all of 2027. More cap in 2026 goes to P (rank 1: +100, rank 2: 0,
    # although with rank 1 held where it is rank 2 could use it: held rate 100); more cap in
    # 2027 goes to Q.
    progs = [
        program("P", 0, 5000, rank=1),
        program("Q", 0, 5000, rank=2, first=2026, last=2027),
    ]
    mv, v = _marginal(write_plan(tmp_path, progs, years=2, ranks=2))
    assert v == {(2026, 1): 100.0, (2026, 2): 0.0, (2027, 1): 0.0, (2027, 2): 100.0}
    held = {
        (int(r.fiscal_year), int(r.rank)): r.held_value_per_100_oku_yen for r in mv.itertuples()
    }
    assert held[(2026, 2)] == 100.0


def _three_way(tmp_path: Path) -> Path:
    # Fiscal total 5,500 over both years; 2,000 of cap room a year.
    # 2026: defence P (rank 1) takes its 2,000 of room; economic security E (rank 2, not under
    # the cap) takes the 3,500 the fiscal total leaves; D (rank 3, defence, 2027) gets nothing.
    # More cap in 2026: P +100, so E −100 (the total is shared), D 0. More cap in 2027: D
    # still gets nothing (the fiscal total, not the cap, holds it back): 0 for every rank.
    progs = [
        program("P", 0, 5000, rank=1),
        program("E", 0, 5000, rank=2, area="H"),
        program("D", 0, 2500, rank=3, first=2027, last=2027),
    ]
    return write_plan(
        tmp_path,
        progs,
        years=2,
        ranks=3,
        areas={"A": {}, "H": {"counts_toward_defense": False}},
        fiscal="max_new_total_oku_yen = 5500",
    )


def test_marginal_value_can_be_negative_for_a_lower_rank(tmp_path: Path) -> None:
    _, v = _marginal(_three_way(tmp_path))
    assert v[(2026, 1)] == 100.0
    assert v[(2026, 2)] == -100.0
    assert v[(2026, 3)] == 0.0
    assert v[(2027, 1)] == v[(2027, 2)] == v[(2027, 3)] == 0.0


def _resolve_with_more_cap(
    folder: Path, year: int, extra: int, overrides: Overrides | None = None
) -> dict[int, float]:
    plan = load_plan(folder, overrides)
    m = build_model(plan)
    row = m.constraints[("gdp_cap", (year,))]
    row.changeRHS(-row.constant + extra)
    return solve_lexicographic(m, time_limit=60, gap=0.0).rank_values()


@pytest.mark.parametrize("case", ["two_ranks", "three_way", "units_and_ramp", "precedence"])
def test_marginal_values_agree_with_resolving_the_mip(tmp_path: Path, case: str) -> None:
    if case == "two_ranks":
        progs = [
            program("P", 0, 5000, rank=1),
            program("Q", 0, 5000, rank=2, first=2026, last=2027),
        ]
        folder = write_plan(tmp_path, progs, years=2, ranks=2)
    elif case == "three_way":
        folder = _three_way(tmp_path)
    elif case == "precedence":
        # B pays only after A's last payment (started/finished decisions fixed): A 1,500 in
        # 2026, B 2,000 in 2027 and 2028, C (rank 2) the 500 left in 2026. More cap in 2026
        # goes to C (A is full, B may not pay yet); in 2027 or 2028 to B.
        progs = [
            program("A", 0, 1500, first=2026, last=2027),
            program("B", 0, 5000, first=2026, last=2028, predecessor="A:finish"),
            program("C", 0, 9000, rank=2, first=2026, last=2028),
        ]
        folder = write_plan(tmp_path, progs, years=3, ranks=2)
    else:
        # rank 1: a whole-unit program (fixed at its units) and a ramped one sharing the cap
        progs = [
            program("U", 0, 900, rank=1, unit_cost_oku_yen=300),
            program("R", 0, 6000, rank=1, first=2026, last=2028, max_ramp_oku_yen=1500),
            program("S", 0, 9000, rank=2, first=2026, last=2028),
        ]
        folder = write_plan(tmp_path, progs, years=3, ranks=2)
    plan = load_plan(folder)
    m = build_model(plan)
    base = solve_lexicographic(m, time_limit=60, gap=0.0)
    mv = marginal_values(m, base)
    values = base.rank_values()
    if case == "precedence":
        got = {(int(r.fiscal_year), int(r.rank)): r.value_per_100_oku_yen for r in mv.itertuples()}
        assert got == {
            (2026, 1): 0.0, (2026, 2): 100.0, (2027, 1): 100.0, (2027, 2): 0.0,
            (2028, 1): 100.0, (2028, 2): 0.0,
        }  # fmt: skip
    for y in plan.fiscal_years:
        raised = _resolve_with_more_cap(folder, y, 100)
        for k in values:
            row = mv[(mv.fiscal_year == y) & (mv["rank"] == k)]
            assert float(row.value_per_100_oku_yen.iloc[0]) == pytest.approx(
                raised[k] - values[k], abs=1e-6
            ), (y, k)


def test_marginal_values_restore_the_model(tmp_path: Path) -> None:
    plan = load_plan(_three_way(tmp_path))
    m = build_model(plan)
    first = solve_lexicographic(m, time_limit=60, gap=0.0)
    variables = m.prob.variables()
    before = [(v.name, v.lowBound, v.upBound, v.cat) for v in variables]
    holds = {r: m.constraints[("priority_hold", (r,))].constant for r in m.rank_value}
    marginal_values(m, first)
    assert [(v.name, v.lowBound, v.upBound, v.cat) for v in variables] == before
    assert {r: m.constraints[("priority_hold", (r,))].constant for r in m.rank_value} == holds
    again = solve_lexicographic(m, time_limit=60, gap=0.0)
    assert again.rank_values() == first.rank_values()
    assert again.schedule.equals(first.schedule)


def test_marginal_values_need_a_plan(tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path, [program("P", 3000, 5000, mandatory="yes")]))
    m = build_model(plan)
    result = solve_lexicographic(m, time_limit=60, gap=0.0)
    assert result.status == "infeasible"
    with pytest.raises(ValueError):
        marginal_values(m, result)


# ---------------------------------------------------------------------------------------------
# min cap


def _two_years(tmp_path: Path) -> Path:
    # baseline 1,000. P (rank 1) wants 1,500 in 2026 → needs 2.5 %; Q (rank 2) wants 800 in
    # 2027 → needs 1.8 %.
    progs = [
        program("P", 0, 1500, rank=1),
        program("Q", 0, 800, rank=2, first=2027, last=2027),
    ]
    return write_plan(tmp_path, progs, years=2, ranks=2, baseline=1000)


def _fully_funded(folder: Path, cap: Fraction, targets: dict[int, float]) -> bool:
    _, r = solve_folder(folder, Overrides(cap=cap))
    if not r.has_plan:
        return False
    values = r.rank_values()
    return all(values[k] >= t - 1e-6 for k, t in targets.items())


def test_min_cap_hand_worked(tmp_path: Path) -> None:
    folder = _two_years(tmp_path)
    plan = load_plan(folder)
    both = min_cap(plan, [1, 2])
    assert both.status == "found" and both.verified
    assert both.targets == {1: 1500, 2: 800}
    assert both.uniform == pct("2.5%")
    assert [(y.fiscal_year, y.defense_total_oku_yen, y.ratio) for y in both.path] == [
        (2026, 2500, pct("2.5%")),
        (2027, 1800, pct("1.8%")),
    ]
    assert both.path_total_oku_yen == 4300
    # rank 2 alone: its money is in 2027, so 1.8 % is enough even though rank 1 is short
    second = min_cap(plan, [2])
    assert second.uniform == pct("1.8%") and second.verified
    table = min_cap_table(both)
    assert list(table.min_ratio) == ["0.025000", "0.018000"]
    assert list(table.uniform_min_cap_ratio) == ["0.025000", "0.025000"]


@pytest.mark.parametrize("ranks", [[1], [1, 2]])
def test_min_cap_is_tight_on_the_hand_worked_plan(tmp_path: Path, ranks: list[int]) -> None:
    folder = _two_years(tmp_path)
    result = min_cap(load_plan(folder), ranks)
    assert result.uniform is not None
    assert _fully_funded(folder, result.uniform, result.targets)
    assert not _fully_funded(folder, result.uniform - result.step, result.targets)


def test_min_cap_shipped_plan_ranks_one_to_three() -> None:
    plan = load_plan(DATA)
    result = min_cap(plan, [1, 2, 3])
    assert result.status == "found" and result.verified
    assert result.uniform is not None
    assert _fully_funded(DATA, result.uniform, result.targets)
    assert not _fully_funded(DATA, result.uniform - Fraction(1, 10000), result.targets)
    # the path: every year's total within 99 % of GDP and at least the baseline
    for y in result.path:
        assert y.baseline_oku_yen <= y.defense_total_oku_yen <= y.gdp_oku_yen * 99 // 100


def test_min_cap_not_below_the_limit(tmp_path: Path) -> None:
    # P could take 200,000 in one year: even 99 % of GDP (99,000) holds it back
    plan = load_plan(write_plan(tmp_path, [program("P", 0, 200_000)]))
    result = min_cap(plan, [1])
    assert result.status == "not_below_limit" and result.uniform is None
    assert result.targets == {1: 99_000}


def test_min_cap_infeasible_plan(tmp_path: Path) -> None:
    # a mandatory program above GDP: no cap helps
    plan = load_plan(write_plan(tmp_path, [program("P", 150_000, 150_000, mandatory="yes")]))
    result = min_cap(plan, [1])
    assert result.status == "infeasible" and result.uniform is None and not result.path


def test_min_cap_refuses_unknown_ranks(tmp_path: Path) -> None:
    plan = load_plan(_two_years(tmp_path))
    with pytest.raises(ValueError):
        min_cap(plan, [3])
    with pytest.raises(ValueError):
        min_cap(plan, [])


@pytest.mark.slow  # the shipped plan solved several times; -m slow
def test_marginal_values_of_the_shipped_plan_agree_with_resolving() -> None:
    # at 1.9 % rank 2 is short in 2026–2028: 100 億円 more cap there goes to rank 2, and rank 4
    # (economic security, outside the cap) loses it under the shared 50 兆円 fiscal total
    plan = load_plan(DATA, Overrides(cap=pct("1.9%")))
    m = build_model(plan)
    base = solve_lexicographic(m, time_limit=60, gap=0.0)
    mv = marginal_values(m, base)
    values = base.rank_values()
    for y, expected in ((2026, {2: 100.0, 4: -100.0}), (2033, {})):
        raised = _resolve_with_more_cap(DATA, y, 100, Overrides(cap=pct("1.9%")))
        got = {
            int(r.rank): float(r.value_per_100_oku_yen)
            for r in mv[mv.fiscal_year == y].itertuples()
        }
        assert got == pytest.approx({k: raised[k] - values[k] for k in values}, abs=1e-6)
        assert {k: v for k, v in got.items() if v} == expected
