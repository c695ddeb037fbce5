"""The one place that runs the chain: build -> plan -> execute -> invalidate.

Execution goes in phases so that the live site never references a missing
object: every fingerprinted object first, then the plain-name copies (which
reference fingerprinted names), then the release record, then deletes. A phase
starts only when the one before it fully succeeded.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Protocol

from cdnpub.build.fingerprint import from_build
from cdnpub.build.model import Build
from cdnpub.errors import CdnpubError, LeaseConflict, PrefixBusy, UserError
from cdnpub.manifest import to_document
from cdnpub.sync.dry_run import DryRunStore
from cdnpub.sync.invalidation import Invalidation, collapse
from cdnpub.sync.layout import (
    after_newest,
    lease_key,
    looks_like_record,
    meta_prefix,
    pending_key,
    record_is_of,
    releases_prefix,
)
from cdnpub.sync.lease import Holder, Lease, State, acquire, free_by_listing
from cdnpub.sync.lease import loads as lease_loads
from cdnpub.sync.marker import leave, marks, read_marker, settle, with_marker
from cdnpub.sync.pending import NO_DISTRIBUTION, Pending
from cdnpub.sync.plan import (
    Action,
    History,
    Listing,
    Options,
    Plan,
    Prune,
    Reason,
    RemoteObject,
    desired_release,
    kept_name_changed,
    plan,
    unchanged,
)
from cdnpub.sync.ports import Cdn, Store
from cdnpub.sync.records import grace, record_of
from cdnpub.sync.release import Release, dumps
from cdnpub.sync.settings import Settings
from cdnpub.sync.shrink import SHRINK_FLAG, served_paths, shrink
from cdnpub.urls import invalidation_path


class Progress(Protocol):
    def phase(self, name: str, total: int, total_bytes: int) -> None: ...
    def advance(self, action: Action | None, nbytes: int) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int, total_bytes: int) -> None:
        pass

    def advance(self, action: Action | None, nbytes: int) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Done:
    """What execute wrote: counts of objects, bytes sent (a copy in place sends none)."""

    uploaded: int = 0
    uploaded_bytes: int = 0
    fixed: int = 0
    deleted: int = 0
    release_written: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """One publish: the plan, what was written, what was invalidated. `--json` and the
    summary lines are made of it (cdnpub.commands.report)."""

    plan: Plan
    done: Done | None  # None for a dry run: nothing was written
    invalidation_paths: tuple[str, ...] = ()  # URL paths sent (a dry run: would be sent)
    invalidations: tuple[Invalidation, ...] = ()  # as CloudFront answered
    cdn_domain: str | None = None  # what viewers use; None without a distribution
    invalidation_error: CdnpubError | None = None  # the uploads stand; the next publish retries
    seconds: float = 0.0  # wall time


def prepare(
    build: Build, store: Store, settings: Settings, now: datetime, warn: Callable[[str], None]
) -> Plan:
    """The plan alone (a dry run, the benches): see _prepare."""
    todo, holder = _prepare(build, store, settings, now, warn)
    if holder is not None:
        holder.stop()
    return todo


def _prepare(
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
    seen = meta.objects.get(lease_key(build.prefix))
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
            if writes and free_by_listing(seen):  # the lease beside the listing: no round trip more
                taking = ahead.submit(_acquire, build, store, settings, seen, wanted, now)
        if not free_by_listing(seen):
            held = _read_lease(store, build.prefix, warn)
        last = record_of(store, records[-1].key, build.prefix, warn) if records else None
        found = read_marker(store, build.prefix, warn) if pending_key(build.prefix) in meta.objects else None
        holder = taking.result() if taking is not None else None
    if held is not None and held.live(now) and (writes or not _shortcut_ok(settings, found, last, wanted)):
        if holder is not None:
            holder.stop()
        raise LeaseBusy(held)
    if held is not None and held.state is State.HELD:  # a killed holder, or invalidations owed
        found = _merge(found, held)
    if last is not None and not settings.allow_shrink:
        _guard_shrink(last, build, settings, warn)
    todo = None
    # A marker of a publish that stopped half-way: the bucket may not be what the newest
    # record says, so compare everything.
    if _shortcut_ok(settings, found, last, wanted):
        todo = unchanged(store.bucket, build, last, wanted)
        if writes and held is not None and holder is None:  # invalidations owed: settle them under the lease
            holder = _acquire(build, store, settings, seen, wanted, now)
    if todo is None:
        if writes and holder is None:
            holder = _acquire(build, store, settings, seen, wanted, now)
        if holder is not None:
            holder.records_seen = frozenset(r.key for r in records)
            holder.legacy_marker = pending_key(build.prefix) in meta.objects
        if settings.prune_older_than is not None and found is not None and not found.landed:
            # Live plain copies of that publish may point at objects no record names, and
            # edges may hold them until this publish's invalidation completes.
            warn("not pruning while repairing a publish that stopped half-way; the next publish prunes")
            settings = replace(settings, prune_older_than=None)
        history = History(
            last=last,
            last_written=records[-1].last_modified if records and last is not None else None,
            unsure=found.unsure if found is not None else frozenset(),
        )
        listed = listing.result() if listing is not None else _listing(build, store, settings)
        todo = _full_plan(build, store, settings, now, warn, records, history, wanted, listed)
    if settings.dry_run and len(todo.prune) > settings.max_delete:
        warn(f"pruning would delete {len(todo.prune)} objects, more than --max-delete {settings.max_delete}")
    if found is not None:
        todo = with_marker(todo, found, settings, warn)
    confirm_kept(todo, store)
    return todo, holder


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


class LeaseBusy(Exception):
    """A live lease of another publish: wait and plan again (publish), or PrefixBusy."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(lease.describe())
        self.lease = lease


