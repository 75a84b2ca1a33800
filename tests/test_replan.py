"""Re-planning from actuals (issue 11): a hand-worked plan with one overrun and one underrun,
actuals equal to the approved plan, the variance table and what the verifier checks. Real
solves, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from planbuilder import program, write_actuals, write_plan

from allocator.api import allocate
from allocator.api_replan import replan, what_gives_lines
from allocator.constants import INPUTS_DIR, PLAN_JSON, VARIANCE_CSV
from allocator.errors import PlanError
from allocator.plan.loading import Overrides
from allocator.run.csvfile import read_run_csv
from allocator.run.verify import verify_run


def hand_plan(folder: Path) -> Path:
    """FY2026–2028, GDP 100,000 億円 a year, cap 2 % = 2,000 億円 a year, baseline 0.

    Rank 1: P1, up to 3,000 億円, at most 1,000 a year. Rank 2: P2, up to 6,000.
    Approved by hand: P1 1,000 a year (3,000, its high), P2 the 1,000 a year left.
    """
    return write_plan(
        folder,
        [
            program("P1", 0, 3000, first=2026, last=2028, rank=1, max_per_year_oku_yen=1000),
            program("P2", 0, 6000, first=2026, last=2028, rank=2),
        ],
        years=3,
        ranks=2,
    )


@pytest.fixture
def approved(tmp_path: Path) -> Path:
    plan = hand_plan(tmp_path / "plan")
    outcome = allocate(plan, Overrides(), out=tmp_path / "approved", lang="en")
    assert outcome.run_dir is not None
    cells = {
        (p, y): a
        for p, y, a, _ in json.loads((outcome.run_dir / PLAN_JSON).read_text())["allocations"]
    }
    assert cells == {
        ("P1", 2026): 1000,
        ("P1", 2027): 1000,
        ("P1", 2028): 1000,
        ("P2", 2026): 1000,
        ("P2", 2027): 1000,
        ("P2", 2028): 1000,
    }
    return outcome.run_dir


def schedule(run: Path) -> dict[tuple[str, int], int]:
    rows = json.loads((run / PLAN_JSON).read_text(encoding="utf-8"))["allocations"]
    return {(p, y): a for p, y, a, _ in rows}


def test_overrun_and_underrun_replanned_by_hand(approved: Path, tmp_path: Path) -> None:
    # FY2026: P1 overran (1,200 against 1,000), P2 underran (700 against 1,000).
    actuals = write_actuals(tmp_path / "actuals.csv", {("P1", 2026): 1200, ("P2", 2026): 700})
    out = replan(approved, actuals, 2027, out=tmp_path / "replan", lang="en")
    assert out.run_dir is not None and out.verification is not None
    assert out.verification.ok, out.verification.violations
    got = schedule(out.run_dir)
    # By hand: P1 has 1,800 left of its 3,000, at most 1,000 a year; P2 takes the room left
    # (2,000 a year). Rank 2 ends with 700 + 2,200 = 2,900: the 100 not spent in FY2026 is
    # lost. How P1's 1,800 splits over FY2027–2028 (1,000 + 800 or 800 + 1,000) is a tie at
    # every rank; either way 400 億円 move against the approved plan.
    assert got[("P1", 2026)] == 1200 and got[("P2", 2026)] == 700
    assert got[("P1", 2027)] + got[("P1", 2028)] == 1800
    assert max(got[("P1", 2027)], got[("P1", 2028)]) == 1000
    for y in (2027, 2028):
        assert got[("P1", y)] + got[("P2", y)] == 2000
    rec = out.record
    assert rec.from_year == 2027
    assert rec.executed_gap_oku_yen == 200 + 300
    assert rec.moved_oku_yen == 200 + 200  # P1 −200 in one year, P2 +200 in the same year
    # the overrun breaks P1's per-year maximum in a fixed year: a fact, reported, not re-planned
    assert [(b.rule, b.subject, b.fiscal_year, b.excess_oku_yen) for b in rec.breaches] == [
        ("year_max", "P1", 2026, 200)
    ]
    # over the horizon rank 1 keeps its 3,000; rank 2 gives the 100 not spent in FY2026
    assert [(g.rank, g.planned_oku_yen, g.replanned_oku_yen) for g in out.gives] == [
        (2, 3000, 2900)
    ]
    lines = what_gives_lines(out, "en")
    assert "per-year maximum" in lines[0]
    assert lines[1] == "rank 2: 3,000 億円 planned → 2,900 億円 re-planned (100 億円 less)"

    v = read_run_csv(out.run_dir / VARIANCE_CSV)
    p1 = v[(v.scope == "program") & (v.subject == "P1")].set_index("fiscal_year")
    assert list(p1.planned_oku_yen) == [1000, 1000, 1000]
    assert list(p1.replanned_oku_yen) == [got["P1", y] for y in (2026, 2027, 2028)]
    assert p1.loc[2026, "executed_oku_yen"] == 1200
    assert p1.loc[2026, "reason_en"] == "overrun"
    assert set(p1.reasons) == {"actuals", ""}
    p2 = v[(v.scope == "program") & (v.subject == "P2")].set_index("fiscal_year")
    assert p2.loc[2026, "reason_en"] == "underrun"
    assert p2.loc[2026, "reason_ja"] == "執行不足"
    total = v[v.scope == "total"].set_index("fiscal_year")
    assert list(total.replanned_oku_yen) == [1900, 2000, 2000]
    rank2 = v[(v.scope == "rank") & (v.subject == "2")]
    assert int(rank2.replanned_oku_yen.sum()) == 2900

    # the folder records the approved run and the actuals
    assert (out.run_dir / INPUTS_DIR / "approved_plan.json").read_bytes() == (
        approved / PLAN_JSON
    ).read_bytes()
    assert (out.run_dir / INPUTS_DIR / "actuals.csv").read_bytes() == actuals.read_bytes()
    assert verify_run(out.run_dir).ok


def test_actuals_equal_to_the_approved_plan_change_nothing(approved: Path, tmp_path: Path) -> None:
    planned = schedule(approved)
    actuals = write_actuals(
        tmp_path / "actuals.csv", {c: a for c, a in planned.items() if c[1] < 2028}
    )
    out = replan(approved, actuals, 2028, out=tmp_path / "replan")
    assert out.run_dir is not None
    assert schedule(out.run_dir) == planned
    assert out.record.moved_oku_yen == 0
    assert out.record.executed_gap_oku_yen == 0
    assert out.gives == [] and out.breaches == []
    v = read_run_csv(out.run_dir / VARIANCE_CSV)
    assert (v.change_oku_yen == 0).all()
    assert (v.reasons == "").all()


def test_an_overrun_that_eats_the_room_says_what_gives(tmp_path: Path) -> None:
    """Cap 2,000 a year, 4,000 over the horizon. Approved: P2 (rank 2) takes FY2026's 2,000,
    P1 (rank 1, FY2027 only) FY2027's 2,000. P2 then executes 2,500 in FY2026 (above the cap):
    1,500 is left of the horizon's 4,000, so rank 1 gives 500, said in 億円."""
    plan = write_plan(
        tmp_path / "plan",
        [
            program("P1", 0, 2000, first=2027, last=2027, rank=1),
            program("P2", 0, 4000, first=2026, last=2027, rank=2),
        ],
        years=2,
        ranks=2,
        fiscal="max_new_total_oku_yen = 4000",
    )
    run = allocate(plan, Overrides(), out=tmp_path / "approved").run_dir
    assert run is not None
    assert schedule(run) == {("P1", 2027): 2000, ("P2", 2026): 2000}
    actuals = write_actuals(tmp_path / "a.csv", {("P2", 2026): 2500})
    out = replan(run, actuals, 2027, out=tmp_path / "replan", lang="en")
    assert out.run_dir is not None and out.verification is not None
    assert out.verification.ok, out.verification.violations
    assert schedule(out.run_dir) == {("P1", 2027): 1500, ("P2", 2026): 2500}
    assert [(g.rank, g.planned_oku_yen, g.replanned_oku_yen) for g in out.gives] == [
        (1, 2000, 1500)
    ]
    assert [(b.rule, b.excess_oku_yen) for b in out.record.breaches] == [("gdp_cap", 500)]
    lines = what_gives_lines(out, "en")
    assert lines[-1] == "rank 1: 2,000 億円 planned → 1,500 億円 re-planned (500 億円 less)"


