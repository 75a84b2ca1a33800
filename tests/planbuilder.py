"""Write small plan folders for tests: real files in the real format, read by the real loader."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from allocator.plan.indicators import OUTPUT_COLUMNS
from allocator.plan.loading import PROGRAM_COLUMNS

ACTUALS_COLUMNS = ["fiscal_year", "program_id", "executed_oku_yen", "source"]


def write_rows(
    path: Path, columns: list[str], rows: list[dict[str, Any]], *, bom: bool = True
) -> Path:
    """A CSV file with ``columns`` and ``rows`` (missing cells empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in columns})
    return path


def write_actuals(path: Path, cells: dict[tuple[str, int], int], **extra: Any) -> Path:
    """An actuals file: one row per (program_id, fiscal_year) -> 億円 executed."""
    rows = [
        {"fiscal_year": y, "program_id": pid, "executed_oku_yen": a, "source": "test"}
        for (pid, y), a in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    return write_rows(path, ACTUALS_COLUMNS, rows, **extra)


def indicator_toml(
    ident: str,
    *,
    kind: str = "stock",
    direction: str = "up",
    start: float = 0,
    targets: list[tuple[int, float, bool]] = (),  # type: ignore[assignment]
) -> str:
    """One ``[[indicators]]`` entry with ``targets`` as (fiscal year, level, rule)."""
    out = (
        f'[[indicators]]\nid = "{ident}"\nname_ja = "指標{ident}"\nname_en = "Indicator {ident}"\n'
        f'unit_ja = "単位"\nunit_en = "units"\nkind = "{kind}"\ndirection = "{direction}"\n'
        f'start = {start}\nsource = "test"\n'
    )
    for year, level, rule in targets:
        out += (
            f"[[indicators.targets]]\nfiscal_year = {year}\nlevel = {level}\n"
            f'rule = {"true" if rule else "false"}\nsource = "test"\n'
        )
    return out + "\n"


def program(
    pid: str,
    low: int | str = "",
    high: int | str = "",
    *,
    first: int = 2026,
    last: int = 2026,
    rank: int = 1,
    area: str = "A",
    phase: str = "all",
    **extra: Any,
) -> dict[str, Any]:
    """One programs.csv row; keyword arguments fill the other columns."""
    row: dict[str, Any] = {
        "program_id": pid,
        "name_ja": f"事業{pid}",
        "name_en": f"Program {pid}",
        "area": area,
        "phase": phase,
        "rank": rank,
        "window_first_year": first,
        "window_last_year": last,
        "low_oku_yen": low,
        "high_oku_yen": high,
        "source": "test: worked by hand",
    }
    row.update(extra)
    return row


def write_plan(
    folder: Path,
    programs: list[dict[str, Any]],
    *,
    years: int = 1,
    first_year: int = 2026,
    gdp: int | dict[int, int] = 100_000,
    baseline: int = 0,
    cap: str = "2%",
    ranks: int = 1,
    areas: dict[str, dict[str, Any]] | None = None,
    phases: str = "",
    bounds: str = "",
    fiscal: str = "",
    cap_extra: str = "",
    extra_toml: str = "",
    solver_extra: str = "",
    bom: bool = True,
    outputs: list[dict[str, Any]] | None = None,
) -> Path:
    """Write plan.toml, programs.csv and gdp.csv into ``folder``; return the folder.

    By default: one area ``A`` counting toward defence with no bounds, one phase ``all`` over
    the horizon, GDP 100,000 億円 every year (so a 2 % cap is 2,000 億円), baseline 0.
    """
    folder.mkdir(parents=True, exist_ok=True)
    last = first_year + years - 1
    areas = areas or {"A": {}}
    toml = [
        "[plan]",
        'name = "test-plan"',
        f"first_year = {first_year}",
        f"years = {years}",
        'gdp_case = "base"',
        'outputs = "outputs.csv"' if outputs is not None else "",
        "",
        "[cap]",
        f'ratio = "{cap}"',
        cap_extra,
        "",
        "[baseline]",
        f"oku_yen = {baseline}",
        "",
        "[fiscal]",
        fiscal,
        "",
        "[solver]",
        "time_limit_seconds = 60",
        "gap = 0.0",
        solver_extra,
        "",
    ]
    for r in range(1, ranks + 1):
        toml += ["[[ranks]]", f"rank = {r}", f'name_ja = "順位{r}"', f'name_en = "Rank {r}"', ""]
    for aid, spec in areas.items():
        toml += ["[[areas]]", f'id = "{aid}"', f'name_ja = "分野{aid}"', f'name_en = "Area {aid}"']
        for k, v in spec.items():
            toml.append(f"{k} = {str(v).lower() if isinstance(v, bool) else v}")
        toml.append("")
    if not phases:
        phases = (
            f'[[phases]]\nid = "all"\nname_ja = "全期間"\nname_en = "All"\n'
            f"first_year = {first_year}\nlast_year = {last}\n"
        )
    toml += [phases, bounds, extra_toml]
    (folder / "plan.toml").write_text("\n".join(toml), encoding="utf-8")
    enc = "utf-8-sig" if bom else "utf-8"
    with (folder / "programs.csv").open("w", encoding=enc, newline="") as f:
        w = csv.DictWriter(f, fieldnames=PROGRAM_COLUMNS)
        w.writeheader()
        for p in programs:
            w.writerow({k: p.get(k, "") for k in PROGRAM_COLUMNS})
    if outputs is not None:
        write_rows(folder / "outputs.csv", OUTPUT_COLUMNS, outputs, bom=bom)
    gdp_by_year = (
        gdp if isinstance(gdp, dict) else {y: gdp for y in range(min(first_year, 2020), last + 1)}
    )
    with (folder / "gdp.csv").open("w", encoding=enc, newline="") as f:
        w = csv.writer(f)
        w.writerow(["fiscal_year", "gdp_case", "gdp_oku_yen", "source"])
        for y, g in sorted(gdp_by_year.items()):
            w.writerow([y, "base", g, "test"])
    return folder


def random_capital_budgeting(n: int, *, seed: int, years: int = 5) -> list[dict[str, Any]]:
    """``n`` fixed-profile go/no-go programs with random payments and values close to their
    cost: a multi-period knapsack that HiGHS cannot close in a second or two at n ≥ 200."""
    import random

    rng = random.Random(seed)
    out = []
    for i in range(n):
        costs = [rng.randint(10, 100) for _ in range(years)]
        profile = ";".join(f"{2026 + y}:{c}" for y, c in enumerate(costs))
        out.append(
            program(
                f"K{i:03d}",
                first=2026,
                last=2026 + years - 1,
                payment_profile=profile,
                value=sum(costs) + rng.randint(-10, 10),
            )
        )
    return out
