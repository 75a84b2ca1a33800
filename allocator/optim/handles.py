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
    """amount[p, y]: the decision of p in y as an expression, whatever its kind: the money of
    p in y, or, for a contract program, the amount contracted in y."""
    payment: dict[tuple[str, int], Any] = field(default_factory=dict)
    """payment[p, y]: what p pays in fiscal year y of the horizon (歳出); the same expression
    as amount[p, y] for a program without a contract pattern."""
    pay_parts: dict[tuple[str, int], list[Any]] = field(default_factory=dict)
    """pay_parts[p, t]: what the contracts of p signed in t pay in t, t+1, … (expressions)."""
    vehicle_pay: dict[tuple[str, int, str], Any] = field(default_factory=dict)
    """vehicle_pay[p, y, v]: what vehicle v pays of payment[p, y] (plans with vehicles)."""
    vehicle_order: Any = None
    """The last stage's objective when the plan has vehicles other than the default: use the
    default vehicles first (maximise −what the others pay)."""
    started: dict[tuple[str, int], Any] = field(default_factory=dict)
    finished: dict[tuple[str, int], Any] = field(default_factory=dict)
    fixed: dict[tuple[str, int], tuple[int, int | None]] = field(default_factory=dict)
    """In a re-plan, (億円, units) of each cell fixed to the actuals (``actual[p,y]``)."""
    fixed_units: dict[tuple[str, int], Any] = field(default_factory=dict)
    """``actual_units[p,y]``: the units of a fixed cell, for outputs delivered per unit."""
    rows: dict[str, tuple[str, Index]] = field(default_factory=dict)
    """PuLP constraint name -> (family, index)."""
    constraints: dict[tuple[str, Index], Any] = field(default_factory=dict)
    shortfall: dict[tuple[str, Index], Any] = field(default_factory=dict)
    """shortfall[family, index]: 億円 by which the floor row ``family[index]`` falls short
    (only with ``floors = "priority"``)."""
    shortfall_bound: dict[tuple[str, Index], int] = field(default_factory=dict)
    """The largest shortfall of each floor row (its right-hand side)."""
    floor_offset: dict[tuple[str, Index], int] = field(default_factory=dict)
    """What a floor counts beyond its row's terms (the baseline, for the ratio floor)."""
    floor_groups: dict[int, tuple[tuple[str, Index], ...]] = field(default_factory=dict)
    """Give-way group (a rank, or 0 for no rank) -> its floor rows."""
    floor_hold_idle: dict[int, int] = field(default_factory=dict)
    """The right-hand side of ``floor_hold[g]`` when it holds nothing."""
    rounding: list[Any] = field(default_factory=list)
    """The contracts' payment-rounding integers (``lots``, ``rest``, ``pay``): with the
    contract amounts they fix every payment of a contract."""
    rank_value: dict[int, Any] = field(default_factory=dict)
    rank_value_integral: dict[int, bool] = field(default_factory=dict)
    earliness: Any = None
    tiebreak: Any = None
    """The tie-break objective (to maximise), built by :func:`allocator.optim.tiebreak
    .ensure_tiebreak` before the first tie-break stage."""
    reference: dict[tuple[str, int], int] | None = None
    """The approved schedule the ``reference`` tie-break stays close to."""
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

    def payment_years_of(self, p: Program) -> list[int]:
        """Fiscal years of the horizon in which p may pay (its window, and for a contract
        program the years its contracts pay in)."""
        pid = p.program_id
        return [y for y in self.plan.fiscal_years if (pid, y) in self.payment]

    def counted(self, p: Program, basis: str, years: range | None = None) -> Any:
        """What p counts toward a range or bound of ``basis`` (``payment``: paid in the
        horizon; ``contract``: contracted), over ``years`` (default: all)."""
        pid = p.program_id
        if basis == "contract" or not p.is_contract:
            if years is None:
                return self.total(p)
            return pulp.lpSum(self.amount[pid, y] for y in self.years_of(p) if y in years)
        return pulp.lpSum(
            self.payment[pid, y] for y in self.payment_years_of(p) if years is None or y in years
        )

    def defense_spending(self, year: int) -> Any:
        """Σ of new money paid in ``year`` that counts toward the defence GDP-ratio cap."""
        return pulp.lpSum(
            self.payment[p.program_id, year]
            for p in self.plan.programs
            if self.plan.counts_toward_defense(p) and (p.program_id, year) in self.payment
        )

    def new_spending(self, year: int) -> Any:
        """Σ of all new money paid in ``year`` (defence and economic security)."""
        return pulp.lpSum(
            self.payment[p.program_id, year]
            for p in self.plan.programs
            if (p.program_id, year) in self.payment
        )