def _acquire(
    build: Build, store: Store, settings: Settings, seen: RemoteObject | None, wanted: Release, now: datetime
) -> Holder:
    return acquire(
        store, build.prefix, seen, wanted.key, now, conditional=settings.lease, seconds=settings.lease_seconds
    )


def _read_lease(store: Store, prefix: str, warn: Callable[[str], None]) -> Lease:
    """The lease the listing saw held; a corrupt one counts as a holder killed half-way
    (its keys unknown: every object is compared)."""
    key = lease_key(prefix)
    try:
        return lease_loads(store.get_bytes(key), f"s3://{store.bucket}/{key}")
    except UserError as err:
        warn(f"{err}; taking it for a publish stopped half-way")
        return Lease(State.HELD, "unknown", expires=datetime.min.replace(tzinfo=timezone.utc))


def _merge(found: Pending | None, held: Lease) -> Pending:
    """A legacy marker and the lease's pending keys, its written keys as unsure ones."""
    keys = dict(found.keys) if found is not None else {}
    for d, k in held.pending.keys.items():
        keys[d] = tuple(sorted({*keys.get(d, ()), *k}))
    landed = held.pending.landed and (found is None or found.landed) and not held.written
    merged = Pending(keys, landed)
    if held.written:
        merged = merged.adding(NO_DISTRIBUTION, held.written)
    return merged


def confirm_kept(todo: Plan, store: Store) -> None:
    """Read back the kept-name objects whose ETag could not tell (Plan.unverified): other
    bytes under a name served immutable end the publish before any write."""
    for blob in todo.unverified:
        if hashlib.sha256(store.get_bytes(blob.key)).hexdigest() != blob.asset.sha256:
            raise kept_name_changed(blob, store.bucket)


def _guard_shrink(last: Release, build: Build, settings: Settings, warn: Callable[[str], None]) -> None:
    problem = shrink(served_paths(last.manifest), {a.path for a in build.assets}, settings.folders)
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


def execute(
    todo: Plan,
    store: Store,
    jobs: int,
    progress: Progress,
    marker: Pending | None = None,
    holder: Holder | None = None,
) -> Done:
    """Write the plan phase by phase: the marker (when given, without a lease), every
    fingerprinted key, every plain-name copy, the release record, then the deletes.
    Under a lease (`holder`), the lease takes the marker's place: it is written with the
    pending keys and the keys this publish writes beside the fingerprinted phase, and
    checked before each later phase. The first failure (RemoteError, or UserError for a
    file changed since the build, or a lost lease) cancels what is not yet running,
    waits for the rest and is raised: no later phase starts, so no live object names a
    missing one, and no record claims a release half written."""
    uploaded = fixed = 0
    nbytes = 0
    if marker is not None and holder is None:
        leave(todo, store, marker)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="cdnpub") as pool:
        marking: Future[None] | None = None
        if holder is not None and (todo.fingerprinted or todo.plain or todo.write_release or todo.prune):
            owed = marker or (todo.pending.adding(NO_DISTRIBUTION, ()) if todo.pending else Pending())
            written = tuple(a.blob.key for a in (*todo.fingerprinted, *todo.plain))
            marking = pool.submit(holder.update, owed, written)
        for name, actions in (("fingerprinted", todo.fingerprinted), ("plain", todo.plain)):
            _run_phase(pool, name, actions, store, progress)
            if marking is not None:  # must land before the first plain write
                marking.result()
                marking = None
            uploaded, nbytes, fixed = _count(actions, uploaded, nbytes, fixed)
    if holder is not None:
        holder.check()
    if todo.write_release:
        progress.phase("release", 1, 0)
        store.put_private(todo.release.key, dumps(todo.release), "application/gzip")
        progress.advance(None, 0)
    prune = _recheck_prune(todo, store, holder) if todo.prune else ()
    if prune:
        progress.phase("prune", len(prune), 0)
        store.delete(prune)
        progress.advance(None, 0)
    return Done(uploaded, nbytes, fixed, len(prune), todo.write_release)


