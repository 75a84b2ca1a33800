"""Small plans with an uncertainty.toml, for the Monte Carlo, risk and robust tests."""

from __future__ import annotations

from pathlib import Path

from planbuilder import program, write_plan

GDP_ONLY = """[uncertainty]
seed = 3
draws = 40
robust_scenarios = 3
source = "test"

[gdp]
cases = ["base", "low"]
distribution = "lognormal"
growth_sd_pct = 2.0
source = "test: worked by hand"
"""

WITH_COSTS = (
    GDP_ONLY
    + """
[fx]
costing_rate = 100
around = "flat"
distribution = "lognormal"
annual_sd_pct = 10
persistence = 0.8
source = "test"

[[fx.cases]]
name = "flat"
jpy_per_usd = 100
source = "test"

[cost_growth]
correlation = 0.5
source = "test"

[[costs]]
overrun = "triangular"
low_pct = 0
mode_pct = 10
high_pct = 30
dollar_share = 0.5
source = "test"
"""
)


def one_program_plan(folder: Path, *, uncertainty: str = GDP_ONLY, years: int = 3) -> Path:
    """One program P (0–2,500 億円, any year), baseline 1,000, GDP 100,000 a year (2 % cap:
    1,000 億円 of room a year); GDP cases ``base`` and ``low`` (95,000 from the first year)."""
    first = 2026
    base = {y: 100_000 for y in range(2020, first + years)}
    low = {y: (95_000 if y >= first else 100_000) for y in range(2020, first + years)}
    write_plan(folder, [program("P", 0, 2500, first=first, last=first + years - 1)],
               years=years, baseline=1000, gdp=base)  # fmt: skip
    with (folder / "gdp.csv").open("a", encoding="utf-8", newline="") as f:
        for y, g in sorted(low.items()):
            f.write(f"{y},low,{g},test\r\n")
    (folder / "uncertainty.toml").write_text(uncertainty, encoding="utf-8")
    return folder


def two_rank_plan(folder: Path, *, uncertainty: str = GDP_ONLY) -> Path:
    """Two years, two ranks. Rank 1: A (0–1,500, first year only). Rank 2: B, which must get
    at least 900 in the second year if funded, and is mandatory. With GDP 100,000 (room 1,000
    a year) the central plan spends its whole first-year room on A; the ``low`` case (95,000:
    room 900) still funds B in year 2, so both hold; draws may not."""
    first = 2026
    base = {y: 100_000 for y in range(2020, first + 2)}
    write_plan(
        folder,
        [
            program("A", 0, 1500, first=first, last=first),
            program("B", 900, 900, first=first, last=first + 1, rank=2, mandatory="yes"),
        ],
        years=2, ranks=2, baseline=1000, gdp=base,
    )  # fmt: skip
    with (folder / "gdp.csv").open("a", encoding="utf-8", newline="") as f:
        for y in sorted(base):
            f.write(f"{y},low,{95_000 if y >= first else 100_000},test\r\n")
    (folder / "uncertainty.toml").write_text(uncertainty, encoding="utf-8")
    return folder
