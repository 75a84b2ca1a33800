"""The shipped plan's contracts, obligations and budget vehicles against the reference files.

``data/obligations.csv`` is recomputed here from the rows of
``shared/reference/japan_defense_reference.csv`` it cites and the stated pattern; the pattern
is checked against the reference's own contract figure (16.5 兆円 of the DBP paid after FY2027);
the plan's settings against ``contracts_reference.csv``. The solve of the whole plan at 2 % is
slow (its earliness stage takes seconds on a shared machine) and marked so.
"""

from __future__ import annotations

import csv
import json
import os
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import DATA, REPO

from allocator.api import allocate
from allocator.plan.cap import parse_cap
from allocator.plan.contracts import parse_pattern, split_payments
from allocator.plan.loading import Overrides, load_plan
from allocator.report import write_reports

REFERENCE = REPO.parent / "shared" / "reference"
PATTERN = "20%;25%;15%;20%;20%"
"""The portfolio pattern of data/obligations.csv (docs/data-sources.md)."""
OKU_PER_CHO = 10_000


def reference(name: str) -> dict[tuple[str, str], str]:
    """{(item, fiscal_year or scope): value} of a reference file (comment lines skipped)."""
    path = REFERENCE / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference file not found at {path}")
        pytest.skip(f"reference file not found at {path}")
    lines = [x for x in path.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    rows = list(csv.DictReader(lines))
    key = "fiscal_year" if "fiscal_year" in rows[0] else "scope"
    value = "value_trillion_yen" if "value_trillion_yen" in rows[0] else "value"
    return {(r["item"], r[key]): r[value] for r in rows}


def cho(text: str) -> int:
    """兆円 as written in the reference -> 億円, exactly."""
    value = Fraction(text) * OKU_PER_CHO
    assert value.denominator == 1
    return int(value)


def dbp_contracts() -> dict[int, int]:
    """DBP contracts per fiscal year (億円) from the reference rows, as docs/data-sources.md
    derives them: FY2023–24 together 42 % of 43.5 兆円, FY2024 9.3625 兆円, FY2023–25 62 %;
    FY2026 and FY2027 share the rest equally."""
    ref = reference("japan_defense_reference.csv")
    total = cho(ref[("dbp_new_contract_amount", "FY2023-2027")])
    fy2024 = cho(ref[("budget_new_contracts_dbp", "FY2024")])
    assert "42% of 43.5" in _basis("budget_new_contracts_dbp", "FY2024")
    assert "62% of 43.5" in _basis("budget_dbp_target_expenses", "FY2025")
    upto_2024 = total * 42 // 100
    upto_2025 = total * 62 // 100
    rest = total - upto_2025
    return {
        2023: upto_2024 - fy2024,
        2024: fy2024,
        2025: upto_2025 - upto_2024,
        2026: rest // 2,
        2027: rest - rest // 2,
    }


def _basis(item: str, year: str) -> str:
    path = REFERENCE / "japan_defense_reference.csv"
    lines = [x for x in path.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    return next(r["basis"] for r in csv.DictReader(lines) if (r["item"], r["fiscal_year"]) == (
        item, year))  # fmt: skip


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_obligations_file_is_the_reference_paid_by_the_pattern() -> None:
    contracts = dbp_contracts()
    expected = {}
    for t in (2023, 2024, 2025):  # signed before the horizon
        for k, paid in enumerate(split_payments(contracts[t], parse_pattern(PATTERN))):
            if t + k >= 2026:
                expected[(t + k, t)] = paid
    rows = read_rows(DATA / "obligations.csv")
    got = {(int(r["fiscal_year"]), int(r["contract_year"])): int(r["oku_yen"]) for r in rows}
    assert got == expected
    assert sum(got.values()) == 156_725
    for r in rows:
        assert "ref:" in r["source"] and "assumption:" in r["source"]
        assert PATTERN.replace("%", "%") in r["source"]


def test_the_pattern_reproduces_the_dbp_paid_after_fy2027() -> None:
    # the same pattern on all five DBP contract years leaves 16.5 兆円 to the next plan
    ref = reference("japan_defense_reference.csv")
    after = sum(
        paid
        for t, c in dbp_contracts().items()
        for k, paid in enumerate(split_payments(c, parse_pattern(PATTERN)))
        if t + k > 2027
    )
    target = cho(ref[("dbp_contract_paid_in_next_plan", "FY2028-")])
    assert target == 165_000
    assert abs(after - target) <= 500  # within the reference's rounding to 0.1 兆円
    assert after == 165_104


def test_plan_settings_cite_the_contract_rules() -> None:
    ref = reference("contracts_reference.csv")
    doc = tomllib.loads((DATA / "plan.toml").read_text(encoding="utf-8"))
    c = doc["contracts"]
    assert c["max_term_years"] == int(ref[("contract_term_limit_general", "all multi-year "
                                           "contracts (国庫債務負担行為)")])  # fmt: skip
    assert c["long_term_max_years"] == int(
        ref[("contract_term_limit_long_term", "特定防衛調達 (designated long-term procurement)")]
    )
    dbp = reference("japan_defense_reference.csv")
    assert c["max_new_per_year_oku_yen"] * 5 == cho(dbp[("dbp_new_contract_amount", "FY2023-2027")])
    assert c["baseline_includes_obligations"] is True
    plan = load_plan(DATA)
    # the obligations are inside the FY2026 budget held flat: the cap's room is unchanged
    assert all(plan.committed(y) == 90_353 for y in plan.fiscal_years)
    assert plan.obligations_due(2026) == 53_608
    vehicles = {v.id: v for v in plan.vehicles}
    assert set(vehicles) == {"initial", "supplementary", "fund"}
    assert vehicles["initial"].default and vehicles["initial"].ceiling(2026) == 0
    assert vehicles["initial"].ceiling(2027) is None
    assert vehicles["fund"].kind == "fund"
    surplus = cho(dbp[("dbp_extra_surplus_use", "FY2023-2027")])
    assert vehicles["fund"].inflow(2026) == surplus // 5
    for p in plan.programs:
        if p.is_contract:
            assert p.contract_pattern is not None
            limit = c["long_term_max_years"] if p.long_term_contract else c["max_term_years"]
            assert len(p.contract_pattern) <= limit
            assert p.basis == "payment"  # the seed's ranges are budget figures
    contract_ids = sorted(p.program_id for p in plan.programs if p.is_contract)
    assert contract_ids == ["B02", "C02", "C03", "D02", "G01"]


GOLDEN = {1: 60_000, 2: 99_994, 3: 190_000, 4: 122_006, 5: 8_000, 6: 20_000}
"""The shipped plan with contracts at 2 %, by hand. Rank 1 (area A, 60,000): the FY2026 initial
budget is closed, so FY2026 money comes from the supplementary budget (10,000) and the fund
(10,000 + 1,800): A01 20,000 and A02 1,800 in FY2026, A02's other 38,200 in FY2027 (cap room
38,527). Rank 2: FY2027 leaves 327 for E01 and FY2028's room 39,667 is shared by D01 and E01,
whose low of 10,000 then costs D01 6 億円: D01 + E01 = 327 + 39,667, D02 40,000, E02 20,000 —
99,994. Rank 3 reaches what its areas allow (B02's high 70,000 and area C's high 120,000): its
contracts' payments run into the years after the mid phase, where the cap has room. Rank 4
takes what the 500,000 horizon ceiling leaves after ranks 5 and 6 at their areas' floors:
500,000 − 60,000 − 99,994 − 190,000 − 8,000 − 20,000 = 122,006."""


@pytest.fixture(scope="module")
def shipped_2pct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("contracts-seed") / "run"
    outcome = allocate(DATA, Overrides(cap=parse_cap("2%")), out=out, lang="en")
    assert outcome.result.status == "optimal"
    assert outcome.verification is not None and outcome.verification.ok
    return out


@pytest.mark.slow
def test_shipped_plan_with_contracts_at_2pct(shipped_2pct: Path) -> None:
    record = json.loads((shipped_2pct / "plan.json").read_text(encoding="utf-8"))
    assert {int(k): round(v) for k, v in record["objective_per_rank"].items()} == GOLDEN
    assert record["stages"][-1]["name"] == "vehicles"
    summary = read_rows(shipped_2pct / "summary.csv")
    for r in summary:  # baseline + obligations = the FY2026 budget held flat; within the cap
        assert int(r["baseline_oku_yen"]) + int(r["obligations_oku_yen"]) == 90_353
        assert int(r["defense_total_oku_yen"]) <= int(r["cap_oku_yen"])
    ledger = read_rows(shipped_2pct / "obligations.csv")
    earlier = {int(r["fiscal_year"]): int(r["paid_on_earlier_obligations_oku_yen"]) for r in ledger}
    assert {y: a for y, a in earlier.items() if a} == {
        2026: 53_608, 2027: 49_591, 2028: 36_126, 2029: 17_400,
    }  # fmt: skip
    assert int(ledger[-1]["outstanding_end_oku_yen"]) == 0
    # FY2026 new money only through the supplementary budget and the fund
    schedule = read_rows(shipped_2pct / "schedule.csv")
    fy2026 = [r for r in schedule if r["fiscal_year"] == "2026"]
    assert sum(int(r["paid_initial_oku_yen"]) for r in fy2026) == 0
    assert sum(int(r["paid_supplementary_oku_yen"]) for r in fy2026) == 10_000
    assert sum(int(r["paid_fund_oku_yen"]) for r in fy2026) == 11_800
    # the reports show the contract view
    write_reports(shipped_2pct, "ja")
    report = (shipped_2pct / "report.md").read_text(encoding="utf-8")
    assert "## 契約ベースと歳出ベース(後年度負担)" in report and "防衛力強化資金" in report
    assert (shipped_2pct / "charts" / "contracts_and_payments.png").is_file()
