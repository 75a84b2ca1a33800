"""The seal of a run folder: every file against the digest ``plan.json`` lists for it,
``plan.json`` against ``seal.json``, and the HMAC signature when a key is given (rules
``digest`` and ``signature``).

A digest says *that* a file changed; the other checks of the verifier say *which row* and
*which figure*, where they can be recomputed from the inputs and the schedule.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from allocator.constants import (
    AREA_CHART,
    CHARTS_DIR,
    EXPLANATION_TXT,
    PLAN_JSON,
    PROGRAMS_CSV,
    RANK_CHART,
    RANKS_CSV,
    REPORT_MD,
    SCHEDULE_CSV,
    SUMMARY_CSV,
    WORKBOOK,
)
from allocator.run.digests import SEAL_JSON, SealError, file_digests, read_seal, sha256_file
from allocator.run.record import RunRecord
from allocator.run.signing import KEY_VARIABLE, key_id, signature_matches
from allocator.run.verify.tally import Tally

NOT_SIGNED = "not signed"
VALID = "signature valid"
INVALID = "signature INVALID"


def required_files(record: RunRecord) -> list[str]:
    """Files a sealed run folder must hold whatever ``files`` says: the tables of a run with a
    schedule, the explanation of one without, and the reports when ``allocate`` wrote them
    (``options.lang`` set)."""
    names: list[str] = []
    if record.has_plan:
        names += [SCHEDULE_CSV, SUMMARY_CSV, PROGRAMS_CSV, RANKS_CSV]
    if record.explanation:
        names.append(EXPLANATION_TXT)
    if record.options.lang is not None:
        names.append(REPORT_MD)
        if record.has_plan:
            names += [WORKBOOK, f"{CHARTS_DIR}/{AREA_CHART}", f"{CHARTS_DIR}/{RANK_CHART}"]
    return names


def check_file_digests(run_dir: Path, record: RunRecord, t: Tally) -> None:
    """Every file listed in ``plan.json`` ``files`` is there, unchanged; every file the run
    must hold is listed; files nobody listed are named in a note."""
    rule = "digest"
    t.check(rule)
    if record.files is None:
        t.fail(
            rule,
            PLAN_JSON,
            "plan.json lists no digests of the run's files (files): the folder was not sealed "
            "by allocate, or the list was removed",
        )
        return
    for name in required_files(record):
        t.check(rule)
        if name not in record.files:
            t.fail(rule, name, f"{name} is not listed in plan.json files, though the run wrote it")
    for name, digest in sorted(record.files.items()):
        t.check(rule)
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
            t.fail(rule, name, f"plan.json files lists {name!r}, which is not inside the folder")
            continue
        path = run_dir / name
        if not path.is_file():
            t.fail(rule, name, f"{name} is missing (plan.json lists it as written by the run)")
        elif sha256_file(path) != digest:
            t.fail(
                rule,
                name,
                f"{name} differs from the file the run wrote (its SHA-256 is not the one "
                "plan.json lists)",
            )
    unlisted = sorted(set(file_digests(run_dir)) - set(record.files))
    if unlisted:
        t.notes.append(
            f"not part of the run (not listed in plan.json, not checked): {', '.join(unlisted)}"
        )


def check_seal(run_dir: Path, key: bytes | None, t: Tally) -> str:
    """``plan.json`` against ``seal.json``, and the signature when ``key`` is given.

    Returns
    -------
    str
        ``not signed``, ``signature valid``, ``signature INVALID``, or for a signed folder
        checked without a key, a line saying so.
    """
    t.check("digest")
    try:
        seal = read_seal(run_dir)
    except SealError as exc:
        t.fail("digest", SEAL_JSON, f"{exc}: plan.json cannot be checked against its digest")
        if key is not None:
            t.check("signature")
            t.fail("signature", SEAL_JSON, f"{KEY_VARIABLE} is set but the folder has no seal")
            return INVALID
        return NOT_SIGNED
    plan_json = run_dir / PLAN_JSON
    data = plan_json.read_bytes() if plan_json.is_file() else b""
    if hashlib.sha256(data).hexdigest() != seal.plan_json_sha256:
        t.fail(
            "digest",
            PLAN_JSON,
            "plan.json differs from the digest in seal.json: it was edited after the run",
        )
    signature = seal.signature
    if key is None:
        if signature is None:
            return NOT_SIGNED
        return (
            f"signed (key {signature.key_id}); not checked: set {KEY_VARIABLE} to the key to "
            "check it"
        )
    t.check("signature")
    if signature is None:
        t.fail(
            "signature",
            SEAL_JSON,
            f"the folder is not signed, but {KEY_VARIABLE} is set: an unsigned folder can have "
            "been edited with every digest recomputed",
        )
        return NOT_SIGNED
    if signature.key_id != key_id(key):
        t.fail(
            "signature",
            SEAL_JSON,
            f"signed with another key (key {signature.key_id}; {KEY_VARIABLE} is key "
            f"{key_id(key)})",
        )
        return INVALID
    if not signature_matches(key, data, signature.value):
        t.fail(
            "signature",
            PLAN_JSON,
            "the signature does not match plan.json: it was edited after signing",
        )
        return INVALID
    return f"{VALID} (key {signature.key_id})"
