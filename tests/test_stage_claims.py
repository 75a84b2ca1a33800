"""Issue 9, part 1: a stage never claims ``optimal`` below its bound, the rank values reported are
the final schedule's, and the verifier catches a run that says otherwise."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_priority_bruteforce import REGRESSIONS, check_result

from allocator.optim import solve as solve_module
from allocator.optim.model import build_model
from allocator.optim.solve import solve_lexicographic
from allocator.plan.loading import load_plan
from allocator.run.record import RunOptions
from allocator.run.verify import verify_run
from allocator.run.writer import write_run

MINIMAL = REGRESSIONS / "issue9_minimal"


def _run(plan_dir: Path, out: Path) -> Path:
    plan = load_plan(plan_dir)
    result = solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)
    return write_run(plan, result, out, options=RunOptions(cap="2%"))


def test_minimal_case_of_the_issue() -> None:
    plan = load_plan(MINIMAL)
    result = solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)
    assert result.status == "optimal"
    assert result.rank_values() == {1: 9, 2: 3, 3: 0}
    assert check_result(plan, result) == []


def test_a_stage_below_its_bound_is_not_called_optimal(monkeypatch: pytest.MonkeyPatch) -> None:
    # Switch off the first defence (solving again without the warm start when HiGHS hands back
    # the start's columns): the second one, comparing the value with the bound, must still
    # refuse to call rank 2's stage optimal.
    monkeypatch.setattr(solve_module, "_columns_match_highs", lambda m, stats: True)
    plan = load_plan(MINIMAL)
    result = solve_lexicographic(build_model(plan), time_limit=60, gap=0.0)
    rank2 = next(s for s in result.stages if s.rank == 2)
    if rank2.objective == 3:  # HiGHS returned the optimum this time: nothing to refuse
        pytest.skip("HiGHS did not hand back the warm start's columns on this machine")
    assert rank2.status == "not_proven"
    assert rank2.best_bound == 3 and rank2.gap == 3
    assert result.status == "feasible"


def test_verifier_catches_the_old_fault(tmp_path: Path) -> None:
    run = _run(MINIMAL, tmp_path / "run")
    assert verify_run(run).ok
    # what the code wrote before the fix: rank 2's stage "optimal" at 0 with bound 3, and the
    # schedule giving rank 3 the money (its value column still 0)
    bad = tmp_path / "bad"
    shutil.copytree(run, bad)
    head = (bad / "schedule.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    # contract_oku_yen and payment_oku_yen: the amount, as for any program without contracts
    rows = [
        head,
        "2026,P,事業P,Program P,A,all,1,9,,yes,9,9",
        "2026,R,事業R,Program R,C,all,3,3,,yes,3,3",
    ]
    (bad / "schedule.csv").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8-sig")
    record = json.loads((bad / "plan.json").read_text(encoding="utf-8"))
    for s in record["stages"]:
        if s["rank"] == 2:
            s.update(objective=0.0, best_bound=3.0, gap=3.0)
    record["objective_per_rank"]["2"] = 0.0
    (bad / "plan.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    report = verify_run(bad, sealed=False)  # the rules, not the seal (tests/test_hostile.py)
    rules = {v.rule for v in report.violations}
    assert "stage_claim" in rules
    claims = [v.message for v in report.violations if v.rule == "stage_claim"]
    assert any("claims optimal with gap 300.0000%" in m for m in claims), claims
    values = [v for v in report.violations if v.rule == "rank_value"]
    assert any(v.subject == "rank 3" for v in values), values


def test_verifier_checks_every_rank_value(tmp_path: Path) -> None:
    run = _run(MINIMAL, tmp_path / "run")
    ranks = (run / "ranks.csv").read_text(encoding="utf-8-sig").splitlines()
    head = ranks[0].split(",")
    col = head.index("value")
    row = ranks[3].split(",")  # rank 3
    row[col] = "1"
    ranks[3] = ",".join(row)
    (run / "ranks.csv").write_text("\r\n".join(ranks) + "\r\n", encoding="utf-8-sig")
    report = verify_run(run, sealed=False)
    assert [(v.rule, v.subject) for v in report.violations] == [("ranks_mismatch", "rank 3")]
    assert "value is '1', plan.json has 0" in report.violations[0].message


def test_progress_counts_every_stage_of_the_shipped_plan() -> None:
    """One progress line per stage, numbered out of the stages that run: the shipped plan's
    six ranks, its tie-break and its vehicles stage are 1/8 … 8/8 (it said 8/7)."""
    from conftest import DATA

    from allocator.plan.loading import Overrides

    lines: list[str] = []
    plan = load_plan(DATA, Overrides())
    solve_lexicographic(build_model(plan), time_limit=60, gap=0.0, progress=lines.append)
    stages = [line.split(":")[0] for line in lines]
    assert stages == [f"stage {i}/8" for i in range(1, 9)]
    assert lines[-1].endswith("vehicles")


def test_the_vehicles_stage_moves_only_who_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vehicles stage chooses who pays on the schedule the tie-break chose: every amount,
    contract and rounding integer is the same after it (at 2.25 % of GDP, where holding only
    the tie-break's value let it move 7 億円 between years to spare the fund)."""
    from conftest import DATA

    from allocator.plan.cap import parse_cap
    from allocator.plan.loading import Overrides

    seen: dict[str, dict[str, float]] = {}
    original = solve_module._Stages.run

    def spy(self: object, spec: object, engine: object = None) -> object:
        if getattr(spec, "name", None) == "vehicles":
            seen["before"] = dict(self.last_good or {})  # type: ignore[attr-defined]
        return original(self, spec, engine)  # type: ignore[arg-type]

    monkeypatch.setattr(solve_module._Stages, "run", spy)
    plan = load_plan(DATA, Overrides(cap=parse_cap("2.25%")))
    m = build_model(plan)
    result = solve_lexicographic(m, time_limit=60, gap=0.0)
    assert result.status == "optimal" and "before" in seen
    splits = {getattr(v, "name", None) for v in m.vehicle_pay.values()}
    after = {v.name: float(v.varValue or 0.0) for v in m.prob.variables()}
    moved = [
        v.name
        for v in m.prob.variables()
        if v.cat == "Integer"
        and v.name not in splits
        and round(seen["before"].get(v.name, 0.0)) != round(after[v.name])
    ]
    assert moved == []
