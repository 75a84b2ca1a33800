"""GDP-ratio caps as an analyst writes them (``2%``, ``1.5%..2.5%``), as exact fractions."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

from allocator.errors import UsageError
from allocator.formatting import format_cap

MAX_CAP_DENOMINATOR = 10**9
"""A cap is exact to 9 decimals as a ratio (7 in percent); finer ones are refused (they mean
nothing at 億円 resolution and would make grids and stored fractions enormous)."""


def parse_cap(text: str, option: str = "--cap") -> Fraction:
    """Parse a cap such as ``2%``, ``2.5 %``, ``0.02`` or full-width ``２％``.

    Returns the ratio as an exact fraction (``2%`` -> ``Fraction(1, 50)``).

    Raises
    ------
    UsageError
        If the text is not a number, not a ratio strictly between 0 and 100 %, or has more
        than 9 decimals as a ratio.

    Examples
    --------
    >>> parse_cap("2%")
    Fraction(1, 50)
    >>> parse_cap("２．５％")
    Fraction(1, 40)
    >>> parse_cap("0.02")
    Fraction(1, 50)
    """
    raw = str(text)
    if len(raw) > 100:
        raise UsageError(option, f"{len(raw):,} characters is not a ratio", "write it as 2%")
    s = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    if s.count(",") or not s:
        raise UsageError(option, f"{raw!r} is not a ratio", "write it as 2%, 2.5% or 0.02")
    try:
        value = Fraction(s)
    except (ValueError, ZeroDivisionError):
        raise UsageError(
            option, f"{raw!r} is not a ratio", "write it as 2%, 2.5% or 0.02"
        ) from None
    if percent:
        value /= 100
    if not (0 < value < 1):
        # no float() here: 1e309 is a valid Fraction but overflows a float
        where = "0 or below" if value <= 0 else "100% or more"
        raise UsageError(
            option,
            f"{raw!r} is {where}, not a ratio between 0 and 100%",
            "give a cap such as 2% or 0.02",
        )
    if value.denominator > MAX_CAP_DENOMINATOR:
        raise UsageError(
            option,
            f"{raw!r} has more decimals than a cap can use",
            "give at most 7 decimals in percent (e.g. 2.1234567%) or 9 as a ratio",
        )
    return value


def parse_cap_range(text: str, option: str = "--cap") -> tuple[Fraction, Fraction]:
    """Parse ``1.5%..2.5%`` (also ``1.5%〜2.5%``, ``1.5%~2.5%``, full-width) or one cap ``2%``.

    Returns
    -------
    tuple[Fraction, Fraction]
        The lower and upper cap as exact ratios (equal for a single cap).

    Raises
    ------
    UsageError
        If a side is not a cap (see :func:`parse_cap`) or low > high.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    parts = re.split(r"\.\.|〜|~", s)
    if len(parts) == 1:
        cap = parse_cap(parts[0], option=option)
        return cap, cap
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise UsageError(option, f"{text!r} is not a cap range", "write it as 1.5%..2.5%")
    low, high = parse_cap(parts[0], option=option), parse_cap(parts[1], option=option)
    if low > high:
        raise UsageError(
            option,
            f"{text!r} goes down ({format_cap(low)} > {format_cap(high)})",
            "write the lower cap first, e.g. 1.5%..2.5%",
        )
    return low, high


def cap_grid(low: Fraction, high: Fraction, step: Fraction) -> list[Fraction]:
    """``low, low + step, …`` up to ``high`` (exact fractions); ``high`` is always the last
    point, even when it is not on the grid.

    Raises
    ------
    ValueError
        If ``low > high`` or ``step ≤ 0``.
    """
    if step <= 0:
        raise ValueError("the step must be positive")
    if low > high:
        raise ValueError("the lower cap is above the upper one")
    out: list[Fraction] = []
    cap = low
    while cap < high:
        out.append(cap)
        cap += step
    out.append(high)
    return out
