"""The ports of the sync core: what `publish` needs of a store and of a CDN, and nothing
more. `cdnpub.aws` implements them over S3 and CloudFront; `cdnpub.sync.memory` in
memory, so the orchestrator's phases, faults and kills are unit tests without a server
(as s3deploy's `remoteStore`/`remoteCDN` and httpx's `MockTransport`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from cdnpub.sync.invalidation import Invalidation
from cdnpub.sync.plan import Blob, Listing


class Store(Protocol):
    """One bucket. Errors are cdnpub's (UserError, RemoteError), naming the key."""

    @property
    def bucket(self) -> str: ...

    def listing(
        self, prefix: str, within: str | None = None, *, expected: Iterable[str] = (), jobs: int = 1
    ) -> Listing:
        """Every object under `prefix/` (or under the deeper key prefix `within`)."""
        ...

    def upload(self, blob: Blob) -> None:
        """Write the blob's bytes (read from its asset, checked against its sha256) and headers."""
        ...

    def copy(self, blob: Blob, source: str) -> None:
        """Write `blob` from the bytes at `source` in the same bucket, with the blob's headers."""
        ...

    def put_private(self, key: str, body: bytes, content_type: str) -> None:
        """cdnpub's own bookkeeping (records, markers): never cached."""
        ...

    def put_conditional(self, key: str, body: bytes, content_type: str, if_match: str | None) -> str:
        """Bookkeeping written only if the key still holds the version `if_match` (an ETag,
        without quotes), or, with None, only if the key is absent (If-None-Match: *).
        Returns the new ETag; raises LeaseConflict when another writer got there first."""
        ...

    def get_bytes(self, key: str, limit: int | None = None) -> bytes:
        """The whole object, or its first `limit` bytes (a record read with a bound: a
        longer one is refused by its reader unread); a missing key is an error."""
        ...

    def delete(self, keys: Sequence[str]) -> None:
        """Delete these keys (any number; missing ones are no error)."""
        ...

    def carries(self, blob: Blob) -> bool:
        """Whether the object at blob.key has exactly the blob's headers (one HEAD, a
        read); a missing key has not. A listing gives no headers: this is how a publish
        that finishes an interrupted one tells the copies that already landed."""
        ...


class Cdn(Protocol):
    """One distribution in front of the bucket."""

    def domain_name(self) -> str:
        """The distribution's own domain; fails on a wrong id, before any write."""
        ...

    def serves_bucket(self, bucket: str) -> bool:
        """Whether one of its origins is `bucket`."""
        ...

    def invalidate(self, paths: Sequence[str], release_id: str) -> tuple[Invalidation, ...]:
        """Invalidate `paths` (URL paths, as the one URL rule writes them), idempotent per release."""
        ...

    def wait(self, invalidations: Sequence[Invalidation], timeout: float) -> tuple[Invalidation, ...]:
        """Wait until the invalidations complete, `timeout` seconds at most."""
        ...
