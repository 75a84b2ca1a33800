"""Benchmark of the allocator pipeline on synthetic plans, against a direct highspy reference.

    .venv/bin/python bench/run_benchmark.py [--sizes 30,300,2000,10000] [--repeats 3]
        [--time-limit S] [--gap 0.0] [--json results.json] [--contracts]

``--time-limit``: seconds per run, all stages; by default 300, or 0.15 s a program above 2,000
programs (1,500 s at 10,000), so that the reference's plain stages finish there.

For each plan size: generate a plan folder (``bench/synthetic.py``, not timed), then time
``load_plan`` (split into parsing and ``check_plan``), ``build_model``, ``solve_lexicographic``,
``write_run`` and ``verify_run``, and the same lexicographic model built and solved directly in
highspy (``bench/reference.py``). Prints medians (and minima) over ``--repeats`` runs, the
ratios allocator / reference, where the time goes, and checks that both reach the same value
for every rank. Exits 1 if an instance is infeasible, a run fails, the verifier rejects a run
or the two disagree on a value.

``--contracts``: the contract variant of the same plans (``synthetic.py``: multi-year contracts
on about a quarter of the programs, obligations owed before the horizon, ceilings on new
contracts and on obligations outstanding); the reference writes the contracts' payments itself
(``reference.py``, ``_Contracts``). Budget vehicles are not in the variant: the reference does
not write them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import importlib.util
import inspect
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import highspy
import numpy as np
import pandas as pd
import pulp
from reference import build_reference, solve_reference
from staged_vs_weighted import weighted_solve
from synthetic import generate_plan

import allocator.optim.model
import allocator.plan.loading
import allocator.run.writer
from allocator.formatting import format_cap
from allocator.optim.model import build_model
from allocator.optim.result import SolveResult
from allocator.optim.solve import DEFAULT_ENGINE, ENGINES, highs_version, solve_lexicographic
from allocator.plan.loading import Overrides, load_plan
from allocator.plan.schema import Plan
from allocator.run.record import RunOptions, RunRecord
from allocator.run.writer import write_run

PHASES = ["load", "validate", "build", "solve", "write", "verify"]
HIGHS_RUN = "solve: Highs.run (HiGHS itself)"


# ---------------------------------------------------------------------------------------------
# instrumentation: wrap module functions and methods to time them inside the pipeline


class Probe:
    """Accumulates the time spent in wrapped functions (inclusive of nested wrapped calls)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._undo: list[tuple[Any, str, Any]] = []

    def timed(self, original: Any, label: str) -> Any:
        """``original`` wrapped so that its time accumulates under ``label``."""
        probe = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                probe.seconds[label] = probe.seconds.get(label, 0.0) + time.perf_counter() - t0

        return timed

    def replace(self, owner: Any, attr: str, value: Any) -> None:
        self._undo.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, value)

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        original = getattr(owner, attr, None)
        if original is None or not callable(original):
            return
        self.replace(owner, attr, self.timed(original, label))

    def take(self) -> dict[str, float]:
        out, self.seconds = self.seconds, {}
        return out

    def remove(self) -> None:
        for owner, attr, original in reversed(self._undo):
            setattr(owner, attr, original)
        self._undo.clear()


def install_probe(verify_module: Any | None) -> Probe:
    probe = Probe()
    probe.wrap(allocator.plan.loading, "check_plan", "validate")  # load_plan calls it by this name
    for name in ("read_toml", "read_programs", "read_gdp"):
        probe.wrap(allocator.plan.loading, name, f"load: {name}")
    model = allocator.optim.model
    timed_order = tuple(probe.timed(f, f"build: {f.__name__}") for f in model.BUILD_ORDER)
    probe.replace(model, "BUILD_ORDER", timed_order)
    for name in ("createAndConfigureSolver", "buildSolverModel", "findSolutionValues"):
        probe.wrap(pulp.HiGHS, name, f"solve: HiGHS.{name}")
    probe.wrap(highspy.Highs, "run", HIGHS_RUN)
    probe.wrap(pulp.LpProblem, "solve", "solve: LpProblem.solve")
    probe.wrap(pulp.LpProblem, "setObjective", "solve: LpProblem.setObjective")
    probe.wrap(importlib.import_module("allocator.optim.solve"), "_extract", "solve: _extract")
    for name in (
        "schedule_table",
        "summary_table",
        "programs_table",
        "ranks_table",
        "write_csv",
        "copy_inputs",
    ):
        probe.wrap(allocator.run.writer, name, f"write: {name}")
    probe.wrap(RunRecord, "build", "write: RunRecord.build")
    probe.wrap(RunRecord, "write", "write: RunRecord.write")
    if verify_module is not None:
        files = importlib.import_module("allocator.run.verify.files")
        probe.wrap(files, "load_plan", "verify: load_plan (reload inputs)")
    return probe


