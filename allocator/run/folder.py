"""Output folders and files written atomically: a reader, or a run interrupted half-way, never
sees half a folder or half a file, and nothing that exists is replaced unless asked.

One writer for folders (:func:`atomic_folder`) and one for single files
(:func:`write_bytes_atomic`); the run folder, the sweep and min-cap folders and the compare
folder all use them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from allocator.errors import OutputExistsError

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
    """``parent/base``, or the first free ``parent/base-2``, ``-3``, ... (never an existing one)."""
    candidate = parent / base
    n = 2
    while candidate.exists():
        candidate = parent / f"{base}-{n}"
        n += 1
    return candidate


def ensure_free(out: Path, *, force: bool = False) -> None:
    """Raise OutputExistsError if ``out`` exists and the user did not ask to replace it."""
    if Path(out).exists() and not force:
        raise OutputExistsError(
            f"{out}: already exists — give --force to replace it, or --out for another folder"
        )


@contextlib.contextmanager
def atomic_folder(out: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a hidden sibling folder to write into; rename it to ``out`` only when the block
    completes, so an interrupted or failed write leaves nothing at ``out``. With ``force`` an
    existing ``out`` is replaced, and kept until the new folder is in place.

    Raises
    ------
    OutputExistsError
        If ``out`` exists and ``force`` is false.
    """
    out = Path(out)
    ensure_free(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        if out.exists():
            if not force:
                raise OutputExistsError(f"{out}: appeared while writing — nothing was replaced")
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary sibling, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """:func:`write_bytes_atomic` of ``text`` as UTF-8."""
    write_bytes_atomic(path, text.encode("utf-8"))
