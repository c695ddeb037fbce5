"""Whether the last publish or rollback of a prefix ended, from what its first listing of
PREFIX/.cdnpub/ shows and, when the lease is not free by that listing, the lease itself:
the same reading a publish makes (sync/lease.py), so doctor and publish never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cdnpub.doctor.model import Unfinished
from cdnpub.errors import UserError
from cdnpub.sync.layout import is_record_key, lease_key, pending_key
from cdnpub.sync.lease import State, free_by_listing
from cdnpub.sync.lease import loads as lease_loads
from cdnpub.sync.pending import NO_DISTRIBUTION
from cdnpub.sync.plan import RemoteObject


def lease_to_read(listed: Mapping[str, RemoteObject], prefix: str) -> str | None:
    """The lease's key when the listing alone cannot tell it is free; None otherwise."""
    key = lease_key(prefix)
    return None if free_by_listing(listed.get(key), listed, prefix) else key


def judge(
    listed: Mapping[str, RemoteObject], prefix: str, lease: bytes | None, origin: str, now: datetime
) -> tuple[Unfinished, str]:
    """(what is unfinished, who holds or held the lease). `lease`: its bytes, read when
    lease_to_read named it (None: free, or unreadable). A held lease whose record is
    listed ended its writes: only an invalidation may be owed; one before its expiry
    whose holder may run is RUNNING; any other held one (expired, its process gone,
    given up by a failure, corrupt) is HALF_DONE, as is an older version's marker."""
    if lease is not None:
        try:
            found = lease_loads(lease, origin)
        except UserError:
            return Unfinished.HALF_DONE, "a corrupt lease"
        if found.state is State.HELD:
            records = frozenset(k for k in listed if is_record_key(k, prefix))
            if found.finished(records):
                owed = any(keys for d, keys in found.pending.keys.items() if d != NO_DISTRIBUTION)
                if owed:
                    return Unfinished.OWED, found.describe()
            elif found.live(now):
                return Unfinished.RUNNING, found.describe()
            else:
                return Unfinished.HALF_DONE, found.describe()
    if pending_key(prefix) in listed:
        return Unfinished.HALF_DONE, "an older version's marker"
    return Unfinished.NONE, ""
