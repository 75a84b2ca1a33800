"""Contracts through the rest of the tool: bad input refused (exit 3, nothing written),
tampered run folders caught by ``allocate verify``, ``compare`` showing contract and payment
differences, ``sweep`` and ``min-cap`` on a contract plan, plans without contracts unchanged,
and byte-identical outputs."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import PLAIN
from planbuilder import program, write_plan
from test_contracts import hand_plan, read_rows, vehicle_plan
from typer.testing import CliRunner

from allocator.api import allocate, compare
from allocator.cli.app import app
from allocator.cli.exits import EXIT_INFEASIBLE, EXIT_OK, EXIT_VERIFY_FAILED
from allocator.cli.exits import EXIT_INVALID_PLAN as EXIT_PLAN
from allocator.constants import FAMILIES
from allocator.optim.analysis import min_cap, sweep
from allocator.optim.model import build_model
from allocator.optim.solve import solve_lexicographic
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides, load_plan
from allocator.run.verify import verify_run

runner = CliRunner()

CONTRACT_FAMILIES = {
    "payment_rounding",
    "contract_window",
    "new_contract_cap",
    "outstanding_cap",
    "vehicle_split",
    "vehicle_cap",
    "fund_balance",
}


# ---------------------------------------------------------------------------------------------
# bad input: one line naming file, row and column, exit 3, nothing written


def _edit_program(folder: Path, pid: str, **cells: str) -> None:
    path = folder / "programs.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["program_id"] == pid:
            r.update(cells)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        ({"contract_pattern": "40%;30%;20%"}, "row 2, column contract_pattern: the shares add up "
         "to 90%, not 100% — make the shares add up to exactly 100%"),
        ({"contract_pattern": "60%;-10%;50%"}, "row 2, column contract_pattern: share 2 (-10%) is "
         "negative"),
        ({"contract_pattern": "10%;10%;10%;10%;10%;50%"}, "row 2, column contract_pattern: S1: "
         "the pattern runs 6 years, longer than the general limit of 5 fiscal years"),
        ({"contract_pattern": ";".join(["5%"] * 20)}, "longer than the general limit"),
        ({"vehicles": "reserve"}, "row 2, column vehicles: S1: vehicle 'reserve' does not exist"),
        ({"long_term_contract": "yes", "contract_pattern": ""}, "row 2, column "
         "long_term_contract: S1: long_term_contract = yes but no contract_pattern"),
        ({"basis": "cash"}, "row 2, column basis: 'cash' is not a basis"),
    ],
)  # fmt: skip
def test_bad_contract_cells_are_refused(tmp_path: Path, cells: dict[str, str], words: str) -> None:
    folder = hand_plan(tmp_path / "plan")
    _edit_program(folder, "S1", **cells)
    out = tmp_path / "run"
    result = runner.invoke(app, ["--plan", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_PLAN, result.output
    assert words in result.output
    assert "programs.csv" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_long_term_contracts_may_run_ten_years(tmp_path: Path) -> None:
    folder = hand_plan(tmp_path / "plan")
    _edit_program(folder, "S1", contract_pattern=";".join(["10%"] * 10), long_term_contract="yes")
    assert load_plan(folder).program("S1").long_term_contract


def _with_obligations(folder: Path, rows: str, toml: str = "") -> Path:
    (folder / "obligations.csv").write_text(
        "fiscal_year,oku_yen,contract_year,vehicle,source\n" + rows, encoding="utf-8"
    )
    path = folder / "plan.toml"
    text = path.read_text(encoding="utf-8")
    settings = f'obligations = "obligations.csv"\n{toml}'
    if "[contracts]\n" in text:
        text = text.replace("[contracts]\n", "[contracts]\n" + settings, 1)
    else:
        text += "\n[contracts]\n" + settings
    path.write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("rows", "toml", "words"),
    [
        ("2025,100,2024,,test\n", "", "obligations.csv, row 2, column fiscal_year: 2025年度 is "
         "before the horizon"),
        ("2027,100,2027,,test\n", "", "obligations.csv, row 2, column contract_year: contract year "
         "2027 is not before the horizon"),
        ("2027,100,2024,reserve,test\n", "", "obligations.csv, row 2, column vehicle: vehicle "
         "'reserve' does not exist"),
        ("2026,100,2024,fund,test\n2027,350,2024,fund,test\n", "", "obligations.csv, row 3, column "
         "vehicle: fund fund is drawn below zero in 2027年度 (-50 億円)"),
        ("2027,-5,2024,,test\n", "", "obligations.csv, row 2, column oku_yen: -5 is below 0"),
        ("2026,2000,2024,,test\n", "baseline_includes_obligations = true\n", "plan.toml, column "
         "contracts.baseline_includes_obligations: 2026年度: the obligations due (2,000 億円) "
         "exceed the baseline"),
    ],
)  # fmt: skip
def test_bad_obligations_are_refused(tmp_path: Path, rows: str, toml: str, words: str) -> None:
    folder = _with_obligations(vehicle_plan(tmp_path / "plan"), rows, toml)
    out = tmp_path / "run"
    result = runner.invoke(app, ["--plan", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_PLAN, result.output
    assert words in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_a_fund_whose_inflows_go_negative_is_refused(tmp_path: Path) -> None:
    folder = vehicle_plan(tmp_path / "plan", opening=50)
    path = folder / "plan.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2027 = 100", "2027 = -100"), encoding="utf-8"
    )
    result = runner.invoke(app, ["--plan", str(folder), "--out", str(tmp_path / "run")])
    assert result.exit_code == EXIT_PLAN
    assert "fund fund: its balance falls to -50 億円 in 2027年度" in result.output
    assert "column vehicles.fund.inflow_oku_yen" in result.output
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------------------------------------
# the verifier recomputes the ledger from the files


@pytest.fixture(scope="module")
def contract_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("contract-run")
    folder = _with_obligations(
        hand_plan(root / "plan"),
        "2026,100,2025,,test\n2027,50,2025,,test\n2031,20,2025,,test\n",
    )
    out = root / "run"
    outcome = allocate(folder, Overrides(), out=out)
    assert outcome.verification is not None and outcome.verification.ok
    return out


def _tampered(src: Path, dest: Path, name: str, edit: dict[tuple[str, str], str]) -> Path:
    """A copy of the run ``src`` with cells of ``name`` changed: {(key cell, column): value},
    the key being the row's program_id and fiscal year joined by ':' (or the year alone)."""
    shutil.copytree(src, dest)
    path = dest / name
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        key = f"{r.get('program_id', '')}:{r['fiscal_year']}".lstrip(":")
        for (k, col), value in edit.items():
            if k == key:
                r[col] = value
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return dest


