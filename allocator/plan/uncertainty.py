"""``uncertainty.toml``: the uncertain inputs of a plan — GDP, programs' cost growth, the dollar
share of their cost and the JPY/USD rate — as data beside ``plan.toml``.

:func:`load_uncertainty` reads the file with the same care as ``plan.toml``: its shape and
types by pydantic with unknown keys refused, then checks against the plan (programs, areas and
ranks that exist, GDP cases of ``gdp.csv`` that cover the horizon, parameters in range, a
``source`` for every number). Every problem is a :class:`~allocator.errors.PlanError` naming
the file, the line, the key and the fix. The result, :class:`Uncertainty`, is frozen and holds
each program's resolved cost model, so sampling (:mod:`allocator.optim.draws`) needs nothing
else. The format is documented in ``docs/plan-format.md``; the mathematics in ``docs/model.md``
("Uncertainty").

Percentages in the file (``growth_sd_pct = 1.0``) are fractions here (``growth_sd = 0.01``).
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from allocator.errors import PlanError
from allocator.plan.programs import read_gdp
from allocator.plan.schema import Plan
from allocator.plan.tomlfile import read_toml

UNCERTAINTY_FILE = "uncertainty.toml"

SELECTORS = ("program", "area", "rank")
"""Keys that say which programs a ``[[costs]]`` entry applies to, most specific first; an entry
with none of them applies to every program."""

MAX_DRAWS = 1_000_000


# ---------------------------------------------------------------------------------------------
# the file's shape (pydantic, unknown keys refused)


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _RawHeader(_Raw):
    seed: int = Field(default=20260401, ge=0)
    draws: int = Field(default=1000, ge=1, le=MAX_DRAWS)
    robust_scenarios: int = Field(default=20, ge=0, le=1000)
    source: str = ""


class _RawGdp(_Raw):
    cases: list[str] = []
    distribution: Literal["lognormal", "none"] = "lognormal"
    growth_mean_pct: float = 0.0
    growth_sd_pct: float = Field(default=0.0, ge=0, le=50)
    trend_sd_pct: float = Field(default=0.0, ge=0, le=50)
    source: str = ""


class _RawFxCase(_Raw):
    name: str
    jpy_per_usd: float = Field(gt=0)
    by_year: dict[str, float] = {}
    source: str = ""


class _RawFx(_Raw):
    costing_rate: float = Field(gt=0)
    around: str
    distribution: Literal["lognormal", "none"] = "lognormal"
    annual_sd_pct: float = Field(default=0.0, ge=0, le=100)
    persistence: float = Field(default=1.0, ge=0, le=1)
    source: str = ""
    cases: list[_RawFxCase]


class _RawCosts(_Raw):
    correlation: float = Field(default=0.0, ge=0, le=1)
    source: str = ""


class _RawCostRule(_Raw):
    program: str | None = None
    area: str | None = None
    rank: int | None = None
    overrun: Literal["triangular", "normal", "none"] | None = None
    low_pct: float | None = None
    mode_pct: float | None = None
    high_pct: float | None = None
    mean_pct: float | None = None
    sd_pct: float | None = None
    dollar_share: float | None = Field(default=None, ge=0, le=1)
    source: str = ""
    note: str = ""


class _RawFile(_Raw):
    uncertainty: _RawHeader = _RawHeader()
    gdp: _RawGdp = _RawGdp()
    fx: _RawFx | None = None
    cost_growth: _RawCosts = _RawCosts()
    costs: list[_RawCostRule] = []


# ---------------------------------------------------------------------------------------------
# the resolved model


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GdpModel(_Frozen):
    """GDP paths: the named cases, and a stochastic path around the plan's own case.

    ``G_y = G^case_y × exp(Σ_{t=y0..y} ε_t + (y − y0 + 1) τ)`` with ``ε_t ~ N(growth_mean,
    growth_sd²)`` independent each year and ``τ ~ N(0, trend_sd²)`` once per path; years before
    the plan's first year ``y0`` are known (no draw).
    """

    cases: tuple[str, ...]
    """Named cases of gdp.csv (scenarios of the robust first years; lines in the risk chart)."""
    paths: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]
    """(case, ((fiscal_year, 億円), ...)) for every named case and the plan's own case."""
    distribution: Literal["lognormal", "none"]
    growth_mean: float
    growth_sd: float
    trend_sd: float
    source: str

    def path(self, case: str) -> dict[int, int]:
        return dict(dict(self.paths)[case])


