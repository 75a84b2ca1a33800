"""Read a plan folder (``plan.toml``, ``programs.csv``, ``gdp.csv``) into a :class:`Plan`.

The steps, top to bottom in :func:`load_plan`: read the three files; settle the horizon (the
command line may move or shorten it); choose the GDP case and the cap; build the plan; check
the rules that span tables. Every problem is raised as a :class:`~allocator.errors.PlanError`
naming the file, the row and the column and saying what to write instead (or a
:class:`~allocator.errors.UsageError` for a command-line value). Nothing here solves, prints
or exits.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from allocator.errors import PlanError, UsageError
from allocator.plan.cap import parse_cap
from allocator.plan.checks import check_groups, check_plan
from allocator.plan.consistency import check_rank_areas, check_year_keys
from allocator.plan.contracts import contract_settings, read_obligations, vehicles
from allocator.plan.csvfile import CsvTable
from allocator.plan.groups import groups_from_toml, groups_in_horizon
from allocator.plan.indicators import (
    check_indicators,
    check_output_programs,
    indicators_from_toml,
    read_outputs,
    shift_ranks,
)
from allocator.plan.programs import PROGRAM_COLUMNS, read_gdp, read_programs
from allocator.plan.schema import (
    MULTI_PHASE,
    AggregateBound,
    Area,
    CapSettings,
    FiscalCaps,
    Group,
    Obligation,
    Output,
    Phase,
    Plan,
    Program,
    SolverSettings,
)
from allocator.plan.tomlfile import RawFile, read_toml

PLAN_FILE = "plan.toml"


@dataclass(frozen=True)
class Overrides:
    """Command-line settings that replace the plan's own."""

    cap: Fraction | None = None
    first_year: int | None = None
    years: int | None = None
    gdp_case: str | None = None
    time_limit_seconds: float | None = None
    gap: float | None = None
    cap_base: str | None = None
    """``each_year``, or ``fixed_year`` (with ``cap_base_year``)."""
    cap_base_year: int | None = None
    floors: str | None = None
    """``priority`` (floors give way in reverse priority order) or ``hard``."""
    profile: str | None = None
    """The tie-break: ``level``, ``early`` or ``reference``."""
    floor_ratio: Fraction | None = None
    """Defence spending at least this share of GDP (``--floor-ratio``)."""
    floor_from: int | None = None
    """First fiscal year of the floor ratio (``--floor-from``)."""


@dataclass(frozen=True)
class _Files:
    """The three files of a plan folder, read and parsed."""

    toml_path: Path
    raw: RawFile
    toml_bytes: bytes
    programs: list[Program]
    programs_table: CsvTable
    gdp_cases: dict[str, dict[int, int]]
    gdp_table: CsvTable
    obligations: list[Obligation]
    obligations_table: CsvTable | None
    """The obligations file of ``[contracts] obligations`` (None when the plan has none)."""
    outputs: list[Output]
    outputs_table: CsvTable | None
    """``outputs.csv`` when plan.toml names one (``[plan] outputs``)."""


@dataclass(frozen=True)
class _Horizon:
    first_year: int
    years: int
    shift: int
    """Years the plan moved (``--first-year`` minus the plan's own first year)."""
    shortened: bool
    """The command line asked for fewer years than the plan's own."""

    @property
    def last_year(self) -> int:
        return self.first_year + self.years - 1

    def moved(self, year: int) -> int:
        return year + self.shift


PLAN_ENV = "ALLOCATOR_PLAN"
"""Environment variable naming the plan folder used when ``--plan`` is not given."""

SHIPPED_PLAN = Path(__file__).resolve().parents[2] / "data"
"""The shipped plan: ``data/`` of the repository the package runs from (the editable install
that ``scripts/setup.sh`` makes)."""


def plan_folder(path: Path | None, *, cwd: Path | None = None) -> Path:
    """The plan to load: ``path`` (``--plan``) when given; else ``$ALLOCATOR_PLAN``; else
    ``./data`` when it holds a plan.toml; else the shipped plan. Raises UsageError, saying how
    to point at a plan, when none of these exists (an installed copy without the repository)."""
    if path is not None:
        return path
    env = os.environ.get(PLAN_ENV, "").strip()
    if env:
        return Path(env)
    here = (cwd or Path.cwd()) / "data"
    if (here / PLAN_FILE).is_file():
        return here
    if (SHIPPED_PLAN / PLAN_FILE).is_file():
        return SHIPPED_PLAN
    raise UsageError(
        "--plan",
        "no plan here (no data/plan.toml in this folder, and the shipped plan is not beside "
        "the installed package)",
        f"give --plan FOLDER (the shipped plan is data/ in the repository) or set {PLAN_ENV}",
    )


