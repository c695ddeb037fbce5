"""What the next publish's first listing tells of a prefix's lease, on a MemoryStore."""

from __future__ import annotations

from cdnpub.sync.layout import lease_key, meta_prefix
from cdnpub.sync.lease import free_by_listing
from cdnpub.sync.memory import MemoryStore


def lease_free(store: MemoryStore, prefix: str = "static") -> bool:
    """Absent, done, or freed by a finish note (sync/lease.py); lists without recording."""
    start = meta_prefix(prefix)
    meta = {k: o for k, o in store.listing(prefix).objects.items() if k.startswith(start)}
    store.calls.pop()  # the listing above is the test's, not the publish's
    return free_by_listing(meta.get(lease_key(prefix)), meta, prefix)