class FxCase(_Frozen):
    """A named JPY/USD path: one rate, with optional per-year rates."""

    name: str
    jpy_per_usd: float
    by_year: tuple[tuple[int, float], ...] = ()
    source: str = ""

    def rate(self, year: int) -> float:
        return dict(self.by_year).get(year, self.jpy_per_usd)


class FxModel(_Frozen):
    """The yen per dollar: ``X_y = X^case_y × exp(d_y)``, ``d_y = φ d_{y−1} + η_y`` from
    ``d_{y0−1} = 0``, ``η_y ~ N(0, annual_sd²)``: a random walk in log terms when the
    persistence φ is 1, drawn back toward the case when it is below 1."""

    costing_rate: float
    """円/ドル the plan's amounts are priced at: the dollar part of a cost scales by X_y / this."""
    around: str
    distribution: Literal["lognormal", "none"]
    annual_sd: float
    persistence: float
    cases: tuple[FxCase, ...]
    source: str

    def case(self, name: str) -> FxCase:
        return next(c for c in self.cases if c.name == name)


class Overrun(_Frozen):
    """Cost growth of one program: its cost is multiplied by ``1 + g`` in every year.

    ``triangular``: g ~ Triangular(low, mode, high); ``normal``: g ~ N(mean, sd²) cut at
    ``MIN_OVERRUN``; ``none``: g = 0. Fractions (0.2 = +20 %).
    """

    distribution: Literal["triangular", "normal", "none"] = "none"
    low: float = 0.0
    mode: float = 0.0
    high: float = 0.0
    mean: float = 0.0
    sd: float = 0.0

    @property
    def expected(self) -> float:
        if self.distribution == "triangular":
            return (self.low + self.mode + self.high) / 3
        if self.distribution == "normal":
            return self.mean
        return 0.0


MIN_OVERRUN = -0.9
"""A normal overrun draw below −90 % is set to −90 %: no cost falls to zero."""


class ProgramCost(_Frozen):
    """The resolved cost model of one program (the most specific ``[[costs]]`` entry for each
    of its two parts)."""

    program_id: str
    overrun: Overrun
    overrun_rule: str
    """Which entry set the overrun (``costs #3 (area B)``, or ``default``)."""
    dollar_share: float
    """Share of the program's cost paid in dollars (0–1)."""
    dollar_rule: str


class Uncertainty(_Frozen):
    """Everything uncertain about a plan, resolved against it."""

    path: str
    seed: int
    draws: int
    robust_scenarios: int
    gdp: GdpModel
    fx: FxModel
    correlation: float
    """Correlation of programs' overruns (one common factor, Gaussian copula)."""
    programs: tuple[ProgramCost, ...]
    """In the order of the plan's programs."""
    input_hash: str
    """SHA-256 of the file's bytes."""
    source: str = ""

    def cost(self, program_id: str) -> ProgramCost:
        return next(p for p in self.programs if p.program_id == program_id)


# ---------------------------------------------------------------------------------------------
# reading


def resolve_uncertainty_file(path: Path) -> Path:
    """``uncertainty.toml`` of a plan folder (or the file itself)."""
    return path / UNCERTAINTY_FILE if path.is_dir() else path


def load_uncertainty(path: Path, plan: Plan) -> Uncertainty:
    """Read and check ``uncertainty.toml`` (a file, or a plan folder holding one) for ``plan``.

    Raises
    ------
    PlanError
        For a missing or malformed file, an unknown key, a value out of range, a program, area,
        rank or GDP case the plan lacks, two entries for the same programs, or a number
        without a ``source``; the message names the file, line, key and fix.
    """
    file = resolve_uncertainty_file(Path(path))
    data, text = _read_bytes(file)
    raw = _validate(file, text)
    loc = _Locator(file, text)
    gdp = _gdp_model(loc, raw, plan)
    fx = _fx_model(loc, raw, plan)
    programs = _program_costs(loc, raw, plan)
    if raw.costs and not raw.cost_growth.source and raw.cost_growth.correlation > 0:
        raise loc.error("cost_growth", None, "correlation", "has no source", "add source = ...")
    return Uncertainty(
        path=str(file),
        seed=raw.uncertainty.seed,
        draws=raw.uncertainty.draws,
        robust_scenarios=raw.uncertainty.robust_scenarios,
        gdp=gdp,
        fx=fx,
        correlation=raw.cost_growth.correlation,
        programs=programs,
        input_hash=hashlib.sha256(data).hexdigest(),
        source=raw.uncertainty.source,
    )


