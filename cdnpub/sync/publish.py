"""The one place that runs the chain: build -> plan -> execute -> invalidate.

Execution goes in phases so that the live site never references a missing
object: every fingerprinted object first, then the plain-name copies (which
reference fingerprinted names), then the release record, then deletes. A phase
starts only when the one before it fully succeeded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from cdnpub.build.model import Build
from cdnpub.errors import CdnpubError
from cdnpub.sync.dry_run import DryRunStore
from cdnpub.sync.invalidation import Invalidation, collapse
from cdnpub.sync.layout import (
    lease_key,
    pending_key,
)
from cdnpub.sync.lease import (
    Holder,
)
from cdnpub.sync.marker import leave, marks, settle
from cdnpub.sync.pending import NO_DISTRIBUTION, Pending
from cdnpub.sync.plan import (
    Action,
    Plan,
    Reason,
)
from cdnpub.sync.ports import Cdn, Store
from cdnpub.sync.prepare import confirm_kept, prepare, prepare_held
from cdnpub.sync.recheck import recheck_prune
from cdnpub.sync.waiting import waiting

__all__ = [
    "Done",
    "Report",
    "confirm_kept",
    "execute",
    "prepare",
    "publish",
]  # prepare: the benches, confirm_kept: tests
from cdnpub.sync.release import dumps
from cdnpub.sync.settings import Settings
from cdnpub.sync.stage import stage
from cdnpub.urls import invalidation_path, under


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
    finished: bool = False  # the lease freed by a finish note beside the record (lease.py)


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


def execute(
    todo: Plan,
    store: Store,
    jobs: int,
    progress: Progress,
    marker: Pending | None = None,
    holder: Holder | None = None,
    finish: bool = False,
) -> Done:
    """Write the plan phase by phase: the marker (when given, without a lease), every
    fingerprinted key, every plain-name copy, the release record, then the deletes.
    Under a lease (`holder`), the lease takes the marker's place: it is written with the
    pending keys and the keys this publish writes beside the fingerprinted phase, and
    checked before each later phase; with `finish` (nothing owed once the record lands),
    a finish note beside the record frees the lease instead of a write after it. The
    first failure (RemoteError, or UserError for a
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
            if holder.stale:  # earlier holders' finish notes: they name ETags now gone
                pool.submit(store.delete, holder.stale)
        for name, waves in (("fingerprinted", (todo.fingerprinted,)), ("plain", todo.plain_in_order())):
            guard = holder.check if holder is not None else None
            _run_phase(pool, name, waves, store, progress, todo.from_bucket, guard)
            actions = [a for wave in waves for a in wave]
            if marking is not None:  # must land before the first plain write
                marking.result()
                marking = None
            uploaded, nbytes, fixed = _count(actions, uploaded, nbytes, fixed)
    if todo.from_bucket:  # copies in the bucket: no byte sent
        nbytes = 0
    if holder is not None:
        holder.check()
    finished = False
    if todo.write_release:
        stage.set("release")
        progress.phase("release", 1, 0)
        note = holder.finish() if finish and holder is not None and not todo.prune else None
        finished = _write_release(todo, store, note)
        progress.advance(None, 0)
    prune = recheck_prune(todo, store, holder) if todo.prune else ()
    if prune:
        stage.set("prune")
        progress.phase("prune", len(prune), 0)
        store.delete(prune)
        progress.advance(None, 0)
    return Done(uploaded, nbytes, fixed, len(prune), todo.write_release, finished)


def _write_release(todo: Plan, store: Store, note: str | None) -> bool:
    """The record, and beside it the finish note `note` (when given): whether the note
    landed. A failed record raises; a failed note leaves the lease to release()."""
    if note is None:
        store.put_private(todo.release.key, dumps(todo.release), "application/gzip")
        return False
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="cdnpub-release") as pool:
        record = pool.submit(store.put_private, todo.release.key, dumps(todo.release), "application/gzip")
        noted = pool.submit(store.put_private, note, b"", "application/octet-stream")
        record.result()
        try:
            noted.result()
        except CdnpubError:
            return False
    return True


def _count(actions: Sequence[Action], uploaded: int, nbytes: int, fixed: int) -> tuple[int, int, int]:
    uploads = [a for a in actions if a.reason is not Reason.HEADERS]
    return (
        uploaded + len(uploads),
        nbytes + sum(a.sent_bytes for a in actions),
        fixed + len(actions) - len(uploads),
    )


