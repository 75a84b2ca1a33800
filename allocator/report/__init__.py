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

from pathlib import Path

from allocator.constants import (
    AREA_CHART,
    CHARTS_DIR,
    LANGS,
    OBLIGATIONS_CHART,
    RANK_CHART,
    REPORT_MD,
    WORKBOOK,
)
from allocator.report.data import read_run
from allocator.report.markdown import report_markdown
from allocator.run.folder import write_text_atomic


def write_reports(run_dir: Path, lang: str = "ja") -> list[Path]:
    """Write ``report.md`` and, when the run has a schedule, ``report.xlsx`` and the charts.

    Reads only the files of ``run_dir``. Returns the paths written.

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
    written: list[Path] = []
    if data.has_plan:
        from allocator.report.charts import area_chart, rank_chart
        from allocator.report.xlsx import write_workbook

        xlsx = run_dir / WORKBOOK
        write_workbook(data, xlsx, lang)
        written.append(xlsx)
        charts = run_dir / CHARTS_DIR
        charts.mkdir(exist_ok=True)
        area_chart(data, charts / AREA_CHART, lang)
        rank_chart(data, charts / RANK_CHART, lang)
        written += [charts / AREA_CHART, charts / RANK_CHART]
        if data.has_contracts:
            from allocator.report.contract_charts import contracts_chart

            contracts_chart(data, charts / OBLIGATIONS_CHART, lang)
            written.append(charts / OBLIGATIONS_CHART)
    report = run_dir / REPORT_MD
    write_text_atomic(report, report_markdown(data, lang))
    written.append(report)
    return written
