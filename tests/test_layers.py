"""The package's layers import in one direction only, with no cycles, and each outside library
stays in its room. Imports are read from the source (module level, inside functions and under
TYPE_CHECKING alike), so a lazy import cannot hide a wrong direction.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from allocator.constants import FAMILIES
from allocator.optim.model import build_model
from allocator.optim.tiebreak import ensure_tiebreak
from allocator.plan.loading import Overrides, load_plan

PACKAGE = Path(__file__).resolve().parents[1] / "allocator"
DOCS = Path(__file__).resolve().parents[1] / "docs"

LAYERS = {
    "foundation": 0,  # allocator, allocator.constants, allocator.errors, allocator.formatting
    "plan": 1,
    "optim": 2,
    "run": 3,
    "report": 4,
    "api": 5,
    "cli": 6,
}
"""A module may import from its own layer and the layers below it, never above."""

FORBIDDEN = {
    "allocator.run.verify": {"optim"},  # the verifier shares no code with the model
    "allocator.report": {"optim"},  # the reports read run folders, not models
}
"""Lower layers a layer may not import either (prefix of the importer -> layers)."""

OUTSIDE = {
    "pulp": {"allocator.optim.pulp_import"},
    "orloge": {"allocator.optim.pulp_import"},
    "highspy": {"allocator.optim.solve"},
    "typer": {"allocator.cli"},
    "click": {"allocator.cli"},
    "rich": {"allocator.cli"},
    "matplotlib": {"allocator.report"},
    "matplotlib_fontja": {"allocator.report"},
    "openpyxl": {"allocator.report.xlsx", "allocator.report.uncertainty_xlsx"},
    "dask": {"allocator.parallel"},
    "distributed": {"allocator.parallel"},
}
"""Outside libraries and the only modules (or packages) that may import them."""


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """Every (module, names) imported by ``path``, anywhere in it, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.append((base, [a.name for a in node.names]))
    return found


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("constants", "errors", "formatting", "parallel"):
        return "foundation"
    if parts[1].startswith("api"):  # api.py and api_uncertainty.py: one function per action
        return "api"
    return parts[1]


def internal_edges() -> dict[str, set[str]]:
    """module -> the allocator modules it imports (``from allocator.x import y`` counts as
    importing ``allocator.x.y`` when that is a module)."""
    mods = sources()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for target, names in imports_of(name, path):
            if not target.startswith("allocator"):
                continue
            hits = {f"{target}.{n}" for n in names if f"{target}.{n}" in mods}
            edges[name] |= hits or ({target} if target in mods else set())
    return edges


def test_every_module_has_a_known_layer() -> None:
    for name in sources():
        assert layer_of(name) in LAYERS, name


