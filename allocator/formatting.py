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


# ---------------------------------------------------------------------------------------------
# sentences shared by the terminal, the reports and the explanations


def _tr(ja: str, en: str, lang: str) -> str:
    return ja if lang == "ja" else en


FLOOR_KIND = {
    "area_low": ("分野", "area"),
    "phase_low": ("期間区分", "phase"),
    "bound_low": ("集計", "bound"),
    "ratio_floor": ("GDP比の下限", "ratio floor"),
}
"""The words for each kind of floor (family of the model row)."""


def floor_label(family: str, key: object, lang: str) -> str:
    """``area A`` / ``分野 A``; a ratio floor by its year: ``ratio floor FY2036``."""
    ja, en = FLOOR_KIND.get(family, (family, family))
    if family == "ratio_floor":
        return _tr(f"{ja}({key}年度)", f"{en} FY{key}", lang)
    return f"{ja if lang == 'ja' else en} {key}"


def shortfall_sentence(
    family: str,
    key: object,
    name: str,
    rank: int | None,
    first: int,
    last: int,
    low: int,
    achieved: int,
    short: int,
    lang: str,
) -> str:
    """One floor that falls short, in words: which floor, whose, over which years, how far.

    >>> s = shortfall_sentence("phase_low", "mid", "Medium term", None, 2029, 2032, 120000,
    ...                        116164, 3836, "en")
    >>> s[:66]
    'phase mid (Medium term; no single rank; a total over FY2029–2032):'
    >>> s[67:]
    'short by 3,836 億円 (reaches 116,164 of 120,000)'
    """
    owner = (
        _tr(f"順位{rank}", f"rank {rank}", lang)
        if rank is not None
        else _tr("単一の順位に属さない", "no single rank", lang)
    )
    when = (
        _tr(
            f"{year_span(first, last, lang)}の合計",
            f"a total over {year_span(first, last, lang)}",
            lang,
        )
        if last > first
        else fy(first, lang)
    )
    label = floor_label(family, key, lang)
    return _tr(
        f"{label}({name}、{owner}、{when}): {short:,} 億円不足(下限 {low:,} のうち {achieved:,})",
        f"{label} ({name}; {owner}; {when}): short by {short:,} 億円 (reaches {achieved:,} of "
        f"{low:,})",
        lang,
    )


def blocked_sentence(
    program_id: str,
    rank: int,
    need: int,
    room: int,
    first: int,
    last: int,
    limit: str,
    cap_text: str,
    lang: str,
) -> str:
    """A program that cannot be funded at this cap even alone, in words.

    >>> s = blocked_sentence("A01", 1, 10000, 5407, 2026, 2026, "gdp_cap", "1.5%", "en")
    >>> s[:42]
    'A01 (rank 1) cannot be funded at this cap:'
    >>> s[43:81]
    'it needs at least 10,000 億円 in FY2026,'
    >>> s[82:]
    'where the 1.5% cap leaves 5,407 億円 above the baseline'
    """
    when = year_span(first, last, lang)
    what = {
        "gdp_cap": _tr(
            f"上限{cap_text}のもとで既存予算を超えて使えるのは", f"the {cap_text} cap leaves", lang
        ),
        "fiscal": _tr("財政上の上限のもとで使えるのは", "the fiscal ceilings leave", lang),
    }.get(
        limit,
        _tr(
            f"上限{cap_text}と財政上の上限のもとで使えるのは",
            f"the {cap_text} cap and the fiscal ceilings leave",
            lang,
        ),
    )
    above = _tr("", " above the baseline", lang) if limit == "gdp_cap" else ""
    if lang == "ja":
        span = f"{when}に" if first == last else f"{when}の合計で"
        return (
            f"{program_id}(順位{rank})はこの上限では実施できません: {span}少なくとも {need:,} 億円"
            f"が必要ですが、{what} {room:,} 億円です"
        )
    where = f"in {when}" if first == last else f"over {when}"
    return (
        f"{program_id} (rank {rank}) cannot be funded at this cap: it needs at least {need:,} 億円 "
        f"{where}, where {what} {room:,} 億円{above}"
    )