def resolve_plan_file(path: Path) -> Path:
    """``plan.toml`` of a plan folder (or the file itself).

    Raises
    ------
    UsageError
        If ``path`` is another file (``programs.csv``, ``gdp.csv``, a workbook): the message
        says to give the folder or its plan.toml.
    """
    path = Path(path)
    if path.is_dir():
        return path / PLAN_FILE
    if path.suffix.lower() != ".toml" and (path.is_file() or path.suffix):
        raise UsageError(
            "--plan",
            f"{path} is not a plan: give the plan folder or its {PLAN_FILE}, not {path.name}",
            f"e.g. --plan {path.parent} or --plan {path.parent / PLAN_FILE}",
        )
    return path


def load_plan(path: Path, overrides: Overrides | None = None) -> Plan:
    """Load and check a plan folder (or its ``plan.toml``).

    Raises
    ------
    PlanError
        For any malformed or inconsistent input, naming file, row and column.
    UsageError
        For an override that does not fit the plan (a GDP case it lacks, a bad horizon).
    """
    ov = overrides or Overrides()
    files = _read_files(resolve_plan_file(path))
    notes = [
        f"{t.path.name} was read as Shift_JIS (cp932); UTF-8 is preferred"
        for t in (files.programs_table, files.gdp_table)
        if t.encoding == "cp932"
    ]
    cap_ratio = ov.cap if ov.cap is not None else _plan_cap(files)
    horizon = _horizon(files, ov)
    _check_year_tables(files, horizon, notes)
    gdp_case = _gdp_case(files, ov)
    programs = _programs_in_horizon(files.programs, horizon, notes)
    groups = _groups(files, programs, notes)
    cap = _cap_settings(files, ov, cap_ratio, horizon)
    areas, phases, bounds = _bounds_for_horizon(
        files.raw, files.programs, horizon.moved, horizon.last_year, horizon.shortened, notes
    )
    contracts = contract_settings(files.raw.contracts, files.toml_path, horizon.shift)
    obligations = tuple(_shift_obligation(o, horizon.shift) for o in files.obligations)
    plan = Plan(
        name=files.raw.plan.name,
        title_ja=files.raw.plan.title_ja,
        title_en=files.raw.plan.title_en,
        first_year=horizon.first_year,
        years=horizon.years,
        gdp_case=gdp_case,
        cap=cap,
        baseline_oku_yen=_baseline(files, horizon, obligations),
        baseline_source=files.raw.baseline.source,
        fiscal=_fiscal(files, horizon),
        solver=_solver(files.raw, ov),
        ranks=shift_ranks(files.raw.ranks, horizon.shift),
        areas=areas,
        phases=phases,
        bounds=bounds,
        groups=groups,
        programs=tuple(programs),
        indicators=indicators_from_toml(files.raw.indicators, horizon.shift),
        outputs=tuple(files.outputs),
        gdp_oku_yen=_gdp(files, gdp_case, horizon, cap),
        gdp_cases=tuple(sorted(files.gdp_cases)),
        input_hash=_input_hash(files, cap, horizon, gdp_case, ov),
        input_files=_input_files(files),
        notes=tuple(notes),
        contracts=contracts,
        obligations=obligations,
        vehicles=vehicles(files.raw.vehicles, files.toml_path, horizon.shift),
    )
    check_plan(
        plan,
        toml_path=files.toml_path,
        programs_path=files.programs_table.path,
        clipped=horizon.shortened,
        obligations_path=files.obligations_table.path if files.obligations_table else None,
    )
    check_indicators(
        plan,
        files.toml_path,
        files.outputs_table.path if files.outputs_table is not None else None,
    )
    check_rank_areas(
        files.raw.ranks,
        files.raw.areas,
        files.programs,
        toml_path=files.toml_path,
        programs_path=files.programs_table.path,
    )
    return plan


# ---------------------------------------------------------------------------------------------
# steps


