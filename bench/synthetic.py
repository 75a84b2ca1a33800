"""Deterministic synthetic plans in the real plan format (``docs/plan-format.md``).

A plan of ``n`` programs over fiscal years 2026–2040 keeps the money of the shipped plan
(GDP ≈ 6,400,000 億円 growing 1 %/yr, baseline 90,000 億円, 2 % cap, so 38,000–57,000 億円 of
room a year) and splits it over more, smaller programs as ``n`` grows: the programs of an area
ask for twice the shipped plan's area ceiling, so the area ceilings (1.5× the shipped ones,
scaled to what the area's programs ask for) and the GDP cap both bind.

Nine areas A–I (H is economic security and does not count toward the cap), six ranks mapped
from the areas as in ``data/plan.toml``, three phases (short 2026–28, mid 2029–32, long
2033–40) plus ``multi`` programs, windows of 1–8 years inside their phase, ranges with low
30–60 % of high, and a few percent of programs with a per-year maximum, a unit cost, a fixed
payment profile or an explicit value. No ramps and no predecessors.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from allocator.plan.loading import PROGRAM_COLUMNS

FIRST_YEAR = 2026
YEARS = 15
LAST_YEAR = FIRST_YEAR + YEARS - 1
GDP_2026 = 6_400_000
GDP_GROWTH = 0.01
BASELINE = 90_000
CAP = "2%"
FISCAL_PER_YEAR = 70_000
FISCAL_2026 = 55_000
FISCAL_TOTAL = 950_000
GDP_CASE = "synthetic"

# id, name_ja, name_en, shipped ceiling (億円), counts toward defence, rank
AREAS: list[tuple[str, str, str, int, bool, int]] = [
    ("A", "即応・弾薬備蓄", "Readiness and munitions", 60_000, True, 1),
    ("B", "航空戦力", "Air power", 90_000, True, 3),
    ("C", "海上戦力", "Maritime forces", 120_000, True, 3),
    ("D", "ミサイル防衛・早期警戒", "Missile defence and early warning", 70_000, True, 2),
    ("E", "C4ISR", "C4ISR", 50_000, True, 2),
    ("F", "サイバー・電子戦", "Cyber and electronic warfare", 20_000, True, 5),
    ("G", "防衛産業基盤", "Defence-industrial base", 40_000, True, 4),
    ("H", "経済安全保障", "Economic security", 200_000, False, 4),
    ("I", "人材・運用費", "Personnel and operations", 40_000, True, 6),
]
RANKS: list[tuple[int, str, str]] = [
    (1, "即応性・弾薬備蓄", "Readiness and munitions"),
    (2, "ミサイル防衛とC4ISR", "Missile defence and C4ISR"),
    (3, "海空戦力", "Maritime and air forces"),
    (4, "防衛産業・経済安全保障", "Industry and economic security"),
    (5, "サイバー・電子戦", "Cyber and electronic warfare"),
    (6, "人材", "Personnel"),
]
PHASES: dict[str, tuple[int, int]] = {
    "short": (2026, 2028),
    "mid": (2029, 2032),
    "long": (2033, 2040),
}
PHASE_SHARE = [("short", 0.22), ("mid", 0.30), ("long", 0.33), ("multi", 0.15)]

DEMAND_FACTOR = 2.0  # programs of an area ask for this × the shipped area ceiling
AREA_HIGH = 0.75  # area ceiling = this × what its programs ask for
AREA_LOW = 0.20
PHASE_HIGH = 0.80
PHASE_LOW = 0.15


@dataclass(frozen=True)
class SyntheticPlan:
    folder: Path
    programs: int
    features: dict[str, int]
    """How many programs use each optional feature (per-year max, unit cost, ...)."""


def gdp_by_year() -> dict[int, int]:
    return {
        y: round(GDP_2026 * (1 + GDP_GROWTH) ** (y - FIRST_YEAR))
        for y in range(2022, LAST_YEAR + 1)
    }


def cap_room(year: int) -> int:
    """2 % of GDP (rounded down, as the allocator does) less the baseline."""
    return gdp_by_year()[year] * 2 // 100 - BASELINE


def _window(rng: random.Random, phase: str) -> tuple[int, int]:
    if phase == "multi":
        length = rng.randint(2, 8)
        first = rng.randint(FIRST_YEAR, LAST_YEAR - length + 1)
        return first, first + length - 1
    a, b = PHASES[phase]
    length = rng.randint(1, min(8, b - a + 1))
    first = rng.randint(a, b - length + 1)
    return first, first + length - 1


def _profile(rng: random.Random, first: int, last: int, total: int) -> str:
    years = list(range(first, last + 1))
    weights = [rng.uniform(0.5, 1.5) for _ in years]
    s = sum(weights)
    pays = [int(total * w / s) for w in weights]
    pays[-1] += total - sum(pays)
    return ";".join(f"{y}:{a}" for y, a in zip(years, pays, strict=True))


CONTRACT_PATTERNS = (
    "20%;25%;15%;20%;20%",  # ships: the DBP portfolio pattern of data/obligations.csv
    "10%;20%;30%;40%",  # aircraft, paid as they are delivered
    "25%;25%;25%;25%",  # missiles
    "40%;30%;20%;10%",  # munitions and equipment
    "50%;50%",  # maintenance
)
CONTRACT_AREAS = {"B", "C", "D", "G"}
CONTRACT_SHARE = 0.6
"""Contract variant: this share of the programs of areas B, C, D and G (air, sea, missile
defence, industrial base) are multi-year contracts (about 25 % of all programs)."""
NEW_CONTRACTS_PER_YEAR = 45_000
OUTSTANDING_MAX = 120_000
OBLIGATIONS = {2026: 30_000, 2027: 22_000, 2028: 12_000, 2029: 5_000}
"""Contract variant: owed on contracts signed before the horizon (within the baseline)."""


def generate_plan(
    folder: Path,
    n: int,
    seed: int = 20260401,
    *,
    fractional_values: bool = False,
    contracts: bool = False,
) -> SyntheticPlan:
    """Write ``plan.toml``, ``programs.csv`` and ``gdp.csv`` for ``n`` programs into ``folder``.

    ``contracts``: the contract variant (the same plan, then multi-year contracts on about a
    quarter of the programs, obligations owed before the horizon, and ceilings on new
    contracts and on obligations outstanding; see :data:`CONTRACT_SHARE`)."""
    rng = random.Random(seed * 1_000_003 + n)
    folder.mkdir(parents=True, exist_ok=True)
    weights = [a[3] for a in AREAS]
    # every area gets a program, the rest by the shipped plan's money shares
    area_of = [i % len(AREAS) for i in range(min(n, len(AREAS)))]
    area_of += rng.choices(range(len(AREAS)), weights=weights, k=n - len(area_of))
    rng.shuffle(area_of)
    phases = [p for p, _ in PHASE_SHARE]
    phase_w = [w for _, w in PHASE_SHARE]

    rows: list[dict[str, object]] = []
    raw_w: list[float] = []
    for i in range(n):
        phase = rng.choices(phases, weights=phase_w)[0]
        first, last = _window(rng, phase)
        raw_w.append(rng.lognormvariate(0.0, 0.7) * (last - first + 1) ** 0.5)
        a = AREAS[area_of[i]]
        rows.append(
            {
                "program_id": f"{a[0]}{i + 1:05d}",
                "name_ja": f"{a[1]}事業{i + 1}",
                "name_en": f"{a[2]} program {i + 1}",
                "area": a[0],
                "phase": phase,
                "rank": a[5],
                "window_first_year": first,
                "window_last_year": last,
                "source": "assumption: synthetic benchmark plan",
            }
        )
    # scale each area's programs to DEMAND_FACTOR × the shipped area ceiling
    area_sum: dict[str, float] = {}
    for r, w in zip(rows, raw_w, strict=True):
        area_sum[str(r["area"])] = area_sum.get(str(r["area"]), 0.0) + w
    shipped = {a[0]: a[3] for a in AREAS}
    features = {"max_per_year": 0, "unit_cost": 0, "payment_profile": 0, "value": 0, "mandatory": 0}
    min_room = min(cap_room(y) for y in range(FIRST_YEAR, LAST_YEAR + 1))
    n_mandatory = max(1, n // 200)
    for r, w in zip(rows, raw_w, strict=True):
        aid = str(r["area"])
        high = max(10, round(DEMAND_FACTOR * shipped[aid] * w / area_sum[aid]))
        low = round(high * rng.uniform(0.30, 0.60))
        first, last = int(r["window_first_year"]), int(r["window_last_year"])  # type: ignore[call-overload]
        years = last - first + 1
        u = rng.random()
        if u < 0.03:  # fixed contract: payments over the window, all or nothing
            r["payment_profile"] = _profile(rng, first, last, high)
            r["low_oku_yen"] = r["high_oku_yen"] = ""
            features["payment_profile"] += 1
        else:
            r["low_oku_yen"], r["high_oku_yen"] = low, high
            if u < 0.06 and high >= 20:  # whole units (ships, aircraft, missile lots)
                unit = max(1, high // rng.randint(2, 8))
                r["unit_cost_oku_yen"] = unit
                r["low_oku_yen"] = min(low, high // unit * unit)
                features["unit_cost"] += 1
            if years >= 2 and rng.random() < 0.20:
                r["max_per_year_oku_yen"] = -(-high * rng.randint(12, 20) // (10 * years))
                features["max_per_year"] += 1
        if rng.random() < 0.04:
            if fractional_values:  # a score: value × amount / high is then fractional
                r["value"] = f"{high * rng.uniform(0.5, 2.0):.1f}"
            else:  # a whole multiple of high: value per 億円 is a whole number
                r["value"] = str(high * rng.randint(1, 3))
            features["value"] += 1
        if (
            features["mandatory"] < n_mandatory
            and int(r["rank"]) <= 2  # type: ignore[call-overload]
            and r.get("payment_profile") is None
            and low <= 0.05 * min_room
        ):
            r["mandatory"] = "yes"
            features["mandatory"] += 1
    if contracts:
        # drawn after every other choice, from its own generator: the rest of the plan is the
        # same as without contracts
        crng = random.Random(seed * 7 + n)
        features["contract_pattern"] = 0
        for r in rows:
            if (
                str(r["area"]) in CONTRACT_AREAS
                and not r.get("payment_profile")
                and crng.random() < CONTRACT_SHARE
            ):
                r["contract_pattern"] = crng.choice(CONTRACT_PATTERNS)
                r["basis"] = "payment"
                features["contract_pattern"] += 1
        _write_obligations(folder / "obligations.csv")
    _write_programs(folder / "programs.csv", rows)
    _write_gdp(folder / "gdp.csv")
    _write_toml(folder / "plan.toml", rows, n, contracts=contracts)
    return SyntheticPlan(folder, n, features)


def _write_obligations(path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["fiscal_year", "oku_yen", "source"])
        for y, a in sorted(OBLIGATIONS.items()):
            w.writerow([y, a, "assumption: synthetic"])


def _demand(rows: list[dict[str, object]], key: str, value: str) -> int:
    total = 0
    for r in rows:
        if r[key] != value:
            continue
        prof = r.get("payment_profile")
        if prof:
            total += sum(int(p.split(":")[1]) for p in str(prof).split(";"))
        else:
            total += int(r["high_oku_yen"])  # type: ignore[call-overload]
    return total


def _write_programs(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=PROGRAM_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in PROGRAM_COLUMNS})


def _write_gdp(path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["fiscal_year", "gdp_case", "gdp_oku_yen", "source"])
        for y, g in sorted(gdp_by_year().items()):
            w.writerow([y, GDP_CASE, g, "assumption: 6,400,000 億円 in 2026, +1 %/yr"])


def _write_toml(
    path: Path, rows: list[dict[str, object]], n: int, *, contracts: bool = False
) -> None:
    lines = [
        "[plan]",
        f'name = "synthetic-{n}"',
        'title_ja = "合成ベンチマーク計画"',
        f'title_en = "Synthetic benchmark plan, {n} programs"',
        f"first_year = {FIRST_YEAR}",
        f"years = {YEARS}",
        'programs = "programs.csv"',
        'gdp = "gdp.csv"',
        f'gdp_case = "{GDP_CASE}"',
        'source = "assumption: bench/synthetic.py"',
        "",
        "[cap]",
        f'ratio = "{CAP}"',
        'base = "each_year"',
        'source = "assumption: synthetic"',
        "",
        "[baseline]",
        f"oku_yen = {BASELINE}",
        'source = "assumption: synthetic"',
        "",
        "[fiscal]",
        f"max_new_per_year_oku_yen = {FISCAL_PER_YEAR}",
        f"max_new_total_oku_yen = {FISCAL_TOTAL}",
        'source = "assumption: synthetic"',
        "[fiscal.per_year_oku_yen]",
        f"{FIRST_YEAR} = {FISCAL_2026}",
        "",
        "[solver]",
        "time_limit_seconds = 300",
        "gap = 0.0",
        "tolerance = 0.0",
        "",
    ]
    for rank, ja, en in RANKS:
        areas = ", ".join(f'"{a[0]}"' for a in AREAS if a[5] == rank)
        lines += [
            "[[ranks]]",
            f"rank = {rank}",
            f'name_ja = "{ja}"',
            f'name_en = "{en}"',
            f"areas = [{areas}]",
            'source = "assumption: synthetic"',
            "",
        ]
    for aid, ja, en, _, counts, _ in AREAS:
        demand = _demand(rows, "area", aid)
        lines += [
            "[[areas]]",
            f'id = "{aid}"',
            f'name_ja = "{ja}"',
            f'name_en = "{en}"',
            f"low_oku_yen = {int(AREA_LOW * demand)}",
            f"high_oku_yen = {int(AREA_HIGH * demand)}",
            f"counts_toward_defense = {'true' if counts else 'false'}",
            'source = "assumption: synthetic"',
            "",
        ]
    names = {"short": "短期", "mid": "中期", "long": "長期"}
    for pid, (a, b) in PHASES.items():
        demand = _demand(rows, "phase", pid)
        lines += [
            "[[phases]]",
            f'id = "{pid}"',
            f'name_ja = "{names[pid]}"',
            f'name_en = "{pid.capitalize()} term"',
            f"first_year = {a}",
            f"last_year = {b}",
            f"low_oku_yen = {int(PHASE_LOW * demand)}",
            f"high_oku_yen = {int(PHASE_HIGH * demand)}",
            'source = "assumption: synthetic"',
            "",
        ]
    lines += [
        "[[bounds]]",
        'id = "total_10y"',
        'name_ja = "10年合計"',
        'name_en = "Ten-year total"',
        f"first_year = {FIRST_YEAR}",
        f"last_year = {FIRST_YEAR + 9}",
        "areas = []",
        "low_oku_yen = 300000",
        "high_oku_yen = 620000",
        'source = "assumption: synthetic"',
        "",
    ]
    if contracts:
        lines += [
            "[contracts]",
            f"max_new_per_year_oku_yen = {NEW_CONTRACTS_PER_YEAR}",
            f"max_outstanding_oku_yen = {OUTSTANDING_MAX}",
            'obligations = "obligations.csv"',
            "baseline_includes_obligations = true",
            'source = "assumption: synthetic"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