def _read_bytes(file: Path) -> tuple[bytes, str]:
    if not file.exists():
        raise PlanError(
            file,
            "file not found",
            fix="write one (see docs/plan-format.md, uncertainty.toml) or give --uncertainty",
        )
    if file.is_dir():
        raise PlanError(file, "is a folder without uncertainty.toml", fix="give the file")
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanError(file, "is not UTF-8 text", fix="save it as UTF-8") from None
    if not text.strip():
        raise PlanError(file, "the file is empty", fix="start from data/uncertainty.toml")
    return data, text


def _validate(file: Path, text: str) -> _RawFile:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"at line (\d+), column (\d+)", msg)
        detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise PlanError(
            file,
            f"TOML syntax error: {detail}",
            row=int(m.group(1)) if m else None,
            column=m.group(2) if m else None,
            fix="correct the TOML syntax (strings in quotes, one key = value per line)",
        ) from None
    try:
        return _RawFile.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _Locator(file, text)
        path = tuple(err["loc"])
        table, entry, key = _split_loc(path)
        kind = err["type"]
        if kind == "missing":
            raise loc.error(
                table, entry, key, "is missing", "add it (see docs/plan-format.md)"
            ) from None
        if kind == "extra_forbidden":
            raise loc.error(
                table,
                entry,
                key,
                "is not a known setting",
                "check its spelling in docs/plan-format.md",
            ) from None
        raise loc.error(
            table,
            entry,
            key,
            f"{err['msg']} (got {err.get('input')!r})",
            "see docs/plan-format.md for its type and range",
        ) from None


def _split_loc(loc: tuple[Any, ...]) -> tuple[str, int | None, str | None]:
    """(table, entry number from 1 or None, key) of a pydantic error location."""
    if not loc:
        return "(top level)", None, None
    table = str(loc[0])
    rest = list(loc[1:])
    entry = None
    if rest and isinstance(rest[0], int):
        entry = rest.pop(0) + 1
    if table == "fx" and rest and rest[0] == "cases":
        table = "fx.cases"
        rest = rest[1:]
        if rest and isinstance(rest[0], int):
            entry = rest.pop(0) + 1
    key = ".".join(str(x) for x in rest) or None
    return table, entry, key


