"""Checks on the plan files as written, before the command line moves or cuts the horizon:
tables keyed by fiscal year that name years outside the plan, and ``[[ranks]].areas`` that
contradict the programs' ranks. One ``check_*`` per rule; each raises
:class:`~allocator.errors.PlanError` naming the file, the row or key and the fix.

Source of truth for priority: the ``rank`` column of ``programs.csv``. ``[[ranks]].areas`` is a
description of it; when a rank lists its areas, the list must be exactly the areas of that
rank's programs (omit ``areas`` and the run derives it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from allocator.errors import PlanError
from allocator.plan.schema import Area, Program, Rank


def check_year_keys(
    table: str,
    keys: Sequence[int],
    *,
    own: range,
    run: range,
    moved: Callable[[int], int],
    path: Path,
    notes: list[str],
) -> None:
    """Years of ``[baseline.by_year]`` or ``[fiscal.per_year_oku_yen]`` must lie in the plan's
    own horizon (or the horizon the command line asked for); years the run does not cover are
    noted as unused.

    Parameters
    ----------
    table : str
        ``baseline.by_year`` or ``fiscal.per_year_oku_yen``, for messages.
    keys : sequence of int
        The fiscal years the table names, as written in plan.toml.
    own : range
        The plan's own horizon, in the file's years.
    run : range
        The run's horizon, in the run's years (after ``--first-year``).
    moved : callable
        A year of the file -> the same year in the run.

    Raises
    ------
    PlanError
        For a year in neither horizon (``2099 = 1`` in a 2026–2040 plan).
    """
    unused: list[int] = []
    for year in keys:
        if moved(year) in run:
            continue
        if year not in own:
            raise PlanError(
                path,
                f"[{table}] {year} is outside the plan's horizon "
                f"{own.start}–{own.stop - 1}年度, so it would never be used",
                column=table,
                fix=f"give years from {own.start} to {own.stop - 1}, or remove the line",
            )
        unused.append(year)
    if unused:
        notes.append(
            f"[{table}] {', '.join(map(str, unused))} not used: outside the horizon "
            f"{run.start}–{run.stop - 1}年度 of this run"
        )


def check_rank_areas(
    ranks: Sequence[Rank],
    areas: Sequence[Area],
    programs: Sequence[Program],
    *,
    toml_path: Path,
    programs_path: Path,
) -> None:
    """A rank that lists ``areas`` lists exactly the areas of its programs.

    Raises
    ------
    PlanError
        On ``programs.csv`` (row, column ``rank``) for a program whose area its rank does not
        list; on ``plan.toml`` for a rank listing an area whose programs all have other ranks,
        or listing no area (``areas = []``) although it has programs.
    """
    listed = {r.rank: r for r in ranks if "areas" in r.model_fields_set}
    order = [a.id for a in areas]
    of_rank: dict[int, list[str]] = {}
    for p in programs:
        if p.area not in of_rank.setdefault(p.rank, []):
            of_rank[p.rank].append(p.area)
    for r in listed.values():
        have = sorted(of_rank.get(r.rank, []), key=lambda a: order.index(a) if a in order else 0)
        if not r.areas and have:
            raise PlanError(
                toml_path,
                f"[[ranks]] rank {r.rank} lists no areas (areas = []), but its programs are "
                f"in area {', '.join(have)}",
                column="ranks.areas",
                fix=f"write areas = [{', '.join(repr(a).replace(chr(39), chr(34)) for a in have)}]"
                " or remove the areas line (it is then taken from programs.csv)",
            )
    for p in programs:
        own = listed.get(p.rank)
        if own is None or p.area in own.areas:
            continue
        owners = [q.rank for q in listed.values() if p.area in q.areas]
        where = f"; area {p.area} is listed under rank {owners[0]}" if owners else ""
        raise PlanError(
            programs_path,
            f"{p.program_id} is in area {p.area} with rank {p.rank}, but [[ranks]] rank "
            f"{p.rank} lists areas {list(own.areas)}{where}",
            row=p.row,
            column="rank",
            fix=f"give {p.program_id} the rank its area has, or add {p.area!r} to the areas "
            f"of rank {p.rank} in plan.toml (the programs' rank decides the priority)",
        )
    used = {p.area for p in programs}
    for r in listed.values():
        # an area with no programs at all contradicts nothing (a plan still being filled in)
        extra = [a for a in r.areas if a in used and a not in of_rank.get(r.rank, [])]
        if extra:
            ranks_of = sorted({p.rank for p in programs if p.area == extra[0]})
            raise PlanError(
                toml_path,
                f"[[ranks]] rank {r.rank} lists area {', '.join(extra)}, but the programs of "
                f"area {extra[0]} have rank {', '.join(map(str, ranks_of))} in programs.csv",
                column="ranks.areas",
                fix=f"remove {', '.join(extra)} from rank {r.rank}'s areas, or change those "
                "programs' rank (the programs' rank decides the priority)",
            )
