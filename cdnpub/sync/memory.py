"""A store and a CDN in memory: the ports (`cdnpub.sync.ports`) without a server, so
that the orchestrator's phases, faults and request counts are unit tests.

`MemoryStore` keeps what S3 would: the bytes, the headers, the ETag S3 computes (the MD5
hex of a single-part object, the multipart form past the multipart threshold, as
cdnpub uploads; a copy's is single-part, as CopyObject's), and LastModified to the
second from an injectable clock. It records every call, so a test counts requests and
writes, and fails the calls a predicate picks with RemoteError, as S3 failing after
retries would.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from cdnpub.build.digest import digest_bytes, read_all
from cdnpub.errors import LeaseConflict, RemoteError, UserError
from cdnpub.sync.invalidation import Invalidation, batches, caller_reference
from cdnpub.sync.plan import Blob, Listing, RemoteObject
from cdnpub.urls import under


class Op(Enum):
    """One request to the store."""

    LISTING = "listing"
    GET = "get"
    HEAD = "head"
    UPLOAD = "upload"
    COPY = "copy"
    PUT_PRIVATE = "put_private"
    PUT_CONDITIONAL = "put_conditional"
    DELETE = "delete"

    @property
    def writes(self) -> bool:
        return self not in (Op.LISTING, Op.GET, Op.HEAD)


@dataclass(frozen=True, slots=True)
class Call:
    """A request as the store received it: `keys` is the key written or read, the keys
    deleted, or the key prefix listed."""

    op: Op
    keys: tuple[str, ...]
    write: int = 0  # 1-based position among the writes; 0 for a read


@dataclass(frozen=True, slots=True)
class StoredObject:
    body: bytes
    etag: str  # without quotes, as a listing gives it
    last_modified: datetime  # UTC, to the second
    content_type: str
    cache_control: str
    extra: tuple[tuple[str, str], ...] = ()


Fault = Callable[[Call], bool]


def nth_write(n: int) -> Fault:
    """Fail the `n`th write (1-based) of the store's life."""
    return lambda call: call.write == n


