"""Multi-year contracts and their payments: the payment rule worked by hand, the model against
the rule, the verifier's own copy of the rule, and a small plan worked by hand (two contracts,
a four-year pattern, a ceiling on new contracts that binds before the GDP cap does) checked
against a ledger computed here independently."""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planbuilder import program, write_plan

from allocator.api import allocate
from allocator.optim.model import build_model
from allocator.optim.solve import solve_lexicographic
from allocator.plan.contracts import PatternError, parse_pattern, split_payments
from allocator.plan.loading import Overrides, load_plan
from allocator.run.verify.contract_rules import paid_each_year

# ---------------------------------------------------------------------------------------------
# the pattern and the payment rule


def test_patterns_as_analysts_write_them() -> None:
    quarter = Fraction(1, 4)
    assert parse_pattern("25%;25%;25%;25%") == (quarter,) * 4
    assert parse_pattern("２５％；２５％；５０％") == (quarter, quarter, Fraction(1, 2))
    assert parse_pattern("12.5%;87.5%") == (Fraction(1, 8), Fraction(7, 8))
    assert parse_pattern("0.4;0.6;") == (Fraction(2, 5), Fraction(3, 5))
    assert parse_pattern("0%;100%") == (Fraction(0), Fraction(1))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("40%;30%;20%", "add up to 90%, not 100%"),
        ("40%;30%;20%;20%", "add up to 110%, not 100%"),
        ("60%;-10%;50%", "share 2 (-10%) is negative"),
        ("50%;;50%", "share 2 is empty"),
        ("50%;50%;0%", "the last share (year 3) is 0%"),
        ("50%;0.5", "mixes percentages and ratios"),
        ("half;half", "is not a percentage"),
        ("", "empty"),
    ],
)
def test_bad_patterns_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(PatternError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_pattern(text)


def test_payment_rule_worked_by_hand() -> None:
    # floor(40 % × 1,001) = 400, floor(300.3) = 300, floor(200.2) = 200, the rest 101
    assert split_payments(1001, parse_pattern("40%;30%;20%;10%")) == [400, 300, 200, 101]
    # nothing in the contract year, floor(3.5) = 3, the rest 4
    assert split_payments(7, parse_pattern("0%;50%;50%")) == [0, 3, 4]
    # 1/3 shares of 100: 33, 33, 34
    assert split_payments(100, (Fraction(1, 3),) * 3) == [33, 33, 34]
    # the DBP contracts of data/obligations.csv, FY2023 (89,075 億円) at 20;25;15;20;20
    assert split_payments(89_075, parse_pattern("20%;25%;15%;20%;20%")) == [
        17_815,
        22_268,
        13_361,
        17_815,
        17_816,
    ]
    assert split_payments(0, parse_pattern("40%;60%")) == [0, 0]


shares = st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=9).filter(
    lambda xs: sum(xs) > 0 and xs[-1] > 0
)


@settings(max_examples=300, deadline=None)
@given(weights=shares, contract=st.integers(min_value=0, max_value=10**7))
def test_payments_are_whole_floors_that_add_up(weights: list[int], contract: int) -> None:
    total = sum(weights)
    pattern = tuple(Fraction(w, total) for w in weights)
    paid = split_payments(contract, pattern)
    assert sum(paid) == contract
    assert all(isinstance(a, int) and a >= 0 for a in paid)
    for s, a in zip(pattern[:-1], paid[:-1], strict=True):
        assert a <= s * contract < a + 1  # the floor of the share
    # the last year gets its share plus what the others rounded off: less than one 億円 each
    assert pattern[-1] * contract <= paid[-1] < pattern[-1] * contract + len(pattern)
    # the verifier's own copy of the rule agrees
    assert paid_each_year(contract, pattern) == paid


# ---------------------------------------------------------------------------------------------
# the model writes the same rule


MODEL_PATTERNS = {
    "P1": "40%;30%;20%;10%",
    "P2": "20%;25%;15%;20%;20%",
    "P3": "10%;20%;30%;40%",
    "P4": "0%;33%;67%",
    "P5": "12.5%;12.5%;75%",
}


