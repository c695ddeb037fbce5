"""Finishing an interrupted publish: the keys it may have written (Pending.unsure) are
the ones whose headers neither the newest record nor the listing can vouch for. The
plan takes such a key's headers as unknown (a copy in place) or as the record's (a
skip); here they are read back, one HEAD each, so the re-run fixes exactly the keys
whose headers are wrong and reports no header fix for a copy that already landed."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from cdnpub.build.model import Build
from cdnpub.sync.plan import Action, Blob, Plan, Reason, blobs
from cdnpub.sync.ports import Store


def finishing(todo: Plan) -> bool:
    """Whether this publish finishes one that stopped half-way (its lease, or an older
    version's marker, says so): the bucket was compared object by object."""
    return todo.pending is not None and not todo.pending.landed


def reread_headers(todo: Plan, build: Build, store: Store, plain_copies: bool, jobs: int) -> Plan:
    """The plan with the unsure keys' headers read back: a header fix the interrupted
    publish already made is dropped (a skip), a skipped key it left with other headers
    gets one. Nothing to read when no publish stopped half-way."""
    unsure = todo.pending.unsure if todo.pending is not None else frozenset()
    if not unsure:
        return todo
    fixes = {a.blob.key for a in todo.header_fixes}
    planned = {a.blob.key for a in (*todo.fingerprinted, *todo.plain)}
    asked = [
        b for b in blobs(build, plain_copies) if b.key in unsure and (b.key in fixes or b.key not in planned)
    ]
    if not asked:
        return todo
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="cdnpub-head") as pool:
        answers = dict(zip((b.key for b in asked), pool.map(store.carries, asked), strict=True))
    return with_headers_read(todo, asked, answers)


def with_headers_read(todo: Plan, asked: list[Blob], carries: Mapping[str, bool]) -> Plan:
    """`todo` corrected by what the HEADs said (pure): header fixes of keys that carry
    their headers go, skipped keys that do not carry them get a header fix (and, as a
    header change under a URL a page may have fetched, an invalidation)."""
    fixes = {a.blob.key for a in todo.header_fixes}
    done = {key for key, ok in carries.items() if ok and key in fixes}
    added = [Action(b, Reason.HEADERS) for b in asked if b.key not in fixes and not carries[b.key]]

    def kept(actions: tuple[Action, ...]) -> list[bool]:
        return [not (a.reason is Reason.HEADERS and a.blob.key in done) for a in actions]

    keep_plain = kept(todo.plain)
    plain = [a for a, k in zip(todo.plain, keep_plain, strict=True) if k]
    waves = [w for w, k in zip(todo.plain_waves, keep_plain, strict=False) if k]
    new_plain = [a for a in added if a.blob.plain]
    if todo.plain_waves:
        waves += [0] * len(new_plain)  # the same bytes with new headers: no order to keep
    return replace(
        todo,
        fingerprinted=(
            *(a for a, k in zip(todo.fingerprinted, kept(todo.fingerprinted), strict=True) if k),
            *(a for a in added if not a.blob.plain),
        ),
        plain=(*plain, *new_plain),
        plain_waves=tuple(waves),
        skipped=todo.skipped + len(done) - len(added),
        invalidate=tuple(sorted({*todo.invalidate, *(a.blob.key for a in added)})),
    )
