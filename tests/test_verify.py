"""Tests of the independent verifier: real runs verify, tampered runs are caught exactly."""

from __future__ import annotations

import ast
import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PLAIN

from allocator.optim.model import build_model
from allocator.optim.solve import solve_lexicographic
from allocator.plan.cap import parse_cap
from allocator.plan.loading import PROGRAM_COLUMNS, Overrides, load_plan
from allocator.run.record import RunOptions
from allocator.run.verify import (
    RULES,
    VerifyReport,
    Violation,
    exact_cap,
    fiscal_ceiling,
    verify_run,
)
from allocator.run.writer import write_run

DATA = PLAIN  # the shipped plan without its contract data (tests/plainplan.py): fast, and the
# figures below were worked out on it; contract runs are tampered in tests/test_contracts_io.py
VERIFY_SOURCE = Path(__file__).parents[1] / "allocator" / "run" / "verify"


def make_run(plan_dir: Path, out: Path, cap: str = "2%") -> Path:
    plan = load_plan(plan_dir, Overrides(cap=parse_cap(cap)))
    r = solve_lexicographic(build_model(plan), time_limit=60, gap=0)
    return write_run(plan, r, out, options=RunOptions(cap=cap))


# ---------------------------------------------------------------------------------------------
# editing run folders


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)


def edit_csv(path: Path, fn: Callable[[list[dict[str, str]]], list[dict[str, str]] | None]) -> None:
    header, rows = read_rows(path)
    new = fn(rows)
    write_rows(path, header, rows if new is None else new)


def schedule(run: Path) -> dict[tuple[str, int], int]:
    _, rows = read_rows(run / "schedule.csv")
    return {(r["program_id"], int(r["fiscal_year"])): int(r["amount_oku_yen"]) for r in rows}


def set_amount(run: Path, pid: str, year: int, amount: int, *, units: str | None = None) -> None:
    def fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["program_id"] == pid and int(r["fiscal_year"]) == year:
                r["amount_oku_yen"] = str(amount)
                if units is not None:
                    r["units"] = units
                return
        raise AssertionError(f"no schedule row {pid} {year}")

    edit_csv(run / "schedule.csv", fn)