def test_a_changed_contract_is_caught(contract_run: Path, tmp_path: Path) -> None:
    run = _tampered(
        contract_run, tmp_path / "t", "schedule.csv", {("S1:2026", "contract_oku_yen"): "1000"}
    )
    report = verify_run(run)
    rules = {v.rule for v in report.violations}
    assert "contract_payments" in rules and "obligations_ledger" in rules
    assert "new_contract_cap" in rules  # 1,000 > the ceiling of 900
    msg = next(v.message for v in report.violations if v.rule == "contract_payments")
    assert msg.startswith("2026年度: S1 pays 360 億円 but its contracts owe 400")


def test_a_changed_payment_is_caught(contract_run: Path, tmp_path: Path) -> None:
    run = _tampered(
        contract_run,
        tmp_path / "t",
        "schedule.csv",
        {("S1:2027", "amount_oku_yen"): "631", ("S1:2027", "payment_oku_yen"): "631"},
    )
    report = verify_run(run)
    hit = [v for v in report.violations if v.rule == "contract_payments"]
    assert [(v.subject, v.fiscal_year, v.excess_oku_yen) for v in hit] == [("S1", 2027, 1)]


def test_a_changed_ledger_is_caught(contract_run: Path, tmp_path: Path) -> None:
    run = _tampered(
        contract_run, tmp_path / "t", "obligations.csv", {("2031", "outstanding_end_oku_yen"): "7"}
    )
    report = verify_run(run)
    # the seal's digest of the file fails too (issue 8); the ledger rule says what is wrong
    assert {v.rule for v in report.violations} == {"obligations_ledger", "digest"}
    ledger = [v for v in report.violations if v.rule == "obligations_ledger"]
    assert ledger[0].message.startswith("2031年度: obligations.csv outstanding_end")


