"""The files of a Monte Carlo or risk folder, written as the draws arrive.

``draws.csv`` (one row of results per draw) and ``draw_inputs.csv`` (the draw's GDP, exchange
rate and overruns) are appended row by row **in draw order** (the parallel layer hands results
over in order, :func:`allocator.parallel.stream_tasks`), flushed after every row, so memory does
not grow with the number of draws and, at any moment, both files hold the complete rows of draws
0 … n−1. An interrupted run leaves exactly that, plus its record (``montecarlo.json`` or
``risk.json``) saying ``state: running`` or ``interrupted``; ``--resume`` drops a half-written
last line, checks that the inputs are unchanged and carries on from draw n. The summaries are
computed from the files on disk at the end (:mod:`allocator.run.draw_tables`).

CSV files are UTF-8 with BOM and CRLF, as every CSV of the tool.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from allocator import __version__
from allocator.errors import AllocatorError
from allocator.run.csvfile import neutralise_cell
from allocator.run.folder import write_text_atomic

DRAWS_CSV = "draws.csv"
DRAW_INPUTS_CSV = "draw_inputs.csv"
MONTECARLO_JSON = "montecarlo.json"
RISK_JSON = "risk.json"

BOM = "\ufeff"
EOL = "\r\n"


class ResumeError(AllocatorError):
    """A folder that cannot be resumed: not a draws folder, other inputs, damaged files (2)."""

    exit_code = 2


# ---------------------------------------------------------------------------------------------
# the record


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class DrawsRequest(_Strict):
    """What was asked: a resumed run must ask the same (except for more draws)."""

    kind: Literal["montecarlo", "risk"]
    plan_name: str
    plan_hash: str
    """The plan's input hash (files and every setting that changes the answer)."""
    uncertainty_hash: str
    seed: int
    cap: str
    gdp_case: str
    time_limit_seconds: float | None = None
    robust_years: int | None = None
    robust_scenarios: int | None = None
    held_run: str | None = None
    """risk: the run folder held fixed."""
    held_run_hash: str | None = None
    """risk: SHA-256 of that folder's plan.json."""
    lang: str = "ja"


class DrawsRecord(_Strict):
    """``montecarlo.json`` / ``risk.json``: the request and how far the run got."""

    format: Literal["allocator-draws/1"]
    allocator_version: str
    created_at: str
    request: DrawsRequest
    state: Literal["running", "interrupted", "complete"]
    draws: int
    """Draws asked for."""
    draws_done: int
    """Draws 0 … draws_done−1 are complete in draws.csv and draw_inputs.csv."""
    workers: int | None = None
    scheduler: str | None = None
    seconds: dict[str, float] = {}
    status_counts: dict[str, int] = {}
    notes: tuple[str, ...] = ()

    @staticmethod
    def file_name(kind: str) -> str:
        return MONTECARLO_JSON if kind == "montecarlo" else RISK_JSON

    @classmethod
    def new(cls, request: DrawsRequest, draws: int) -> DrawsRecord:
        return cls(
            format="allocator-draws/1",
            allocator_version=__version__,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            request=request,
            state="running",
            draws=draws,
            draws_done=0,
        )

    def write(self, folder: Path) -> None:
        text = json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2)
        write_text_atomic(Path(folder) / self.file_name(self.request.kind), text + "\n")

    @classmethod
    def read(cls, folder: Path) -> DrawsRecord:
        """Read the record of a Monte Carlo or risk folder.

        Raises
        ------
        ResumeError
            If the folder has no record, or it is not one.
        """
        folder = Path(folder)
        paths = [folder / MONTECARLO_JSON, folder / RISK_JSON]
        path = next((p for p in paths if p.is_file()), None)
        if path is None:
            raise ResumeError(
                f"{folder}: not a Monte Carlo or risk folder (no {MONTECARLO_JSON} or "
                f"{RISK_JSON}) — give a folder written by allocate montecarlo or risk"
            )
        try:
            return cls.model_validate_json(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, ValidationError) as exc:
            raise ResumeError(f"{path}: not a draws record ({str(exc).splitlines()[0]})") from None

    def update(self, **changes: Any) -> DrawsRecord:
        return self.model_copy(update=changes)


