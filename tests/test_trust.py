"""Nothing lost, nothing half-written, nothing evaluated: atomic run folders, stable bytes,
formula-injection neutralisation, output paths that stay inside the chosen folder."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PLAIN as DATA
from planbuilder import program, random_capital_budgeting, write_plan
from typer.testing import CliRunner

import allocator.api
from allocator.api import allocate
from allocator.cli.app import EXIT_OK, app
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides
from allocator.run.csvfile import neutralise_cell
from allocator.run.verify import verify_run

runner = CliRunner()


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_inputs_give_byte_identical_csv(tmp_path: Path) -> None:
    for name in ("a", "b"):
        allocate(DATA, Overrides(cap=parse_cap("2%")), out=tmp_path / name)
    a, b = digest(tmp_path / "a"), digest(tmp_path / "b")
    csvs = [k for k in a if k.endswith(".csv")]
    copies = [k for k in csvs if k.startswith("inputs/")]
    # schedule, summary, programs, ranks, obligations, shortfalls, indicators
    assert len(csvs) - len(copies) == 7
    assert len(copies) == len(list(DATA.glob("*.csv")))
    assert {k: a[k] for k in csvs} == {k: b[k] for k in csvs}


def test_input_files_are_never_modified(tmp_path: Path) -> None:
    before = digest(DATA)
    allocate(DATA, Overrides(cap=parse_cap("2%")), out=tmp_path / "run")
    allocate(DATA, Overrides(cap=parse_cap("1.8%")), out=tmp_path / "inf")
    assert digest(DATA) == before


def test_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(_: Path, **kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(allocator.api, "verify_run", interrupt)  # mid-write, files half there
    with pytest.raises(KeyboardInterrupt):
        allocate(DATA, Overrides(), out=tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_forced_replacement_keeps_old_folder_until_new_one_is_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    allocate(DATA, Overrides(cap=parse_cap("1.9%")), out=out)
    before = digest(out)

    def fail(_: Path, **kw: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(allocator.api, "verify_run", fail)
    with pytest.raises(RuntimeError):
        allocate(DATA, Overrides(), out=out, force=True)
    assert digest(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_ctrl_c_during_solve_leaves_no_run_folder(tmp_path: Path) -> None:
    progs = random_capital_budgeting(300, seed=3)
    plan = write_plan(
        tmp_path / "plan", progs, years=5, gdp=10**9, fiscal="max_new_per_year_oku_yen = 8000"
    )
    reports = tmp_path / "reports"
    exe = Path(sys.executable).with_name("allocate")
    proc = subprocess.Popen(
        [str(exe), "--plan", str(plan), "--reports", str(reports), "--time-limit", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a CI runner may start us with SIGINT ignored (a background job); a user's terminal
        # delivers Ctrl-C with the default disposition, so give the child that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(3)
    if proc.poll() is not None:  # a much faster machine finished first: nothing to interrupt
        proc.communicate()
        pytest.skip("the solve ended before Ctrl-C could be sent")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; no run folder was written" in err
    assert "Traceback" not in err
    assert not reports.exists() or list(reports.iterdir()) == []


def test_formula_like_names_are_neutralised_and_round_trip(tmp_path: Path) -> None:
    name = '=HYPERLINK("http://x","click")'
    folder = write_plan(
        tmp_path / "plan", [program("P1", 0, 100, name_en=name, name_ja="+事業", note="@note")]
    )
    run = tmp_path / "run"
    outcome = allocate(folder, Overrides(), out=run)
    assert outcome.verification is not None and outcome.verification.ok
    for csv_name in ("schedule.csv", "programs.csv"):
        text = (run / csv_name).read_text(encoding="utf-8-sig")
        assert "'=HYPERLINK(" in text and ",=HYPERLINK" not in text
        assert "'+事業" in text
    assert verify_run(run).ok


def test_negative_numbers_stay_numbers_in_summary_csv(tmp_path: Path) -> None:
    # rank 1's P1 is held by the 2026 cap (2,000), the 3,000 total ceiling leaves rank 2's P2
    # 1,000 in 2027: 100 億円 more cap in 2026 gives rank 1 +100 and takes 100 from rank 2
    folder = write_plan(
        tmp_path / "plan",
        [
            program("P1", 0, 5000, rank=1, area="A"),
            program("P2", 0, 5000, first=2027, last=2027, rank=2, area="B"),
        ],
        years=2,
        ranks=2,
        areas={"A": {}, "B": {}},
        fiscal="max_new_total_oku_yen = 3000",
    )
    run = tmp_path / "run"
    outcome = allocate(folder, Overrides(), out=run)
    assert outcome.verification is not None and outcome.verification.ok
    lines = (run / "summary.csv").read_text(encoding="utf-8-sig").splitlines()
    rows = [dict(zip(lines[0].split(","), line.split(","), strict=True)) for line in lines[1:]]
    assert rows[0]["marginal_rank1_per_100_oku_yen"] == "100"
    assert rows[0]["marginal_rank2_per_100_oku_yen"] == "-100"  # a number, not '-100
    assert "'-" not in "\n".join(lines)
    assert verify_run(run).ok


def test_only_text_is_neutralised() -> None:
    for number in ("-100", "-1.5", "+3", "-2e5", "-.5"):
        assert neutralise_cell(number) == number
    for text in ("-1+cmd|' /C calc'!A0", "=1+1", "+事業", "@SUM(A1)", "-", "-x", "--1"):
        assert neutralise_cell(text) == "'" + text


def test_plan_name_cannot_escape_the_reports_folder(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "plan", [program("P1", 0, 100)])
    toml = (folder / "plan.toml").read_text(encoding="utf-8")
    for evil in ("../../escape", "/etc/evil", "..\\\\win"):
        (folder / "plan.toml").write_text(
            toml.replace('name = "test-plan"', f'name = "{evil}"'), encoding="utf-8"
        )
        reports = tmp_path / "reports"
        outcome = allocate(folder, Overrides(), reports=reports)
        assert outcome.run_dir is not None
        assert outcome.run_dir.resolve().parent == reports.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan", "reports"]


def test_csv_paths_in_plan_toml_must_stay_inside_the_plan_folder(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "plan", [program("P1", 0, 100)])
    toml = (folder / "plan.toml").read_text(encoding="utf-8")
    (folder / "plan.toml").write_text(
        toml.replace('gdp_case = "base"', 'gdp_case = "base"\nprograms = "../../etc/passwd"'),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--plan", str(folder), "--reports", str(tmp_path / "r")])
    assert result.exit_code == 3
    assert "points outside the plan folder" in result.output


def test_no_eval_pickle_or_unsafe_yaml_in_the_package() -> None:
    src = Path(__file__).resolve().parents[1] / "allocator"
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in ("eval(", "exec(", "pickle", "yaml.load(", "shell=True"):
            assert word not in text, f"{path.name} uses {word}"


def test_cli_run_from_other_directory_writes_under_reports_only(tmp_path: Path) -> None:
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        result = runner.invoke(app, ["--plan", str(DATA), "--cap", "2%"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == EXIT_OK
    assert [p.name for p in tmp_path.iterdir()] == ["reports"]
