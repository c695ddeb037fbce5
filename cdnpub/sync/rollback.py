"""A rollback as a plan (pure: records and one listing in, a Plan out): what to write so
that the bucket serves an earlier release again, in publish's phases and order.

The earlier release's record names every key with its bytes (sha256, ETag, size) and
headers. Its fingerprinted keys must all still be in the bucket, with their bytes: a
rollback has no local files, it writes only from what the bucket holds. Its plain-name
copies are restored server-side from their fingerprinted keys (no byte travels), only
where the bucket differs from the record; a fingerprinted key whose headers the live
release changed gets its recorded ones back in place. Then a new record: the same
content id, a newer time, and `restores` naming the release made live again (history is
never rewritten). Nothing is deleted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from cdnpub.build.model import Asset
from cdnpub.build.rules import Headers
from cdnpub.errors import UserError
from cdnpub.manifest import Entry, ModuleImports, from_document
from cdnpub.sync.history import pick
from cdnpub.sync.layout import after_newest
from cdnpub.sync.order import waves
from cdnpub.sync.plan import Action, Blob, Listing, Plan, Reason, RemoteObject
from cdnpub.sync.release import ObjectRecord, Release, Restores
from cdnpub.sync.shrink import guarded_folders, served_paths, shrink

MISSING_SHOWN = 10  # keys a refusal names (the count says how many more)


def target_index(short_ids: Sequence[str], wanted: str | None) -> int:
    """The record to roll back to, in `short_ids` (the 12-hex-digit ids of the records'
    keys, newest first; index 0 is the live release): the one `wanted` names (history.pick),
    or by default the newest before the live one whose content differs from it (a
    rollback's own record repeats an earlier id: rolling back twice goes back to the
    release before, not to the same files). UserError when there is none."""
    if not short_ids:
        raise UserError("nothing was published there: no release to roll back to")
    if wanted is not None:
        return pick(short_ids, wanted)
    earlier = next((i for i, rid in enumerate(short_ids) if rid != short_ids[0]), None)
    if earlier is None:
        raise UserError("no release before the live one to roll back to (`releases` lists them)")
    return earlier


@dataclass(frozen=True, slots=True)
class Known:
    """What the bucket is said to hold, beside the listing: the live release (None when
    its record is unreadable), when its record and the target's were written (their
    LastModified), and the keys a publish or rollback killed half-way may have written
    since (no record vouches for them)."""

    live: Release | None
    live_written: datetime | None = None
    unsure: frozenset[str] = frozenset()
    target_written: datetime | None = None

    def names(self, key: str) -> bool:
        return self.live is not None and key in self.live.objects

    def said(self, key: str, target: ObjectRecord, remote: RemoteObject | None) -> ObjectRecord | None:
        """What a record says `key` holds: the live one's, or else the target's own when
        the object is no newer than the target's record (the target's publish left it
        so, and no later publish named it); None: unknown (its headers are then set)."""
        if key in self.unsure:
            return None
        if self.live is not None and key in self.live.objects:
            return self.live.objects[key]
        old = self.target_written
        # A key the target's record vouches for by time: written no later than that record.
        return target if remote is not None and old is not None and remote.last_modified <= old else None


def rollback_plan(
    bucket: str, target: Release, known: Known, listing: Listing, newest_key: str, now: datetime,
    *, repair: bool = False,
) -> Plan:  # fmt: skip
    """The writes that make `target` live again, and its new record (written after them):
    `newest_key` is the newest record's key, which the new one must sort after. `repair`:
    `target` is the live release (a rollback or publish of it stopped half-way): the
    bucket is made to serve it again under its own record, and no new record is written.

    Raises UserError naming what is missing when a fingerprinted key of `target` is gone
    or has another size (pruned, or deleted by hand): nothing can restore it."""
    entries = _entries(target)
    modules: dict[str, ModuleImports] = {}
    fingerprinted: list[Action] = []
    plain: list[Action] = []
    invalidate: list[str] = []
    missing: list[str] = []
    for key, record in target.objects.items():
        path, entry = entries.get(key, (key, None))
        if entry is not None and entry.module is not None:
            modules[path] = entry.module
        blob = _blob(key, record, path, entry)
        remote = listing.objects.get(key)
        said = known.said(key, record, remote)
        written = None if key in known.unsure else known.live_written
        reason = _reason(record, remote, said, written)
        if not record.plain and (remote is None or remote.size != record.size):
            missing.append(key)
        elif record.plain and blob.asset.key not in target.objects:
            missing.append(blob.asset.key)  # a plain copy with nothing to copy it from
        elif reason is not None:
            if not record.plain and reason is Reason.CHANGED:
                # Its size is right and its name is its content's: an ETag that is no MD5
                # (SSE-KMS, a copy) the live record does not vouch for. Only its headers are
                # unknown: a copy in place keeps the bytes and sets them.
                reason = Reason.HEADERS
            (plain if record.plain else fingerprinted).append(Action(blob, reason))
            if reason is not Reason.NEW and (record.plain or known.names(key)):
                invalidate.append(key)  # a URL that served other bytes or headers
    if missing:
        raise pruned(bucket, target, sorted(set(missing)))
    # When the release was first published: the oldest time its records say (restore.py).
    first = min([target.created, *([target.restores.created] if target.restores else [])])
    restores = Restores(target.id, first)
    release = target
    if not repair:
        created = after_newest(newest_key, now).replace(microsecond=0)
        release = replace(target, created=created, restores=restores)
    return Plan(
        bucket=bucket,
        prefix=target.prefix,
        fingerprinted=tuple(fingerprinted),
        plain=tuple(plain),
        plain_waves=waves([a.blob.asset.path for a in plain], modules),
        release=release,
        write_release=not repair,
        from_bucket=True,
        skipped=len(target.objects) - len(fingerprinted) - len(plain),
        invalidate=tuple(sorted(set(invalidate))),
    )


def shrink_of(target: Release, live: Release | None) -> str | None:
    """Why making `target` live looks like a mistake (publish's shrink guard: most of the
    live release's paths, or every path of one of its static folders, gone), or None."""
    if live is None:
        return None
    folders = guarded_folders(target.folders or ("",), live.folders)
    return shrink(served_paths(live.manifest), served_paths(target.manifest), folders)


def pruned(bucket: str, target: Release, missing: Sequence[str]) -> UserError:
    shown = ", ".join(missing[:MISSING_SHOWN])
    more = f", ... ({len(missing) - MISSING_SHOWN} more)" if len(missing) > MISSING_SHOWN else ""
    return UserError(
        f"cannot roll back to {target.id[:12]}: s3://{bucket} no longer holds {len(missing)} of its "
        f"objects (pruned?): {shown}{more}; nothing was written"
    )


def sources(todo: Plan) -> Mapping[str, str]:
    """Plain key -> the fingerprinted key its bytes are copied from."""
    return {a.blob.key: a.blob.asset.key for a in todo.plain}


def _entries(target: Release) -> dict[str, tuple[str, Entry | None]]:
    """Each key of the target's manifest (fingerprinted and plain) -> its logical path and
    entry. A manifest this version cannot read leaves every key its own path."""
    try:
        manifest = from_document(target.manifest, f"the manifest of release {target.id[:12]}")
    except UserError:
        return {}
    found: dict[str, tuple[str, Entry | None]] = {}
    for path, entry in manifest.entries.items():
        found[entry.key] = (path, entry)
        if entry.plain_key is not None:
            found[entry.plain_key] = (path, entry)
    return found


def _blob(key: str, record: ObjectRecord, path: str, entry: Entry | None) -> Blob:
    """The object `record` describes, as publish's phases take it (no local file: a
    rollback writes only by server-side copy, from `asset.key`)."""
    headers = Headers(record.content_type, record.cache_control, record.cache_control, record.extra)
    source = entry.key if entry is not None else key
    asset = Asset(
        path=path,
        fs_path="",
        key=source,
        plain_key=entry.plain_key if entry is not None else None,
        size=record.size,
        sha256=record.sha256,
        etag=record.etag,
        integrity=entry.integrity if entry is not None else "",
        headers=headers,
    )
    return Blob(key, asset, record.plain, record.content_type, record.cache_control, record.extra)


def _reason(
    want: ObjectRecord, remote: RemoteObject | None, said: ObjectRecord | None, written: datetime | None
) -> Reason | None:
    """publish's comparison (plan._reason) of a key against the record it should match:
    the listing's size and ETag, the live record vouching for an ETag that is no MD5
    when it holds the same bytes and the object is no newer than its record; headers are
    known only from the live record (a listing does not give them)."""
    if remote is None:
        return Reason.NEW
    if remote.size != want.size:
        return Reason.CHANGED
    if remote.etag != want.etag:
        vouched = (
            said is not None
            and said.sha256 == want.sha256
            and (said.etag == remote.etag or (written is not None and remote.last_modified <= written))
        )
        if not vouched:
            return Reason.CHANGED
    if said is None or said.headers() != want.headers():
        return Reason.HEADERS
    return None
