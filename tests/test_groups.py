"""``[[groups]]``: hand-worked plans (either-or, at least, packages, requirements, and how they
meet the strict priority order), a shortened horizon, bad input (one line naming the entry and
the key, exit 3), the verifier catching a broken group, compare naming the alternative chosen,
and the infeasibility explanation naming the group.

Default test plan (tests/planbuilder.py): one fiscal year unless said, GDP 100,000 億円, a 2 %
cap and baseline 0, so 2,000 億円 of room a year.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import amounts, solve_folder, totals
from planbuilder import program, write_plan
from typer.testing import CliRunner

from allocator.api import allocate, write_comparison
from allocator.cli.app import EXIT_INFEASIBLE, EXIT_INVALID_PLAN, app
from allocator.cli.render_compare import render_comparison
from allocator.errors import PlanError
from allocator.optim.diagnose import diagnose, is_feasible, precheck
from allocator.plan.loading import Overrides, load_plan
from allocator.run.compare import compare, comparison_table, load_solved
from allocator.run.verify import verify_run

runner = CliRunner()


def group(gid: str, body: str, *, source: str = "test: worked by hand") -> str:
    """One ``[[groups]]`` entry; ``body`` holds its programs and rules."""
    return (
        f'[[groups]]\nid = "{gid}"\nname_ja = "組{gid}"\nname_en = "Group {gid}"\n{body}\n'
        f'source = "{source}"\n\n'
    )


def plan_with(folder: Path, programs: list[dict[str, object]], groups: str, **kw: object) -> Path:
    return write_plan(folder, programs, extra_toml=groups, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# hand-worked plans


def test_either_or_picks_by_rank_not_by_size(tmp_path: Path) -> None:
    # A (rank 1) can take 800, C (rank 3) 2,000: without the group both are funded (A 800,
    # B 500, C 700); with "at most one of A, C" rank 1 comes first, so A is funded and C —
    # which would absorb more money — is not: the 700 stays unspent.
    progs = [
        program("A", 0, 800, rank=1),
        program("B", 0, 500, rank=2),
        program("C", 0, 2000, rank=3),
    ]
    _, free = solve_folder(write_plan(tmp_path / "free", progs, ranks=3))
    assert free.rank_values() == {1: 800, 2: 500, 3: 700}
    body = 'programs = ["A", "C"]\nat_most = 1'
    folder = plan_with(tmp_path / "g", progs, group("ac", body), ranks=3)
    _, result = solve_folder(folder)
    assert result.status == "optimal"
    assert result.rank_values() == {1: 800, 2: 500, 3: 0}
    assert totals(result) == {"A": 800, "B": 500}


def test_lower_rank_member_is_funded_when_the_higher_one_cannot_be(tmp_path: Path) -> None:
    # exactly one of A (rank 1, needs at least 2,500: more than the 2,000 of room) and C (rank
    # 3): C is the only member that can be funded, so it must be, at its low 1,000 at least;
    # rank 2's B comes before rank 3 and takes the other 1,000, so C stays at its low.
    progs = [
        program("A", 2500, 3000, rank=1),
        program("B", 0, 2000, rank=2),
        program("C", 1000, 1200, rank=3),
    ]
    body = 'programs = ["A", "C"]\nat_least = 1\nat_most = 1'
    _, result = solve_folder(plan_with(tmp_path, progs, group("ac", body), ranks=3))
    assert result.rank_values() == {1: 0, 2: 1000, 3: 1000}
    assert not result.funded["A"] and result.funded["C"]


def test_at_least_is_a_floor_that_costs_a_higher_rank(tmp_path: Path) -> None:
    # "at least 2 of S1, S2, S3" (rank 4, lows 500, 600, 700): the two cheapest, 1,100, are
    # funded before rank 1's A gets the remaining 900
    progs = [
        program("A", 0, 2000, rank=1),
        program("S1", 500, 500, rank=4),
        program("S2", 600, 600, rank=4),
        program("S3", 700, 700, rank=4),
    ]
    body = 'programs = ["S1", "S2", "S3"]\nat_least = 2'
    _, result = solve_folder(plan_with(tmp_path, progs, group("s", body), ranks=4))
    assert result.rank_values() == {1: 900, 2: 0, 3: 0, 4: 1100}
    assert totals(result) == {"A": 900, "S1": 500, "S2": 600}


def test_at_most_two_of_three_keeps_the_two_most_valuable(tmp_path: Path) -> None:
    # three radar options of one rank with fixed contracts and explicit values: at most two,
    # within 2,000: R1+R2 (1,900 → 15), R1+R3 (1,500 → 13), R2+R3 (1,400 → 12); all three
    # would fit in neither the group nor the cap (2,400)
    progs = [
        program("R1", first=2026, last=2026, payment_profile="2026:1000", value=8),
        program("R2", first=2026, last=2026, payment_profile="2026:900", value=7),
        program("R3", first=2026, last=2026, payment_profile="2026:500", value=5),
    ]
    body = 'programs = ["R1", "R2", "R3"]\nat_most = 2'
    _, result = solve_folder(plan_with(tmp_path, progs, group("radar", body), cap="3%"))
    # cap 3 % = 3,000: all three (2,400) would fit without the group
    assert result.rank_values() == {1: 15}
    assert {p for p, on in result.funded.items() if on} == {"R1", "R2"}


def test_package_is_funded_whole_or_not_at_all(tmp_path: Path) -> None:
    # a shipyard (rank 2, fixed 1,500) and the ships it serves (rank 2, 0–1,000): together they
    # need 1,501 at least. Rank 1's A takes 800 first, so the package does not fit (1,200 left
    # < 1,501) and nothing of it is funded, although the ships alone could take 1,000.
    progs = [
        program("A", 800, 800, rank=1),
        program("YARD", payment_profile="2026:1500", rank=2),
        program("SHIP", 0, 1000, rank=2),
    ]
    body = 'programs = ["YARD", "SHIP"]\nall_or_none = true'
    _, result = solve_folder(plan_with(tmp_path, progs, group("yard", body), ranks=2))
    assert result.rank_values() == {1: 800, 2: 0}
    # with 2,400 of room (cap 2.4 %) the package fits: yard 1,500 and ships 100
    _, result = solve_folder(
        plan_with(tmp_path / "more", progs, group("yard", body), ranks=2, cap="2.4%")
    )
    assert result.rank_values() == {1: 800, 2: 1600}
    assert totals(result) == {"A": 800, "YARD": 1500, "SHIP": 100}


def test_requires_any_takes_the_alternative_that_leaves_rank_one_the_most(
    tmp_path: Path,
) -> None:
    # M (rank 1, up to 1,000) needs one of two launchers (rank 2, fixed 600 or 300), room
    # 1,400: with L2 M keeps 1,000 (1,300 in all); with L1 only 800. Rank 2 then has 100 left:
    # not enough for L1 as well. Values: rank 1 = 1,000, rank 2 = 300 (L2).
    progs = [
        program("M", 0, 1000, rank=1),
        program("L1", payment_profile="2026:600", rank=2),
        program("L2", payment_profile="2026:300", rank=2),
    ]
    body = 'programs = ["M"]\nrequires_any = ["L1", "L2"]'
    _, result = solve_folder(plan_with(tmp_path, progs, group("m", body), ranks=2, cap="1.4%"))
    assert result.rank_values() == {1: 1000, 2: 300}
    assert totals(result) == {"M": 1000, "L2": 300}


def test_requires_every_listed_program(tmp_path: Path) -> None:
    # M needs both L1 and L2 (rank 2, 600 + 300): M keeps only 2,000 − 900 = 1,100
    progs = [
        program("M", 0, 2000, rank=1),
        program("L1", payment_profile="2026:600", rank=2),
        program("L2", payment_profile="2026:300", rank=2),
    ]
    body = 'programs = ["M"]\nrequires = ["L1", "L2"]'
    _, result = solve_folder(plan_with(tmp_path, progs, group("m", body), ranks=2))
    assert result.rank_values() == {1: 1100, 2: 900}


def test_requires_is_about_funding_not_timing(tmp_path: Path) -> None:
    # M (2026 only) requires L (2027 only): allowed, unlike a predecessor link, which would
    # forbid M's money before L starts
    progs = [
        program("M", 0, 500, first=2026, last=2026),
        program("L", payment_profile="2027:100", first=2027, last=2027),
    ]
    body = 'programs = ["M"]\nrequires = ["L"]'
    _, result = solve_folder(plan_with(tmp_path, progs, group("m", body), years=2))
    assert amounts(result) == {("M", 2026): 500, ("L", 2027): 100}


def test_shortened_horizon_fits_groups_and_says_so(tmp_path: Path) -> None:
    progs = [
        program("A", 0, 100, first=2026, last=2026),
        program("B", 0, 100, first=2028, last=2028),
        program("C", 0, 100, first=2026, last=2026),
        program("L", payment_profile="2028:50", first=2028, last=2028),
    ]
    groups = (
        group("ab", 'programs = ["A", "B", "C"]\nat_least = 2\nat_most = 2')
        + group("need", 'programs = ["A"]\nrequires = ["L"]')
        + group("late", 'programs = ["B", "L"]\nall_or_none = true')
        + group("any", 'programs = ["C"]\nrequires_any = ["A", "L"]\nat_most = 1')
    )
    folder = plan_with(tmp_path, progs, groups, years=3)
    full = load_plan(folder)
    assert [g.id for g in full.groups] == ["ab", "need", "late", "any"]
    short = load_plan(folder, Overrides(years=2))
    by_id = {g.id: g for g in short.groups}
    assert by_id["ab"].programs == ("A", "C")
    assert by_id["ab"].at_most == 2 and by_id["ab"].at_least is None
    assert "need" not in by_id and "late" not in by_id  # nothing left to rule
    # L might have met "C only with A or L" beyond the horizon: the requirement goes whole
    assert by_id["any"].requires_any == () and by_id["any"].at_most == 1
    text = "\n".join(short.notes)
    assert "group ab: B left out; at_least 2 not applied" in text
    assert "group need: requirement on L dropped" in text
    assert "group late left out" in text
    assert "group any: requires_any dropped (L left out)" in text
    _, result = solve_folder(folder, Overrides(years=2))
    assert totals(result) == {"A": 100, "C": 100}


# ---------------------------------------------------------------------------------------------
# bad input


def run_cli(plan: Path, tmp_path: Path) -> tuple[int, str]:
    reports = tmp_path / "reports"
    result = runner.invoke(app, ["--plan", str(plan), "--reports", str(reports)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if result.exit_code == EXIT_INVALID_PLAN:
        assert not reports.exists() or not any(reports.iterdir()), "output left behind"
    return result.exit_code, result.output


BAD_GROUPS = [
    ('programs = ["A", "Z9"]\nat_most = 1', "key programs", "names program 'Z9', which is not"),
    ("programs = []\nat_most = 1", "key programs", "is empty"),
    ('programs = ["A", "B"]\nat_least = 3', "key at_least", "is 3 but the group has 2 programs"),
    ('programs = ["A", "B"]\nat_least = 2\nat_most = 1', "key at_most", "below at_least 2"),
    ('programs = ["A", "B"]\nat_most = -1', "key at_most", "below 0"),
    ('programs = ["A", "B"]', "key programs", "the group sets no rule"),
    ('programs = ["A", "A"]\nat_most = 1', "key programs", "names A twice"),
    ('programs = ["A"]\nall_or_none = true', "key all_or_none", "needs two or more"),
    ('programs = ["A", "B"]\nall_or_none = true\nat_least = 1', "key at_least", "cannot be"),
    ('programs = ["A"]\nrequires = ["A"]', "key requires", "in the group's own programs"),
    ('programs = ["A"]\nrequires = ["Q"]', "key requires", "names program 'Q'"),
    ('programs = ["A"]\nrequires_any = ["B", "Q"]', "key requires_any", "names program 'Q'"),
]


@pytest.mark.parametrize(("body", "key", "words"), BAD_GROUPS)
def test_bad_group_is_one_line_naming_the_entry_and_key(
    body: str, key: str, words: str, tmp_path: Path
) -> None:
    progs = [program("A", 0, 100), program("B", 0, 100)]
    groups = group("fine", 'programs = ["A", "B"]\nat_most = 2') + group("bad", body)
    code, out = run_cli(plan_with(tmp_path / "plan", progs, groups), tmp_path)
    assert code == EXIT_INVALID_PLAN, out
    [line] = [ln for ln in out.splitlines() if ln.startswith("allocate: error:")]
    assert "plan.toml" in line and f"[[groups]] #2 (bad), {key}:" in line, line
    assert words in line, line
    assert " — " in line  # the fix


def test_requires_cycle_is_refused_with_the_cycle(tmp_path: Path) -> None:
    progs = [program("A", 0, 100), program("B", 0, 100), program("C", 0, 100)]
    groups = "".join(
        group(gid, f'programs = ["{gid[0].upper()}"]\nrequires = ["{gid[1].upper()}"]')
        for gid in ("ab", "bc", "ca")
    )
    with pytest.raises(PlanError) as err:
        load_plan(plan_with(tmp_path, progs, groups))
    msg = str(err.value)
    assert "[[groups]] #1 (ab), key requires: the links form a cycle A → B → C → A" in msg
    assert "all_or_none = true" in msg


def test_requires_cycle_through_a_predecessor_is_refused(tmp_path: Path) -> None:
    # B's predecessor is A (so B is funded only with A); A requires B: they are a package
    progs = [program("A", 0, 100), program("B", 0, 100, predecessor="A")]
    with pytest.raises(PlanError, match=r"cycle A → B → A"):
        load_plan(plan_with(tmp_path, progs, group("ab", 'programs = ["A"]\nrequires = ["B"]')))


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('[[groups]]\nid = "g"\nname_ja = "g"\nname_en = "g"\nprograms = ["A"]\nat_most = 1\n',
         "[[groups]] #1, key source is missing"),
        (group("g", 'programs = ["A"]\nat_most = 1', source=""), "key source: is empty"),
        (group("戦闘機", 'programs = ["A"]\nat_most = 1'), "key id: '戦闘機' is not an ASCII id"),
        (group("", 'programs = ["A"]\nat_most = 1'), "[[groups]] #1 (), key id: is empty"),
        (group("g", 'programs = "A"\nat_most = 1'), "[[groups]] #1, key programs:"),
        (group("g", 'programs = ["A"]\nat_most = "1"'), "[[groups]] #1, key at_most:"),
        (group("g", 'programs = ["A"]\nat_most = true'), "[[groups]] #1, key at_most:"),
        (group("g", 'programs = ["A"]\nat_mots = 1'), "[[groups]] #1, key at_mots is not"),
        (group("g", 'programs = ["A"]\nat_most = 1') + group("g", 'programs = ["A"]\nat_most = 0'),
         "[[groups]] #2 (g), key id: 'g' is already the id of [[groups]] #1"),
    ],
)  # fmt: skip
def test_malformed_group_entries(toml: str, words: str, tmp_path: Path) -> None:
    with pytest.raises(PlanError) as err:
        load_plan(plan_with(tmp_path, [program("A", 0, 100)], toml))
    assert words in str(err.value), str(err.value)


# ---------------------------------------------------------------------------------------------
# the verifier, compare and the explanation


def either_or_plan(folder: Path, high_b: int = 500) -> Path:
    progs = [
        program("A", 0, 700, rank=1),
        program("B", 0, high_b, rank=1),
        program("M", 0, 300, rank=2),
        program("L", payment_profile="2026:100", rank=2),
    ]
    groups = group("ab", 'programs = ["A", "B"]\nat_least = 1\nat_most = 1') + group(
        "ml", 'programs = ["M"]\nrequires = ["L"]'
    )
    return plan_with(folder, progs, groups, ranks=2, cap="1%")


def edit_programs_csv(run: Path, pid: str, funded: str) -> None:
    path = run / "programs.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header, rows = list(reader.fieldnames or []), list(reader)
    for r in rows:
        if r["program_id"] == pid:
            r["funded"] = funded
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)


def edit_schedule(run: Path, keep: set[str], add: list[tuple[str, int, int]]) -> None:
    path = run / "schedule.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header, rows = list(reader.fieldnames or []), list(reader)
    rows = [r for r in rows if r["program_id"] in keep]
    for pid, year, amount in add:
        like = dict(rows[0])
        like.update(program_id=pid, fiscal_year=str(year), amount_oku_yen=str(amount))
        like.update(name_ja=f"事業{pid}", name_en=f"Program {pid}", units="")
        rows.append(like)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)


def test_verifier_checks_every_group_and_catches_a_broken_one(tmp_path: Path) -> None:
    out = tmp_path / "run"
    outcome = allocate(either_or_plan(tmp_path / "plan"), Overrides(), out=out)
    # 1,000 of room: A 700 (not B), M 200 with L 100
    assert outcome.result.rank_values() == {1: 700, 2: 300}
    report = verify_run(out)
    assert report.ok
    checked = dict(report.checks)
    assert checked["group_at_most"] == 1 and checked["group_at_least"] == 1
    assert checked["group_requires"] == 1 and checked["group_all_or_none"] == 0

    # fund B as well (the either-or broken) and M without L (the requirement broken)
    edit_programs_csv(out, "B", "yes")
    edit_programs_csv(out, "L", "no")
    edit_schedule(out, keep={"A", "M"}, add=[("B", 2026, 1)])
    report = verify_run(out)
    by_rule = {v.rule: v for v in report.violations if v.rule.startswith("group_")}
    assert set(by_rule) == {"group_at_most", "group_requires"}
    assert by_rule["group_at_most"].subject == "ab"
    assert "allows at most 1 of A, B but 2 are funded (A, B)" in by_rule["group_at_most"].message
    assert by_rule["group_requires"].subject == "ml"
    assert "M is funded but L, which it requires" in by_rule["group_requires"].message

    # and none funded: the floor of "exactly one" is broken too
    edit_programs_csv(out, "A", "no")
    edit_programs_csv(out, "B", "no")
    edit_schedule(out, keep={"M"}, add=[])
    report = verify_run(out)
    rules = {v.rule for v in report.violations}
    assert "group_at_least" in rules and "group_at_most" not in rules


def test_funded_flag_without_money_does_not_meet_a_group_floor(tmp_path: Path) -> None:
    out = tmp_path / "run"
    allocate(either_or_plan(tmp_path / "plan"), Overrides(), out=out)
    edit_schedule(out, keep={"M", "L"}, add=[])  # A keeps funded = yes but loses its money
    report = verify_run(out)
    assert any(v.rule == "group_at_least" and v.subject == "ab" for v in report.violations)


def test_compare_shows_which_alternative_each_plan_funds(tmp_path: Path) -> None:
    allocate(either_or_plan(tmp_path / "p1"), Overrides(), out=tmp_path / "r1")
    # B's high raised above A's: rank 1 now prefers B
    allocate(either_or_plan(tmp_path / "p2", high_b=900), Overrides(), out=tmp_path / "r2")
    cmp = compare([load_solved(tmp_path / "r1"), load_solved(tmp_path / "r2")])
    row = cmp.row("group", "ab", "funded")
    assert row.values == ("A", "B") and row.diffs == ("changed",)
    # with B's 900, 100 is left for rank 2: the launcher L alone (M needs L: 101 at least)
    assert cmp.row("group", "ml", "funded").values == ("M", "none")
    assert cmp.row("group", "ab", "count").values == (1, 1)
    table = comparison_table(cmp)
    sections = ["plan", "fiscal_year", "area", "rank", "program", "group", "input"]
    assert list(table.section.unique()) == sections
    text = render_comparison(cmp)
    assert "program groups whose choice changed vs A" in text
    [line] = [ln for ln in text.splitlines() if ln.strip().startswith("ab ")]
    assert "A A" in line and "B B" in line and "exactly 1 of A, B" in line
    folder = write_comparison(cmp, tmp_path / "cmp")
    written = (folder / "compare.csv").read_text(encoding="utf-8-sig")
    assert "group,ab,funded,A,B,changed" in written


def test_compare_without_a_changed_choice_says_so(tmp_path: Path) -> None:
    allocate(either_or_plan(tmp_path / "p1"), Overrides(), out=tmp_path / "r1")
    allocate(either_or_plan(tmp_path / "p1"), Overrides(), out=tmp_path / "r2")
    cmp = compare([load_solved(tmp_path / "r1"), load_solved(tmp_path / "r2")])
    assert "program groups: the same programs chosen in every plan (2 groups)" in (
        render_comparison(cmp)
    )


def test_at_most_below_mandatory_members_is_caught_before_solving(tmp_path: Path) -> None:
    progs = [program("A", 10, 10, mandatory="yes"), program("B", 10, 10, mandatory="yes")]
    folder = plan_with(tmp_path / "plan", progs, group("ab", 'programs = ["A", "B"]\nat_most = 1'))
    [line] = precheck(load_plan(folder))
    assert "group ab (Group ab) allows at most 1 of A, B, but 2 of them are mandatory" in line
    code, out = run_cli(folder, tmp_path)
    assert code == EXIT_INFEASIBLE
    assert "group ab" in out


@pytest.mark.parametrize(
    ("progs", "body", "headline", "change"),
    [
        (
            [program("A", 3000, 3000), program("B", 2500, 4000)],
            'programs = ["A", "B"]\nat_least = 1',
            "group g (at least 1 of A, B)",
            "fund 0 instead of at least 1 of A, B (the cheapest needs at least 2,500 億円)",
        ),
        (
            [program("A", 1500, 1500, mandatory="yes"), program("B", 1000, 1000)],
            'programs = ["A"]\nrequires = ["B"]',
            "group g (A only with B)",
            "let A be funded without B (which needs at least 1,000 億円)",
        ),
        (
            [program("A", 1500, 1500, mandatory="yes"), program("B", 1000, 1000)],
            'programs = ["A", "B"]\nall_or_none = true',
            "group g (all or none of A, B)",
            "split the package — fund A (at least 1,500 億円) without B (at least 1,000 億円)",
        ),
        (
            [program("A", 1500, 1500, mandatory="yes"), program("B", 600, 600),
             program("C", 700, 700)],
            'programs = ["A"]\nrequires_any = ["B", "C"]',
            "group g (A only with B or C)",
            "let A be funded without any of B, C",
        ),
    ],
)  # fmt: skip
def test_explanation_names_the_group_in_the_conflict(
    progs: list[dict[str, object]], body: str, headline: str, change: str, tmp_path: Path
) -> None:
    plan = load_plan(plan_with(tmp_path, progs, group("g", body)))
    _, result = solve_folder(tmp_path)
    assert result.status == "infeasible"
    d = diagnose(plan, time_limit=30)
    lines = d.lines(plan)
    assert headline in lines[0], lines
    assert any(ln.startswith("or, keeping the caps, floors and mandatory flags") for ln in lines)
    assert f"  - group g (Group g): {change}" in lines, lines
    # one group row loosened, by one program; and without the group a plan exists
    assert len(d.group_changes) == 1 and round(d.group_changes[0][2]) == 1
    assert not is_feasible(plan) and is_feasible(plan.model_copy(update={"groups": ()}))


def test_no_group_line_when_the_groups_are_not_in_the_conflict(tmp_path: Path) -> None:
    # A alone is above the cap; the group (at most 1 of B, C) has nothing to do with it
    progs = [program("A", 2500, 2500, mandatory="yes"), program("B", 0, 10), program("C", 0, 10)]
    plan = load_plan(plan_with(tmp_path, progs, group("g", 'programs = ["B", "C"]\nat_most = 1')))
    d = diagnose(plan, time_limit=30)
    assert d.group_changes == ()
    assert not any("group g" in ln for ln in d.lines(plan))


def test_allocate_prints_the_programs_funded_in_each_group(tmp_path: Path) -> None:
    code, out = run_cli(either_or_plan(tmp_path / "plan"), tmp_path)
    assert code == 0, out
    lines = out.splitlines()
    head = lines.index(next(ln for ln in lines if ln.startswith("group ")))
    assert lines[head].split() == ["group", "funded", "rule"]
    assert lines[head + 2].split() == ["ab", "A", "exactly", "1", "of", "A,", "B"]
    assert lines[head + 3].split() == ["ml", "M", "M", "only", "with", "L"]


def test_compare_lists_a_changed_group_rule_among_the_inputs(tmp_path: Path) -> None:
    progs = [program("A", 0, 700), program("B", 0, 500)]
    strict = group("ab", 'programs = ["A", "B"]\nat_most = 1')
    loose = group("ab", 'programs = ["A", "B"]\nat_most = 2')
    allocate(plan_with(tmp_path / "p1", progs, strict), Overrides(), out=tmp_path / "r1")
    allocate(plan_with(tmp_path / "p2", progs, loose), Overrides(), out=tmp_path / "r2")
    cmp = compare([load_solved(tmp_path / "r1"), load_solved(tmp_path / "r2")])
    row = cmp.row("input", "group:ab", "at_most")
    assert row.values == (1, 2) and row.diffs == (1,)
    assert cmp.row("group", "ab", "funded").values == ("A", "A+B")
    assert "group:ab at_most" in render_comparison(cmp)


def test_requires_cycle_through_the_command_line(tmp_path: Path) -> None:
    progs = [program("A", 0, 100), program("B", 0, 100)]
    groups = group("ab", 'programs = ["A"]\nrequires = ["B"]') + group(
        "ba", 'programs = ["B"]\nrequires = ["A"]'
    )
    code, out = run_cli(plan_with(tmp_path / "plan", progs, groups), tmp_path)
    assert code == EXIT_INVALID_PLAN
    [line] = [ln for ln in out.splitlines() if ln.startswith("allocate: error:")]
    assert "[[groups]] #1 (ab), key requires: the links form a cycle A → B → A" in line
    assert "— make them a package: one group with all_or_none = true" in line
