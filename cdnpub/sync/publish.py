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
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Protocol

from cdnpub.build.fingerprint import from_build
from cdnpub.build.model import Build
from cdnpub.errors import CdnpubError, UserError
from cdnpub.manifest import to_document
from cdnpub.sync.dry_run import DryRunStore
from cdnpub.sync.invalidation import Invalidation, collapse
from cdnpub.sync.layout import after_newest, looks_like_record, meta_prefix, pending_key, record_is_of
from cdnpub.sync.marker import leave, marks, read_marker, settle, with_marker
from cdnpub.sync.pending import Pending
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
from cdnpub.sync.release import Provenance, Release, dumps
from cdnpub.sync.settings import Settings
from cdnpub.sync.shrink import SHRINK_FLAG, guarded_folders, served_paths, shrink
from cdnpub.urls import invalidation_path, under

# The step a publish of this context is in, for the line an interrupt prints (what landed):
# "" before any publish, "read", the execute phases ("fingerprinted", "plain", "release",
# "prune"), "invalidate", then "done" once publish() returned.
stage: ContextVar[str] = ContextVar("cdnpub_publish_stage", default="")


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
    listing: Future[Listing] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdnpub-listing") as ahead:
        # A record's key ends with its release id: when the newest is not this build's, the
        # whole prefix is listed in any case, so the listing goes out beside the reads of
        # the record and the marker, a round trip sooner. When it may be this build, the
        # record decides first, and an unchanged publish stays two requests.
        if not records or not record_is_of(records[-1].key, wanted.id):
            listing = ahead.submit(_listing, build, store, settings)
        last = record_of(store, records[-1].key, build.prefix, warn) if records else None
        found = read_marker(store, build.prefix, warn) if pending_key(build.prefix) in meta.objects else None
    if last is not None and not settings.allow_shrink:
        _guard_shrink(last, build, settings, warn)
    todo = None
    # A marker of a publish that stopped half-way: the bucket may not be what the newest
    # record says, so compare everything.
    if settings.prune_older_than is None and not settings.verify and (found is None or found.landed):
        todo = unchanged(store.bucket, build, last, wanted)
    if todo is None:
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
    return todo


def confirm_kept(todo: Plan, store: Store) -> None:
    """Read back the kept-name objects whose ETag could not tell (Plan.unverified): other
    bytes under a name served immutable end the publish before any write."""
    for blob in todo.unverified:
        if hashlib.sha256(store.get_bytes(blob.key)).hexdigest() != blob.asset.sha256:
            raise kept_name_changed(blob, store.bucket)


def _guard_shrink(last: Release, build: Build, settings: Settings, warn: Callable[[str], None]) -> None:
    folders = guarded_folders(settings.folders, last.folders)
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


def execute(todo: Plan, store: Store, jobs: int, progress: Progress, marker: Pending | None = None) -> Done:
    """Write the plan phase by phase: the marker (when given), every fingerprinted key,
    every plain-name copy, the release record, then the deletes. The first failure
    (RemoteError, or UserError for a file changed since the build) cancels what is
    not yet running, waits for the rest and is raised: no later phase starts, so no
    live object names a missing one, and no record claims a release half written."""
    uploaded = fixed = 0
    nbytes = 0
    if marker is not None:
        leave(todo, store, marker)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="cdnpub") as pool:
        for name, waves in (("fingerprinted", (todo.fingerprinted,)), ("plain", todo.plain_in_order())):
            _run_phase(pool, name, waves, store, progress)
            actions = [a for wave in waves for a in wave]
            uploads = [a for a in actions if a.reason is not Reason.HEADERS]
            uploaded += len(uploads)
            nbytes += sum(a.sent_bytes for a in actions)
            fixed += len(actions) - len(uploads)
    if todo.write_release:
        stage.set("release")
        progress.phase("release", 1, 0)
        store.put_private(todo.release.key, dumps(todo.release), "application/gzip")
        progress.advance(None, 0)
    if todo.prune:
        stage.set("prune")
        progress.phase("prune", len(todo.prune), 0)
        store.delete(todo.prune)
        progress.advance(None, 0)
    return Done(uploaded, nbytes, fixed, len(todo.prune), todo.write_release)


def _run_phase(
    pool: ThreadPoolExecutor,
    name: str,
    waves: Sequence[Sequence[Action]],
    store: Store,
    progress: Progress,
) -> None:
    """One phase, wave after wave (the plain phase's order.waves; one wave otherwise),
    each wave's actions `pool`'s size at a time."""
    actions = [a for wave in waves for a in wave]
    if not actions:
        return
    stage.set(name)
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

    for wave in waves:
        _run_wave(pool, run, wave)


def _run_wave(pool: ThreadPoolExecutor, run: Callable[[Action], None], wave: Sequence[Action]) -> None:
    """Run every action of the wave; the first failure cancels what has not started,
    waits for what runs, and is raised. Ctrl-C or SIGTERM stops the queueing too: only
    what is running finishes."""
    futures: list[Future[None]] = [pool.submit(run, a) for a in wave]  # dependencies first
    try:
        finished, pending = wait(futures, return_when=FIRST_EXCEPTION)
    except BaseException:  # Ctrl-C, SIGTERM: stop queueing, finish only what is running
        for f in futures:
            f.cancel()
        raise
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
    floor = invalidation_path(under(todo.prefix))
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
    stage.set("read")
    progress = progress or NoProgress()
    now = now or datetime.now(timezone.utc)
    cdn_domain = _check_cdn(cdn, store, settings, warn)
    if settings.dry_run:
        store = DryRunStore(store)
    todo = prepare(build, store, settings, now, warn)
    if settings.dry_run:
        planned = invalidation_paths(todo, settings.invalidate_threshold) if cdn else ()
        return Report(todo, None, planned, (), cdn_domain, None, time.monotonic() - started)
    marker = marks(todo, settings.distribution_id)
    done = execute(todo, store, settings.jobs, progress, marker)
    stage.set("invalidate")
    paths, invalidations, error = _land(todo, store, cdn, settings, marker, warn)
    stage.set("done")
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
    if error is None:
        try:
            settle(todo, store, marker, settings.distribution_id)
        except CdnpubError as err:  # all landed: the next publish only checks once more
            warn(f"could not clear s3://{store.bucket}/{pending_key(todo.prefix)}: {err}")
    return paths, invalidations, error