def test_model_payments_follow_the_rule_exactly(tmp_path: Path) -> None:
    # each program must contract exactly its low = high in 2026 (contract basis): the model's
    # payments in 2026–2030 are then the rule's, year by year; contracts chosen to cover every
    # remainder of the patterns' denominators and large amounts
    amounts = [1, 2, 3, 7, 11, 19, 99, 101, 199, 997, 1001, 12_345, 80_003]
    rows = []
    expected: dict[tuple[str, int], int] = {}
    for name, pattern in MODEL_PATTERNS.items():
        for i, c in enumerate(amounts):
            pid = f"{name}_{i}"
            rows.append(
                program(
                    pid, c, c, first=2026, last=2026, contract_pattern=pattern, basis="contract"
                )
            )
            for k, a in enumerate(split_payments(c, parse_pattern(pattern))):
                if a:
                    expected[pid, 2026 + k] = a
    plan = load_plan(write_plan(tmp_path / "plan", rows, years=5, cap="90%", gdp=10**7))
    result = solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)
    assert result.status == "optimal"
    got = {
        (str(r.program_id), int(r.fiscal_year)): int(r.amount_oku_yen)
        for r in result.schedule.itertuples()
        if int(r.amount_oku_yen)
    }
    assert got == expected
    contracts = {
        str(r.program_id): int(r.contract_oku_yen)
        for r in result.schedule.itertuples()
        if int(r.contract_oku_yen)
    }
    assert contracts == {f"{n}_{i}": c for n in MODEL_PATTERNS for i, c in enumerate(amounts)}


def test_whole_units_pay_exact_shares(tmp_path: Path) -> None:
    # ships of 1,000 億円 at 20;25;15;20;20: every share is whole 億円, no rounding at all
    rows = [
        program(
            "SHIP", 3000, 3000, first=2026, last=2026, unit_cost_oku_yen=1000,
            contract_pattern="20%;25%;15%;20%;20%", basis="contract",
        )
    ]  # fmt: skip
    plan = load_plan(write_plan(tmp_path / "plan", rows, years=5, cap="90%"))
    result = solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)
    paid = {int(r.fiscal_year): int(r.amount_oku_yen) for r in result.schedule.itertuples()}
    assert paid == {2026: 600, 2027: 750, 2028: 450, 2029: 600, 2030: 600}
    first = result.schedule[result.schedule.fiscal_year == 2026].iloc[0]
    assert int(first.units) == 3 and int(first.contract_oku_yen) == 3000


# ---------------------------------------------------------------------------------------------
# a small plan worked by hand


def hand_plan(folder: Path, ceiling: int | None = 900) -> Path:
    """Two contract programs at 40 %;30 %;20 %;10 % over FY2026–2029; GDP 100,000 億円, cap 2 %
    and baseline 1,000 leave 1,000 億円 a year; at most ``ceiling`` 億円 of new contracts a
    year. The tie-break is earliness (``profile = "early"``), as the figures below assume."""
    pattern = "40%;30%;20%;10%"
    return write_plan(
        folder,
        [
            program(
                "S1", 0, 2000, first=2026, last=2027, contract_pattern=pattern, basis="contract",
            ),
            program(
                "S2", 0, 1000, first=2026, last=2029, rank=2, contract_pattern=pattern,
                basis="contract",
            ),
        ],
        years=4,
        ranks=2,
        baseline=1000,
        extra_toml=(
            "" if ceiling is None else f"[contracts]\nmax_new_per_year_oku_yen = {ceiling}\n"
        ),
        solver_extra='profile = "early"',  # the tie-break worked out by hand below
    )  # fmt: skip


