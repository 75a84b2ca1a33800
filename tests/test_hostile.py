"""The hostile suite (issue 8): bad input, bad disks, bad timing and tampered run folders, each
case run as a user would run it, asserting the exit code, the one-line message, that no
traceback or internal error appears, and that no file outside the run folder changed (a
snapshot of every file with its SHA-256, and every folder, before and after).

Commands run through typer's CliRunner (the same app the console script runs) except where
the entry point itself is under test (Ctrl-C, start-up, full disks): those run the real
``.venv/bin/allocate`` or :func:`allocator.cli.main` in a subprocess. ``CASE_COUNT`` at the
bottom counts the cases (each parametrised id is one case).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DATA
from planbuilder import program, write_plan
from typer.testing import CliRunner

from allocator.cli.app import app
from allocator.cli.exits import (
    EXIT_INTERRUPTED,
    EXIT_INVALID_PLAN,
    EXIT_OK,
    EXIT_OUTPUT_FAILED,
    EXIT_USAGE,
    EXIT_VERIFY_FAILED,
)

runner = CliRunner()
EXE = Path(sys.executable).with_name("allocate")
PY = sys.executable

# ---------------------------------------------------------------------------------------------
# running and watching


def tree(root: Path) -> dict[str, str]:
    """{relative path: SHA-256 of a file, ``<dir>`` or ``-> target`` of a link} of everything
    under ``root``."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            out[rel] = "<dir>"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def unchanged_except(before: dict[str, str], after: dict[str, str], *allowed: str) -> None:
    """Everything in ``before`` is still there and the same, and nothing new appeared, except
    under the ``allowed`` relative paths (the run folder a successful command wrote)."""

    def free(rel: str) -> bool:
        return any(rel == a or rel.startswith(a.rstrip("/") + "/") for a in allowed)

    changed = sorted(
        k for k in set(before) | set(after) if before.get(k) != after.get(k) and not free(k)
    )
    assert not changed, f"files changed outside the run folder: {changed[:10]}"


