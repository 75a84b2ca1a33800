"""OR-Library multi-dimensional 0/1 knapsack problems (``mknap2.txt``) as allocator plans.

``parse_mknap`` reads the file; ``write_plan`` turns one instance into a plan folder in the
format of ``docs/plan-format.md``: one fiscal year per knapsack constraint, one program per
object with a fixed ``payment_profile`` (its column of the constraint matrix) and an explicit
``value``, and the capacities as absolute yearly ceilings. Maximising rank 1 of that plan is
then exactly the knapsack problem, so the allocator must reach the published optimum.

File format (from the file's header): per instance, after a line ``problem NAME.DAT``,
``n m`` (n constraints, m objects), m object values, n capacities, n rows of m constraint
coefficients, then the known optimum. Numbers wrap freely across lines; lines of ``+`` are
separators. Everything before the first ``problem`` line (literature notes and a commented copy
of WEING1) is skipped.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

REFERENCE_PARTS = ("shared", "reference", "capital_budgeting", "mknap2.txt")
"""Location of ``mknap2.txt`` relative to the parent of the repository root."""

HUGE_GDP_OKU_YEN = 10**12
"""GDP written for every year: 2 % of it dwarfs any knapsack, so the GDP cap never binds."""

_PROBLEM_RE = re.compile(r"^\s*problem\s+(\S+)", re.IGNORECASE)
_INT_RE = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class Instance:
    """One multi-dimensional 0/1 knapsack problem: maximise Σ values[j]·x[j] subject to
    Σ_j rows[i][j]·x[j] ≤ capacities[i] for every constraint i, x binary."""

    name: str
    """Instance name without ``.DAT`` (``WEING1``)."""
    values: tuple[int, ...]
    """m object values (the file calls them weights)."""
    capacities: tuple[int, ...]
    """n knapsack capacities."""
    rows: tuple[tuple[int, ...], ...]
    """n constraint rows of m coefficients each."""
    optimum: int
    """The published optimum."""

    @property
    def n_constraints(self) -> int:
        return len(self.capacities)

    @property
    def n_objects(self) -> int:
        return len(self.values)

    def column(self, j: int) -> tuple[int, ...]:
        """Coefficients of object ``j`` in every constraint."""
        return tuple(row[j] for row in self.rows)


def reference_file(repo_root: Path) -> Path:
    """Where ``mknap2.txt`` lives relative to the repository root (it may be absent)."""
    return repo_root.parent.joinpath(*REFERENCE_PARTS)


def instance_from_numbers(name: str, tokens: list[int]) -> Instance:
    """Build an instance from its numbers in file order (``n m``, values, capacities, rows,
    optimum); ``ValueError`` if their count does not fit ``n m``."""
    if len(tokens) < 2:
        raise ValueError(f"{name}: no 'n m' header")
    n, m = tokens[0], tokens[1]
    if n < 1 or m < 1:
        raise ValueError(f"{name}: bad dimensions n={n}, m={m}")
    expected = 2 + m + n + n * m + 1
    if len(tokens) != expected:
        raise ValueError(
            f"{name}: {len(tokens)} numbers, expected {expected} for n={n} constraints "
            f"and m={m} objects"
        )
    pos = 2
    values = tuple(tokens[pos : pos + m])
    pos += m
    capacities = tuple(tokens[pos : pos + n])
    pos += n
    rows = tuple(tuple(tokens[pos + i * m : pos + (i + 1) * m]) for i in range(n))
    pos += n * m
    return Instance(name, values, capacities, rows, tokens[pos])


def parse_mknap(path: Path) -> list[Instance]:
    """Read every instance of an OR-Library ``mknap2.txt`` file, in file order.

    Raises ``ValueError`` if an instance's numbers do not match its ``n m`` header, or if a
    line inside an instance holds something other than integers or a ``+`` separator.
    """
    instances: list[Instance] = []
    name: str | None = None
    tokens: list[int] = []
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    for lineno, line in enumerate(lines, start=1):
        m = _PROBLEM_RE.match(line)
        if m:
            if name is not None:
                instances.append(instance_from_numbers(name, tokens))
            name = re.sub(r"\.dat$", "", m.group(1), flags=re.IGNORECASE)
            tokens = []
            continue
        if name is None:
            continue  # header text and the commented example before the first problem
        text = line.split("//", 1)[0].strip()
        if not text or set(text) <= {"+"}:
            continue
        words = text.split()
        bad = [w for w in words if not _INT_RE.fullmatch(w)]
        if bad:
            raise ValueError(f"{path}:{lineno}: {bad[0]!r} in {name} is not an integer")
        tokens.extend(int(w) for w in words)
    if name is not None:
        instances.append(instance_from_numbers(name, tokens))
    return instances


def program_id(j: int) -> str:
    """Program id of object ``j`` (0-based): ``P001``, ``P002``, ..."""
    return f"P{j + 1:03d}"


def payment_profile(instance: Instance, j: int, first_year: int = 2026) -> str:
    """``year:cost;...`` for object ``j``: one year per constraint, zero-cost years included."""
    return ";".join(f"{first_year + i}:{c}" for i, c in enumerate(instance.column(j)))


_PROGRAM_COLUMNS = [
    "program_id",
    "name_ja",
    "name_en",
    "area",
    "phase",
    "rank",
    "window_first_year",
    "window_last_year",
    "low_oku_yen",
    "high_oku_yen",
    "payment_profile",
    "value",
    "source",
]


def write_plan(instance: Instance, folder: Path, first_year: int = 2026) -> Path:
    """Write ``instance`` as a plan folder (plan.toml, programs.csv, gdp.csv); return the folder.

    Constraint i becomes fiscal year ``first_year + i`` with ceiling ``capacities[i]``; object
    j becomes program ``program_id(j)`` paying ``rows[i][j]`` in year i, worth ``values[j]``.
    Every object is written, also one whose payments are all zero (its profile total, and so
    its default high_oku_yen, is then 0; the knapsack takes such an object for free).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n = instance.n_constraints
    last_year = first_year + n - 1
    src = f"OR-Library mknap2.txt {instance.name}"
    ceilings = "\n".join(f"{first_year + i} = {c}" for i, c in enumerate(instance.capacities))
    toml = f"""\
[plan]
name = "mknap-{instance.name.lower()}"
title_en = "OR-Library multi-dimensional knapsack {instance.name}"
first_year = {first_year}
years = {n}
programs = "programs.csv"
gdp = "gdp.csv"
gdp_case = "test"
source = "{src}"

[cap]
ratio = "2%"
source = "assumption: huge GDP, the cap never binds"

[baseline]
oku_yen = 0
source = "assumption: no baseline"

[fiscal]
source = "{src}: knapsack capacities as yearly ceilings"
[fiscal.per_year_oku_yen]
{ceilings}

[solver]
time_limit_seconds = 120
gap = 0.0
tolerance = 0.0

[[ranks]]
rank = 1
name_ja = "ナップサック"
name_en = "Knapsack"
areas = ["K"]
source = "{src}"

[[areas]]
id = "K"
name_ja = "ナップサック"
name_en = "Knapsack objects"
counts_toward_defense = false
source = "{src}"

[[phases]]
id = "all"
name_ja = "全期間"
name_en = "Whole horizon"
first_year = {first_year}
last_year = {last_year}
source = "{src}"
"""
    (folder / "plan.toml").write_text(toml, encoding="utf-8")

    with (folder / "programs.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_PROGRAM_COLUMNS)
        for j in range(instance.n_objects):
            pid = program_id(j)
            w.writerow(
                [
                    pid,
                    f"対象{j + 1}",
                    f"Object {j + 1}",
                    "K",
                    "all",
                    1,
                    first_year,
                    last_year,
                    "",
                    "",
                    payment_profile(instance, j, first_year),
                    instance.values[j],
                    f"{src} object {j + 1}",
                ]
            )

    with (folder / "gdp.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["fiscal_year", "gdp_case", "gdp_oku_yen", "source"])
        for y in range(first_year, last_year + 1):
            w.writerow([y, "test", HUGE_GDP_OKU_YEN, "assumption: huge, never binds"])
    return folder


__all__ = [
    "HUGE_GDP_OKU_YEN",
    "Instance",
    "instance_from_numbers",
    "parse_mknap",
    "payment_profile",
    "program_id",
    "reference_file",
    "write_plan",
]
