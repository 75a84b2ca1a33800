"""Parsing of GDP-ratio caps written as an analyst would write them."""

from __future__ import annotations

import unicodedata
from fractions import Fraction

from allocator.errors import UsageError


def parse_cap(text: str, option: str = "--cap") -> Fraction:
    """Parse a cap such as ``2%``, ``2.5 %``, ``0.02`` or full-width ``２％``.

    Returns the ratio as an exact fraction (``2%`` -> ``Fraction(1, 50)``).

    Raises
    ------
    UsageError
        If the text is not a number, or not a ratio strictly between 0 and 100 %.

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
        shown = f"{float(value) * 100:g}%"
        raise UsageError(
            option,
            f"{raw!r} ({shown}) is not a ratio between 0 and 100%",
            "give a cap such as 2% or 0.02",
        )
    return value


def format_cap(ratio: Fraction) -> str:
    """``Fraction(1, 50)`` -> ``"2%"``; ``Fraction(1, 40)`` -> ``"2.5%"``."""
    pct = ratio * 100
    if pct.denominator == 1:
        return f"{pct.numerator}%"
    return f"{float(pct):.10g}%"


def cap_slug(ratio: Fraction) -> str:
    """A folder-safe name: ``2%`` -> ``2pct``, ``2.5%`` -> ``2.5pct``."""
    return format_cap(ratio).replace("%", "pct")
