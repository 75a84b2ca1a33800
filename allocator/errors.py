"""Errors the library raises; the command line turns each into one line and an exit code."""

from __future__ import annotations

from pathlib import Path


class AllocatorError(Exception):
    """Base class: a problem the user can fix; ``str()`` is a one-line message."""

    exit_code = 1


class UsageError(AllocatorError):
    """A bad option value (exit code 2)."""

    exit_code = 2

    def __init__(self, option: str, message: str, fix: str = "") -> None:
        self.option = option
        text = f"{option}: {message}"
        if fix:
            text += f" — {fix}"
        super().__init__(text)


class PlanError(AllocatorError):
    """An invalid plan file (exit code 3), located by file, row and column where known."""

    exit_code = 3

    def __init__(
        self,
        file: Path | str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        fix: str = "",
    ) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.message = message
        self.fix = fix
        where = self.file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column}"
        text = f"{where}: {message}"
        if fix:
            text += f" — {fix}"
        super().__init__(text)


class OutputExistsError(AllocatorError):
    """The output folder exists and --force was not given (exit code 2)."""

    exit_code = 2
