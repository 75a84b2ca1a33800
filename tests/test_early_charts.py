"""The chart worker draws while the analysis runs (``api.allocate``): the tables are written
once before the analysis, the charts sent, and everything written again after it. The run
folder must be the one drawn without the worker, and a chart sent early whose data changed
must be drawn again."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from conftest import DATA

import allocator.api as api
import allocator.report as report
from allocator.api import allocate
from allocator.plan.loading import Overrides
from allocator.report import chart_jobs, start_charts, write_reports
from allocator.report.data import read_run
from allocator.report.worker import ENV_SWITCH, ReportWorker

TIMED = ("created_at", "times_seconds", "files")
"""plan.json fields that differ between two runs of the same plan (clock and digests of files
that hold the clock)."""


def _record(path: Path) -> dict[str, object]:
    record = json.loads(path.read_text(encoding="utf-8"))
    for key in TIMED:
        record.pop(key, None)
    record["stages"] = [
        {k: v for k, v in stage.items() if k != "seconds"} for stage in record["stages"]
    ]
    return record


def _workbook(path: Path) -> dict[str, bytes]:
    """The workbook's parts but the two that hold the clock (the document's dates and the run
    information sheet with the seconds)."""
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as book:
        run_info = len([n for n in book.namelist() if n.startswith("xl/worksheets/sheet")])
        skip = {"docProps/core.xml", f"xl/worksheets/sheet{run_info}.xml"}
        return {n: book.read(n) for n in book.namelist() if n not in skip}


def assert_same_run(a: Path, b: Path) -> None:
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    for name in files:
        if name == "seal.json":  # digests of plan.json, which holds the clock
            continue
        if name == "plan.json":
            assert _record(a / name) == _record(b / name)
        elif name.endswith(".xlsx"):
            assert _workbook(a / name) == _workbook(b / name), name
        else:
            assert (a / name).read_bytes() == (b / name).read_bytes(), name


def _worker(monkeypatch: pytest.MonkeyPatch) -> ReportWorker:
    monkeypatch.setenv(ENV_SWITCH, "1")  # even on a busy machine
    worker = ReportWorker.start()
    if worker is None:
        pytest.skip("no report worker could start")
    return worker


def _allocated(tmp_path: Path, lang: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped plan allocated with the charts drawn in this process."""
    monkeypatch.setenv(ENV_SWITCH, "0")
    allocate(DATA, Overrides(), out=tmp_path / "run", lang=lang)
    return tmp_path / "run"


def test_the_worker_drawing_during_the_analysis_writes_the_same_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    real_start, real_analyse = report.start_charts, api.analyse_plan

    def start(*args: object, **kwargs: object) -> object:
        order.append("charts sent")
        return real_start(*args, **kwargs)  # type: ignore[arg-type]

    def analyse(*args: object, **kwargs: object) -> object:
        order.append("analysis")
        return real_analyse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(report, "start_charts", start)
    monkeypatch.setattr(api, "analyse_plan", analyse)
    with _worker(monkeypatch) as worker:
        drawn = allocate(DATA, Overrides(), out=tmp_path / "drawn", report_worker=worker)
    assert worker._proc is None
    assert order == ["charts sent", "analysis"]
    monkeypatch.setenv(ENV_SWITCH, "0")
    here = allocate(DATA, Overrides(), out=tmp_path / "here")
    assert drawn.run_dir is not None and here.run_dir is not None
    assert drawn.verification is not None and drawn.verification.ok
    assert_same_run(drawn.run_dir, here.run_dir)
    record = json.loads((drawn.run_dir / "plan.json").read_text(encoding="utf-8"))
    assert record["marginal"], "the analysis is in the run folder written after it"


def test_a_chart_sent_early_whose_data_changed_is_drawn_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _allocated(tmp_path, "ja", monkeypatch)
    expected = {p.name: p.read_bytes() for p in (run / "charts").glob("*.png")}
    for png in (run / "charts").glob("*.png"):
        png.unlink()
    with _worker(monkeypatch) as worker:
        # sent in English, with one chart that the folder no longer has
        sent = start_charts(run, "en", worker)
        assert sent is not None
        assert worker.wait()
        stray = run / "charts" / "stray.png"
        sent.append((sent[0][0], sent[0][1], str(stray)))
        assert worker.submit([sent[-1]])
        write_reports(run, "ja", worker=worker, sent=sent)
    assert not stray.exists()
    drawn = {p.name: p.read_bytes() for p in (run / "charts").glob("*.png")}
    assert drawn == expected


def test_charts_sent_early_that_match_are_not_drawn_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import allocator.report.chart_drawing as drawing

    run = _allocated(tmp_path, "en", monkeypatch)
    jobs = chart_jobs(read_run(run), "en")
    here: list[str] = []
    for kind, draw in list(drawing.DRAW.items()):
        monkeypatch.setitem(
            drawing.DRAW, kind, lambda spec, path, _d=draw: here.append(str(path)) or _d(spec, path)
        )
    with _worker(monkeypatch) as worker:
        sent = start_charts(run, "en", worker)
        assert sent == jobs
        write_reports(run, "en", worker=worker, sent=sent)
    assert here == [], "the worker drew them; nothing drawn again here"


def test_a_failure_during_the_analysis_stops_the_worker_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "analyse_plan", fail)
    with _worker(monkeypatch) as worker:
        with pytest.raises(KeyboardInterrupt):
            allocate(DATA, Overrides(), out=tmp_path / "run", report_worker=worker)
        assert worker._proc is None, "killed before the folder was removed"
    assert list(tmp_path.iterdir()) == []
