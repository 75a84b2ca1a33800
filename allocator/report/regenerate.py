"""Where a report was changed: ``allocate verify`` finds that ``report.md`` or ``report.xlsx``
differs from its digest; this module regenerates it from the run folder's own files (the
reports are deterministic) and names the first line, or sheet and cell, that differs."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from allocator.constants import LANGS, REPORT_MD, WORKBOOK
from allocator.report.data import RunData, read_run
from allocator.report.markdown import report_markdown

if TYPE_CHECKING:
    from allocator.run.verify import VerifyReport


def locate_report_changes(run_dir: Path, report: VerifyReport) -> VerifyReport:
    """``report`` with each ``digest`` violation of ``report.md`` / ``report.xlsx`` extended by
    where the file differs from the report regenerated from the run's tables."""
    hits = [
        v
        for v in report.violations
        if v.rule == "digest" and v.subject in (REPORT_MD, WORKBOOK) and "differs" in v.message
    ]
    if not hits:
        return report
    try:
        data = read_run(run_dir)
    except Exception:  # the tables themselves are broken: their own violations say so
        return report
    lang = data.record.options.lang
    if lang not in LANGS:
        return report
    out = []
    for v in report.violations:
        if v in hits:
            detail = _where(run_dir, data, lang, v.subject)
            if detail:
                v = dataclasses.replace(v, message=f"{v.message}: {detail}")
        out.append(v)
    return dataclasses.replace(report, violations=tuple(out))


def _where(run_dir: Path, data: RunData, lang: str, name: str) -> str | None:
    try:
        if name == REPORT_MD:
            return _markdown_difference(run_dir / REPORT_MD, report_markdown(data, lang))
        from allocator.report.xlsx import workbook_difference

        found = workbook_difference(run_dir / WORKBOOK, data, lang)
        return found or "every cell value equals the regenerated workbook (only its bytes differ)"
    except Exception as exc:  # not a workbook any more, unreadable, ...
        return f"it cannot be read as a report ({type(exc).__name__})"


def _markdown_difference(path: Path, want_text: str) -> str:
    got = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    want = want_text.splitlines()
    for i, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return f"line {i + 1} is {a[:100]!r}, regenerated from the run's tables {b[:100]!r}"
    if len(got) != len(want):
        return f"it has {len(got)} lines, the regenerated report {len(want)}"
    return "its text equals the regenerated report (only line ends or bytes differ)"
