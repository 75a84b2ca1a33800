"""Independent verifier of a run folder: every rule recomputed from the files alone.

:func:`verify_run` reloads the plan from ``inputs/`` (with the options stored in ``plan.json``),
reads ``schedule.csv``, ``summary.csv``, ``programs.csv`` and ``plan.json`` and checks every rule
of ``docs/plan-format.md`` with exact integer arithmetic. It shares nothing with the code that
builds or solves the model: it imports only the loader, the plan schema and the cap parser, so a
mistake in the model cannot hide itself here. Problems are returned as :class:`Violation`
records, never raised.
"""

from __future__ import annotations

from pathlib import Path

from allocator.constants import (
    INDICATORS_CSV,
    NO_PLAN_STATUSES,
    PLAN_JSON,
    PROGRAMS_CSV,
    RANKS_CSV,
    SCHEDULE_CSV,
    SHORTFALLS_CSV,
    SUMMARY_CSV,
    VARIANCE_CSV,
)
from allocator.plan.schema import Plan
from allocator.run.record import RunRecord
from allocator.run.verify.actual_rules import (
    VARIANCE_TABLE_COLUMNS,
    approved_record,
    attach_actuals,
    check_actuals,
    check_variance_table,
    set_aside_past,
)
from allocator.run.verify.aggregate_rules import (
    check_aggregate_bound,
    check_area_bound,
    check_fiscal_growth,
    check_fiscal_total_cap,
    check_fiscal_year_cap,
    check_gdp_cap,
    check_phase_bound,
)
from allocator.run.verify.common import (
    PROGRAMS_COLUMNS,
    RANKS_COLUMNS,
    SCHEDULE_COLUMNS,
    SHORTFALLS_COLUMNS,
    SUMMARY_COLUMNS,
    exact_cap,
    fiscal_ceiling,
)
from allocator.run.verify.contract_rules import (
    basis_amounts,
    check_contract_payments,
    check_contract_window,
    check_json_contracts,
    check_ledger_file,
    check_new_contract_cap,
    check_outstanding_cap,
    check_programs_columns,
    check_vehicles,
    decisions,
    read_contract_cells,
)
from allocator.run.verify.files import (
    amounts_by_program,
    check_schedule_rows,
    funded_map,
    read_record,
    read_table,
    reload_plan,
)
from allocator.run.verify.floor_rules import check_gdp_cap_baseline, check_shortfalls
from allocator.run.verify.group_rules import check_groups
from allocator.run.verify.indicator_rules import (
    INDICATOR_TABLE_COLUMNS,
    check_indicator_table,
    check_indicator_targets,
    indicator_rank_values,
)
from allocator.run.verify.integrity import check_file_digests, check_seal
from allocator.run.verify.outputs import (
    check_input_files,
    check_plan_json,
    check_programs_table,
    check_summary,
)
from allocator.run.verify.program_rules import (
    check_funded,
    check_mandatory,
    check_payment_profile,
    check_precedence,
    check_program_range,
    check_ramp,
    check_units,
    check_window,
    check_year_max,
)
from allocator.run.verify.ranks import (
    check_rank_values,
    check_ranks_table,
    check_stage_claims,
    schedule_rank_values,
)
from allocator.run.verify.record_checks import (
    check_explanation,
    check_marginal_columns,
    check_program_sources,
    check_record_fields,
)
from allocator.run.verify.tally import RULES, Tally, VerifyReport, Violation


