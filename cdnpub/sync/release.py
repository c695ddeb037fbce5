"""The release record: what one publish put at each key, uploaded last under
PREFIX/.cdnpub/releases/. It tells the next publish which headers each key was
given (a listing does not say) and tells prune what a recent release still needs."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from cdnpub.errors import UserError
from cdnpub.sync.layout import record_key

FORMAT = "cdnpub-release"


VERSION = 1


# A record holds every key of its release (about 600 bytes each with its manifest entry):
# 128 MiB is some 200,000 files. Past it a record is refused, stored or inflated (a gzip
# bomb of 0.6 MB stored inflates to 600 MiB), before it costs gigabytes of memory.
MAX_RECORD_BYTES = 128 * 1024 * 1024


# Nesting a record's manifest ever has (document, assets, entry, module, imports...);
# deeper is no record cdnpub wrote, and code that walks it should not meet it.
MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    sha256: str
    etag: str
    size: int
    content_type: str
    cache_control: str
    extra: tuple[tuple[str, str], ...] = ()
    plain: bool = False  # a plain-name copy: its URL is invalidated when it changes or goes

    def headers(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return (self.content_type, self.cache_control, self.extra)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Who published a release, when known: the source revision (a commit id), the CI run
    (a URL, or a run id when the CI gives no URL) and the cdnpub version. Not part of the
    release id: the same content published from two runs is the same release."""

    revision: str | None = None
    run: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Restores:
    """A rollback's record names the release it made live again: its id (the record's own,
    as the content is the same) and when that release was first published, so `releases`
    tells a rollback from a publish of the same build. Not part of the release id."""

    id: str
    created: datetime


@dataclass(frozen=True, slots=True)
class Release:
    id: str  # sha256 of prefix + objects: the same content publishes the same id
    created: datetime
    prefix: str
    objects: Mapping[str, ObjectRecord]
    manifest: Mapping[str, Any]
    # Optional, written only when known (records of older versions have none of them, and
    # older readers ignore them): the static folders' sub-prefixes built ("" for the
    # app's own), for the shrink guard; who published it.
    folders: tuple[str, ...] | None = None
    provenance: Provenance = Provenance()
    restores: Restores | None = None  # written by a rollback only (rollback.py)
    # Keys a publish killed half-way wrote that this release does not name (a repair
    # carries them from the lease it took over): cdnpub's own, so that a later prune
    # deletes them once this record is older than its grace period, instead of leaving
    # them to --prune-foreign. Not part of the id; older readers ignore the field.
    orphans: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return record_key(self.prefix, self.created, self.id)


def release_id(prefix: str, objects: Mapping[str, ObjectRecord]) -> str:
    canonical = json.dumps(
        {"prefix": prefix, "objects": {k: _record_doc(v) for k, v in sorted(objects.items())}},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_release(
    prefix: str, objects: Mapping[str, ObjectRecord], manifest: Mapping[str, Any], now: datetime
) -> Release:
    return Release(
        id=release_id(prefix, objects),
        created=now.astimezone(timezone.utc).replace(microsecond=0),
        prefix=prefix,
        objects=dict(sorted(objects.items())),
        manifest=manifest,
    )


def dumps(release: Release) -> bytes:
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "id": release.id,
        "created": _stamp(release.created),
        "prefix": release.prefix,
        "objects": {k: _record_doc(v) for k, v in release.objects.items()},
        "manifest": release.manifest,
    }
    if release.folders is not None:
        doc["folders"] = list(release.folders)
    if release.orphans:
        doc["orphans"] = sorted(set(release.orphans))
    about = {k: v for k, v in _provenance_doc(release.provenance).items() if v is not None}
    if about:
        doc["provenance"] = about
    if release.restores is not None:
        doc["restores"] = {"id": release.restores.id, "created": _stamp(release.restores.created)}
    # Compact and gzipped: a record holds every key of the release and is read by
    # every publish, so its size is paid on each run (10x smaller than indented JSON).
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode(), mtime=0)


