"""Reports people read, made from a run folder alone: ``report.md``, ``report.xlsx``, charts.

:func:`write_reports` reads only the files of a run folder (``plan.json``, the CSV files,
``inputs/plan.toml`` for area names, ``explanation.txt``), so it works on any run folder,
including the complete hidden folder before the pipeline renames it into place. It writes

- ``report.md`` (:mod:`allocator.report.markdown`): a one-page summary for a director;
- ``report.xlsx`` (:mod:`allocator.report.xlsx`): summary, schedule pivot, programs, ranks,
  marginal values and run information, with native Excel charts;
- ``charts/allocation_by_area.png`` and ``charts/funding_by_rank.png``
  (:mod:`allocator.report.charts`), and for a plan with contracts
  ``charts/contracts_and_payments.png`` (:mod:`allocator.report.contract_charts`).

An infeasible run folder (no ``summary.csv``) gets ``report.md`` only, quoting
``explanation.txt``. Every file is deterministic for a given run folder: no timestamps in the
PNG files, and the workbook's dates are taken from ``plan.json``'s ``created_at``. Every chart
of the tool lives in this package (the sweep's frontier and the comparison's chart too).

To add a sheet to the workbook: write a ``<name>_sheet(ws, data, lang)`` function in
:mod:`allocator.report.xlsx` and list it in ``SHEETS`` there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from allocator.constants import (
    AREA_CHART,
    CHARTS_DIR,
    INDICATOR_CHART,
    LANGS,
    OBLIGATIONS_CHART,
    RANK_CHART,
    REPORT_MD,
    WORKBOOK,
)
from allocator.report.data import RunData, read_run
from allocator.report.markdown import report_markdown
from allocator.run.folder import write_text_atomic

if TYPE_CHECKING:
    from allocator.report.worker import Job, ReportWorker


def write_reports(
    run_dir: Path,
    lang: str = "ja",
    *,
    worker: ReportWorker | None = None,
    sent: list[Job] | None = None,
) -> list[Path]:
    """Write ``report.md`` and, when the run has a schedule, ``report.xlsx`` and the charts.

    Reads only the files of ``run_dir``. Returns the paths written. With a ``worker``
    (:class:`allocator.report.worker.ReportWorker`) the charts are drawn there while this
    process writes the workbook and report.md; the function returns when all are written.
    ``sent``: the charts :func:`start_charts` already gave ``worker``; any whose data is not
    what the folder holds now is drawn again here.

    Raises
    ------
    ValueError
        If ``lang`` is not ``"ja"`` or ``"en"``.
    RecordError
        If ``run_dir`` has no valid ``plan.json``.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    run_dir = Path(run_dir)
    data = read_run(run_dir)
    report = run_dir / REPORT_MD
    if not data.has_plan:
        write_text_atomic(report, report_markdown(data, lang))
        return [report]
    jobs = chart_jobs(data, lang)
    try:
        if sent is not None:
            in_worker = worker is not None
        else:
            in_worker = worker is not None and worker.submit(jobs)
        from allocator.report.xlsx import write_workbook

        write_workbook(data, run_dir / WORKBOOK, lang)
        write_text_atomic(report, report_markdown(data, lang))
        drawn = in_worker and worker is not None and worker.wait()
        if not drawn or (sent is not None and _text(sent) != _text(jobs)):
            from allocator.report.chart_drawing import DRAW

            for kind, spec, path in jobs:
                DRAW[kind](spec, Path(path))
            now = {path for _kind, _spec, path in jobs}
            for _kind, _spec, path in sent or ():  # a chart sent early that is no longer one
                if path not in now:
                    Path(path).unlink(missing_ok=True)
    except BaseException:
        if worker is not None:  # it must not write into a folder the caller is removing
            worker.close(kill=True)
        raise
    return [run_dir / WORKBOOK, *(Path(path) for _kind, _spec, path in jobs), report]


def start_charts(run_dir: Path, lang: str, worker: ReportWorker) -> list[Job] | None:
    """Give ``worker`` the charts of the run folder as it is now, to draw while the caller
    goes on (the charts show the schedule, not the analysis written after it); the charts
    sent, for :func:`write_reports`, or ``None`` when the worker cannot take them or the
    folder has no schedule."""
    data = read_run(Path(run_dir))
    if not data.has_plan:
        return None
    jobs = chart_jobs(data, lang)
    return jobs if worker.submit(jobs) else None


def chart_jobs(data: RunData, lang: str) -> list[Job]:
    """The run's charts as (kind, spec, path) for :mod:`allocator.report.chart_drawing`;
    creates ``charts/``."""
    from allocator.report.charts import area_chart_spec, rank_chart_spec

    charts = data.folder / CHARTS_DIR
    charts.mkdir(exist_ok=True)
    jobs: list[Job] = [
        ("area", area_chart_spec(data, lang), str(charts / AREA_CHART)),
        ("rank", rank_chart_spec(data, lang), str(charts / RANK_CHART)),
    ]
    if data.has_contracts:
        from allocator.report.contract_charts import contracts_chart_spec

        jobs.append(
            ("contracts", contracts_chart_spec(data, lang), str(charts / OBLIGATIONS_CHART))
        )
    if data.indicators is not None and len(data.indicators):
        from allocator.report.annual import indicator_chart_spec

        jobs.append(("indicators", indicator_chart_spec(data, lang), str(charts / INDICATOR_CHART)))
    return jobs


def _text(jobs: list[Job]) -> str:
    """The jobs as the worker receives them (JSON; NaN equal to NaN)."""
    return json.dumps(jobs, ensure_ascii=False, sort_keys=True)