def test_imports_go_one_way() -> None:
    wrong = []
    for importer, targets in internal_edges().items():
        mine = layer_of(importer)
        for target in targets:
            theirs = layer_of(target)
            if LAYERS[theirs] > LAYERS[mine]:
                wrong.append(f"{importer} ({mine}) imports {target} ({theirs})")
            for prefix, banned in FORBIDDEN.items():
                if importer.startswith(prefix) and theirs in banned:
                    wrong.append(f"{importer} must not import {target} ({theirs})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    edges = internal_edges()
    # a package imports its own modules through __init__; that is not a cycle of ideas
    graph = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_no_private_name_crosses_a_module() -> None:
    mods = sources()
    crossing = []
    for name, path in mods.items():
        for target, names in imports_of(name, path):
            if target.startswith("allocator") and target != name:
                crossing += [
                    f"{name} imports {target}.{n}"
                    for n in names
                    if n.startswith("_") and not n.endswith("__")
                ]
    assert not crossing, crossing


@pytest.mark.parametrize("library", sorted(OUTSIDE))
def test_outside_libraries_stay_in_their_room(library: str) -> None:
    allowed = OUTSIDE[library]
    wrong = [
        name
        for name, path in sources().items()
        for target, _ in imports_of(name, path)
        if target.split(".")[0] == library
        and not any(name == a or name.startswith(a + ".") for a in allowed)
    ]
    assert not wrong, f"{library} imported by {wrong}"


def test_families_table_names_every_family_the_model_defines(tmp_path: Path) -> None:
    from planbuilder import indicator_toml, program, write_actuals, write_plan

    from allocator.plan.actuals import read_actuals, with_actuals

    # a plan that uses every rule: ranges, per-year maxima, units, a fixed profile, a ramp,
    # both kinds of predecessor, a mandatory program, area, phase and aggregate bounds, caps,
    # every kind of group, an indicator target that is a rule, and a year fixed to actuals
    folder = write_plan(
        tmp_path / "plan",
        [
            program("P1", 0, 100, first=2026, last=2027, max_per_year_oku_yen=60),
            program("P2", 0, 90, first=2026, last=2027, unit_cost_oku_yen=30, mandatory="yes"),
            program("P3", "", "", first=2026, last=2027, payment_profile="2026:10;2027:10"),
            program("P4", 0, 50, first=2026, last=2027, max_ramp_oku_yen=20, predecessor="P1"),
            program("P5", 0, 50, first=2026, last=2027, predecessor="P1:finish", rank=2),
            # a multi-year contract paid by either of two vehicles (contract families)
            program(
                "P6",
                0,
                50,
                first=2026,
                last=2027,
                rank=2,
                contract_pattern="60%;40%",
                vehicles="initial;fund",
            ),
        ],
        years=2,
        ranks=2,
        cap="50%",
        areas={"A": {"low_oku_yen": 1, "high_oku_yen": 10000}},
        phases='[[phases]]\nid = "all"\nname_ja = "全期間"\nname_en = "All"\nfirst_year = 2026\n'
        "last_year = 2027\nlow_oku_yen = 1\nhigh_oku_yen = 10000\n",
        bounds='[[bounds]]\nid = "all"\nname_ja = "全体"\nname_en = "all"\nfirst_year = 2026\n'
        'last_year = 2027\nlow_oku_yen = 1\nhigh_oku_yen = 10000\nsource = "test"\n',
        fiscal="max_new_per_year_oku_yen = 1000\nmax_new_total_oku_yen = 2000\n"
        "max_growth_ratio = 5.0\n",
        extra_toml="".join(
            f'[[groups]]\nid = "g{i}"\nname_ja = "g{i}"\nname_en = "g{i}"\n{body}\n'
            'source = "test"\n\n'
            for i, body in enumerate(
                (
                    'programs = ["P1", "P2"]\nat_least = 1\nat_most = 2',
                    'programs = ["P3", "P4"]\nall_or_none = true',
                    'programs = ["P5"]\nrequires = ["P3"]\nrequires_any = ["P1", "P2"]',
                )
            )
        )
        + "[contracts]\nwindow_first_year = 2027\nmax_new_per_year_oku_yen = 40\n"
        "max_outstanding_oku_yen = 100\n\n"
        '[[vehicles]]\nid = "initial"\nname_ja = "当初"\nname_en = "Initial"\ndefault = true\n'
        "max_per_year_oku_yen = 5000\n\n"
        '[[vehicles]]\nid = "fund"\nname_ja = "基金"\nname_en = "Fund"\nkind = "fund"\n'
        "opening_balance_oku_yen = 10\n" + indicator_toml("ships", targets=[(2027, 1, True)]),
        cap_extra='floor_ratio = "1%"\nfloor_from = 2027',
        outputs=[{"program_id": "P2", "indicator": "ships", "per_unit": 1, "source": "test"}],
    )
    plan = load_plan(folder)
    actuals = write_actuals(tmp_path / "actuals.csv", {("P1", 2026): 10})
    m = build_model(with_actuals(plan, read_actuals(actuals, plan, 2027)))
    used = {family for family, _ in m.rows.values()}
    tiebreak = {f.name for f in FAMILIES.values() if f.kind == "tiebreak"}
    assert used <= set(FAMILIES)
    assert used >= set(FAMILIES) - {"no_window"} - tiebreak, set(FAMILIES) - used
    # the tie-break's rows are added just before its stage, by profile
    ensure_tiebreak(m)  # level
    reference = build_model(load_plan(folder, Overrides(profile="reference")))
    reference.reference = {("P1", 2026): 10}
    ensure_tiebreak(reference)
    used = {f for f, _ in m.rows.values()} | {f for f, _ in reference.rows.values()}
    assert used >= set(FAMILIES) - {"no_window"}, set(FAMILIES) - used


def test_docs_model_names_every_constraint_family() -> None:
    text = (DOCS / "model.md").read_text(encoding="utf-8")
    missing = [f for f in FAMILIES if f"`{f}`" not in text]
    assert not missing, f"docs/model.md does not describe {missing}"