# ---------------------------------------------------------------------------------------------
# one size


@dataclass
class SizeResult:
    size: int
    features: dict[str, int]
    generate_seconds: float
    variables: int = 0
    constraints: int = 0
    nonzeros: int = 0
    ref_shape: tuple[int, int, int] = (0, 0, 0)
    giveway: tuple[int, int] = (0, 0)
    """The floors' give-way machinery the reference does not model: shortfall columns (fixed at
    0 while every floor holds) and ``floor_hold`` rows (idle until a floor gives way)."""
    times: dict[str, list[float]] = field(default_factory=dict)
    detail: list[dict[str, float]] = field(default_factory=list)
    status: str = ""
    ref_status: str = ""
    stages: list[tuple[int | None, str, float | None, float]] = field(default_factory=list)
    ref_stages: list[tuple[int | None, str, float | None, float]] = field(default_factory=list)
    stage_runs: list[list[tuple[str, str, float, float | None]]] = field(default_factory=list)
    """Per repeat: (stage, status, seconds, gap) of every allocator stage."""
    ref_stage_runs: list[list[float]] = field(default_factory=list)
    max_value_diff: float = 0.0
    values_equal: str = "not compared"
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gdp_binding_years: list[int] = field(default_factory=list)
    fiscal_binding_years: list[int] = field(default_factory=list)
    funded: tuple[int, int] = (0, 0)

    def add(self, key: str, seconds: float) -> None:
        self.times.setdefault(key, []).append(seconds)

    def med(self, key: str) -> float | None:
        v = self.times.get(key)
        return statistics.median(v) if v else None

    def min(self, key: str) -> float | None:
        v = self.times.get(key)
        return min(v) if v else None


def _nonzeros(m: Any) -> int:
    return sum(1 for c in m.prob.constraints() for _, a in c.items() if a != 0)


def _binding_years(plan: Plan, result: SolveResult) -> tuple[list[int], list[int]]:
    counts = {p.program_id: plan.counts_toward_defense(p) for p in plan.programs}
    sched = result.schedule
    defence: dict[int, int] = {}
    new: dict[int, int] = {}
    for pid, y, amount in zip(
        sched.program_id, sched.fiscal_year, sched.amount_oku_yen, strict=True
    ):
        new[int(y)] = new.get(int(y), 0) + int(amount)
        if counts[pid]:
            defence[int(y)] = defence.get(int(y), 0) + int(amount)
    gdp = [y for y in plan.fiscal_years if defence.get(y, 0) == plan.cap_room(y)]
    fiscal = [
        y
        for y in plan.fiscal_years
        if (c := plan.fiscal.ceiling(y)) is not None and new.get(y, 0) == c
    ]
    return gdp, fiscal


def _values_agree(a: float, b: float, gap: float) -> bool:
    return abs(a - b) <= max(1e-6 * max(1.0, abs(a)), gap * max(1.0, abs(a)))


def _collect() -> None:
    gc.collect()