def independent_ledger(
    contracts: dict[tuple[str, int], int], pattern: list[int], last: int
) -> list[dict[str, int]]:
    """obligations.csv computed here: payments by the rule (shares in whole percent), then
    per year contracts, payments, outstanding at year end and what is owed after ``last``."""
    paid: dict[int, int] = {}
    later: dict[int, int] = {}
    past_of: dict[int, int] = {}
    for (_, t), c in contracts.items():
        each = [c * s // 100 for s in pattern[:-1]]
        each.append(c - sum(each))
        later[t] = later.get(t, 0) + c - each[0]
        for k, a in enumerate(each):
            paid[t + k] = paid.get(t + k, 0) + a
            if t + k > last:
                past_of[t] = past_of.get(t, 0) + a
    new = {t: sum(c for (_, y), c in contracts.items() if y == t) for t in range(2026, last + 1)}
    rows = []
    owed = past = 0
    for y in range(2026, max(paid) + 1):
        owed += new.get(y, 0) - paid.get(y, 0)
        past = past + past_of.get(y, 0) if y <= last else owed
        rows.append(
            {
                "fiscal_year": y,
                "new_contracts_oku_yen": new.get(y, 0),
                "new_obligations_oku_yen": later.get(y, 0),
                "paid_on_new_contracts_oku_yen": paid.get(y, 0),
                "paid_on_earlier_obligations_oku_yen": 0,
                "payments_total_oku_yen": paid.get(y, 0),
                "outstanding_end_oku_yen": owed,
                "owed_past_horizon_oku_yen": past,
            }
        )
    return rows


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_hand_worked_contract_plan(tmp_path: Path) -> None:
    # Rank 1 (S1, contracts only in FY2026–27) is held back by the ceiling of 900 億円 of new
    # contracts a year: 900 + 900 = 1,800 of its 2,000. Its payments (360, 270+360, 180+270,
    # 90+180, 90) never reach the 1,000 億円 the cap leaves, so the cap does not bind. Rank 2
    # (S2) can contract only when S1 does not use the ceiling: 900 in FY2028 and the rest of its
    # 1,000 in FY2029 (earliness puts the larger contract first).
    out = tmp_path / "run"
    outcome = allocate(hand_plan(tmp_path / "plan"), Overrides(), out=out)
    assert outcome.result.status == "optimal"
    assert outcome.result.rank_values() == {1: 1800, 2: 1000}
    assert outcome.verification is not None and outcome.verification.ok
    contracts = {("S1", 2026): 900, ("S1", 2027): 900, ("S2", 2028): 900, ("S2", 2029): 100}
    schedule = read_rows(out / "schedule.csv")
    assert {
        (r["program_id"], int(r["fiscal_year"])): int(r["contract_oku_yen"])
        for r in schedule
        if int(r["contract_oku_yen"])
    } == contracts
    paid = {(r["program_id"], int(r["fiscal_year"])): int(r["payment_oku_yen"]) for r in schedule}
    assert paid == {
        ("S1", 2026): 360, ("S1", 2027): 630, ("S1", 2028): 450, ("S1", 2029): 270,
        ("S2", 2028): 360, ("S2", 2029): 310,
    }  # fmt: skip
    assert all(r["amount_oku_yen"] == r["payment_oku_yen"] for r in schedule)
    # the ceiling binds, the GDP cap does not
    summary = read_rows(out / "summary.csv")
    assert [int(r["headroom_oku_yen"]) for r in summary] == [640, 370, 190, 420]
    assert [int(r["defense_contract_oku_yen"]) for r in summary] == [900, 900, 900, 100]
    # obligations.csv against the ledger computed here, row by row
    ledger = read_rows(out / "obligations.csv")
    want = independent_ledger(contracts, [40, 30, 20, 10], 2029)
    assert [r["in_horizon"] for r in ledger] == ["yes"] * 4 + ["no"] * 3
    assert [{k: int(v) for k, v in r.items() if k != "in_horizon"} for r in ledger] == want
    assert want[3]["owed_past_horizon_oku_yen"] == 420  # 90 + 180 + 90 + 40 + 20 (…) after FY2029
    programs = {r["program_id"]: r for r in read_rows(out / "programs.csv")}
    assert programs["S1"]["contract_total_oku_yen"] == "1800"
    assert programs["S2"]["paid_past_horizon_oku_yen"] == str(180 + 90 + 30 + 20 + 10)


def test_without_the_ceiling_the_first_contract_takes_its_high(tmp_path: Path) -> None:
    plan = load_plan(hand_plan(tmp_path / "plan", ceiling=None))
    result = solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)
    assert result.rank_values()[1] == 2000


