"""The release records of a prefix as publish reads them: the newest (what the bucket is
said to hold) and, to prune, those of the grace period (what a live release still
references) and before it (what prune may delete). Reads only, through the Store port."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from cdnpub.errors import UserError
from cdnpub.sync.history import SHORT_ID, pick
from cdnpub.sync.layout import record_time, releases_prefix
from cdnpub.sync.plan import RemoteObject
from cdnpub.sync.ports import Store
from cdnpub.sync.release import MAX_RECORD_BYTES, Release, loads


def grace(
    prefix: str,
    store: Store,
    warn: Callable[[str], None],
    records: list[RemoteObject],
    last: Release | None,
    cutoff: datetime,
) -> tuple[tuple[Release, ...], tuple[Release, ...]]:
    """(recent, expired): the releases live after `cutoff` but the newest, and those past it."""
    recent: list[Release] = []
    expired: list[Release] = []
    live = live_in_grace(records, cutoff)
    if live and last is None:
        raise unreadable(live[-1].key)
    for obj in live[:-1]:
        r = record_of(store, obj.key, prefix, warn)
        if r is None:
            raise unreadable(obj.key)
        recent.append(r)
    # What prune may delete: the objects these releases named (read once; their
    # records go in the same prune). An unreadable one names nothing deletable.
    for obj in records[: len(records) - len(live)]:
        old = record_of(store, obj.key, prefix, warn)
        if old is not None:
            expired.append(old)
    return tuple(recent), tuple(expired)


def record_of(store: Store, key: str, prefix: str, warn: Callable[[str], None]) -> Release | None:
    """A release record of this prefix; one copied from another prefix names other keys."""
    found = read_record(store, key, warn)
    if found is not None and found.prefix != prefix:
        warn(
            f"s3://{store.bucket}/{key} records a release under {found.prefix!r}, not {prefix!r}; ignoring it"
        )
        return None
    return found


def read_record(store: Store, key: str, warn: Callable[[str], None]) -> Release | None:
    """A release record; a corrupt one is a warning (the next publish repairs the bucket)."""
    # At most one byte past the limit: loads refuses a larger record without reading it whole.
    data = store.get_bytes(key, MAX_RECORD_BYTES + 1)
    try:
        return loads(data, f"s3://{store.bucket}/{key}")
    except UserError as err:
        warn(f"{err}; ignoring it")
        return None


def unreadable(key: str) -> UserError:
    """Pruning without knowing what a live release references could delete its files."""
    return UserError(
        f"not pruning: the release record {key}, of a release live within the grace period, "
        "cannot be used (see the warning above); publish without --prune-older-than: pruning "
        "works again once that release has not been live for the grace period"
    )


def live_in_grace(records: Sequence[RemoteObject], cutoff: datetime) -> Sequence[RemoteObject]:
    """Records (oldest first) of the releases live at some point after `cutoff`: those
    written after it, and the one that was live when it began (a release is live until
    its successor lands). Always at least the newest."""
    first = next((i for i, r in enumerate(records) if r.last_modified >= cutoff), len(records))
    return records[max(first - 1, 0) :]


def records_newest_first(store: Store, prefix: str) -> list[RemoteObject]:
    """The release records of `prefix`, newest first: one listing of its releases folder."""
    listed = store.listing(prefix, within=releases_prefix(prefix))
    return list(reversed(listed.release_keys()))


def record_short_id(key: str) -> str:
    """The 12 hex digits of the release id a record's key ends with (layout.record_key)."""
    return key.rsplit("-", 1)[-1].removesuffix(".json.gz")


def read_releases(
    store: Store, prefix: str, records: Sequence[RemoteObject], warn: Callable[[str], None]
) -> list[Release]:
    """The releases of `records` (in their order), one GET each; a corrupt record or one
    of another prefix is a warning and left out (read-only: nothing is repaired here)."""
    found = [record_of(store, r.key, prefix, warn) for r in records]
    return [r for r in found if r is not None]


def named_index(records: Sequence[RemoteObject], wanted: str) -> int:
    """The index in `records` of the release `wanted` names (a unique prefix of its id,
    history.pick), known from the keys: no read. UserError when none or several match."""
    return pick([record_short_id(r.key) for r in records], wanted)


def release_at(
    store: Store,
    prefix: str,
    records: Sequence[RemoteObject],
    index: int,
    warn: Callable[[str], None],
    wanted: str | None = None,
) -> Release:
    """The release of `records[index]`: one GET. UserError when its record is unreadable
    or, when `wanted` (what the user typed) is longer than a key holds, its id differs."""
    release = record_of(store, records[index].key, prefix, warn)
    if release is None:
        raise UserError(f"the release record {records[index].key} cannot be read (see the warning)")
    if wanted is not None and not release.id.startswith(wanted.strip().lower()):
        raise UserError(f"no release {wanted!r} in the bucket (`releases` lists them)")
    return release


def first_published(release: Release, records: Sequence[RemoteObject]) -> Release:
    """`release` (read from the newest record of its id) as first published: `created` the
    oldest time any record of its id says, the time in a record's key or, for a rollback's
    record, the time its `restores` names. The newest record of an id is a rollback's or a
    publish of the same build again: its time says when it was made live, not published."""
    times = [release.created]
    if release.restores is not None and release.restores.id == release.id:
        times.append(release.restores.created)
    for r in records:
        name = r.key.rsplit("/", 1)[-1]
        when = record_time(name)
        if when is not None and record_short_id(r.key) == release.id[:SHORT_ID]:
            times.append(when)
    return replace(release, created=min(times))
