"""Draws of the uncertain inputs: GDP paths, JPY/USD paths and programs' cost overruns, each
from its own random stream keyed by ``(seed, stream, index)``.

Draw ``i`` of seed ``s`` is generated from ``numpy.random.SeedSequence(s, spawn_key=(stream,
i))`` alone, so it is the same whichever process draws it, in whatever order, with however many
workers: the same seed gives the same draws. Stream 0 holds the Monte Carlo and risk draws,
stream 1 the sample of scenarios of the robust first years (so they are not the same draws as
those the robust plan is then tested on).

Every draw takes the same standard normals in the same order — one per horizon year for GDP,
one for the GDP trend, one per horizon year for the exchange rate, one common and one per
program for the overruns — whatever the distributions chosen, so switching one part off (say
``distribution = "none"`` for the exchange rate) leaves the other parts' draws unchanged.

The mathematics (``docs/model.md``, "Uncertainty"):

- GDP: ``G_y = round(G^case_y × exp(Σ_{t ≤ y} ε_t + k_y τ))``, ``ε_t ~ N(μ, σ²)``,
  ``τ ~ N(0, σ_τ²)``, ``k_y`` the year's position in the horizon (1 for the first year); years
  before the horizon (a fixed cap base year) are known;
- JPY/USD: ``X_y = X^case_y × exp(d_y)``, ``d_y = φ d_{y−1} + η_y`` (``d = 0`` before the
  horizon), ``η_y ~ N(0, σ_X²)``: a random walk in log terms for φ = 1;
- overruns: ``z_p = √ρ z_0 + √(1−ρ) e_p`` (one common factor), ``g_p = F_p⁻¹(Φ(z_p))`` with
  ``F_p`` the program's triangular or normal distribution;
- cost factor of program p in year y: ``f_{p,y} = (1 + g_p) × (1 − s_p + s_p X_y / X_costing)``,
  ``s_p`` its dollar share. A program's money in the model is at planning prices; paying for it
  takes ``f_{p,y}`` times as many yen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from allocator.plan.schema import Plan
from allocator.plan.uncertainty import MIN_OVERRUN, Overrun, Uncertainty

DRAW_STREAM = 0
"""Random stream of the Monte Carlo and risk draws."""
SCENARIO_STREAM = 1
"""Random stream of the sampled scenarios of the robust first years."""


@dataclass(frozen=True)
class DrawInputs:
    """One realisation of the uncertain inputs.

    Attributes
    ----------
    label : str
        ``draw 17``, or ``case past_projection`` for a named GDP case.
    gdp : dict
        ``{fiscal_year: 億円}`` for every year the cap needs (the horizon and a cap base year).
    fx : dict
        ``{fiscal_year: 円/ドル}`` for the horizon.
    overrun : dict
        ``{program_id: g}``: cost growth as a fraction (0.2 = +20 %).
    factor : numpy.ndarray
        ``f[p, k]``: yen paid per 億円 of planning-price money of program ``p`` (plan order) in
        the ``k``-th year of the horizon.
    """

    label: str
    gdp: dict[int, int]
    fx: dict[int, float]
    overrun: dict[str, float]
    factor: np.ndarray

    def cost_factor(self, program_index: int, year_index: int) -> float:
        return float(self.factor[program_index, year_index])


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def overrun_quantile(o: Overrun, u: float, z: float) -> float:
    """The overrun at probability ``u`` (= Φ(z)) of distribution ``o``."""
    if o.distribution == "triangular":
        low, mode, high = o.low, o.mode, o.high
        if high <= low:
            return low
        c = (mode - low) / (high - low)
        if u < c:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1 - u) * (high - low) * (high - mode))
    if o.distribution == "normal":
        return max(MIN_OVERRUN, o.mean + o.sd * z)
    return 0.0


class Sampler:
    """Draws for one plan and its uncertainty model (cheap to build; keeps the arrays the draws
    reuse)."""

    def __init__(self, plan: Plan, u: Uncertainty) -> None:
        self.plan = plan
        self.u = u
        self.years = list(plan.fiscal_years)
        self.year_index = {y: k for k, y in enumerate(self.years)}
        self.programs = [p.program_id for p in plan.programs]
        costs = {c.program_id: c for c in u.programs}
        self.overruns = [costs[pid].overrun for pid in self.programs]
        self.shares = np.array([costs[pid].dollar_share for pid in self.programs], dtype=float)
        self.gdp_years = sorted(u.gdp.path(plan.gdp_case))
        around = u.fx.case(u.fx.around)
        self.fx_case = np.array([around.rate(y) for y in self.years], dtype=float)

    # -----------------------------------------------------------------------------------------

    def _factor(self, overrun: np.ndarray, fx: np.ndarray) -> np.ndarray:
        mix = (
            1.0
            - self.shares[:, None]
            + self.shares[:, None] * (fx[None, :] / self.u.fx.costing_rate)
        )
        return (1.0 + overrun)[:, None] * mix

    def _gdp_path(self, case: str, deviation: np.ndarray | None) -> dict[int, int]:
        path = self.u.gdp.path(case)
        out: dict[int, int] = {}
        for y in self.gdp_years:
            k = self.year_index.get(y)
            if deviation is None or k is None:
                out[y] = path[y]
            else:
                out[y] = round(path[y] * math.exp(float(deviation[k])))
        return out

    def draw(self, index: int, seed: int, stream: int = DRAW_STREAM) -> DrawInputs:
        """Draw ``index`` of ``seed`` on ``stream`` (the same inputs wherever it is drawn)."""
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, index)))
        n_years = len(self.years)
        z_gdp = rng.standard_normal(n_years)
        z_trend = float(rng.standard_normal())
        z_fx = rng.standard_normal(n_years)
        z_common = float(rng.standard_normal())
        z_own = rng.standard_normal(len(self.programs))

        g = self.u.gdp
        deviation = None
        if g.distribution == "lognormal":
            position = np.arange(1, n_years + 1, dtype=float)
            deviation = (
                np.cumsum(g.growth_mean + g.growth_sd * z_gdp) + position * g.trend_sd * z_trend
            )
        gdp = self._gdp_path(self.plan.gdp_case, deviation)

        fx = self.fx_case.copy()
        if self.u.fx.distribution == "lognormal":
            levels = []
            level = 0.0
            for z in z_fx:
                level = self.u.fx.persistence * level + self.u.fx.annual_sd * float(z)
                levels.append(level)
            fx = fx * np.exp(np.array(levels))

        rho = self.u.correlation
        z = math.sqrt(rho) * z_common + math.sqrt(1.0 - rho) * z_own
        overrun = np.array(
            [
                overrun_quantile(o, normal_cdf(float(zp)), float(zp))
                for o, zp in zip(self.overruns, z, strict=True)
            ]
        )
        return DrawInputs(
            label=f"draw {index}",
            gdp=gdp,
            fx={y: float(x) for y, x in zip(self.years, fx, strict=True)},
            overrun={pid: float(v) for pid, v in zip(self.programs, overrun, strict=True)},
            factor=self._factor(overrun, fx),
        )

    def case(self, gdp_case: str) -> DrawInputs:
        """A named GDP case with the central exchange-rate case and no overrun."""
        zero = np.zeros(len(self.programs))
        return DrawInputs(
            label=f"case {gdp_case}",
            gdp=self._gdp_path(gdp_case, None),
            fx={y: float(x) for y, x in zip(self.years, self.fx_case, strict=True)},
            overrun=dict.fromkeys(self.programs, 0.0),
            factor=self._factor(zero, self.fx_case),
        )

    def cap_oku_yen(self, draw: DrawInputs, year: int, cap: Fraction | None = None) -> int:
        """The GDP-ratio cap of ``year`` under ``draw``'s GDP, rounded down to 億円 exactly as
        :meth:`allocator.plan.schema.Plan.cap_oku_yen` does."""
        ratio = self.plan.cap.ratio if cap is None else cap
        exact = ratio * draw.gdp[self.plan.cap_base_year(year)]
        return exact.numerator // exact.denominator


__all__ = [
    "DRAW_STREAM",
    "SCENARIO_STREAM",
    "DrawInputs",
    "Sampler",
    "normal_cdf",
    "overrun_quantile",
]
