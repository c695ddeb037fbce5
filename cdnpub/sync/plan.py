"""Diff a build against one listing of the bucket and the last release record.

A pure function: values in, a Plan out. The dry run is this module's output
printed; publish executes it phase by phase.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from cdnpub.build.digest import MULTIPART_THRESHOLD
from cdnpub.build.model import HASHED_NAME, Asset, Build
from cdnpub.errors import UserError
from cdnpub.sync.layout import is_meta_key, is_record_key, meta_owner, releases_prefix
from cdnpub.sync.order import waves
from cdnpub.sync.pending import Pending
from cdnpub.sync.release import ObjectRecord, Release, new_release
from cdnpub.urls import safe_segments, under

MAX_KEY_BYTES = 1024  # S3's limit on a key's UTF-8 length


DEFAULT_MAX_DELETE = 1000


@dataclass(frozen=True, slots=True)
class RemoteObject:
    key: str
    size: int
    etag: str  # without quotes
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class Listing:
    prefix: str
    objects: Mapping[str, RemoteObject]

    def release_keys(self) -> list[RemoteObject]:
        """Release records, oldest first (their keys sort by time)."""
        return sorted(
            (o for k, o in self.objects.items() if is_record_key(k, self.prefix)), key=lambda o: o.key
        )


@dataclass(frozen=True, slots=True)
class Blob:
    """One object the release wants at `key`: an asset's bytes with headers."""

    key: str
    asset: Asset
    plain: bool  # a plain-name copy (short cache, invalidated on change)
    content_type: str
    cache_control: str
    extra: tuple[tuple[str, str], ...] = ()

    def record(self) -> ObjectRecord:
        a = self.asset
        return ObjectRecord(
            a.sha256, a.etag, a.size, self.content_type, self.cache_control, self.extra, self.plain
        )


class Reason(str, Enum):
    """Why a key is written. A str, so that `--json` and the plan table show the value
    ("new"), the same strings as before there was an enum."""

    NEW = "new"  # nothing at the key
    CHANGED = "changed"  # other bytes at the key
    HEADERS = "headers"  # the right bytes with other (or unknown) headers: a copy in place

    def __str__(self) -> str:  # "new" on every Python (3.11 changed the str() of mixins)
        return self.value


@dataclass(frozen=True, slots=True)
class Action:
    blob: Blob
    reason: Reason

    @property
    def copies(self) -> bool:
        """A header fix is a server-side copy in place, but for a multipart plain-name
        copy: S3 gives a copy a single-part ETag, which the next publish could no
        longer compare with the local one, so that one is uploaded again."""
        return self.reason is Reason.HEADERS and not (
            self.blob.plain and self.blob.asset.size >= MULTIPART_THRESHOLD
        )

    @property
    def sent_bytes(self) -> int:
        """Bytes that travel: none for a copy."""
        return 0 if self.copies else self.blob.asset.size


