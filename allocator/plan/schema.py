"""The plan's data model: frozen pydantic models, money in integer 億円, years as integers.

The loader (:mod:`allocator.plan.loading`) builds these from ``plan.toml``, ``programs.csv`` and
``gdp.csv``; :mod:`allocator.plan.checks` then checks rules that span tables.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MULTI_PHASE = "multi"
"""Phase label of a program that spans phases and is in no phase bound."""

Basis = Literal["payment", "contract"]
"""What a range or bound counts: ``payment`` (歳出ベース, money paid in the fiscal year, the
default) or ``contract`` (契約ベース, the amount contracted in the fiscal year)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Predecessor(_Frozen):
    """``program_id`` must have started (``kind="start"``) or made its last payment
    (``kind="finish"``) before the dependent program's first payment year."""

    program_id: str
    kind: Literal["start", "finish"] = "start"


class Program(_Frozen):
    """One row of ``programs.csv``. Amounts in 億円."""

    program_id: str
    name_ja: str
    name_en: str
    area: str
    phase: str
    rank: int
    window_first_year: int
    window_last_year: int
    low_oku_yen: int = Field(ge=0)
    high_oku_yen: int = Field(ge=0)
    max_per_year_oku_yen: int | None = None
    max_ramp_oku_yen: int | None = None
    unit_cost_oku_yen: int | None = None
    payment_profile: tuple[tuple[int, int], ...] | None = None
    value: float | None = None
    mandatory: bool = False
    predecessors: tuple[Predecessor, ...] = ()
    counts_toward_defense: bool | None = None
    source: str = ""
    note: str = ""
    row: int = 0
    """Row in programs.csv (the header is row 1), for messages."""
    contract_pattern: tuple[Fraction, ...] | None = None
    """Shares of a contract paid in its year and the years after (sum 1); None: the program's
    money is paid in the year it is allocated (no multi-year contract)."""
    long_term_contract: bool = False
    """Under the long-term procurement act (特定防衛調達): the pattern may run up to
    ``[contracts] long_term_max_years`` instead of ``max_term_years``."""
    basis: Basis = "payment"
    """What the program's range (and its value) counts: payments in the horizon or contracts."""
    vehicles: tuple[str, ...] = ()
    """Budget vehicles that may pay the program; empty: the plan's default vehicles."""

    @property
    def is_contract(self) -> bool:
        """A multi-year contract program: its decision is the amount contracted per year."""
        return self.contract_pattern is not None

    @property
    def window(self) -> range:
        """Fiscal years in which the program may receive money."""
        return range(self.window_first_year, self.window_last_year + 1)

    @property
    def profile(self) -> dict[int, int]:
        """The fixed payment profile as {fiscal_year: 億円} (empty if none)."""
        return dict(self.payment_profile or ())


class Rank(_Frozen):
    rank: int
    name_ja: str
    name_en: str
    areas: tuple[str, ...] = ()
    source: str = ""
    indicator: str | None = None
    """The rank's value is this indicator's gain (an ``id`` of ``[[indicators]]``) delivered
    by its programs up to ``indicator_year``, rather than the 億円 funded (docs/model.md)."""
    indicator_year: int | None = None


class Area(_Frozen):
    id: str
    name_ja: str
    name_en: str
    low_oku_yen: int | None = None
    high_oku_yen: int | None = None
    period_years: str = ""
    counts_toward_defense: bool = True
    basis: Basis = "payment"
    floor_rank: int | None = None
    """The priority rank whose floors this area's floor gives way with (default: the rank that
    lists the area, see :mod:`allocator.plan.floors`)."""
    source: str = ""


class Phase(_Frozen):
    id: str
    name_ja: str
    name_en: str
    first_year: int
    last_year: int
    low_oku_yen: int | None = None
    high_oku_yen: int | None = None
    basis: Basis = "payment"
    floor_rank: int | None = None
    """The priority rank whose floors this phase's floor gives way with (default: none, unless
    every program of the phase has one rank)."""
    source: str = ""


class AggregateBound(_Frozen):
    """Bound on the money of programs of ``areas`` (all when empty) in first..last year."""

    id: str
    name_ja: str
    name_en: str
    first_year: int
    last_year: int
    areas: tuple[str, ...] = ()
    low_oku_yen: int | None = None
    high_oku_yen: int | None = None
    basis: Basis = "payment"
    floor_rank: int | None = None
    """The priority rank whose floors this bound's floor gives way with (default: none, unless
    every program it counts has one rank)."""
    source: str = ""


