"""Strict (lexicographic) priority: worked examples and properties on the shipped plan."""

from __future__ import annotations

from pathlib import Path

from conftest import PLAIN as DATA
from conftest import solve_folder, totals
from planbuilder import program, write_plan

from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides


def test_rank_one_first_even_when_lower_ranks_would_sum_to_more(tmp_path: Path) -> None:
    # room 1,000. Rank 1: P (600, go/no-go). Rank 2: Q1, Q2 (500 each, go/no-go).
    # A weighted sum of funded 億円 would fund Q1+Q2 (1,000 > 600); strict priority funds P,
    # then nothing of rank 2 fits in the 400 left.
    progs = [
        program("P", 600, 600, rank=1),
        program("Q1", 500, 500, rank=2),
        program("Q2", 500, 500, rank=2),
    ]
    _, r = solve_folder(write_plan(tmp_path, progs, ranks=2, cap="1%"))
    assert r.funded == {"P": True, "Q1": False, "Q2": False}
    assert r.rank_values() == {1: 600, 2: 0}


def test_lower_rank_gets_what_higher_rank_cannot_use(tmp_path: Path) -> None:
    # Rank 1's window is 2026 only; rank 2 takes 2027's room and what rank 1 leaves in 2026
    progs = [program("P", 0, 1500, rank=1), program("Q", 0, 5000, rank=2, first=2026, last=2027)]
    _, r = solve_folder(write_plan(tmp_path, progs, years=2, ranks=2))
    assert totals(r) == {"P": 1500, "Q": 2500}


def test_shipped_plan_rank_one_never_grows_when_cap_is_lowered() -> None:
    previous = None
    for cap in ("2.5%", "2.2%", "2%", "1.9%", "1.85%"):
        _, r = solve_folder(DATA, Overrides(cap=parse_cap(cap)))
        assert r.status == "optimal", cap
        v1 = r.rank_values()[1]
        if previous is not None:
            assert v1 <= previous, cap
        previous = v1


def test_shipped_plan_no_lower_rank_money_that_rank_one_could_use() -> None:
    # At 1.85 % the defence room above the baseline in 2026–2027 (rank 1's windows) is less
    # than rank 1's 60,000 億円: worked by hand, rank 1 must get all of that room and no lower
    # rank may receive defence money in those two years.
    plan, r = solve_folder(DATA, Overrides(cap=parse_cap("1.85%")))
    room = sum(plan.cap_oku_yen(y) - plan.baseline(y) for y in (2026, 2027))
    assert room == (118_104 - 90_353) + (119_214 - 90_353)  # ⌊1.85 % × GDP⌋ − baseline
    assert r.rank_values()[1] == min(60_000, room) == 56_612
    by_id = {p.program_id: p for p in plan.programs}
    lower = [
        row
        for row in r.schedule.itertuples()
        if row.fiscal_year in (2026, 2027)
        and by_id[row.program_id].rank > 1
        and plan.counts_toward_defense(by_id[row.program_id])
    ]
    assert lower == []
