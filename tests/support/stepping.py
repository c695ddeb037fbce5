"""Several publishes on one MemoryStore, stepped one store call at a time by a scheduler
a test drives (tests/reliability/test_concurrent_histories.py).

Each publisher runs `publish` in a thread of its own against a `GatedStore`: every call
it makes waits at the gate until the scheduler grants it, with a verdict: go, fail it
(RemoteError, before any effect), lose its answer (the effect lands, the caller gets a
RemoteError) or kill the publisher (it stops there and never calls the store again, its
lease left as it was). The thread pools of the publish are run inline (`Inline`), so a
publisher makes one call at a time and "every publisher waits at the gate or is done"
is a state the scheduler can wait for: the interleaving is then a pure function of the
choices, and so are the invariants checked between two steps.

The lease tells its holders apart by owner (host and pid): `owner_here` and `gone` are
what a test patches into cdnpub.sync.lease, so that each publisher is a process of its
own, and a killed one is either gone from this host (its lease taken over at once) or
on a host lost (its lease taken over once expired).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from cdnpub.errors import RemoteError
from cdnpub.sync.layout import finished_prefix, lease_key
from cdnpub.sync.memory import MemoryStore
from cdnpub.sync.plan import Blob, Listing

T = TypeVar("T")


class Killed(BaseException):
    """SIGKILL: raised at the killed publisher's gate; it writes nothing more."""


class Verdict(Enum):
    GO = "go"
    FAIL = "fail"  # S3 fails the request after retries: no effect
    LOST = "lost"  # the request lands, its answer is lost (a reset after the write)
    KILL = "kill"


