"""Reports of a Monte Carlo or risk folder, made from its files alone (its record and summary
tables): the PNG charts of :mod:`allocator.report.fan_charts` and the workbook of
:mod:`allocator.report.uncertainty_xlsx`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from allocator.report.fan_charts import (
    programs_chart,
    purchasing_power_chart,
    ranks_chart,
    ratio_fan_chart,
)
from allocator.report.uncertainty_xlsx import write_uncertainty_workbook
from allocator.run.csvfile import read_run_csv
from allocator.run.draw_tables import (
    MC_PROGRAMS_CSV,
    MC_RANKS_CSV,
    MC_YEARS_CSV,
    RISK_PROGRAMS_CSV,
    RISK_YEARS_CSV,
)
from allocator.run.draws import DrawsRecord
from allocator.run.robust import ROBUST_COST_CSV, ROBUST_FIRST_YEARS_CSV

RATIO_FAN_PNG = "ratio_fan.png"
RANKS_PNG = "ranks.png"
PROGRAMS_PNG = "programs.png"


def _info(record: DrawsRecord) -> list[tuple[str, Any]]:
    r = record.request
    rows: list[tuple[str, Any]] = [
        ("kind", r.kind),
        ("plan", r.plan_name),
        ("cap", r.cap),
        ("gdp_case", r.gdp_case),
        ("seed", r.seed),
        ("draws", record.draws),
        ("draws_done", record.draws_done),
        ("state", record.state),
        ("status_counts", ", ".join(f"{k} {v}" for k, v in record.status_counts.items())),
        (
            "workers",
            record.workers if record.workers is not None else f"cluster {record.scheduler}",
        ),
        ("seconds", ", ".join(f"{k} {v:.1f}" for k, v in record.seconds.items())),
        ("plan_hash", r.plan_hash),
        ("uncertainty_hash", r.uncertainty_hash),
        ("allocator_version", record.allocator_version),
        ("created_at", record.created_at),
    ]
    if r.held_run:
        rows.insert(1, ("held_run", r.held_run))
    if r.robust_years:
        rows.append(("robust_years", r.robust_years))
        rows.append(("robust_scenarios", r.robust_scenarios))
    rows += [("note", n) for n in record.notes]
    return rows


def _when(record: DrawsRecord) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(record.created_at).replace(tzinfo=None)
    except ValueError:
        return dt.datetime(2026, 4, 1)


def write_draw_reports(folder: Path, lang: str = "ja") -> list[Path]:
    """Write the charts and the workbook of a complete Monte Carlo or risk folder; return
    the paths written."""
    folder = Path(folder)
    record = DrawsRecord.read(folder)
    kind = record.request.kind
    n = record.draws_done
    written: list[Path] = []
    if kind == "montecarlo":
        tables = {
            "years": read_run_csv(folder / MC_YEARS_CSV),
            "ranks": read_run_csv(folder / MC_RANKS_CSV),
            "programs": read_run_csv(folder / MC_PROGRAMS_CSV),
        }
        for key, name in (
            ("robust_cost", ROBUST_COST_CSV),
            ("robust_first_years", ROBUST_FIRST_YEARS_CSV),
        ):
            if (folder / name).is_file():
                tables[key] = read_run_csv(folder / name)
        written.append(
            ratio_fan_chart(tables["years"], folder / RATIO_FAN_PNG, lang, draws=n, kind=kind)
        )
        written.append(ranks_chart(tables["ranks"], folder / RANKS_PNG, lang, draws=n))
        written.append(programs_chart(tables["programs"], folder / PROGRAMS_PNG, lang, draws=n))
    else:
        tables = {
            "years": read_run_csv(folder / RISK_YEARS_CSV),
            "programs": read_run_csv(folder / RISK_PROGRAMS_CSV),
        }
        written.append(
            ratio_fan_chart(tables["years"], folder / RATIO_FAN_PNG, lang, draws=n, kind=kind)
        )
        if len(tables["programs"]):
            written.append(
                purchasing_power_chart(tables["programs"], folder / PROGRAMS_PNG, lang, draws=n)
            )
    book = folder / f"{kind}.xlsx"
    clean = {k: v.astype(object).where(pd.notna(v), None) for k, v in tables.items()}
    written.append(
        write_uncertainty_workbook(kind, clean, _info(record), book, lang, _when(record))
    )
    return written


__all__ = ["PROGRAMS_PNG", "RANKS_PNG", "RATIO_FAN_PNG", "write_draw_reports"]