def bench_size(
    sr: SizeResult,
    folder: Path,
    work: Path,
    *,
    repeats: int,
    time_limit: float,
    gap: float,
    probe: Probe,
    verify_run: Callable[[Path], Any] | None,
    log: Callable[[str], None],
    ref_warm: bool,
    engine: str = DEFAULT_ENGINE,
) -> None:
    for rep in range(repeats):
        probe.take()
        _collect()
        t0 = time.perf_counter()
        # the reference model's tie-break is earliness: solve like for like
        plan = load_plan(folder, Overrides(profile="early"))
        load_total = time.perf_counter() - t0
        validate = probe.seconds.get("validate", 0.0)
        sr.add("load", load_total - validate)
        sr.add("validate", validate)

        _collect()
        t0 = time.perf_counter()
        m = build_model(plan)
        build = time.perf_counter() - t0
        sr.add("build", build)
        if rep == 0:
            sr.variables = m.prob.numVariables()
            sr.constraints = m.prob.numConstraints()
            sr.nonzeros = _nonzeros(m)
            holds = sum(1 for key in m.constraints if key[0] == "floor_hold")
            sr.giveway = (len(m.shortfall), holds)

        _collect()
        t0 = time.perf_counter()
        result = solve_lexicographic(
            m,
            time_limit=time_limit,
            gap=gap,
            tolerance=plan.solver.tolerance,
            build_seconds=build,
            # the reference solves the earliness stage as a full MIP: like for like
            fix_tiebreak_decisions=False,
            engine=engine,
        )
        sr.add("solve", time.perf_counter() - t0)
        sr.status = result.status
        sr.stages = [(s.rank, s.status, s.objective, s.seconds) for s in result.stages]
        sr.stage_runs.append([(_stage(s), s.status, s.seconds, s.gap) for s in result.stages])
        if result.status in ("infeasible", "no_solution"):
            sr.problems.append(f"allocator: status {result.status} (the instance must be feasible)")
        elif result.status != "optimal":
            sr.warnings.append(
                f"allocator: status {result.status} (a stage stopped at the time limit)"
            )
        if rep == 0 and result.has_plan:
            sr.gdp_binding_years, sr.fiscal_binding_years = _binding_years(plan, result)
            sr.funded = (sum(result.funded.values()), len(result.funded))

        out = work / f"run-{sr.size}-{rep}"
        _collect()
        t0 = time.perf_counter()
        write_run(
            plan,
            result,
            out,
            options=RunOptions(cap=format_cap(plan.cap.ratio), profile="early"),
        )
        sr.add("write", time.perf_counter() - t0)
        if verify_run is not None:
            _collect()
            t0 = time.perf_counter()
            try:
                report = verify_run(out)
            except Exception as exc:  # the verifier must not raise: a failure to report
                sr.problems.append(f"verify_run raised {type(exc).__name__}: {exc}")
                report = None
            sr.add("verify", time.perf_counter() - t0)
            if report is not None and not getattr(report, "ok", True):
                first = next(iter(getattr(report, "violations", ())), None)
                sr.problems.append(f"verify_run rejected the run folder: {first}")
        shutil.rmtree(out, ignore_errors=True)
        detail = probe.take()
        detail.pop("validate", None)
        sr.detail.append(detail)
        sr.add("highs_run", detail.get(HIGHS_RUN, 0.0))
        alloc_values = result.rank_values()
        alloc_early = next((s.objective for s in result.stages if s.rank is None), None)
        del m, result

        _collect()
        t0 = time.perf_counter()
        ref = build_reference(plan, time_limit=time_limit, gap=gap)
        sr.add("ref_build", time.perf_counter() - t0)
        sr.ref_shape = (ref.n_cols, ref.n_rows, ref.n_nz)
        _collect()
        t0 = time.perf_counter()
        rres = solve_reference(
            ref, time_limit=time_limit, tolerance=plan.solver.tolerance, warm_start=ref_warm
        )
        sr.add("ref_solve", time.perf_counter() - t0)
        sr.add("ref_highs_run", probe.take().get(HIGHS_RUN, 0.0))
        sr.ref_status = rres.status
        sr.ref_stages = [(s.rank, s.status, s.value, s.seconds) for s in rres.stages]
        sr.ref_stage_runs.append([s.seconds for s in rres.stages])
        del ref

        # the yardstick: ONE solve of the same model, the ranks weighted 10^k … 10 (no
        # priority guarantee; docs/performance.md, "The staged solve against one weighted solve")
        _collect()
        seconds, wstatus = weighted_solve(plan, time_limit)
        sr.add("weighted", seconds)
        if wstatus != "optimal":
            sr.warnings.append(f"weighted solve: status {wstatus}")

        if sr.status == "optimal" and rres.status == "optimal":
            if sr.values_equal == "not compared":
                sr.values_equal = "yes"
            ref_values = rres.rank_values()
            pairs = [(f"rank {r}", alloc_values.get(r), ref_values.get(r)) for r in ref_values]
            pairs.append(("earliness", alloc_early, rres.earliness()))
            for what, a, b in pairs:
                if a is None or b is None:
                    sr.problems.append(f"{what}: allocator {a}, reference {b}")
                    continue
                sr.max_value_diff = max(sr.max_value_diff, abs(a - b))
                if not _values_agree(a, b, gap):
                    sr.values_equal = "NO"
                    sr.problems.append(f"{what}: allocator {a!r} ≠ reference {b!r}")
        elif rres.status in ("infeasible",) or sr.status != rres.status:
            sr.warnings.append(
                f"statuses differ or not optimal (allocator {sr.status}, reference "
                f"{rres.status}): values not compared"
            )
        total = sum(sr.times[k][-1] for k in PHASES if k in sr.times)
        sr.add("total", total)
        sr.add("ref_total", sr.times["ref_build"][-1] + sr.times["ref_solve"][-1])
        log(
            f"  size {sr.size:>6} repeat {rep + 1}/{repeats}: allocator {total:8.2f} s "
            f"({result_line(sr)}), reference {sr.times['ref_total'][-1]:8.2f} s ({rres.status})"
        )


