"""Indicator trajectories recomputed by hand from schedule.csv, and the annual-cycle commands
run as a user would (typer's CliRunner, real solves, real files): allocate replan, allocate
evaluate, bad actuals refused with exit code 3 and nothing written."""

from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from planbuilder import indicator_toml, program, write_actuals, write_plan
from typer.testing import CliRunner

from allocator.api import allocate
from allocator.cli.app import app
from allocator.constants import INDICATORS_CSV, SCHEDULE_CSV
from allocator.plan.loading import Overrides

runner = CliRunner()


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def ship_plan(folder: Path) -> Path:
    """FY2026–2028, 2,000 億円 a year. S1 (rank 1) buys ships of 500 億円, at most 1,000 a
    year, 1,500 in all; a ship paid in t is commissioned in t + 2. R1 (rank 2) takes the rest and
    lowers 'hours to detect' by 1 per 100 億円 in the same year (a flow, down, from 48)."""
    return write_plan(
        folder,
        [
            program(
                "S1",
                0,
                1500,
                first=2026,
                last=2028,
                rank=1,
                unit_cost_oku_yen=500,
                max_per_year_oku_yen=1000,
            ),
            program("R1", 0, 6000, first=2026, last=2028, rank=2),
        ],
        years=3,
        ranks=2,
        extra_toml=indicator_toml("ships", targets=[(2029, 3, False)])
        + indicator_toml("hours", kind="flow", direction="down", start=48),
        outputs=[
            {
                "program_id": "S1",
                "indicator": "ships",
                "per_unit": 1,
                "lag_years": 2,
                "source": "test",
            },
            {"program_id": "R1", "indicator": "hours", "per_oku_yen": "1/100", "source": "test"},
        ],
    )


def test_indicator_trajectories_recomputed_by_hand_from_the_schedule(tmp_path: Path) -> None:
    run = allocate(ship_plan(tmp_path / "plan"), Overrides(), out=tmp_path / "run").run_dir
    assert run is not None
    sched = rows_of(run / SCHEDULE_CSV)
    paid = {(r["program_id"], int(r["fiscal_year"])): int(r["amount_oku_yen"]) for r in sched}
    units = {
        (r["program_id"], int(r["fiscal_year"])): int(r["units"])
        for r in sched
        if r["units"] not in ("", None)
    }
    # by hand, from the schedule alone
    ships: dict[int, Fraction] = {}
    level = Fraction(0)
    for y in range(2026, 2031):
        level += units.get(("S1", y - 2), 0)
        ships[y] = level
    hours = {y: Fraction(48) - Fraction(paid.get(("R1", y), 0), 100) for y in range(2026, 2029)}
    assert ships[2030] == 3  # S1's 1,500 億円 is three ships, all commissioned by FY2030
    table = rows_of(run / INDICATORS_CSV)
    got = {(r["indicator"], int(r["fiscal_year"])): r for r in table}
    assert {k for k in got if k[0] == "ships"} == {("ships", y) for y in range(2026, 2031)}
    assert {k for k in got if k[0] == "hours"} == {("hours", y) for y in range(2026, 2029)}
    for y, want in ships.items():
        assert Fraction(got["ships", y]["level"]) == want, y
        assert got["ships", y]["in_horizon"] == ("yes" if y <= 2028 else "no")
    for y, want in hours.items():
        assert Fraction(got["hours", y]["level"]).limit_denominator(10**6) == want, y
    target = got["ships", 2029]
    assert target["target"] == "3" and target["target_rule"] == "no"
    assert target["target_met"] == ("yes" if ships[2029] >= 3 else "no")
    assert (run / "charts" / "indicators.png").stat().st_size > 0
    assert "## 予算で得られるもの(指標)" in (run / "report.md").read_text(encoding="utf-8")


