"""Write the files of a run folder: ``inputs/`` (byte copies of the plan files, so the folder
can be verified and compared on its own), the five CSV tables (schedule, summary, programs,
ranks, and the ledger of contracts and payments ``obligations.csv``), ``explanation.txt`` when
there is no plan, and ``plan.json``.

The caller writes into the hidden folder that :func:`allocator.run.folder.atomic_folder`
yields, so nothing appears at the final path until every file is complete.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from allocator.constants import (
    EXPLANATION_TXT,
    INDICATORS_CSV,
    INPUTS_DIR,
    OBLIGATIONS_CSV,
    PROGRAMS_CSV,
    RANKS_CSV,
    SCHEDULE_CSV,
    SHORTFALLS_CSV,
    SUMMARY_CSV,
)
from allocator.formatting import cap_slug
from allocator.optim.result import SolveResult
from allocator.plan.schema import Plan
from allocator.run.csvfile import write_csv
from allocator.run.digests import seal_run
from allocator.run.folder import atomic_folder, free_folder, safe_name
from allocator.run.record import RunOptions, RunRecord
from allocator.run.signing import signing_key
from allocator.run.tables import (
    obligations_table,
    programs_table,
    ranks_table,
    schedule_table,
    shortfalls_table,
    summary_table,
)


def default_run_dir(plan: Plan, reports: Path, *, tag: str = "") -> Path:
    """``reports/<plan>-cap<cap>[-<tag>]/``; if taken, the first free ``-2``, ``-3``, ...

    The name is built from ASCII letters, digits, '.', '_' and '-' only, so whatever the plan's
    name holds ('../', '/etc'), the folder stays inside ``reports``.
    """
    base = f"{safe_name(plan.name)}-cap{cap_slug(plan.cap.ratio)}"
    if tag:
        base += f"-{safe_name(tag)}"
    return free_folder(reports, base)


def copy_inputs(plan: Plan, folder: Path) -> dict[str, str]:
    """Copy the plan's files into ``folder/inputs/``; return {name: SHA-256}."""
    (folder / INPUTS_DIR).mkdir()
    inputs: dict[str, str] = {}
    for source, name in plan.input_files:
        data = Path(source).read_bytes()
        dest = folder / INPUTS_DIR / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        inputs[name] = hashlib.sha256(data).hexdigest()
    return inputs


def write_run_files(
    folder: Path,
    plan: Plan,
    result: SolveResult,
    *,
    options: RunOptions,
    times: dict[str, float],
    explanation: list[str] | None = None,
    explanation_ja: list[str] | None = None,
    lang: str = "en",
    reference: dict[tuple[str, int], int] | None = None,
    inputs: dict[str, str] | None = None,
) -> RunRecord:
    """Write ``inputs/``, the tables (when there is a plan), ``explanation.txt`` (when there
    is an explanation; in ``lang`` when given in it) and ``plan.json`` into ``folder``; return
    the record written. ``inputs``: the digests of ``inputs/`` when an earlier call wrote it
    (the tables and ``plan.json`` are written again)."""
    if inputs is None:
        inputs = copy_inputs(plan, folder)
    record = RunRecord.build(
        plan, result, options, times, inputs, explanation, explanation_ja, reference
    )
    if result.has_plan:
        write_csv(schedule_table(plan, result), folder / SCHEDULE_CSV)
        write_csv(summary_table(plan, result), folder / SUMMARY_CSV)
        write_csv(programs_table(plan, result), folder / PROGRAMS_CSV)
        write_csv(ranks_table(plan, result), folder / RANKS_CSV)
        write_csv(obligations_table(plan, result), folder / OBLIGATIONS_CSV)
        write_csv(shortfalls_table(result), folder / SHORTFALLS_CSV)
        if plan.indicators:
            from allocator.run.indicators import indicators_table
            from allocator.run.tables import schedule_cells

            cells = schedule_cells(result.schedule)
            write_csv(indicators_table(plan, cells), folder / INDICATORS_CSV)
    text = explanation_ja if lang == "ja" and explanation_ja else explanation
    if text:
        (folder / EXPLANATION_TXT).write_text("\n".join(text) + "\n", encoding="utf-8")
    record.write(folder)
    return record


def write_run(
    plan: Plan,
    result: SolveResult,
    out: Path,
    *,
    options: RunOptions,
    times: dict[str, float] | None = None,
    force: bool = False,
    explanation: list[str] | None = None,
) -> Path:
    """Write a run folder at ``out`` atomically and seal it, without verifying it or adding
    the reports (:func:`allocator.api.allocate` does both); return ``out``.

    Raises
    ------
    OutputExistsError
        If ``out`` exists and ``force`` is false.
    OutputPathError
        If ``force`` may not replace ``out`` (see :func:`allocator.run.folder.ensure_free`).
    """
    with atomic_folder(out, force=force, protect=plan_folders(plan)) as folder:
        record = write_run_files(
            folder, plan, result, options=options, times=times or {}, explanation=explanation
        )
        seal_run(folder, record, key=signing_key())
    return Path(out)


def plan_folders(plan: Plan) -> list[Path]:
    """The folders the plan was read from (``--force`` never replaces them or their parents)."""
    return sorted({Path(source).parent for source, _ in plan.input_files})
