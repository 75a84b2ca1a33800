"""allocator: an optimisation-based budget allocator.

Turns a plan (programs with cost ranges, priority ranks and windows) into yearly budgets under a
GDP-ratio cap and fiscal caps, by lexicographic integer programming (PuLP + HiGHS, in-process).
Money is an integer number of 億円 everywhere inside; fiscal years are named by their first year.
"""

from __future__ import annotations

__version__ = "0.1.0"

OKU_PER_CHO = 10_000
"""億円 per 兆円."""
