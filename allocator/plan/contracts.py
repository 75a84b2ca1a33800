"""Contracts and the budgets that pay them, as the plan states them: payment patterns
(``40%;30%;20%;10%``), the payment rule, ``[contracts]``, ``[[vehicles]]`` and the obligations
file (既定分の歳出化経費), with the checks that span them.

The payment rule (:func:`split_payments`) is the one the model writes as constraints
(``payment_rounding`` in :mod:`allocator.optim.families.contracts`) and the run folder's
ledger uses for payments past the horizon; the verifier keeps its own copy. Money is integer
億円; fiscal years are named by the year they start.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from allocator.errors import PlanError
from allocator.plan.csvfile import CsvTable, cell_bool, cell_int, read_csv
from allocator.plan.schema import ContractSettings, Obligation, Plan, Program, Vehicle

MAX_TERM_YEARS = 5
"""Multi-year contracts pay within 5 fiscal years of the contract year, in principle
(ref contracts_reference.csv: contract_term_limit_general)."""
LONG_TERM_MAX_YEARS = 10
"""Under the long-term procurement act, within 10 fiscal years
(ref contracts_reference.csv: contract_term_limit_long_term)."""

OBLIGATION_COLUMNS = [
    "fiscal_year",
    "oku_yen",
    "contract_year",
    "counts_toward_defense",
    "vehicle",
    "source",
    "note",
]
"""Columns of the obligations file, in the documented order (``fiscal_year`` and ``oku_yen``
and ``source`` required)."""


# ---------------------------------------------------------------------------------------------
# payment patterns and the payment rule


class PatternError(ValueError):
    """A payment pattern that cannot be used; ``fix`` says what to write instead."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


_SHARE_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_pattern(text: str) -> tuple[Fraction, ...]:
    """A payment pattern as exact shares that add up to 1.

    ``40%;30%;20%;10%`` (also ``；`` and full-width digits, ``12.5%``, or ratios such as
    ``0.4;0.3;0.2;0.1``): the share of a contract paid in its own fiscal year, the next, and
    so on.

    Raises
    ------
    PatternError
        For an empty or malformed share, a negative share, a last share of 0 (the last year
        must pay something: it takes the rounding remainder), or shares that do not add up to
        exactly 100 %.

    Examples
    --------
    >>> parse_pattern("40%;30%;20%;10%")
    (Fraction(2, 5), Fraction(3, 10), Fraction(1, 5), Fraction(1, 10))
    >>> parse_pattern("0.5;0.5")
    (Fraction(1, 2), Fraction(1, 2))
    """
    s = unicodedata.normalize("NFKC", text).strip()
    parts = [p.strip() for p in re.split(r"[;]", s)]
    if parts and parts[-1] == "":
        parts.pop()  # a trailing separator
    if not parts or parts == [""]:
        raise PatternError("the payment pattern is empty", "write e.g. 40%;30%;20%;10%")
    shares: list[Fraction] = []
    kinds: set[bool] = set()
    for i, part in enumerate(parts, start=1):
        if not part:
            raise PatternError(
                f"share {i} is empty", "write one share per year, e.g. 40%;30%;20%;10%"
            )
        percent = part.endswith("%")
        number = part[:-1].strip() if percent else part
        if not _SHARE_RE.fullmatch(number):
            raise PatternError(
                f"share {i} ({part!r}) is not a percentage",
                "write shares as percentages separated by ';', e.g. 40%;30%;20%;10%",
            )
        value = Fraction(number) / (100 if percent else 1)
        if value < 0:
            raise PatternError(
                f"share {i} ({part}) is negative",
                "every share is 0 % or more of the contract",
            )
        shares.append(value)
        kinds.add(percent)
    if len(kinds) > 1:
        raise PatternError(
            "the pattern mixes percentages and ratios",
            "write every share as a percentage, e.g. 40%;30%;20%;10%",
        )
    total = sum(shares, Fraction(0))
    if total != 1:
        raise PatternError(
            f"the shares add up to {_percent(total)}, not 100%",
            "make the shares add up to exactly 100% (e.g. 40%;30%;20%;10%)",
        )
    if shares[-1] == 0:
        raise PatternError(
            f"the last share (year {len(shares)}) is 0%",
            "end the pattern with the last year that pays (it takes the rounding remainder)",
        )
    return tuple(shares)


def _percent(x: Fraction) -> str:
    value = x * 100
    return f"{value.numerator}%" if value.denominator == 1 else f"{float(value):.10g}%"