def _read_files(toml_path: Path) -> _Files:
    raw, toml_bytes = read_toml(toml_path)
    folder = toml_path.parent
    files = [(f"plan.{key}", getattr(raw.plan, key)) for key in ("programs", "gdp", "outputs")]
    if raw.contracts.obligations is not None:
        files.append(("contracts.obligations", raw.contracts.obligations))
    for key, rel in files:
        if rel is not None and not _inside(rel):
            table, _, name = key.partition(".")
            raise PlanError(
                toml_path,
                f"[{table}] {name} = {rel!r} points outside the plan folder",
                column=key,
                fix="keep the CSV files in the plan folder (or a folder below it)",
            )
    programs, programs_table = read_programs(folder / raw.plan.programs)
    gdp_cases, gdp_table = read_gdp(folder / raw.plan.gdp)
    obligations: list[Obligation] = []
    obligations_table: CsvTable | None = None
    if raw.contracts.obligations is not None:
        obligations, obligations_table = read_obligations(folder / raw.contracts.obligations)
    outputs: list[Output] = []
    outputs_table = None
    if raw.plan.outputs is not None:
        outputs, outputs_table = read_outputs(folder / raw.plan.outputs)
        check_output_programs(outputs, {p.program_id for p in programs}, outputs_table.path)
    return _Files(
        toml_path, raw, toml_bytes, programs, programs_table, gdp_cases, gdp_table,
        obligations, obligations_table, outputs, outputs_table,
    )  # fmt: skip


def _plan_cap(files: _Files) -> Fraction:
    try:
        return parse_cap(str(files.raw.cap.ratio), option="[cap] ratio")
    except UsageError as exc:
        raise PlanError(files.toml_path, str(exc), fix='write ratio = "2%"') from None


def _horizon(files: _Files, ov: Overrides) -> _Horizon:
    own = files.raw.plan
    first_year, years, shift = own.first_year, own.years, 0
    if ov.first_year is not None:
        shift = ov.first_year - first_year
        first_year = ov.first_year
    if ov.years is not None:
        if ov.years < 1:
            raise UsageError("--years", f"{ov.years} is not a horizon", "give 1 or more years")
        years = ov.years
    if years < 1 or years > 100:
        raise PlanError(
            files.toml_path,
            f"years = {years} is not a horizon length",
            column="plan.years",
            fix="give between 1 and 100 fiscal years",
        )
    shortened = ov.years is not None and ov.years < own.years
    return _Horizon(first_year, years, shift, shortened)


def _gdp_case(files: _Files, ov: Overrides) -> str:
    gdp_case = ov.gdp_case or files.raw.plan.gdp_case
    if gdp_case in files.gdp_cases:
        return gdp_case
    known = ", ".join(sorted(files.gdp_cases))
    if ov.gdp_case:
        raise UsageError(
            "--gdp-case",
            f"{gdp_case!r} is not in {files.gdp_table.path.name}",
            f"choose one of: {known}",
        )
    raise PlanError(
        files.toml_path,
        f"gdp_case {gdp_case!r} is not in {files.gdp_table.path.name}",
        column="plan.gdp_case",
        fix=f"choose one of: {known}",
    )


def _programs_in_horizon(
    programs: list[Program], horizon: _Horizon, notes: list[str]
) -> list[Program]:
    """Programs moved with the plan's start; with a shortened horizon, windows clipped to it
    (programs that start after it left out, and links to them dropped)."""
    if horizon.shift:
        notes.append(
            f"plan moved by {horizon.shift:+d} years to start in {horizon.first_year}年度 "
            "(windows, phases and bounds moved with it)"
        )
        programs = [_shift_program(p, horizon.shift) for p in programs]
    if not horizon.shortened:
        return programs
    last_year = horizon.last_year
    clipped: list[Program] = []
    for p in programs:
        if p.window_first_year > last_year:
            notes.append(f"{p.program_id} left out: its window starts after {last_year}年度")
            continue
        if p.window_last_year > last_year:
            cut = _cut_program(p, last_year)
            if cut is None:
                notes.append(
                    f"{p.program_id} left out: it cannot be funded inside the horizon (its low "
                    f"{p.low_oku_yen:,} 億円 needs years after {last_year}年度)"
                )
                continue
            notes.append(f"{p.program_id}: window cut to end in {last_year}年度")
            p = cut
        clipped.append(p)
    dropped = {p.program_id for p in programs} - {p.program_id for p in clipped}
    return [
        p.model_copy(
            update={"predecessors": tuple(q for q in p.predecessors if q.program_id not in dropped)}
        )
        for p in clipped
    ]


