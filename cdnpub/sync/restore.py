"""Roll a prefix back to an earlier release: the reads, the lease, then publish's own
phases (sync/publish.execute), invalidation and landing, with the plan rollback.py makes.

A rollback is a publish whose bytes come from the bucket instead of a build: the same
lease (one writer per prefix, a second one waits then exits 75), the same kill-safety
(the lease lists the keys it writes before the first of them, so the next publish or
rollback compares them with the bucket instead of trusting a record), the same order
(fingerprinted keys, plain-name copies in module-import waves, the record last), the
same shrink guard. It never deletes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from cdnpub.errors import UserError
from cdnpub.sync.dry_run import DryRunStore
from cdnpub.sync.layout import lease_key, meta_prefix, pending_key
from cdnpub.sync.lease import (
    Holder,
    Operation,
    State,
    acquire,
    finish_notes,
    free_by_listing,
    merge_pending,
    read_lease,
)
from cdnpub.sync.marker import marks, read_marker, with_marker, with_orphans
from cdnpub.sync.pending import NO_DISTRIBUTION, Pending
from cdnpub.sync.plan import Blob, Listing, Plan
from cdnpub.sync.ports import Cdn, Store
from cdnpub.sync.publish import (
    NoProgress,
    Progress,
    Report,
    check_cdn,
    execute,
    invalidation_paths,
    land,
    owes_nothing,
)
from cdnpub.sync.records import first_published, record_of, record_short_id, release_at
from cdnpub.sync.release import Release
from cdnpub.sync.rollback import Known, rollback_plan, shrink_of, sources, target_index
from cdnpub.sync.settings import Settings
from cdnpub.sync.shrink import SHRINK_FLAG
from cdnpub.sync.stage import stage
from cdnpub.sync.waiting import LeaseBusy, waiting


@dataclass(frozen=True, slots=True)
class Rollback:
    """One rollback: publish's Report of its writes (`report.done` None for a dry run or
    when the target is live already), the release made live again and the one it
    replaced (None when that record is unreadable)."""

    report: Report
    target: Release
    replaced: Release | None
    already_live: bool = False


class _Restoring:
    """The store as execute() sees it in a rollback: an upload of a plain-name key is a
    server-side copy from its fingerprinted key (a rollback has no local file). A copy of
    a multipart object gets a single-part ETag; the new record, written after it, vouches
    for it (plan._reason: written no later than the record)."""

    def __init__(self, store: Store, copied_from: Mapping[str, str]) -> None:
        self._store, self._from = store, copied_from

    @property
    def bucket(self) -> str:
        return self._store.bucket

    def listing(
        self, prefix: str, within: str | None = None, *, expected: Iterable[str] = (), jobs: int = 1
    ) -> Listing:
        return self._store.listing(prefix, within, expected=expected, jobs=jobs)

    def upload(self, blob: Blob) -> None:
        self._store.copy(blob, self._from.get(blob.key, blob.asset.key))

    def copy(self, blob: Blob, source: str) -> None:
        self._store.copy(blob, source)

    def put_private(self, key: str, body: bytes, content_type: str) -> None:
        self._store.put_private(key, body, content_type)

    def put_conditional(self, key: str, body: bytes, content_type: str, if_match: str | None) -> str:
        return self._store.put_conditional(key, body, content_type, if_match)

    def get_bytes(self, key: str, limit: int | None = None) -> bytes:
        return self._store.get_bytes(key, limit)

    def delete(self, keys: Sequence[str]) -> None:
        self._store.delete(keys)

    def carries(self, blob: Blob) -> bool:
        return self._store.carries(blob)


@dataclass(frozen=True, slots=True)
class _Read:
    todo: Plan
    target: Release
    live: Release | None
    already_live: bool


def rollback(
    store: Store,
    settings: Settings,
    wanted: str | None = None,
    cdn: Cdn | None = None,
    progress: Progress | None = None,
    warn: Callable[[str], None] = lambda message: None,
    now: datetime | None = None,
) -> Rollback:
    """Make the release `wanted` (a unique prefix of its id; None: the one before the live
    one) live again in `settings.prefix`, invalidate what changed on `cdn`.

    Raises UserError (exit 2): no such release, several, none earlier, a record that cannot
    be read, objects of it pruned (listed; nothing written), a shrink without
    --allow-shrink; PrefixBusy (exit 75) past --lease-wait; RemoteError (exit 1)."""
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    cdn_domain = check_cdn(cdn, store, settings, warn)
    if settings.dry_run:
        store = DryRunStore(store)
    where = f"s3://{store.bucket}/{lease_key(settings.prefix)}"
    stage.set("read")
    first: list[str] = []  # the live record the first look saw
    read, holder = waiting(
        lambda at: _prepare(store, settings, wanted, at, warn, first), settings.lease_wait, where, now, warn
    )
    todo = read.todo
    if settings.dry_run or read.already_live or holder is None:
        planned = invalidation_paths(todo, settings.invalidate_threshold) if cdn and settings.dry_run else ()
        report = Report(todo, None, planned, (), cdn_domain, None, time.monotonic() - started)
        return Rollback(report, read.target, read.live, read.already_live)
    marker = marks(todo, settings.distribution_id)
    finish = not holder.legacy_marker and owes_nothing(todo, marker, cdn, settings)
    restoring = _Restoring(store, sources(todo))
    try:
        done = execute(todo, restoring, settings.jobs, progress or NoProgress(), marker, holder, finish)
    except BaseException:
        holder.abandon()
        raise
    stage.set("invalidate")
    paths, invalidations, error = land(todo, store, cdn, settings, marker, warn, holder, done.finished)
    stage.set("done")
    report = Report(todo, done, paths, invalidations, cdn_domain, error, time.monotonic() - started)
    return Rollback(report, read.target, read.live)


# long: the reads in order, the lease checked, the guard, the plan, the lease taken
def _prepare(
    store: Store, settings: Settings, wanted: str | None, now: datetime, warn: Callable[[str], None],
    first: list[str],
) -> tuple[_Read, Holder | None]:  # fmt: skip
    """The reads (the records, the live and target records, the lease, one listing) and
    the plan; then the lease, taken on the version the first listing saw (a 412: someone
    wrote since, waiting() reads again). Nothing is written before it. `first`: the live
    record of the first look, noted there (see _same_live)."""
    prefix = settings.prefix
    meta = store.listing(prefix, within=meta_prefix(prefix))
    records = meta.release_keys()
    _same_live(store.bucket, prefix, records[-1].key if records else "", wanted, first)
    newest_first = list(reversed(records))
    seen = meta.objects.get(lease_key(prefix))
    held = None if free_by_listing(seen, meta.objects, prefix) else read_lease(store, prefix, warn)
    live = record_of(store, newest_first[0].key, prefix, warn) if newest_first else None
    # A rollback stopped after its record landed (killed before it invalidated and gave
    # its lease up): run again as it was, it finishes that one, not rolls back past it.
    owed = (
        held is not None
        and held.state is State.HELD
        and any(keys for d, keys in held.pending.keys.items() if d != NO_DISTRIBUTION)
    )  # an invalidation: what a stopped rollback can have left to finish past its record
    stopped = bool(records) and owed and held is not None and held.record == records[-1].key
    if wanted is None and stopped and live is not None and live.restores is not None:
        index = 0
    else:
        index = target_index([record_short_id(r.key) for r in newest_first], wanted)
    target = first_published(release_at(store, prefix, newest_first, index, warn, wanted), newest_first)
    # Live already, and nothing owed: nothing to do. A lease still held (a publish or
    # rollback stopped half-way, invalidations owed) is settled first, as a publish does.
    repair = live is not None and target.id == live.id
    if repair and live is not None and not owed:
        return _Read(_nothing(store.bucket, live), target, live, True), None
    if (
        held is not None
        and held.live(now, (store.bucket, lease_key(prefix)))
        and not held.finished(frozenset(r.key for r in records))
        and not settings.dry_run
    ):
        raise LeaseBusy(held)
    found = read_marker(store, prefix, warn) if pending_key(prefix) in meta.objects else None
    if held is not None and held.state is State.HELD:  # killed half-way, or invalidations owed
        found = merge_pending(found, held)
    problem = shrink_of(target, live)
    if problem is not None and not settings.allow_shrink:
        message = (
            f"{problem.replace('this build', 'this rollback')}: a mistake? Pass {SHRINK_FLAG} if it is meant"
        )
        if not settings.dry_run:
            raise UserError(f"{message}; nothing was written")
        warn(message)
    listing = store.listing(prefix, expected=list(target.objects), jobs=settings.jobs)
    written = newest_first[index].last_modified
    known = Known(live, records[-1].last_modified if live is not None else None, _unsure(found), written)
    todo = rollback_plan(store.bucket, target, known, listing, records[-1].key, now, repair=repair)
    if found is not None:
        todo = with_marker(todo, found, settings, warn)
        if not repair:  # a new record: it lists what a publish stopped half-way left
            todo = with_orphans(todo, found, live.objects if live else (), listing.objects)
    if settings.dry_run:
        return _Read(todo, target, live, False), None
    holder = acquire(
        store, prefix, seen, todo.release.key, now,
        conditional=settings.lease, seconds=settings.lease_seconds, owed=found,
        operation=Operation.ROLLBACK,
    )  # fmt: skip
    holder.records_seen = frozenset(r.key for r in records)
    holder.legacy_marker = pending_key(prefix) in meta.objects
    holder.stale = finish_notes(meta.objects, prefix)
    return _Read(todo, target, live, False), holder


def _same_live(bucket: str, prefix: str, newest: str, wanted: str | None, first: list[str]) -> None:
    """ "Back one release" means back from the release live when the command started: when
    another publish or rollback made another one live while this one waited for the lease,
    going back from that one would undo it (two rollbacks at once would cancel out). A
    UserError, nothing written; a named release is made live whatever is live now."""
    if not first:
        first.append(newest)
        return
    if wanted is None and newest != first[0]:
        was, now = record_short_id(first[0]) or "none", record_short_id(newest) or "none"
        raise UserError(
            f"the live release of s3://{bucket}/{prefix} changed while this rollback waited "
            f"(from {was} to {now}); nothing was written: run it again to roll back from {now}, "
            "or name the release to make live"
        )


def _unsure(found: Pending | None) -> frozenset[str]:
    return found.unsure if found is not None else frozenset()


def _nothing(bucket: str, live: Release) -> Plan:
    return Plan(bucket, live.prefix, (), (), live, False, skipped=len(live.objects))