@pytest.mark.parametrize(
    ("rows", "from_year", "where"),
    [
        ("2026,PX,100\n", 2027, "row 2, column program_id"),
        ("2027,P1,100\n", 2027, "row 2, column fiscal_year"),
        ("2026,P1,-5\n", 2027, "row 2, column executed_oku_yen"),
        ("2026,P1,5\n2026,P1,6\n2026,P2,1000\n", 2027, "row 3, column program_id"),
        ("2026,P2,1000\n", 2027, "no row for P1"),
    ],
)
def test_bad_actuals_are_refused_before_anything_is_written(
    approved: Path, tmp_path: Path, rows: str, from_year: int, where: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("fiscal_year,program_id,executed_oku_yen\n" + rows, encoding="utf-8")
    with pytest.raises(PlanError) as err:
        replan(approved, bad, from_year, out=tmp_path / "replan")
    assert where in str(err.value)
    assert "bad.csv" in str(err.value)
    assert not (tmp_path / "replan").exists()


def test_verify_finds_a_fixed_year_off_the_actuals_and_a_wrong_variance(
    approved: Path, tmp_path: Path
) -> None:
    actuals = write_actuals(tmp_path / "actuals.csv", {("P1", 2026): 1200, ("P2", 2026): 700})
    run = replan(approved, actuals, 2027, out=tmp_path / "replan").run_dir
    assert run is not None
    variance = run / VARIANCE_CSV
    text = variance.read_text(encoding="utf-8-sig")
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("total,total,,,2026,"))
    lines[at] = lines[at].replace(",1900,1900,", ",1900,1800,")
    assert lines[at] != text.splitlines(keepends=True)[at]
    variance.write_text("".join(lines), encoding="utf-8-sig")
    report = verify_run(run, sealed=False)
    assert [v.rule for v in report.violations] == ["variance"], report.violations
    variance.write_text(text, encoding="utf-8-sig")
    schedule_csv = run / "schedule.csv"
    rows = schedule_csv.read_text(encoding="utf-8-sig")
    assert "2026,P1,事業P1,Program P1,A,all,1,1200," in rows
    schedule_csv.write_text(
        rows.replace("Program P1,A,all,1,1200,", "Program P1,A,all,1,1000,"), encoding="utf-8-sig"
    )
    rules = {v.rule for v in verify_run(run, sealed=False).violations}
    assert "actual" in rules