def cli(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``allocate ARGS`` through the app; no exception escapes, no traceback is printed."""
    result = runner.invoke(app, [str(a) for a in args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    out = result.output
    assert "Traceback" not in out, out
    assert "internal error" not in out, out
    return result.exit_code, out


def one_error_line(out: str) -> str:
    lines = [ln for ln in out.splitlines() if ln.startswith("allocate: error:")]
    assert len(lines) == 1, out
    return lines[0]


def check(out: str, code: int, want_code: int, words: tuple[str, ...]) -> None:
    assert code == want_code, out
    line = one_error_line(out) if want_code in (EXIT_USAGE, EXIT_INVALID_PLAN, 8) else out
    for w in words:
        assert w in line, f"{w!r} not in {line!r}"


# ---------------------------------------------------------------------------------------------
# a workspace: a plan, a user's own files, and (for some cases) run folders


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    w = tmp_path / "ws"
    shutil.copytree(DATA, w / "plan")
    (w / "docs").mkdir()
    (w / "docs" / "notes.txt").write_text("my notes", encoding="utf-8")
    (w / "notes.txt").write_text("a note", encoding="utf-8")
    (w / "file.txt").write_text("a file", encoding="utf-8")
    return w


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete run folder of a small plan (solved once; tests copy it)."""
    base = tmp_path_factory.mktemp("small")
    plan = write_plan(
        base / "plan",
        [program("P1", 100, 300, first=2026, last=2027), program("P2", 0, 200, last=2027)],
        years=2,
    )
    code, out = cli(["--plan", plan, "--out", base / "run"])
    assert code == EXIT_OK, out
    return base / "run"


@pytest.fixture(scope="module")
def shipped_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped plan at 2 % with its reports (solved once; tests copy it)."""
    out = tmp_path_factory.mktemp("shipped") / "run"
    code, text = cli(["--plan", DATA, "--out", out])
    assert code == EXIT_OK, text
    return out


def edit_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8-sig")
    assert old in text, f"{old!r} not in {path.name}"
    bom = path.read_bytes().startswith(b"\xef\xbb\xbf")
    path.write_text(text.replace(old, new, 1), encoding="utf-8-sig" if bom else "utf-8")


def set_cell(path: Path, key: str, column: str, value: str, key_col: str = "program_id") -> None:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and column in rows[0], column
    hit = [r for r in rows if r[key_col] == key]
    assert hit, key
    for r in hit:
        r[column] = value
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)


# ---------------------------------------------------------------------------------------------
# 1. plan files: refused with file, row or key, column, and the fix (exit 3)

Mutate = Callable[[Path], None]


def toml(old: str, new: str) -> Mutate:
    return lambda plan: edit_text(plan / "plan.toml", old, new)


def cell(pid: str, column: str, value: str) -> Mutate:
    return lambda plan: set_cell(plan / "programs.csv", pid, column, value)


def header(old: str, new: str, name: str = "programs.csv") -> Mutate:
    def fn(plan: Path) -> None:
        path = plan / name
        lines = path.read_text(encoding="utf-8-sig").split("\n")
        assert old in lines[0]
        lines[0] = lines[0].replace(old, new)
        path.write_text("\n".join(lines), encoding="utf-8-sig")

    return fn


def raw(name: str, fn: Callable[[bytes], bytes]) -> Mutate:
    return lambda plan: (plan / name).write_bytes(fn((plan / name).read_bytes()))


def extra_column_with_data(plan: Path) -> None:
    path = plan / "programs.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines = [ln + ("," if i == 0 else ",stray") for i, ln in enumerate(lines)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def huge_file(plan: Path) -> None:
    with (plan / "programs.csv").open("r+b") as f:
        f.truncate(101_000_000)  # sparse: no disk used


PLAN_CASES: list[tuple[str, Mutate, tuple[str, ...]]] = [
    # non-finite and out-of-range numbers in plan.toml
    ("toml-growth-nan", toml("# max_growth_ratio = 0.5 ", "max_growth_ratio = nan #"),
     ("plan.toml", "max_growth_ratio", "not a finite number")),
    ("toml-gap-nan", toml("gap = 0.0", "gap = nan"), ("plan.toml", "[solver] gap", "finite")),
    ("toml-gap-inf", toml("gap = 0.0", "gap = inf"), ("[solver] gap", "finite")),
    ("toml-tolerance-neg-inf", toml("tolerance = 0.0", "tolerance = -inf"), ("tolerance", "finite")),
    ("toml-time-limit-inf", toml("time_limit_seconds = 120", "time_limit_seconds = inf"),
     ("time_limit_seconds", "finite")),
    ("toml-time-limit-huge", toml("time_limit_seconds = 120", "time_limit_seconds = 1e12"),
     ("time_limit_seconds", "longest time limit")),
    ("toml-ratio-nan", toml('ratio = "2%"', "ratio = nan"), ("[cap] ratio", "finite")),
    ("toml-baseline-1e30", toml("oku_yen = 90353", "oku_yen = " + "1" + "0" * 30),
     ("[baseline] oku_yen", "largest amount the model can hold")),
    ("toml-area-high-1e30", toml("high_oku_yen = 60000", "high_oku_yen = 1e30"),
     ("[[areas]] #1 high_oku_yen", "largest amount")),
    ("toml-area-high-inf", toml("high_oku_yen = 60000", "high_oku_yen = inf"), ("finite",)),
    ("toml-fiscal-total-1e30", toml("max_new_total_oku_yen = 500000", "max_new_total_oku_yen = 1e30"),
     ("max_new_total_oku_yen", "largest amount")),
    ("toml-5000-digits", toml("oku_yen = 90353", "oku_yen = " + "9" * 5000), ("cannot be read",)),
    ("toml-first-year-20260", toml("first_year = 2026 ", "first_year = 20260 "),
     ("[plan] first_year", "not a fiscal year")),
    # years outside the horizon
    ("per-year-2099", toml("# no single-year ceilings", "2099 = 1"),
     ("[fiscal.per_year_oku_yen] 2099", "outside the plan's horizon 2026–2040")),
    ("by-year-2099", toml("# no overrides", "2099 = 1"),
     ("[baseline.by_year] 2099", "outside the plan's horizon")),
    ("by-year-2025", toml("# no overrides", "2025 = 90000"), ("[baseline.by_year] 2025",)),
    ("by-year-not-a-year", toml("# no overrides", '"20x7" = 1'), ("not a fiscal year",)),
    # ranks' areas against the programs' rank
    ("rank-areas-contradict", cell("A01", "rank", "6"),
     ("programs.csv, row 2, column rank", "A01 is in area A with rank 6", "rank 1")),
    ("rank-areas-empty", toml('areas = ["D", "E"]', "areas = []"),
     ("rank 2 lists no areas", "D, E")),
    ("rank-areas-extra", toml('areas = ["I"]', 'areas = ["I", "A"]'),
     ("rank 6 lists area A", "have rank 1")),
    # unknown, nameless and doubled things in the CSV files
    ("misspelt-column", header("mandatory", "mandatroy"),
     ("unknown column 'mandatroy'", "did you mean mandatory", "row 1")),
    ("unknown-column", header(",note", ",note,comment"), ("unknown column 'comment'",)),
    ("gdp-unknown-column", header(",source", ",source,remark", "gdp.csv"),
     ("gdp.csv", "unknown column 'remark'")),
    ("nameless-column-with-data", extra_column_with_data, ("has no name", "row 2")),
    ("doubled-bom-programs", raw("programs.csv", lambda b: b"\xef\xbb\xbf" + b),
     ("programs.csv", "two byte-order marks")),
    ("doubled-bom-gdp", raw("gdp.csv", lambda b: b"\xef\xbb\xbf" + b),
     ("gdp.csv", "two byte-order marks")),
    ("doubled-bom-toml", raw("plan.toml", lambda b: b"\xef\xbb\xbf\xef\xbb\xbf" + b),
     ("plan.toml", "two byte-order marks")),
    ("cell-10mb", cell("A01", "note", "x" * 10_000_000),
     ("programs.csv, row 2, column note", "10,000,000 characters")),
    ("file-101mb", huge_file, ("programs.csv", "more than a plan file can be")),
    # money the model cannot hold
    ("money-1e30", cell("A01", "high_oku_yen", "1" + "0" * 30),
     ("row 2, column high_oku_yen", "too large")),
    ("money-2e9", cell("A01", "high_oku_yen", "2000000000"),
     ("row 2, column high_oku_yen", "largest amount the model can hold")),
    ("money-5000-digits", cell("A01", "low_oku_yen", "7" * 5000), ("row 2", "too large")),
    ("gdp-1e30", lambda p: set_cell(p / "gdp.csv", "2026", "gdp_oku_yen", "1" + "0" * 30,
                                    key_col="fiscal_year"), ("gdp.csv", "gdp_oku_yen")),
    ("profile-1e30", cell("A01", "payment_profile", "2026:" + "1" + "0" * 30),
     ("payment_profile", "largest amount")),
    ("value-1e300", cell("A01", "value", "1e300"), ("column value", "largest value")),
    ("value-nan", cell("A01", "value", "nan"), ("column value", "finite")),
    ("value-inf", cell("A01", "value", "inf"), ("column value", "finite")),
    ("window-year-99999", cell("A01", "window_last_year", "99999"),
     ("window_last_year", "not a fiscal year")),
    # the earlier bad-input kinds, on the shipped plan
    ("low-abc", cell("A01", "low_oku_yen", "abc"), ("row 2", "not a whole number")),
    ("high-nan-text", cell("A01", "high_oku_yen", "NaN"), ("not a whole number",)),
    ("thousands-separator", cell("A01", "high_oku_yen", "1,200"), ("thousands separators",)),
    ("decimal-money", cell("A01", "high_oku_yen", "1.5"), ("round to an integer",)),
    ("negative-money", cell("A01", "low_oku_yen", "-5"), ("below 0",)),
    ("unknown-area", cell("A01", "area", "Z"), ("unknown area",)),
    ("unknown-rank", cell("A01", "rank", "9"), ("unknown rank",)),
    ("bad-mandatory", cell("A01", "mandatory", "maybe"), ("not yes or no",)),
    ("self-predecessor", cell("A01", "predecessor", "A01"), ("names itself",)),
    ("missing-column", header("high_oku_yen", "high"), ("no column 'high_oku_yen'", "rename")),
    ("duplicate-column", header(",note", ",rank"), ("appears twice",)),
    ("semicolons", raw("programs.csv", lambda b: b.replace(b",", b";")), ("semicolons",)),
    ("not-text", raw("programs.csv", lambda b: b"\x80\x81\xff\xfe\x00\xff"), ("neither UTF-8",)),
    ("empty-toml", raw("plan.toml", lambda b: b""), ("empty",)),
    ("toml-syntax", toml('name = "japan-defense-2026"', "name = japan defence"),
     ("TOML syntax error", "row 7")),
    ("toml-unknown-key", toml("[solver]", "[solver]\ngapp = 0.1"), ("not a known setting",)),
    ("programs-missing", lambda p: (p / "programs.csv").unlink(), ("file not found",)),
    ("gdp-year-missing", lambda p: set_cell(p / "gdp.csv", "2030", "fiscal_year", "1999",
                                            key_col="fiscal_year"), ("no GDP for 2030",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "words"), [c[1:] for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES]
)
def test_bad_plan_is_refused_and_nothing_is_written(
    ws: Path, mutate: Mutate, words: tuple[str, ...]
) -> None:
    mutate(ws / "plan")
    before = tree(ws)
    code, out = cli(["--plan", ws / "plan", "--reports", ws / "reports"])
    check(out, code, EXIT_INVALID_PLAN, words)
    assert " — " in one_error_line(out), "the message says how to fix it"
    unchanged_except(before, tree(ws))


# ---------------------------------------------------------------------------------------------
# 2. options: one line in the tool's words, the value and the allowed range (exit 2)

OPTION_CASES: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("cap-1e309", ["--cap", "1e309"], ("--cap", "100% or more")),
    ("cap-minus-1e309", ["--cap", "-1e309"], ("--cap", "0 or below")),
    ("cap-1e-400", ["--cap", "1e-400"], ("--cap", "more decimals")),
    ("cap-nan", ["--cap", "nan"], ("--cap", "not a ratio")),
    ("cap-inf", ["--cap", "inf"], ("--cap", "not a ratio")),
    ("cap-empty", ["--cap", ""], ("--cap",)),
    ("cap-150pct", ["--cap", "150%"], ("--cap", "100% or more")),
    ("cap-comma", ["--cap", "2,5%"], ("--cap", "not a ratio")),
    ("cap-10k-chars", ["--cap", "9" * 10_000], ("--cap", "characters")),
    ("years-0", ["--years", "0"], ("--years: 0 is not a horizon length", "between 1 and 100")),
    ("years-101", ["--years", "101"], ("--years: 101", "between 1 and 100")),
    ("years-text", ["--years", "ten"], ("--years: 'ten' is not a whole number",)),
    ("years-huge", ["--years", "1" + "0" * 40], ("--years", "is not a horizon length")),
    ("first-year-1", ["--first-year", "1"], ("--first-year: 1", "between 1900 and 2200")),
    ("first-year-99999", ["--first-year", "99999"], ("--first-year", "1900 and 2200")),
    ("first-year-text", ["--first-year", "next"], ("--first-year", "not a whole number")),
    ("time-limit-inf", ["--time-limit", "inf"], ("--time-limit: 'inf' is not a finite number",)),
    ("time-limit-nan", ["--time-limit", "nan"], ("--time-limit", "finite")),
    ("time-limit-0", ["--time-limit", "0"], ("--time-limit: 0", "between 0.1 and 1,000,000")),
    ("time-limit-negative", ["--time-limit", "-5"], ("--time-limit", "0.1")),
    ("time-limit-1e300", ["--time-limit", "1e300"], ("--time-limit", "1,000,000")),
    ("gap-nan", ["--gap", "nan"], ("--gap", "finite")),
    ("gap-inf", ["--gap", "inf"], ("--gap", "finite")),
    ("gap-2", ["--gap", "2"], ("--gap: 2 is not a relative gap", "0.99")),
    ("gap-negative", ["--gap", "-0.1"], ("--gap", "0.99")),
    ("gdp-case-empty", ["--gdp-case", ""], ("--gdp-case", "empty")),
    ("gdp-case-blank", ["--gdp-case", "   "], ("--gdp-case", "empty")),
    ("gdp-case-unknown", ["--gdp-case", "boom"], ("--gdp-case", "past_projection")),
    ("lang-xx", ["--lang", "xx"], ("--lang",)),
    ("cap-base-bogus", ["--cap-base", "bogus"], ("--cap-base",)),
]


@pytest.mark.parametrize(
    ("args", "words"), [c[1:] for c in OPTION_CASES], ids=[c[0] for c in OPTION_CASES]
)
def test_bad_option_is_refused_in_one_line(
    ws: Path, args: list[str], words: tuple[str, ...]
) -> None:
    before = tree(ws)
    code, out = cli(["--plan", ws / "plan", "--reports", ws / "reports", *args])
    check(out, code, EXIT_USAGE, words)
    unchanged_except(before, tree(ws))


OTHER_COMMAND_CASES: list[tuple[str, list[str], int, tuple[str, ...]]] = [
    ("plan-is-programs-csv", ["--plan", "{plan}/programs.csv"], EXIT_USAGE,
     ("--plan", "give the plan folder or its plan.toml", "not programs.csv")),
    ("plan-is-gdp-csv", ["--plan", "{plan}/gdp.csv"], EXIT_USAGE, ("not gdp.csv",)),
    ("plan-missing", ["--plan", "{ws}/nowhere"], EXIT_INVALID_PLAN, ("file not found",)),
    ("min-cap-ranks-1e12", ["min-cap", "--plan", "{plan}", "--ranks", "1-1000000000000"],
     EXIT_USAGE, ("--ranks", "1000000000000", "beyond any plan")),
    ("min-cap-ranks-missing", ["min-cap", "--plan", "{plan}", "--ranks", "1-99999"], EXIT_USAGE,
     ("the plan has no rank 7–99999", "1–6")),
    ("min-cap-ranks-0", ["min-cap", "--plan", "{plan}", "--ranks", "0"], EXIT_USAGE, ("--ranks",)),
    ("min-cap-out-is-file", ["min-cap", "--plan", "{plan}", "--ranks", "1", "--out", "{ws}/file.txt"],
     EXIT_USAGE, ("file.txt", "is a file")),
    ("min-cap-out-under-file", ["min-cap", "--plan", "{plan}", "--ranks", "1", "--out",
     "{ws}/file.txt/sub"], EXIT_USAGE, ("is a file, not a folder",)),
    ("min-cap-time-limit-inf", ["min-cap", "--plan", "{plan}", "--ranks", "1", "--time-limit", "inf"],
     EXIT_USAGE, ("--time-limit", "finite")),
    ("min-cap-gdp-case-empty", ["min-cap", "--plan", "{plan}", "--ranks", "1", "--gdp-case", ""],
     EXIT_USAGE, ("--gdp-case", "empty")),
    ("sweep-step-1e-9", ["sweep", "--plan", "{plan}", "--cap", "1.5%..2.5%", "--step", "1e-9%"],
     EXIT_USAGE, ("--step", "more decimals")),
    ("sweep-step-tiny", ["sweep", "--plan", "{plan}", "--cap", "1.5%..2.5%", "--step",
     "0.0000001%"], EXIT_USAGE, ("--step", "too many")),
    ("sweep-cap-1e309", ["sweep", "--plan", "{plan}", "--cap", "1e309..2%"], EXIT_USAGE, ("--cap",)),
    ("sweep-out-is-file", ["sweep", "--plan", "{plan}", "--cap", "2%", "--out", "{ws}/file.txt"],
     EXIT_USAGE, ("file.txt", "never replaced")),
    ("sweep-time-limit-nan", ["sweep", "--plan", "{plan}", "--cap", "2%", "--time-limit", "nan"],
     EXIT_USAGE, ("--time-limit",)),
    ("verify-not-a-run", ["verify", "{ws}/docs"], EXIT_USAGE, ("not a run folder",)),
    ("verify-a-file", ["verify", "{ws}/file.txt"], EXIT_USAGE, ("not a run folder",)),
    ("compare-one-run", ["compare", "{ws}/docs"], EXIT_USAGE, ("two or more",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "want", "words"),
    [c[1:] for c in OTHER_COMMAND_CASES],
    ids=[c[0] for c in OTHER_COMMAND_CASES],
)
def test_other_commands_refuse_bad_input(
    ws: Path, args: list[str], want: int, words: tuple[str, ...]
) -> None:
    before = tree(ws)
    filled = [a.format(ws=ws, plan=ws / "plan") for a in args]
    code, out = cli(filled)
    check(out, code, want, words)
    unchanged_except(before, tree(ws))


def test_empty_signing_key_is_refused(ws: Path, small_run: Path) -> None:
    before = tree(ws)
    code, out = cli(["verify", small_run], env={"ALLOCATOR_SIGNING_KEY": " "})
    check(out, code, EXIT_USAGE, ("ALLOCATOR_SIGNING_KEY", "empty"))
    code, out = cli(
        ["--plan", ws / "plan", "--reports", ws / "r"], env={"ALLOCATOR_SIGNING_KEY": ""}
    )
    check(out, code, EXIT_USAGE, ("ALLOCATOR_SIGNING_KEY",))
    unchanged_except(before, tree(ws))


# ---------------------------------------------------------------------------------------------
# 3. output paths: --force replaces only a folder allocate wrote (exit 2, nothing touched)


def _make_run_copy(small_run: Path, where: Path) -> Path:
    shutil.copytree(small_run, where)
    return where


OUTPUT_CASES: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("out-is-plan-folder", ["--out", "{plan}", "--force"], ("reads from", "never replaces")),
    ("out-holds-plan-folder", ["--out", "{ws}", "--force"], ("holds", "reads from")),
    ("out-user-folder", ["--out", "{ws}/docs", "--force"], ("not a folder written by allocate",)),
    ("out-user-folder-no-force", ["--out", "{ws}/docs"], ("already exists", "--force")),
    ("out-plain-file-force", ["--out", "{ws}/notes.txt", "--force"], ("a file of that name exists", "never replaced")),
    ("out-plain-file", ["--out", "{ws}/notes.txt"], ("a file of that name exists",)),
    ("out-under-a-file", ["--out", "{ws}/file.txt/run"], ("file.txt is a file, not a folder",)),
    ("reports-is-a-file", ["--reports", "{ws}/file.txt"], ("--reports", "is a file")),
    ("out-name-300", ["--out", "{ws}/" + "a" * 300], ("300 bytes long", "shorter name")),
    ("out-name-250", ["--out", "{ws}/" + "b" * 250], ("250 bytes long", "hidden temporary name")),
    ("out-path-5000", ["--out", "{ws}/" + "/".join(["c" * 200] * 25)], ("too long",)),
    ("out-run-with-user-file", ["--out", "{ws}/run_extra", "--force"],
     ("holds notes.docx", "did not write")),
    ("out-symlink-to-run", ["--out", "{ws}/link", "--force"], ("symbolic link",)),
    ("out-run-holding-plan", ["--plan", "{ws}/run_plan/inputs", "--out", "{ws}/run_plan", "--force"],
     ("reads from",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "words"), [c[1:] for c in OUTPUT_CASES], ids=[c[0] for c in OUTPUT_CASES]
)
def test_output_path_is_refused_before_solving(
    ws: Path, small_run: Path, args: list[str], words: tuple[str, ...]
) -> None:
    extra = _make_run_copy(small_run, ws / "run_extra")
    (extra / "notes.docx").write_bytes(b"the user's own document")
    _make_run_copy(small_run, ws / "run_plan")
    (ws / "link").symlink_to(_make_run_copy(small_run, ws / "run_target"))
    before = tree(ws)
    filled = [a.format(ws=ws, plan=ws / "plan") for a in args]
    if "--plan" not in filled:
        filled = ["--plan", str(ws / "plan"), *filled]
    code, out = cli(filled)
    check(out, code, EXIT_USAGE, words)
    unchanged_except(before, tree(ws))


@pytest.mark.parametrize("where", [".", ".."])
def test_out_current_folder_or_its_parent_is_never_replaced(
    ws: Path, small_run: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    inside = _make_run_copy(small_run, ws / "runs" / "current")
    (inside.parent / "plan.json").write_text(json.dumps({"format": "allocator-run/1"}))
    monkeypatch.chdir(inside)
    before = tree(ws)
    code, out = cli(["--plan", ws / "plan", "--out", where, "--force"])
    check(out, code, EXIT_USAGE, ("the folder you are working in", "never replaces"))
    unchanged_except(before, tree(ws))


def test_compare_never_replaces_a_run_it_compares(ws: Path, small_run: Path) -> None:
    a = _make_run_copy(small_run, ws / "a")
    b = _make_run_copy(small_run, ws / "b")
    other = _make_run_copy(small_run, ws / "other")  # a run folder, not a comparison
    before = tree(ws)
    code, out = cli(["compare", a, b, "--out", a, "--force"])
    check(out, code, EXIT_USAGE, ("reads from",))
    code, out = cli(["compare", a, b, "--out", ws / "docs", "--force"])
    check(out, code, EXIT_USAGE, ("not a folder written by allocate",))
    code, out = cli(["compare", a, b, "--out", other, "--force"])
    check(out, code, EXIT_USAGE, ("is a run folder of allocate", "only comparison folders"))
    unchanged_except(before, tree(ws))


def test_force_replaces_a_run_folder_and_only_it(ws: Path, small_run: Path) -> None:
    plan = write_plan(ws / "small", [program("P1", 100, 300, first=2026, last=2027)], years=2)
    run = _make_run_copy(small_run, ws / "run")
    old = tree(run)
    before = tree(ws)
    code, out = cli(["--plan", plan, "--out", run, "--force", "--cap", "1.5%"])
    assert code == EXIT_OK, out
    assert tree(run) != old and json.loads((run / "plan.json").read_text())["plan"]["cap"] == "1.5%"
    unchanged_except(before, tree(ws), "run")
    assert not [p for p in ws.iterdir() if p.name.startswith(".")], "no hidden folder left"
    code, out = cli(["verify", run])
    assert code == EXIT_OK, out


def test_force_replaces_a_comparison_folder_it_wrote(ws: Path, small_run: Path) -> None:
    a = _make_run_copy(small_run, ws / "a")
    b = _make_run_copy(small_run, ws / "b")
    code, out = cli(["compare", a, b, "--out", ws / "cmp"])
    assert code == EXIT_OK, out
    assert json.loads((ws / "cmp" / "output.json").read_text())["format"] == "allocator-compare/1"
    before = tree(ws)
    code, out = cli(["compare", a, b, "--out", ws / "cmp", "--force", "--lang", "en"])
    assert code == EXIT_OK, out
    unchanged_except(before, tree(ws), "cmp")


def test_left_overs_of_killed_runs_are_cleaned_or_restored(ws: Path, small_run: Path) -> None:
    dead = 999_999_999  # no such process
    reports = ws / "reports"
    half = _make_run_copy(small_run, reports / f".half.tmp-{dead}")
    (half / "ranks.csv").unlink()
    _make_run_copy(small_run, reports / f".kept.old-{dead}")  # a --force run died mid-swap
    mine = reports / f".mine.tmp-{dead}"
    mine.mkdir()
    (mine / "thesis.docx").write_text("not allocate's", encoding="utf-8")
    (reports / f".min_cap.csv.tmp-{dead}").write_text("half", encoding="utf-8")
    code, out = cli(["--plan", ws / "plan", "--reports", reports])
    assert code == EXIT_OK, out
    assert f"removed {half}" in out and f"restored {reports / 'kept'}" in out
    assert f"left {mine} alone" in out
    names = sorted(p.name for p in reports.iterdir())
    assert names == [f".mine.tmp-{dead}", "japan-defense-2026-cap2pct", "kept"], names
    assert (mine / "thesis.docx").read_text(encoding="utf-8") == "not allocate's"
    assert cli(["verify", reports / "kept"])[0] == EXIT_OK


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "with-force"])
def test_a_name_taken_while_solving_goes_to_the_next_number(
    ws: Path, small_run: Path, force: list[str]
) -> None:
    """The default folder is reserved when it is placed, not when the run starts: a folder
    that appears meanwhile (another run finished first) is never replaced, --force or not
    (--force applies to --out only)."""
    import allocator.api

    reports = ws / "reports"
    real = allocator.api.default_run_dir

    def taken_meanwhile(*args: object, **kw: object) -> Path:
        guess = real(*args, **kw)  # type: ignore[arg-type]
        shutil.copytree(small_run, guess)  # another run takes the name after our guess
        return guess

    allocator.api.default_run_dir = taken_meanwhile  # type: ignore[assignment]
    try:
        code, out = cli(["--plan", ws / "plan", "--reports", reports, *force])
    finally:
        allocator.api.default_run_dir = real  # type: ignore[assignment]
    assert code == EXIT_OK, out
    assert "japan-defense-2026-cap2pct-2/" in out
    assert tree(reports / "japan-defense-2026-cap2pct") == tree(small_run)


# ---------------------------------------------------------------------------------------------
# 4. bad disks and bad timing: the real entry point in a subprocess


def run_script(
    code: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with a fresh interpreter, then :func:`allocator.cli.main` (the console
    script's function); ``sys.argv`` is set by the code."""
    full = textwrap.dedent(code) + "\nfrom allocator.cli import main\nmain()\n"
    return subprocess.run(
        [PY, "-c", full], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


def assert_clean_exit(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    err = proc.stderr
    assert proc.returncode == code, (proc.returncode, err, proc.stdout[-500:])
    assert "Traceback" not in err and "Traceback" not in proc.stdout, err
    lines = [ln for ln in err.splitlines() if ln.startswith("allocate:")]
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.mark.slow
def test_parent_removed_while_writing_leaves_nothing(ws: Path) -> None:
    proc = run_script(
        f"""
        import shutil, sys
        import allocator.report as report
        real = report.write_reports
        def remove_parent_then_write(folder, lang="ja", **kw):
            shutil.rmtree({str(ws / "out")!r})  # another program removes the parent
            return real(folder, lang, **kw)
        report.write_reports = remove_parent_then_write
        sys.argv = ["allocate", "--plan", "plan", "--out", "out/run"]
        """,
        ws,
    )
    assert_clean_exit(proc, EXIT_OUTPUT_FAILED, "out/run", "disappeared", "nothing was left")
    assert not (ws / "out").exists()


@pytest.mark.slow
def test_files_removed_while_writing_are_never_placed(ws: Path) -> None:
    proc = run_script(
        """
        import shutil, sys
        import allocator.report as report
        real = report.write_reports
        def remove_inputs_then_write(folder, lang="ja", **kw):
            shutil.rmtree(folder / "inputs")  # a racing `rm -rf` got this far, then failed
            return real(folder, lang, **kw)
        report.write_reports = remove_inputs_then_write
        sys.argv = ["allocate", "--plan", "plan", "--out", "out/run"]
        """,
        ws,
    )
    assert_clean_exit(proc, EXIT_OUTPUT_FAILED, "inputs/plan.toml", "disappeared")
    assert not (ws / "out").exists(), "no folder at the final path, no temporary, no parent"


def _unshare_works() -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt || exit 1"],
        capture_output=True,
    )
    return probe.returncode == 0


needs_unshare = pytest.mark.skipif(
    not _unshare_works(), reason="needs unshare -rm and tmpfs (a private mount namespace)"
)


def _in_small_disk(
    ws: Path, size: str, readonly: bool, args: str
) -> subprocess.CompletedProcess[str]:
    mnt = ws / "mnt"
    mnt.mkdir()
    remount = f"mount -o remount,ro {mnt} && " if readonly else ""
    script = (
        f"mount -t tmpfs -o size={size} tmpfs {mnt} && {remount}{EXE} {args}; echo rc=$? >&2; "
        f"echo left:$(ls -A {mnt}) >&2"
    )
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], cwd=ws, capture_output=True, text=True, timeout=300
    )