@dataclass(frozen=True, slots=True)
class Plan:
    bucket: str
    prefix: str
    fingerprinted: tuple[Action, ...]  # phase 1: uploads and header fixes of immutable keys
    plain: tuple[Action, ...]  # phase 2: plain-name copies, after every phase-1 write succeeded
    release: Release  # phase 3: the record, last
    write_release: bool
    prune: tuple[str, ...] = ()  # phase 4: deletes, only when asked
    skipped: int = 0
    invalidate: tuple[str, ...] = ()  # keys whose bytes or headers changed under the same URL
    pending: Pending | None = None  # the marker an earlier publish left (see pending.py)
    # Kept-name keys whose ETag cannot tell whether they hold these bytes (an ETag that is
    # no MD5: SSE-KMS, another tool's multipart upload) and no record vouches: the caller
    # reads them back (confirm_kept) before writing anything.
    unverified: tuple[Blob, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # The wave of each plain action (order.waves): a plain module lands after the plain
    # keys it imports. Empty: one wave.
    plain_waves: tuple[int, ...] = ()
    # A rollback's (sync/rollback.py): every write is a server-side copy of an object the
    # bucket holds, so no byte is sent (upload_bytes and Done.uploaded_bytes are 0).
    from_bucket: bool = False

    def plain_in_order(self) -> tuple[tuple[Action, ...], ...]:
        """The plain phase as waves, each written only once the ones before it landed."""
        if not self.plain_waves:
            return (self.plain,) if self.plain else ()
        count = max(self.plain_waves) + 1
        waved = list(zip(self.plain, self.plain_waves, strict=True))
        return tuple(tuple(a for a, w in waved if w == n) for n in range(count))

    @property
    def uploads(self) -> tuple[Action, ...]:
        return tuple(a for a in (*self.fingerprinted, *self.plain) if a.reason is not Reason.HEADERS)

    @property
    def header_fixes(self) -> tuple[Action, ...]:
        return tuple(a for a in (*self.fingerprinted, *self.plain) if a.reason is Reason.HEADERS)

    @property
    def upload_bytes(self) -> int:
        return 0 if self.from_bucket else sum(a.sent_bytes for a in self.uploads)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.fingerprinted or self.plain or self.write_release or self.prune)


def blobs(build: Build, plain_copies: bool = True) -> Iterator[Blob]:
    """Every object the build wants in the bucket, dependencies first."""
    for a in build.assets:
        h = a.headers
        yield Blob(a.key, a, False, h.content_type, h.fingerprinted_cache_control, h.extra)
        if plain_copies and a.plain_key is not None:
            yield Blob(a.plain_key, a, True, h.content_type, h.cache_control, h.extra)


def check_key(blob: Blob) -> None:
    key = blob.key
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise UserError(f"{blob.asset.fs_path}: its key is longer than S3's {MAX_KEY_BYTES} bytes")
    if not safe_segments(key):  # a leading "/" is an empty segment
        raise UserError(f"{blob.asset.fs_path}: refusing the unsafe key {key!r}")


def desired_release(
    build: Build, manifest: Mapping[str, Any], now: datetime, plain_copies: bool = True
) -> Release:
    """The release record this build would write (its id names its content)."""
    wanted = list(blobs(build, plain_copies))
    return new_release(build.prefix, {b.key: b.record() for b in wanted}, manifest, now)


def unchanged(bucket: str, build: Build, last: Release | None, release: Release) -> Plan | None:
    """The plan when the newest release record already is this build: nothing to write,
    known without listing the whole prefix. None when the full diff is needed."""
    if last is None or last.id != release.id:
        return None
    return Plan(
        bucket=bucket,
        prefix=build.prefix,
        fingerprinted=(),
        plain=(),
        release=last,
        write_release=False,
        skipped=len(last.objects),
        warnings=build.warnings,
    )


@dataclass(frozen=True, slots=True)
class History:
    """What the bucket's bookkeeping says about earlier publishes of this prefix, read
    by publish (`prepare`) and handed in, so that plan() stays pure."""

    last: Release | None = None  # the newest readable release record; None: nothing published
    # When the store wrote `last`'s record (its LastModified, to the second): an object
    # written no later than that is vouched for by the record even when its ETag is no MD5.
    last_written: datetime | None = None
    # Keys a publish that stopped half-way may have written since (pending.Pending.unsure):
    # no record vouches for them, their bytes are compared.
    unsure: frozenset[str] = frozenset()
    recent: tuple[Release, ...] = ()  # releases live at some point within the grace period
    expired: tuple[Release, ...] = ()  # releases past it: what prune may delete


@dataclass(frozen=True, slots=True)
class Prune:
    """Delete what expired releases named, once older than `cutoff` (now - the grace period)."""

    cutoff: datetime
    max_delete: int = DEFAULT_MAX_DELETE  # more is a UserError: a mistake, until asked for
    foreign: bool = False  # also delete what no release record names (another tool's objects)


