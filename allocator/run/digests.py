"""Digests that seal a run folder: ``plan.json`` lists the SHA-256 of every other file
(``files``; the copies in ``inputs/`` are listed under ``inputs``), and ``seal.json`` holds the
SHA-256 of ``plan.json`` itself and, with ``ALLOCATOR_SIGNING_KEY`` set, an HMAC signature of
it (:mod:`allocator.run.signing`).

:func:`seal_run` is the last step of writing a run folder, after the reports; it also checks
that every file the run wrote is still there (a folder removed or emptied while it was being
written is never placed). ``allocate verify`` checks every digest and the signature.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from allocator.constants import (
    EXPLANATION_TXT,
    INPUTS_DIR,
    PLAN_JSON,
    PROGRAMS_CSV,
    RANKS_CSV,
    SCHEDULE_CSV,
    SUMMARY_CSV,
)
from allocator.errors import OutputWriteError
from allocator.run.signing import key_id, sign

if TYPE_CHECKING:
    from allocator.run.record import RunRecord

SEAL_JSON = "seal.json"
SEAL_FORMAT = "allocator-seal/1"


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Signature(_Strict):
    algorithm: Literal["HMAC-SHA256"]
    key_id: str
    value: str


class Seal(_Strict):
    """``seal.json``: the SHA-256 of ``plan.json`` and, optionally, its HMAC signature."""

    format: Literal["allocator-seal/1"]
    plan_json_sha256: str
    signature: Signature | None = None


class SealError(ValueError):
    """``seal.json`` is missing or not a seal (the message says which)."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and (".tmp-" in name or ".old-" in name)


def file_digests(folder: Path) -> dict[str, str]:
    """{relative path (with ``/``): SHA-256} of every file of a run folder except
    ``plan.json``, ``seal.json`` and ``inputs/`` (whose digests are under ``inputs``)."""
    folder = Path(folder)
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if (
            rel in (PLAN_JSON, SEAL_JSON)
            or rel.split("/")[0] == INPUTS_DIR
            or _is_temporary(path.name)
            or not path.is_file()
        ):
            continue
        out[rel] = sha256_file(path)
    return out


def expected_files(record: RunRecord, reports: Iterable[str] = ()) -> list[str]:
    """Every file a run folder with ``record`` must hold (``reports``: the report files
    written, relative to the folder)."""
    names = [f"{INPUTS_DIR}/{name}" for name in record.inputs]
    if record.has_plan:
        names += [SCHEDULE_CSV, SUMMARY_CSV, PROGRAMS_CSV, RANKS_CSV]
    if record.explanation:
        names.append(EXPLANATION_TXT)
    return [*names, *reports]


def seal_run(
    folder: Path, record: RunRecord, *, reports: Iterable[str] = (), key: bytes | None = None
) -> RunRecord:
    """Write the digests of every file into ``plan.json`` and ``seal.json`` next to it (signed
    with ``key`` when given); return the record written.

    Raises
    ------
    OutputWriteError
        If a file the run wrote is missing (the folder was changed while it was written).
    """
    folder = Path(folder)
    missing = [n for n in expected_files(record, reports) if not (folder / n).is_file()]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise OutputWriteError(
            f"{', '.join(missing[:3])}{more} disappeared while the folder was written (was it "
            "removed or changed by another program?)"
        )
    sealed = record.model_copy(update={"files": file_digests(folder)})
    path = sealed.write(folder)
    write_seal(folder, path.read_bytes(), key)
    return sealed


def write_seal(folder: Path, plan_json: bytes, key: bytes | None) -> Path:
    """Write ``seal.json`` for the bytes of ``plan.json``."""
    signature = (
        None
        if key is None
        else Signature(algorithm="HMAC-SHA256", key_id=key_id(key), value=sign(key, plan_json))
    )
    seal = Seal(
        format="allocator-seal/1",
        plan_json_sha256=hashlib.sha256(plan_json).hexdigest(),
        signature=signature,
    )
    path = Path(folder) / SEAL_JSON
    path.write_text(json.dumps(seal.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    return path


def read_seal(folder: Path) -> Seal:
    """``seal.json`` of a run folder.

    Raises
    ------
    SealError
        If it is missing, not JSON, or not a seal.
    """
    path = Path(folder) / SEAL_JSON
    if not path.is_file():
        raise SealError(f"{SEAL_JSON} is missing")
    try:
        return Seal.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(top level)"
        raise SealError(f"{SEAL_JSON} is not a seal: field {where}: {err['msg']}") from None
    except (OSError, ValueError) as exc:
        raise SealError(f"{SEAL_JSON} cannot be read: {exc}") from None