def _count(actions: Sequence[Action], uploaded: int, nbytes: int, fixed: int) -> tuple[int, int, int]:
    uploads = [a for a in actions if a.reason is not Reason.HEADERS]
    return (
        uploaded + len(uploads),
        nbytes + sum(a.sent_bytes for a in actions),
        fixed + len(actions) - len(uploads),
    )


def _recheck_prune(todo: Plan, store: Store, holder: Holder | None) -> tuple[str, ...]:
    """The prune as planned, less what a record written since the plan's listing names
    (a rollback that reused old objects): under the lease there is none, unless a
    holder was taken for dead while alive, or publishes run with --no-lease."""
    if holder is not None:
        holder.check()
    seen = holder.records_seen if holder is not None else frozenset()
    now = store.listing(todo.prefix, within=releases_prefix(todo.prefix)).release_keys()
    newer = [
        o.key for o in now if o.key not in seen and o.key != todo.release.key and o.key not in todo.prune
    ]
    if holder is None or not newer:
        return todo.prune
    keep: set[str] = set(newer)
    for key in newer:
        found = record_of(store, key, todo.prefix, lambda message: None)
        keep.update(found.objects if found is not None else ())
    return tuple(k for k in todo.prune if k not in keep)


def _waiting(
    build: Build, store: Store, settings: Settings, now: datetime, warn: Callable[[str], None]
) -> tuple[Plan, Holder | None]:
    """_prepare, again while another publish holds the lease (saying so once), up to
    --lease-wait seconds; then PrefixBusy naming the holder. A lost race for the lease
    (LeaseConflict: someone wrote since our listing) lists and plans again at once."""
    deadline = time.monotonic() + settings.lease_wait
    delay, said = 0.5, False
    while True:
        try:
            return _prepare(build, store, settings, now, warn)
        except LeaseBusy as busy:
            if time.monotonic() >= deadline:
                raise PrefixBusy(
                    f"another publish holds s3://{store.bucket}/{lease_key(build.prefix)}: "
                    f"{busy.lease.describe()}; nothing was written (try again, or raise --lease-wait)"
                ) from None
            if not said:
                warn(
                    f"waiting up to {settings.lease_wait:.0f} s for another publish: {busy.lease.describe()}"
                )
                said = True
        except LeaseConflict:
            if time.monotonic() >= deadline:
                raise
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 10.0)
        now = datetime.now(timezone.utc)


def _run_phase(
    pool: ThreadPoolExecutor, name: str, actions: Sequence[Action], store: Store, progress: Progress
) -> None:
    if not actions:
        return
    progress.phase(name, len(actions), sum(a.sent_bytes for a in actions))

    def run(action: Action) -> None:
        blob = action.blob
        # Plain-name copies are uploaded, not copied from the fingerprinted key: a
        # server-side copy of a multipart object gets a single-part ETag, which the next
        # publish could no longer compare with the local one (see Action.copies).
        if action.copies:
            store.copy(blob, blob.key)
        else:
            store.upload(blob)
        progress.advance(action, action.sent_bytes)

    futures: list[Future[None]] = [pool.submit(run, a) for a in actions]  # dependencies first
    finished, pending = wait(futures, return_when=FIRST_EXCEPTION)
    failed = [f for f in finished if f.exception() is not None]
    if not failed:
        return
    for f in pending:
        f.cancel()
    wait(pending)
    error = failed[0].exception()
    assert error is not None
    raise error


def invalidate(todo: Plan, cdn: Cdn, settings: Settings) -> tuple[tuple[str, ...], tuple[Invalidation, ...]]:
    paths = invalidation_paths(todo, settings.invalidate_threshold)
    if settings.dry_run or not paths:
        return paths, ()
    # The record key (time + content id), not the content id alone: publishing A, B, A, B
    # again must invalidate again, while a retry of the same release must not.
    done = cdn.invalidate(paths, todo.release.key)
    if settings.wait:
        done = cdn.wait(done, settings.wait_timeout)
    return paths, done