class _Locator:
    """Finds the line of a table, an entry of an array of tables, or a key, in the file text
    (tomllib gives no positions), so messages can name the row."""

    def __init__(self, file: Path, text: str) -> None:
        self.file = file
        self.lines = text.splitlines()

    def _headers(self) -> list[tuple[int, str, bool]]:
        out = []
        for i, line in enumerate(self.lines, start=1):
            m = re.match(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?", line)
            if m:
                out.append((i, m.group(2), m.group(1) == "[["))
        return out

    def line(self, table: str, entry: int | None, key: str | None) -> int | None:
        headers = self._headers()
        start = None
        count = 0
        for i, (_, name, _) in enumerate(headers):
            if name == table:
                count += 1
                if entry is None or count == entry:
                    start = i
                    break
        if start is None:
            return None
        first = headers[start][0]
        last = headers[start + 1][0] - 1 if start + 1 < len(headers) else len(self.lines)
        if key:
            leaf = key.split(".")[0]
            for n in range(first + 1, last + 1):
                if re.match(rf"\s*{re.escape(leaf)}\s*=", self.lines[n - 1]):
                    return n
        return first

    def error(
        self, table: str, entry: int | None, key: str | None, message: str, fix: str
    ) -> PlanError:
        where = f"[[{table}]] #{entry}" if entry is not None else f"[{table}]"
        if key:
            where += f", key {key}"
        return PlanError(
            self.file,
            f"{where} {message}",
            row=self.line(table, entry, key),
            column=f"{table}.{key}" if key else table,
            fix=fix,
        )


# ---------------------------------------------------------------------------------------------
# GDP


def plan_gdp_cases(plan: Plan) -> dict[str, dict[int, int]]:
    """Every GDP case of the plan's ``gdp.csv`` ({case: {fiscal_year: 億円}}), read again from
    the file named by its ``plan.toml`` (the plan itself keeps only its chosen case).

    Raises
    ------
    PlanError
        If the plan was not read from files.
    """
    if not plan.input_files:
        raise PlanError("plan", "was not read from files", fix="load it with load_plan")
    toml_path = Path(plan.input_files[0][0])
    raw, _ = read_toml(toml_path)
    cases, _ = read_gdp(toml_path.parent / raw.plan.gdp)
    return cases


def _needed_years(plan: Plan) -> list[int]:
    years = list(plan.fiscal_years)
    base = {plan.cap_base_year(y) for y in years}
    return sorted(set(years) | base)


def _gdp_model(loc: _Locator, raw: _RawFile, plan: Plan) -> GdpModel:
    g = raw.gdp
    if not g.source and (g.growth_sd_pct or g.trend_sd_pct or g.growth_mean_pct):
        raise loc.error("gdp", None, "source", "is missing", "cite where the spread comes from")
    all_cases = plan_gdp_cases(plan)
    cases = list(dict.fromkeys(g.cases))
    for case in cases:
        if case not in all_cases:
            raise loc.error(
                "gdp",
                None,
                "cases",
                f"names {case!r}, which gdp.csv does not have",
                f"choose from: {', '.join(sorted(all_cases))}",
            )
    years = _needed_years(plan)
    paths = []
    for case in dict.fromkeys([plan.gdp_case, *cases]):
        path = all_cases[case] if case != plan.gdp_case else dict(plan.gdp_oku_yen)
        missing = [y for y in years if y not in path]
        if missing:
            raise loc.error(
                "gdp",
                None,
                "cases",
                f"case {case!r} has no GDP for {missing[0]}年度 in gdp.csv",
                f"add a row fiscal_year={missing[0]}, gdp_case={case} to gdp.csv",
            )
        paths.append((case, tuple((y, path[y]) for y in years)))
    return GdpModel(
        cases=tuple(cases),
        paths=tuple(paths),
        distribution=g.distribution,
        growth_mean=g.growth_mean_pct / 100,
        growth_sd=g.growth_sd_pct / 100,
        trend_sd=g.trend_sd_pct / 100,
        source=g.source,
    )


# ---------------------------------------------------------------------------------------------
# exchange rate


_NO_FX = FxModel(
    costing_rate=1.0,
    around="costing",
    distribution="none",
    annual_sd=0.0,
    persistence=1.0,
    cases=(FxCase(name="costing", jpy_per_usd=1.0, source="no [fx] table: no exchange-rate risk"),),
    source="no [fx] table",
)


def _fx_model(loc: _Locator, raw: _RawFile, plan: Plan) -> FxModel:
    f = raw.fx
    if f is None:
        return _NO_FX
    if not f.source:
        raise loc.error("fx", None, "source", "is missing", "cite the costing rate and spread")
    cases: list[FxCase] = []
    seen: set[str] = set()
    for i, c in enumerate(f.cases, start=1):
        if c.name in seen:
            raise loc.error("fx.cases", i, "name", f"{c.name!r} is used twice", "rename one")
        seen.add(c.name)
        if not c.source:
            raise loc.error("fx.cases", i, "source", "is missing", "cite the rate")
        by_year = []
        for key, rate in c.by_year.items():
            if not re.fullmatch(r"\d{4}", key.strip()):
                raise loc.error(
                    "fx.cases", i, f"by_year.{key}", "is not a fiscal year", "write 2027 = 145"
                )
            if not rate > 0:
                raise loc.error(
                    "fx.cases", i, f"by_year.{key}", f"rate {rate} is not positive", "give 円/ドル"
                )
            by_year.append((int(key), float(rate)))
        cases.append(
            FxCase(
                name=c.name,
                jpy_per_usd=c.jpy_per_usd,
                by_year=tuple(sorted(by_year)),
                source=c.source,
            )
        )
    if f.around not in seen:
        raise loc.error(
            "fx",
            None,
            "around",
            f"names {f.around!r}, which is not one of [[fx.cases]]",
            f"choose from: {', '.join(c.name for c in cases) or '(add a [[fx.cases]] entry)'}",
        )
    return FxModel(
        costing_rate=f.costing_rate,
        around=f.around,
        distribution=f.distribution,
        annual_sd=f.annual_sd_pct / 100,
        persistence=f.persistence,
        cases=tuple(cases),
        source=f.source,
    )


# ---------------------------------------------------------------------------------------------
# costs


def _selector(loc: _Locator, i: int, rule: _RawCostRule, plan: Plan) -> tuple[int, str]:
    """(specificity, description) of the programs entry ``i`` applies to; 3 = one program."""
    given = [k for k in SELECTORS if getattr(rule, k) is not None]
    if len(given) > 1:
        raise loc.error(
            "costs",
            i,
            given[1],
            f"and {given[0]} are both given",
            "an entry applies to one program, area or rank",
        )
    if not given:
        return 0, "every program"
    key = given[0]
    value = getattr(rule, key)
    if key == "program":
        known = [p.program_id for p in plan.programs]
        specificity = 3
    elif key == "area":
        known = [a.id for a in plan.areas]
        specificity = 2
    else:
        known = [str(r.rank) for r in plan.ranks]
        specificity = 1
    if str(value) not in known:
        raise loc.error(
            "costs",
            i,
            key,
            f"{value!r} is not {'an' if key == 'area' else 'a'} {key} of the plan",
            f"choose from: {', '.join(known)}",
        )
    return specificity, f"{key} {value}"


def _overrun(loc: _Locator, i: int, rule: _RawCostRule) -> Overrun | None:
    kind = rule.overrun
    params = {
        k: getattr(rule, k) for k in ("low_pct", "mode_pct", "high_pct", "mean_pct", "sd_pct")
    }
    wanted = {
        "triangular": ("low_pct", "mode_pct", "high_pct"),
        "normal": ("mean_pct", "sd_pct"),
        "none": (),
        None: (),
    }[kind]
    for key, value in params.items():
        if value is not None and key not in wanted:
            raise loc.error(
                "costs",
                i,
                key,
                f"does not belong to overrun = {kind!r}" if kind else "needs overrun = ...",
                "triangular takes low_pct, mode_pct, high_pct; normal takes mean_pct, sd_pct",
            )
        if value is not None and not math.isfinite(value):
            raise loc.error("costs", i, key, "is not a number", "give a percentage")
    for key in wanted:
        if params[key] is None:
            raise loc.error("costs", i, key, f"is missing (overrun = {kind!r})", f"add {key} = ...")
    if kind is None:
        return None
    if kind == "triangular":
        low, mode, high = (float(params[k] or 0.0) / 100 for k in wanted)
        if not (-1 < low <= mode <= high):
            raise loc.error(
                "costs",
                i,
                "low_pct",
                "needs −100 < low ≤ mode ≤ high (got "
                f"{params['low_pct']}, {params['mode_pct']}, {params['high_pct']})",
                "order the three percentages",
            )
        return Overrun(distribution="triangular", low=low, mode=mode, high=high)
    if kind == "normal":
        mean, sd = float(params["mean_pct"] or 0.0) / 100, float(params["sd_pct"] or 0.0) / 100
        if sd < 0 or mean <= -1:
            raise loc.error("costs", i, "sd_pct", "needs sd ≥ 0 and mean > −100", "fix the spread")
        return Overrun(distribution="normal", mean=mean, sd=sd)
    return Overrun()


def _program_costs(loc: _Locator, raw: _RawFile, plan: Plan) -> tuple[ProgramCost, ...]:
    rules: list[tuple[int, str, _RawCostRule, Overrun | None, int]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, rule in enumerate(raw.costs, start=1):
        specificity, what = _selector(loc, i, rule, plan)
        overrun = _overrun(loc, i, rule)
        if overrun is None and rule.dollar_share is None:
            raise loc.error(
                "costs", i, None, f"({what}) sets nothing", "give overrun = ... or dollar_share"
            )
        if not rule.source:
            raise loc.error(
                "costs", i, "source", "is missing", "cite the figures or write assumption: why"
            )
        for part, present in (
            ("overrun", overrun is not None),
            ("dollar_share", rule.dollar_share is not None),
        ):
            if not present:
                continue
            if (what, part) in seen:
                raise loc.error(
                    "costs",
                    i,
                    part,
                    f"for {what} is already set by [[costs]] #{seen[(what, part)]}",
                    "keep one entry per program, area or rank for each setting",
                )
            seen[(what, part)] = i
        rules.append((specificity, what, rule, overrun, i))

    def applies(rule: _RawCostRule, pid: str, area: str, rank: int) -> bool:
        if rule.program is not None:
            return rule.program == pid
        if rule.area is not None:
            return rule.area == area
        if rule.rank is not None:
            return rule.rank == rank
        return True

    out = []
    for p in plan.programs:
        matching = sorted(
            (r for r in rules if applies(r[2], p.program_id, p.area, p.rank)),
            key=lambda r: -r[0],
        )
        overrun, overrun_rule = Overrun(), "default (no overrun)"
        share, share_rule = 0.0, "default (paid in yen)"
        for _, what, rule, ov, i in reversed(matching):  # least specific first, overwritten
            if ov is not None:
                overrun, overrun_rule = ov, f"costs #{i} ({what})"
            if rule.dollar_share is not None:
                share, share_rule = float(rule.dollar_share), f"costs #{i} ({what})"
        out.append(
            ProgramCost(
                program_id=p.program_id,
                overrun=overrun,
                overrun_rule=overrun_rule,
                dollar_share=share,
                dollar_rule=share_rule,
            )
        )
    return tuple(out)


__all__ = [
    "MIN_OVERRUN",
    "UNCERTAINTY_FILE",
    "FxCase",
    "FxModel",
    "GdpModel",
    "Overrun",
    "ProgramCost",
    "Uncertainty",
    "load_uncertainty",
    "plan_gdp_cases",
    "resolve_uncertainty_file",
]
