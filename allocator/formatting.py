"""One formatter for money, ratios, caps and fiscal years, used by every layer that shows them.

Money is an integer number of 億円 inside; 兆円 only on display (1 兆円 = 10,000 億円). Fiscal
years are named by the year they start (2026年度 = FY2026 = April 2026 to March 2027).
"""

from __future__ import annotations

import math
from fractions import Fraction

from allocator.constants import OKU_PER_CHO


def oku(n: float | None, *, up: bool = False, sign: bool = False) -> str:
    """億円 with thousands separators: ``127680`` -> ``127,680``.

    ``up`` rounds up (a shortfall or a needed amount is never understated); otherwise to the
    nearest 億円. ``sign`` writes ``+100`` / ``-100`` (and ``0``). ``None`` -> ``-``.

    >>> oku(127680.4), oku(0.2, up=True), oku(-100, sign=True), oku(None)
    ('127,680', '1', '-100', '-')
    """
    if n is None:
        return "-"
    whole = math.ceil(n - 1e-6) if up else round(n)
    if sign:
        return f"{whole:+,}" if whole else "0"
    return f"{whole:,}"


def cho(n: float) -> str:
    """億円 as 兆円 with one decimal, no unit: ``400000`` -> ``40.0``."""
    return f"{n / OKU_PER_CHO:,.1f}"


def cho_text(n: float, lang: str) -> str:
    """億円 as 兆円 with its unit: ``400000`` -> ``40.0兆円`` (ja) / ``40.0 兆円`` (en)."""
    return f"{cho(n)}兆円" if lang == "ja" else f"{cho(n)} 兆円"


def pct(ratio: float | Fraction, decimals: int = 1, *, up: bool = False) -> str:
    """A ratio as a percentage: ``0.02`` -> ``2.0%``. ``up`` rounds up at the last decimal
    (a suggested cap is then always enough).

    >>> pct(0.02), pct(Fraction(1821, 100000), 2, up=True)
    ('2.0%', '1.83%')
    """
    value = float(ratio) * 100
    if up:
        scale = 10**decimals
        value = math.ceil(value * scale - 1e-9) / scale
    return f"{value:.{decimals}f}%"


def format_cap(ratio: Fraction) -> str:
    """An exact cap as written by an analyst: ``Fraction(1, 50)`` -> ``2%``,
    ``Fraction(1, 40)`` -> ``2.5%``."""
    percent = ratio * 100
    if percent.denominator == 1:
        return f"{percent.numerator}%"
    return f"{float(percent):.10g}%"


def cap_slug(ratio: Fraction) -> str:
    """A folder-safe name of a cap: ``2%`` -> ``2pct``, ``2.5%`` -> ``2.5pct``."""
    return format_cap(ratio).replace("%", "pct")


def fy(year: int, lang: str = "ja") -> str:
    """``2026年度`` (ja) / ``FY2026`` (en)."""
    return f"{year}年度" if lang == "ja" else f"FY{year}"


def year_span(first: int, last: int, lang: str | None = None) -> str:
    """``2026–2028`` (no unit), ``2026–2028年度`` (ja) or ``FY2026–2028`` (en); one year alone
    when ``first == last``."""
    if lang is None:
        return f"{first}–{last}" if first != last else str(first)
    if first == last:
        return fy(first, lang)
    return f"{first}–{last}年度" if lang == "ja" else f"FY{first}–{last}"


def year_ranges(years: list[int], lang: str) -> str:
    """Consecutive years joined: ``[2026, 2027, 2028, 2031]`` -> ``2026–2028年度, 2031年度``."""
    parts: list[str] = []
    ys = sorted(set(years))
    i = 0
    while i < len(ys):
        j = i
        while j + 1 < len(ys) and ys[j + 1] == ys[j] + 1:
            j += 1
        parts.append(year_span(ys[i], ys[j], lang))
        i = j + 1
    return ", ".join(parts)


def shorten(text: str, width: int) -> str:
    """At most ``width`` characters, cut with ``…``."""
    return text if len(text) <= width else text[: width - 1] + "…"


def number_ranges(numbers: list[int]) -> str:
    """Whole numbers as ranges: ``[1, 2, 3, 5, 7, 8]`` -> ``1–3, 5, 7–8`` (a million ranks
    named in one short line).

    >>> number_ranges([7, 8, 9, 10, 12])
    '7–10, 12'
    """
    parts: list[str] = []
    ordered = sorted(set(numbers))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}–{ordered[j]}")
        i = j + 1
    return ", ".join(parts)