def test_a_deleted_ledger_is_caught(contract_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "t"
    shutil.copytree(contract_run, run)
    (run / "obligations.csv").unlink()
    report = verify_run(run)
    assert [v.message for v in report.violations] == [
        "obligations.csv is missing (plan.json lists it as written by the run)",
        "obligations.csv is missing from the run folder",
    ]


def test_cli_verify_on_a_contract_run(contract_run: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(contract_run)])
    assert result.exit_code == EXIT_OK
    for rule in ("contract_payments", "new_contract_cap", "obligations_ledger"):
        assert rule in result.output
    run = _tampered(
        contract_run, tmp_path / "t", "schedule.csv", {("S2:2029", "contract_oku_yen"): "150"}
    )
    result = runner.invoke(app, ["verify", str(run)])
    assert result.exit_code == EXIT_VERIFY_FAILED
    assert "VIOLATION contract_payments" in result.output


def test_vehicle_tampering_is_caught(tmp_path: Path) -> None:
    out = tmp_path / "run"
    allocate(vehicle_plan(tmp_path / "plan"), Overrides(), out=out)
    assert verify_run(out).ok
    # move FY2026 money of URG from the supplementary budget to the initial budget (closed)
    run = _tampered(
        out,
        tmp_path / "t",
        "schedule.csv",
        {
            ("URG:2026", "paid_supplementary_oku_yen"): "0",
            ("URG:2026", "paid_initial_oku_yen"): "200",
        },
    )
    rules = {v.rule for v in verify_run(run).violations}
    assert "vehicle_split" in rules  # the initial budget may not pay URG
    assert "vehicle_cap" in rules  # and pays nothing in FY2026
    assert "plan_json_mismatch" in rules
    # draw the fund above its balance
    run = _tampered(out, tmp_path / "f", "schedule.csv", {("URG:2027", "paid_fund_oku_yen"): "900"})
    rules = {v.rule for v in verify_run(run).violations}
    assert "fund_balance" in rules and "vehicle_split" in rules


# ---------------------------------------------------------------------------------------------
# compare, sweep and min-cap


