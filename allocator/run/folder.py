"""Output folders and files written atomically: a reader, or a run interrupted half-way, never
sees half a folder or half a file, and nothing that exists is replaced unless asked — and then
only a folder this tool wrote.

One writer for folders (:func:`staged_folder`, and :func:`atomic_folder` for callers that need
only the path) and one for single files (:func:`write_bytes_atomic`); the run folder, the sweep
and comparison folders and ``min_cap.csv`` all use them. The rules, in the order they apply:

1. Before any solve, :func:`check_output_path` refuses a path that cannot be written: a file
   where a folder is needed (``--out notes.txt/run``), a name too long for the file system, a
   read-only or unwritable place; :func:`ensure_free` refuses an existing output unless
   ``--force`` is given, and even then replaces only a folder this tool wrote (a run folder
   with ``plan.json`` of format ``allocator-run/1``, a sweep or comparison folder with
   ``output.json``, or an empty folder), holding nothing else, that is neither the plan folder
   in use, nor the folder you are in, nor a folder containing either. A plain file is never
   replaced.
2. Everything is written into a hidden sibling ``.NAME.tmp-PID``. Hidden folders left by runs
   whose process no longer exists are removed first (or, for a folder a ``--force`` run was
   replacing, put back), and said so.
3. The finished folder is renamed into place under a name reserved atomically (``mkdir``), so
   two runs started together with the default name take ``NAME`` and ``NAME-2``; Ctrl-C is held
   back for that instant, and the placed folder is recorded in :data:`PLACED`, so the command
   line can say truthfully what was written.
4. Any file-system error (read-only, disk full, the folder removed while writing) removes the
   hidden folder and is raised as :class:`~allocator.errors.OutputWriteError` with one line.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allocator.errors import OutputExistsError, OutputPathError, OutputWriteError

PLACED: list[Path] = []
"""Folders this process renamed into place, complete, in order (read by the command line to
say what was written when Ctrl-C comes after a folder is in place)."""

OUTPUT_MARKER = "output.json"
"""The record that marks a sweep or comparison folder as written by this tool."""
SWEEP_FORMAT = "allocator-sweep/1"
COMPARE_FORMAT = "allocator-compare/1"
RUN_FORMAT = "allocator-run/1"

RUN_ENTRIES = frozenset(
    {
        "plan.json",
        "seal.json",
        "inputs",
        "schedule.csv",
        "summary.csv",
        "programs.csv",
        "ranks.csv",
        "obligations.csv",
        "shortfalls.csv",
        "indicators.csv",
        "variance.csv",
        "explanation.txt",
        "report.md",
        "report.xlsx",
        "charts",
    }
)
"""Every entry a run folder may hold (a folder holding anything else is not replaced)."""
MARKED_ENTRIES = {
    SWEEP_FORMAT: frozenset({OUTPUT_MARKER, "frontier.csv", "frontier.png"}),
    COMPARE_FORMAT: frozenset({OUTPUT_MARKER, "compare.csv", "compare.png"}),
}
HARMLESS = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
"""Files a desktop adds to any folder it shows; they do not make a folder the user's."""

_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)$")
_PATH_MARGIN = 100
"""Bytes kept free below PATH_MAX for the names inside a run folder."""

MAX_NAME = 80
"""Longest folder name written (characters)."""


