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


class OutputPathError(AllocatorError):
    """An output path that cannot be used (exit code 2): a file where a folder is needed, the
    plan folder itself, a folder --force may not replace, a name too long."""

    exit_code = 2


class OutputWriteError(AllocatorError):
    """The output could not be written (exit code 8): read-only file system, disk full, no
    permission, or the folder removed while writing. Nothing is left at the output path."""

    exit_code = 8