def test_actuals_that_make_the_approved_plan_impossible_are_explained(tmp_path: Path) -> None:
    """4,000 億円 over the horizon; P2 (mandatory, 2,000 in FY2027) was approved after P1's
    2,000 in FY2026. P1 executes 2,500: 1,500 is left, 500 short of P2's floor. No re-plan
    exists; the run says which rules conflict, by how much in 億円, and what would fix it."""
    plan = write_plan(
        tmp_path / "plan",
        [
            program("P1", 0, 3000, first=2026, last=2026, rank=1),
            program("P2", 2000, 2000, first=2027, last=2027, rank=2, mandatory="yes"),
        ],
        years=2,
        ranks=2,
        fiscal="max_new_total_oku_yen = 4000",
    )
    run = allocate(plan, Overrides(), out=tmp_path / "approved").run_dir
    assert run is not None
    actuals = write_actuals(tmp_path / "a.csv", {("P1", 2026): 2500})
    out = replan(run, actuals, 2027, out=tmp_path / "re", lang="en")
    assert out.result.status == "infeasible"
    text = "\n".join(out.explanation)
    assert "mandatory program P2" in text and "short by 500 億円" in text
    assert [(b.rule, b.excess_oku_yen) for b in out.record.breaches] == [("gdp_cap", 500)]
    assert out.run_dir is not None and (out.run_dir / "explanation.txt").is_file()
    assert not (out.run_dir / VARIANCE_CSV).exists()