def writes_to(predicate: Callable[[str], bool]) -> Fault:
    """Fail every write to a key `predicate` picks."""
    return lambda call: call.op.writes and any(predicate(k) for k in call.keys)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _md5(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


class MemoryStore:
    """The `Store` port over a dict of key -> StoredObject. Thread-safe: publish writes a
    phase from a pool."""

    def __init__(
        self,
        bucket: str = "memory-bucket",
        *,
        clock: Callable[[], datetime] = _utc_now,
        fail: Fault | None = None,
    ) -> None:
        self.bucket = bucket
        self.objects: dict[str, StoredObject] = {}
        self.calls: list[Call] = []
        self.clock = clock
        self.fail = fail  # may be replaced between publishes
        self.ignores_conditions = False  # an S3-compatible store without conditional writes
        self._lock = threading.Lock()

    # -- what tests look at ---------------------------------------------------------

    @property
    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.op.writes]

    @property
    def reads(self) -> list[Call]:
        return [c for c in self.calls if not c.op.writes]

    def body(self, key: str) -> bytes:
        return self.objects[key].body

    # -- the port -------------------------------------------------------------------

    def listing(
        self, prefix: str, within: str | None = None, *, expected: Iterable[str] = (), jobs: int = 1
    ) -> Listing:
        start = within if within is not None else under(prefix)
        with self._lock:
            self._call(Op.LISTING, (start,))
            objects = {
                k: RemoteObject(k, len(o.body), o.etag, o.last_modified)
                for k, o in sorted(self.objects.items())
                if k.startswith(start)
            }
        return Listing(prefix, objects)

    def upload(self, blob: Blob) -> None:
        asset = blob.asset
        body = read_all(asset.fs_path, asset.source_size, asset.edits)
        if hashlib.sha256(body).hexdigest() != asset.sha256:
            raise UserError(f"{asset.fs_path} changed since the build; run again when it is stable")
        with self._lock:
            self._call(Op.UPLOAD, (blob.key,))
            self._put(
                blob.key, body, digest_bytes(body).etag, blob.content_type, blob.cache_control, blob.extra
            )

    def copy(self, blob: Blob, source: str) -> None:
        with self._lock:
            self._call(Op.COPY, (blob.key,))
            body = self._get(source).body
            self._put(blob.key, body, _md5(body), blob.content_type, blob.cache_control, blob.extra)

    def put_private(self, key: str, body: bytes, content_type: str) -> None:
        with self._lock:
            self._call(Op.PUT_PRIVATE, (key,))
            self._put(key, body, _md5(body), content_type, "no-store")

    def put_conditional(self, key: str, body: bytes, content_type: str, if_match: str | None) -> str:
        """As S3: 412 (LeaseConflict) when the key's ETag is not `if_match`, or, with None,
        when the key exists; `ignores_conditions` plays a store that ignores the headers."""
        with self._lock:
            self._call(Op.PUT_CONDITIONAL, (key,))
            found = self.objects.get(key)
            if not self.ignores_conditions:
                if if_match is None and found is not None:
                    raise LeaseConflict(f"s3://{self.bucket}/{key}: PreconditionFailed (exists)")
                if if_match is not None and (found is None or found.etag != if_match):
                    if found is None:
                        raise RemoteError(
                            f"s3://{self.bucket}/{key}: NoSuchKey The specified key does not exist."
                        )
                    raise LeaseConflict(f"s3://{self.bucket}/{key}: PreconditionFailed (changed)")
            self._put(key, body, _md5(body), content_type, "no-store")
            return _md5(body)

    def get_bytes(self, key: str, limit: int | None = None) -> bytes:
        with self._lock:
            self._call(Op.GET, (key,))
            body = self._get(key).body
            return body if limit is None else body[:limit]

    def carries(self, blob: Blob) -> bool:
        with self._lock:
            self._call(Op.HEAD, (blob.key,))
            found = self.objects.get(blob.key)
            return found is not None and (found.content_type, found.cache_control, tuple(found.extra)) == (
                blob.content_type,
                blob.cache_control,
                tuple(blob.extra),
            )

    def delete(self, keys: Sequence[str]) -> None:
        with self._lock:
            self._call(Op.DELETE, tuple(keys))
            for key in keys:
                self.objects.pop(key, None)

    # -- inside ---------------------------------------------------------------------

    def _call(self, op: Op, keys: tuple[str, ...]) -> None:
        """Record the request; then fail it, when the fault picks it, before any effect."""
        write = sum(c.op.writes for c in self.calls) + 1 if op.writes else 0
        call = Call(op, keys, write)
        self.calls.append(call)
        if self.fail is not None and self.fail(call):
            raise RemoteError(f"s3://{self.bucket}/{keys[0] if keys else ''}: InternalError (injected)")

    def _get(self, key: str) -> StoredObject:
        found = self.objects.get(key)
        if found is None:
            raise RemoteError(f"s3://{self.bucket}/{key}: NoSuchKey The specified key does not exist.")
        return found

    def _put(
        self,
        key: str,
        body: bytes,
        etag: str,
        content_type: str,
        cache_control: str,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> None:
        when = self.clock().astimezone(timezone.utc).replace(microsecond=0)
        self.objects[key] = StoredObject(body, etag, when, content_type, cache_control, extra)


class MemoryCdn:
    """The `Cdn` port: a distribution that completes every invalidation at once (or
    fails them, with `fail`). `invalidated` holds the paths of each invalidation created;
    a repeated caller reference returns the existing one, as CloudFront does."""

    def __init__(
        self, domain: str = "d111111abcdef8.cloudfront.net", buckets: Sequence[str] = ("memory-bucket",)
    ) -> None:
        self.domain = domain
        self.buckets = tuple(buckets)
        self.fail = False
        self.invalidated: list[tuple[str, ...]] = []
        self._by_reference: dict[str, Invalidation] = {}

    def domain_name(self) -> str:
        return self.domain

    def serves_bucket(self, bucket: str) -> bool:
        return bucket in self.buckets

    def invalidate(self, paths: Sequence[str], release_id: str) -> tuple[Invalidation, ...]:
        if self.fail:
            raise RemoteError("CloudFront CreateInvalidation: ServiceUnavailable (injected)")
        groups = batches(paths)
        created = []
        for index, batch in enumerate(groups):
            reference = caller_reference(release_id, batch) + (f"-{index}" if len(groups) > 1 else "")
            if reference not in self._by_reference:
                self.invalidated.append(tuple(batch))
                number = len(self._by_reference) + 1
                self._by_reference[reference] = Invalidation(
                    f"I{number:04d}", "InProgress", tuple(batch), reference
                )
            created.append(self._by_reference[reference])
        return tuple(created)

    def wait(self, invalidations: Sequence[Invalidation], timeout: float) -> tuple[Invalidation, ...]:
        return tuple(Invalidation(i.id, "Completed", i.paths, i.caller_reference) for i in invalidations)
