"""The value each rank receives, written three times on purpose — the model's expression
(allocator.optim), the record's rule (allocator.plan.values) and the verifier's own copy
(allocator.run.verify.ranks) — and checked here to agree on solved plans with explicit values,
fixed profiles and plain 億円; and plan.json objective_per_rank and ranks.csv value state what
the final schedule gives."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from planbuilder import program, write_plan

from allocator.optim.model import build_model
from allocator.optim.solve import expression_value, solve_lexicographic
from allocator.plan.loading import load_plan
from allocator.plan.values import rank_values
from allocator.run.record import RunOptions
from allocator.run.verify import verify_run
from allocator.run.verify.ranks import schedule_rank_values
from allocator.run.writer import write_run


@pytest.mark.parametrize("cap", ["2%", "1.2%", "0.8%"])
def test_three_copies_of_the_value_rule_agree(tmp_path: Path, cap: str) -> None:
    folder = write_plan(
        tmp_path / "plan",
        [
            program("V1", 0, 900, first=2026, last=2027, value=450),  # value × 億円 / high
            program("K1", first=2026, last=2027, payment_profile="2026:300;2027:200", value=700),
            program("K2", first=2026, last=2027, payment_profile="2026:250", rank=2, value=90),
            program("P1", 100, 800, first=2026, last=2027, rank=2),  # plain 億円
            program("U1", 0, 600, first=2026, last=2027, rank=3, unit_cost_oku_yen=150),
        ],
        years=2,
        ranks=3,
        cap=cap,
    )
    plan = load_plan(folder)
    model = build_model(plan)
    result = solve_lexicographic(model, time_limit=60, gap=0.0)
    assert result.has_plan
    in_model = {r: expression_value(e) for r, e in model.rank_value.items()}
    totals: dict[str, int] = {}
    amounts: dict[str, dict[int, int]] = {}
    for r in result.schedule.itertuples():
        totals[r.program_id] = totals.get(r.program_id, 0) + int(r.amount_oku_yen)
        amounts.setdefault(r.program_id, {})[int(r.fiscal_year)] = int(r.amount_oku_yen)
    in_record = rank_values(plan, totals, result.funded)
    in_verifier = schedule_rank_values(plan, amounts, result.funded)
    for rank in in_model:
        assert in_record[rank] == pytest.approx(in_model[rank], rel=1e-9, abs=1e-6)
        assert in_verifier[rank] == pytest.approx(in_model[rank], rel=1e-9, abs=1e-6)

    run = write_run(plan, result, tmp_path / "run", options=RunOptions(cap=cap))
    recorded = json.loads((run / "plan.json").read_text(encoding="utf-8"))["objective_per_rank"]
    with (run / "ranks.csv").open(encoding="utf-8-sig", newline="") as f:
        table = {int(row["rank"]): float(row["value"]) for row in csv.DictReader(f)}
    for rank, value in in_model.items():
        assert recorded[str(rank)] == pytest.approx(value, rel=1e-9, abs=1e-6)
        assert table[rank] == pytest.approx(value, rel=1e-6, abs=1e-6)
    assert verify_run(run).ok


def test_ranks_csv_areas_are_the_areas_of_the_ranks_programs(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path / "plan",
        [
            program("A1", 0, 100, area="A"),
            program("B1", 0, 100, area="B", rank=2),
            program("A2", 0, 100, area="A", rank=2),
        ],
        ranks=2,
        areas={"A": {}, "B": {}},
    )
    plan = load_plan(folder)
    result = solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)
    run = write_run(plan, result, tmp_path / "run", options=RunOptions(cap="2%"))
    with (run / "ranks.csv").open(encoding="utf-8-sig", newline="") as f:
        areas = {row["rank"]: row["areas"] for row in csv.DictReader(f)}
    assert areas == {"1": "A", "2": "A B"}
