"""Run the draws of a Monte Carlo or risk folder: stream them to disk in draw order as the
workers finish them (:func:`allocator.parallel.stream_tasks`), keep the folder's record up to
date, resume where an interrupted run stopped, and write the summary tables from the files.

The folder is written in place (not through a hidden folder): it must outlive an
interruption. It is created new — an existing folder is never replaced — and holds from the
start ``inputs/`` (byte copies of the plan files and ``uncertainty.toml``, so a resume reads
exactly what the run began with) and its record.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allocator.constants import INPUTS_DIR
from allocator.errors import OutputExistsError
from allocator.optim.draws import DRAW_STREAM
from allocator.optim.montecarlo import (
    DrawJob,
    RiskJob,
    chunks,
    input_columns,
    result_columns,
    risk_chunk,
    risk_columns,
    solve_draw,
)
from allocator.plan.schema import Plan
from allocator.plan.uncertainty import UNCERTAINTY_FILE, Uncertainty
from allocator.run.draws import DrawLog, DrawsRecord, DrawsRequest, ResumeError

DrawProgress = Callable[[int, int], None]
"""``progress(done, total)``: called as draws are written."""

RISK_CHUNK = 250
"""Draws per task of a risk run (arithmetic only: one draw is microseconds)."""


@dataclass(frozen=True)
class DrawsRun:
    """How a run of draws ended."""

    folder: Path
    record: DrawsRecord
    resumed_from: int
    """Draws already on disk when this call started (0 for a new run)."""


def new_folder(folder: Path, plan: Plan, u: Uncertainty) -> None:
    """Create ``folder`` with ``inputs/`` (the plan files and uncertainty.toml).

    Raises
    ------
    OutputExistsError
        If ``folder`` exists.
    """
    if folder.exists():
        raise OutputExistsError(f"{folder}: already exists — give another --out, or --resume it")
    folder.mkdir(parents=True)
    (folder / INPUTS_DIR).mkdir()
    for source, name in plan.input_files:
        dest = folder / INPUTS_DIR / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    shutil.copyfile(u.path, folder / INPUTS_DIR / UNCERTAINTY_FILE)


def check_resumable(record: DrawsRecord, request: DrawsRequest) -> None:
    """Raise ResumeError unless ``request`` asks for what ``record`` began (draws may grow)."""
    before = record.request.model_dump()
    now = request.model_dump()
    for key in before:
        if key == "lang":
            continue
        if before[key] != now[key]:
            raise ResumeError(
                f"cannot resume: {key} was {before[key]!r} and is now {now[key]!r} — "
                "start a new run (a resumed run must have the same inputs and seed)"
            )


def run_draws(
    folder: Path,
    kind: str,
    request: DrawsRequest,
    draws: int,
    fn: Callable[..., Any],
    job: Any,
    items: Sequence[Any],
    columns: list[str],
    inputs: list[str],
    *,
    resume: bool,
    workers: int | None,
    scheduler: str | None,
    progress: DrawProgress | None,
    notes: Sequence[str] = (),
) -> DrawsRun:
    """Stream ``fn(job, item)`` for every item into ``draws.csv`` / ``draw_inputs.csv``.

    Each result is one draw ``(row, input_row)`` or a list of them (a span of draws); they are
    written in draw order. The record is ``running`` while this runs, ``interrupted`` (with the
    draws done) if it stops early — Ctrl-C included — and ``complete`` at the end.
    """
    from allocator.parallel import check_workers, stream_tasks

    log = DrawLog(folder, columns, inputs)
    if resume:
        record = DrawsRecord.read(folder)
        check_resumable(record, request)
        done = log.resume()
        record = record.update(
            state="running", draws=max(draws, record.draws), draws_done=done, request=request
        )
    else:
        record = DrawsRecord.new(request, draws)
        log.create()
        done = 0
    n_workers = check_workers(workers)
    record = record.update(
        workers=None if scheduler else n_workers, scheduler=scheduler, notes=tuple(notes)
    )
    record.write(folder)
    start = time.perf_counter()
    total = record.draws
    try:
        with log:
            for _, result in stream_tasks(
                fn, items, shared=job, workers=n_workers, scheduler=scheduler
            ):
                for row, inputs_row in result if isinstance(result, list) else [result]:
                    log.append(int(row["draw"]), row, inputs_row)
                if progress is not None:
                    progress(log.done, total)
    except BaseException:
        record.update(
            state="interrupted",
            draws_done=log.done,
            seconds={**record.seconds, "draws": round(time.perf_counter() - start, 3)},
        ).write(folder)
        raise
    seconds = dict(record.seconds)
    seconds["draws"] = round(seconds.get("draws", 0.0) + time.perf_counter() - start, 3)
    record = record.update(state="complete", draws_done=log.done, seconds=seconds)
    record.write(folder)
    return DrawsRun(folder, record, done)


def montecarlo_draws(
    folder: Path,
    request: DrawsRequest,
    plan: Plan,
    u: Uncertainty,
    draws: int,
    *,
    time_limit: float,
    first_years: Any = None,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: DrawProgress | None = None,
    notes: Sequence[str] = (),
) -> DrawsRun:
    """Re-solve the plan for draws ``0 … draws−1`` of ``request.seed`` (those not yet done)."""
    start = _already_done(folder, plan, resume, result_columns(plan), input_columns(plan))
    job = DrawJob(plan, u, request.seed, time_limit, first_years, DRAW_STREAM)
    return run_draws(
        folder, "montecarlo", request, draws, solve_draw, job, range(start, max(start, draws)),
        result_columns(plan), input_columns(plan), resume=resume, workers=workers,
        scheduler=scheduler, progress=progress, notes=notes,
    )  # fmt: skip


def risk_draws(
    folder: Path,
    request: DrawsRequest,
    plan: Plan,
    u: Uncertainty,
    allocations: tuple[tuple[str, int, int], ...],
    draws: int,
    *,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: DrawProgress | None = None,
) -> DrawsRun:
    """Evaluate the held ``allocations`` under draws ``0 … draws−1`` (those not yet done)."""
    funded = sorted({pid for pid, _, a in allocations if a > 0}, key=_order(plan))
    columns = risk_columns(plan, funded)
    start = _already_done(folder, plan, resume, columns, input_columns(plan))
    job = RiskJob(plan, u, request.seed, allocations, DRAW_STREAM)
    return run_draws(
        folder, "risk", request, draws, risk_chunk, job,
        chunks(start, max(start, draws), RISK_CHUNK), columns, input_columns(plan),
        resume=resume, workers=workers, scheduler=scheduler, progress=progress,
    )  # fmt: skip


def _order(plan: Plan) -> Callable[[str], int]:
    pos = {p.program_id: i for i, p in enumerate(plan.programs)}
    return lambda pid: pos[pid]


def _already_done(
    folder: Path, plan: Plan, resume: bool, columns: list[str], inputs: list[str]
) -> int:
    if not resume:
        return 0
    return DrawLog(folder, columns, inputs).resume()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


__all__ = [
    "RISK_CHUNK",
    "DrawProgress",
    "DrawsRun",
    "check_resumable",
    "file_sha256",
    "montecarlo_draws",
    "new_folder",
    "risk_draws",
    "run_draws",
]