def _groups(files: _Files, programs: list[Program], notes: list[str]) -> tuple[Group, ...]:
    """``[[groups]]`` checked against programs.csv as written, then fitted to the horizon."""
    groups = groups_from_toml(files.raw.groups)
    check_groups(groups, files.programs, files.toml_path)
    return groups_in_horizon(groups, {p.program_id for p in programs}, notes)


def _check_year_tables(files: _Files, horizon: _Horizon, notes: list[str]) -> None:
    own = range(files.raw.plan.first_year, files.raw.plan.first_year + files.raw.plan.years)
    run = range(horizon.first_year, horizon.last_year + 1)
    for table, mapping in (
        ("baseline.by_year", files.raw.baseline.by_year),
        ("fiscal.per_year_oku_yen", files.raw.fiscal.per_year_oku_yen),
    ):
        years = [_year_key(files.toml_path, table, key) for key in mapping]
        check_year_keys(
            table, years, own=own, run=run, moved=horizon.moved, path=files.toml_path, notes=notes
        )


def _cut_program(p: Program, last_year: int) -> Program | None:
    """``p`` with its window (and fixed payments) cut to end in ``last_year``; ``None`` when
    it can no longer be funded there (its per-year maximum cannot reach its low in the years
    left, or no payment of its fixed profile is left)."""
    update: dict[str, Any] = {"window_last_year": last_year}
    years = last_year - p.window_first_year + 1
    if p.payment_profile is not None:
        kept = tuple((y, a) for y, a in p.payment_profile if y <= last_year)
        total = sum(a for _, a in kept)
        if total < 1:
            return None
        # the contract's later payments fall outside the run: it is funded for what it pays here
        update.update(payment_profile=kept, low_oku_yen=total, high_oku_yen=total)
    elif p.max_per_year_oku_yen is not None and p.max_per_year_oku_yen * years < p.low_oku_yen:
        return None
    return p.model_copy(update=update)


def _cap_settings(files: _Files, ov: Overrides, ratio: Fraction, horizon: _Horizon) -> CapSettings:
    raw = files.raw.cap
    base, base_year = raw.base, raw.base_year
    if ov.cap_base is not None:
        if ov.cap_base not in ("each_year", "fixed_year"):
            raise UsageError(
                "--cap-base",
                f"{ov.cap_base!r} is not a cap base",
                "write each_year, or fixed_year:2022",
            )
        base = ov.cap_base  # type: ignore[assignment]
    if ov.cap_base_year is not None:
        base_year = ov.cap_base_year
    if base == "fixed_year" and base_year is None:
        raise PlanError(
            files.toml_path,
            '[cap] base = "fixed_year" needs base_year',
            column="cap.base_year",
            fix="add base_year = 2022",
        )
    floor_ratio, floor_from = _floor_ratio(files, ov, horizon)
    return CapSettings(
        ratio=ratio,
        base=base,
        base_year=base_year,
        floor_ratio=floor_ratio,
        floor_from=floor_from,
        source=raw.source,
    )


def _floor_ratio(
    files: _Files, ov: Overrides, horizon: _Horizon
) -> tuple[Fraction | None, int | None]:
    """The ratio floor: ``--floor-ratio``/``--floor-from``, else ``[cap] floor_ratio`` and
    ``floor_from`` (moved with the plan's start). ``floor_from`` alone is refused."""
    raw = files.raw.cap
    if ov.floor_ratio is not None:
        ratio: Fraction | None = ov.floor_ratio
    elif raw.floor_ratio is not None:
        try:
            ratio = parse_cap(str(raw.floor_ratio), option="[cap] floor_ratio")
        except UsageError as exc:
            raise PlanError(files.toml_path, str(exc), fix='write floor_ratio = "2%"') from None
    else:
        ratio = None
    if ov.floor_from is not None:
        start: int | None = ov.floor_from
    elif raw.floor_from is not None:
        start = horizon.moved(raw.floor_from)
    else:
        start = None
    if start is not None and ratio is None:
        if ov.floor_from is not None:
            raise UsageError("--floor-from", "needs a ratio", "add --floor-ratio 2%")
        raise PlanError(
            files.toml_path,
            "[cap] floor_from needs floor_ratio",
            column="cap.floor_ratio",
            fix='add floor_ratio = "2%"',
        )
    return ratio, start