class Group(_Frozen):
    """One ``[[groups]]`` entry of ``plan.toml``: a rule on which of its ``programs`` are funded.

    ``at_most`` / ``at_least``: how many of them may / must be funded (``at_most = 1``: an
    either-or); ``all_or_none``: funded together or not at all (a package); ``requires``: each
    of them is funded only if every program listed there is; ``requires_any``: only if at least
    one of those is. "Funded" means ``go[p] = 1`` (at least 1 億円, or the fixed profile paid);
    a group says nothing about timing (that is ``predecessor`` in programs.csv).
    """

    id: str
    name_ja: str
    name_en: str
    programs: tuple[str, ...]
    at_most: int | None = None
    at_least: int | None = None
    all_or_none: bool = False
    requires: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    source: str
    note: str = ""
    entry: int = 0
    """Position in plan.toml (``[[groups]] #entry``, from 1), for messages."""

    @property
    def label(self) -> str:
        """``[[groups]] #2 (fighter)``: how messages name the entry."""
        return f"[[groups]] #{self.entry} ({self.id})"

    def rules(self, lang: str = "en") -> str:
        """The group's rules in words: ``at most 1 of F1, F2``, ``M1 only with L1``
        (``lang="ja"``: ``F1、F2のうち最大1件``)."""
        ja = lang == "ja"
        members = ("、" if ja else ", ").join(self.programs)
        out: list[str] = []
        lo, hi = self.at_least, self.at_most
        if lo is not None and hi is not None:
            if lo == hi:
                out.append(f"{members}のうち{hi}件" if ja else f"exactly {hi} of {members}")
            else:
                out.append(f"{members}のうち{lo}〜{hi}件" if ja else f"{lo} to {hi} of {members}")
        elif hi is not None:
            out.append(f"{members}のうち最大{hi}件" if ja else f"at most {hi} of {members}")
        elif lo is not None:
            out.append(f"{members}のうち最低{lo}件" if ja else f"at least {lo} of {members}")
        if self.all_or_none:
            out.append(f"{members}はすべてか無か" if ja else f"all or none of {members}")
        if self.requires:
            need = "と".join(self.requires) if ja else " and ".join(self.requires)
            out.append(f"{members}は{need}とともにのみ" if ja else f"{members} only with {need}")
        if self.requires_any:
            need = "か".join(self.requires_any) if ja else " or ".join(self.requires_any)
            out.append(f"{members}は{need}とともにのみ" if ja else f"{members} only with {need}")
        return ("; " if not ja else "。").join(out)


class CapSettings(_Frozen):
    ratio: Fraction
    base: Literal["each_year", "fixed_year"] = "each_year"
    base_year: int | None = None
    floor_ratio: Fraction | None = None
    """Defence spending (baseline + new) at least this share of GDP (the cap's base) in every
    fiscal year from ``floor_from``: the ratio as a target as well as a ceiling."""
    floor_from: int | None = None
    source: str = ""


class FiscalCaps(_Frozen):
    """Caps on total new spending (all programs, defence or not). ``None``: no cap."""

    max_new_per_year_oku_yen: int | None = None
    per_year_oku_yen: tuple[tuple[int, int], ...] = ()
    max_new_total_oku_yen: int | None = None
    max_growth_ratio: float | None = None
    source: str = ""

    def ceiling(self, year: int) -> int | None:
        """The absolute ceiling on new spending in ``year`` (the tighter of both settings)."""
        candidates = [v for y, v in self.per_year_oku_yen if y == year]
        if self.max_new_per_year_oku_yen is not None:
            candidates.append(self.max_new_per_year_oku_yen)
        return min(candidates) if candidates else None