@needs_unshare
@pytest.mark.slow
@pytest.mark.parametrize(("size", "readonly", "args", "words"), [
    ("64k", True, "--plan plan --out mnt/run", ("read-only", "nothing was written")),
    ("64k", True, "--plan plan --reports mnt", ("read-only",)),
    ("64k", True, "sweep --plan plan --cap 2% --out mnt/sw", ("read-only",)),
    ("64k", True, "min-cap --plan plan --ranks 1 --out mnt/mc", ("read-only",)),
    ("100k", False, "--plan plan --out mnt/run", ("no space is left", "nothing was left at")),
    ("100k", False, "--plan plan --reports mnt", ("no space is left",)),
])  # fmt: skip
def test_read_only_or_full_disk(
    ws: Path, size: str, readonly: bool, args: str, words: tuple[str, ...]
) -> None:
    before = tree(ws / "plan")
    proc = _in_small_disk(ws, size, readonly, args)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("allocate:")]
    assert f"rc={EXIT_OUTPUT_FAILED}" in proc.stderr, proc.stderr
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert tree(ws / "plan") == before
    assert "left:\n" in proc.stderr, "nothing is left on the small disk"


def _ctrl_c_at(
    hook: str, ws: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the entry point with a real SIGINT sent to itself at the moment ``hook`` names."""
    code = (
        "import os, signal, sys, time\n"
        + hook
        + '\nsys.argv = ["allocate", "--plan", "plan", "--reports", "reports"]\n'
    )
    return run_script(code, ws, env)


CTRL_C_DURING_IMPORT = """
import importlib.abc
class CtrlCOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "TARGET":
            os.kill(os.getpid(), signal.SIGINT); time.sleep(0.5)
        return None
sys.meta_path.insert(0, CtrlCOnImport())
"""

CTRL_C_INSIDE_C_EXTENSION = """
import importlib.abc
class Interrupted(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "TARGET":
            try:
                os.kill(os.getpid(), signal.SIGINT); time.sleep(0.5)
            except KeyboardInterrupt:  # what pybind11 makes of it while a module loads
                raise ImportError("initialization failed") from None
        return None
sys.meta_path.insert(0, Interrupted())
"""

CTRL_C_WHILE_PLACING = """
import allocator.run.folder as folder
real = folder._reserve_and_rename
def with_ctrl_c(tmp, final):
    os.kill(os.getpid(), signal.SIGINT); time.sleep(0.2)  # held back until the folder is in place
    real(tmp, final)
folder._reserve_and_rename = with_ctrl_c
"""

CTRL_C_WHILE_PRINTING = """
import allocator.cli.render as render
real = render.render_outcome
def with_ctrl_c(outcome, *args):
    os.kill(os.getpid(), signal.SIGINT); time.sleep(0.5)
    return real(outcome, *args)
render.render_outcome = with_ctrl_c
"""

CTRL_C_WHILE_ANALYSING = """
import allocator.api as api
real = api.analyse_plan
def with_ctrl_c(*args, **kw):
    os.kill(os.getpid(), signal.SIGINT); time.sleep(0.5)
    return real(*args, **kw)
api.analyse_plan = with_ctrl_c
"""

CTRL_C_WHILE_REPORTING = """
import allocator.report as report
real = report.write_reports
def with_ctrl_c(folder, lang="ja", **kw):
    os.kill(os.getpid(), signal.SIGINT); time.sleep(0.5)
    return real(folder, lang, **kw)
report.write_reports = with_ctrl_c
"""


NO_WORKER = {"ALLOCATOR_REPORT_WORKER": "0"}
"""The charts drawn in the main process (matplotlib is imported there)."""
WORKER = {"ALLOCATOR_REPORT_WORKER": "1"}
"""The chart worker on whatever the load: it is drawing while the analysis runs."""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("hook", "placed", "env"),
    [
        (CTRL_C_DURING_IMPORT.replace("TARGET", "typer"), False, None),
        (CTRL_C_DURING_IMPORT.replace("TARGET", "highspy"), False, None),
        (CTRL_C_DURING_IMPORT.replace("TARGET", "pandas"), False, None),
        (CTRL_C_DURING_IMPORT.replace("TARGET", "pulp"), False, None),
        (CTRL_C_DURING_IMPORT.replace("TARGET", "matplotlib"), False, NO_WORKER),
        (CTRL_C_INSIDE_C_EXTENSION.replace("TARGET", "typer"), False, None),
        (CTRL_C_INSIDE_C_EXTENSION.replace("TARGET", "highspy._core"), False, None),
        (CTRL_C_WHILE_ANALYSING, False, WORKER),
        (CTRL_C_WHILE_REPORTING, False, None),
        (CTRL_C_WHILE_PLACING, True, None),
        (CTRL_C_WHILE_PRINTING, True, None),
    ],
    ids=["import-typer", "import-highspy", "import-pandas", "import-pulp", "import-matplotlib",
         "c-extension-at-start-up", "c-extension-in-solve", "analysing-while-charts-drawn",
         "writing-reports", "placing-folder", "printing"],
)  # fmt: skip
def test_ctrl_c_at_any_moment_says_what_is_true(
    ws: Path, hook: str, placed: bool, env: dict[str, str] | None
) -> None:
    before = tree(ws)
    proc = _ctrl_c_at(hook, ws, env)
    reports = ws / "reports"
    folders = sorted(reports.iterdir()) if reports.exists() else []
    if placed:
        line = assert_clean_exit(proc, EXIT_INTERRUPTED, "was written in full", "complete")
        assert len(folders) == 1 and str(folders[0].name) in line
        assert cli(["verify", folders[0]])[0] == EXIT_OK
        unchanged_except(before, tree(ws), "reports")
    else:
        assert_clean_exit(proc, EXIT_INTERRUPTED, "interrupted; no run folder was written")
        assert folders == [], folders
        unchanged_except(before, tree(ws), "reports")


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5])
def test_ctrl_c_to_the_console_script(ws: Path, delay: float) -> None:
    """The real ``allocate`` script and a real Ctrl-C at an arbitrary moment of start-up or
    solving: exit 130, one line, no traceback; a folder exists only if complete."""
    proc = subprocess.Popen(
        [str(EXE), "--plan", "plan", "--reports", "reports"], cwd=ws, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    if proc.returncode == EXIT_OK:
        pytest.skip("the run finished before Ctrl-C")
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err + out
    lines = [ln for ln in err.splitlines() if ln.startswith("allocate:")]
    assert len(lines) == 1, err
    folders = list((ws / "reports").iterdir()) if (ws / "reports").exists() else []
    for f in folders:
        assert f.name in lines[0] and cli(["verify", f])[0] == EXIT_OK


@pytest.mark.slow
def test_two_runs_started_together_take_two_numbers(ws: Path) -> None:
    procs = [
        subprocess.Popen(
            [str(EXE), "--plan", "plan", "--reports", "reports"],
            cwd=ws,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [EXIT_OK] * 3, results
    names = sorted(p.name for p in (ws / "reports").iterdir())
    assert names == [
        "japan-defense-2026-cap2pct",
        "japan-defense-2026-cap2pct-2",
        "japan-defense-2026-cap2pct-3",
    ]
    for name in names:
        assert cli(["verify", ws / "reports" / name])[0] == EXIT_OK


# ---------------------------------------------------------------------------------------------
# 5. verify catches every tampering that changes a figure, and says which file and row


def rows_of(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, head: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=head, lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)


def edit_rows(
    path: Path, fn: Callable[[list[dict[str, str]]], list[dict[str, str]] | None]
) -> None:
    head, rows = rows_of(path)
    new = fn(rows)
    write_rows(path, head, rows if new is None else new)


def edit_record(run: Path, fn: Callable[[dict], None]) -> None:
    path = run / "plan.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def reseal(run: Path) -> None:
    """What a careful tamperer does: recompute every digest and the seal (no key)."""
    from allocator.run.digests import file_digests

    def fn(data: dict) -> None:
        data["files"] = file_digests(run)

    edit_record(run, fn)
    seal = run / "seal.json"
    data = json.loads(seal.read_text(encoding="utf-8"))
    data["plan_json_sha256"] = hashlib.sha256((run / "plan.json").read_bytes()).hexdigest()
    seal.write_text(json.dumps(data), encoding="utf-8")


def bump(column: str, key: tuple[str, str], by: int) -> Callable[[list[dict[str, str]]], None]:
    def fn(rows: list[dict[str, str]]) -> None:
        hit = [r for r in rows if r[key[0]] == key[1]]
        assert hit
        hit[0][column] = str(int(hit[0][column]) + by)

    return fn


def set_text(
    column: str, key: tuple[str, str], value: str
) -> Callable[[list[dict[str, str]]], None]:
    def fn(rows: list[dict[str, str]]) -> None:
        hit = [r for r in rows if r[key[0]] == key[1]]
        assert hit
        hit[0][column] = value

    return fn


def take_from_rank4(run: Path, *, lower_objective: bool) -> None:
    """Move nothing anywhere: take 100 億円 from a rank-4 program's last year and edit every
    file to match, so that the run stays feasible and every table agrees with the schedule."""
    _, sched = rows_of(run / "schedule.csv")
    target = max((r for r in sched if r["rank"] == "4"), key=lambda r: int(r["amount_oku_yen"]))
    pid, year = target["program_id"], target["fiscal_year"]
    defence = target["counts_toward_defense"] == "yes"

    def sched_fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["program_id"] == pid and r["fiscal_year"] == year:
                r["amount_oku_yen"] = str(int(r["amount_oku_yen"]) - 100)

    edit_rows(run / "schedule.csv", sched_fn)

    def summary_fn(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["fiscal_year"] == year:
                col = "defense_alloc_oku_yen" if defence else "other_alloc_oku_yen"
                r[col] = str(int(r[col]) - 100)
                r["new_total_oku_yen"] = str(int(r["new_total_oku_yen"]) - 100)
                if defence:
                    r["defense_total_oku_yen"] = str(int(r["defense_total_oku_yen"]) - 100)
                    r["headroom_oku_yen"] = str(int(r["headroom_oku_yen"]) + 100)
                    total = int(r["defense_total_oku_yen"])
                    r["gdp_ratio"] = f"{total / int(r['gdp_oku_yen']):.6f}"

    edit_rows(run / "summary.csv", summary_fn)
    edit_rows(run / "programs.csv", bump("total_oku_yen", ("program_id", pid), -100))
    edit_rows(run / "ranks.csv", bump("funded_oku_yen", ("rank", "4"), -100))

    def ranks_fn(rows: list[dict[str, str]]) -> None:
        r = next(x for x in rows if x["rank"] == "4")
        r["share_funded"] = f"{int(r['funded_oku_yen']) / int(r['sum_of_highs_oku_yen']):.4f}"
        if lower_objective:
            r["value"] = str(round(float(r["value"])) - 100)

    edit_rows(run / "ranks.csv", ranks_fn)

    def record_fn(data: dict) -> None:
        for item in data["allocations"]:
            if item[0] == pid and item[1] == int(year):
                item[2] -= 100
        if lower_objective:
            data["objective_per_rank"]["4"] -= 100

    edit_record(run, record_fn)
    reseal(run)


def edit_workbook(run: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(run / "report.xlsx")
    ws = wb.worksheets[0]
    ws["B2"] = 12345
    wb.save(run / "report.xlsx")


TAMPER_CASES: list[tuple[str, Callable[[Path], None], tuple[str, ...]]] = [
    ("schedule-amount", lambda r: edit_rows(r / "schedule.csv", bump("amount_oku_yen", ("program_id", "A01"), 1)),
     ("schedule.csv differs", "A01")),
    ("schedule-row-deleted", lambda r: edit_rows(r / "schedule.csv", lambda rows: rows[1:]),
     ("schedule.csv differs", "programs.csv total_oku_yen")),
    ("schedule-deleted", lambda r: (r / "schedule.csv").unlink(), ("schedule.csv is missing",)),
    ("ranks-deleted", lambda r: (r / "ranks.csv").unlink(), ("ranks.csv is missing",)),
    ("ranks-deleted-and-resealed", lambda r: ((r / "ranks.csv").unlink(), reseal(r)),
     ("ranks.csv is missing",)),
    ("ranks-value", lambda r: (edit_rows(r / "ranks.csv", set_text("value", ("rank", "2"), "1")), reseal(r)),
     ("ranks.csv row 3 (rank 2): value",)),
    ("ranks-funded", lambda r: (edit_rows(r / "ranks.csv", bump("funded_oku_yen", ("rank", "3"), 7)), reseal(r)),
     ("ranks.csv row 4 (rank 3): funded_oku_yen",)),
    ("ranks-status", lambda r: (edit_rows(r / "ranks.csv", set_text("status", ("rank", "1"), "time_limit")), reseal(r)),
     ("rank 1): status",)),
    ("ranks-row-deleted", lambda r: (edit_rows(r / "ranks.csv", lambda rows: rows[:-1]), reseal(r)),
     ("rank 6 has no row in ranks.csv",)),
    ("objective-per-rank", lambda r: (edit_record(r, lambda d: d["objective_per_rank"].update({"3": d["objective_per_rank"]["3"] + 500})), reseal(r)),
     ("rank 3: the schedule gives it", "objective_per_rank")),
    ("status-feasible", lambda r: (edit_record(r, lambda d: d.update(status="feasible", optimal=False)), reseal(r)),
     ("feasible", "every stage is optimal")),
    ("optimal-false", lambda r: (edit_record(r, lambda d: d.update(optimal=False)), reseal(r)),
     ("optimal is False",)),
    ("displayed-cap", lambda r: (edit_record(r, lambda d: d["plan"].update(cap="3%")), reseal(r)),
     ("plan.cap is '3%'",)),
    ("plan-json-unsealed-edit", lambda r: edit_record(r, lambda d: d["plan"].update(title_en="x")),
     ("plan.json differs from the digest in seal.json",)),
    ("stage-objective", lambda r: (edit_record(r, lambda d: d["stages"][1].update(objective=d["stages"][1]["objective"] + 1000)), reseal(r)),
     ("less than the", "its priority stage reached")),
    ("marginal-column", lambda r: (edit_rows(r / "summary.csv", set_text("marginal_rank4_per_100_oku_yen", ("fiscal_year", "2027"), "250")), reseal(r)),
     ("2027年度", "summary.csv row 3 marginal_rank4_per_100_oku_yen")),
    ("programs-source", lambda r: (edit_rows(r / "programs.csv", set_text("source", ("program_id", "B01"), "made up")), reseal(r)),
     ("B01: programs.csv row", "source is 'made up'")),
    ("summary-cap", lambda r: edit_rows(r / "summary.csv", bump("cap_oku_yen", ("fiscal_year", "2030"), 5)),
     ("summary.csv cap_oku_yen",)),
    ("report-md", lambda r: edit_text(r / "report.md", "2", "3"), ("report.md differs", "line")),
    ("report-xlsx", edit_workbook, ("report.xlsx differs", "cell B2")),
    ("chart", lambda r: (r / "charts" / "funding_by_rank.png").write_bytes(b"\x89PNG not a chart"),
     ("charts/funding_by_rank.png differs",)),
    ("chart-deleted", lambda r: (r / "charts" / "allocation_by_area.png").unlink(),
     ("charts/allocation_by_area.png is missing",)),
    ("seal-deleted", lambda r: (r / "seal.json").unlink(), ("seal.json is missing",)),
    ("digests-removed", lambda r: (edit_record(r, lambda d: d.pop("files")), reseal_only_plan(r)),
     ("lists no digests",)),
    ("inputs-edited", lambda r: edit_text(r / "inputs" / "gdp.csv", "6384000", "6384001"),
     ("inputs/gdp.csv differs",)),
    ("consistent-edit-rank4", lambda r: take_from_rank4(r, lower_objective=False),
     ("rank 4: the schedule gives it", "100 less in the schedule")),
    ("consistent-edit-rank4-objective", lambda r: take_from_rank4(r, lower_objective=True),
     ("rank 4: the schedule gives it", "its priority stage reached")),
]  # fmt: skip


def reseal_only_plan(run: Path) -> None:
    seal = run / "seal.json"
    data = json.loads(seal.read_text(encoding="utf-8"))
    data["plan_json_sha256"] = hashlib.sha256((run / "plan.json").read_bytes()).hexdigest()
    seal.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("tamper", "words"), [c[1:] for c in TAMPER_CASES], ids=[c[0] for c in TAMPER_CASES]
)
def test_verify_catches_tampering(
    shipped_run: Path, tmp_path: Path, tamper: Callable[[Path], None], words: tuple[str, ...]
) -> None:
    run = tmp_path / "run"
    shutil.copytree(shipped_run, run)
    tamper(run)
    before = tree(tmp_path)
    code, out = cli(["verify", run])
    assert code == EXIT_VERIFY_FAILED, out
    violations = "\n".join(ln for ln in out.splitlines() if ln.startswith("VIOLATION"))
    for w in words:
        assert w in violations, f"{w!r} not in:\n{violations}"
    unchanged_except(before, tree(tmp_path))  # verify writes nothing


def test_untouched_run_verifies_and_says_not_signed(shipped_run: Path) -> None:
    code, out = cli(["verify", shipped_run])
    assert code == EXIT_OK, out
    assert "signature: not signed" in out


def test_editing_inputs_and_every_digest_passes_without_a_key_and_fails_with_one(
    ws: Path,
) -> None:
    """The documented limit of digests, and how the key closes it."""
    key = {"ALLOCATOR_SIGNING_KEY": "correct horse battery staple"}
    plan = write_plan(ws / "small", [program("P1", 100, 300, first=2026, last=2027)], years=2)
    run = ws / "signed"
    code, out = cli(["--plan", plan, "--out", run], env=key)
    assert code == EXIT_OK, out
    code, out = cli(["verify", run], env=key)
    assert code == EXIT_OK and "signature: signature valid" in out, out
    code, out = cli(["verify", run])
    assert code == EXIT_OK and "not checked: set ALLOCATOR_SIGNING_KEY" in out, out
    # the careful tamperer: a different title in the inputs, every hash recomputed
    from allocator.plan.loading import load_plan
    from allocator.run.record import RunRecord

    edit_text(
        run / "inputs" / "plan.toml",
        'name = "test-plan"',
        'name = "test-plan"\ntitle_en = "Forged"',
    )
    record = RunRecord.read(run)
    reloaded = load_plan(run / "inputs", record.options.overrides())

    def fn(data: dict) -> None:
        data["inputs"]["plan.toml"] = hashlib.sha256(
            (run / "inputs" / "plan.toml").read_bytes()
        ).hexdigest()
        data["input_hash"] = reloaded.input_hash
        data["plan"]["title_en"] = "Forged"

    edit_record(run, fn)
    reseal(run)
    code, out = cli(["verify", run])
    assert code == EXIT_OK, "without a key, recomputed digests pass (docs/verification.md says so)"
    code, out = cli(["verify", run], env=key)
    assert code == EXIT_VERIFY_FAILED and "signature: signature INVALID" in out, out
    code, out = cli(["verify", run], env={"ALLOCATOR_SIGNING_KEY": "another key"})
    assert code == EXIT_VERIFY_FAILED and "signed with another key" in out, out


def test_with_a_key_an_unsigned_folder_fails(small_run: Path) -> None:
    code, out = cli(["verify", small_run], env={"ALLOCATOR_SIGNING_KEY": "k"})
    assert code == EXIT_VERIFY_FAILED and "signature: not signed" in out, out
    assert "an unsigned folder can have been edited" in out


def test_infeasible_run_explanation_is_checked(ws: Path) -> None:
    plan = write_plan(ws / "inf", [program("P1", 100, 300, mandatory="yes")], baseline=1990)
    run = ws / "inf-run"
    code, out = cli(["--plan", plan, "--out", run])
    assert code == 4, out
    assert cli(["verify", run])[0] == EXIT_OK
    edit_text(run / "explanation.txt", "億円", "円")
    code, out = cli(["verify", run])
    assert code == EXIT_VERIFY_FAILED and "explanation.txt" in out, out


CASE_COUNT = (
    len(PLAN_CASES)
    + len(OPTION_CASES)
    + len(OTHER_COMMAND_CASES)
    + len(OUTPUT_CASES)
    + len(TAMPER_CASES)
    + 2  # empty signing key (verify, allocate)
    + 2  # --out . and --out ..
    + 3  # compare refusals
    + 4  # --force on a run, on a comparison; a name taken meanwhile (with and without --force)
    + 4  # left-overs: half-written folder, --force swap, user's folder, half-written file
    + 2  # parent removed, files removed while writing
    + 6  # read-only and full disks
    + 10  # Ctrl-C at chosen moments
    + 3  # Ctrl-C to the console script
    + 1  # three runs started together
    + 5  # untouched, signed/unsigned/forged, key with unsigned, infeasible explanation
)
"""How many hostile cases this module runs (quoted in the closing note of issue 8)."""


def test_case_count_is_stated() -> None:
    assert CASE_COUNT >= 170, CASE_COUNT