def _baseline(
    files: _Files, horizon: _Horizon, obligations: tuple[Obligation, ...]
) -> tuple[tuple[int, int], ...]:
    """The baseline per fiscal year; with ``[contracts] baseline_includes_obligations`` less
    the obligations due that count toward defence (the figure written contains them)."""
    raw = files.raw.baseline
    baseline = {y: raw.oku_yen for y in range(horizon.first_year, horizon.last_year + 1)}
    for key, value in raw.by_year.items():
        y = horizon.moved(_year_key(files.toml_path, "baseline.by_year", key))
        if y in baseline:
            baseline[y] = value
    if files.raw.contracts.baseline_includes_obligations:
        for o in obligations:
            if o.counts_toward_defense and o.fiscal_year in baseline:
                baseline[o.fiscal_year] -= o.oku_yen
    return tuple(sorted(baseline.items()))


def _fiscal(files: _Files, horizon: _Horizon) -> FiscalCaps:
    raw = files.raw.fiscal
    per_year = [
        (horizon.moved(_year_key(files.toml_path, "fiscal.per_year_oku_yen", key)), value)
        for key, value in raw.per_year_oku_yen.items()
    ]
    per_year = [(y, v) for y, v in per_year if horizon.first_year <= y <= horizon.last_year]
    return FiscalCaps(
        max_new_per_year_oku_yen=raw.max_new_per_year_oku_yen,
        per_year_oku_yen=tuple(sorted(per_year)),
        max_new_total_oku_yen=raw.max_new_total_oku_yen,
        max_growth_ratio=raw.max_growth_ratio,
        source=raw.source,
    )


def _solver(raw: RawFile, ov: Overrides) -> SolverSettings:
    floors = ov.floors if ov.floors is not None else raw.solver.floors
    if floors not in ("priority", "hard"):
        raise UsageError("--floors", f"{floors!r} is not a floors mode", "write priority or hard")
    profile = ov.profile if ov.profile is not None else raw.solver.profile
    if profile not in ("level", "early", "reference"):
        raise UsageError("--profile", f"{profile!r} is not a tie-break", "write level or early")
    return SolverSettings(
        time_limit_seconds=(
            ov.time_limit_seconds
            if ov.time_limit_seconds is not None
            else raw.solver.time_limit_seconds
        ),
        gap=ov.gap if ov.gap is not None else raw.solver.gap,
        tolerance=raw.solver.tolerance,
        floors=floors,  # type: ignore[arg-type]
        profile=profile,  # type: ignore[arg-type]
    )


def _gdp(
    files: _Files, gdp_case: str, horizon: _Horizon, cap: CapSettings
) -> tuple[tuple[int, int], ...]:
    """GDP of the chosen case for every year the plan needs (horizon and cap base year)."""
    gdp_all = files.gdp_cases[gdp_case]
    needed = list(range(horizon.first_year, horizon.last_year + 1))
    if cap.base == "fixed_year" and cap.base_year is not None:
        needed.append(cap.base_year)
    for y in needed:
        if y not in gdp_all:
            raise PlanError(
                files.gdp_table.path,
                f"no GDP for {y}年度 in case {gdp_case}",
                column="fiscal_year",
                fix=f"add a row fiscal_year={y}, gdp_case={gdp_case}",
            )
    return tuple(sorted((y, gdp_all[y]) for y in set(needed)))


def _input_hash(
    files: _Files, cap: CapSettings, horizon: _Horizon, gdp_case: str, ov: Overrides
) -> str:
    """SHA-256 over the three files and every setting that changes the answer."""
    digest = hashlib.sha256()
    for blob in (files.toml_bytes, files.programs_table.raw, files.gdp_table.raw):
        digest.update(hashlib.sha256(blob).digest())
    if files.obligations_table is not None:
        digest.update(hashlib.sha256(files.obligations_table.raw).digest())
    if files.outputs_table is not None:  # only when there is one: older hashes stay the same
        digest.update(hashlib.sha256(files.outputs_table.raw).digest())
    settings: tuple[object, ...] = (
        str(cap.ratio),
        horizon.first_year,
        horizon.years,
        gdp_case,
        cap.base,
        cap.base_year,
        ov.time_limit_seconds,
        ov.gap,
    )
    # settings added later enter the hash only when used, so earlier runs keep their hash
    for extra in (ov.floors, ov.profile, ov.floor_ratio, ov.floor_from):
        if extra is not None:
            settings += (str(extra),)
    digest.update(repr(settings).encode())
    return digest.hexdigest()