class Vehicle(_Frozen):
    """A budget vehicle that pays programs: the initial budget (当初予算), a supplementary
    budget (補正予算), or a fund (基金, e.g. 防衛力強化資金) whose balance carries over."""

    id: str
    name_ja: str
    name_en: str
    kind: Literal["budget", "fund"] = "budget"
    default: bool = False
    """Pays every program whose ``vehicles`` cell is empty."""
    max_per_year_oku_yen: int | None = None
    per_year_oku_yen: tuple[tuple[int, int], ...] = ()
    """Ceilings for single years (the tighter of this and ``max_per_year_oku_yen`` applies)."""
    opening_balance_oku_yen: int = 0
    """A fund's balance before the first fiscal year of the horizon."""
    inflow_oku_yen: tuple[tuple[int, int], ...] = ()
    """A fund's deposits per fiscal year."""
    source: str = ""

    def ceiling(self, year: int) -> int | None:
        """What the vehicle may pay in ``year`` (None: no ceiling of its own)."""
        candidates = [v for y, v in self.per_year_oku_yen if y == year]
        if self.max_per_year_oku_yen is not None:
            candidates.append(self.max_per_year_oku_yen)
        return min(candidates) if candidates else None

    def inflow(self, year: int) -> int:
        return sum(v for y, v in self.inflow_oku_yen if y == year)


class Obligation(_Frozen):
    """One row of the obligations file: 億円 due in ``fiscal_year`` on contracts signed before
    the horizon (既定分の歳出化経費)."""

    fiscal_year: int
    oku_yen: int = Field(ge=0)
    contract_year: int | None = None
    counts_toward_defense: bool = True
    vehicle: str | None = None
    """The vehicle that pays it (counted in its ceiling or balance); None: outside the
    vehicles (the budget line it was contracted under)."""
    source: str = ""
    note: str = ""
    row: int = 0


class IndicatorTarget(_Frozen):
    """A target of an indicator: its level in ``fiscal_year`` at least (direction ``up``) or
    at most (``down``) ``level``; a hard rule of the model when ``rule`` is true, otherwise
    only reported against (the yearly evaluation)."""

    fiscal_year: int
    level: Fraction
    rule: bool = False
    source: str = ""


class Indicator(_Frozen):
    """One ``[[indicators]]`` entry of plan.toml: what the money buys, in its own unit.

    ``kind = "stock"``: deliveries add up (ships in service), level_y = start + s·Σ_{t≤y} D_t;
    ``"flow"``: a year's deliveries only, level_y = start + s·D_y. ``direction`` ``up`` (s = +1,
    more is better) or ``down`` (s = −1: deliveries lower the level, e.g. hours to detect an
    intrusion). D_t is what the programs' outputs deliver in year t (:class:`Output`).
    """

    id: str
    name_ja: str
    name_en: str
    unit_ja: str = ""
    unit_en: str = ""
    kind: Literal["stock", "flow"] = "stock"
    direction: Literal["up", "down"] = "up"
    start: Fraction = Fraction(0)
    """The level before the plan's money delivers anything (the level the horizon starts at)."""
    targets: tuple[IndicatorTarget, ...] = ()
    source: str = ""
    note: str = ""
    entry: int = 0
    """Position in plan.toml (``[[indicators]] #entry``, from 1), for messages."""

    @property
    def sign(self) -> int:
        return 1 if self.direction == "up" else -1


class Output(_Frozen):
    """One row of ``outputs.csv``: program ``program_id`` delivers into ``indicator``
    ``per_oku_yen`` for each 億円 paid, or ``per_unit`` for each unit bought, ``lag_years``
    after the year it is paid (money paid in t is delivered in t + lag)."""

    program_id: str
    indicator: str
    per_oku_yen: Fraction | None = None
    per_unit: Fraction | None = None
    lag_years: int = 0
    source: str = ""
    note: str = ""
    row: int = 0


class ContractSettings(_Frozen):
    """``[contracts]``: term limits, the contract window, ceilings on new contracts and on
    obligations outstanding, and the obligations already owed. Every ceiling is optional."""

    max_term_years: int = 5
    long_term_max_years: int = 10
    window_first_year: int | None = None
    window_last_year: int | None = None
    max_new_per_year_oku_yen: int | None = None
    new_per_year_oku_yen: tuple[tuple[int, int], ...] = ()
    new_measure: Literal["contract", "later_years"] = "contract"
    """``contract``: the amount contracted (契約額); ``later_years``: the part of it paid after
    the contract year (新規後年度負担)."""
    max_outstanding_oku_yen: int | None = None
    outstanding_per_year_oku_yen: tuple[tuple[int, int], ...] = ()
    obligations: str | None = None
    """The obligations file, relative to plan.toml."""
    baseline_includes_obligations: bool = False
    source: str = ""

    def new_ceiling(self, year: int) -> int | None:
        candidates = [v for y, v in self.new_per_year_oku_yen if y == year]
        if self.max_new_per_year_oku_yen is not None:
            candidates.append(self.max_new_per_year_oku_yen)
        return min(candidates) if candidates else None

    def outstanding_ceiling(self, year: int) -> int | None:
        candidates = [v for y, v in self.outstanding_per_year_oku_yen if y == year]
        if self.max_outstanding_oku_yen is not None:
            candidates.append(self.max_outstanding_oku_yen)
        return min(candidates) if candidates else None

    def in_window(self, year: int) -> bool:
        """Whether contracts may be signed in ``year`` (the plan's contract window)."""
        if self.window_first_year is not None and year < self.window_first_year:
            return False
        return self.window_last_year is None or year <= self.window_last_year