@pytest.fixture
def approved(tmp_path: Path) -> Path:
    run = allocate(ship_plan(tmp_path / "plan"), Overrides(), out=tmp_path / "approved").run_dir
    assert run is not None
    return run


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_replan_and_evaluate_commands(approved: Path, tmp_path: Path) -> None:
    plan = {(r["program_id"], int(r["fiscal_year"])): int(r["amount_oku_yen"])
            for r in rows_of(approved / SCHEDULE_CSV)}  # fmt: skip
    executed = {c: a for c, a in plan.items() if c[1] == 2026}
    executed["R1", 2026] = executed.get(("R1", 2026), 0) - 300  # an underrun
    actuals = write_actuals(tmp_path / "actuals.csv", executed)
    code, out = invoke("replan", str(approved), "--actuals", str(actuals), "--from", "2027",
                       "--out", str(tmp_path / "replan"), "--lang", "en")  # fmt: skip
    assert code == 0, out
    assert "underrun" in out and "what gives (in priority order):" in out
    assert (tmp_path / "replan" / "variance.csv").is_file()
    code, out = invoke("verify", str(tmp_path / "replan"))
    assert code == 0, out

    code, out = invoke("evaluate", str(approved), "--actuals", str(actuals),
                       "--out", str(tmp_path / "eval"), "--lang", "en")  # fmt: skip
    assert code == 0, out
    report = (tmp_path / "eval" / "report.md").read_text(encoding="utf-8")
    for heading in (
        "annual evaluation to FY2026",
        "## Execution rate by area",
        "## Execution rate by rank",
        "## Indicators against their targets",
        "## Programs behind plan",
        "## The re-plan's headline changes",
    ):
        assert heading in report, heading
    assert "| R1 | 2 |" in report  # behind plan by the underrun
    assert len(report.splitlines()) < 80  # one page
    wb = openpyxl.load_workbook(tmp_path / "eval" / "report.xlsx")
    assert wb.sheetnames[0] == "Evaluation"
    assert "Variance" in wb.sheetnames
    code, out = invoke("verify", str(tmp_path / "eval"))
    assert code == 0, out


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("2026,S9,100\n", "row 2, column program_id: unknown program 'S9' — did you mean S1?"),
        ("2028,S1,100\n", "row 2, column fiscal_year"),
        ("2026,S1,-1\n", "row 2, column executed_oku_yen"),
        ("2026,R1,1\n2026,R1,2\n", "row 3, column program_id"),
        ("2026,S1,1.5\n", "row 2, column executed_oku_yen"),
    ],
)
def test_bad_actuals_exit_3_and_write_nothing(
    approved: Path, tmp_path: Path, rows: str, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("fiscal_year,program_id,executed_oku_yen\n" + rows, encoding="utf-8")
    code, out = invoke("replan", str(approved), "--actuals", str(bad), "--from", "2027",
                       "--out", str(tmp_path / "x"))  # fmt: skip
    assert code == 3, out
    assert str(bad) in out and message.split(":")[0] in out
    assert len(out.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_replan_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    actuals = write_actuals(tmp_path / "a.csv", {("S1", 2026): 1})
    code, out = invoke("replan", str(tmp_path), "--actuals", str(actuals), "--from", "2027")
    assert code == 2 and "not a run folder" in out
    code, out = invoke("replan", str(tmp_path), "--actuals", str(actuals), "--from", "20x7")
    assert code == 2 and "--from" in out


def test_an_indicator_target_that_is_a_rule_by_hand(tmp_path: Path) -> None:
    """Cap 2,000 a year, FY2026–2028. R1 (rank 1) could take all 6,000; S1 (rank 2) buys ships
    of 500 億円, commissioned the year paid. 'At least 2 ships by FY2028' as a rule makes S1
    buy 2 (1,000 億円), so rank 1 gets 5,000 — by hand."""
    plan = write_plan(
        tmp_path / "plan",
        [
            program("R1", 0, 6000, first=2026, last=2028, rank=1),
            program("S1", 0, 1500, first=2026, last=2028, rank=2, unit_cost_oku_yen=500),
        ],
        years=3,
        ranks=2,
        extra_toml=indicator_toml("ships", targets=[(2028, 2, True)]),
        outputs=[{"program_id": "S1", "indicator": "ships", "per_unit": 1, "source": "test"}],
    )
    outcome = allocate(plan, Overrides(), out=tmp_path / "run")
    assert outcome.verification is not None and outcome.verification.ok
    assert outcome.result.rank_values()[1] == 5000
    total = sum(a for (p, _), a in _amounts(outcome.run_dir).items() if p == "S1")
    assert total == 1000
    got = {
        (r["indicator"], int(r["fiscal_year"])): r
        for r in rows_of(tmp_path / "run" / INDICATORS_CSV)
    }
    assert got["ships", 2028]["level"] == "2" and got["ships", 2028]["target_met"] == "yes"


def test_a_rank_valued_by_an_indicator_by_hand(tmp_path: Path) -> None:
    """Rank 1 is valued by ships commissioned by FY2028, not 億円: S1's ships (500 億円, the
    year paid) count, S2's (400 億円, three years later) do not. Cap 2,000 a year: rank 1 buys
    S1's 3 ships (its high, 1,500), and the value recorded is 3."""
    plan = write_plan(
        tmp_path / "plan",
        [
            program("S1", 0, 1500, first=2026, last=2028, rank=1, unit_cost_oku_yen=500),
            program("S2", 0, 1200, first=2026, last=2028, rank=1, unit_cost_oku_yen=400),
        ],
        years=3,
        ranks=1,
        extra_toml=indicator_toml("ships"),
        outputs=[
            {"program_id": "S1", "indicator": "ships", "per_unit": 1, "source": "test"},
            {
                "program_id": "S2",
                "indicator": "ships",
                "per_unit": 1,
                "lag_years": 3,
                "source": "test",
            },
        ],
    )
    toml = plan / "plan.toml"
    text = toml.read_text(encoding="utf-8-sig")
    assert 'name_en = "Rank 1"\n' in text
    toml.write_text(
        text.replace(
            'name_en = "Rank 1"\n',
            'name_en = "Rank 1"\nindicator = "ships"\nindicator_year = 2028\n',
        ),
        encoding="utf-8",
    )
    outcome = allocate(plan, Overrides(), out=tmp_path / "run")
    assert outcome.verification is not None and outcome.verification.ok
    amounts = _amounts(outcome.run_dir)
    assert sum(a for (p, _), a in amounts.items() if p == "S1") == 1500
    record = (tmp_path / "run" / "plan.json").read_text(encoding="utf-8")
    assert json.loads(record)["objective_per_rank"]["1"] == 3


def _amounts(run: Path | None) -> dict[tuple[str, int], int]:
    assert run is not None
    return {
        (r["program_id"], int(r["fiscal_year"])): int(r["amount_oku_yen"])
        for r in rows_of(run / SCHEDULE_CSV)
    }
