"""``allocate min-cap``: run as a user would (typer's CliRunner, the real solver, real files)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from planbuilder import program, write_plan
from typer.testing import CliRunner, Result

from allocator.cli.app import EXIT_INFEASIBLE, EXIT_OK, EXIT_USAGE, app
from allocator.cli.options import parse_ranks
from allocator.errors import UsageError

runner = CliRunner()


def two_years(tmp_path: Path) -> Path:
    # GDP 100,000, baseline 1,000. P (rank 1) wants 1,500 in 2026 → 2.5 %; Q (rank 2) wants
    # 800 in 2027 → 1.8 %.
    progs = [program("P", 0, 1500), program("Q", 0, 800, rank=2, first=2027, last=2027)]
    return write_plan(tmp_path / "plan", progs, years=2, ranks=2, baseline=1000)


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}"
    )
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("ranks", ["1-2", "1,2", "２,１", "1〜2"])
def test_min_cap_prints_uniform_and_path_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ranks: str
) -> None:
    plan = two_years(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    r = invoke("min-cap", "--ranks", ranks, "--plan", str(plan), "--lang", "en")
    assert r.exit_code == EXIT_OK, r.output
    assert "each rank as high as with no GDP cap: 2.5% of GDP, every year" in r.stdout
    assert "2.49% is not enough" in r.stdout
    assert "every floor met: " in r.stdout
    assert "ranks 1–2" in r.stdout
    lines = {ln.split()[0]: ln for ln in r.stdout.splitlines() if ln[:4] in ("2026", "2027")}
    assert "2,500" in lines["2026"] and "2.500%" in lines["2026"]
    assert "1,800" in lines["2027"] and "1.800%" in lines["2027"]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_min_cap_single_rank(tmp_path: Path) -> None:
    r = invoke("min-cap", "--ranks", "2", "--plan", str(two_years(tmp_path)), "--lang", "en")
    assert r.exit_code == EXIT_OK, r.output
    assert "rank 2" in r.stdout and "fully" not in r.stdout
    assert "each rank as high as with no GDP cap: 1.8% of GDP" in r.stdout


def test_min_cap_out_writes_csv(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = invoke("min-cap", "--ranks", "1-2", "--plan", str(two_years(tmp_path)), "--out", str(out))
    assert r.exit_code == EXIT_OK, r.output
    raw = (out / "min_cap.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["fiscal_year"], r["min_defense_total_oku_yen"], r["min_ratio"]) for r in rows] == [
        ("2026", "2500", "0.025000"),
        ("2027", "1800", "0.018000"),
    ]
    assert {r["uniform_min_cap_ratio"] for r in rows} == {"0.025000"}
    assert sorted(p.name for p in out.iterdir()) == ["min_cap.csv"]
    again = invoke("min-cap", "--ranks", "1-2", "--plan", str(two_years(tmp_path)),
                   "--out", str(out))  # fmt: skip
    assert again.exit_code == EXIT_USAGE and "already exists" in again.stderr


def test_min_cap_exit_4_when_no_cap_below_99_percent(tmp_path: Path) -> None:
    # P could take 200,000 in one year: even 99 % of GDP holds it back
    plan = write_plan(tmp_path / "plan", [program("P", 0, 200_000)])
    r = invoke("min-cap", "--ranks", "1", "--plan", str(plan))
    assert r.exit_code == EXIT_INFEASIBLE, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("allocate: error:")]
    assert len(lines) == 1 and "no cap below 99%" in lines[0]


@pytest.mark.parametrize("ranks", ["0", "a", "2-1", "3", "1-3", ""])
def test_min_cap_bad_ranks(tmp_path: Path, ranks: str) -> None:
    r = invoke("min-cap", "--ranks", ranks, "--plan", str(two_years(tmp_path)))
    assert r.exit_code == EXIT_USAGE, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("allocate: error:")]
    assert len(lines) == 1 and "--ranks" in lines[0], r.stderr


def test_parse_ranks() -> None:
    assert parse_ranks("1-3") == [1, 2, 3]
    assert parse_ranks("1,2,3") == [1, 2, 3]
    assert parse_ranks("3, 1") == [1, 3]
    assert parse_ranks("1-2,4") == [1, 2, 4]
    assert parse_ranks("１－３") == [1, 2, 3]
    with pytest.raises(UsageError):
        parse_ranks("1-")
