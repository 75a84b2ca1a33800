"""What the reports read: one run folder's record and tables (:func:`read_run`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from allocator.constants import EXPLANATION_TXT, INPUTS_DIR, OBLIGATIONS_CSV, SUMMARY_CSV
from allocator.errors import PlanError
from allocator.plan.groups import groups_from_toml
from allocator.plan.schema import Group
from allocator.plan.tomlfile import read_toml
from allocator.report.labels import MARGINAL_RE
from allocator.run.csvfile import read_run_csv
from allocator.run.record import PlanInfo, RunRecord


@dataclass
class RunData:
    """Everything the reports need, read from one run folder."""

    folder: Path
    record: RunRecord
    summary: pd.DataFrame | None = None
    schedule: pd.DataFrame | None = None
    programs: pd.DataFrame | None = None
    ranks: pd.DataFrame | None = None
    shortfalls: pd.DataFrame | None = None
    area_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    explanation: str | None = None
    obligations: pd.DataFrame | None = None
    """``obligations.csv``: the ledger of contracts and payments."""
    vehicle_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    """{vehicle id: (name_ja, name_en)} of the plan's budget vehicles, in plan order."""
    indicators: pd.DataFrame | None = None
    """``indicators.csv`` (plans with ``[[indicators]]``)."""
    groups: tuple[Group, ...] = ()
    """The plan's ``[[groups]]`` (alternatives, packages, requirements)."""
    variance: pd.DataFrame | None = None
    """``variance.csv`` (a re-plan)."""

    @property
    def has_contracts(self) -> bool:
        """Whether the run has anything on the contract basis to show: multi-year contracts,
        obligations owed before the horizon, or budget vehicles."""
        o = self.obligations
        if self.vehicle_names:
            return True
        if o is None or not len(o):
            return False
        return bool(
            (o.outstanding_end_oku_yen != 0).any()
            or (o.paid_on_earlier_obligations_oku_yen != 0).any()
        )

    def vehicle_name(self, vehicle: str, lang: str) -> str:
        pair = self.vehicle_names.get(vehicle)
        if not pair:
            return vehicle
        return pair[0] if lang == "ja" else pair[1]

    @property
    def is_evaluation(self) -> bool:
        """The folder of ``allocate evaluate``: report.md is the year's evaluation."""
        rep = self.record.replan
        return rep is not None and rep.purpose == "evaluate" and self.variance is not None

    @property
    def has_plan(self) -> bool:
        return self.summary is not None

    @property
    def floors_short(self) -> int:
        """How many floors the schedule falls short of (plan.json's list)."""
        return len(self.record.shortfalls)

    def explanation_text(self, lang: str) -> str | None:
        """Why there is no plan, in ``lang``: from plan.json (both languages are stored), else
        explanation.txt as written."""
        lines = self.record.explanation_ja if lang == "ja" else self.record.explanation
        if lines:
            return "\n".join(lines)
        return self.explanation

    @property
    def plan_info(self) -> PlanInfo:
        return self.record.plan

    @property
    def cap_text(self) -> str:
        return self.plan_info.cap

    def cap_phrase(self, lang: str) -> str:
        """``GDP比 2%`` / ``2% of GDP``, or with the base year when the cap has a fixed base."""
        info = self.plan_info
        year = info.cap_base_year
        if info.cap_base == "fixed_year" and year:
            return (
                f"{year}年度GDPの {self.cap_text}"
                if lang == "ja"
                else f"{self.cap_text} of FY{year} GDP"
            )
        return f"GDP比 {self.cap_text}" if lang == "ja" else f"{self.cap_text} of GDP"

    @property
    def status(self) -> str:
        return self.record.status

    def title(self, lang: str) -> str:
        info = self.plan_info
        title = (info.title_ja if lang == "ja" else info.title_en) or info.title_en
        return title or info.name or self.folder.name

    def area_name(self, area: str, lang: str) -> str:
        pair = self.area_names.get(area)
        if not pair:
            return ""
        return pair[0] if lang == "ja" else pair[1]

    def marginal_columns(self) -> list[tuple[int, str]]:
        """``[(rank, column)]`` of the marginal-value columns in summary.csv, by rank."""
        if self.summary is None:
            return []
        found = []
        for col in self.summary.columns:
            m = MARGINAL_RE.match(str(col))
            if m:
                found.append((int(m.group(1)), str(col)))
        return sorted(found)

    def binding_years(self) -> list[int]:
        if self.summary is None or "headroom_oku_yen" not in self.summary:
            return []
        s = self.summary
        return [int(y) for y, h in zip(s.fiscal_year, s.headroom_oku_yen, strict=True) if h == 0]

    def cap_gdp_ratio(self) -> pd.Series:
        """The cap as a ratio to each year's GDP (differs from cap_ratio for a fixed base)."""
        assert self.summary is not None
        s = self.summary
        return s.cap_oku_yen.astype(float) / s.gdp_oku_yen.astype(float)


def _area_names(folder: Path) -> dict[str, tuple[str, str]]:
    """{area id: (name_ja, name_en)} from the run's ``inputs/plan.toml``, read by the plan
    loader's own parser; empty if it cannot be read (the reports then show ids alone)."""
    try:
        raw, _ = read_toml(folder / INPUTS_DIR / "plan.toml")
    except PlanError:
        return {}
    return {a.id: (a.name_ja, a.name_en) for a in raw.areas}


def _groups(folder: Path) -> tuple[Group, ...]:
    """The plan's ``[[groups]]`` from the run's ``inputs/plan.toml`` (none if unreadable)."""
    try:
        raw, _ = read_toml(folder / INPUTS_DIR / "plan.toml")
    except PlanError:
        return ()
    return groups_from_toml(raw.groups)


def _vehicle_names(folder: Path) -> dict[str, tuple[str, str]]:
    try:
        raw, _ = read_toml(folder / INPUTS_DIR / "plan.toml")
    except PlanError:
        return {}
    return {v.id: (v.name_ja, v.name_en) for v in raw.vehicles}


def read_run(folder: Path) -> RunData:
    """Read a run folder. Raises RecordError if it has no valid ``plan.json``."""
    folder = Path(folder)
    record = RunRecord.read(folder)
    data = RunData(
        folder=folder,
        record=record,
        area_names=_area_names(folder),
        vehicle_names=_vehicle_names(folder),
        groups=_groups(folder),
    )
    expl = folder / EXPLANATION_TXT
    if expl.is_file():
        data.explanation = expl.read_text(encoding="utf-8").rstrip("\n")
    if (folder / SUMMARY_CSV).is_file():
        data.summary = read_run_csv(folder / SUMMARY_CSV)
        for name in ("schedule", "programs", "ranks", "shortfalls", "indicators", "variance"):
            path = folder / f"{name}.csv"
            if path.is_file():
                setattr(data, name, read_run_csv(path))
        if (folder / OBLIGATIONS_CSV).is_file():
            data.obligations = read_run_csv(folder / OBLIGATIONS_CSV)
    return data