FloorsMode = Literal["priority", "hard"]
"""``priority``: floors give way, in reverse priority order, when they cannot all be met;
``hard``: every floor must be met (no plan otherwise)."""

Profile = Literal["level", "early", "reference"]
"""The tie-break among schedules of equal value: ``level`` (the smoothest path), ``early``
(money as early as the rules allow), ``reference`` (closest to an approved run)."""


class Actual(_Frozen):
    """One row of an actuals file: what a program executed (決算) in a fiscal year, 億円."""

    fiscal_year: int
    program_id: str
    executed_oku_yen: int = Field(ge=0)
    contracted_oku_yen: int | None = None
    """Contract amount (契約額) for contract-based programs: reserved, recorded but not used
    until the plan has contracts."""
    units: int | None = None
    """Whole units bought that year (programs with a unit cost)."""
    row: int = 0


class Actuals(_Frozen):
    """The executed amounts of the years before ``from_year``: each is fixed in a re-plan."""

    from_year: int
    """The first fiscal year that is planned again; every earlier year of the horizon is fixed."""
    rows: tuple[Actual, ...]
    file: str = ""
    """The file on disk it was read from."""
    name: str = "actuals.csv"
    """Its name inside a run folder's ``inputs/``."""
    sha256: str = ""
    notes: tuple[str, ...] = ()

    def executed(self) -> dict[tuple[str, int], int]:
        """{(program_id, fiscal_year): 億円 executed} of every row."""
        return {(a.program_id, a.fiscal_year): a.executed_oku_yen for a in self.rows}


class SolverSettings(_Frozen):
    time_limit_seconds: float = 120.0
    gap: float = 0.0
    tolerance: float = 0.0
    floors: FloorsMode = "priority"
    profile: Profile = "level"


