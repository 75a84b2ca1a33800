"""`allocate verify`: a clean run passes, a tampered one is caught, a non-run is refused."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from allocator.cli.app import EXIT_OK, EXIT_USAGE, EXIT_VERIFY_FAILED, app

runner = CliRunner()


def test_verify_clean_then_tampered(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert runner.invoke(app, ["--cap", "2%", "--out", str(run)]).exit_code == EXIT_OK
    result = runner.invoke(app, ["verify", str(run)])
    assert result.exit_code == EXIT_OK, result.output
    assert "every rule holds" in result.output and "gdp_cap" in result.output

    schedule = run / "schedule.csv"
    lines = schedule.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[1].split(",")
    year, pid = cells[0], cells[1]
    amount_col = lines[0].split(",").index("amount_oku_yen")
    # names may hold commas inside quotes: change the amount counted from the end instead
    cells = lines[1].rsplit(",", 3)
    cells[1] = str(int(cells[1]) + 1000)
    lines[1] = ",".join(cells)
    schedule.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    assert amount_col > 0
    result = runner.invoke(app, ["verify", str(run)])
    assert result.exit_code == EXIT_VERIFY_FAILED
    assert "VIOLATION gdp_cap" in result.output
    assert f"{year}年度" in result.output and "1,000" in result.output
    assert pid in result.output


def test_verify_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE
    assert "not a run folder" in result.output
