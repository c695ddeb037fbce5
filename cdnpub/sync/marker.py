"""The pending-invalidation marker across one publish (the value and its format are
pending.py's): read the one an earlier publish left, fold its keys into the plan, leave
one before the first write to a live URL, and settle it once the release landed."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from cdnpub.build.model import DEFAULT_FINGERPRINTED_PATTERN
from cdnpub.errors import UserError
from cdnpub.sync.layout import is_meta_key, pending_key
from cdnpub.sync.pending import NO_DISTRIBUTION, Pending, dumps, loads
from cdnpub.sync.plan import Plan, RemoteObject
from cdnpub.sync.ports import Store
from cdnpub.sync.settings import Settings
from cdnpub.urls import under


def read_marker(store: Store, prefix: str, warn: Callable[[str], None]) -> Pending:
    """The marker an earlier publish left (the caller saw its key in the listing). Keys
    outside `prefix` are dropped with a warning; a corrupt marker is a warning and an
    empty Pending (not landed): still a sign of a publish that stopped half-way. Store
    errors (RemoteError, UserError) propagate."""
    key = pending_key(prefix)
    try:
        found, dropped = loads(store.get_bytes(key), f"s3://{store.bucket}/{key}").within(prefix)
        if dropped:
            warn(
                f"s3://{store.bucket}/{key} names {len(dropped)} keys outside {prefix or 'the bucket'}/ "
                f"(first {dropped[0]!r}); ignoring them"
            )
        return found
    except UserError as err:  # still a sign of a publish that stopped half-way
        warn(
            f"{err}: the invalidations it held are unknown, so every object is compared with the "
            f"bucket; to be sure, invalidate /{under(prefix)}* by hand (cdnpub invalidate)"
        )
        return Pending()


def with_marker(todo: Plan, found: Pending, settings: Settings, warn: Callable[[str], None]) -> Plan:
    """Add the keys an earlier publish left to invalidate on this distribution."""
    for distribution, keys in found.keys.items():
        if distribution not in (NO_DISTRIBUTION, settings.distribution_id) and keys:
            warn(
                f"an earlier invalidation of {len(keys)} paths on CloudFront distribution "
                f"{distribution} did not complete; publish with --distribution-id {distribution} "
                "to retry it"
            )
    mine = found.keys.get(settings.distribution_id, ()) if settings.distribution_id else ()
    return replace(todo, invalidate=tuple(sorted({*todo.invalidate, *mine})), pending=found)


def with_orphans(
    todo: Plan, found: Pending, named: Collection[str], listed: Mapping[str, RemoteObject]
) -> Plan:
    """A repair of a publish stopped half-way: the keys that publish may have written
    (found.unsure) that neither this release nor the newest record (`named`) names go
    into this release's record (Release.orphans), written even when the release is the
    same, so that a later prune knows them for cdnpub's own; the lease that listed them
    is gone once this lands. Only what that publish surely wrote: a content-named key, or
    a plain name holding the bytes of one of those (its plain copy: `listed`, the
    prefix's listing, tells by ETag); another tool's file at a name it meant to write
    but never reached stays."""
    start = under(todo.prefix)
    unsure = {
        k
        for k in found.unsure
        if k.startswith(start) and not is_meta_key(k) and k not in named and k not in todo.release.objects
    }
    hashed = {k for k in unsure if _content_named(k)}
    copies = {listed[k].etag for k in hashed if k in listed}
    plain = {k for k in unsure - hashed if k in listed and listed[k].etag in copies}
    orphans = tuple(sorted(hashed | plain))
    if not orphans:
        return todo
    return replace(todo, release=replace(todo.release, orphans=orphans), write_release=True)


_CONTENT_NAMED = re.compile(DEFAULT_FINGERPRINTED_PATTERN)


def _content_named(key: str) -> bool:
    """A name with a content hash in it (cdnpub's own `.HASH.`, a bundler's): one no other
    tool's file has. A plain name the stopped publish meant to write may be another
    tool's file it never reached (a hand upload at `docs/guide.txt`): never an orphan."""
    return _CONTENT_NAMED.search(key.rsplit("/", 1)[-1]) is not None


def marks(todo: Plan, distribution_id: str | None) -> Pending | None:
    """The marker to leave before this publish's first write to a URL the last release
    served (its invalidation keys); None when it changes none: new keys alone are no
    risk, as no record vouches for them."""
    if not todo.invalidate:
        return None
    return (todo.pending or Pending()).adding(distribution_id or NO_DISTRIBUTION, todo.invalidate)


def settle(todo: Plan, store: Store, marker: Pending | None, distribution_id: str | None) -> None:
    """The publish landed (and invalidated, if it had a distribution): take its marker
    away, or leave only what other distributions are still owed."""
    current = marker or todo.pending
    if current is None:
        return
    left = current.settled(distribution_id or NO_DISTRIBUTION)
    if not left.keys:
        store.delete([pending_key(todo.prefix)])
    elif left != current:
        store.put_private(pending_key(todo.prefix), dumps(left), "application/json")


def leave(todo: Plan, store: Store, marker: Pending) -> None:
    """Write the marker before the plan's first write (see marks)."""
    store.put_private(pending_key(todo.prefix), dumps(marker), "application/json")