def format_pattern(pattern: Sequence[Fraction]) -> str:
    """``(2/5, 3/10, 1/5, 1/10)`` -> ``40%;30%;20%;10%``."""
    return ";".join(_percent(s) for s in pattern)


def split_payments(contract: int, pattern: Sequence[Fraction]) -> list[int]:
    """Whole 億円 paid in each year of a contract of ``contract`` 億円: every year but the last
    pays ``floor(share × contract)``, the last pays the rest, so the payments add up to the
    contract exactly.

    >>> split_payments(1001, parse_pattern("40%;30%;20%;10%"))
    [400, 300, 200, 101]
    >>> split_payments(7, parse_pattern("0%;50%;50%"))
    [0, 3, 4]
    """
    paid = [(s.numerator * contract) // s.denominator for s in pattern[:-1]]
    return [*paid, contract - sum(paid)]


def contract_ceiling(p: Program, year: int, last_year: int) -> int:
    """The most ``p`` may contract (or, without a pattern, spend) in ``year``: its per-year
    maximum, and its high on its basis. On the payment basis a contract whose later payments
    fall after ``last_year`` may be larger than the high: only the share paid by then
    (F, less at most one 億円 of rounding per year) counts, so the bound is (high + K − 1) / F
    (0 when nothing would be paid inside the horizon). Whole units where it has a unit cost."""
    ub = p.high_oku_yen
    pattern = p.contract_pattern
    if pattern is not None and p.basis == "payment":
        inside = sum((s for k, s in enumerate(pattern) if year + k <= last_year), Fraction(0))
        if inside == 0:
            ub = 0
        elif inside < 1:
            bound = (p.high_oku_yen + len(pattern) - 1) / inside
            ub = bound.numerator // bound.denominator
    if p.max_per_year_oku_yen is not None:
        ub = min(ub, p.max_per_year_oku_yen)
    if p.unit_cost_oku_yen is not None:
        ub = ub // p.unit_cost_oku_yen * p.unit_cost_oku_yen
    return ub


def term_limit(plan: Plan, program: Program) -> int:
    """Years a program's pattern may run: the general limit, or the long-term one."""
    c = plan.contracts
    return c.long_term_max_years if program.long_term_contract else c.max_term_years


# ---------------------------------------------------------------------------------------------
# plan.toml: [contracts] and [[vehicles]]


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RawContracts(_Raw):
    """``[contracts]`` as written in plan.toml."""

    max_term_years: int = MAX_TERM_YEARS
    long_term_max_years: int = LONG_TERM_MAX_YEARS
    window_first_year: int | None = None
    window_last_year: int | None = None
    max_new_per_year_oku_yen: int | None = None
    new_per_year_oku_yen: dict[str, int] = {}
    new_measure: Literal["contract", "later_years"] = "contract"
    max_outstanding_oku_yen: int | None = None
    outstanding_per_year_oku_yen: dict[str, int] = {}
    obligations: str | None = None
    baseline_includes_obligations: bool = False
    source: str = ""


class RawVehicle(_Raw):
    """One ``[[vehicles]]`` block as written in plan.toml."""

    id: str
    name_ja: str
    name_en: str
    kind: Literal["budget", "fund"] = "budget"
    default: bool = False
    max_per_year_oku_yen: int | None = None
    per_year_oku_yen: dict[str, int] = {}
    opening_balance_oku_yen: int = 0
    inflow_oku_yen: dict[str, int] = {}
    source: str = ""


def _year_items(
    path: Path, table: str, items: dict[str, int], shift: int
) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for key, value in items.items():
        if not re.fullmatch(r"\d{4}", key.strip()):
            raise PlanError(
                path,
                f"[{table}] key {key!r} is not a fiscal year",
                column=table,
                fix="write e.g. 2027 = 10000",
            )
        out.append((int(key) + shift, value))
    return tuple(sorted(out))


def contract_settings(raw: RawContracts, path: Path, shift: int) -> ContractSettings:
    """``[contracts]`` with its years moved by ``shift`` (``--first-year``)."""

    def moved(y: int | None) -> int | None:
        return None if y is None else y + shift

    return ContractSettings(
        max_term_years=raw.max_term_years,
        long_term_max_years=raw.long_term_max_years,
        window_first_year=moved(raw.window_first_year),
        window_last_year=moved(raw.window_last_year),
        max_new_per_year_oku_yen=raw.max_new_per_year_oku_yen,
        new_per_year_oku_yen=_year_items(
            path, "contracts.new_per_year_oku_yen", raw.new_per_year_oku_yen, shift
        ),
        new_measure=raw.new_measure,
        max_outstanding_oku_yen=raw.max_outstanding_oku_yen,
        outstanding_per_year_oku_yen=_year_items(
            path, "contracts.outstanding_per_year_oku_yen", raw.outstanding_per_year_oku_yen, shift
        ),
        obligations=raw.obligations,
        baseline_includes_obligations=raw.baseline_includes_obligations,
        source=raw.source,
    )


def vehicles(raw: Sequence[RawVehicle], path: Path, shift: int) -> tuple[Vehicle, ...]:
    """``[[vehicles]]`` with their years moved by ``shift``."""
    return tuple(
        Vehicle(
            id=v.id,
            name_ja=v.name_ja,
            name_en=v.name_en,
            kind=v.kind,
            default=v.default,
            max_per_year_oku_yen=v.max_per_year_oku_yen,
            per_year_oku_yen=_year_items(
                path, f"vehicles.{v.id}.per_year_oku_yen", v.per_year_oku_yen, shift
            ),
            opening_balance_oku_yen=v.opening_balance_oku_yen,
            inflow_oku_yen=_year_items(
                path, f"vehicles.{v.id}.inflow_oku_yen", v.inflow_oku_yen, shift
            ),
            source=v.source,
        )
        for v in raw
    )


# ---------------------------------------------------------------------------------------------
# programs.csv cells


def pattern_cell(t: CsvTable, row: int, text: str) -> tuple[Fraction, ...]:
    """The ``contract_pattern`` cell of ``row``, or a PlanError naming file, row and column."""
    try:
        return parse_pattern(text)
    except PatternError as exc:
        raise PlanError(t.path, str(exc), row=row, column="contract_pattern", fix=exc.fix) from None


def basis_cell(t: CsvTable, row: int, column: str, text: str) -> Literal["payment", "contract"]:
    s = text.strip().lower()
    if s in ("", "payment", "歳出", "歳出ベース"):
        return "payment"
    if s in ("contract", "契約", "契約ベース"):
        return "contract"
    raise PlanError(
        t.path,
        f"{text!r} is not a basis",
        row=row,
        column=column,
        fix="write payment (歳出ベース) or contract (契約ベース), or leave it empty (payment)",
    )


def vehicles_cell(t: CsvTable, row: int, text: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in re.split(r"[;；,]", text):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# the obligations file


def read_obligations(path: Path, shift: int = 0) -> tuple[list[Obligation], CsvTable]:
    """Read the obligations file (既定分の歳出化経費): one row per fiscal year (and contract
    year, if given) with 億円 due; years moved by ``shift`` with the plan."""
    t = read_csv(path, ["fiscal_year", "oku_yen", "source"])
    out: list[Obligation] = []
    for row, c in t.rows:
        year = cell_int(t, row, "fiscal_year", c["fiscal_year"])
        amount = cell_int(t, row, "oku_yen", c["oku_yen"])
        contract_year = (
            cell_int(t, row, "contract_year", c["contract_year"])
            if c.get("contract_year", "")
            else None
        )
        if contract_year is not None and contract_year > year:
            raise PlanError(
                path,
                f"contract year {contract_year} is after the payment year {year}",
                row=row,
                column="contract_year",
                fix="a payment falls due in or after the year its contract was signed",
            )
        if not c["source"]:
            raise PlanError(
                path,
                "source is empty",
                row=row,
                column="source",
                fix="cite a reference row or write 'assumption: <why>'",
            )
        counts = cell_bool(t, row, "counts_toward_defense", c.get("counts_toward_defense", ""))
        out.append(
            Obligation(
                fiscal_year=year + shift,
                oku_yen=amount,
                contract_year=None if contract_year is None else contract_year + shift,
                counts_toward_defense=True if counts is None else counts,
                vehicle=c.get("vehicle", "") or None,
                source=c["source"],
                note=c.get("note", ""),
                row=row,
            )
        )
    return out, t


# ---------------------------------------------------------------------------------------------
# checks that span the tables (run by allocator.plan.checks.check_plan)


def check_contracts(
    plan: Plan, *, toml_path: Path, programs_path: Path, obligations_path: Path | None
) -> None:
    """Every rule on contracts, vehicles and obligations; raise PlanError on the first."""
    check_contract_settings(plan, toml_path)
    check_vehicles(plan, toml_path)
    for p in plan.programs:
        check_program_contract(plan, p, programs_path)
        check_program_vehicles(plan, p, programs_path)
    if obligations_path is not None:
        check_obligations(plan, obligations_path)
    check_fund_balances(plan, toml_path, obligations_path)
    check_baseline_covers_obligations(plan, toml_path)


def check_contract_settings(plan: Plan, path: Path) -> None:
    c = plan.contracts
    if not 1 <= c.max_term_years <= c.long_term_max_years:
        raise PlanError(
            path,
            f"[contracts] max_term_years = {c.max_term_years} is not between 1 and "
            f"long_term_max_years ({c.long_term_max_years})",
            column="contracts.max_term_years",
            fix="the general limit is 5 fiscal years, the long-term one 10",
        )
    for name, v in (
        ("max_new_per_year_oku_yen", c.max_new_per_year_oku_yen),
        ("max_outstanding_oku_yen", c.max_outstanding_oku_yen),
        *((f"new_per_year_oku_yen.{y}", v) for y, v in c.new_per_year_oku_yen),
        *((f"outstanding_per_year_oku_yen.{y}", v) for y, v in c.outstanding_per_year_oku_yen),
    ):
        if v is not None and v < 0:
            raise PlanError(
                path,
                f"[contracts] {name} = {v} is negative",
                column=f"contracts.{name}",
                fix="give a ceiling ≥ 0 in 億円, or remove the line",
            )
    a, b = c.window_first_year, c.window_last_year
    if a is not None and b is not None and a > b:
        raise PlanError(
            path,
            f"[contracts] window_first_year {a} is after window_last_year {b}",
            column="contracts.window_first_year",
            fix="swap them",
        )


def check_vehicles(plan: Plan, path: Path) -> None:
    seen: set[str] = set()
    for v in plan.vehicles:
        if v.id in seen:
            raise PlanError(
                path,
                f"vehicle {v.id!r} is defined twice",
                column="vehicles.id",
                fix="keep one [[vehicles]] block per vehicle",
            )
        seen.add(v.id)
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", v.id):
            raise PlanError(
                path,
                f"vehicle id {v.id!r} is not an ASCII name",
                column="vehicles.id",
                fix="use letters, digits and '_' (e.g. supplementary)",
            )
        amounts = [
            ("max_per_year_oku_yen", v.max_per_year_oku_yen),
            ("opening_balance_oku_yen", v.opening_balance_oku_yen),
            *((f"per_year_oku_yen.{y}", a) for y, a in v.per_year_oku_yen),
        ]
        for name, a in amounts:
            if a is not None and a < 0:
                raise PlanError(
                    path,
                    f"vehicle {v.id}: {name} = {a} is negative",
                    column=f"vehicles.{name}",
                    fix="amounts are 億円 ≥ 0",
                )
        if v.kind != "fund" and (v.opening_balance_oku_yen or v.inflow_oku_yen):
            raise PlanError(
                path,
                f"vehicle {v.id} is a budget but has a balance or inflows",
                column="vehicles.kind",
                fix='write kind = "fund" for a vehicle with a balance carried over',
            )
    no_default = plan.vehicles and not any(v.default for v in plan.vehicles)
    if no_default and any(not p.vehicles for p in plan.programs):
        raise PlanError(
            path,
            "no [[vehicles]] block has default = true, but some programs name no vehicle",
            column="vehicles.default",
            fix="mark the initial budget with default = true",
        )


def check_program_contract(plan: Plan, p: Program, path: Path) -> None:
    if p.contract_pattern is None:
        if p.long_term_contract:
            raise PlanError(
                path,
                f"{p.program_id}: long_term_contract = yes but no contract_pattern",
                row=p.row,
                column="long_term_contract",
                fix="give the payment pattern of its contracts, or write no",
            )
        if p.basis == "contract":
            return  # a program paid in the year it is allocated: both bases are the same
        return
    limit = term_limit(plan, p)
    if len(p.contract_pattern) > limit:
        rule = "long-term (特定防衛調達)" if p.long_term_contract else "general"
        fix = (
            f"shorten the pattern to {limit} years or fewer"
            if p.long_term_contract
            else f"shorten the pattern to {limit} years, or write long_term_contract = yes "
            f"(up to {plan.contracts.long_term_max_years} years)"
        )
        raise PlanError(
            path,
            f"{p.program_id}: the pattern runs {len(p.contract_pattern)} years, longer than the "
            f"{rule} limit of {limit} fiscal years",
            row=p.row,
            column="contract_pattern",
            fix=fix,
        )
    if p.payment_profile is not None:
        raise PlanError(
            path,
            f"{p.program_id}: has both a fixed payment profile and a contract pattern",
            row=p.row,
            column="contract_pattern",
            fix="a fixed profile already gives every payment: empty one of the two cells",
        )


def check_program_vehicles(plan: Plan, p: Program, path: Path) -> None:
    if not p.vehicles:
        return
    known = [v.id for v in plan.vehicles]
    for vid in p.vehicles:
        if vid not in known:
            fix = (
                f"use one of {', '.join(known)}"
                if known
                else "define it in plan.toml as a [[vehicles]] block, or empty the cell"
            )
            raise PlanError(
                path,
                f"{p.program_id}: vehicle {vid!r} does not exist",
                row=p.row,
                column="vehicles",
                fix=fix,
            )


def check_obligations(plan: Plan, path: Path) -> None:
    known = [v.id for v in plan.vehicles]
    for o in plan.obligations:
        if o.fiscal_year < plan.first_year:
            raise PlanError(
                path,
                f"{o.fiscal_year}年度 is before the horizon ({plan.first_year}年度)",
                row=o.row,
                column="fiscal_year",
                fix="list only what falls due from the first fiscal year of the plan on",
            )
        if o.contract_year is not None and o.contract_year >= plan.first_year:
            raise PlanError(
                path,
                f"contract year {o.contract_year} is not before the horizon "
                f"({plan.first_year}年度)",
                row=o.row,
                column="contract_year",
                fix="this file lists contracts signed before the plan; make later ones programs",
            )
        if o.vehicle is not None and o.vehicle not in known:
            raise PlanError(
                path,
                f"vehicle {o.vehicle!r} does not exist",
                row=o.row,
                column="vehicle",
                fix=f"use one of {', '.join(known)}" if known else "leave the cell empty",
            )


def check_fund_balances(plan: Plan, toml_path: Path, obligations_path: Path | None) -> None:
    """A fund is never drawn below zero by what is already decided: its inflows and the
    obligations it pays."""
    for v in plan.vehicles:
        if v.kind != "fund":
            continue
        balance = v.opening_balance_oku_yen
        years = sorted(
            {*plan.fiscal_years, *(o.fiscal_year for o in plan.obligations if o.vehicle == v.id)}
        )
        for y in years:
            balance += v.inflow(y)
            if y in plan.fiscal_years and balance < 0:
                raise PlanError(
                    toml_path,
                    f"fund {v.id}: its balance falls to {balance:,} 億円 in {y}年度 "
                    "(opening balance plus inflows)",
                    column=f"vehicles.{v.id}.inflow_oku_yen",
                    fix="raise the opening balance or the inflows; a fund cannot go below zero",
                )
            due = [o for o in plan.obligations if o.vehicle == v.id and o.fiscal_year == y]
            balance -= sum(o.oku_yen for o in due)
            if balance < 0 and due:
                raise PlanError(
                    obligations_path or toml_path,
                    f"fund {v.id} is drawn below zero in {y}年度 ({balance:,} 億円) by the "
                    "obligations it pays",
                    row=due[-1].row,
                    column="vehicle",
                    fix=f"pay some of them from another vehicle, or raise {v.id}'s opening "
                    "balance or inflows in plan.toml",
                )


def check_baseline_covers_obligations(plan: Plan, path: Path) -> None:
    """With ``baseline_includes_obligations`` the baseline figure contains the obligations
    due, so it must be at least as large in every year."""
    if not plan.contracts.baseline_includes_obligations:
        return
    for y in plan.fiscal_years:
        if plan.baseline(y) < 0:
            raise PlanError(
                path,
                f"{y}年度: the obligations due ({plan.obligations_due(y):,} 億円) exceed the "
                f"baseline they are said to be part of",
                column="contracts.baseline_includes_obligations",
                fix="write baseline_includes_obligations = false (they come on top of the "
                "baseline), or check the obligations file",
            )


__all__ = [
    "LONG_TERM_MAX_YEARS",
    "MAX_TERM_YEARS",
    "OBLIGATION_COLUMNS",
    "PatternError",
    "RawContracts",
    "RawVehicle",
    "basis_cell",
    "check_contracts",
    "contract_ceiling",
    "contract_settings",
    "format_pattern",
    "parse_pattern",
    "pattern_cell",
    "read_obligations",
    "split_payments",
    "term_limit",
    "vehicles",
    "vehicles_cell",
]
