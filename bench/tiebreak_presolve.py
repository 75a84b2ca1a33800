"""The tie-break stage with and without HiGHS presolve, on the shipped plan with and without
its contract data (``tests/plainplan.py``): seconds of the stage, its objective and status, and
whether every rank's final value is the same. Run from the project root::

    .venv/bin/python bench/tiebreak_presolve.py

Figures are in ``allocator/optim/solve.py`` (``TIEBREAK_OPTIONS``) and docs/performance.md.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import allocator.optim.solve as solve  # noqa: E402
from allocator.optim.model import build_model  # noqa: E402
from allocator.plan.cap import parse_cap  # noqa: E402
from allocator.plan.loading import Overrides, load_plan  # noqa: E402

VARIANTS: dict[str, dict[str, Any]] = {
    "presolve on": {"mip_pool_soft_limit": 50},
    "presolve off": {"mip_pool_soft_limit": 50, "presolve": "off"},
}


def main() -> None:
    from plainplan import strip_contracts

    plain = strip_contracts(ROOT / "data", Path(tempfile.mkdtemp()) / "plain")
    cases = [
        (ROOT / "data", "2%", None),
        (ROOT / "data", "1.5%", None),
        (ROOT / "data", "2%", "growth_transition"),
        (plain, "2%", None),
        (plain, "1.9%", None),
    ]
    saved = dict(solve.TIEBREAK_OPTIONS)
    try:
        for folder, cap, case in cases:
            plan = load_plan(folder, Overrides(cap=parse_cap(cap), gdp_case=case))
            rows = []
            for name, options in VARIANTS.items():
                solve.TIEBREAK_OPTIONS.clear()
                solve.TIEBREAK_OPTIONS.update(options)
                result = solve.solve_lexicographic(build_model(plan), time_limit=300, gap=0.0)
                tb = next(s for s in result.stages if s.kind == "tiebreak" and s.name is None)
                rows.append(
                    (name, tb.seconds, tb.objective, tb.status, result.final_rank_values(plan))
                )
            same = rows[0][4] == rows[1][4]
            label = f"{folder.name} {cap} {case or plan.gdp_case}"
            parts = [f"{n}: {s:.1f} s, {o:,.1f} ({st})" for n, s, o, st, _ in rows]
            print(f"{label}: {'; '.join(parts)}; ranks {'same' if same else 'DIFFER'}", flush=True)
    finally:
        solve.TIEBREAK_OPTIONS.clear()
        solve.TIEBREAK_OPTIONS.update(saved)


if __name__ == "__main__":
    main()