def _stage(s: Any) -> str:
    if s.kind == "floors":
        return f"floors {s.group}"
    if s.kind == "rank":
        return f"rank {s.rank}"
    return s.name or "tie-break"


def result_line(sr: SizeResult) -> str:
    return f"{sr.status}, {len(sr.stages)} stages"


# ---------------------------------------------------------------------------------------------
# report


def fmt(x: float | None) -> str:
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 0.1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    return "\n".join(lines)


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return [
        f"machine : {platform.platform()}, {cpu}",
        f"CPUs    : {os.cpu_count()} ({usable} usable); load average {load}",
        f"Python  : {platform.python_version()} ({sys.executable})",
        f"PuLP {pulp.__version__}, HiGHS {highs_version()} (highspy), numpy {np.__version__}, "
        f"pandas {pd.__version__}",
    ]


def report(results: list[SizeResult], args: argparse.Namespace, has_verify: bool) -> str:
    out: list[str] = []
    hdr = ["size", "variables", "constraints", *PHASES, "total", "status"]
    for title, agg in (("median", SizeResult.med), ("min", SizeResult.min)):
        rows = [
            [
                f"{r.size:,}",
                f"{r.variables:,}",
                f"{r.constraints:,}",
                *(fmt(agg(r, k)) for k in PHASES),
                fmt(agg(r, "total")),
                r.status,
            ]
            for r in results
        ]
        out += [f"allocator, seconds ({title} of {args.repeats} runs):", table(hdr, rows), ""]
    rows = []
    for r in results:
        tot, rt = r.med("total"), r.med("ref_total")
        b, rb = r.med("build"), r.med("ref_build")
        s, rs = r.med("solve"), r.med("ref_solve")
        rows.append(
            [
                f"{r.size:,}",
                fmt(rb),
                fmt(rs),
                fmt(rt),
                _ratio(tot, rt),
                _ratio(b, rb),
                _ratio(s, rs),
                _ratio((b or 0) + (s or 0), rt),
                fmt(r.med("weighted")),
                _ratio(s, r.med("weighted")),
                r.ref_status,
                r.values_equal,
            ]
        )
    out += [
        f"reference (same model, direct highspy), seconds (median of {args.repeats}) and ratios; "
        f"solve/weighted: the staged solve (engine {args.engine}) against one weighted solve of "
        "the same model:",
        table(
            [
                "size",
                "ref build",
                "ref solve",
                "ref total",
                "total/ref",
                "build/ref",
                "solve/ref",
                "(build+solve)/ref",
                "one weighted solve",
                "solve/weighted",
                "ref status",
                "values equal",
            ],
            rows,
        ),
        "",
    ]
    if not has_verify:
        out.append("verify: allocator.run.verify not found, not timed")
    for r in results:
        out.append(f"size {r.size:,}:")
        feats = ", ".join(f"{k} {v}" for k, v in r.features.items())
        out.append(f"  plan generated in {r.generate_seconds:.2f} s (not timed); {feats}")
        out.append(
            f"  model {r.variables:,} variables, {r.constraints:,} constraints, "
            f"{r.nonzeros:,} nonzeros; reference {r.ref_shape[0]:,} / {r.ref_shape[1]:,} / "
            f"{r.ref_shape[2]:,}"
            + (
                ""
                if (r.variables, r.constraints) == r.ref_shape[:2]
                else (
                    f"  (the same less the floors' give-way machinery the reference leaves "
                    f"out: {r.giveway[0]} shortfall columns, fixed at 0 while every floor "
                    f"holds, and {r.giveway[1]} idle floor_hold rows)"
                )
                if (r.variables - r.giveway[0], r.constraints - r.giveway[1]) == r.ref_shape[:2]
                else "  (SHAPES DIFFER: bench/reference.py is out of date)"
            )
        )
        out.append(
            f"  funded {r.funded[0]:,} of {r.funded[1]:,} programs; GDP cap binds in "
            f"{_years(r.gdp_binding_years)}"
        )
        out.append(f"  fiscal ceiling binds in {_years(r.fiscal_binding_years)}")
        st = "; ".join(
            f"{'early' if k is None else k}: {_val(v)} {s} {fmt(t)}s" for k, s, v, t in r.stages
        )
        out.append(f"  allocator stages (last repeat): {st}")
        out.append(f"  stage by stage (median of {len(r.stage_runs)} repeats, seconds):")
        out.append(_stage_table(r))
        st = "; ".join(f"{'early' if k is None else k}: {fmt(t)}s" for k, _, _, t in r.ref_stages)
        out.append(f"  reference stage times (last repeat): {st}")
        out.append(
            f"  largest |allocator − reference| over ranks and earliness: {r.max_value_diff:.3g}"
        )
        out += [f"  WARNING: {w}" for w in dict.fromkeys(r.warnings)]
        out += [f"  FAILED: {p}" for p in dict.fromkeys(r.problems)]
        out.append("  where the time goes (median seconds, inclusive of nested calls):")
        keys = sorted({k for d in r.detail for k in d})
        med = {k: statistics.median(d.get(k, 0.0) for d in r.detail) for k in keys}
        solve = r.med("solve") or 0.0
        highs_run = med.get(HIGHS_RUN, 0.0)
        inside = med.get("solve: LpProblem.solve", 0.0)
        for k in keys:
            if med[k] >= 0.0005:
                out.append(f"    {k:<48} {fmt(med[k]):>8}")
        out.append(
            f"    solve = HiGHS run {fmt(highs_run)} + PuLP→HiGHS export and result read-back "
            f"{fmt(inside - highs_run)} + outside LpProblem.solve {fmt(solve - inside)} "
            f"(value snapshot, _extract, ...)"
        )
        hr, rhr = r.med("highs_run"), r.med("ref_highs_run")
        out.append(
            f"    HiGHS run: allocator {fmt(hr)} vs reference {fmt(rhr)} (ratio {_ratio(hr, rhr)})"
        )
    return "\n".join(out)