class Inline:
    """A ThreadPoolExecutor that runs each task at `submit`: one store call at a time.
    A kill is not caught in a Future: it stops the whole publisher, as SIGKILL would."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def shutdown(self, wait: bool = True, **kwargs: object) -> None:
        pass

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as err:
            done.set_exception(err)
        return done


@dataclass
class Publisher:
    """One publish process: its name (the lease's owner), what it is doing, and its fate."""

    name: str
    fate: dict[int, Verdict] = field(default_factory=dict)  # its nth store call -> verdict
    host_gone: bool = True  # when killed: its pid gone from this host (else: a host lost)
    calls: int = 0
    waiting: tuple[str, tuple[str, ...]] | None = None  # the call at the gate
    verdict: Verdict | None = None
    started: bool = False
    done: bool = False
    killed: bool = False
    outcomes: list[str] = field(default_factory=list)  # each attempt's end: ok, busy, failed...
    lease_etag: str | None = None  # the lease version it wrote last (as the store says)

    @property
    def owner(self) -> str:
        return f"{self.name} pid 1"

    @property
    def gone(self) -> bool:
        """No longer running on this host: finished, or killed with its host still up."""
        return (self.done and not self.killed) or (self.killed and self.host_gone)


class Scheduler:
    """The publishers of one history, the store they share, and the checks made at each
    write: a write other than the lease's only by the publisher whose lease version is
    the current one, and no delete of a key the newest record names."""

    def __init__(self, store: MemoryStore, newest: Callable[[], frozenset[str]]) -> None:
        self.store = store
        self.newest = newest  # the keys the newest record names
        self.publishers: list[Publisher] = []
        self.violations: list[str] = []
        self.cond = threading.Condition()
        self.local = threading.local()
        self.threads: list[threading.Thread] = []

    def owner_here(self) -> str:
        return str(getattr(self.local, "owner", "final pid 1"))

    def gone(self, owner: str, where: object = None) -> bool:
        return any(p.gone for p in self.publishers if p.owner == owner)

    def start(self, publisher: Publisher, attempt: Callable[[GatedStore], str], attempts: int) -> None:
        """Run `attempt` (one publish; returns how it ended) up to `attempts` times while
        it ends "busy" (a CI job retried), in a thread of its own."""
        publisher.started = True
        gate = GatedStore(self, publisher)

        def run() -> None:
            self.local.owner = publisher.owner
            try:
                for _ in range(attempts):
                    publisher.outcomes.append(attempt(gate))
                    if publisher.outcomes[-1] != "busy":
                        break
            except Killed:
                publisher.outcomes.append("killed")
            finally:
                with self.cond:
                    publisher.done = True
                    self.cond.notify_all()

        thread = threading.Thread(target=run, name=publisher.name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def settle(self) -> list[Publisher]:
        """Wait until every started publisher waits at its gate or is done; the waiting ones."""
        with self.cond:
            self.cond.wait_for(
                lambda: all(p.done or p.waiting is not None for p in self.publishers if p.started), timeout=60
            )
            stuck = [p.name for p in self.publishers if p.started and not p.done and p.waiting is None]
            assert not stuck, f"publishers neither at the gate nor done: {stuck}"
            return [p for p in self.publishers if p.started and not p.done]

    def grant(self, publisher: Publisher) -> None:
        """Let the publisher's waiting call through with the verdict its fate holds."""
        with self.cond:
            publisher.verdict = publisher.fate.get(publisher.calls, Verdict.GO)
            publisher.calls += 1
            publisher.waiting = None
            self.cond.notify_all()

    def finish(self) -> None:
        for thread in self.threads:
            thread.join(60)
            assert not thread.is_alive(), thread.name

    def pass_gate(self, publisher: Publisher, op: str, keys: tuple[str, ...]) -> Verdict:
        if publisher.killed:
            raise Killed
        with self.cond:
            publisher.waiting = (op, keys)
            self.cond.notify_all()
            self.cond.wait_for(lambda: publisher.verdict is not None)
            verdict, publisher.verdict = publisher.verdict, None
        assert verdict is not None
        if verdict is Verdict.KILL:
            publisher.killed = True
            raise Killed
        if verdict is Verdict.FAIL or (verdict is Verdict.LOST and op in ("listing", "get")):
            raise RemoteError(f"s3://{self.store.bucket}/{keys[0] if keys else ''}: InternalError (injected)")
        self._check(publisher, op, keys)
        return verdict

    def _check(self, publisher: Publisher, op: str, keys: tuple[str, ...]) -> None:
        if op in ("listing", "get") or op == "put_conditional":
            return
        if op == "put_private" and keys[0].startswith(f"{finished_prefix('static')}{publisher.lease_etag}-"):
            return  # a finish note names the lease version it frees: once the lease moved, it frees nothing
        lease = self.store.objects.get(lease_key("static"))
        if lease is None or lease.etag != publisher.lease_etag or b'"held"' not in lease.body:
            self.violations.append(f"{publisher.name} {op} {keys} without holding the lease")
        if op == "delete":
            named = self.newest() & set(keys)
            if named:
                self.violations.append(
                    f"{publisher.name} deletes {sorted(named)}, named by the newest record"
                )


class GatedStore:
    """The Store port of one publisher: each call waits at its gate, then runs on the
    shared MemoryStore (in the publisher's thread, while every other one waits)."""

    def __init__(self, scheduler: Scheduler, publisher: Publisher) -> None:
        self.scheduler, self.publisher, self.inner = scheduler, publisher, scheduler.store

    @property
    def bucket(self) -> str:
        return self.inner.bucket

    def _answer(self, verdict: Verdict) -> None:
        """The write landed; a LOST verdict loses its answer."""
        if verdict is Verdict.LOST:
            raise RemoteError(f"s3://{self.bucket}: connection reset after the write (injected)")

    def listing(
        self, prefix: str, within: str | None = None, *, expected: Iterable[str] = (), jobs: int = 1
    ) -> Listing:
        self.scheduler.pass_gate(self.publisher, "listing", (within or prefix,))
        return self.inner.listing(prefix, within, expected=expected, jobs=jobs)

    def upload(self, blob: Blob) -> None:
        verdict = self.scheduler.pass_gate(self.publisher, "upload", (blob.key,))
        self.inner.upload(blob)
        self._answer(verdict)

    def copy(self, blob: Blob, source: str) -> None:
        verdict = self.scheduler.pass_gate(self.publisher, "copy", (blob.key,))
        self.inner.copy(blob, source)
        self._answer(verdict)

    def put_private(self, key: str, body: bytes, content_type: str) -> None:
        verdict = self.scheduler.pass_gate(self.publisher, "put_private", (key,))
        self.inner.put_private(key, body, content_type)
        self._answer(verdict)

    def put_conditional(self, key: str, body: bytes, content_type: str, if_match: str | None) -> str:
        verdict = self.scheduler.pass_gate(self.publisher, "put_conditional", (key,))
        etag = self.inner.put_conditional(key, body, content_type, if_match)
        self.publisher.lease_etag = etag  # what the store holds now, whatever the caller hears
        self._answer(verdict)
        return etag

    def get_bytes(self, key: str, limit: int | None = None) -> bytes:
        self.scheduler.pass_gate(self.publisher, "get", (key,))
        return self.inner.get_bytes(key, limit)

    def carries(self, blob: Blob) -> bool:
        self.scheduler.pass_gate(self.publisher, "get", (blob.key,))  # a HEAD: a read, gated as one
        return self.inner.carries(blob)

    def delete(self, keys: Sequence[str]) -> None:
        verdict = self.scheduler.pass_gate(self.publisher, "delete", tuple(keys))
        self.inner.delete(keys)
        self._answer(verdict)