def test_compare_shows_contract_and_payment_differences(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    allocate(hand_plan(tmp_path / "pa", ceiling=900), Overrides(), out=a)
    allocate(hand_plan(tmp_path / "pb", ceiling=700), Overrides(), out=b)
    outcome = compare([a, b], out=tmp_path / "cmp")
    cmp = outcome.comparison
    row = cmp.row("contract", "2026", "new_contracts_oku_yen")
    assert row.values == (900, 700) and row.diffs == (-200,)
    total = cmp.row("contract", "total", "owed_past_horizon_oku_yen")
    assert total.values[0] == 420
    assert cmp.row("program", "S1", "contract_total_oku_yen").values == (1800, 1400)
    assert cmp.row("input", "contracts", "max_new_per_year_oku_yen").values == (900, 700)
    table = read_rows(tmp_path / "cmp" / "compare.csv")
    assert any(r["section"] == "contract" for r in table)
    result = runner.invoke(app, ["compare", str(a), str(b), "--out", str(tmp_path / "cmp2")])
    assert result.exit_code == EXIT_OK
    assert "contracts and payments / 契約ベースと歳出ベース" in result.output
    assert "B Δcontr." in result.output


def test_sweep_and_min_cap_work_on_a_contract_plan(tmp_path: Path) -> None:
    plan = load_plan(hand_plan(tmp_path / "plan", ceiling=None))
    caps = [parse_cap(c) for c in ("1.5%", "2%", "3%")]
    result = sweep(plan, caps)
    # 1.5 %: 500 a year; S1's first-year payments (40 %) and its second year (30 % + 40 %)
    values = [p.rank_values for p in result.points]
    assert all(p.status == "optimal" for p in result.points)
    assert values[1][1] == 2000 and values[2][1] == 2000
    for cap, point in zip(caps, result.points, strict=True):
        fresh = solve_lexicographic(build_model(plan.with_cap(cap)), time_limit=60, gap=0.0)
        assert fresh.rank_values() == point.rank_values
    found = min_cap(plan, [1])
    assert found.status == "found" and found.verified and found.uniform is not None
    assert found.targets == {1: 2000}
    # the path's years pay at least the committed spending (baseline) and within 99 % of GDP
    assert all(1000 <= y.defense_total_oku_yen <= 99_000 for y in found.path)


# ---------------------------------------------------------------------------------------------
# plans without contracts are unchanged


def test_a_plan_without_contracts_has_no_contract_rows_or_variables() -> None:
    m = build_model(load_plan(PLAIN))
    assert not {family for family, _ in m.rows.values()} & CONTRACT_FAMILIES
    names = {v.name for v in m.prob.variables()}
    assert not any(n.startswith(("pay[", "lots[", "rest[", "paid[", "contract[")) for n in names)
    assert m.vehicle_order is None and ("priority_hold", ("earliness",)) not in m.constraints
    assert set(FAMILIES) >= CONTRACT_FAMILIES


def test_a_one_year_pattern_is_the_plain_program(tmp_path: Path) -> None:
    rows = [
        program("P1", 100, 900, first=2026, last=2027),
        program("P2", 0, 800, first=2026, last=2027, rank=2, max_per_year_oku_yen=500),
    ]
    plain = solve_lexicographic(
        build_model(load_plan(write_plan(tmp_path / "a", rows, years=2, ranks=2))),
        time_limit=60, gap=0.0,
    )  # fmt: skip
    for r in rows:
        r["contract_pattern"] = "100%"
    contract = solve_lexicographic(
        build_model(load_plan(write_plan(tmp_path / "b", rows, years=2, ranks=2))),
        time_limit=60, gap=0.0,
    )  # fmt: skip
    assert contract.rank_values() == plain.rank_values()
    cols = ["program_id", "fiscal_year", "amount_oku_yen"]
    assert contract.schedule[cols].equals(plain.schedule[cols])


def test_same_contract_plan_gives_byte_identical_files(tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        out = tmp_path / name
        allocate(vehicle_plan(tmp_path / f"plan-{name}"), Overrides(), out=out)
        digests.append(
            {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.csv"))}
        )
    assert digests[0] == digests[1]
    assert "obligations.csv" in digests[0]


def test_an_infeasible_contract_ceiling_is_explained(tmp_path: Path) -> None:
    # S1 must contract 2,000 in FY2026–27 but only 900 a year may be contracted
    folder = hand_plan(tmp_path / "plan", ceiling=900)
    _edit_program(folder, "S1", low_oku_yen="2000", mandatory="yes")
    result = runner.invoke(
        app, ["--plan", str(folder), "--out", str(tmp_path / "run"), "--lang", "en"]
    )
    assert result.exit_code == EXIT_INFEASIBLE, result.output
    assert "the ceiling on new contracts in 202" in result.output
    assert "is short by 200 億円" in result.output  # 2,000 − 2 × 900
    assert "drop the mandatory flag on S1" in result.output
    assert "Traceback" not in result.output
