"""Infeasible plans explained in budget terms, with answers worked out by hand.

Default test plan: GDP 100,000 億円 a year, baseline 0, so a 2 % cap leaves 2,000 億円.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from conftest import solve_folder
from planbuilder import program, write_plan

from allocator.optim.diagnose import diagnose, explain_infeasibility, is_feasible, precheck
from allocator.plan.loading import load_plan


def test_mandatory_floors_above_the_cap_are_caught_before_solving(tmp_path: Path) -> None:
    progs = [
        program("A03", 1500, 1500, mandatory="yes", area="A"),
        program("D01", 1000, 1200, mandatory="yes", area="A"),
    ]
    plan = load_plan(write_plan(tmp_path, progs))  # mandatory programs never give way
    lines = precheck(plan)
    assert len(lines) == 1
    assert "mandatory programs A03, D01 need at least 2,500 億円" in lines[0]
    assert "leaves 2,000 億円" in lines[0] and "short by 500 億円" in lines[0]
    assert "2026年度" in lines[0]


def test_baseline_above_cap(tmp_path: Path) -> None:
    hard = 'floors = "hard"'
    plan = load_plan(write_plan(tmp_path, [program("P", 0, 10)], baseline=2100, solver_extra=hard))
    [line] = precheck(plan)
    assert "exceeds the 2% cap, by up to 100 億円" in line
    assert "a cap of at least 2.10%" in line


def test_phase_floor_against_cap_named_with_amounts(tmp_path: Path) -> None:
    # the only phase needs 2,600 in 2026 but the cap leaves 2,000: 600 short
    phases = (
        '[[phases]]\nid = "short"\nname_ja = "短期"\nname_en = "Short"\n'
        "first_year = 2026\nlast_year = 2026\nlow_oku_yen = 2600\n"
    )
    folder = write_plan(
        tmp_path, [program("P", 0, 5000, phase="short")], phases=phases,
        solver_extra='floors = "hard"',
    )  # fmt: skip
    plan, result = solve_folder(folder)
    assert result.status == "infeasible"
    d = diagnose(plan)
    assert d.cap_changes == (("gdp_cap", (2026,), 600.0),)
    assert d.floor_changes == (("phase_low", ("short",), 600.0),)
    assert d.relaxation_status == "optimal"
    assert [(s.floor.label, s.shortfall) for s in d.relaxation] == [("phase short", 600)]
    assert d.uniform_cap == Fraction(26, 1000)  # 2,600 / 100,000
    text = "\n".join(explain_infeasibility(plan))
    assert (
        "these rules cannot hold together: the 2% cap in 2026年度; the floor of phase short" in text
    )
    assert "2026年度: the 2% cap is short by 600 億円 — a cap of at least 2.60% of GDP" in text
    assert "keeping the caps, the floors can give way in reverse priority order" in text
    assert "phase short (Short; rank 1; FY2026): short by 600 億円 (reaches 2,000 of 2,600)" in text


def test_mandatory_flag_suggested_when_floor_cannot_be_met(tmp_path: Path) -> None:
    # a mandatory program needs 1,500 in 2027 only, where a per-year fiscal ceiling is 1,000
    progs = [program("M", 1500, 1500, first=2027, last=2027, mandatory="yes")]
    folder = write_plan(tmp_path, progs, years=2, fiscal="[fiscal.per_year_oku_yen]\n2027 = 1000")
    plan, result = solve_folder(folder)
    assert result.status == "infeasible"
    d = diagnose(plan)
    assert d.cap_changes == (("fiscal_year_cap", (2027,), 500.0),)
    assert [c[0] for c in d.floor_changes] == ["mandatory"]
    assert d.uniform_cap is None  # no GDP cap would help: the fiscal ceiling binds
    text = "\n".join(explain_infeasibility(plan))
    assert "drop the mandatory flag on M" in text
    assert "the fiscal ceiling on new spending (1,000 億円) is short by 500 億円" in text


def test_feasible_plan_is_feasible(tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path, [program("P", 0, 100)]))
    assert is_feasible(plan)


def test_a_floor_over_several_years_is_explained_pooled_not_in_one_year(tmp_path: Path) -> None:
    # a phase over 2026-27 needs 4,600 where the cap leaves 2,000 a year: 600 short in total,
    # and any one of the two years could take the extra room
    phases = (
        '[[phases]]\nid = "all"\nname_ja = "全期間"\nname_en = "All"\nfirst_year = 2026\n'
        "last_year = 2027\nlow_oku_yen = 4600\n"
    )
    progs = [program("P", 0, 10_000, first=2026, last=2027)]
    folder = write_plan(tmp_path, progs, years=2, phases=phases, solver_extra='floors = "hard"')
    plan = load_plan(folder)
    d = diagnose(plan)
    assert [(p.first, p.last, p.total, p.anywhere) for p in d.pooled] == [
        (2026, 2027, 600, (2026, 2027))
    ]
    text = "\n".join(explain_infeasibility(plan))
    assert "FY2026–2027: the 2% cap is short by 600 億円 in total" in text
    assert "any one of these years, or spread over them" in text
    assert "the floor of phase all (a total over FY2026–2027)" in text
    ja = "\n".join(explain_infeasibility(plan, lang="ja"))
    assert (
        "2026–2027年度: 上限2%が合計 600 億円不足" in ja and "short" not in ja.split("期間区分")[0]
    )