# ---------------------------------------------------------------------------------------------
# the streamed CSV files


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return repr(value)
    return neutralise_cell(value)


def csv_line(values: list[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=EOL).writerow([_cell(v) for v in values])
    return buf.getvalue()


class DrawFile:
    """One CSV file of a draws folder, appended one complete line per draw."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self._handle: io.TextIOWrapper | None = None

    def header(self) -> str:
        return BOM + csv_line(self.columns)

    def create(self) -> None:
        """A new file holding the header only (refuses to replace an existing one)."""
        with self.path.open("x", encoding="utf-8", newline="") as f:
            f.write(self.header())

    def complete_rows(self) -> int:
        """Complete rows of draws 0 … n−1 at the start of the file; a half-written or
        out-of-order tail is cut off (the file is rewritten without it).

        Raises
        ------
        ResumeError
            If the file is missing or its header is not the expected one.
        """
        if not self.path.is_file():
            raise ResumeError(f"{self.path}: missing — the folder cannot be resumed")
        data = self.path.read_bytes().decode("utf-8", errors="replace")
        if not data.startswith(self.header()):
            raise ResumeError(
                f"{self.path}: its header is not the one this run writes (another plan or "
                "version) — start a new run"
            )
        body = data[len(self.header()) :]
        lines = body.split(EOL)
        complete = lines[:-1]  # the last piece has no line end: empty, or half-written
        n = 0
        for line in complete:
            first = line.split(",", 1)[0]
            if first != str(n):
                break
            n += 1
        keep = self.header() + "".join(line + EOL for line in complete[:n])
        if len(keep) != len(data):
            write_text_atomic(self.path, keep)
        return n

    def truncate_to(self, n: int) -> None:
        """Keep the header and the first ``n`` rows."""
        data = self.path.read_bytes().decode("utf-8")
        body = data[len(self.header()) :].split(EOL)[:n]
        write_text_atomic(self.path, self.header() + "".join(line + EOL for line in body))

    def open(self) -> None:
        self._handle = self.path.open("a", encoding="utf-8", newline="")

    def append(self, row: Mapping[str, Any]) -> None:
        assert self._handle is not None, "open() the file first"
        self._handle.write(csv_line([row.get(c) for c in self.columns]))

    def flush(self, sync: bool = False) -> None:
        if self._handle is not None:
            self._handle.flush()
            if sync:
                os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None


class DrawLog:
    """``draws.csv`` and ``draw_inputs.csv`` of a folder, kept in step: row n of each is draw n."""

    def __init__(self, folder: Path, columns: list[str], input_columns: list[str]) -> None:
        self.results = DrawFile(Path(folder) / DRAWS_CSV, columns)
        self.inputs = DrawFile(Path(folder) / DRAW_INPUTS_CSV, input_columns)
        self.done = 0

    def create(self) -> None:
        self.results.create()
        self.inputs.create()
        self.done = 0

    def resume(self) -> int:
        """The number of draws complete in both files (a longer file is cut to it)."""
        n = min(self.results.complete_rows(), self.inputs.complete_rows())
        for f in (self.results, self.inputs):
            f.truncate_to(n)
        self.done = n
        return n

    def __enter__(self) -> DrawLog:
        self.results.open()
        self.inputs.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.results.close()
        self.inputs.close()

    def append(self, index: int, row: Mapping[str, Any], inputs: Mapping[str, Any]) -> None:
        """Append draw ``index`` (it must be the next one) and flush both files."""
        if index != self.done:
            raise RuntimeError(f"draw {index} arrived out of order (expected {self.done})")
        self.results.append(row)
        self.inputs.append(inputs)
        self.results.flush()
        self.inputs.flush()
        self.done += 1


__all__ = [
    "DRAWS_CSV",
    "DRAW_INPUTS_CSV",
    "MONTECARLO_JSON",
    "RISK_JSON",
    "DrawFile",
    "DrawLog",
    "DrawsRecord",
    "DrawsRequest",
    "ResumeError",
    "csv_line",
]
