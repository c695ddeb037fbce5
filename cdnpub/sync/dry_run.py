"""The dry run as a store that writes nothing: reads pass through to the real store,
and a write is a programming error (AssertionError), so that no code path of a dry run
can change the bucket, even by mistake."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cdnpub.sync.plan import Blob, Listing
from cdnpub.sync.ports import Store


class DryRunStore:
    """`store` with every write refused."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def bucket(self) -> str:
        return self._store.bucket

    def listing(
        self, prefix: str, within: str | None = None, *, expected: Iterable[str] = (), jobs: int = 1
    ) -> Listing:
        return self._store.listing(prefix, within, expected=expected, jobs=jobs)

    def get_bytes(self, key: str, limit: int | None = None) -> bytes:
        return self._store.get_bytes(key, limit)

    def carries(self, blob: Blob) -> bool:
        return self._store.carries(blob)

    def upload(self, blob: Blob) -> None:
        _refuse("upload", blob.key)

    def copy(self, blob: Blob, source: str) -> None:
        _refuse("copy", blob.key)

    def put_private(self, key: str, body: bytes, content_type: str) -> None:
        _refuse("put", key)

    def put_conditional(self, key: str, body: bytes, content_type: str, if_match: str | None) -> str:
        _refuse("put", key)
        return ""

    def delete(self, keys: Sequence[str]) -> None:
        _refuse("delete", ", ".join(keys[:3]))


def _refuse(what: str, key: str) -> None:
    raise AssertionError(f"a dry run must write nothing, yet it was to {what} {key}")
