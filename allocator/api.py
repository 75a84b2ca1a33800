"""The pipeline, top to bottom: load and check, build, solve, write, verify.

The command line calls :func:`allocate`; tests and the benchmark call the same function or
its steps. Nothing here prints or exits.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from allocator.optim.analysis import marginal_values
from allocator.optim.diagnose import Diagnosis, explain_infeasibility, precheck
from allocator.errors import UsageError
from allocator.plan.loading import Overrides, load_plan, resolve_plan_file
from allocator.optim.model import build_model
from allocator.report.markdown import write_reports
from allocator.run.results import RunOptions, default_run_dir, ensure_free, write_run
from allocator.plan.schema import Plan
from allocator.optim.solve import SolveResult, infeasible_result, solve_lexicographic
from allocator.run.verify import VerifyReport, verify_run


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    result: SolveResult
    run_dir: Path | None
    verification: VerifyReport | None
    times: dict[str, float]
    explanation: list[str] = field(default_factory=list)
    """For an infeasible plan: which rules conflict, by how much, and what would fix it."""


def solve_plan(
    plan: Plan, *, marginal: bool = False, progress: Callable[[str], None] | None = None
) -> SolveResult:
    """Build and solve ``plan`` with its own solver settings; with ``marginal``, add the value
    per rank of 100 億円 more cap in each fiscal year (``result.marginal``)."""
    t0 = time.perf_counter()
    model = build_model(plan)
    build = time.perf_counter() - t0
    result = solve_lexicographic(
        model,
        time_limit=plan.solver.time_limit_seconds,
        gap=plan.solver.gap,
        tolerance=plan.solver.tolerance,
        build_seconds=build,
        progress=progress,
    )
    if marginal and result.has_plan:
        if progress is not None:
            progress("marginal value of the cap (one LP per rank)")
        try:
            values = marginal_values(model, result, time_limit=plan.solver.time_limit_seconds)
        except RuntimeError:  # an auxiliary LP failed: keep the verified plan, report n/a
            values = None
        result = dataclasses.replace(result, marginal=values)
    return result


def plan_input_files(plan_path: Path) -> list[tuple[Path, str]]:
    """The files a plan is made of, with the name each has inside the plan folder: plan.toml
    and the two CSV files it names (the loader has checked they lie inside the folder)."""
    import tomllib

    toml_path = resolve_plan_file(plan_path)
    doc = tomllib.loads(toml_path.read_text(encoding="utf-8-sig"))
    header = doc.get("plan", {})
    folder = toml_path.parent
    names = ["plan.toml", header.get("programs", "programs.csv"), header.get("gdp", "gdp.csv")]
    return [(toml_path, names[0]), *((folder / n, n) for n in names[1:])]


def allocate(
    plan_path: Path,
    overrides: Overrides,
    *,
    reports: Path = Path("reports"),
    out: Path | None = None,
    force: bool = False,
    lang: str = "ja",
    progress: Callable[[str], None] | None = None,
) -> Outcome:
    """Load, solve, write the run folder (when there is a plan to write) and verify it; add
    the reports people read (``report.md``, ``report.xlsx``, ``charts/``) in ``lang``.

    Raises PlanError / UsageError for bad input and OutputExistsError for an existing ``out``
    without ``force`` — all before anything is written.
    """
    if lang not in ("ja", "en"):
        raise UsageError("--lang", f"{lang!r} is not a report language", "write ja or en")
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    plan = load_plan(plan_path, overrides)
    times["load_validate"] = time.perf_counter() - t0
    if out is not None:
        ensure_free(out, force=force)  # refuse before solving, not after
    found = precheck(plan)
    explanation: list[str] = []
    if found:
        result = infeasible_result(plan)
        explanation = Diagnosis(precheck=tuple(found)).lines(plan)
    else:
        t = time.perf_counter()
        result = solve_plan(plan, marginal=True, progress=progress)
        times["build"] = result.build_seconds
        times["solve"] = result.solve_seconds
        times["marginal"] = time.perf_counter() - t - result.build_seconds - result.solve_seconds
        if result.status == "infeasible":
            if progress is not None:
                progress("no plan: finding which rules conflict (elastic re-solves)")
            t = time.perf_counter()
            explanation = explain_infeasibility(plan, time_limit=plan.solver.time_limit_seconds)
            times["explain"] = time.perf_counter() - t
    if result.status == "no_solution":
        return Outcome(plan, result, None, None, times, explanation)
    tags = [overrides.gdp_case or ""]
    if overrides.cap_base is not None:
        base = f"base{plan.cap.base_year}" if plan.cap.base == "fixed_year" else "baseeach"
        tags.append(base)
    target = (
        out
        if out is not None
        else default_run_dir(plan, reports, tag="-".join(t for t in tags if t))
    )
    options = RunOptions(
        cap=str(plan.cap.ratio),  # exact ("1/50"); parse_cap reads it back unchanged
        first_year=overrides.first_year,
        years=overrides.years,
        gdp_case=overrides.gdp_case,
        time_limit_seconds=overrides.time_limit_seconds,
        gap=overrides.gap,
        cap_base=overrides.cap_base,
        cap_base_year=overrides.cap_base_year,
    )
    reports_seen: list[VerifyReport] = []

    def verify_before_commit(folder: Path) -> dict[str, object]:
        t2 = time.perf_counter()
        report = verify_run(folder)
        times["verify"] = time.perf_counter() - t2
        reports_seen.append(report)
        return {
            "verification": report.to_record(),
            "times_seconds": {k: round(v, 4) for k, v in times.items()},
        }

    if progress is not None:
        progress("writing, verifying and reporting")
    t1 = time.perf_counter()
    run_dir = write_run(
        plan,
        result,
        target,
        options=options,
        input_files=plan_input_files(plan_path),
        times=times,
        force=force,
        before_commit=verify_before_commit,
        explanation=explanation,
        after_write=lambda folder: write_reports(folder, lang),
    )
    times["write"] = time.perf_counter() - t1 - times.get("verify", 0.0)
    report = reports_seen[0] if reports_seen else None
    return Outcome(plan, result, run_dir, report, times, explanation)