def test_a_later_years_ceiling_counts_only_what_is_paid_after_the_year(tmp_path: Path) -> None:
    # 新規後年度負担 = contract − its first-year payment (40 %): a ceiling of 540 a year allows
    # contracts of 900 (900 − 360 = 540)
    folder = hand_plan(tmp_path / "plan", ceiling=540)
    toml = folder / "plan.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "[contracts]\n", '[contracts]\nnew_measure = "later_years"\n'
        ),
        encoding="utf-8",
    )
    out = tmp_path / "run"
    outcome = allocate(folder, Overrides(), out=out)
    assert outcome.result.rank_values() == {1: 1800, 2: 1000}
    assert outcome.verification is not None and outcome.verification.ok
    ledger = read_rows(out / "obligations.csv")
    assert [int(r["new_obligations_oku_yen"]) for r in ledger[:3]] == [540, 540, 540]


def test_basis_decides_what_a_range_counts(tmp_path: Path) -> None:
    # one contract program, window FY2027 only (the last year), 50 %;50 %: half of what it
    # contracts is paid after the horizon. A payment-basis range of 300 then needs a contract
    # of 600; a contract-basis range of 300 a contract of 300.
    def solve(basis: str) -> dict[str, int]:
        folder = write_plan(
            tmp_path / basis,
            [
                program(
                    "K", 300, 300, first=2027, last=2027, contract_pattern="50%;50%", basis=basis
                )
            ],
            years=2,
            cap="90%",
        )
        out = tmp_path / f"run-{basis}"
        outcome = allocate(folder, Overrides(), out=out)
        assert outcome.verification is not None and outcome.verification.ok
        row = read_rows(out / "programs.csv")[0]
        return {k: int(row[k]) for k in ("total_oku_yen", "contract_total_oku_yen",
                                          "paid_past_horizon_oku_yen")}  # fmt: skip

    assert solve("payment") == {
        "total_oku_yen": 300,
        "contract_total_oku_yen": 600,
        "paid_past_horizon_oku_yen": 300,
    }
    assert solve("contract") == {
        "total_oku_yen": 150,
        "contract_total_oku_yen": 300,
        "paid_past_horizon_oku_yen": 150,
    }


def test_contract_window_and_outstanding_ceiling(tmp_path: Path) -> None:
    # contracts only in FY2027; at most 500 owed at any year end: S1 can contract at most
    # 500 / 60 % = 833 in FY2027 (60 % of it is still owed at the end of FY2027)
    folder = hand_plan(tmp_path / "plan", ceiling=None)
    toml = folder / "plan.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + "[contracts]\nwindow_first_year = 2027\nwindow_last_year = 2027\n"
        "max_outstanding_oku_yen = 500\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    outcome = allocate(folder, Overrides(), out=out)
    assert outcome.result.rank_values()[1] == 833
    assert outcome.verification is not None and outcome.verification.ok
    assert dict(outcome.verification.checks)["contract_window"] == 4
    assert dict(outcome.verification.checks)["outstanding_cap"] == 4
    ledger = read_rows(out / "obligations.csv")
    assert max(int(r["outstanding_end_oku_yen"]) for r in ledger) <= 500


