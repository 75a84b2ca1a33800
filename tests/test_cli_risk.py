"""``allocate risk``: a solved plan held fixed under draws, from the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner
from uncertaintybuilder import WITH_COSTS, one_program_plan

from allocator.cli.app import EXIT_INVALID_PLAN, EXIT_USAGE, app

runner = CliRunner()


def _solved(tmp_path: Path) -> tuple[Path, Path]:
    folder = one_program_plan(tmp_path / "plan", uncertainty=WITH_COSTS)
    run = tmp_path / "run"
    # money as early as it can go: the held plan spends the whole cap in its first year
    r = runner.invoke(
        app, ["--plan", str(folder), "--out", str(run), "--lang", "en", "--profile", "early"]
    )
    assert r.exit_code == 0, r.output
    return folder, run


def test_risk_writes_its_tables_charts_and_workbook(tmp_path: Path) -> None:
    folder, run = _solved(tmp_path)
    out = tmp_path / "risk"
    r = runner.invoke(
        app,
        ["risk", str(run), "--uncertainty", str(folder), "--draws", "300", "--workers", "1",
         "--out", str(out), "--lang", "en"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "P(exceed)" in r.output and "written:" in r.output
    for name in ("draws.csv", "draw_inputs.csv", "risk_years.csv", "risk_programs.csv",
                 "ratio_fan.png", "programs.png", "risk.xlsx", "risk.json"):  # fmt: skip
        assert (out / name).is_file(), name
    years = pd.read_csv(out / "risk_years.csv", encoding="utf-8-sig")
    draws = pd.read_csv(out / "draws.csv", encoding="utf-8-sig")
    assert len(draws) == 300 and list(draws["draw"]) == list(range(300))
    assert years.loc[0, "p_exceed"] == (draws["excess_oku_yen_2026"] > 0).mean()
    # the held plan spends the whole cap in its first year: cost growth (never below 0) and a
    # yen that moves both ways make delivering it break the cap more often than not
    assert years.loc[0, "planned_ratio"] == 0.02 and years.loc[0, "p_exceed"] > 0.5


def test_risk_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    r = runner.invoke(app, ["risk", str(tmp_path), "--draws", "5"])
    assert r.exit_code == EXIT_USAGE and "not a run folder" in r.output
    assert "Traceback" not in r.output


def test_risk_refuses_a_bad_uncertainty_file_before_writing(tmp_path: Path) -> None:
    folder, run = _solved(tmp_path)
    (folder / "uncertainty.toml").write_text(WITH_COSTS + "\nspread = 2\n", encoding="utf-8")
    out = tmp_path / "risk"
    r = runner.invoke(app, ["risk", str(run), "--uncertainty", str(folder), "--out", str(out)])
    assert r.exit_code == EXIT_INVALID_PLAN, r.output
    assert "uncertainty.toml" in r.output and "spread" in r.output
    assert not out.exists()


def test_risk_refuses_bad_draws_and_an_existing_out(tmp_path: Path) -> None:
    folder, run = _solved(tmp_path)
    r = runner.invoke(app, ["risk", str(run), "--uncertainty", str(folder), "--draws", "0"])
    assert r.exit_code == EXIT_USAGE and "--draws" in r.output
    r = runner.invoke(app, ["risk", str(run), "--uncertainty", str(folder), "--out", str(run)])
    assert r.exit_code == EXIT_USAGE and "already exists" in r.output