def _input_files(files: _Files) -> tuple[tuple[str, str], ...]:
    """(path on disk, name inside the plan folder) of the plan's files, plan.toml first (the
    obligations file and the outputs file last, when the plan has them)."""
    raw = files.raw.plan
    out = [
        (str(files.toml_path), PLAN_FILE),
        (str(files.programs_table.path), raw.programs),
        (str(files.gdp_table.path), raw.gdp),
    ]
    if files.obligations_table is not None and files.raw.contracts.obligations is not None:
        out.append((str(files.obligations_table.path), files.raw.contracts.obligations))
    if files.outputs_table is not None and raw.outputs is not None:
        out.append((str(files.outputs_table.path), raw.outputs))
    return tuple(out)


def _bounds_for_horizon(
    raw: RawFile,
    programs: list[Program],
    sy: Callable[[int], int],
    last_year: int,
    shortened: bool,
    notes: list[str],
) -> tuple[tuple[Area, ...], tuple[Phase, ...], tuple[AggregateBound, ...]]:
    """Areas, phases and bounds moved with the plan's start; with a horizon shorter than the
    plan's own, floors meant for money beyond the horizon are not applied (ceilings are): a
    five-year run cannot owe a fifteen-year total. An area's floor applies when every program
    of the area can be funded inside the horizon (its window, moved with the plan's start,
    ends in it); a phase's or bound's when its years end in it."""
    phases = [
        p.model_copy(update={"first_year": sy(p.first_year), "last_year": sy(p.last_year)})
        for p in raw.phases
    ]
    bounds = [
        b.model_copy(update={"first_year": sy(b.first_year), "last_year": sy(b.last_year)})
        for b in raw.bounds
    ]
    areas = list(raw.areas)
    if not shortened:
        return tuple(areas), tuple(phases), tuple(bounds)
    dropped: list[str] = []
    beyond: dict[str, str] = {}  # area -> a program of it whose window ends after the horizon
    for prog in programs:
        if sy(prog.window_last_year) > last_year:
            beyond.setdefault(prog.area, prog.program_id)
    for i, a in enumerate(areas):
        if a.low_oku_yen and a.id in beyond:
            areas[i] = a.model_copy(update={"low_oku_yen": None})
            dropped.append(f"area {a.id} ({beyond[a.id]} runs past it)")
    for i, p in enumerate(phases):
        if p.last_year > last_year and p.low_oku_yen:
            phases[i] = p.model_copy(update={"low_oku_yen": None})
            dropped.append(f"phase {p.id}")
    for i, b in enumerate(bounds):
        if b.last_year > last_year and b.low_oku_yen:
            bounds[i] = b.model_copy(update={"low_oku_yen": None})
            dropped.append(f"bound {b.id}")
    if dropped:
        notes.append(
            f"the horizon ends in {last_year}年度, before the plan's own: floors of "
            f"{', '.join(dropped)} are not applied (they are totals beyond the horizon); "
            "ceilings still are"
        )
    return tuple(areas), tuple(phases), tuple(bounds)


def _inside(rel: str) -> bool:
    """A relative path that stays inside its folder (no absolute path, no '..')."""
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    return (
        bool(parts)
        and not PureWindowsPath(rel).is_absolute()
        and not rel.startswith("/")
        and ".." not in parts
    )


def _year_key(path: Path, table: str, key: str) -> int:
    if not re.fullmatch(r"\d{4}", key.strip()):
        raise PlanError(
            path,
            f"[{table}] key {key!r} is not a fiscal year",
            column=table,
            fix="write e.g. 2027 = 91000",
        )
    return int(key)


def _shift_obligation(o: Obligation, shift: int) -> Obligation:
    if not shift:
        return o
    contract_year = None if o.contract_year is None else o.contract_year + shift
    return o.model_copy(
        update={"fiscal_year": o.fiscal_year + shift, "contract_year": contract_year}
    )


def _shift_program(p: Program, shift: int) -> Program:
    update: dict[str, Any] = {
        "window_first_year": p.window_first_year + shift,
        "window_last_year": p.window_last_year + shift,
    }
    if p.payment_profile is not None:
        update["payment_profile"] = tuple((y + shift, a) for y, a in p.payment_profile)
    return p.model_copy(update=update)


__all__ = [
    "MULTI_PHASE",
    "PLAN_ENV",
    "PROGRAM_COLUMNS",
    "SHIPPED_PLAN",
    "Overrides",
    "load_plan",
    "plan_folder",
    "resolve_plan_file",
]
