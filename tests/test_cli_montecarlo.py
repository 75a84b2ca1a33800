"""``allocate montecarlo``: the plan re-solved per draw, from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner
from uncertaintybuilder import GDP_ONLY, two_rank_plan

from allocator.cli.app import EXIT_INVALID_PLAN, EXIT_USAGE, app

runner = CliRunner()


def test_montecarlo_prints_the_headline_and_writes_the_folder(tmp_path: Path) -> None:
    folder = two_rank_plan(tmp_path / "plan")
    out = tmp_path / "mc"
    r = runner.invoke(
        app,
        ["montecarlo", "--plan", str(folder), "--draws", "5", "--seed", "1", "--workers", "1",
         "--robust-years", "1", "--scenarios", "2", "--out", str(out), "--lang", "en"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "P(funded)" in r.output and "robust first years 2026–2026" in r.output
    for name in ("draws.csv", "mc_years.csv", "mc_ranks.csv", "mc_programs.csv",
                 "ratio_fan.png", "ranks.png", "programs.png", "montecarlo.xlsx",
                 "robust_cost.csv", "montecarlo.json", "inputs/uncertainty.toml"):  # fmt: skip
        assert (out / name).is_file(), name


def test_montecarlo_refuses_bad_options(tmp_path: Path) -> None:
    folder = two_rank_plan(tmp_path / "plan")
    for args, word in (
        (["--draws", "0"], "--draws"),
        (["--robust-years", "2"], "--robust-years"),  # the horizon has 2 years
        (["--workers", "0"], "--workers"),
        (["--lang", "fr"], "--lang"),
    ):
        r = runner.invoke(
            app, ["montecarlo", "--plan", str(folder), "--out", str(tmp_path / "x"), *args]
        )
        assert r.exit_code == EXIT_USAGE, (args, r.output)
        assert word in r.output and "Traceback" not in r.output


def test_montecarlo_names_the_bad_line_of_uncertainty_toml(tmp_path: Path) -> None:
    folder = two_rank_plan(
        tmp_path / "plan", uncertainty=GDP_ONLY.replace("growth_sd_pct", "growth_sd")
    )
    r = runner.invoke(app, ["montecarlo", "--plan", str(folder), "--out", str(tmp_path / "x")])
    assert r.exit_code == EXIT_INVALID_PLAN
    assert "uncertainty.toml, row" in r.output and "growth_sd" in r.output
    assert not (tmp_path / "x").exists()


def test_resume_of_a_folder_that_is_not_one(tmp_path: Path) -> None:
    r = runner.invoke(app, ["montecarlo", "--resume", str(tmp_path)])
    assert r.exit_code == EXIT_USAGE and "not a Monte Carlo or risk folder" in r.output


def test_every_new_command_has_help() -> None:
    for command in ("montecarlo", "risk"):
        r = runner.invoke(app, [command, "--help"])
        assert r.exit_code == 0 and "--seed" in r.output and "--scheduler" in r.output