def _stage_table(r: SizeResult) -> str:
    """One row per allocator stage: median seconds, status and gap (of the last repeat), and
    the reference's stage beside it where the stages match one for one."""
    if not r.stage_runs:
        return "    (no stage)"
    last = r.stage_runs[-1]
    rows = []
    ref_n = min((len(x) for x in r.ref_stage_runs), default=0)
    aligned = ref_n == len(last)
    for i, (name, status, _, gap) in enumerate(last):
        sec = statistics.median(run[i][2] for run in r.stage_runs if i < len(run))
        ref = (
            fmt(statistics.median(x[i] for x in r.ref_stage_runs if i < len(x)))
            if aligned
            else "n/a"
        )
        rows.append(
            [
                name,
                status,
                "n/a" if gap is None else f"{gap:.2g}",
                fmt(sec),
                ref,
                _ratio(sec, None if ref == "n/a" else float(ref)),
            ]
        )
    return "\n".join(
        "    " + line
        for line in table(
            ["stage", "status", "gap", "allocator s", "reference s", "ratio"], rows
        ).splitlines()
    )


def _years(ys: list[int]) -> str:
    return f"{len(ys)} years ({', '.join(map(str, ys))})" if ys else "no year"


def _val(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or not b else f"{a / b:.2f}"


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="30,300,2000,10000", help="plan sizes (programs)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per size (median and min)")
    ap.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per run, all stages (default: 300, or 0.15 s a program above 2,000 "
        "programs, so that the reference's plain stages finish at 10,000: about 400 s)",
    )
    ap.add_argument("--gap", type=float, default=0.0, help="relative MIP gap per stage")
    ap.add_argument("--seed", type=int, default=20260401, help="seed of the plan generator")
    ap.add_argument(
        "--fractional-values",
        action="store_true",
        help="explicit program values that are not whole per 億円 (see docs/performance.md)",
    )
    ap.add_argument(
        "--ref-warm",
        choices=["auto", "yes", "no"],
        default="auto",
        help="reference stages start from the previous stage's solution (auto: if the "
        "allocator's solve does)",
    )
    ap.add_argument(
        "--contracts",
        action="store_true",
        help="the contract variant: multi-year contracts, obligations, contract ceilings",
    )
    ap.add_argument(
        "--engine",
        choices=list(ENGINES),
        default=DEFAULT_ENGINE,
        help="the staged solve's engine (allocator.optim.solve.ENGINES)",
    )
    ap.add_argument("--json", type=Path, help="also write the raw figures to this file")
    ap.add_argument("--keep", type=Path, help="write the plan folders here and keep them")
    return ap.parse_args(argv)


