"""``allocate sweep``: run as a user would (typer's CliRunner, the real solver, real files)."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

import pytest
from planbuilder import program, write_plan
from typer.testing import CliRunner, Result

from allocator.cli.app import EXIT_INVALID_PLAN, EXIT_OK, EXIT_USAGE, app
from allocator.errors import UsageError
from allocator.plan.cap import parse_cap_range

runner = CliRunner()


def plan_folder(tmp_path: Path) -> Path:
    # baseline 1,000 of GDP 100,000: below 1 % there is no plan; P (rank 1) gets the room,
    # E (rank 2, economic security, outside the cap) its 300 whatever the cap
    progs = [program("P", 0, 5000), program("E", 0, 300, rank=2, area="H")]
    return write_plan(
        tmp_path / "plan",
        progs,
        ranks=2,
        baseline=1000,
        areas={"A": {}, "H": {"counts_toward_defense": False}},
    )


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}"
    )
    assert "Traceback" not in result.output
    return result


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "frontier.csv must be UTF-8 with BOM"
    assert b"\r\n" in raw
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_sweep_writes_frontier_and_reports_infeasible_caps(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = invoke(
        "sweep", "--cap", "0.5%..2%", "--step", "0.5%", "--plan", str(plan_folder(tmp_path)),
        "--out", str(out), "--floors", "hard", "--lang", "en",
    )  # fmt: skip
    assert r.exit_code == EXIT_OK, r.output
    rows = read_csv(out / "frontier.csv")
    assert [row["cap"] for row in rows] == ["0.5%", "1%", "1.5%", "2%"]
    assert [row["cap_ratio"] for row in rows] == ["0.005000", "0.010000", "0.015000", "0.020000"]
    assert [row["status"] for row in rows] == ["infeasible", "optimal", "optimal", "optimal"]
    assert [row["value_rank1"] for row in rows] == ["", "0", "500", "1000"]
    assert [row["value_rank2"] for row in rows] == ["", "300", "300", "300"]
    assert [row["other_alloc_oku_yen"] for row in rows] == ["", "300", "300", "300"]
    assert [row["total_alloc_oku_yen"] for row in rows] == ["", "300", "800", "1300"]
    assert (out / "frontier.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in out.iterdir()) == ["frontier.csv", "frontier.png", "output.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temp folder left"
    # the table on stdout, one progress line per cap on stderr
    assert "infeasible" in r.stdout and "1,000" in r.stdout and "no plan at: 0.5%" in r.stdout
    assert r.stderr.count("sweep: ") == 4 and "4/4" in r.stderr


def test_sweep_default_folder_is_never_overwritten(tmp_path: Path) -> None:
    plan = str(plan_folder(tmp_path))
    reports = tmp_path / "reports"
    for _ in range(2):
        r = invoke("sweep", "--cap", "1%..2%", "--step", "1%", "--plan", plan,
                   "--reports", str(reports), "--lang", "en")  # fmt: skip
        assert r.exit_code == EXIT_OK, r.output
    assert sorted(p.name for p in reports.iterdir()) == [
        "test-plan-sweep-1pct-2pct",
        "test-plan-sweep-1pct-2pct-2",
    ]
    assert "written: " in r.stdout and "test-plan-sweep-1pct-2pct-2" in r.stdout


def test_sweep_accepts_full_width_caps(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = invoke("sweep", "--cap", "１．５％〜２％", "--step", "０．５％",
               "--plan", str(plan_folder(tmp_path)), "--out", str(out))  # fmt: skip
    assert r.exit_code == EXIT_OK, r.output
    assert [row["cap"] for row in read_csv(out / "frontier.csv")] == ["1.5%", "2%"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--cap", "3%..2%"], "goes down"),
        (["--cap", "2%..abc"], "not a ratio"),
        (["--cap", "1%..2%", "--step", "0"], "--step"),
        (["--cap", "1%..2%", "--step", "0.0001%"], "too many"),
        (["--cap", "1%..2%", "--lang", "fr"], "--lang"),
    ],
)
def test_sweep_bad_options(tmp_path: Path, args: list[str], words: str) -> None:
    out = tmp_path / "out"
    r = invoke("sweep", *args, "--plan", str(plan_folder(tmp_path)), "--out", str(out))
    assert r.exit_code == EXIT_USAGE, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("allocate: error:")]
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert not out.exists()


def test_sweep_existing_out_and_bad_plan(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    r = invoke("sweep", "--cap", "2%", "--plan", str(plan_folder(tmp_path)), "--out", str(out))
    assert r.exit_code == EXIT_USAGE and "already exists" in r.stderr
    r = invoke("sweep", "--cap", "2%", "--plan", str(tmp_path / "nowhere"))
    assert r.exit_code == EXIT_INVALID_PLAN and "allocate: error:" in r.stderr


def test_parse_cap_range() -> None:
    assert parse_cap_range("1.5%..2.5%") == (Fraction(3, 200), Fraction(1, 40))
    assert parse_cap_range("0.015~0.025") == (Fraction(3, 200), Fraction(1, 40))
    assert parse_cap_range("２％") == (Fraction(1, 50), Fraction(1, 50))
    for bad in ("..2%", "1%..2%..3%", "2%..1%"):
        with pytest.raises(UsageError):
            parse_cap_range(bad)


def test_every_command_is_registered_once() -> None:
    names = [c.name for c in app.registered_commands]
    assert sorted(names) == [
        "compare",
        "evaluate",
        "min-cap",
        "montecarlo",
        "replan",
        "risk",
        "sweep",
        "verify",
    ]