def invalidation_paths(todo: Plan, threshold: int) -> tuple[str, ...]:
    paths = [invalidation_path(k) for k in todo.invalidate]
    floor = invalidation_path(todo.prefix) + "/" if todo.prefix else "/"
    return collapse(paths, threshold, floor=floor)


def publish(
    build: Build,
    store: Store,
    settings: Settings,
    cdn: Cdn | None = None,
    progress: Progress | None = None,
    warn: Callable[[str], None] = lambda message: None,
    now: datetime | None = None,
) -> Report:
    """Make `store` hold `build` (prepare, then execute), invalidate on `cdn`, settle the
    pending marker. A dry run plans against a DryRunStore, which refuses every write
    (AssertionError), and reports `done=None`.

    `warn` gets each one-line warning (a corrupt record, a foreign origin, a shrink in a
    dry run); `now` (UTC) is the publish's time, injectable for tests.

    Raises UserError (exit 2) for what the user can fix: a wrong distribution or bucket,
    credentials, an unsafe key, a kept name with other bytes, a shrink without
    --allow-shrink, a prune past --max-delete, a file changed since the build; and
    RemoteError (exit 1) when the store fails after retries. Either one, raised by
    `execute`, leaves the site whole: no phase starts before the one before it
    succeeded, and no record is written after a failed phase. A failed invalidation
    raises nothing: the uploads stand, the error is `Report.invalidation_error`, and
    the marker keeps the paths for the next publish."""
    started = time.monotonic()
    progress = progress or NoProgress()
    now = now or datetime.now(timezone.utc)
    cdn_domain = _check_cdn(cdn, store, settings, warn)
    if settings.dry_run:
        store = DryRunStore(store)
    todo, holder = _waiting(build, store, settings, now, warn)
    if settings.dry_run:
        planned = invalidation_paths(todo, settings.invalidate_threshold) if cdn else ()
        return Report(todo, None, planned, (), cdn_domain, None, time.monotonic() - started)
    marker = marks(todo, settings.distribution_id)
    try:
        done = execute(todo, store, settings.jobs, progress, marker, holder)
    except BaseException:
        if holder is not None:
            holder.abandon()
        raise
    paths, invalidations, error = _land(todo, store, cdn, settings, marker, warn, holder)
    return Report(todo, done, paths, invalidations, cdn_domain, error, time.monotonic() - started)


def _check_cdn(cdn: Cdn | None, store: Store, settings: Settings, warn: Callable[[str], None]) -> str | None:
    """The domain viewers use (None without a CDN); fails early, before any write, on a
    wrong distribution id."""
    if cdn is None:
        return None
    domain = cdn.domain_name()
    if not cdn.serves_bucket(store.bucket):
        warn(f"CloudFront distribution {settings.distribution_id} has no origin for bucket {store.bucket}")
    return settings.cdn_domain or domain


def _land(
    todo: Plan,
    store: Store,
    cdn: Cdn | None,
    settings: Settings,
    marker: Pending | None,
    warn: Callable[[str], None],
    holder: Holder | None = None,
) -> tuple[tuple[str, ...], tuple[Invalidation, ...], CdnpubError | None]:
    """After the writes: invalidate, then settle the marker. (paths, invalidations, the
    invalidation's error): a failed invalidation keeps the marker for the next publish."""
    paths: tuple[str, ...] = ()
    invalidations: tuple[Invalidation, ...] = ()
    error: CdnpubError | None = None
    if cdn is not None:
        try:
            paths, invalidations = invalidate(todo, cdn, settings)
        except CdnpubError as err:  # the upload stands; the marker keeps the paths for the next publish
            paths = invalidation_paths(todo, settings.invalidate_threshold)
            error = type(err)(f"{err}; the uploads stand, and the next publish retries the invalidation")
    try:
        if holder is None:
            if error is None:
                settle(todo, store, marker, settings.distribution_id)
        else:
            current = marker or todo.pending or Pending()
            owed = current.settled(settings.distribution_id or NO_DISTRIBUTION)
            if error is not None:  # the record landed; the invalidation is still owed
                owed = Pending(current.keys, landed=True)
            if holder.legacy_marker:
                store.delete([pending_key(todo.prefix)])  # an older version's marker: now in the lease
            holder.release(owed)
    except CdnpubError as err:  # all landed: the next publish only checks once more
        warn(f"could not settle s3://{store.bucket}/{lease_key(todo.prefix)}: {err}")
    return paths, invalidations, error