def _time_limit(size: int) -> float:
    """The default time limit of a run: 300 s, or 0.15 s a program above 2,000 programs."""
    return max(300.0, 0.15 * size)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    def log(line: str) -> None:
        print(line, flush=True)

    for line in machine():
        log(line)
    log(
        f"Figures are medians (and minima) of {args.repeats} runs per size on a shared, noisy "
        "machine: absolute seconds move from run to run, the ratios to the reference are the "
        "meaningful figures."
    )
    log(
        "settings: time limit "
        + (
            f"{args.time_limit:g} s"
            if args.time_limit is not None
            else f"{', '.join(f'{_time_limit(n):g} s' for n in sizes)} (by size)"
        )
        + f" per run (all stages), gap {args.gap:g}, "
        f"seed {args.seed}, threads 1"
        + (", contract variant (--contracts)" if args.contracts else "")
    )
    allocator_warm = (
        "warm"
        in inspect.signature(importlib.import_module("allocator.optim.solve")._run).parameters
    )
    ref_warm = allocator_warm if args.ref_warm == "auto" else args.ref_warm == "yes"
    log(
        f"warm start between stages: allocator {'yes' if allocator_warm else 'no'}, "
        f"reference {'yes' if ref_warm else 'no'}"
    )
    verify_module = None
    if importlib.util.find_spec("allocator.run.verify") is not None:
        verify_module = importlib.import_module("allocator.run.verify")
    verify_run = getattr(verify_module, "verify_run", None)
    probe = install_probe(verify_module)
    results: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="allocator-bench-") as tmp:
        root = args.keep or Path(tmp)
        try:
            for n in sizes:
                folder = root / f"plan-{n}"
                if folder.exists():
                    shutil.rmtree(folder)
                t0 = time.perf_counter()
                gen = generate_plan(
                    folder,
                    n,
                    seed=args.seed,
                    fractional_values=args.fractional_values,
                    contracts=args.contracts,
                )
                sr = SizeResult(n, gen.features, time.perf_counter() - t0)
                results.append(sr)
                try:
                    bench_size(
                        sr,
                        folder,
                        Path(tmp),
                        repeats=args.repeats,
                        time_limit=args.time_limit
                        if args.time_limit is not None
                        else _time_limit(n),
                        gap=args.gap,
                        probe=probe,
                        verify_run=verify_run,
                        log=log,
                        ref_warm=ref_warm,
                        engine=args.engine,
                    )
                except Exception as exc:
                    sr.problems.append(f"{type(exc).__name__}: {exc}")
                    log(f"  size {n}: FAILED {type(exc).__name__}: {exc}")
        finally:
            probe.remove()
    log("")
    log(report(results, args, verify_run is not None))
    if args.json:
        args.json.write_text(
            json.dumps([r.__dict__ for r in results], indent=1, default=str) + "\n",
            encoding="utf-8",
        )
    failed = [r for r in results if r.problems]
    warned = [r for r in results if r.warnings]
    log("")
    if failed:
        log("result: FAILED for sizes " + ", ".join(str(r.size) for r in failed))
    elif warned:
        log(
            "result: no failure, but see the warnings for sizes "
            + ", ".join(str(r.size) for r in warned)
        )
    else:
        log("result: every size optimal, verified, and equal to the reference")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