@dataclass(frozen=True, slots=True)
class Options:
    """The publish's choices that change the plan."""

    plain_copies: bool = True  # also write each asset at its plain name
    prune: Prune | None = None  # None: delete nothing


def plan(
    build: Build,
    bucket: str,
    listing: Listing,
    history: History,
    release: Release,
    options: Options = Options(),
) -> Plan:
    """What to write so that `bucket` holds `build`, and what may be deleted.

    `listing`: every object under the prefix; `release`: the record this build writes
    (desired_release). Raises UserError on a key S3 cannot hold or would serve elsewhere,
    on a kept name whose bytes differ from those published under it, and on a prune of
    more than `options.prune.max_delete` objects."""
    last = history.last
    wanted = list(blobs(build, options.plain_copies))
    for blob in wanted:
        check_key(blob)
    known = last.objects if last else {}
    phases: dict[bool, list[Action]] = {False: [], True: []}
    invalidate: list[str] = []
    skipped = 0
    unverified: list[Blob] = []
    for blob in wanted:
        written = None if blob.key in history.unsure else history.last_written
        remote, record = listing.objects.get(blob.key), known.get(blob.key)
        reason = _reason(blob, remote, record, written)
        if reason is Reason.CHANGED and blob.asset.kept_name:
            reason = _kept_reason(blob, remote, record, bucket)
            unverified.append(blob)
        if reason is None:
            skipped += 1
            continue
        phases[blob.plain].append(Action(blob, reason))
        if blob.plain and reason is not Reason.NEW:
            invalidate.append(blob.key)
        elif reason is Reason.HEADERS and blob.key in known:
            # New headers on an immutable key that a release served: the edges keep the
            # old ones for a year unless told. (Unknown to the last release: a repair of
            # objects no page has fetched yet, nothing to tell.)
            invalidate.append(blob.key)
    prune: tuple[str, ...] = ()
    if options.prune is not None:
        prune = _prune(listing, release, history, options.prune)
        _check_max_delete(len(prune), options.prune.max_delete)
        invalidate += _stale_urls(prune)
    return Plan(
        bucket=bucket,
        prefix=build.prefix,
        fingerprinted=tuple(phases[False]),
        plain=tuple(phases[True]),
        plain_waves=waves([a.blob.asset.path for a in phases[True]], build.modules),
        release=release,
        write_release=last is None or last.id != release.id,  # a repair of one release keeps its record
        prune=prune,
        skipped=skipped,
        invalidate=tuple(sorted(set(invalidate))),
        warnings=build.warnings,
        unverified=tuple(unverified),
    )


def kept_name_changed(blob: Blob, bucket: str) -> UserError:
    """A kept name (a bundler's content hash) whose bytes differ from those published under
    it: uploading them cannot reach the browsers and edges that cached the old ones for a
    year, and the manifest's SRI would describe bytes no longer served."""
    return UserError(
        f"{blob.asset.fs_path}: other bytes are already published under its name at "
        f"s3://{bucket}/{blob.key}, served immutable; rebuild it so that its name changes "
        "(nothing was written)"
    )


def _kept_reason(
    blob: Blob, remote: RemoteObject | None, record: ObjectRecord | None, bucket: str
) -> Reason | None:
    """A kept name whose ETag differs: other bytes are an error (kept_name_changed), the
    same size may be the same bytes under an ETag that is no MD5, which the caller reads
    back (Plan.unverified). Meanwhile only the headers may need a fix."""
    assert remote is not None
    if remote.size != blob.asset.size or (record is not None and record.sha256 != blob.asset.sha256):
        raise kept_name_changed(blob, bucket)
    same = record is not None and record.headers() == blob.record().headers()
    return None if same else Reason.HEADERS


def _stale_urls(pruned: Sequence[str]) -> list[str]:
    """The pruned keys a viewer may still fetch by a URL that stays: a pruned key belongs
    to a release no longer fetched, so only plain names, told from fingerprinted ones by
    cdnpub's naming (a bundler's name costs one needless path)."""
    return [k for k in pruned if not HASHED_NAME.search(k) and not is_meta_key(k)]