def safe_name(text: str) -> str:
    """A single folder-name component: ASCII letters, digits, '.', '_' and '-' only, at most
    :data:`MAX_NAME` characters; a longer one is cut at a '-' (between words, never inside
    one) unless its first word alone is too long."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-_") or "plan"
    if len(name) <= MAX_NAME:
        return name
    at = name.rfind("-", 0, MAX_NAME + 1)
    return (name[:at] if at > 0 else name[:MAX_NAME]).rstrip(".-_")


def free_folder(parent: Path, base: str) -> Path:
    """``parent/base``, or the first free ``parent/base-2``, ``-3``, ... (never an existing one).

    Only a first guess: the name is taken for good when the finished folder is placed
    (:func:`staged_folder` with ``numbered=True`` moves on if another run took it meanwhile).
    """
    candidate = parent / base
    n = 2
    while os.path.lexists(candidate):
        candidate = parent / f"{base}-{n}"
        n += 1
    return candidate


# ---------------------------------------------------------------------------------------------
# what a folder is


def tool_folder_kind(path: Path) -> str | None:
    """``"run"``, ``"sweep"``, ``"compare"``, ``"empty"``, or None for anything else (a file, a
    symbolic link, a folder this tool did not write)."""
    path = Path(path)
    if path.is_symlink() or not path.is_dir():
        return None
    try:
        names = {p.name for p in path.iterdir()} - HARMLESS
    except OSError:
        return None
    if not names:
        return "empty"
    if "plan.json" in names and _format_of(path / "plan.json") == RUN_FORMAT:
        return "run"
    if OUTPUT_MARKER in names:
        kind = _format_of(path / OUTPUT_MARKER)
        if kind in MARKED_ENTRIES:
            return kind.split("/")[0].removeprefix("allocator-")
    return None


def _format_of(path: Path) -> str | None:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 200_000_000:
            return None
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    value = data.get("format") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def foreign_entries(path: Path, kind: str | None = None) -> list[str]:
    """Entries of ``path`` this tool does not write into a folder of ``kind`` (any kind when
    None), sorted: a folder holding any is not replaced or cleaned."""
    allowed: frozenset[str]
    if kind == "run":
        allowed = RUN_ENTRIES
    elif kind in ("sweep", "compare"):
        allowed = MARKED_ENTRIES[f"allocator-{kind}/1"]
    elif kind == "empty":
        allowed = frozenset()
    else:
        allowed = RUN_ENTRIES.union(*MARKED_ENTRIES.values())
    found = []
    for entry in Path(path).iterdir():
        name = entry.name
        if name in HARMLESS or _TEMP_RE.match(name):
            continue
        if name not in allowed or (entry.is_symlink()):
            found.append(name)
        elif name == "charts" and entry.is_dir():
            found += [f"charts/{c.name}" for c in entry.iterdir() if c.suffix != ".png"]
    return sorted(found)


def write_marker(folder: Path, kind: str) -> None:
    """Mark a sweep (``allocator-sweep/1``) or comparison (``allocator-compare/1``) folder as
    written by this tool, so that ``--force`` may replace it later."""
    from allocator import __version__

    data = {"format": kind, "allocator_version": __version__}
    write_text_atomic(Path(folder) / OUTPUT_MARKER, json.dumps(data, indent=2) + "\n")


# ---------------------------------------------------------------------------------------------
# before solving: can the output be written at all?


def check_output_path(out: Path, option: str = "--out", *, inside: bool = False) -> None:
    """Refuse, before any solve, an output path that cannot be written: ``out`` is the folder
    to create (written next to, through a hidden sibling), or with ``inside`` a folder to
    write into (``--reports``, ``min-cap --out``).

    Raises
    ------
    OutputPathError
        A file where a folder is needed (``--out notes.txt/run``, ``--reports notes.txt``), a
        name too long for the file system (exit code 2).
    OutputWriteError
        The nearest existing folder cannot be written: read-only file system, no permission
        (exit code 8).
    """
    target = Path(os.path.abspath(out))
    existing = target if inside else target.parent
    while not os.path.lexists(existing) and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputPathError(
            f"{option} {out}: {existing} is a file, not a folder — give {option} a folder path "
            "(nothing is written into or over a file)"
        )
    name_max = _name_max(existing)
    new_parts = target.relative_to(existing).parts if target.is_relative_to(existing) else ()
    for i, part in enumerate(new_parts):
        last = i == len(new_parts) - 1 and not inside
        extra = len(f"..tmp-{os.getpid()}") if last else 0
        if len(os.fsencode(part)) + extra > name_max:
            raise OutputPathError(
                f"{option}: the name {part[:40]}… is {len(os.fsencode(part))} bytes long; the "
                f"file system allows {name_max} and a hidden temporary name adds {extra} — give "
                "a shorter name"
            )
    if len(os.fsencode(str(target))) + _PATH_MARGIN > _path_max(existing):
        raise OutputPathError(
            f"{option}: the path is {len(os.fsencode(str(target))):,} bytes long, too long for "
            "the file system with the files inside it — give a shorter path"
        )
    _probe_writable(existing, out)


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _path_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_PATH_MAX"))
    except (OSError, ValueError, AttributeError):
        return 4096


def _probe_writable(folder: Path, out: Path) -> None:
    """Create and remove a hidden folder in ``folder``: the only sure test of a read-only file
    system or a missing permission (``os.access`` is wrong for root and for ACLs)."""
    try:
        probe = tempfile.mkdtemp(prefix=".allocate-probe-", dir=folder)
    except OSError as exc:
        raise OutputWriteError(
            f"{out}: cannot be written — {describe_os_error(exc)}; nothing was written"
        ) from None
    with contextlib.suppress(OSError):
        os.rmdir(probe)


def ensure_free(
    out: Path,
    *,
    force: bool = False,
    protect: Iterable[Path] = (),
    option: str = "--out",
    replaces: str = "run",
) -> None:
    """Refuse an existing ``out`` unless ``force`` is given and it is a folder this tool wrote
    that may be replaced (see the module's rule 1).

    Raises
    ------
    OutputExistsError
        ``out`` exists and ``force`` is false (exit code 2).
    OutputPathError
        ``out`` is a file or a symbolic link, or ``force`` cannot replace it (exit code 2).
    """
    out = Path(out)
    if not os.path.lexists(out):
        return
    if out.is_symlink():
        raise OutputPathError(
            f"{out}: is a symbolic link — it is never replaced; give {option} a new folder"
        )
    if not out.is_dir():
        raise OutputPathError(
            f"{out}: a file of that name exists — a file is never replaced; give {option} a "
            "new folder path"
        )
    if not force:
        raise OutputExistsError(
            f"{out}: already exists — give --force to replace it, or {option} for another folder"
        )
    refuse_unless_replaceable(out, protect=protect, option=option, replaces=replaces)


def refuse_unless_replaceable(
    out: Path, *, protect: Iterable[Path] = (), option: str = "--out", replaces: str = "run"
) -> None:
    """Raise :class:`OutputPathError` unless ``--force`` may replace the folder ``out``: a
    folder of kind ``replaces`` (``run``, ``compare``) or an empty one, holding nothing else."""
    real = Path(out).resolve()
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise OutputPathError(
            f"{out}: is the folder you are working in{'' if real == cwd else ' (or holds it)'} "
            f"— --force never replaces it; give {option} a new folder"
        )
    for p in protect:
        held = Path(p).resolve()
        if real == held or real in held.parents:
            what = "is" if real == held else f"holds {p},"
            raise OutputPathError(
                f"{out}: {what} a folder this command reads from — --force never replaces a plan "
                f"or run folder in use, nor a folder containing one; give {option} a new folder"
            )
    kind = tool_folder_kind(out)
    if kind is None:
        raise OutputPathError(
            f"{out}: is not a folder written by allocate (no plan.json of a run, no "
            f"{OUTPUT_MARKER} of a sweep or comparison) — --force replaces only those; give "
            f"{option} a new folder"
        )
    if kind not in (replaces, "empty"):
        names = {"run": "run folder", "sweep": "sweep folder", "compare": "comparison folder"}
        raise OutputPathError(
            f"{out}: is a {names[kind]} of allocate; this command's --force replaces only "
            f"{names[replaces]}s — give {option} a new folder"
        )
    foreign = foreign_entries(out, kind)
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise OutputPathError(
            f"{out}: holds {shown}, which allocate did not write — --force would delete them; "
            f"move them out first, or give {option} a new folder"
        )


# ---------------------------------------------------------------------------------------------
# left-overs of killed runs


def clean_stale(parent: Path) -> list[str]:
    """Remove the hidden ``.NAME.tmp-PID`` folders and files in ``parent`` left by runs whose
    process no longer exists; put back a ``.NAME.old-PID`` folder (the one a ``--force`` run
    was replacing when it was killed) if ``NAME`` is missing, else remove it. Anything holding
    files this tool does not write is left alone. Returns one line per thing done."""
    done: list[str] = []
    try:
        entries = sorted(Path(parent).iterdir())
    except OSError:
        return done
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or entry.is_symlink():
            continue
        pid = int(m.group("pid"))
        if pid == os.getpid() or _alive(pid):
            continue
        why = f"left by process {pid}, which no longer runs"
        try:
            if entry.is_file():
                if m.group("kind") == "tmp":
                    entry.unlink()
                    done.append(f"removed {entry}, a half-written file {why}")
                continue
            if foreign_entries(entry):
                done.append(f"left {entry} alone ({why}): it holds files allocate does not write")
                continue
            final = entry.parent / m.group("name")
            if m.group("kind") == "old" and not os.path.lexists(final):
                os.rename(entry, final)
                done.append(f"restored {final}: a --force run was replacing it when it stopped")
            else:
                shutil.rmtree(entry)
                done.append(f"removed {entry}, an unfinished output folder {why}")
        except OSError as exc:
            done.append(f"could not clean {entry} ({why}): {describe_os_error(exc)}")
    return done


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) is not a probe on Windows: assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, as another user
        return True
    return True


# ---------------------------------------------------------------------------------------------
# writing


@dataclass
class Staging:
    """The hidden folder being written (``path``) and, once placed, the final folder."""

    path: Path
    final: Path | None = None
    cleaned: list[str] = field(default_factory=list)
    """What :func:`clean_stale` did before writing."""


@contextlib.contextmanager
def staged_folder(
    out: Path,
    *,
    force: bool = False,
    numbered: bool = False,
    protect: Iterable[Path] = (),
    option: str = "--out",
    replaces: str = "run",
) -> Iterator[Staging]:
    """Yield a :class:`Staging` whose hidden ``path`` is written into; when the block completes,
    rename it to ``out`` (``numbered``: or the first free ``out-2``, ``out-3``, ... at that
    moment). An interrupted or failed write leaves nothing at ``out``; with ``force`` an
    existing ``out`` is replaced (only as :func:`ensure_free` allows) and kept until the new
    folder is in place.

    Raises
    ------
    OutputExistsError, OutputPathError
        As :func:`ensure_free`; also if ``out`` appeared while writing (not ``numbered``).
    OutputWriteError
        For any file-system error while writing or placing (nothing is left behind).
    """
    out = Path(out)
    if out.name in ("", ".", ".."):  # "." or "a/..": name the folder itself
        out = Path(os.path.abspath(out))
    protect = list(protect)
    if numbered:
        force = False  # a default name is never replaced: the next number is taken instead
    else:
        ensure_free(out, force=force, protect=protect, option=option, replaces=replaces)
    parent = out.parent
    made: list[Path] = []
    staging: Staging | None = None
    try:
        made = _make_parents(parent)
        cleaned = clean_stale(parent)
        tmp = parent / f".{out.name}.tmp-{os.getpid()}"
        if os.path.lexists(tmp):
            shutil.rmtree(tmp)
        tmp.mkdir()
        staging = Staging(tmp, cleaned=cleaned)
        yield staging
        staging.final = _place(
            tmp, out, force=force, numbered=numbered, protect=protect, option=option,
            replaces=replaces,
        )  # fmt: skip
    except OSError as exc:
        _discard(staging, made)
        raise OutputWriteError(
            f"{out}: could not be written — {describe_os_error(exc)}; nothing was left at {out}"
        ) from None
    except OutputWriteError as exc:
        _discard(staging, made)
        raise OutputWriteError(
            f"{out}: could not be written — {exc}; nothing was left at {out}"
        ) from None
    except Exception as exc:
        gone = staging is not None and staging.final is None and not staging.path.is_dir()
        _discard(staging, made)
        if gone:  # whatever failed, the cause is the folder removed under us
            raise OutputWriteError(
                f"{out}: could not be written — the folder being written disappeared "
                f"({type(exc).__name__}); nothing was left at {out}"
            ) from None
        raise
    except BaseException:
        _discard(staging, made)
        raise


@contextlib.contextmanager
def atomic_folder(
    out: Path,
    *,
    force: bool = False,
    numbered: bool = False,
    protect: Iterable[Path] = (),
    option: str = "--out",
    replaces: str = "run",
) -> Iterator[Path]:
    """:func:`staged_folder` for callers that need only the hidden folder's path."""
    with staged_folder(
        out, force=force, numbered=numbered, protect=protect, option=option, replaces=replaces
    ) as s:
        yield s.path


def _make_parents(parent: Path) -> list[Path]:
    """Create ``parent`` and missing ancestors; return those created (to remove on failure)."""
    missing = []
    p = parent
    while not os.path.lexists(p) and p.parent != p:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        try:
            p.mkdir()
        except FileExistsError:
            continue
    return missing


def _discard(staging: Staging | None, made: list[Path]) -> None:
    if staging is not None and staging.final is None:
        shutil.rmtree(staging.path, ignore_errors=True)
    if staging is None or staging.final is None:
        for p in made:  # innermost first; only folders this call created, and only if empty
            with contextlib.suppress(OSError):
                p.rmdir()


def _place(
    tmp: Path,
    out: Path,
    *,
    force: bool,
    numbered: bool,
    protect: list[Path],
    option: str,
    replaces: str,
) -> Path:
    if not tmp.is_dir():
        raise OutputWriteError(f"the folder being written disappeared ({tmp})")
    with _interrupts_held():
        if force and os.path.lexists(out):
            ensure_free(out, force=True, protect=protect, option=option, replaces=replaces)
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.rename(out, old)
            try:
                _reserve_and_rename(tmp, out)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.rename(old, out)
                raise
            PLACED.append(out)
            shutil.rmtree(old, ignore_errors=True)
            return out
        for candidate in _candidates(out, numbered):
            try:
                _reserve_and_rename(tmp, candidate)
            except FileExistsError:
                if numbered:
                    continue
                raise OutputExistsError(
                    f"{out}: appeared while this run was writing — nothing was replaced, and "
                    "this run was not kept; give --out another folder"
                ) from None
            PLACED.append(candidate)
            return candidate
    raise OutputWriteError(f"{out}: no free numbered name next to it")  # pragma: no cover


def _candidates(out: Path, numbered: bool) -> Iterator[Path]:
    yield out
    if numbered:
        base = re.sub(r"-\d+$", "", out.name)
        start = int(out.name.rsplit("-", 1)[1]) + 1 if base != out.name else 2
        for n in range(start, start + 10_000):
            yield out.parent / f"{base}-{n}"


def _reserve_and_rename(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final`` only if ``final`` is free: reserve the name with ``mkdir``
    (atomic: FileExistsError if another run has it), then rename over that empty folder."""
    os.mkdir(final)
    try:
        os.rename(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rmdir(final)
        raise


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C back while a folder is renamed into place and recorded, then deliver it:
    the interrupt then finds the folder either absent or complete and listed in PLACED."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    except (ValueError, TypeError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )
        if received and previous is not signal.SIG_IGN:
            if callable(previous):
                previous(signal.SIGINT, None)
            raise KeyboardInterrupt


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary sibling, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """:func:`write_bytes_atomic` of ``text`` as UTF-8."""
    write_bytes_atomic(path, text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# messages

_REASONS = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space is left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "a name is too long for the file system",
    errno.ENOENT: "a folder disappeared while writing",
    errno.ENOTDIR: "a file is where a folder is needed",
    errno.EEXIST: "the name is taken",
    errno.ENOTEMPTY: "the name is taken",
    errno.EIO: "the device reported an input/output error",
}


def describe_os_error(exc: OSError) -> str:
    """One line for a file-system error: the reason in plain words, and the path."""
    reason = _REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    where = exc.filename
    return f"{reason} ({where})" if where else reason


def on_error(action: Callable[[], Any], what: Path) -> Any:
    """Run ``action``; raise any file-system error as :class:`OutputWriteError` about ``what``."""
    try:
        return action()
    except OSError as exc:
        raise OutputWriteError(f"{what}: could not be written — {describe_os_error(exc)}") from None
