"""The model's handles: the PuLP problem, its variables and its named rows. With
:mod:`allocator.optim.solve`, the only module that imports PuLP.

Every constraint is added through :meth:`ModelHandles.add` as ``family[index]``
(``gdp_cap[2027]``), so explanations, duals and infeasibility reports read in the plan's own
words; ``family`` must be one of :data:`allocator.constants.FAMILIES`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from allocator.constants import FAMILIES
from allocator.optim.pulp_import import pulp
from allocator.plan.schema import Plan, Program

Index = tuple[Any, ...]

_PULP_NAME = str.maketrans("-+[] ", "_____")
"""How PuLP rewrites a constraint's name (``LpAffineExpression.trans``)."""


@dataclass
class ModelHandles:
    """The PuLP problem and the handles the solving and reporting layers need."""

    plan: Plan
    prob: pulp.LpProblem
    go: dict[str, Any] = field(default_factory=dict)
    """go[p]: 1 if program p is funded (binary)."""
    alloc: dict[tuple[str, int], Any] = field(default_factory=dict)
    """alloc[p, y]: integer 億円 of program p in fiscal year y (not for fixed profiles)."""
    units: dict[tuple[str, int], Any] = field(default_factory=dict)
    """units[p, y]: whole units bought in year y (programs with a unit cost)."""
    amount: dict[tuple[str, int], Any] = field(default_factory=dict)
    """amount[p, y]: the money of p in y as an expression, whatever its kind."""
    started: dict[tuple[str, int], Any] = field(default_factory=dict)
    finished: dict[tuple[str, int], Any] = field(default_factory=dict)
    fixed: dict[tuple[str, int], tuple[int, int | None]] = field(default_factory=dict)
    """In a re-plan, (億円, units) of each cell fixed to the actuals (``actual[p,y]``)."""
    fixed_units: dict[tuple[str, int], Any] = field(default_factory=dict)
    """``actual_units[p,y]``: the units of a fixed cell, for outputs delivered per unit."""
    rows: dict[str, tuple[str, Index]] = field(default_factory=dict)
    """PuLP constraint name -> (family, index)."""
    constraints: dict[tuple[str, Index], Any] = field(default_factory=dict)
    rank_value: dict[int, Any] = field(default_factory=dict)
    rank_value_integral: dict[int, bool] = field(default_factory=dict)
    earliness: Any = None
    elastic: frozenset[str] = frozenset()
    """Families whose constraints get a penalised slack (for explaining infeasibility)."""
    slacks: dict[tuple[str, Index], Any] = field(default_factory=dict)

    @classmethod
    def new(cls, plan: Plan, *, elastic: frozenset[str] = frozenset()) -> ModelHandles:
        """An empty maximisation problem for ``plan`` (no variables, rows or objective)."""
        return cls(
            plan=plan,
            prob=pulp.LpProblem(f"allocate_{plan.name}", pulp.LpMaximize),
            elastic=elastic,
        )

    def add(self, family: str, index: Index, constraint: Any) -> Any:
        """Add ``constraint`` named ``family[index]`` and record it.

        When ``family`` is elastic the constraint gets a slack ``slack[family,index] ≥ 0`` that
        loosens it (≤ rows: lhs − slack ≤ rhs; ≥ rows: lhs + slack ≥ rhs).

        Raises
        ------
        KeyError
            If ``family`` is not in :data:`allocator.constants.FAMILIES` (a new family must be
            described there, and in docs/model.md, before the model may use it).
        """
        if family not in FAMILIES:
            raise KeyError(f"constraint family {family!r} is not in allocator.constants.FAMILIES")
        name = f"{family}[{','.join(str(i) for i in index)}]"
        # PuLP writes '-', '+', '[', ']' and ' ' as '_': ids such as A-01 and A_01 would give
        # two rows one name; a suffix keeps every row's name its own (rows maps it back)
        plain = name.translate(_PULP_NAME)
        if plain in self.rows:
            n = 2
            while f"{plain}_{n}" in self.rows:
                n += 1
            name = f"{name}_{n}"
        c = self.prob.addConstraint(constraint, name)
        if family in self.elastic:
            s = self.prob.add_variable(f"slack[{family},{','.join(map(str, index))}]", 0)
            c[s] = 1 if c.sense == pulp.LpConstraintGE else -1
            self.slacks[(family, index)] = s
        self.rows[c.name] = (family, index)
        self.constraints[(family, index)] = c
        return c

    def years_of(self, p: Program) -> list[int]:
        return [y for y in p.window if (p.program_id, y) in self.amount]

    def total(self, p: Program) -> Any:
        return pulp.lpSum(self.amount[p.program_id, y] for y in self.years_of(p))

    @staticmethod
    def linear_sum(terms: Iterable[Any]) -> Any:
        """Σ of model expressions (numbers, variables, expressions) as one expression."""
        return pulp.lpSum(terms)

    def defense_spending(self, year: int) -> Any:
        """Σ of new money in ``year`` that counts toward the defence GDP-ratio cap."""
        return pulp.lpSum(
            self.amount[p.program_id, year]
            for p in self.plan.programs
            if self.plan.counts_toward_defense(p) and (p.program_id, year) in self.amount
        )

    def new_spending(self, year: int) -> Any:
        """Σ of all new money in ``year`` (defence and economic security)."""
        return pulp.lpSum(
            self.amount[p.program_id, year]
            for p in self.plan.programs
            if (p.program_id, year) in self.amount
        )