class Plan(_Frozen):
    """A complete, validated plan for one horizon and one GDP case."""

    name: str
    title_ja: str = ""
    title_en: str = ""
    first_year: int
    years: int
    gdp_case: str
    cap: CapSettings
    baseline_oku_yen: tuple[tuple[int, int], ...]
    baseline_source: str = ""
    fiscal: FiscalCaps
    solver: SolverSettings
    ranks: tuple[Rank, ...]
    areas: tuple[Area, ...]
    phases: tuple[Phase, ...]
    bounds: tuple[AggregateBound, ...] = ()
    groups: tuple[Group, ...] = ()
    """``[[groups]]``: at most / at least k of a set, all or none, requires (see :class:`Group`)."""
    programs: tuple[Program, ...]
    indicators: tuple[Indicator, ...] = ()
    """``[[indicators]]``: what the money buys (ships, hours, shares), see :class:`Indicator`."""
    outputs: tuple[Output, ...] = ()
    """``outputs.csv``: which programs deliver into which indicator, and when."""
    actuals: Actuals | None = None
    """In a re-plan: the executed amounts that fix the years before ``actuals.from_year``."""
    gdp_oku_yen: tuple[tuple[int, int], ...]
    """GDP of the chosen case, every year the plan needs (horizon and cap base year)."""
    gdp_cases: tuple[str, ...] = ()
    input_hash: str = ""
    input_files: tuple[tuple[str, str], ...] = ()
    """(path on disk, name inside the plan folder) of each file the plan was read from."""
    notes: tuple[str, ...] = ()
    """Things the loader changed or noticed (a file read as cp932, windows clipped, ...)."""
    contracts: ContractSettings = ContractSettings()
    obligations: tuple[Obligation, ...] = ()
    vehicles: tuple[Vehicle, ...] = ()

    @property
    def fiscal_years(self) -> list[int]:
        return list(range(self.first_year, self.first_year + self.years))

    @property
    def last_year(self) -> int:
        return self.first_year + self.years - 1

    def gdp(self, year: int) -> int:
        return dict(self.gdp_oku_yen)[year]

    def baseline(self, year: int) -> int:
        return dict(self.baseline_oku_yen)[year]

    def area(self, area_id: str) -> Area:
        return next(a for a in self.areas if a.id == area_id)

    def counts_toward_defense(self, program: Program) -> bool:
        if program.counts_toward_defense is not None:
            return program.counts_toward_defense
        return self.area(program.area).counts_toward_defense

    def cap_oku_yen(self, year: int) -> int:
        """The GDP-ratio cap on total defence spending in ``year``, rounded down to 億円."""
        exact = self.cap.ratio * self.gdp(self.cap_base_year(year))
        return exact.numerator // exact.denominator

    def cap_base_year(self, year: int) -> int:
        """The fiscal year whose GDP the cap of ``year`` is a share of."""
        if self.cap.base == "fixed_year" and self.cap.base_year is not None:
            return self.cap.base_year
        return year

    def cap_room(self, year: int) -> int:
        """億円 the cap leaves for new defence spending in ``year`` above the baseline and the
        obligations already owed (negative when they alone break the cap)."""
        return self.cap_oku_yen(year) - self.baseline(year) - self.obligations_due(year)

    def committed(self, year: int) -> int:
        """Defence spending in ``year`` before any new program: baseline + obligations due."""
        return self.baseline(year) + self.obligations_due(year)

    def obligations_due(self, year: int, *, defense_only: bool = True) -> int:
        """億円 due in ``year`` on contracts signed before the horizon (by default only those
        that count toward the defence cap)."""
        return sum(
            o.oku_yen
            for o in self.obligations
            if o.fiscal_year == year and (o.counts_toward_defense or not defense_only)
        )

    @property
    def has_contracts(self) -> bool:
        """Whether any program is a multi-year contract."""
        return any(p.is_contract for p in self.programs)

    def vehicle(self, vehicle_id: str) -> Vehicle:
        return next(v for v in self.vehicles if v.id == vehicle_id)

    def vehicles_of(self, program: Program) -> tuple[str, ...]:
        """The vehicles that may pay ``program`` (its own list, else the default vehicles)."""
        if program.vehicles:
            return program.vehicles
        return tuple(v.id for v in self.vehicles if v.default)

    def new_defense_room(self, year: int) -> int:
        """The most new defence money ``year`` may receive: :meth:`cap_room`, and 0 when the
        baseline alone breaks the cap and floors give way (with ``floors = "hard"`` a negative
        room is kept, and the plan is infeasible)."""
        room = self.cap_room(year)
        return max(room, 0) if self.solver.floors == "priority" else room

    def ratio_floor_oku_yen(self, year: int) -> int | None:
        """The least total defence spending in ``year`` (baseline + new), ⌊floor ratio × GDP of
        the cap's base year⌋ — rounded down to 億円 like the cap, so that a target equal to the
        cap can be met exactly — when a floor ratio applies to ``year``; else None."""
        c = self.cap
        if c.floor_ratio is None or year < (c.floor_from or self.first_year):
            return None
        exact = c.floor_ratio * self.gdp(self.cap_base_year(year))
        return exact.numerator // exact.denominator

    def rank_of_area(self, area_id: str) -> int | None:
        """The rank whose ``[[ranks]] areas`` lists ``area_id`` (None if none or several)."""
        owners = [r.rank for r in self.ranks if area_id in r.areas]
        return owners[0] if len(owners) == 1 else None

    def with_cap(self, ratio: Fraction) -> Plan:
        """The same plan under another GDP-ratio cap."""
        return self.model_copy(update={"cap": self.cap.model_copy(update={"ratio": ratio})})

    def program(self, program_id: str) -> Program:
        return next(p for p in self.programs if p.program_id == program_id)

    def group(self, group_id: str) -> Group:
        return next(g for g in self.groups if g.id == group_id)

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)

    @property
    def fixed_years(self) -> list[int]:
        """The fiscal years fixed to the actuals (none outside a re-plan)."""
        if self.actuals is None:
            return []
        return [y for y in self.fiscal_years if y < self.actuals.from_year]
