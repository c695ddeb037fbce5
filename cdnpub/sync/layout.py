"""Where cdnpub's own objects live under a prefix: the one home of the bucket layout.

    PREFIX/.cdnpub/releases/YYYYMMDDTHHMMSSZ-<12 hex of the release id>.json.gz
    PREFIX/.cdnpub/pending-invalidation.json   (written by versions before the lease; read)
    PREFIX/.cdnpub/lease.json                  (one publish at a time: see lease.py)
    PREFIX/.cdnpub/finished/<lease ETag>-<record name>   (empty: that lease's publish ended)

The release records sort by time (the newest is the last key of a listing), and the
marker sits beside them, so one listing of PREFIX/.cdnpub/ sees both. Everything under a
`.cdnpub/` folder is bookkeeping, never an asset: prune leaves it to the record rules.
This layout is part of the contract (buckets published by older versions keep working).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from cdnpub.urls import under

META_DIR = ".cdnpub"  # cdnpub's own bookkeeping under the prefix: never pruned as an asset


RELEASES_DIR = f"{META_DIR}/releases"


PENDING_NAME = "pending-invalidation.json"


LEASE_NAME = "lease.json"


FINISHED_DIR = f"{META_DIR}/finished"


_TIME = "%Y%m%dT%H%M%SZ"


_RECORD_NAME = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{12}\.json\.gz")


_ID_CHARS = 12  # of the release id in a record's name


def meta_prefix(prefix: str) -> str:
    """The folder of release records and markers ("static" -> "static/.cdnpub/")."""
    return f"{under(prefix)}{META_DIR}/"


def releases_prefix(prefix: str) -> str:
    """The folder of release records ("static" -> "static/.cdnpub/releases/")."""
    return f"{under(prefix)}{RELEASES_DIR}/"


def pending_key(prefix: str) -> str:
    """The pending-invalidation marker of the publish at `prefix` (see pending.py)."""
    return meta_prefix(prefix) + PENDING_NAME


def lease_key(prefix: str) -> str:
    """The lease of the prefix: who publishes it now (see lease.py)."""
    return meta_prefix(prefix) + LEASE_NAME


def finished_prefix(prefix: str) -> str:
    """The folder of finish notes ("static" -> "static/.cdnpub/finished/")."""
    return f"{under(prefix)}{FINISHED_DIR}/"


def finished_key(prefix: str, lease_etag: str, record: str) -> str:
    """The note that the publish which last wrote the lease as `lease_etag` (an ETag,
    without quotes) wrote `record` (a record key) as its last write: written beside the
    record, it stands for the lease's release (see lease.py)."""
    return f"{finished_prefix(prefix)}{lease_etag}-{record.rsplit('/', 1)[-1]}"


def record_key(prefix: str, created: datetime, release_id: str) -> str:
    """Sortable by time: the newest record is the last key of the listing. `created` (a
    UTC time, as Release.created) is written to the second, `release_id` by its first 12
    hex digits."""
    return f"{releases_prefix(prefix)}{created.strftime(_TIME)}-{release_id[:_ID_CHARS]}.json.gz"


def record_time(name: str) -> datetime | None:
    """The time (UTC) in a record's file name, or None when the name is no record's."""
    if _RECORD_NAME.fullmatch(name) is None:
        return None
    try:
        return datetime.strptime(name[:16], _TIME).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def is_record_key(key: str, prefix: str) -> bool:
    """A release record's key, not some other file left in the releases folder: its name
    in the record form, with a time that is one (`99999999T999999Z-...` would sort after
    every real record and pass for the newest forever)."""
    start = releases_prefix(prefix)
    return key.startswith(start) and record_time(key[len(start) :]) is not None


def looks_like_record(key: str, prefix: str) -> bool:
    """Named like a record but with a time that is none: junk worth a warning."""
    start = releases_prefix(prefix)
    name = key[len(start) :] if key.startswith(start) else ""
    return _RECORD_NAME.fullmatch(name) is not None and record_time(name) is None


def record_is_of(key: str, release_id: str) -> bool:
    """Whether the record at `key` names the release `release_id` (by the id's first 12
    hex digits, as the key holds it): known from a listing, before reading the record."""
    return key.endswith(f"-{release_id[:_ID_CHARS]}.json.gz")


def after_newest(newest_key: str, now: datetime) -> datetime:
    """A time whose record key sorts after `newest_key`. Keys hold the time to the second,
    then the id: a second publish within the same second (or a clock behind the last
    writer's) would otherwise write a record that sorts before the newest one, and the
    next publish would take the older record (or a corrupt one) for the current release.
    `now` itself when `newest_key` is no record's."""
    newest = record_time(newest_key.rsplit("/", 1)[-1])
    if newest is None:
        return now
    return max(now, newest + timedelta(seconds=1))


def is_meta_key(key: str) -> bool:
    """Bookkeeping of some publish (at this prefix or a deeper one), never an asset."""
    return f"/{META_DIR}/" in f"/{key}"


def is_lease_bookkeeping(key: str) -> bool:
    """The lease of some prefix, or a finish note: one publish at a time's own writes
    (whatever the prefix), not the release's."""
    at = f"/{key}"
    return at.endswith(f"/{META_DIR}/{LEASE_NAME}") or f"/{FINISHED_DIR}/" in at


def meta_owner(key: str) -> str | None:
    """The prefix, as `under()` writes it, of the publish whose bookkeeping `key` is
    ("static/sub/.cdnpub/releases/x" -> "static/sub/"); None for an asset's key."""
    at = f"/{key}".find(f"/{META_DIR}/")
    return None if at < 0 else key[:at]