def add_row(run: Path, pid: str, year: int, amount: int) -> None:
    def fn(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        like = next(r for r in rows if r["program_id"] == pid)
        return [*rows, {**like, "fiscal_year": str(year), "amount_oku_yen": str(amount)}]

    edit_csv(run / "schedule.csv", fn)


def drop_rows(run: Path, pid: str, year: int | None = None) -> None:
    edit_csv(
        run / "schedule.csv",
        lambda rows: [
            r
            for r in rows
            if not (r["program_id"] == pid and (year is None or int(r["fiscal_year"]) == year))
        ],
    )


def edit_json(run: Path, fn: Callable[[dict[str, Any]], None]) -> None:
    path = run / "plan.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    fn(record)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


def find(report: VerifyReport, rule: str, subject: str | None = None) -> list[Violation]:
    return [
        v for v in report.violations if v.rule == rule and (subject is None or v.subject == subject)
    ]


def only(report: VerifyReport, rule: str, subject: str, year: int | None = None) -> Violation:
    hits = [v for v in find(report, rule, subject) if year is None or v.fiscal_year == year]
    assert len(hits) == 1, (rule, subject, year, report.violations)
    return hits[0]


def copy_run(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "run"
    shutil.copytree(src, dst)
    return dst


def assert_ok(report: VerifyReport) -> None:
    assert report.violations == (), "\n".join(v.message for v in report.violations)
    assert report.ok


# ---------------------------------------------------------------------------------------------
# small plan folders


BASE_TOML = """\
[plan]
name = "mini"
first_year = 2026
years = 5
gdp_case = "base"
source = "test"

[cap]
ratio = "2%"
base = "{cap_base}"
base_year = 2025

[baseline]
oku_yen = {baseline}

[fiscal]
{fiscal}

[[ranks]]
rank = 1
name_ja = "一"
name_en = "One"
areas = ["A"]

[[ranks]]
rank = 2
name_ja = "二"
name_en = "Two"
areas = ["B"]

[[areas]]
id = "A"
name_ja = "甲"
name_en = "Alpha"
counts_toward_defense = true

[[areas]]
id = "B"
name_ja = "乙"
name_en = "Beta"
counts_toward_defense = false

[[phases]]
id = "p"
name_ja = "期"
name_en = "Phase"
first_year = 2026
last_year = 2030
{extra}
"""


def write_plan(
    folder: Path,
    programs: list[dict[str, object]],
    *,
    fiscal: str = "",
    extra: str = "",
    baseline: int = 10000,
    cap_base: str = "each_year",
) -> Path:
    """A five-year plan (2026–2030), GDP 1,000,000 億円 a year (500,000 in 2025)."""
    folder.mkdir(parents=True)
    (folder / "plan.toml").write_text(
        BASE_TOML.format(fiscal=fiscal, extra=extra, baseline=baseline, cap_base=cap_base),
        encoding="utf-8",
    )
    with (folder / "programs.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=PROGRAM_COLUMNS)
        w.writeheader()
        for p in programs:
            row: dict[str, object] = {
                "name_ja": "事業",
                "name_en": "Program",
                "area": "A",
                "phase": "p",
                "rank": 1,
                "window_first_year": 2026,
                "window_last_year": 2030,
                "low_oku_yen": 0,
                "source": "test",
            }
            row.update(p)
            w.writerow(row)
    with (folder / "gdp.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["fiscal_year", "gdp_case", "gdp_oku_yen", "source"])
        for y in range(2025, 2031):
            w.writerow([y, "base", 500000 if y == 2025 else 1000000, "assumption: test"])
    return folder


# ---------------------------------------------------------------------------------------------
# fixtures: each plan is solved once per module, each test tampers with its own copy


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("runs")
    plans = base / "plans"
    out: dict[str, Path] = {}
    out["shipped"] = make_run(DATA, base / "shipped-2pct", "2%")
    out["shipped_1_8"] = make_run(DATA, base / "shipped-1.8pct", "1.8%")
    units_plan = write_plan(
        plans / "units",
        [
            {
                "program_id": "U01",
                "unit_cost_oku_yen": 300,
                "low_oku_yen": 600,
                "high_oku_yen": 1500,
                "window_last_year": 2028,
            },
            {
                "program_id": "R01",
                "max_ramp_oku_yen": 100,
                "max_per_year_oku_yen": 300,
                "high_oku_yen": 600,
                "window_last_year": 2028,
            },
            {
                "program_id": "P01",
                "payment_profile": "2026:100;2027:200",
                "low_oku_yen": "",
                "high_oku_yen": "",
            },
            {
                "program_id": "N01",
                "name_ja": "-負の名",
                "name_en": "=SUM(A1)",
                "area": "B",
                "rank": 2,
                "high_oku_yen": 1000,
            },
        ],
    )
    out["units"] = make_run(units_plan, base / "units")
    prec_plan = write_plan(
        plans / "prec",
        [
            {
                "program_id": "Q01",
                "low_oku_yen": 100,
                "high_oku_yen": 500,
                "max_per_year_oku_yen": 300,
                "window_first_year": 2027,
                "window_last_year": 2028,
            },
            {"program_id": "S01", "predecessor": "Q01", "high_oku_yen": 500},
            {"program_id": "F01", "predecessor": "Q01:finish", "high_oku_yen": 500},
            {
                "program_id": "M01",
                "mandatory": "yes",
                "area": "B",
                "rank": 2,
                "low_oku_yen": 100,
                "high_oku_yen": 200,
            },
        ],
    )
    out["prec"] = make_run(prec_plan, base / "prec")
    fiscal_plan = write_plan(
        plans / "fiscal",
        [{"program_id": "G01", "high_oku_yen": 20000}],
        fiscal="max_new_per_year_oku_yen = 3000\nmax_new_total_oku_yen = 10000\n"
        "max_growth_ratio = 0.5\n[fiscal.per_year_oku_yen]\n2026 = 1000",
    )
    out["fiscal"] = make_run(fiscal_plan, base / "fiscal")
    bounds_extra = """
[[bounds]]
id = "early"
name_ja = "前半"
name_en = "Early years"
first_year = 2026
last_year = 2027
areas = ["A"]
high_oku_yen = 1500
"""
    cap_plan = write_plan(
        plans / "cap",
        [
            {"program_id": "X01", "high_oku_yen": 100000},
            {"program_id": "Y01", "counts_toward_defense": "no", "high_oku_yen": 2000},
            {"program_id": "Z01", "area": "B", "rank": 2, "phase": "multi", "high_oku_yen": 700},
        ],
        baseline=9000,
        cap_base="fixed_year",
        extra=bounds_extra,
    )
    out["cap"] = make_run(cap_plan, base / "cap")
    return out


@pytest.fixture
def shipped(runs: dict[str, Path], tmp_path: Path) -> Path:
    return copy_run(runs["shipped"], tmp_path)


# ---------------------------------------------------------------------------------------------
# untouched runs verify


def test_verify_does_not_share_code_with_the_model() -> None:
    imported: set[str] = set()
    for source in VERIFY_SOURCE.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
    allocator_modules = {m for m in imported if m.startswith("allocator")}
    own = {m for m in allocator_modules if m.startswith("allocator.run.verify")}
    assert allocator_modules - own <= {
        "allocator.constants",
        "allocator.errors",
        "allocator.formatting",
        "allocator.plan.loading",
        "allocator.plan.actuals",  # reading the actuals file, as plan.loading reads the plan
        "allocator.plan.cap",
        "allocator.plan.schema",
        "allocator.run.record",
        "allocator.run.digests",  # the seal's format and the SHA-256 of files: no model code
        "allocator.run.signing",  # HMAC-SHA256: no model code
    }


def test_shipped_plan_at_2pct_verifies(runs: dict[str, Path]) -> None:
    report = verify_run(runs["shipped"])
    assert_ok(report)
    checked = dict(report.checks)
    assert [r for r, _ in report.checks] == list(RULES)
    assert checked["gdp_cap"] == 15
    assert checked["summary_mismatch"] > 15
    assert checked["area_bound"] == 9
    assert checked["aggregate_bound"] == 2
    record = report.to_record()
    assert json.loads(json.dumps(record, ensure_ascii=False)) == record
    assert record["ok"] is True and record["violations"] == []


def test_shipped_plan_at_1_8pct_verifies(runs: dict[str, Path]) -> None:
    run = runs["shipped_1_8"]
    report = verify_run(run)
    assert_ok(report)
    status = json.loads((run / "plan.json").read_text(encoding="utf-8"))["status"]
    if status in ("infeasible", "no_solution"):
        # no schedule written: nothing but plan.json and inputs/ can be checked, and it says so
        assert any(status in n for n in report.notes)
    else:
        assert dict(report.checks)["gdp_cap"] == 15


@pytest.mark.parametrize("name", ["units", "prec", "fiscal", "cap"])
def test_small_plans_verify(runs: dict[str, Path], name: str) -> None:
    report = verify_run(runs[name])
    assert_ok(report)


def test_small_plans_exercise_their_rules(runs: dict[str, Path]) -> None:
    checked = {name: dict(verify_run(runs[name]).checks) for name in ("units", "prec", "fiscal")}
    assert checked["units"]["ramp"] == 3
    assert checked["units"]["payment_profile"] == 1
    assert checked["units"]["year_max"] >= 1
    assert checked["prec"]["precedence"] == 2
    assert checked["prec"]["mandatory"] == 1
    assert checked["fiscal"]["fiscal_growth"] == 4
    assert checked["fiscal"]["fiscal_year_cap"] == 5
    assert checked["fiscal"]["fiscal_total_cap"] == 1


# ---------------------------------------------------------------------------------------------
# tampered shipped run


def test_amount_plus_one_is_caught(shipped: Path) -> None:
    # A01 is funded at its high (area A's high is A01's plus A02's highs, and rank 1 maximises)
    amount = schedule(shipped)[("A01", 2026)]
    set_amount(shipped, "A01", 2026, amount + 1)
    report = verify_run(shipped)
    assert not report.ok
    v = only(report, "program_range", "A01")
    assert v.excess_oku_yen == 1
    assert v.message == "A01: total 20,001 exceeds its high 20,000 by 1 億円"
    assert only(report, "area_bound", "A").excess_oku_yen == 1
    assert only(report, "plan_json_mismatch", "A01", 2026).excess_oku_yen == 1
    assert only(report, "programs_mismatch", "A01").excess_oku_yen == 1
    mismatch = [v for v in find(report, "summary_mismatch") if v.fiscal_year == 2026]
    assert {v.excess_oku_yen for v in mismatch} == {1}


def test_gdp_cap_break_is_caught(shipped: Path) -> None:
    _, summary = read_rows(shipped / "summary.csv")
    year, headroom = min(
        ((int(r["fiscal_year"]), int(r["headroom_oku_yen"])) for r in summary),
        key=lambda x: x[1],
    )
    cap = next(int(r["cap_oku_yen"]) for r in summary if int(r["fiscal_year"]) == year)
    _, rows = read_rows(shipped / "schedule.csv")
    row = next(
        r for r in rows if int(r["fiscal_year"]) == year and r["counts_toward_defense"] == "yes"
    )
    set_amount(shipped, row["program_id"], year, int(row["amount_oku_yen"]) + headroom + 1120)
    report = verify_run(shipped)
    v = only(report, "gdp_cap", "horizon", year)
    assert v.excess_oku_yen == 1120
    assert v.message.startswith(
        f"{year}年度: defence total {cap + 1120:,} exceeds the 2% cap {cap:,} by 1,120 億円"
    )


def test_other_money_does_not_count_toward_the_cap(shipped: Path) -> None:
    _, rows = read_rows(shipped / "schedule.csv")
    row = next(r for r in rows if r["counts_toward_defense"] == "no")
    pid, year = row["program_id"], int(row["fiscal_year"])
    set_amount(shipped, pid, year, int(row["amount_oku_yen"]) + 1)
    report = verify_run(shipped)
    assert not find(report, "gdp_cap")
    assert only(report, "plan_json_mismatch", pid, year).excess_oku_yen == 1


def test_tampered_summary_is_caught(shipped: Path) -> None:
    def fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["fiscal_year"] == "2027":
                r["cap_oku_yen"] = str(int(r["cap_oku_yen"]) + 5)
                r["gdp_ratio"] = "0.030000"

    edit_csv(shipped / "summary.csv", fn)
    report = verify_run(shipped)
    assert {v.rule for v in report.violations} == {"summary_mismatch", "digest"}
    assert only(report, "digest", "summary.csv").message.startswith("summary.csv differs")
    cap = [v for v in report.violations if "cap_oku_yen" in v.message]
    assert len(cap) == 1 and cap[0].fiscal_year == 2027 and cap[0].excess_oku_yen == 5
    assert any("gdp_ratio" in v.message and v.fiscal_year == 2027 for v in report.violations)


def test_missing_summary_year_is_caught(shipped: Path) -> None:
    edit_csv(shipped / "summary.csv", lambda rows: [r for r in rows if r["fiscal_year"] != "2030"])
    report = verify_run(shipped)
    assert [(v.rule, v.subject, v.fiscal_year) for v in report.violations] == [
        ("digest", "summary.csv", None),
        ("summary_mismatch", "summary.csv", 2030),
    ]


def test_deleted_row_is_caught(shipped: Path) -> None:
    amount = schedule(shipped)[("A02", 2027)]
    drop_rows(shipped, "A02", 2027)
    report = verify_run(shipped)
    # A02 is at its high 40,000 and the 2% cap of 2026 leaves it at most 17,327 that year, so
    # without its 2027 row it falls below its low 20,000
    total = 40000 - amount
    assert total < 20000
    assert only(report, "program_range", "A02").excess_oku_yen == 20000 - total
    assert only(report, "plan_json_mismatch", "A02", 2027).message == (
        f"2027年度: A02 is absent in schedule.csv but {amount:,} 億円 in plan.json allocations"
    )
    assert any(v.fiscal_year == 2027 for v in find(report, "summary_mismatch"))
    hits = {v.message.split(" is ")[0]: v.excess_oku_yen for v in find(report, "programs_mismatch")}
    assert hits == {
        "A02: programs.csv total_oku_yen": amount,
        "A02: programs.csv last_funded_year": None,
    }


def test_row_moved_outside_its_window_is_caught(shipped: Path) -> None:
    amount = schedule(shipped)[("A01", 2026)]

    def fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["program_id"] == "A01":
                r["fiscal_year"] = "2029"

    edit_csv(shipped / "schedule.csv", fn)
    report = verify_run(shipped)
    v = only(report, "window", "A01", 2029)
    assert v.excess_oku_yen == amount
    assert v.message == f"2029年度: A01 is paid {amount:,} 億円 outside its window 2026–2026年度"


def test_row_outside_the_horizon_is_caught(shipped: Path) -> None:
    add_row(shipped, "L03", 2041, 5)
    report = verify_run(shipped)
    assert only(report, "window", "L03", 2041).excess_oku_yen == 5


def test_malformed_schedule_rows_are_caught(shipped: Path) -> None:
    def fn(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["name_en"] = "Something else"
        rows[1]["amount_oku_yen"] = "12.5"
        return [*rows, {**rows[2], "program_id": "ZZ9"}, dict(rows[3])]

    edit_csv(shipped / "schedule.csv", fn)
    report = verify_run(shipped)
    messages = [v.message for v in find(report, "schedule_row")]
    assert len(messages) == 4, messages
    assert any("name_en different from the plan" in m for m in messages)
    assert any("'12.5'" in m and "is not a whole number" in m for m in messages)
    assert any("unknown program 'ZZ9'" in m for m in messages)
    assert any("appears twice" in m for m in messages)


def test_tampered_plan_json_allocations_are_caught(shipped: Path) -> None:
    def fn(record: dict[str, Any]) -> None:
        for item in record["allocations"]:
            if item[0] == "A02" and item[1] == 2027:
                item[2] -= 10

    edit_json(shipped, fn)
    report = verify_run(shipped)
    assert [(v.rule, v.subject) for v in report.violations] == [
        ("digest", "plan.json"),
        ("plan_json_mismatch", "A02"),
    ]
    assert "edited after the run" in only(report, "digest", "plan.json").message
    v = only(report, "plan_json_mismatch", "A02", 2027)
    assert v.excess_oku_yen == 10


def test_tampered_plan_json_status_and_funded_are_caught(shipped: Path) -> None:
    def fn(record: dict[str, Any]) -> None:
        record["stages"][1]["status"] = "time_limit"
        record["funded"]["A01"] = False
        record["plan"]["years"] = 14

    edit_json(shipped, fn)
    report = verify_run(shipped)
    messages = [v.message for v in find(report, "plan_json_mismatch")]
    assert len(messages) == 3, messages
    assert any("says optimal but rank 2 has status 'time_limit'" in m for m in messages)
    assert any(m.startswith("A01: plan.json funded is False") for m in messages)
    assert any("plan.years is 14" in m for m in messages)


def test_funded_flag_flipped_is_caught(shipped: Path) -> None:
    def fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["program_id"] == "A01":
                r["funded"] = "no"

    edit_csv(shipped / "programs.csv", fn)
    report = verify_run(shipped)
    assert only(report, "funded", "A01").excess_oku_yen == schedule(shipped)[("A01", 2026)]
    assert only(report, "plan_json_mismatch", "A01").fiscal_year is None


def test_tampered_programs_csv_is_caught(shipped: Path) -> None:
    def fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["program_id"] == "A02":
                r["first_funded_year"] = "2027"
                r["high_oku_yen"] = "45000"

    edit_csv(shipped / "programs.csv", fn)
    report = verify_run(shipped)
    hits = find(report, "programs_mismatch", "A02")
    assert {h.message.split(" is ")[0] for h in hits} == {
        "A02: programs.csv first_funded_year",
        "A02: programs.csv high_oku_yen",
    }
    assert [h.excess_oku_yen for h in hits if "high" in h.message] == [5000]


def test_changed_inputs_are_caught(shipped: Path) -> None:
    path = shipped / "inputs" / "gdp.csv"
    path.write_bytes(path.read_bytes().replace(b"6444000", b"6444100"))
    report = verify_run(shipped)
    assert only(report, "file", "gdp.csv").message.startswith("inputs/gdp.csv differs")
    assert any("input_hash" in v.message for v in find(report, "plan_json_mismatch"))
    assert any(v.fiscal_year == 2027 for v in find(report, "summary_mismatch"))


# ---------------------------------------------------------------------------------------------
# missing and broken files


@pytest.mark.parametrize("name", ["schedule.csv", "summary.csv", "programs.csv"])
def test_missing_csv_is_a_file_violation(shipped: Path, name: str) -> None:
    (shipped / name).unlink()
    report = verify_run(shipped)
    assert not report.ok
    v = only(report, "file", name)
    assert v.message == f"{name} is missing from the run folder"
    if name == "schedule.csv":
        assert report.notes


def test_missing_plan_json(shipped: Path) -> None:
    (shipped / "plan.json").unlink()
    report = verify_run(shipped)
    assert not report.ok
    assert [(v.rule, v.subject) for v in report.violations] == [("file", "plan.json")]
    assert "not a run folder" in report.violations[0].message


def test_missing_run_folder(tmp_path: Path) -> None:
    report = verify_run(tmp_path / "nowhere")
    assert not report.ok
    assert report.violations[0].rule == "file"


def test_missing_inputs_folder(shipped: Path) -> None:
    shutil.rmtree(shipped / "inputs")
    report = verify_run(shipped)
    assert not report.ok
    v = only(report, "file", "inputs")
    assert "inputs/ folder is missing" in v.message


def test_broken_files(shipped: Path) -> None:
    (shipped / "summary.csv").write_bytes(b"\xff\xfe\x00garbage")
    (shipped / "programs.csv").write_text("program_id,name_ja\nA01,x\n", encoding="utf-8")
    report = verify_run(shipped)
    assert "cannot be read" in only(report, "file", "summary.csv").message
    assert "lacks column(s)" in only(report, "file", "programs.csv").message


def test_unreadable_plan_json(shipped: Path) -> None:
    (shipped / "plan.json").write_text("{not json", encoding="utf-8")
    report = verify_run(shipped)
    assert not report.ok
    assert "cannot be read as JSON" in only(report, "file", "plan.json").message


def test_broken_inputs(shipped: Path) -> None:
    (shipped / "inputs" / "programs.csv").unlink()
    report = verify_run(shipped)
    assert not report.ok
    assert only(report, "file", "plan.toml").message.startswith("the plan in inputs/ does not load")


# ---------------------------------------------------------------------------------------------
# rules the shipped plan does not exercise


def test_units(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["units"], tmp_path)
    year, amount = next((y, a) for (p, y), a in schedule(run).items() if p == "U01")
    set_amount(run, "U01", year, amount + 1)
    report = verify_run(run)
    v = only(report, "units", "U01", year)
    assert v.excess_oku_yen == 1
    assert f"is not {amount // 300} units × 300 = {amount:,} 億円" in v.message


def test_units_column_must_be_whole(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["units"], tmp_path)
    year, amount = next((y, a) for (p, y), a in schedule(run).items() if p == "U01")
    set_amount(run, "U01", year, amount, units="")
    report = verify_run(run)
    assert "not a whole number ≥ 0" in only(report, "units", "U01", year).message


def test_neutralised_names_are_read_back(runs: dict[str, Path]) -> None:
    text = (runs["units"] / "programs.csv").read_text(encoding="utf-8-sig")
    assert "'=SUM(A1)" in text and "'-負の名" in text
    assert_ok(verify_run(runs["units"]))


def test_ramp(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["units"], tmp_path)
    sched = schedule(run)
    assert [sched.get(("R01", y), 0) for y in (2026, 2027, 2028)] == [100, 200, 300]
    set_amount(run, "R01", 2027, 250)
    report = verify_run(run)
    v = only(report, "ramp", "R01", 2027)
    assert v.excess_oku_yen == 50
    assert v.message == (
        "2027年度: R01 rises by 150 (from 100 to 250), above its ramp limit 100 by 50 億円"
    )
    assert only(report, "program_range", "R01").excess_oku_yen == 50


def test_year_max(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["units"], tmp_path)
    set_amount(run, "R01", 2028, 310)
    report = verify_run(run)
    assert only(report, "year_max", "R01", 2028).excess_oku_yen == 10


def test_payment_profile(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["units"], tmp_path)
    sched = schedule(run)
    assert {y: a for (p, y), a in sched.items() if p == "P01"} == {2026: 100, 2027: 200}
    set_amount(run, "P01", 2027, 199)
    add_row(run, "P01", 2028, 1)
    report = verify_run(run)
    assert only(report, "payment_profile", "P01", 2027).excess_oku_yen == 1
    assert only(report, "payment_profile", "P01", 2028).message == (
        "2028年度: P01 is paid 1 but its fixed payment profile says 0 (off by 1 億円)"
    )
    assert not find(report, "program_range", "P01")  # the total is still 300


def test_precedence_finish(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["prec"], tmp_path)
    sched = schedule(run)
    q_last = max(y for (p, y) in sched if p == "Q01")
    f_years = sorted(y for (p, y) in sched if p == "F01")
    assert f_years and f_years[0] > q_last
    amount = sched[("F01", f_years[0])]

    def fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["program_id"] == "F01" and int(r["fiscal_year"]) == f_years[0]:
                r["fiscal_year"] = str(q_last)

    edit_csv(run / "schedule.csv", fn)
    report = verify_run(run)
    v = only(report, "precedence", "F01")
    assert (v.fiscal_year, v.excess_oku_yen) == (q_last, amount)
    assert "in or before the last payment year of its predecessor Q01" in v.message


def test_precedence_start(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["prec"], tmp_path)
    sched = schedule(run)
    q_first = min(y for (p, y) in sched if p == "Q01")
    s_first = min(y for (p, y) in sched if p == "S01")
    assert q_first == 2027 and s_first >= q_first
    add_row(run, "S01", 2026, 5)
    report = verify_run(run)
    v = only(report, "precedence", "S01")
    assert (v.fiscal_year, v.excess_oku_yen) == (2026, 5)
    assert v.message == "2026年度: S01 pays 5 億円 before its predecessor Q01 starts (2027年度)"


def test_precedence_needs_the_predecessor_funded(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["prec"], tmp_path)
    drop_rows(run, "Q01")

    def fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["program_id"] == "Q01":
                r["funded"] = "no"

    edit_csv(run / "programs.csv", fn)
    report = verify_run(run)
    assert only(report, "precedence", "S01").message == (
        "S01 is funded but its predecessor Q01 is not"
    )
    assert only(report, "precedence", "F01").fiscal_year is None


def test_mandatory(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["prec"], tmp_path)
    drop_rows(run, "M01")

    def fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["program_id"] == "M01":
                r["funded"] = "no"

    edit_csv(run / "programs.csv", fn)
    report = verify_run(run)
    assert only(report, "mandatory", "M01").message == "M01 is mandatory but not funded"


def test_fiscal_growth(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["fiscal"], tmp_path)
    sched = schedule(run)
    first = sched[("G01", 2026)]
    assert first <= 1000
    # 1.5 × first rounded down, plus 7: for an odd first the limit ends in .5 and the excess
    # (rounded up) is still 7
    new = first * 3 // 2 + 7
    set_amount(run, "G01", 2027, new)
    report = verify_run(run)
    v = only(report, "fiscal_growth", "horizon", 2027)
    assert v.excess_oku_yen == 7
    assert v.message.startswith(f"2027年度: new spending {new:,} exceeds 1.5 × {first:,}")


def test_fiscal_growth_tolerates_exact_limit(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["fiscal"], tmp_path)
    # rebuild a schedule that sits exactly on every fiscal limit and check nothing is flagged
    amounts = {2026: 1000, 2027: 1500, 2028: 2250, 2029: 3000, 2030: 2250}
    assert sum(amounts.values()) == 10000
    for y, a in amounts.items():
        set_amount(run, "G01", y, a)
    report = verify_run(run)
    assert not find(report, "fiscal_growth")
    assert not find(report, "fiscal_year_cap")
    assert not find(report, "fiscal_total_cap")


def test_fiscal_year_and_total_caps(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["fiscal"], tmp_path)
    sched = schedule(run)
    assert sum(sched.values()) == 10000
    first = sched[("G01", 2026)]
    set_amount(run, "G01", 2026, 1005)
    report = verify_run(run)
    v = only(report, "fiscal_year_cap", "horizon", 2026)
    assert v.excess_oku_yen == 5
    assert v.message == "2026年度: new spending 1,005 exceeds the fiscal ceiling 1,000 by 5 億円"
    total = only(report, "fiscal_total_cap", "horizon")
    assert total.excess_oku_yen == 1005 - first


def test_fixed_year_cap_and_program_defence_setting(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["cap"], tmp_path)
    sched = schedule(run)
    # cap = 2% of FY2025 GDP (500,000) = 10,000 every year; baseline 9,000 leaves 1,000
    assert all(sched.get(("X01", y), 0) <= 1000 for y in range(2026, 2031))
    assert sum(a for (p, _), a in sched.items() if p == "Y01") == 2000  # does not count
    year = next(y for y in range(2028, 2031) if ("X01", y) in sched)
    set_amount(run, "X01", year, sched[("X01", year)] + 3)
    report = verify_run(run)
    v = only(report, "gdp_cap", "horizon", year)
    assert v.excess_oku_yen == 3 + sched[("X01", year)] - 1000
    assert v.message.startswith(f"{year}年度: defence total ")
    assert "exceeds the 2% cap 10,000 by" in v.message


def test_aggregate_bound_with_areas(runs: dict[str, Path], tmp_path: Path) -> None:
    run = copy_run(runs["cap"], tmp_path)
    sched = schedule(run)
    early = {(p, y): a for (p, y), a in sched.items() if p in ("X01", "Y01") and y <= 2027}
    assert sum(early.values()) == 1500  # the bound binds: rank 1 wants all it can get
    pid, year = next(iter(early))
    set_amount(run, pid, year, early[(pid, year)] + 2)
    # Z01 is area B, outside the bound: money on it in 2026 must not count
    if ("Z01", 2026) in sched:
        set_amount(run, "Z01", 2026, sched[("Z01", 2026)] + 5000)
    else:
        add_row(run, "Z01", 2026, 5000)
    report = verify_run(run)
    v = only(report, "aggregate_bound", "early")
    assert v.excess_oku_yen == 2
    assert v.message.startswith("bound early (2026–2027年度, areas A): total 1,502 exceeds")


def test_area_and_phase_bounds(shipped: Path) -> None:
    # area A is at its high 60,000: one more 億円 on A02 breaks it; phase short's high is
    # 120,000, so moving 200,000 into the short-phase program D01 breaks that too
    sched = schedule(shipped)
    set_amount(shipped, "A02", 2027, sched[("A02", 2027)] + 1)
    set_amount(shipped, "D01", 2028, sched[("D01", 2028)] + 200000)
    report = verify_run(shipped)
    assert only(report, "area_bound", "A").message == (
        "area A: total 60,001 exceeds its high 60,000 by 1 億円"
    )
    short = sum(a for (p, _), a in sched.items() if p in ("A01", "A02", "E01", "D01", "B01", "C01"))
    v = only(report, "phase_bound", "short")
    assert v.excess_oku_yen == short + 200001 - 120000


# ---------------------------------------------------------------------------------------------
# the verifier's second copies of the plan's rules agree with the originals


@pytest.mark.parametrize("cap", ["1%", "2%", "1.87%", "2.5%", "0.333%"])
@pytest.mark.parametrize("base", [None, "fixed_year:2022", "each_year"])
def test_exact_cap_agrees_with_the_plans_own_cap(cap: str, base: str | None) -> None:
    kind, _, year = (base or "").partition(":")
    plan = load_plan(
        DATA,
        Overrides(
            cap=parse_cap(cap),
            cap_base=kind or None,
            cap_base_year=int(year) if year else None,
        ),
    )
    for y in plan.fiscal_years:
        assert exact_cap(plan, y) == plan.cap_oku_yen(y)


@pytest.mark.parametrize(
    ("per_year_max", "per_year"),
    [
        (None, ()),
        (60_000, ()),
        (None, ((2027, 40_000), (2030, 70_000))),
        (60_000, ((2027, 40_000), (2030, 70_000))),
        (30_000, ((2027, 40_000),)),
    ],
)
def test_fiscal_ceiling_agrees_with_the_plans_own_ceiling(
    per_year_max: int | None, per_year: tuple[tuple[int, int], ...]
) -> None:
    plan = load_plan(DATA)
    fiscal = plan.fiscal.model_copy(
        update={"max_new_per_year_oku_yen": per_year_max, "per_year_oku_yen": per_year}
    )
    plan = plan.model_copy(update={"fiscal": fiscal})
    for y in plan.fiscal_years:
        assert fiscal_ceiling(plan, y) == plan.fiscal.ceiling(y)
