"""The main command, run as a user would (typer's CliRunner, the real solver, real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA, PLAIN
from planbuilder import random_capital_budgeting, write_plan
from typer.testing import CliRunner

from allocator.cli.app import (
    EXIT_INFEASIBLE,
    EXIT_LIMIT_WITH_PLAN,
    EXIT_OK,
    EXIT_USAGE,
    app,
)
from allocator.plan.loading import PLAN_ENV, SHIPPED_PLAN, Overrides, load_plan, plan_folder

runner = CliRunner()


def allocate(*args: str) -> tuple[int, str]:
    """``allocate ARGS``; without ``--plan``, on the shipped plan without its contract data
    (PLAIN: fast, and the figures these tests were worked out on)."""
    plan = [] if "--plan" in args or args[-1:] in (("--help",), ("--version",)) else [
        "--plan", str(PLAIN),
    ]  # fmt: skip
    result = runner.invoke(app, [*args, *plan])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_version() -> None:
    code, out = allocate("--version")
    assert code == 0
    assert out.startswith("allocate ") and "PuLP 4." in out and "HiGHS 1." in out


def test_help_has_an_example_and_exit_codes() -> None:
    code, out = allocate("--help")
    assert code == 0
    assert "allocate --cap 2%" in out
    assert "Exit codes" in out
    for option in (
        "--cap",
        "--plan",
        "--out",
        "--first-year",
        "--years",
        "--time-limit",
        "--gap",
        "--version",
        "--gdp-case",
        "--cap-base",
        "--force",
    ):
        assert option in out, option


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (DATA.parent / "README.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        code, _ = allocate(name, "--help")
        assert code == 0, name
        assert f"allocate {name}" in readme, f"{name} is not documented in the README"


@pytest.mark.parametrize(
    ("cap", "ratio"),
    [("2%", "1/50"), ("2.5 %", "1/40"), ("0.02", "1/50"), ("２％", "1/50"), ("２．２％", "11/500")],
)
def test_cap_formats(tmp_path: Path, cap: str, ratio: str) -> None:
    out_dir = tmp_path / "run"
    code, out = allocate("--cap", cap, "--out", str(out_dir))
    assert code == EXIT_OK, out
    record = json.loads((out_dir / "plan.json").read_text(encoding="utf-8"))
    assert record["plan"]["cap_ratio"] == ratio
    assert record["status"] == "optimal" and record["verification"]["ok"] is True


def test_shipped_plan_table_and_files(tmp_path: Path) -> None:
    code, out = allocate("--cap", "2%", "--reports", str(tmp_path), "--lang", "en")
    assert code == EXIT_OK, out
    run = tmp_path / "japan-defense-2026-cap2pct"
    assert f"written: {run}" in out
    for year in range(2026, 2041):
        assert f"\n{year} " in out
    assert "Readiness and munitions stockpiles" in out and "100.0%" in out
    assert "verified: every rule holds" in out
    names = ("schedule.csv", "summary.csv", "programs.csv", "ranks.csv", "shortfalls.csv")
    for name in (*names, "plan.json"):
        assert (run / name).is_file(), name
    head = (run / "schedule.csv").read_bytes()[:80]
    assert head.startswith(b"\xef\xbb\xbffiscal_year,program_id,name_ja,name_en,area,phase,rank,")
    summary = (run / "summary.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert summary.startswith(
        "fiscal_year,gdp_oku_yen,cap_ratio,cap_oku_yen,baseline_oku_yen,defense_alloc_oku_yen,"
        "other_alloc_oku_yen,defense_total_oku_yen,gdp_ratio,headroom_oku_yen"
    )


def test_earlier_run_is_never_overwritten(tmp_path: Path) -> None:
    assert allocate("--cap", "2%", "--reports", str(tmp_path))[0] == EXIT_OK
    first = (tmp_path / "japan-defense-2026-cap2pct" / "plan.json").read_bytes()
    code, out = allocate("--cap", "2%", "--reports", str(tmp_path))
    assert code == EXIT_OK
    assert "japan-defense-2026-cap2pct-2" in out
    assert (tmp_path / "japan-defense-2026-cap2pct" / "plan.json").read_bytes() == first


def test_existing_out_needs_force_and_force_replaces_only_a_run_folder(tmp_path: Path) -> None:
    out_dir = tmp_path / "mine"
    out_dir.mkdir()
    (out_dir / "notes.txt").write_text("my notes", encoding="utf-8")
    code, out = allocate("--cap", "2%", "--out", str(out_dir))
    assert code == EXIT_USAGE
    assert "already exists" in out and "--force" in out
    assert (out_dir / "notes.txt").read_text(encoding="utf-8") == "my notes"
    code, out = allocate("--cap", "2%", "--out", str(out_dir), "--force")
    assert code == EXIT_USAGE, "a folder allocate did not write is never replaced"
    assert "not a folder written by allocate" in out
    assert (out_dir / "notes.txt").read_text(encoding="utf-8") == "my notes"
    run_dir = tmp_path / "run"
    assert allocate("--cap", "2%", "--out", str(run_dir))[0] == EXIT_OK
    first = (run_dir / "plan.json").read_bytes()
    code, out = allocate("--cap", "1.9%", "--out", str(run_dir), "--force")
    assert code == EXIT_OK
    assert (run_dir / "plan.json").read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "run"], "no temporary left"


def test_infeasible_cap_is_explained(tmp_path: Path) -> None:
    out_dir = tmp_path / "run"
    code, out = allocate("--cap", "1.8%", "--floors", "hard", "--out", str(out_dir), "--lang", "en")
    assert code == EXIT_INFEASIBLE
    assert "INFEASIBLE" in out
    assert "these rules cannot hold together" in out and "phase mid" in out
    assert "smallest single cap (every year) at which every floor is met: 1.82%" in out
    text = (out_dir / "explanation.txt").read_text(encoding="utf-8")
    assert "1.82%" in text
    assert not (out_dir / "schedule.csv").exists()
    record = json.loads((out_dir / "plan.json").read_text(encoding="utf-8"))
    assert record["status"] == "infeasible" and record["explanation"]


def test_baseline_above_cap_is_caught_before_solving(tmp_path: Path) -> None:
    code, out = allocate(
        "--cap", "1.2%", "--floors", "hard", "--out", str(tmp_path / "run"), "--lang", "en"
    )
    assert code == EXIT_INFEASIBLE
    assert "baseline defence budget alone exceeds the 1.2% cap" in out
    assert "a cap of at least 1.42%" in out


def test_first_year_and_years(tmp_path: Path) -> None:
    code, out = allocate(
        "--cap", "2%", "--first-year", "2027", "--years", "12", "--out", str(tmp_path / "run")
    )
    assert code == EXIT_OK, out
    assert "2027–2038年度" in out and "plan moved by +1 years" in out
    assert "window cut to end in 2038年度" in out


def test_gdp_case_and_cap_base(tmp_path: Path) -> None:
    code, out = allocate(
        "--cap", "2%", "--gdp-case", "growth_transition", "--reports", str(tmp_path), "--lang", "en"
    )
    assert code == EXIT_OK, out
    assert "GDP case growth_transition" in out
    assert (tmp_path / "japan-defense-2026-cap2pct-growth_transition").is_dir()
    code, out = allocate(
        "--cap", "2.5%", "--cap-base", "fixed_year:2022", "--out", str(tmp_path / "fixed"),
        "--lang", "en",
    )  # fmt: skip
    assert code == EXIT_OK, out
    assert "cap 2.5% of FY2022 GDP" in out
    summary = (tmp_path / "fixed" / "summary.csv").read_text(encoding="utf-8-sig").splitlines()
    assert summary[1].split(",")[3] == "140000"  # ⌊2.5 % × 5,600,000⌋ in every year


def test_time_limit_keeps_best_plan_marked_not_optimal(tmp_path: Path) -> None:
    progs = random_capital_budgeting(200, seed=7)
    plan = write_plan(
        tmp_path / "plan", progs, years=5, gdp=10**9, fiscal="max_new_per_year_oku_yen = 5500"
    )
    code, out = allocate(
        "--plan", str(plan), "--time-limit", "1", "--out", str(tmp_path / "r"), "--lang", "en"
    )
    if code == EXIT_OK:  # a much faster machine proved it: nothing to check then
        pytest.skip("HiGHS proved optimality within 1 s on this machine")
    assert code == EXIT_LIMIT_WITH_PLAN, out
    assert "NOT proven optimal" in out and "verified: every rule holds" in out
    record = json.loads((tmp_path / "r" / "plan.json").read_text(encoding="utf-8"))
    assert record["optimal"] is False and record["status"] == "feasible"
    stage = record["stages"][0]
    assert stage["status"] == "time_limit" and stage["gap"] > 0
    assert stage["best_bound"] >= stage["objective"]


def test_short_horizon_drops_floors_beyond_it_but_keeps_ceilings(tmp_path: Path) -> None:
    code, out = allocate(
        "--cap", "2%", "--years", "5", "--out", str(tmp_path / "run"), "--lang", "en"
    )
    assert code == EXIT_OK, out
    # area A's programs (A01, A02) lie inside FY2026-2030: its floor applies; the others' do not
    assert "floors of area B (B02 runs past it), area C (C02 runs past it)" in out
    assert "area A" not in out.split("not applied")[0]
    assert "phase mid, phase long, bound total_10y are not applied" in out
    assert "verified: every rule holds" in out
    record = json.loads((tmp_path / "run" / "plan.json").read_text(encoding="utf-8"))
    assert record["objective_per_rank"]["1"] == 60000  # rank 1 lies inside the five years


def test_ten_year_horizon_keeps_the_floors_of_areas_funded_inside_it() -> None:
    # --years 10 (FY2026-2035): F01 (FY2028-2032) and every program of A, B, D, E lie inside,
    # so their floors apply; C, G, H, I each have a program running past FY2035
    plan = load_plan(DATA / "plan.toml", Overrides(years=10))
    lows = {a.id: a.low_oku_yen for a in plan.areas}
    assert lows == {
        "A": 30000, "B": 40000, "C": None, "D": 30000, "E": 20000, "F": 8000, "G": None,
        "H": None, "I": None,
    }  # fmt: skip
    note = next(n for n in plan.notes if "not applied" in n)
    assert "area I (L03 runs past it)" in note and "area F" not in note
    full = load_plan(DATA / "plan.toml", Overrides())
    assert all(a.low_oku_yen for a in full.areas)


def test_allocate_outside_the_repository_finds_the_shipped_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(PLAN_ENV, raising=False)
    assert plan_folder(None) == SHIPPED_PLAN == DATA.resolve()
    code, out = allocate("--cap", "2%", "--years", "1", "--out", "run", "--lang", "en")
    assert code == EXIT_OK, out
    record = json.loads((tmp_path / "run" / "plan.json").read_text(encoding="utf-8"))
    assert record["plan"]["name"] == "japan-defense-2026" and record["plan"]["years"] == 1


def test_plan_folder_order_and_the_message_when_there_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import allocator.plan.loading as loading

    monkeypatch.delenv(PLAN_ENV, raising=False)
    assert plan_folder(Path("given")) == Path("given")
    (tmp_path / "data").mkdir()
    assert plan_folder(None, cwd=tmp_path) == SHIPPED_PLAN  # ./data without plan.toml: skipped
    (tmp_path / "data" / "plan.toml").write_text("", encoding="utf-8")
    assert plan_folder(None, cwd=tmp_path) == tmp_path / "data"
    monkeypatch.setenv(PLAN_ENV, str(tmp_path / "mine"))
    assert plan_folder(None, cwd=tmp_path) == tmp_path / "mine"
    # an installed copy without the repository: the message says how to point at a plan
    monkeypatch.delenv(PLAN_ENV)
    monkeypatch.setattr(loading, "SHIPPED_PLAN", tmp_path / "absent")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "plan.toml").unlink()
    result = runner.invoke(app, ["--cap", "2%", "--out", str(tmp_path / "run")])  # no --plan
    code, out = result.exit_code, result.output
    assert code == 2, out
    assert "give --plan FOLDER" in out and PLAN_ENV in out and "Traceback" not in out
    assert not (tmp_path / "run").exists()
