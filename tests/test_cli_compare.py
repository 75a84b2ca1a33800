"""``allocate compare``, run as a user would (typer's CliRunner, real run folders)."""

from __future__ import annotations

from pathlib import Path

import pytest
from planbuilder import program, write_plan
from typer.testing import CliRunner

from allocator.api import allocate
from allocator.cli.app import app
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["compare", *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    # GDP 100,000: rank 1 P (0–1,500), rank 2 Q (1,000 or nothing). At 2 % Q does not fit,
    # at 3 % it does; at 1 % the mandatory M (1,500) cannot be paid: infeasible.
    root = tmp_path_factory.mktemp("runs")
    plan = write_plan(
        root / "plan",
        [program("P", 0, 1500, rank=1), program("Q", 1000, 1000, rank=2)],
        ranks=2,
    )
    bad = write_plan(root / "bad", [program("M", 1500, 1500, mandatory="yes")])
    out = {}
    for name, folder, cap in (
        ("cap2", plan, "2%"),
        ("cap3", plan, "3%"),
        ("infeasible", bad, "1%"),
    ):
        allocate(folder, Overrides(cap=parse_cap(cap)), out=root / name)
        out[name] = root / name
    return out


def test_compare_two_runs_prints_and_writes(runs: dict[str, Path], tmp_path: Path) -> None:
    code, out, err = invoke(runs["cap2"], runs["cap3"], "--out", tmp_path / "cmp")
    assert code == 0, err
    assert err == ""
    assert "A  cap2" in out and "B  cap3" in out
    assert "2026" in out and "+1,000" in out  # defence money in 2026 vs the reference
    assert "new         Q" in out  # Q is funded newly at 3 %
    assert "cap ratio" in out and "A 2%  B 3%" in out
    assert f"written: {tmp_path / 'cmp'}/" in out
    assert sorted(p.name for p in (tmp_path / "cmp").iterdir()) == [
        "compare.csv",
        "compare.png",
        "output.json",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]  # no hidden temp folder left
    csv = (tmp_path / "cmp" / "compare.csv").read_text(encoding="utf-8-sig")
    assert csv.splitlines()[0] == "section,key,metric,cap2,cap3,diff_cap3"
    assert "program,Q,funded,no,yes,new" in csv


def test_default_folder_is_never_overwritten(
    runs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        code, _, err = invoke(runs["cap2"], runs["cap3"], "--lang", "en")
        assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert names == ["compare-cap2-vs-cap3", "compare-cap2-vs-cap3-2"]


def test_three_plans_and_an_infeasible_one(runs: dict[str, Path], tmp_path: Path) -> None:
    code, out, err = invoke(runs["cap2"], runs["cap3"], runs["infeasible"], "--out", tmp_path / "o")
    assert code == 0, err
    assert "INFEASIBLE" in out
    assert "C infeasible: infeasible — no allocations to compare" in out
    csv = (tmp_path / "o" / "compare.csv").read_text(encoding="utf-8-sig")
    assert "plan,run,status,optimal,optimal,infeasible,,changed" in csv


def test_a_plan_compared_with_itself(runs: dict[str, Path], tmp_path: Path) -> None:
    code, out, _ = invoke(runs["cap2"], runs["cap2"], "--out", tmp_path / "o")
    assert code == 0
    assert "no program changed" in out
    assert "inputs: the same in every plan" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["ONE"], "two or more"),
        (["ONE", "missing-folder"], "no such file or folder"),
        (["ONE", "EMPTY"], "no plan.json"),
    ],
)
def test_bad_usage_is_exit_2_with_one_line(
    runs: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "EMPTY").mkdir()
    subst = {"ONE": str(runs["cap2"]), "EMPTY": str(tmp_path / "EMPTY")}
    code, out, err = invoke(
        *[subst.get(a, str(tmp_path / a)) for a in args], "--out", tmp_path / "o"
    )
    assert code == 2
    assert out == ""
    assert err.startswith("allocate: error: ") and message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_existing_out_needs_force(runs: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "o").mkdir()
    code, _, err = invoke(runs["cap2"], runs["cap3"], "--out", tmp_path / "o")
    assert code == 2 and "already exists" in err and err.count("\n") == 1
    code, _, _ = invoke(runs["cap2"], runs["cap3"], "--out", tmp_path / "o", "--force")
    assert code == 0 and (tmp_path / "o" / "compare.csv").is_file()


def test_unknown_language_is_refused(runs: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", str(runs["cap2"]), str(runs["cap3"]), "--lang", "fr"])
    assert result.exit_code == 2
