"""One publish (or prune, or repair) at a time per prefix: the lease at
PREFIX/.cdnpub/lease.json, held with S3's conditional writes.

The lease's ETag is the prefix's version. Every writer changes the lease (If-Match on
the ETag its listing saw, or If-None-Match: * when there was none) before it writes
anything else, so a conditional write that succeeds proves nothing was written under
the prefix since that listing: the plan built from it is current. A 412 means someone
moved: list and plan again.

JSON, one of two forms:

    held: {"format": "cdnpub-lease", "version": 1, "state": "held", "owner": "host pid 12 (ci 34)",
           "started": ISO UTC, "expires": ISO UTC, "record": record key this holder writes ("" for
           a prune: it writes after its record),
           "pending": {distribution id: [keys]}, "landed": bool, "written": [keys],
           "operation": "publish" | "rollback"}
    done: {"format": "cdnpub-lease", "version": 1, "state": "done", "nonce": 32 hex}

A `done` lease always has DONE_SIZE bytes (its nonce keeps its ETag new, so no ETag
comes back), and a held one never has, so the first listing tells a free prefix at no
extra request and the unchanged publish stays two requests. A held lease also stands
for the pending-invalidation marker (pending.py) of its publish: a held lease past its
expiry is a publish killed half-way, its `written` keys no record vouches for.

A publish that owes no invalidation does not write `done` after its record (a round
trip of its own): it writes, beside the record, an empty note
`.cdnpub/finished/<its lease's ETag>-<record name>` (layout.finished_key). A lease whose
listed ETag has a note naming a listed record is free: its holder's last write landed
and the lease has not moved since. The note names the ETag, so a holder that lost the
lease, or a record that failed, frees nothing. The next holder deletes old notes.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import Enum

from cdnpub.errors import LeaseConflict, PrefixBusy, UserError
from cdnpub.sync.identity import machine_here, owner_here
from cdnpub.sync.layout import finished_key, finished_prefix, lease_key, releases_prefix
from cdnpub.sync.pending import NO_DISTRIBUTION, Pending
from cdnpub.sync.pending import loads as pending_loads
from cdnpub.sync.plan import RemoteObject
from cdnpub.sync.ports import Store

LEASE_SECONDS = 600.0  # a holder renews every third of it; past it, a holder is taken for dead
DEFAULT_LEASE_WAIT = 600.0  # --lease-wait: how long a publish waits for the holder
_FORMAT = "cdnpub-lease"


class State(str, Enum):
    HELD = "held"
    DONE = "done"


class Operation(str, Enum):
    """What the holder does: told to the one waiting (a lease without it is a publish's)."""

    PUBLISH = "publish"
    ROLLBACK = "rollback"


def _done_body() -> bytes:
    doc = {"format": _FORMAT, "version": 1, "state": "done", "nonce": secrets.token_hex(16)}
    return json.dumps(doc, sort_keys=True).encode()


DONE_SIZE = len(_done_body())


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease as read: `state` DONE carries nothing else."""

    state: State
    owner: str = ""
    started: datetime | None = None
    expires: datetime | None = None
    record: str = ""
    pending: Pending = field(default_factory=Pending)
    written: tuple[str, ...] = ()
    operation: Operation = Operation.PUBLISH
    machine: str = ""  # machine_here() of the holder: its pid means something only there

    def live(self, now: datetime, where: tuple[str, str] | None = None) -> bool:
        """Held by a publish that may still be writing: before its expiry, unless its
        holder is a process of this very machine (same boot, same pid namespace) that is
        gone (killed: no need to wait it out). A holder elsewhere (another runner, a
        container sharing the hostname but not the pids) is waited out to its expiry.
        `where` (bucket, lease key): the lease read, so that a lease of this very process
        counts as held only while a holder of this process holds that one."""
        return (
            self.state is State.HELD
            and self.expires is not None
            and now < self.expires
            and not (self.machine == machine_here() and _gone(self.owner, where))
        )

    def finished(self, records: frozenset[str]) -> bool:
        """Held by a publish whose record (its last write) landed: its writes are done,
        only what it owes (`pending`) is left; no need to wait it out."""
        return self.state is State.HELD and bool(self.record) and self.record in records

    def describe(self) -> str:
        since = self.started.strftime("%Y-%m-%dT%H:%M:%SZ") if self.started else "?"
        until = self.expires.strftime("%Y-%m-%dT%H:%M:%SZ") if self.expires else "?"
        return f"a {self.operation.value} by {self.owner} since {since}, until {until} unless renewed"


_holding: list[object] = []  # the Holders alive in this process


def _gone(owner: str, where: tuple[str, str] | None = None) -> bool:
    """`owner` ("host pid N ...") names a process of this host that no longer runs, or
    this very process while it holds no lease (a publish of it that failed to release):
    with `where` (bucket, key), no holder of this process holds that very lease."""
    if owner == owner_here():
        if where is None:
            return not _holding
        return not any(
            isinstance(h, Holder) and (h.store.bucket, h.key) == where and not h._stop.is_set()
            for h in _holding
        )
    host, _, rest = owner.partition(" pid ")
    pid = rest.split(" ", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def free_by_listing(seen: RemoteObject | None, listed: Mapping[str, RemoteObject], prefix: str) -> bool:
    """Absent, `done`, or finished (a note for its ETag naming a record `listed` holds):
    known from the listing of PREFIX/.cdnpub/ alone."""
    if seen is None or seen.size == DONE_SIZE:
        return True
    start = finished_prefix(prefix) + seen.etag + "-"
    records = releases_prefix(prefix)
    return any(k.startswith(start) and records + k[len(start) :] in listed for k in listed)


def finish_notes(listed: Mapping[str, RemoteObject], prefix: str) -> tuple[str, ...]:
    """The finish notes of the listing: the next holder deletes them (they name ETags the
    lease no longer has once it is taken)."""
    return tuple(sorted(k for k in listed if k.startswith(finished_prefix(prefix))))


def dumps(lease: Lease) -> bytes:
    if lease.state is State.DONE:
        return _done_body()
    doc = {
        "format": _FORMAT,
        "version": 1,
        "state": "held",
        "owner": lease.owner,
        "started": _iso(lease.started),
        "expires": _iso(lease.expires),
        "record": lease.record,
        "pending": {d: sorted(set(k)) for d, k in sorted(lease.pending.keys.items())},
        "landed": lease.pending.landed,
        "written": sorted(set(lease.written)),
        "operation": lease.operation.value,
        "machine": lease.machine,
    }
    body = json.dumps(doc, sort_keys=True).encode()
    return body + b" " if len(body) == DONE_SIZE else body


def loads(data: bytes, origin: str) -> Lease:
    """A lease; a corrupt one is a UserError naming `origin` (publish takes it as a held,
    expired lease with unknown keys: compare everything)."""
    try:
        doc = json.loads(data)
        if doc.get("format") != _FORMAT:
            raise ValueError("not a cdnpub lease")
        if doc["state"] == "done":
            return Lease(State.DONE)
        pending = pending_loads(
            json.dumps({"distributions": doc["pending"], "landed": doc["landed"]}).encode(), origin
        )
        written = doc["written"]
        if not isinstance(written, list) or not all(isinstance(k, str) for k in written):
            raise TypeError("written must be a list of strings")
        return Lease(
            State.HELD,
            str(doc["owner"]),
            _time(doc["started"]),
            _time(doc["expires"]),
            str(doc["record"]),
            pending,
            tuple(written),
            Operation(doc.get("operation", Operation.PUBLISH.value)),
            str(doc.get("machine", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as err:
        raise UserError(f"{origin} is corrupt ({err})") from None


def _iso(when: datetime | None) -> str:
    return (when or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(text: object) -> datetime:
    return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


class Holder:
    """This publish's hold on the lease: every write of it goes through here (If-Match on
    the last ETag), a thread renews it every third of its term, and `check()` before each
    phase raises once it was lost. `conditional` False (--no-lease) writes it plainly."""

    def __init__(
        self, store: Store, prefix: str, lease: Lease, etag: str, *, conditional: bool = True,
        seconds: float = LEASE_SECONDS, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:  # fmt: skip
        self.store, self.key, self.lease, self.etag = store, lease_key(prefix), lease, etag
        self.prefix = prefix
        self.conditional, self.seconds, self.clock = conditional, seconds, clock
        self.lost: Exception | None = None
        self.confirmed = time.monotonic()  # when the lease was last written (taken or renewed)
        self.records_seen: frozenset[str] = frozenset()  # the record keys of the plan's listing
        self.legacy_marker = False  # an older version's marker was found: removed on landing
        self.stale: tuple[str, ...] = ()  # finish notes of earlier holders: deleted beside update
        self.intended: tuple[str, ...] = ()  # the keys of the last update, landed or not
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_loop, name="cdnpub-lease", daemon=True)
        self._thread.start()
        _holding.append(self)

    def check(self) -> None:
        """Before each write: raises PrefixBusy (exit 75) once the lease was lost (a renewal
        failed), or when it was not renewed for two thirds of its term (this process was
        paused: a frozen VM, a stopped container; another publish may have taken it over
        meanwhile, so nothing more may be written: fencing by the holder's own clock)."""
        quiet = time.monotonic() - self.confirmed
        if self.lost is None and self.conditional and quiet > self.seconds * 2 / 3:
            self.lost = TimeoutError(f"not renewed for {quiet:.0f} s")
        if self.lost is not None:
            raise PrefixBusy(
                f"lost the lease s3://{self.store.bucket}/{self.key} ({self.lost}): another publish or "
                "rollback may hold it now; stopped before writing more (the next publish repairs "
                "what this one wrote)"
            )

    def update(self, pending: Pending, written: tuple[str, ...]) -> None:
        """Write the lease with `changes` (pending, written), renewed; raises if lost."""
        self.check()
        with self._lock:
            self.intended = written  # the phase runs beside this write: abandon() keeps them
            renewed = replace(self.lease, expires=self.clock() + timedelta(seconds=self.seconds))
            self._write(replace(renewed, pending=pending, written=written))

    def release(self, left: Pending | None) -> None:
        """The publish landed: `done`, or held-form with `left` (invalidations still owed),
        its expiry now, so the next publish reads it and retries them."""
        self.stop()
        with self._lock:
            if left is None or not left.keys:
                self._write(Lease(State.DONE))
            else:
                self._write(replace(self.lease, expires=self.clock(), pending=left, written=()))

    def finish(self) -> str | None:
        """Stop renewing; the finish note to write beside this holder's record (its last
        write), which frees the lease as `done` would, a round trip sooner. None when
        the lease is not held with conditional writes (--no-lease): then release()."""
        self.stop()
        with self._lock:  # a renewal in flight lands first: the note names the last ETag
            if not self.conditional or self.lost is not None or not self.etag or not self.lease.record:
                return None
            return finished_key(self.prefix, self.etag, self.lease.record)

    def stop(self) -> None:
        self._stop.set()
        if self in _holding:
            _holding.remove(self)

    def abandon(self) -> None:
        """A failed publish: the lease stays half-done (its keys kept, with those of an
        update that failed: its phase wrote beside it) but expires now, so the next
        publish repairs at once instead of waiting. Best effort."""
        self.stop()
        try:
            with self._lock:
                written = tuple(sorted({*self.lease.written, *self.intended}))
                self._write(replace(self.lease, expires=self.clock(), written=written))
        except Exception:
            pass

    def _write(self, lease: Lease) -> None:
        body = dumps(lease)
        if self.conditional:
            self.etag = self.store.put_conditional(self.key, body, "application/json", self.etag)
        else:
            self.store.put_private(self.key, body, "application/json")
        self.lease = lease
        self.confirmed = time.monotonic()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                with self._lock:
                    if self._stop.is_set():
                        return
                    self._write(replace(self.lease, expires=self.clock() + timedelta(seconds=self.seconds)))
            except Exception as err:
                self.lost = err
                return


def acquire(
    store: Store, prefix: str, seen: RemoteObject | None, record: str, now: datetime,
    *, conditional: bool = True, seconds: float = LEASE_SECONDS, owed: Pending | None = None,
    operation: Operation = Operation.PUBLISH,
) -> Holder:  # fmt: skip
    """Take the lease that the listing saw as `seen` (absent, done or expired: the caller
    checked), naming the record this publish writes and holding `owed` (what a lease
    taken over owed and listed, merge_pending). Raises LeaseConflict when someone
    moved since the listing; UserError when the store ignores conditional writes (found
    once per prefix: a second If-None-Match: * of the first lease must fail)."""
    lease = Lease(
        State.HELD, owner_here(), now, now + timedelta(seconds=seconds), record, owed or Pending(),
        operation=operation, machine=machine_here(),
    )  # fmt: skip
    key = lease_key(prefix)
    if not conditional:
        store.put_private(key, dumps(lease), "application/json")
        return Holder(store, prefix, lease, "", conditional=False, seconds=seconds)
    etag = store.put_conditional(key, dumps(lease), "application/json", None if seen is None else seen.etag)
    if seen is None:
        try:
            store.put_conditional(key, dumps(lease), "application/json", None)
        except LeaseConflict:
            pass  # as it must
        else:
            raise UserError(
                f"s3://{store.bucket}/{key}: the store ignores conditional writes (If-None-Match), so "
                "cdnpub cannot keep two publishes apart; pass --no-lease if you run one publish at a "
                "time per prefix yourself"
            )
    return Holder(store, prefix, lease, etag, seconds=seconds)


def read_lease(store: Store, prefix: str, warn: Callable[[str], None]) -> Lease:
    """The lease the listing saw held; a corrupt one counts as a holder killed half-way
    (its keys unknown: every object is compared). Its keys outside `prefix` (or climbing
    out of it) are dropped with a warning, as an old marker's are: a lease is anyone's
    file, and its keys become invalidations, comparisons and orphans to prune."""
    key = lease_key(prefix)
    try:
        lease = loads(store.get_bytes(key), f"s3://{store.bucket}/{key}")
    except UserError as err:
        warn(f"{err}; taking it for a publish stopped half-way")
        return Lease(State.HELD, "unknown", expires=datetime.min.replace(tzinfo=timezone.utc))
    pending, dropped = lease.pending.within(prefix)
    written, strays = Pending({NO_DISTRIBUTION: lease.written}).within(prefix)
    if dropped or strays:
        first = sorted({*dropped, *strays})
        warn(f"s3://{store.bucket}/{key} names {len(first)} keys outside {prefix or 'the bucket'}/ "
             f"(first {first[0]!r}); ignoring them")  # fmt: skip
    return replace(lease, pending=pending, written=written.keys.get(NO_DISTRIBUTION, ()))


def merge_pending(found: Pending | None, held: Lease) -> Pending:
    """A legacy marker and the lease's pending keys, its written keys as unsure ones."""
    keys = dict(found.keys) if found is not None else {}
    for d, k in held.pending.keys.items():
        keys[d] = tuple(sorted({*keys.get(d, ()), *k}))
    landed = held.pending.landed and (found is None or found.landed) and not held.written
    merged = Pending(keys, landed)
    if held.written:
        merged = merged.adding(NO_DISTRIBUTION, held.written)
    return merged