def _check_max_delete(count: int, max_delete: int) -> None:
    if count > max_delete:
        raise UserError(
            f"pruning would delete {count} objects, more than --max-delete {max_delete}; "
            f"check with --dry-run, then run again with --max-delete {count}"
        )


def _reason(
    blob: Blob, remote: RemoteObject | None, record: ObjectRecord | None, last_written: datetime | None
) -> Reason | None:
    if remote is None:
        return Reason.NEW
    asset = blob.asset
    if remote.size != asset.size:
        return Reason.CHANGED
    # Every key is compared by content: the ETag S3 computed against the local one (a
    # fingerprinted key names its content only as far as the build that named it: a
    # kept name is a bundler's, and the listing carries the ETags at no extra cost).
    # Where S3's ETag is no MD5 (SSE-KMS, a copy of a multipart object),
    # the last release vouches for the same bytes if the object was written no later
    # than its record was (to the second, as S3 gives LastModified; the keys a publish
    # that stopped half-way may have written since come with no `last_written`).
    if remote.etag != asset.etag:
        vouched = (
            record is not None
            and record.sha256 == asset.sha256
            and (
                record.etag == remote.etag
                or (last_written is not None and remote.last_modified <= last_written)
            )
        )
        if not vouched:
            return Reason.CHANGED
    if record is None or record.headers() != blob.record().headers():
        return Reason.HEADERS  # bytes are right, headers unknown or different: copy in place
    return None


def _prune(listing: Listing, release: Release, history: History, rule: Prune) -> tuple[str, ...]:
    """Objects that an expired release named (or a record older than `rule.cutoff` lists as
    a killed publish's orphans) and no release live within the grace period references,
    themselves older than `rule.cutoff`; and the records of releases that
    were not live in it. What no cdnpub release named (another tool's, a hand upload)
    stays unless `rule.foreign`: cdnpub shares prefixes, and deletes only what it published.

    A release is live until its successor lands: the one before this publish
    (`history.last`) still serves pages however old it is, and `history.recent` holds
    every release that was live at some point after the cutoff (the caller picks them
    from the record times)."""
    cutoff, foreign, expired = rule.cutoff, rule.foreign, history.expired
    live = [release, *history.recent, *([history.last] if history.last else [])]
    keep: set[str] = {key for r in live for key in r.objects}
    records = releases_prefix(listing.prefix)
    current = {r.key for r in live}
    # Deeper prefixes with release records of their own are other publishes: not ours to prune.
    mine = under(listing.prefix)
    others = {o for key in listing.objects if (o := meta_owner(key)) is not None and o != mine}
    named = {key for r in expired for key in r.objects}
    # What a publish killed half-way left and the repairing publish's record carries
    # (Release.orphans): no page of any release names it, so it goes once that record is
    # older than the cutoff, live or not.
    carriers = [*history.recent, *([history.last] if history.last else []), *expired]
    named |= {key for r in carriers if r.created < cutoff for key in r.orphans}
    doomed: list[str] = []
    doomed_records: set[str] = set()
    for key, obj in listing.objects.items():
        if obj.last_modified >= cutoff or key in keep or any(key.startswith(o) for o in others):
            continue
        if key.startswith(records):
            if key not in current and is_record_key(key, listing.prefix):  # not a stray file of someone's
                doomed_records.add(key)
        elif not is_meta_key(key) and (key in named or foreign):
            doomed.append(key)
    # An expired record goes once every object only it named is gone (some are still
    # within the grace period): the next prune would no longer know they are cdnpub's.
    gone = set(doomed)
    for r in expired:
        if any(k in listing.objects and k not in keep and k not in gone for k in (*r.objects, *r.orphans)):
            doomed_records.discard(r.key)
    return tuple(sorted([*doomed, *doomed_records]))
