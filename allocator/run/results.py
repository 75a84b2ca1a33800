"""Turn a solved plan into tables and write a run folder atomically.

A run folder holds ``schedule.csv``, ``summary.csv``, ``programs.csv``, ``ranks.csv``,
``plan.json`` and ``inputs/`` (byte copies of the plan files, so that ``allocate verify`` can
recompute every rule from the folder alone). CSV files are UTF-8 with BOM for Excel, amounts are
integer 億円, rows in a stable order, and no timestamp is inside them (the time of the run lives
in ``plan.json`` only), so the same inputs give byte-identical CSV files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from allocator import __version__
from allocator.errors import OutputExistsError
from allocator.plan.cap import cap_slug, format_cap
from allocator.plan.schema import Plan
from allocator.optim.solve import SolveResult

RUN_FORMAT = "allocator-run/1"
INPUTS_DIR = "inputs"
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix text that Excel would evaluate as a formula with ``'`` (CSV injection)."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_START):
        return "'" + value
    return value


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM, CRLF line ends, text cells neutralised against formula injection."""
    safe = df.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(neutralise_cell)
    safe.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


# ---------------------------------------------------------------------------------------------
# tables


def schedule_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """One row per fiscal year and program with a nonzero amount."""
    by_id = {p.program_id: p for p in plan.programs}
    rows = []
    for r in result.schedule.itertuples(index=False):
        p = by_id[r.program_id]
        rows.append(
            {
                "fiscal_year": int(r.fiscal_year),
                "program_id": p.program_id,
                "name_ja": p.name_ja,
                "name_en": p.name_en,
                "area": p.area,
                "phase": p.phase,
                "rank": p.rank,
                "amount_oku_yen": int(r.amount_oku_yen),
                "units": None if pd.isna(r.units) else int(r.units),
                "counts_toward_defense": "yes" if plan.counts_toward_defense(p) else "no",
            }
        )
    cols = [
        "fiscal_year",
        "program_id",
        "name_ja",
        "name_en",
        "area",
        "phase",
        "rank",
        "amount_oku_yen",
        "units",
        "counts_toward_defense",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["units"] = df["units"].astype("Int64")
    return df.sort_values(["fiscal_year", "rank", "program_id"], kind="stable").reset_index(
        drop=True
    )


def summary_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """One row per fiscal year: GDP, cap, baseline, allocations, ratio to GDP, headroom."""
    sched = schedule_table(plan, result)
    defense = (
        sched[sched.counts_toward_defense == "yes"].groupby("fiscal_year")["amount_oku_yen"].sum()
    )
    other = (
        sched[sched.counts_toward_defense == "no"].groupby("fiscal_year")["amount_oku_yen"].sum()
    )
    rows = []
    for y in plan.fiscal_years:
        d = int(defense.get(y, 0))
        o = int(other.get(y, 0))
        gdp = plan.gdp(y)
        cap = plan.cap_oku_yen(y)
        base = plan.baseline(y)
        ceiling = plan.fiscal.ceiling(y)
        rows.append(
            {
                "fiscal_year": y,
                "gdp_oku_yen": gdp,
                "cap_ratio": f"{float(plan.cap.ratio):.6f}",
                "cap_oku_yen": cap,
                "baseline_oku_yen": base,
                "defense_alloc_oku_yen": d,
                "other_alloc_oku_yen": o,
                "defense_total_oku_yen": base + d,
                "gdp_ratio": f"{(base + d) / gdp:.6f}",
                "headroom_oku_yen": cap - base - d,
                "new_total_oku_yen": d + o,
                "fiscal_ceiling_oku_yen": ceiling,
            }
        )
    df = pd.DataFrame(rows)
    df["fiscal_ceiling_oku_yen"] = df["fiscal_ceiling_oku_yen"].astype("Int64")
    if result.marginal is not None and len(result.marginal):
        wide = result.marginal.pivot(
            index="fiscal_year", columns="rank", values="value_per_100_oku_yen"
        )
        for rank in wide.columns:
            col = f"marginal_rank{rank}_per_100_oku_yen"
            df[col] = [_num(wide.loc[y, rank]) if y in wide.index else "" for y in df.fiscal_year]
    return df


def programs_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """Per program: funded or not, total, range, first and last funded year."""
    per = result.schedule.groupby("program_id").agg(
        total=("amount_oku_yen", "sum"), first=("fiscal_year", "min"), last=("fiscal_year", "max")
    )
    rows = []
    for p in sorted(plan.programs, key=lambda q: (q.rank, q.program_id)):
        has = p.program_id in per.index
        total = int(per.at[p.program_id, "total"]) if has else 0
        rows.append(
            {
                "program_id": p.program_id,
                "name_ja": p.name_ja,
                "name_en": p.name_en,
                "area": p.area,
                "phase": p.phase,
                "rank": p.rank,
                "funded": "yes" if result.funded.get(p.program_id) else "no",
                "total_oku_yen": total,
                "low_oku_yen": p.low_oku_yen,
                "high_oku_yen": p.high_oku_yen,
                "first_funded_year": int(per.at[p.program_id, "first"]) if has else None,
                "last_funded_year": int(per.at[p.program_id, "last"]) if has else None,
                "window_first_year": p.window_first_year,
                "window_last_year": p.window_last_year,
                "mandatory": "yes" if p.mandatory else "no",
                "source": p.source,
            }
        )
    df = pd.DataFrame(rows)
    for c in ("first_funded_year", "last_funded_year"):
        df[c] = df[c].astype("Int64")
    return df


def ranks_table(plan: Plan, result: SolveResult) -> pd.DataFrame:
    """Per rank: 億円 funded, the most its programs could take, share funded, solver value."""
    sched = result.schedule
    values = result.rank_values()
    by_stage = {s.rank: s for s in result.stages if s.rank is not None}
    rows = []
    for r in plan.ranks:
        ids = {p.program_id for p in plan.programs if p.rank == r.rank}
        funded = int(sched[sched.program_id.isin(ids)].amount_oku_yen.sum()) if len(sched) else 0
        ceiling = sum(p.high_oku_yen for p in plan.programs if p.rank == r.rank)
        stage = by_stage.get(r.rank)
        rows.append(
            {
                "rank": r.rank,
                "name_ja": r.name_ja,
                "name_en": r.name_en,
                "areas": " ".join(r.areas),
                "programs": len(ids),
                "programs_funded": sum(1 for i in ids if result.funded.get(i)),
                "funded_oku_yen": funded,
                "sum_of_highs_oku_yen": ceiling,
                "share_funded": f"{funded / ceiling:.4f}" if ceiling else "",
                "value": _num(values.get(r.rank)),
                "best_bound": _num(stage.best_bound if stage else None),
                "gap": f"{stage.gap:.6f}" if stage and stage.gap is not None else "",
                "status": stage.status if stage else "not_solved",
            }
        )
    return pd.DataFrame(rows)


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return str(round(x)) if abs(x - round(x)) < 1e-6 else f"{x:.6f}"


# ---------------------------------------------------------------------------------------------
# run folder


@dataclass(frozen=True)
class RunOptions:
    """What the user asked for, stored in plan.json so a run can be reloaded exactly."""

    cap: str
    first_year: int | None = None
    years: int | None = None
    gdp_case: str | None = None
    time_limit_seconds: float | None = None
    gap: float | None = None
    cap_base: str | None = None
    cap_base_year: int | None = None


def safe_name(text: str) -> str:
    """A single folder-name component: ASCII letters, digits, '.', '_' and '-' only."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-_") or "plan"
    return name[:80]


def free_folder(parent: Path, base: str) -> Path:
    """``parent/base``, or the first free ``parent/base-2``, ``-3``, ... (never an existing one)."""
    candidate = parent / base
    n = 2
    while candidate.exists():
        candidate = parent / f"{base}-{n}"
        n += 1
    return candidate


def ensure_free(out: Path, *, force: bool = False) -> None:
    """Raise OutputExistsError if ``out`` exists and the user did not ask to replace it."""
    if Path(out).exists() and not force:
        raise OutputExistsError(
            f"{out}: already exists — give --force to replace it, or --out for another folder"
        )


@contextlib.contextmanager
def atomic_folder(out: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a hidden sibling folder to write into; rename it to ``out`` only when the block
    completes, so an interrupted or failed write leaves nothing at ``out``. With ``force`` an
    existing ``out`` is replaced, and kept until the new folder is in place.

    Raises
    ------
    OutputExistsError
        If ``out`` exists and ``force`` is false.
    """
    out = Path(out)
    ensure_free(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        if out.exists():
            if not force:
                raise OutputExistsError(f"{out}: appeared while writing — nothing was replaced")
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def default_run_dir(plan: Plan, reports: Path, *, tag: str = "") -> Path:
    """``reports/<plan>-cap<cap>[-<tag>]/``; if taken, the first free ``-2``, ``-3``, ...

    The name is built from ASCII letters, digits, '.', '_' and '-' only, so whatever the plan's
    name holds ('../', '/etc'), the folder stays inside ``reports``.
    """
    base = f"{safe_name(plan.name)}-cap{cap_slug(plan.cap.ratio)}"
    if tag:
        base += f"-{safe_name(tag)}"
    return free_folder(reports, base)


def plan_record(
    plan: Plan,
    result: SolveResult,
    options: RunOptions,
    times: dict[str, float],
    inputs: dict[str, str],
) -> dict[str, Any]:
    import pulp

    return {
        "format": RUN_FORMAT,
        "allocator_version": __version__,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "plan": {
            "name": plan.name,
            "title_ja": plan.title_ja,
            "title_en": plan.title_en,
            "first_year": plan.first_year,
            "years": plan.years,
            "gdp_case": plan.gdp_case,
            "cap_ratio": str(plan.cap.ratio),
            "cap": format_cap(plan.cap.ratio),
            "cap_base": plan.cap.base,
            "cap_base_year": plan.cap.base_year,
        },
        "options": asdict(options),
        "input_hash": plan.input_hash,
        "inputs": inputs,
        "solver": {
            "name": result.solver_name,
            "version": result.solver_version,
            "pulp_version": pulp.__version__,
            "time_limit_seconds": result.time_limit_seconds,
            "gap": result.gap_setting,
            "tolerance": plan.solver.tolerance,
        },
        "status": result.status,
        "optimal": result.status == "optimal",
        "stages": [asdict(s) for s in result.stages],
        "objective_per_rank": {str(k): v for k, v in sorted(result.rank_values().items())},
        "times_seconds": {k: round(v, 4) for k, v in times.items()},
        "funded": dict(sorted(result.funded.items())),
        "allocations": [
            [
                r.program_id,
                int(r.fiscal_year),
                int(r.amount_oku_yen),
                None if pd.isna(r.units) else int(r.units),
            ]
            for r in result.schedule.sort_values(["program_id", "fiscal_year"]).itertuples()
        ],
        "notes": list(plan.notes),
    }


def write_run(
    plan: Plan,
    result: SolveResult,
    out: Path,
    *,
    options: RunOptions,
    input_files: list[tuple[Path, str]] | list[Path],
    times: dict[str, float],
    force: bool = False,
    before_commit: Callable[[Path], dict[str, Any]] | None = None,
    explanation: list[str] | None = None,
    after_write: Callable[[Path], object] | None = None,
) -> Path:
    """Write the run folder at ``out`` atomically; return its path.

    Files are written into a hidden sibling folder and renamed into place only when complete,
    so an interrupted run leaves nothing at ``out``. ``before_commit(folder)`` runs on the
    complete hidden folder (the verifier) and its fields are added to plan.json before the rename;
    ``after_write(folder)`` then adds derived files (the reports) to the complete folder.

    Raises
    ------
    OutputExistsError
        If ``out`` exists and ``force`` is false.
    """
    with atomic_folder(out, force=force) as tmp:
        (tmp / INPUTS_DIR).mkdir()
        inputs: dict[str, str] = {}
        for item in input_files:
            src, name = item if isinstance(item, tuple) else (item, item.name)
            data = src.read_bytes()
            dest = tmp / INPUTS_DIR / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            inputs[name] = hashlib.sha256(data).hexdigest()
        record = plan_record(plan, result, options, times, inputs)
        if result.has_plan:
            write_csv(schedule_table(plan, result), tmp / "schedule.csv")
            write_csv(summary_table(plan, result), tmp / "summary.csv")
            write_csv(programs_table(plan, result), tmp / "programs.csv")
            write_csv(ranks_table(plan, result), tmp / "ranks.csv")
        if explanation:
            record["explanation"] = explanation
            (tmp / "explanation.txt").write_text("\n".join(explanation) + "\n", encoding="utf-8")
        write_json(record, tmp / "plan.json")
        if before_commit is not None and result.has_plan:
            record.update(before_commit(tmp))
            write_json(record, tmp / "plan.json")
        if after_write is not None:
            after_write(tmp)
    return Path(out)


def write_json(record: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