def verify_run(run_dir: Path, *, sealed: bool = True, key: bytes | None = None) -> VerifyReport:
    """Recompute every rule of a run folder from its inputs and outputs, and check its seal.

    Parameters
    ----------
    run_dir : Path
        A folder written by ``allocate`` (``plan.json``, ``seal.json``, ``inputs/``, the CSV
        files, the reports).
    sealed : bool
        Check the digests of every file and of ``plan.json`` (False only while the run is
        being written, before it is sealed).
    key : bytes, optional
        The signing key (``ALLOCATOR_SIGNING_KEY``): the signature is then checked, and an
        unsigned folder fails.

    Returns
    -------
    VerifyReport
        ``ok`` is False when any rule is broken, a file is missing, unreadable or changed;
        ``signature`` says whether the folder is signed and the signature valid. Nothing is
        raised for a bad folder.
    """
    run_dir = Path(run_dir)
    t = Tally()
    record = read_record(run_dir, t)
    signature = check_seal(run_dir, key, t) if sealed and record is not None else ""
    if record is None:
        return t.report()
    if sealed:
        check_file_digests(run_dir, record, t)
    plan = reload_plan(run_dir, record, t)
    if plan is not None:
        plan = attach_actuals(run_dir, record, plan, t)  # a re-plan: its fixed years
    if plan is None:
        return t.report(signature)
    check_input_files(run_dir, record, t)
    check_record_fields(plan, record, t)
    check_explanation(run_dir, record, t)
    status = record.status
    if status in NO_PLAN_STATUSES:
        _verify_no_plan(plan, record, run_dir, status, t)
        return t.report(signature)
    schedule = read_table(run_dir / SCHEDULE_CSV, SCHEDULE_COLUMNS, t)
    summary = read_table(run_dir / SUMMARY_CSV, SUMMARY_COLUMNS, t)
    programs = read_table(run_dir / PROGRAMS_CSV, PROGRAMS_COLUMNS, t)
    ranks = read_table(run_dir / RANKS_CSV, RANKS_COLUMNS, t)
    shortfalls = read_table(run_dir / SHORTFALLS_CSV, SHORTFALLS_COLUMNS, t)
    if schedule is None:
        t.notes.append("schedule.csv could not be read: no rule on the money was checked")
        check_plan_json(plan, record, None, None, t)
        return t.report(signature)
    rows = check_schedule_rows(plan, schedule, t)
    amounts = amounts_by_program(rows)  # what each program pays (歳出)
    cells = read_contract_cells(plan, schedule, t)
    decided = decisions(plan, amounts, cells)  # contracts of contract programs, else payments
    ranged = basis_amounts(plan, amounts, cells)  # what each program's range counts
    funded = funded_map(plan, programs, record, decided)
    check_window(plan, rows, t)
    check_funded(plan, decided, funded, t)
    check_program_range(plan, ranged, funded, t)
    check_year_max(plan, decided, t)
    check_ramp(plan, decided, t)
    check_units(plan, rows, t)
    check_payment_profile(plan, amounts, funded, t)
    check_mandatory(plan, funded, t)
    check_precedence(plan, decided, funded, t)
    check_groups(plan, decided, funded, t)
    given_way = check_shortfalls(plan, record, shortfalls, amounts, t, contracts=decided)
    check_area_bound(plan, amounts, t, given_way, contracts=decided)
    check_phase_bound(plan, amounts, t, given_way, contracts=decided)
    check_aggregate_bound(plan, amounts, t, given_way, contracts=decided)
    check_gdp_cap(plan, amounts, t, check_gdp_cap_baseline(plan, amounts, t))
    check_fiscal_year_cap(plan, amounts, t)
    check_fiscal_total_cap(plan, amounts, t)
    check_fiscal_growth(plan, amounts, t)
    check_contract_payments(plan, amounts, cells, t)
    check_contract_window(plan, cells, t)
    check_new_contract_cap(plan, cells, t)
    check_outstanding_cap(plan, cells, t)
    check_vehicles(plan, amounts, cells, t)
    check_ledger_file(plan, run_dir, amounts, cells, t)
    set_aside_past(plan, amounts, t)  # a re-plan: what only the actuals break is a fact
    approved = approved_record(run_dir, record, t)
    check_actuals(plan, rows, approved, record, t)
    if record.replan is not None and approved is not None:
        table = read_table(run_dir / VARIANCE_CSV, VARIANCE_TABLE_COLUMNS, t)
        check_variance_table(plan, rows, approved, table, t)
    check_indicator_targets(plan, rows, t)
    if plan.indicators:
        table = read_table(run_dir / INDICATORS_CSV, INDICATOR_TABLE_COLUMNS, t)
        check_indicator_table(plan, rows, table, t)
    if summary is not None:
        check_summary(plan, amounts, summary, t, contracts=decided)
        check_marginal_columns(plan, record, summary, t)
    if programs is not None:
        check_programs_table(plan, amounts, programs, t)
        check_programs_columns(plan, amounts, cells, programs, t)
        check_program_sources(plan, programs, t)
    check_plan_json(plan, record, rows, funded, t)
    check_json_contracts(plan, record, cells, t)
    # a rank's value counts each program on its basis (paid in the horizon, or contracted)
    values = schedule_rank_values(plan, ranged, funded)
    values.update(indicator_rank_values(plan, rows))  # ranks valued by an indicator
    check_rank_values(plan, record, values, t)
    check_stage_claims(record, values, t)
    if ranks is not None:
        check_ranks_table(plan, ranged, funded, record, ranks, t)
    return t.report(signature)


def _verify_no_plan(plan: Plan, record: RunRecord, run_dir: Path, status: str, t: Tally) -> None:
    """A run without a schedule: plan.json must claim no money and nothing funded."""
    rule = "plan_json_mismatch"
    t.notes.append(
        f"the run has no schedule (status {status}): only plan.json and inputs/ were checked"
    )
    check_plan_json(plan, record, None, None, t)
    t.check(rule)
    if record.allocations:
        t.fail(rule, PLAN_JSON, f"plan.json says {status} but lists allocations")
    t.check(rule)
    if any(record.funded.values()):
        t.fail(rule, PLAN_JSON, f"plan.json says {status} but marks programs funded")
    schedule = run_dir / SCHEDULE_CSV
    if schedule.is_file():
        table = read_table(schedule, SCHEDULE_COLUMNS, t)
        t.check(rule)
        if table:
            t.fail(rule, "schedule.csv", f"plan.json says {status} but schedule.csv has rows")


__all__ = [
    "RULES",
    "Tally",
    "VerifyReport",
    "Violation",
    "exact_cap",
    "fiscal_ceiling",
    "verify_run",
]
