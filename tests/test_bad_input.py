"""Malformed plans and options: one clear line (file, row, column, fix), the documented exit
code, no traceback, and no run folder left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from planbuilder import program, write_plan
from typer.testing import CliRunner

from allocator.cli.app import EXIT_INVALID_PLAN, EXIT_USAGE, app

runner = CliRunner()


def good_plan(folder: Path, **kw: object) -> Path:
    progs = kw.pop("programs", None) or [
        program("P1", 100, 300, first=2026, last=2027),
        program("P2", 0, 200, first=2026, last=2027),
    ]
    return write_plan(folder, progs, years=2, **kw)  # type: ignore[arg-type]


def run(plan: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    reports = tmp_path / "reports"
    result = runner.invoke(app, ["--plan", str(plan), "--reports", str(reports), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}"
    )
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert not reports.exists() or not any(reports.iterdir()), "output left behind"
    return result.exit_code, result.output


def error_line(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.startswith("allocate: error:")]
    assert len(lines) == 1, output
    return lines[0]


def set_cell(folder: Path, pid: str, column: str, value: str) -> None:
    import csv

    path = folder / "programs.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["program_id"] == pid:
            r[column] = value
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


# --- cases on programs.csv: (column, bad value, words the message must contain) ------------
CELL_CASES = [
    ("low_oku_yen", "abc", "not a whole number"),
    ("low_oku_yen", "-5", "below 0"),
    ("high_oku_yen", "NaN", "not a whole number"),
    ("high_oku_yen", "1,200", "without thousands separators"),
    ("high_oku_yen", "1.5", "round to an integer"),
    ("high_oku_yen", "", "high_oku_yen is empty"),
    ("low_oku_yen", "400", "above high"),
    ("area", "Z", "unknown area"),
    ("phase", "later", "unknown phase"),
    ("rank", "7", "unknown rank"),
    ("rank", "first", "not a whole number"),
    ("window_first_year", "2027", None),  # placeholder replaced below
    ("window_last_year", "2030", "outside the horizon"),
    ("window_first_year", "2020", "outside the horizon"),
    ("mandatory", "maybe", "not yes or no"),
    ("predecessor", "P9", "not a program"),
    ("predecessor", "P1", "names itself"),
    ("payment_profile", "2026-100", "not year:amount"),
    ("payment_profile", "2029:100", "outside its window"),
    ("unit_cost_oku_yen", "0", "below 1"),
    ("unit_cost_oku_yen", "500", "no whole number of units"),
    ("max_per_year_oku_yen", "10", "cannot reach low"),
    ("program_id", "事業1", "not an ASCII id"),
    ("name_en", "", "name_en is empty"),
    ("value", "lots", "not a number"),
]


@pytest.mark.parametrize(("column", "value", "words"), [c for c in CELL_CASES if c[2]])
def test_bad_cell(tmp_path: Path, column: str, value: str, words: str) -> None:
    plan = good_plan(tmp_path / "plan")
    set_cell(plan, "P1", column, value)
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN, out
    line = error_line(out)
    assert "programs.csv" in line and "row 2" in line, line
    assert words in line, line
    assert " — " in line, "the message must say how to fix it"


def test_reversed_window(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    set_cell(plan, "P1", "window_first_year", "2027")
    set_cell(plan, "P1", "window_last_year", "2026")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN
    assert "reversed" in error_line(out) and "column window_first_year" in error_line(out)


def test_duplicate_ids(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    set_cell(plan, "P2", "program_id", "P1")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN
    line = error_line(out)
    assert "used twice (rows 2 and 3)" in line and "row 3" in line


def test_precedence_cycle(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    set_cell(plan, "P1", "predecessor", "P2")
    set_cell(plan, "P2", "predecessor", "P1")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN
    assert "cycle" in error_line(out) and "column predecessor" in error_line(out)


def test_missing_plan_folder(tmp_path: Path) -> None:
    code, out = run(tmp_path / "nowhere", tmp_path)
    assert code == EXIT_INVALID_PLAN
    assert "nowhere: file not found" in error_line(out)


def test_empty_plan_toml(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    (plan / "plan.toml").write_text("", encoding="utf-8")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN and "empty" in error_line(out)


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    text = (
        (plan / "plan.toml")
        .read_text(encoding="utf-8")
        .replace('name = "test-plan"', "name = test plan")
    )
    (plan / "plan.toml").write_text(text, encoding="utf-8")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN
    line = error_line(out)
    assert "TOML syntax error" in line and "row 2" in line


def test_toml_unknown_key(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan", extra_toml="[solver2]\ngap = 0")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN and "not a known setting" in error_line(out)


def test_toml_wrong_type(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    text = (plan / "plan.toml").read_text(encoding="utf-8").replace("years = 2", 'years = "two"')
    (plan / "plan.toml").write_text(text, encoding="utf-8")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN and "plan, key years" in error_line(out)


def test_missing_programs_file(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    (plan / "programs.csv").unlink()
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN and "programs.csv: file not found" in error_line(out)


def test_empty_programs_file(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    (plan / "programs.csv").write_bytes(b"")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN and "empty" in error_line(out)


def test_header_only_programs_file(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    header = (plan / "programs.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    (plan / "programs.csv").write_text(header + "\n", encoding="utf-8")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN and "no data rows" in error_line(out)


def test_missing_column(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    text = (plan / "programs.csv").read_text(encoding="utf-8-sig").replace("high_oku_yen", "high")
    (plan / "programs.csv").write_text(text, encoding="utf-8-sig")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN
    assert "no column 'high_oku_yen'" in error_line(out) and "row 1" in error_line(out)


def test_not_text_at_all(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    (plan / "programs.csv").write_bytes(b"\x80\x81\xff\xfe\x00garbage\xff")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN and "neither UTF-8 nor Shift_JIS" in error_line(out)


def test_missing_gdp_year(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan", gdp={2026: 100_000})
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN
    line = error_line(out)
    assert "gdp.csv" in line and "no GDP for 2027年度" in line


def test_unknown_gdp_case_option(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    code, out = run(plan, tmp_path, "--gdp-case", "boom")
    assert code == EXIT_USAGE and "--gdp-case" in error_line(out)


@pytest.mark.parametrize("cap", ["0", "0%", "100%", "150%", "abc", "-1%", "2,5%", ""])
def test_bad_cap(tmp_path: Path, cap: str) -> None:
    plan = good_plan(tmp_path / "plan")
    code, out = run(plan, tmp_path, "--cap", cap)
    assert code == EXIT_USAGE, out
    assert "--cap" in out and "Traceback" not in out


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_encodings_read_correctly(tmp_path: Path, encoding: str) -> None:
    plan = good_plan(tmp_path / "plan")
    text = (
        (plan / "programs.csv").read_text(encoding="utf-8-sig").replace("事業P1", "弾薬・ミサイル①")
    )  # ① exists in cp932, not in plain Shift_JIS
    (plan / "programs.csv").write_bytes(text.encode(encoding))
    code, out = run(plan, tmp_path, "--cap", "2%")
    assert code == 0, out
    schedule = next((tmp_path / "reports").glob("*/schedule.csv")).read_text(encoding="utf-8-sig")
    assert "弾薬・ミサイル①" in schedule
    if encoding == "cp932":
        assert "Shift_JIS (cp932)" in out


def test_duplicate_column(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    lines = (plan / "programs.csv").read_text(encoding="utf-8-sig").splitlines()
    lines = [ln + ",x" for ln in lines]
    lines[0] = lines[0][:-2] + ",rank"
    (plan / "programs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN and "appears twice" in error_line(out)


def test_semicolon_separated_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    text = (plan / "programs.csv").read_text(encoding="utf-8-sig").replace(",", ";")
    (plan / "programs.csv").write_text(text, encoding="utf-8-sig")
    code, out = run(plan, tmp_path)
    assert code == EXIT_INVALID_PLAN
    assert "separated by semicolons" in error_line(out) and "row 1" in error_line(out)


def test_full_width_digits_and_fiscal_year_forms_are_read(tmp_path: Path) -> None:
    plan = good_plan(tmp_path / "plan")
    set_cell(plan, "P1", "high_oku_yen", "３００")
    set_cell(plan, "P1", "window_first_year", "2026年度")
    set_cell(plan, "P1", "window_last_year", "FY2027")
    code, out = run(plan, tmp_path, "--cap", "2%")
    assert code == 0, out
    set_cell(plan, "P1", "high_oku_yen", "１，２００")
    code, out = run(plan, tmp_path / "second")
    assert code == EXIT_INVALID_PLAN and "without thousands separators" in error_line(out)