def test_a_changed_cap_is_its_own_reason(approved: Path, tmp_path: Path) -> None:
    """Actuals as approved, the cap raised to 3 % (3,000 億円 a year): every re-planned cell
    that moves is moved by the cap, none by the actuals; the steps say so."""
    from fractions import Fraction

    planned = schedule(approved)
    actuals = write_actuals(tmp_path / "a.csv", {c: a for c, a in planned.items() if c[1] < 2027})
    out = replan(
        approved, actuals, 2027, overrides=Overrides(cap=Fraction(3, 100)), out=tmp_path / "re"
    )
    assert out.run_dir is not None and out.verification is not None and out.verification.ok
    assert [s.reasons for s in out.record.steps] == [("actuals",), ("caps",)]
    assert out.record.steps[0].moved_oku_yen == 0  # the actuals alone move nothing
    got = schedule(out.run_dir)
    assert got["P2", 2027] + got["P1", 2027] == 3000  # the new cap is used in full
    v = read_run_csv(out.run_dir / VARIANCE_CSV)
    moved = v[(v.scope == "program") & (v.change_oku_yen != 0)]
    assert len(moved) and set(moved.reasons) == {"caps"}
    assert set(moved.reason_en) == {"changed caps"} and set(moved.reason_ja) == {"上限の変更"}
    assert (
        json.loads((out.run_dir / PLAN_JSON).read_text(encoding="utf-8"))["options"]["cap"]
        == "3/100"
    )


def test_persistence_moves_no_more_than_brute_force_says(tmp_path: Path) -> None:
    # Ranks 1 (P1) and 2 (P2, Q2: the same rank, so many schedules tie); GDP 1,000 億円 a year,
    # cap 2 % = 20 a year. FY2026 executed: P1 over by 2, Q2 under by 3. Every re-plan of
    # FY2027-28 with the best rank values is enumerated here, and the fewest 億円 any of them
    # moves against the approved run is what the re-plan must move.
    import itertools

    folder = write_plan(
        tmp_path / "plan",
        [
            program("P1", 0, 30, first=2026, last=2028, rank=1, max_per_year_oku_yen=10),
            program("P2", 0, 60, first=2026, last=2028, rank=2),
            program("Q2", 0, 60, first=2026, last=2028, rank=2),
        ],
        years=3,
        ranks=2,
        gdp=1000,
    )
    run = allocate(folder, Overrides(), out=tmp_path / "approved", lang="en").run_dir
    assert run is not None
    approved = schedule(run)
    fy26 = {p: approved.get((p, 2026), 0) for p in ("P1", "P2", "Q2")}
    executed = {"P1": fy26["P1"] + 2, "P2": fy26["P2"], "Q2": max(fy26["Q2"] - 3, 0)}
    actuals = write_actuals(
        tmp_path / "actuals.csv", {(p, 2026): a for p, a in executed.items() if a}
    )
    out = replan(run, actuals, 2027, out=tmp_path / "replan", lang="en")
    assert out.verification is not None and out.verification.ok
    years = (2027, 2028)
    per_year = [
        (a, b, c) for a in range(11) for b in range(21) for c in range(21) if a + b + c <= 20
    ]
    best: tuple[int, int] | None = None
    fewest = None
    for y1, y2 in itertools.product(per_year, repeat=2):
        p1 = executed["P1"] + y1[0] + y2[0]
        p2 = executed["P2"] + y1[1] + y2[1]
        q2 = executed["Q2"] + y1[2] + y2[2]
        if p1 > 30 or p2 > 60 or q2 > 60:
            continue
        values = (p1, p2 + q2)
        moved = sum(
            abs(cell - approved.get((p, y), 0))
            for cells, y in ((y1, years[0]), (y2, years[1]))
            for p, cell in zip(("P1", "P2", "Q2"), cells, strict=True)
        )
        if best is None or values > best:
            best, fewest = values, moved
        elif values == best and fewest is not None:
            fewest = min(fewest, moved)
    got = schedule(out.run_dir)
    assert (
        sum(got.get(("P1", y), 0) for y in (2026, *years)),
        sum(got.get((p, y), 0) for p in ("P2", "Q2") for y in (2026, *years)),
    ) == best
    assert out.record.moved_oku_yen == fewest
