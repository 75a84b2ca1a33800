"""The ``allocate`` command line (:mod:`allocator.cli.app`): the only layer that imports typer,
prints, or exits.

:func:`main` is the console-script entry point. It is deliberately tiny and imports nothing
heavy before it can handle Ctrl-C, so an interrupt at any moment (start-up imports included)
ends with one line on stderr and exit code 130, never a traceback. Keep this module free of
module-level imports beyond the standard library: start-up time and interrupt safety depend
on it.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130

INTERRUPTED: list[bool] = []
"""Set when Ctrl-C arrives: an exception that follows it (a C extension interrupted while it
loads reports "initialization failed", not KeyboardInterrupt) is then reported as the
interruption it is, not as an internal error."""


def interrupted_message() -> str:
    """What is true after Ctrl-C: either nothing was written, or which folders are complete.

    Folders are recorded by :mod:`allocator.run.folder` the moment they are renamed into
    place (with Ctrl-C held back for that instant), so a folder named here is complete.
    """
    folder = sys.modules.get("allocator.run.folder")
    placed = list(getattr(folder, "PLACED", ())) if folder is not None else []
    if not placed:
        return "interrupted; no run folder was written"
    names = ", ".join(f"{p}/" for p in placed)
    return (
        f"interrupted after {names} was written in full: it is complete "
        f"(check it with: allocate verify {placed[-1]})"
    )


def _first_interrupt(signum: int, frame: object) -> None:
    """Ctrl-C: raise KeyboardInterrupt once; any further press is ignored, so a second
    Ctrl-C while the first is being handled cannot print a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    INTERRUPTED.append(True)
    raise KeyboardInterrupt


def _stop_on_interrupt() -> None:
    """Ignore further Ctrl-C (a press while we leave must not print a traceback)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _say(message: str, code: int) -> int:
    _stop_on_interrupt()
    try:
        sys.stderr.write(f"allocate: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: the exit code still says it
        pass
    return code


def main() -> None:
    """Entry point of the ``allocate`` script: no traceback ever reaches the user.

    Exit codes are documented in :mod:`allocator.cli.exits`; 130 after Ctrl-C.
    """
    import signal

    code: int | str | None = 0
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _first_interrupt)  # a shell's "ignore" is left alone
    try:
        from allocator.cli.app import main as run  # heavy: typer, click; after this line

        run()
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = _say(interrupted_message(), EXIT_INTERRUPTED)
    except Exception as exc:  # start-up failed before the app's own handlers existed
        if INTERRUPTED:  # e.g. a C extension interrupted while loading: "initialization failed"
            code = _say(interrupted_message(), EXIT_INTERRUPTED)
        else:
            code = _say(
                f"internal error: {type(exc).__name__}: {exc} — please report this with the "
                "command you ran",
                1,
            )
    _stop_on_interrupt()  # Ctrl-C while the interpreter shuts down: keep the exit code
    _leave(code)


def _leave(code: int | str | None) -> None:
    """Exit with ``code`` as soon as stdout and stderr are flushed. Everything is written by
    now (a run folder is renamed into place before this), and the interpreter's own teardown of
    pandas, HiGHS, matplotlib and openpyxl would add 0.2–0.7 s to every command; ``os._exit``
    skips it (and atexit handlers: none of ours is needed once the command is done)."""
    import os

    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    import contextlib

    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (allocate | head): the exit code still says how it went
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
