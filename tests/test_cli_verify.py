"""`allocate verify`: a clean run passes, a tampered one is caught, a non-run is refused."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import PLAIN
from typer.testing import CliRunner

from allocator.cli.app import EXIT_OK, EXIT_USAGE, EXIT_VERIFY_FAILED, app

runner = CliRunner()


def test_verify_clean_then_tampered(tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = ["--cap", "2%", "--out", str(run), "--plan", str(PLAIN)]
    assert runner.invoke(app, args).exit_code == EXIT_OK
    result = runner.invoke(app, ["verify", str(run)])
    assert result.exit_code == EXIT_OK, result.output
    assert "every rule holds" in result.output and "gdp_cap" in result.output

    schedule = run / "schedule.csv"
    with schedule.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, first = rows[0], rows[1]
    year, pid = first[0], first[1]
    # the money paid that year (amount_oku_yen and its copy payment_oku_yen) + 1,000 億円
    for col in ("amount_oku_yen", "payment_oku_yen"):
        first[header.index(col)] = str(int(first[header.index(col)]) + 1000)
    with schedule.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    result = runner.invoke(app, ["verify", str(run)])
    assert result.exit_code == EXIT_VERIFY_FAILED
    assert "VIOLATION gdp_cap" in result.output
    assert f"{year}年度" in result.output and "1,000" in result.output
    assert pid in result.output


def test_verify_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE
    assert "not a run folder" in result.output
