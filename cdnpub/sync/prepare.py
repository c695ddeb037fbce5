"""A publish's reads, before any write: the release records, the lease, the marker an
older version left, the listing, and the plan; the lease is taken beside them (see
lease.py), so that a plan built from these reads is current when it is written."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

from cdnpub.build.fingerprint import from_build
from cdnpub.build.model import Build
from cdnpub.errors import UserError
from cdnpub.manifest import to_document
from cdnpub.sync.layout import (
    after_newest,
    lease_key,
    looks_like_record,
    meta_prefix,
    pending_key,
    record_is_of,
)
from cdnpub.sync.lease import (
    Holder,
    Lease,
    State,
    acquire,
    finish_notes,
    free_by_listing,
    merge_pending,
    read_lease,
)
from cdnpub.sync.marker import read_marker, with_marker, with_orphans
from cdnpub.sync.pending import Pending
from cdnpub.sync.plan import (
    History,
    Listing,
    Options,
    Plan,
    Prune,
    RemoteObject,
    desired_release,
    kept_name_changed,
    plan,
    unchanged,
)
from cdnpub.sync.ports import Store
from cdnpub.sync.records import grace, record_of
from cdnpub.sync.release import Provenance, Release
from cdnpub.sync.reread import reread_headers
from cdnpub.sync.settings import Settings
from cdnpub.sync.shrink import SHRINK_FLAG, guarded_folders, served_paths, shrink
from cdnpub.sync.waiting import LeaseBusy


def prepare(
    build: Build, store: Store, settings: Settings, now: datetime, warn: Callable[[str], None]
) -> Plan:
    """The plan alone (a dry run, the benches): see _prepare."""
    todo, holder = prepare_held(build, store, settings, now, warn)
    if holder is not None:
        holder.stop()
    return todo


# long: one publish's reads in their round trips, the lease beside them, then the plan
def prepare_held(
    build: Build, store: Store, settings: Settings, now: datetime, warn: Callable[[str], None]
) -> tuple[Plan, Holder | None]:
    """The plan, read from the bucket without writing: the release records and the newest
    of them; when that one is this very build, nothing to do (two requests whatever the
    size of the tree). Otherwise one listing of the prefix (and, to prune, the recent
    records), then the plan; kept names whose ETag cannot tell are read back.

    Raises UserError for a shrink without --allow-shrink (a warning in a dry run), an
    unsafe key, a kept name with other bytes, a prune past --max-delete (not in a dry
    run: it shows the whole prune) or blind (a live record unreadable); RemoteError
    when the store fails. A corrupt record or marker is a warning, not an error."""
    manifest = to_document(from_build(build))
    meta = store.listing(build.prefix, within=meta_prefix(build.prefix))
    records = meta.release_keys()
    for key in sorted(k for k in meta.objects if looks_like_record(k, build.prefix)):
        warn(f"s3://{store.bucket}/{key} is named like a release record but its time is none; ignoring it")
    if records:
        now = after_newest(records[-1].key, now)
    wanted = desired_release(build, manifest, now, settings.plain_copies)
    wanted = replace(wanted, folders=settings.folders, provenance=settings.provenance or Provenance())
    seen = meta.objects.get(lease_key(build.prefix))
    free = free_by_listing(seen, meta.objects, build.prefix)
    writes = not settings.dry_run
    listing: Future[Listing] | None = None
    taking: Future[Holder] | None = None
    held: Lease | None = None
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="cdnpub-listing") as ahead:
        # A record's key ends with its release id: when the newest is not this build's, the
        # whole prefix is listed in any case, so the listing goes out beside the reads of
        # the record and the marker, a round trip sooner. When it may be this build, the
        # record decides first, and an unchanged publish stays two requests.
        if not records or not record_is_of(records[-1].key, wanted.id):
            listing = ahead.submit(_listing, build, store, settings)
            if writes and free:  # the lease beside the listing: no round trip more
                taking = ahead.submit(_acquire, build, store, settings, seen, wanted, now)
        if not free:
            held = read_lease(store, build.prefix, warn)
        last = record_of(store, records[-1].key, build.prefix, warn) if records else None
        found = read_marker(store, build.prefix, warn) if pending_key(build.prefix) in meta.objects else None
        holder = taking.result() if taking is not None else None
    if (
        held is not None
        and held.live(now, (store.bucket, lease_key(build.prefix)))
        and not held.finished(frozenset(r.key for r in records))
        and (writes or not _shortcut_ok(settings, found, last, wanted))
    ):
        if holder is not None:
            holder.stop()
        raise LeaseBusy(held)
    if held is not None and held.state is State.HELD:  # a killed holder, or invalidations owed
        found = merge_pending(found, held)
    try:
        read = (records, meta, wanted, seen, listing)
        return _plan_held(build, store, settings, now, warn, read, (last, found, held), holder)
    except BaseException:  # a refusal (shrink, a kept name changed...): nothing but the lease was written
        if holder is not None:
            holder.abandon()
        raise


def _plan_held(
    build: Build,
    store: Store,
    settings: Settings,
    now: datetime,
    warn: Callable[[str], None],
    read: tuple[list[RemoteObject], Listing, Release, RemoteObject | None, Future[Listing] | None],
    known: tuple[Release | None, Pending | None, Lease | None],
    holder: Holder | None,
) -> tuple[Plan, Holder | None]:
    """prepare_held's second half: the guards and the plan, once the lease is taken (a
    refusal here gives the lease up: the caller abandons the one it took, this function
    the one it takes)."""
    last, found, held = known
    if last is not None and not settings.allow_shrink:
        _guard_shrink(last, build, settings, warn)
    # A marker of a publish that stopped half-way: the bucket may not be what the newest
    # record says, so compare everything (the shortcut only settles invalidations owed).
    shortcut = _shortcut_ok(settings, found, last, wanted := read[2])
    if settings.dry_run or holder is not None or (shortcut and held is None):
        return _planned(build, store, settings, now, warn, read, known, holder, shortcut), holder
    # Taking over a lease: ours carries what the held one owed and listed at once, so that a
    # failure before our first update loses none of it.
    taken = _acquire(build, store, settings, read[3], wanted, now, found)
    try:
        return _planned(build, store, settings, now, warn, read, known, taken, shortcut), taken
    except BaseException:
        taken.abandon()
        raise


def _planned(
    build: Build,
    store: Store,
    settings: Settings,
    now: datetime,
    warn: Callable[[str], None],
    read: tuple[list[RemoteObject], Listing, Release, RemoteObject | None, Future[Listing] | None],
    known: tuple[Release | None, Pending | None, Lease | None],
    holder: Holder | None,
    shortcut: bool,
) -> Plan:
    """The plan: the unchanged one when `shortcut`, else one from the whole listing."""
    records, meta, wanted, _, listing = read
    last, found, _ = known
    todo = unchanged(store.bucket, build, last, wanted) if shortcut else None
    objects: Mapping[str, RemoteObject] = {}  # the prefix's listing, when made
    if todo is None:
        if holder is not None:
            holder.records_seen = frozenset(r.key for r in records)
            holder.legacy_marker = pending_key(build.prefix) in meta.objects
            holder.stale = finish_notes(meta.objects, build.prefix)
        if settings.prune_older_than is not None and found is not None and not found.landed:
            # Live plain copies of that publish may point at objects no record names, and
            # edges may hold them until this publish's invalidation completes.
            warn("not pruning while repairing a publish that stopped half-way; the next publish prunes")
            settings = replace(settings, prune_older_than=None)
        history = History(
            last=last,
            # --verify trusts no time: an object written before the record by a writer that
            # overlapped it (a lease taken over from a paused holder) is compared by its ETag.
            last_written=records[-1].last_modified
            if records and last is not None and not settings.verify
            else None,
            unsure=found.unsure if found is not None else frozenset(),
        )
        listed = listing.result() if listing is not None else _listing(build, store, settings)
        todo = _full_plan(build, store, settings, now, warn, records, history, wanted, listed)
        objects = listed.objects
    if settings.dry_run and len(todo.prune) > settings.max_delete:
        warn(f"pruning would delete {len(todo.prune)} objects, more than --max-delete {settings.max_delete}")
    if found is not None:
        named = last.objects if last else ()
        todo = with_orphans(with_marker(todo, found, settings, warn), found, named, objects)
    confirm_kept(todo, store)
    return reread_headers(todo, build, store, settings.plain_copies, settings.jobs)


def _shortcut_ok(settings: Settings, found: Pending | None, last: Release | None, wanted: Release) -> bool:
    """The two-request path: the newest record is this build, no marker or lease of a
    publish stopped half-way, nothing asked to look further."""
    return (
        settings.prune_older_than is None
        and not settings.verify
        and (found is None or found.landed)
        and last is not None
        and last.id == wanted.id
    )


def _acquire(
    build: Build, store: Store, settings: Settings, seen: RemoteObject | None, wanted: Release, now: datetime,
    owed: Pending | None = None,
) -> Holder:  # fmt: skip
    # A prune deletes after its record lands: its lease names no record, so that it never
    # reads as finished (Lease.finished) while the deletes are still to come.
    record = "" if settings.prune_older_than is not None else wanted.key
    return acquire(
        store, build.prefix, seen, record, now,
        conditional=settings.lease, seconds=settings.lease_seconds, owed=owed,
    )  # fmt: skip


def confirm_kept(todo: Plan, store: Store) -> None:
    """Read back the kept-name objects whose ETag could not tell (Plan.unverified): other
    bytes under a name served immutable end the publish before any write."""
    for blob in todo.unverified:
        if hashlib.sha256(store.get_bytes(blob.key)).hexdigest() != blob.asset.sha256:
            raise kept_name_changed(blob, store.bucket)


def _guard_shrink(last: Release, build: Build, settings: Settings, warn: Callable[[str], None]) -> None:
    folders = guarded_folders(settings.folders, last.folders, settings.merged)
    problem = shrink(served_paths(last.manifest), {a.path for a in build.assets}, folders)
    if problem is None:
        return
    message = f"{problem}: a mistake? Pass {SHRINK_FLAG} if it is meant"
    if settings.dry_run:
        warn(message)  # the plan shows what would go; the publish stops
        return
    raise UserError(f"{message}; nothing was written")


def _full_plan(
    build: Build,
    store: Store,
    settings: Settings,
    now: datetime,
    warn: Callable[[str], None],
    records: list[RemoteObject],
    history: History,
    wanted: Release,
    listing: Listing,
) -> Plan:
    """The plan against the whole listing; to prune, the records of the releases live in
    the grace period are read (one unreadable is a UserError: pruning blind could delete
    what it serves) and those of the expired ones."""
    prune: Prune | None = None
    if settings.prune_older_than is not None:
        cutoff = now - settings.prune_older_than
        recent, expired = grace(build.prefix, store, warn, records, history.last, cutoff)
        history = replace(history, recent=recent, expired=expired)
        # A dry run shows the whole prune, however long: that is how to check it.
        max_delete = sys.maxsize if settings.dry_run else settings.max_delete
        prune = Prune(cutoff, max_delete, settings.prune_foreign)
    return plan(build, store.bucket, listing, history, wanted, Options(settings.plain_copies, prune))


def _listing(build: Build, store: Store, settings: Settings) -> Listing:
    """The whole prefix. The keys this build wants (most of what it holds) cut the listing
    into ranges listed in parallel; what else the bucket holds is listed all the same."""
    wanted_keys = [k for a in build.assets for k in (a.key, a.plain_key) if k is not None]
    return store.listing(build.prefix, expected=wanted_keys, jobs=settings.jobs)
