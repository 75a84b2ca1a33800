"""Plan comparison (allocator.run.compare): real runs through the real pipeline, differences
worked out by hand on small plans, and the shipped plan under different caps and GDP cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import PLAIN as DATA
from planbuilder import program, write_plan

from allocator.api import allocate, write_comparison
from allocator.errors import PlanError, UsageError
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides
from allocator.report.analysis_charts import compare_chart
from allocator.run.compare import (
    SECTIONS,
    Comparison,
    SolvedPlan,
    compare,
    compare_folder_name,
    comparison_table,
    default_compare_dir,
    load_solved,
)
from allocator.run.folder import safe_name


def run(plan: Path, out: Path, **overrides: object) -> SolvedPlan:
    """Solve ``plan`` through the real pipeline into ``out`` and read the run back. The
    differences below were worked out for the ``early`` tie-break (money in the earliest years):
    it is the default here; the comparison itself does not depend on the tie-break."""
    overrides.setdefault("profile", "early")
    cap = overrides.pop("cap", None)
    ov = Overrides(cap=parse_cap(str(cap)) if cap is not None else None, **overrides)  # type: ignore[arg-type]
    allocate(plan, ov, out=out)
    return load_solved(out)


def diffs(cmp: Comparison, section: str, key: str, metric: str) -> tuple[object, ...]:
    return cmp.row(section, key, metric).diffs


def values(cmp: Comparison, section: str, key: str, metric: str) -> tuple[object, ...]:
    return cmp.row(section, key, metric).values


# ---------------------------------------------------------------------------------------------
# the shipped plan: 2 %, 2.2 %, 2 % on the growth-transition GDP path, 1.8 % with hard floors
# (infeasible)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SolvedPlan]:
    root = tmp_path_factory.mktemp("shipped")
    return {
        "a": run(DATA, root / "a", cap="2%"),
        "b": run(DATA, root / "b", cap="2.2%"),
        "c": run(DATA, root / "c", cap="2%", gdp_case="growth_transition"),
        "d": run(DATA, root / "d", cap="1.8%", floors="hard"),
    }


def test_sum_of_per_year_differences_is_the_difference_of_totals(
    shipped: dict[str, SolvedPlan],
) -> None:
    cmp = compare([shipped["a"], shipped["b"], shipped["c"]])
    for i in (1, 2):
        for metric in ("defense_alloc_oku_yen", "other_alloc_oku_yen", "new_total_oku_yen"):
            per_year = [diffs(cmp, "fiscal_year", str(y), metric)[i - 1] for y in cmp.years]
            assert all(isinstance(d, int) for d in per_year)
            total = diffs(cmp, "fiscal_year", "total", metric)[i - 1]
            assert sum(per_year) == total  # type: ignore[arg-type]
            row = values(cmp, "fiscal_year", "total", metric)
            ref, other = row[0], row[i]
            assert total == other - ref  # type: ignore[operator]
        # the same money seen per program, per area and per rank
        new_total = diffs(cmp, "fiscal_year", "total", "new_total_oku_yen")[i - 1]
        for section, metric in (
            ("program", "total_oku_yen"),
            ("area", "funded_oku_yen"),
            ("rank", "funded_oku_yen"),
        ):
            rows = [r for r in cmp.section(section) if r.metric == metric]
            assert sum(r.diffs[i - 1] for r in rows) == new_total  # type: ignore[misc]
        assert sum(c.total_diff for c in cmp.changes_for(i)) == new_total


def test_shipped_plan_cap_and_gdp_case_differences(shipped: dict[str, SolvedPlan]) -> None:
    a, b, c = shipped["a"], shipped["b"], shipped["c"]
    cmp = compare([a, b, c])
    assert cmp.labels == ("a", "b", "c")
    # 2026: cap 2 % of 6,384,000 = 127,680; 2.2 % = 140,448; the cap binds at 2 %; at 2.2 %
    # where the money goes among schedules of equal rank values is the tie-break's choice
    # (the smoothest path), not a rule: the ratio is within the cap and the diff is b − a
    assert values(cmp, "fiscal_year", "2026", "cap_oku_yen")[:2] == (127_680, 140_448)
    ratio_a, ratio_b = values(cmp, "fiscal_year", "2026", "gdp_ratio_pct")[:2]
    assert ratio_a == 2.0 and ratio_b <= 2.2  # type: ignore[operator]
    assert diffs(cmp, "fiscal_year", "2026", "gdp_ratio_pct")[0] == pytest.approx(
        ratio_b - ratio_a  # type: ignore[operator]
    )
    assert diffs(cmp, "fiscal_year", "2026", "cap_oku_yen")[0] == 12_768
    # per rank: the value comes from plan.json; rank 1 is fully funded in all three
    assert values(cmp, "rank", "1", "value") == (60_000, 60_000, 60_000)
    for r in (1, 2, 3, 4, 5, 6):
        assert values(cmp, "rank", str(r), "status") == ("optimal",) * 3
        assert values(cmp, "rank", str(r), "value") == values(cmp, "rank", str(r), "funded_oku_yen")
    # inputs: only the cap differs for b, the GDP case and its figures for c
    inputs = {(r.key, r.metric): r for r in cmp.input_differences()}
    assert inputs[("cap", "ratio")].values == ("2%", "2.2%", "2%")
    assert inputs[("cap", "ratio")].diffs == ("changed", "")
    assert inputs[("gdp", "case")].values == ("past_projection",) * 2 + ("growth_transition",)
    gdp_years = sorted(int(k.split(":")[1]) for k, _ in inputs if k.startswith("gdp:"))
    assert gdp_years == list(range(2026, 2041))
    assert inputs[("gdp:2026", "gdp_oku_yen")].values[:2] == (6_384_000, 6_384_000)
    assert not any(k.startswith(("program:", "baseline", "fiscal", "solver")) for k, _ in inputs)
    # programs: every kind is consistent with the totals and years
    for ch in cmp.program_changes:
        if "new" in ch.kinds:
            assert ch.total_ref == 0 and ch.total > 0 and ch.first_year_ref is None
        if "cut" in ch.kinds:
            assert ch.total == 0 and ch.total_ref > 0
        if "total" in ch.kinds:
            assert ch.total != ch.total_ref
        if "moved" in ch.kinds:
            assert ch.first_year is not None and ch.first_year_ref is not None
    funded = cmp.row("plan", "run", "programs_funded")
    for i in (1, 2):
        kinds = [ch.kinds for ch in cmp.changes_for(i)]
        new = sum("new" in k for k in kinds)
        cut = sum("cut" in k for k in kinds)
        assert funded.diffs[i - 1] == new - cut


def test_comparing_a_plan_with_itself_gives_no_differences(
    shipped: dict[str, SolvedPlan],
) -> None:
    a = shipped["a"]
    cmp = compare([a, a])
    assert cmp.labels == ("a", "a-2")
    assert cmp.program_changes == ()
    assert cmp.input_differences() == []
    for r in cmp.rows:
        assert not r.differs, r
        assert r.diffs[0] in (0, 0.0, "", None), r
    # an unchanged copy of the folder elsewhere: still nothing (the file hashes are equal)
    cmp = compare([a, shipped["a"]])
    assert not any(r.differs for r in cmp.rows)


def test_infeasible_run_is_shown_with_no_allocations(shipped: dict[str, SolvedPlan]) -> None:
    a, d = shipped["a"], shipped["d"]
    assert d.status == "infeasible" and not d.has_plan and d.allocations == {}
    assert d.explanation and "1.8%" in " ".join(d.explanation)
    cmp = compare([a, d])
    assert values(cmp, "plan", "run", "status") == ("optimal", "infeasible")
    assert values(cmp, "fiscal_year", "2026", "defense_alloc_oku_yen") == (37_327, None)
    assert diffs(cmp, "fiscal_year", "2026", "defense_alloc_oku_yen") == (None,)
    # inputs of the infeasible run are still known: its cap
    assert values(cmp, "fiscal_year", "2026", "cap_oku_yen") == (127_680, 114_912)
    assert values(cmp, "rank", "1", "value") == (60_000, None)
    assert values(cmp, "rank", "1", "status") == ("optimal", "infeasible")
    assert cmp.program_changes == ()
    assert {r.values[1] for r in cmp.section("program") if r.metric == "funded"} == {None}
    assert [(r.key, r.metric, r.values) for r in cmp.input_differences()] == [
        ("cap", "ratio", ("2%", "1.8%"))
    ]
    # infeasible as the reference too
    back = compare([d, a])
    assert diffs(back, "fiscal_year", "total", "new_total_oku_yen") == (None,)
    table = comparison_table(back)
    assert list(table.columns[3:]) == ["d", "a", "diff_a"]


def test_csv_table_long_format_stable_and_integer(
    shipped: dict[str, SolvedPlan], tmp_path: Path
) -> None:
    cmp = compare([shipped["a"], shipped["b"], shipped["d"]])
    table = comparison_table(cmp)
    assert list(table.columns) == [
        "section",
        "key",
        "metric",
        "a",
        "b",
        "d",
        "diff_b",
        "diff_d",
    ]
    order = [SECTIONS.index(s) for s in table.section]
    assert order == sorted(order)
    assert list(table.section.unique()) == [
        "plan",
        "fiscal_year",
        "area",
        "rank",
        "program",
        "input",
    ]
    money = table[table.metric.str.endswith("oku_yen")]
    for col in ("a", "b", "diff_b"):
        cells = [v for v in money[col] if v is not None]
        assert cells and all(type(v) is int for v in cells), col
    assert comparison_table(compare([shipped["a"], shipped["b"], shipped["d"]])).equals(table)
    years = [int(k) for k in table[table.section == "fiscal_year"].key.unique() if k != "total"]
    assert years == list(range(2026, 2041))
    # written as compare.csv: BOM, CRLF, read back with the same rows
    out = write_comparison(cmp, tmp_path / "cmp", lang="en")
    raw = (out / "compare.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    back = pd.read_csv(out / "compare.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(back) == len(table)
    assert (out / "compare.png").read_bytes().startswith(b"\x89PNG")


# ---------------------------------------------------------------------------------------------
# small plans, differences worked out by hand
# GDP 100,000 億円 every year, so a 2 % cap is 2,000 億円 and 3 % is 3,000.


def two_rank_plan(folder: Path) -> Path:
    # rank 1: P, 0–1,500. rank 2: Q, exactly 1,000 or nothing.
    # At 2 %: P 1,500, then 500 left: Q does not fit. At 3 %: P 1,500 and Q 1,000.
    return write_plan(
        folder,
        [program("P", 0, 1500, rank=1), program("Q", 1000, 1000, rank=2)],
        ranks=2,
    )


def test_a_higher_cap_funds_a_program_newly(tmp_path: Path) -> None:
    plan = two_rank_plan(tmp_path / "plan")
    ref = run(plan, tmp_path / "cap2", cap="2%")
    other = run(plan, tmp_path / "cap3", cap="3%")
    cmp = compare([ref, other])
    assert [(c.program_id, c.kinds, c.total_diff) for c in cmp.program_changes] == [
        ("Q", ("new",), 1000)
    ]
    q = cmp.program_changes[0]
    assert (q.first_year_ref, q.first_year, q.mean_year) == (None, 2026, 2026.0)
    assert values(cmp, "fiscal_year", "2026", "cap_oku_yen") == (2000, 3000)
    assert values(cmp, "fiscal_year", "2026", "defense_alloc_oku_yen") == (1500, 2500)
    assert diffs(cmp, "fiscal_year", "2026", "defense_alloc_oku_yen") == (1000,)
    assert values(cmp, "fiscal_year", "2026", "gdp_ratio_pct") == (1.5, 2.5)
    assert diffs(cmp, "fiscal_year", "2026", "gdp_ratio_pct") == (1.0,)
    assert values(cmp, "fiscal_year", "2026", "headroom_oku_yen") == (500, 500)
    assert diffs(cmp, "fiscal_year", "2026", "headroom_oku_yen") == (0,)
    assert values(cmp, "rank", "2", "value") == (0, 1000)
    assert diffs(cmp, "rank", "1", "value") == (0,)
    assert values(cmp, "program", "Q", "funded") == ("no", "yes")
    assert diffs(cmp, "program", "Q", "funded") == ("new",)
    assert diffs(cmp, "program", "P", "funded") == ("",)
    assert [(r.key, r.metric, r.values, r.diffs) for r in cmp.input_differences()] == [
        ("cap", "ratio", ("2%", "3%"), ("changed",))
    ]
    # the other way round the program is cut
    back = compare([other, ref])
    assert [(c.program_id, c.kinds, c.total_diff) for c in back.program_changes] == [
        ("Q", ("cut",), -1000)
    ]


def add_gdp_case(folder: Path, case: str, gdp: dict[int, int]) -> None:
    with (folder / "gdp.csv").open("a", encoding="utf-8", newline="") as f:
        for y, g in sorted(gdp.items()):
            f.write(f"{y},{case},{g},test\r\n")


def test_a_gdp_case_change_moves_a_program_in_time(tmp_path: Path) -> None:
    # P: 0–2,000 over 2026–2027; money goes as early as the cap allows.
    # case base: GDP 100,000 both years → 2026 cap 2,000 → P = {2026: 2,000}.
    # case low: GDP 50,000 in 2026 (cap 1,000) → P = {2026: 1,000, 2027: 1,000}:
    # same total, same first year, mean year 2026.0 → 2026.5.
    plan = write_plan(tmp_path / "plan", [program("P", 0, 2000, last=2027)], years=2)
    add_gdp_case(plan, "low", {2026: 50_000, 2027: 100_000})
    ref = run(plan, tmp_path / "base")
    other = run(plan, tmp_path / "low", gdp_case="low")
    cmp = compare([ref, other])
    assert len(cmp.program_changes) == 1
    p = cmp.program_changes[0]
    assert p.kinds == ("moved",)
    assert (p.total_ref, p.total, p.first_year_shift) == (2000, 2000, 0)
    assert (p.mean_year_ref, p.mean_year, p.mean_year_shift) == (2026.0, 2026.5, 0.5)
    assert diffs(cmp, "program", "P", "funded") == ("moved",)
    assert diffs(cmp, "program", "P", "mean_year") == (0.5,)
    assert diffs(cmp, "fiscal_year", "2026", "defense_alloc_oku_yen") == (-1000,)
    assert diffs(cmp, "fiscal_year", "2027", "defense_alloc_oku_yen") == (1000,)
    assert diffs(cmp, "fiscal_year", "total", "defense_alloc_oku_yen") == (0,)
    assert values(cmp, "fiscal_year", "2026", "gdp_ratio_pct") == (2.0, 2.0)
    assert values(cmp, "fiscal_year", "2027", "gdp_ratio_pct") == (0.0, 1.0)
    got = [(r.key, r.metric, r.values, r.diffs) for r in cmp.input_differences()]
    assert got == [
        ("gdp", "case", ("base", "low"), ("changed",)),
        ("gdp:2026", "gdp_oku_yen", (100_000, 50_000), (-50_000,)),
    ]


def test_a_range_change_in_programs_csv_is_an_input_difference(tmp_path: Path) -> None:
    # P: 0–2,000 in 2026 gets 2,000; with high 1,200 it gets 1,200 (and the window and
    # mandatory flag change too, without moving money: window 2026 only → 2026–2027).
    ref_plan = write_plan(tmp_path / "p1", [program("P", 0, 2000)], years=2)
    new_plan = write_plan(
        tmp_path / "p2",
        [program("P", 0, 1200, last=2027, mandatory="yes"), program("R", 0, 300, rank=1)],
        years=2,
    )
    ref = run(ref_plan, tmp_path / "r1")
    other = run(new_plan, tmp_path / "r2")
    cmp = compare([ref, other])
    got = {(r.key, r.metric): (r.values, r.diffs) for r in cmp.input_differences()}
    assert got[("program:P", "high_oku_yen")] == ((2000, 1200), (-800,))
    assert got[("program:P", "window_last_year")] == ((2026, 2027), (1,))
    assert got[("program:P", "mandatory")] == (("no", "yes"), ("changed",))
    assert got[("program:R", "present")] == (("no", "yes"), ("changed",))
    assert ("program:P", "low_oku_yen") not in got
    assert ("program:R", "high_oku_yen") not in got  # an added program is one row
    assert got[("file:programs.csv", "sha256")][1] == ("changed",)
    assert ("file:plan.toml", "sha256") not in got
    kinds = {c.program_id: (c.kinds, c.total_diff) for c in cmp.program_changes}
    # P: 1,200 in 2026 (earliest), R: 300 in 2026 (rank 1, earliest) — 1,500 ≤ the 2,000 cap
    assert kinds == {"P": (("total",), -800), "R": (("new",), 300)}
    assert values(cmp, "program", "R", "funded") == ("absent", "yes")
    assert values(cmp, "program", "R", "total_oku_yen") == (0, 300)


def test_areas_ranks_and_settings_are_compared_field_by_field(tmp_path: Path) -> None:
    p1 = write_plan(tmp_path / "p1", [program("P", 0, 500)], areas={"A": {"high_oku_yen": 900}})
    p2 = write_plan(
        tmp_path / "p2",
        [program("P", 0, 500)],
        areas={"A": {"high_oku_yen": 800}, "B": {}},
        fiscal="max_new_total_oku_yen = 700",
        cap_extra='base = "fixed_year"\nbase_year = 2025',
    )
    cmp = compare([run(p1, tmp_path / "r1"), run(p2, tmp_path / "r2")])
    got = {(r.key, r.metric): r.values for r in cmp.input_differences()}
    assert got[("area:A", "high_oku_yen")] == (900, 800)
    assert got[("area:B", "present")] == ("no", "yes")
    assert got[("fiscal", "max_new_total_oku_yen")] == ("", 700)
    assert got[("cap", "base")] == ("each_year", "fixed_year:2025")
    keys = [k for k, _ in got]
    assert keys.index("cap") < keys.index("fiscal") < keys.index("area:A")
    assert cmp.program_changes == ()


def test_horizon_change_compares_common_years_only(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "p", [program("P", 0, 3000, last=2027)], years=2)
    ref = run(plan, tmp_path / "r1")
    short = run(plan, tmp_path / "r2", years=1)
    cmp = compare([ref, short])
    assert cmp.years == (2026, 2027)
    # 2027 lies outside the short plan: no GDP, cap or ratio there, and no money
    assert values(cmp, "fiscal_year", "2027", "gdp_oku_yen") == (100_000, None)
    assert values(cmp, "fiscal_year", "2027", "defense_alloc_oku_yen") == (1000, 0)
    assert diffs(cmp, "fiscal_year", "total", "defense_alloc_oku_yen") == (-1000,)
    got = [(r.key, r.metric, r.values) for r in cmp.input_differences()]
    assert ("horizon", "years", (2, 1)) in got
    assert ("program:P", "window_last_year", (2027, 2026)) in got
    assert not any(k.startswith(("gdp:", "baseline:")) for k, _, _ in got)


# ---------------------------------------------------------------------------------------------
# reading run folders


def test_load_solved_accepts_the_folder_or_its_plan_json(tmp_path: Path) -> None:
    plan = two_rank_plan(tmp_path / "plan")
    sp = run(plan, tmp_path / "run")
    again = load_solved(tmp_path / "run" / "plan.json")
    assert again.path == sp.path and again.label == "run"
    assert again.allocations == sp.allocations == {("P", 2026): 1500}
    assert sp.funded == {"P": True, "Q": False}
    assert sp.rank_values == {1: 1500, 2: 0}


def test_load_solved_refuses_what_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as e:
        load_solved(tmp_path / "missing")
    assert e.value.option == "PLAN" and "no such file" in str(e.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"no plan\.json"):
        load_solved(tmp_path / "empty")
    (tmp_path / "x.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not a run folder"):
        load_solved(tmp_path / "x.csv")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "plan.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UsageError, match="JSON"):
        load_solved(bad)
    (bad / "plan.json").write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(UsageError, match="not a run record"):
        load_solved(bad)
    # a damaged run: inputs/ removed → a PlanError naming the missing file
    plan = two_rank_plan(tmp_path / "plan")
    run(plan, tmp_path / "run")
    shutil.rmtree(tmp_path / "run" / "inputs")
    with pytest.raises(PlanError) as pe:
        load_solved(tmp_path / "run")
    assert pe.value.file.endswith("plan.toml") and "\n" not in str(pe.value)


def test_fewer_than_two_plans_is_a_usage_error(tmp_path: Path) -> None:
    sp = run(two_rank_plan(tmp_path / "plan"), tmp_path / "run")
    with pytest.raises(UsageError, match="two or more"):
        compare([sp])


# ---------------------------------------------------------------------------------------------
# chart and output folder


def test_chart_in_both_languages_and_default_folder(tmp_path: Path) -> None:
    plan = two_rank_plan(tmp_path / "plan")
    cmp = compare([run(plan, tmp_path / "x", cap="2%"), run(plan, tmp_path / "y", cap="3%")])
    for lang in ("ja", "en"):
        compare_chart(cmp, tmp_path / f"{lang}.png", lang)
        assert (tmp_path / f"{lang}.png").stat().st_size > 10_000
    with pytest.raises(UsageError):
        compare_chart(cmp, tmp_path / "fr.png", "fr")  # type: ignore[arg-type]
    reports = tmp_path / "reports"
    first = default_compare_dir(cmp, reports)
    assert first == reports / "compare-x-vs-y"
    write_comparison(cmp, first)
    assert default_compare_dir(cmp, reports) == reports / "compare-x-vs-y-2"
    with pytest.raises(Exception, match="already exists"):
        write_comparison(cmp, first)
    assert sorted(p.name for p in reports.iterdir()) == ["compare-x-vs-y"]  # no temp folder


def test_compare_folder_names_are_never_cut_mid_word() -> None:
    a, b = "japan-defense-2026-cap2pct", "japan-defense-2026-cap1.9pct"
    assert compare_folder_name([a, b]) == "compare-japan-defense-2026-cap2pct-vs-cap1.9pct"
    assert compare_folder_name(["cap2", "cap3"]) == "compare-cap2-vs-cap3"
    assert compare_folder_name(["x", "x-2"]) == "compare-x-vs-x-2"
    # long labels with nothing shared: cut between words, at most 80 characters, no dangling -vs
    long = [f"plan{i}-growth_transition-hardfloors-floor2pct-from2027-early" for i in range(3)]
    name = compare_folder_name(long)
    assert len(name) <= 80 and not name.endswith(("-vs", "-"))
    words = set("-".join(["compare", *long]).split("-")) | {"vs"}
    assert all(w in words for w in name.split("-")), name
    assert safe_name("a" * 100) == "a" * 80  # one word longer than the limit: cut, no choice
    assert safe_name("word-" * 20 + "end") == "-".join(["word"] * 16)
