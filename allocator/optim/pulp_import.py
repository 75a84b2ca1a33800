"""PuLP, imported without loading its solver-log parser up front.

``pulp`` imports ``orloge`` at start-up (for ``LpSolveStats`` of command-line solvers such as
CBC), and orloge imports ``cpsat_logutils``, whose pydantic models take about 0.1 s to build.
The allocator runs HiGHS in-process, whose log pulp never parses, so a stand-in module is put
in ``sys.modules`` first: the real orloge is imported the first time anything is looked up on
it (then everything works as usual; ``import orloge.x`` too). The two modules that use
PuLP (:mod:`allocator.optim.handles`, :mod:`allocator.optim.solve`) import it from here.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class ImportOnFirstUse(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        real = sys.modules.get(self.__name__)
        if real is None or real is self:
            sys.modules.pop(self.__name__, None)
            real = importlib.import_module(self.__name__)
        return getattr(real, name)


if "orloge" not in sys.modules and "pulp" not in sys.modules:
    sys.modules["orloge"] = ImportOnFirstUse("orloge")

import pulp  # noqa: E402

__all__ = ["pulp"]