def test_obligations_take_room_under_the_cap(tmp_path: Path) -> None:
    # 1,000 億円 of room a year; earlier contracts owe 400 in FY2026 and 100 in FY2027 (and 50
    # after the horizon): a plain program may then take 600 + 900
    folder = write_plan(
        tmp_path / "plan",
        [program("P", 0, 5000, first=2026, last=2027)],
        years=2,
        baseline=1000,
        extra_toml='[contracts]\nobligations = "obligations.csv"\n',
    )
    (folder / "obligations.csv").write_text(
        "fiscal_year,oku_yen,contract_year,source\n2026,400,2024,test\n2027,100,2025,test\n"
        "2028,50,2025,test\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    outcome = allocate(folder, Overrides(), out=out)
    assert outcome.result.rank_values() == {1: 1500}
    assert outcome.verification is not None and outcome.verification.ok
    summary = read_rows(out / "summary.csv")
    assert [int(r["obligations_oku_yen"]) for r in summary] == [400, 100]
    assert [int(r["defense_total_oku_yen"]) for r in summary] == [2000, 2000]
    ledger = read_rows(out / "obligations.csv")
    assert [(int(r["fiscal_year"]), int(r["outstanding_end_oku_yen"])) for r in ledger] == [
        (2026, 150),
        (2027, 50),
        (2028, 0),
    ]
    assert int(ledger[1]["owed_past_horizon_oku_yen"]) == 50
    # with the baseline said to include them, the room is the cap less the baseline again
    toml = folder / "plan.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "[contracts]\n", "[contracts]\nbaseline_includes_obligations = true\n"
        ),
        encoding="utf-8",
    )
    plan = load_plan(folder)
    assert [plan.baseline(y) for y in plan.fiscal_years] == [600, 900]
    assert [plan.cap_room(y) for y in plan.fiscal_years] == [1000, 1000]


# ---------------------------------------------------------------------------------------------
# budget vehicles


def vehicle_plan(folder: Path, opening: int = 300) -> Path:
    return write_plan(
        folder,
        [
            program("URG", 0, 900, first=2026, last=2027, vehicles="supplementary;fund"),
            program("REG", 0, 2000, first=2026, last=2027, rank=2),
        ],
        years=2,
        ranks=2,
        baseline=1000,
        extra_toml=(
            '[[vehicles]]\nid = "initial"\nname_ja = "当初予算"\nname_en = "Initial"\n'
            "default = true\n[vehicles.per_year_oku_yen]\n2026 = 0\n\n"
            '[[vehicles]]\nid = "supplementary"\nname_ja = "補正予算"\nname_en = "Supplementary"\n'
            "max_per_year_oku_yen = 200\n\n"
            '[[vehicles]]\nid = "fund"\nname_ja = "基金"\nname_en = "Fund"\nkind = "fund"\n'
            f"opening_balance_oku_yen = {opening}\n[vehicles.inflow_oku_yen]\n2027 = 100\n"
        ),
    )


def test_vehicles_worked_by_hand(tmp_path: Path) -> None:
    # URG (rank 1) may be paid by the supplementary budget (200 a year) and the fund (300, plus
    # 100 in FY2027): at most 200 + 200 + 300 + 100 = 800 over two years. REG (rank 2) only by
    # the initial budget, which pays nothing in FY2026: it takes the FY2027 cap room left,
    # 1,000 − URG's FY2027 payment. The last stage draws the fund last: URG takes the
    # supplementary budget first each year.
    out = tmp_path / "run"
    outcome = allocate(vehicle_plan(tmp_path / "plan"), Overrides(), out=out)
    assert outcome.result.status == "optimal"
    values = outcome.result.rank_values()
    assert values[1] == 800
    assert outcome.verification is not None and outcome.verification.ok
    schedule = read_rows(out / "schedule.csv")
    by = {
        (r["program_id"], int(r["fiscal_year"])): (
            int(r["paid_initial_oku_yen"]),
            int(r["paid_supplementary_oku_yen"]),
            int(r["paid_fund_oku_yen"]),
        )
        for r in schedule
    }
    urg_2027 = sum(by[("URG", 2027)])
    assert values[2] == 1000 - urg_2027
    assert by[("URG", 2026)][0] == 0 and by[("URG", 2027)][0] == 0  # never the initial budget
    assert all(v[1] == 0 and v[2] == 0 for k, v in by.items() if k[0] == "REG")
    assert ("REG", 2026) not in by
    assert by[("URG", 2026)][1] == 200 and by[("URG", 2027)][1] == 200
    stages = [s.name for s in outcome.result.stages]
    assert stages[-1] == "vehicles"


def test_a_fund_too_small_is_never_overdrawn(tmp_path: Path) -> None:
    out = tmp_path / "run"
    outcome = allocate(vehicle_plan(tmp_path / "plan", opening=0), Overrides(), out=out)
    assert outcome.result.rank_values()[1] == 200 + 200 + 100  # the fund has only its inflow
    assert outcome.verification is not None and outcome.verification.ok