def _run_phase(
    pool: ThreadPoolExecutor,
    name: str,
    waves: Sequence[Sequence[Action]],
    store: Store,
    progress: Progress,
    from_bucket: bool = False,
    guard: Callable[[], None] | None = None,
) -> None:
    """One phase, wave after wave (the plain phase's order.waves; one wave otherwise),
    each wave's actions `pool`'s size at a time. `from_bucket`: a rollback's copies, which
    send no byte (the progress counts none). `guard` runs before each write (the lease
    still held: Holder.check)."""
    actions = [a for wave in waves for a in wave]
    if not actions:
        return
    stage.set(name)
    sent = 0 if from_bucket else sum(a.sent_bytes for a in actions)  # a copy in the bucket sends none
    progress.phase(name, len(actions), sent)

    def run(action: Action) -> None:
        if guard is not None:
            guard()
        blob = action.blob
        # Plain-name copies are uploaded, not copied from the fingerprinted key: a
        # server-side copy of a multipart object gets a single-part ETag, which the next
        # publish could no longer compare with the local one (see Action.copies).
        if action.copies:
            store.copy(blob, blob.key)
        else:
            store.upload(blob)
        progress.advance(action, 0 if from_bucket else action.sent_bytes)

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
    progress = progress or NoProgress()
    now = now or datetime.now(timezone.utc)
    cdn_domain = check_cdn(cdn, store, settings, warn)
    if settings.dry_run:
        store = DryRunStore(store)
    where = f"s3://{store.bucket}/{lease_key(build.prefix)}"
    stage.set("read")
    todo, holder = waiting(
        lambda at: prepare_held(build, store, settings, at, warn), settings.lease_wait, where, now, warn
    )
    if settings.dry_run:
        planned = invalidation_paths(todo, settings.invalidate_threshold) if cdn else ()
        return Report(todo, None, planned, (), cdn_domain, None, time.monotonic() - started)
    marker = marks(todo, settings.distribution_id)
    finish = holder is not None and not holder.legacy_marker and owes_nothing(todo, marker, cdn, settings)
    try:
        done = execute(todo, store, settings.jobs, progress, marker, holder, finish)
    except BaseException:
        if holder is not None:
            holder.abandon()
        raise
    stage.set("invalidate")
    paths, invalidations, error = land(todo, store, cdn, settings, marker, warn, holder, done.finished)
    stage.set("done")
    return Report(todo, done, paths, invalidations, cdn_domain, error, time.monotonic() - started)


def owes_nothing(todo: Plan, marker: Pending | None, cdn: Cdn | None, settings: Settings) -> bool:
    """Once its record lands, this publish owes nothing (no invalidation to send, none
    left from before, no older version's marker to remove): its lease can be freed by a
    finish note beside the record, a round trip sooner than a `done` after it."""
    if cdn is not None and invalidation_paths(todo, settings.invalidate_threshold):
        return False
    current = marker or todo.pending or Pending()
    return not current.settled(settings.distribution_id or NO_DISTRIBUTION).keys


def check_cdn(cdn: Cdn | None, store: Store, settings: Settings, warn: Callable[[str], None]) -> str | None:
    """The domain viewers use (None without a CDN); fails early, before any write, on a
    wrong distribution id."""
    if cdn is None:
        return None
    domain = cdn.domain_name()
    if not cdn.serves_bucket(store.bucket):
        warn(f"CloudFront distribution {settings.distribution_id} has no origin for bucket {store.bucket}")
    return settings.cdn_domain or domain


def land(
    todo: Plan,
    store: Store,
    cdn: Cdn | None,
    settings: Settings,
    marker: Pending | None,
    warn: Callable[[str], None],
    holder: Holder | None = None,
    finished: bool = False,
) -> tuple[tuple[str, ...], tuple[Invalidation, ...], CdnpubError | None]:
    """After the writes: invalidate, then settle the marker (or release the lease, unless
    a finish note freed it: `finished`). (paths, invalidations, the invalidation's
    error): a failed invalidation keeps the marker for the next publish."""
    paths: tuple[str, ...] = ()
    invalidations: tuple[Invalidation, ...] = ()
    error: CdnpubError | None = None
    if cdn is not None:
        try:
            paths, invalidations = invalidate(todo, cdn, settings)
        except CdnpubError as err:  # the upload stands; the marker keeps the paths for the next publish
            paths = invalidation_paths(todo, settings.invalidate_threshold)
            error = type(err)(f"{err}; the uploads stand, and the next publish retries the invalidation")
    if finished:
        return paths, invalidations, error
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