def loads(data: bytes, origin: str) -> Release:
    """Parse a record; a defect is a UserError naming `origin` (callers may downgrade it):
    bytes that are not gzip or JSON, the wrong shape, a size that is not a whole number
    of bytes (`1e999`, `-1`, `"x"`), nesting past MAX_DEPTH or the parser's limit, and
    a record past MAX_RECORD_BYTES stored or inflated (never inflated further)."""
    try:
        doc = json.loads(_inflated(data), parse_constant=_no_constant)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
            raise ValueError("not a version 1 cdnpub release record")
        objects = {str(k): _record(v) for k, v in doc["objects"].items()}
        created = _time(doc["created"])
        manifest = dict(doc["manifest"])
        _shallow(manifest, MAX_DEPTH)
        folders = doc.get("folders")
        orphans = doc.get("orphans") or []
        if not isinstance(orphans, list) or not all(isinstance(k, str) for k in orphans):
            raise TypeError("orphans must be a list of strings")
        return Release(
            str(doc["id"]),
            created,
            str(doc["prefix"]),
            objects,
            manifest,
            None if folders is None else tuple(str(f) for f in folders),
            _provenance(doc.get("provenance") or {}),
            _restores(doc.get("restores")),
            tuple(orphans),
        )
    except RecursionError:
        raise UserError(f"release record {origin} is corrupt (nested too deeply)") from None
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        UnicodeDecodeError,
        OSError,
        EOFError,
        zlib.error,
    ) as err:
        raise UserError(f"release record {origin} is corrupt ({err})") from None


def _inflated(data: bytes) -> bytes | bytearray:
    """The JSON of a record as stored (gzip, or plain for a hand-written one), at most
    MAX_RECORD_BYTES: zlib inflates 1 MiB at a time up to that (RFC 1952 framing, one
    member), so a bomb costs the limit, not what it would inflate to."""
    if len(data) > MAX_RECORD_BYTES:
        raise ValueError(f"larger than {MAX_RECORD_BYTES // 2**20} MiB")
    if data[:2] != b"\x1f\x8b":
        return data
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    text = bytearray()
    pending = data
    while not inflate.eof:
        out = inflate.decompress(pending, _CHUNK)
        pending = inflate.unconsumed_tail
        if not out and not pending:  # all read, nothing more to give, no end of stream
            raise ValueError("the gzip stream is cut short")
        text += out
        if len(text) > MAX_RECORD_BYTES:
            raise ValueError(f"larger than {MAX_RECORD_BYTES // 2**20} MiB inflated")
    return text


_CHUNK = 1 << 20


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is no JSON number")


def _shallow(doc: Any, limit: int) -> None:
    """ValueError when `doc` nests lists and objects deeper than `limit`; walked with a
    stack of its own, so no depth reaches Python's recursion limit here."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    raise ValueError(f"nested deeper than {limit} levels")
                stack.append((child, depth + 1))


def _size(value: Any) -> int:
    """A size as a record holds it: a whole number of bytes (not 1e999, 1.5, true or -1)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"size {str(value)[:20]} is not a number of bytes")
    return value


def _record_doc(r: ObjectRecord) -> dict[str, Any]:
    return {
        "sha256": r.sha256,
        "etag": r.etag,
        "size": r.size,
        "content_type": r.content_type,
        "cache_control": r.cache_control,
        "headers": dict(r.extra),
        "plain": r.plain,
    }


def _record(doc: Mapping[str, Any]) -> ObjectRecord:
    return ObjectRecord(
        sha256=str(doc["sha256"]),
        etag=str(doc["etag"]),
        size=_size(doc["size"]),
        content_type=str(doc["content_type"]),
        cache_control=str(doc["cache_control"]),
        extra=tuple(sorted((str(k), str(v)) for k, v in doc["headers"].items())),
        plain=bool(doc.get("plain", False)),
    )


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(text: Any) -> datetime:
    return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _restores(doc: Any) -> Restores | None:
    """A rollback's `restores` ({"id", "created"}); None when absent or null."""
    if doc is None:
        return None
    return Restores(str(doc["id"]), _time(doc["created"]))


def _provenance_doc(p: Provenance) -> dict[str, str | None]:
    return {"revision": p.revision, "run": p.run, "cdnpub": p.version}


def _provenance(doc: Mapping[str, Any]) -> Provenance:
    def text(name: str) -> str | None:
        value = doc.get(name)
        return None if value is None else str(value)

    return Provenance(text("revision"), text("run"), text("cdnpub"))
