"""The history of a prefix as a team reads it (pure: release records in, values out):
each release's files and bytes, which one is live, and what changed between two
releases, or between a build and the live release.

A file is a logical path of the release's manifest (`css/app.css`, `admin/a.css` for a
blueprint's folder), with the sha256 and size (bytes, uncompressed) the manifest records;
a plain-name copy is the same file, counted once. A file is changed when its sha256 is.
The live release is the newest record of the prefix: the one the next publish reads as
what the bucket holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from cdnpub.errors import UserError
from cdnpub.sync.release import Provenance, Release, Restores
from cdnpub.text import plural


class Change(Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class File:
    sha256: str
    size: int  # bytes


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    change: Change
    old_size: int | None  # None: added
    new_size: int | None  # None: removed

    @property
    def delta(self) -> int:
        """Bytes up (positive) or down (negative)."""
        return (self.new_size or 0) - (self.old_size or 0)


@dataclass(frozen=True, slots=True)
class Diff:
    """What goes from `old` to `new`: the files that differ, the biggest growth first
    (then the biggest shrink, then by path), and the totals of both sides."""

    changes: tuple[FileChange, ...]
    old_files: int
    old_bytes: int
    new_files: int
    new_bytes: int

    def count(self, change: Change) -> int:
        return sum(1 for c in self.changes if c.change is change)

    @property
    def count_added(self) -> int:
        return self.count(Change.ADDED)

    @property
    def count_removed(self) -> int:
        return self.count(Change.REMOVED)

    @property
    def count_changed(self) -> int:
        return self.count(Change.CHANGED)

    @property
    def delta(self) -> int:
        return self.new_bytes - self.old_bytes


@dataclass(frozen=True, slots=True)
class Entry:
    """One release as `cdnpub releases` lists it. `since` is its diff against the release
    before it (None for the oldest one read: nothing to compare with)."""

    id: str
    created: datetime
    files: int
    bytes: int
    live: bool
    provenance: Provenance
    folders: tuple[str, ...] | None
    since: Diff | None
    restores: Restores | None = None  # a rollback's record: the release it made live again


def files_of(manifest: Mapping[str, Any]) -> dict[str, File]:
    """The files a manifest document names (an unreadable entry is left out: a record of
    another version is read as far as it can be)."""
    assets = manifest.get("assets") if isinstance(manifest, Mapping) else None
    found: dict[str, File] = {}
    for path, entry in assets.items() if isinstance(assets, Mapping) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("size"), int):
            found[str(path)] = File(str(entry.get("sha256", "")), int(entry["size"]))
    return found


def diff(old: Mapping[str, File], new: Mapping[str, File]) -> Diff:
    """Per file, added / removed / changed between `old` and `new`."""
    changes: list[FileChange] = []
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before is None and after is not None:
            changes.append(FileChange(path, Change.ADDED, None, after.size))
        elif after is None and before is not None:
            changes.append(FileChange(path, Change.REMOVED, before.size, None))
        elif before is not None and after is not None and before.sha256 != after.sha256:
            changes.append(FileChange(path, Change.CHANGED, before.size, after.size))
    return Diff(
        tuple(sorted(changes, key=_order)),
        len(old),
        sum(f.size for f in old.values()),
        len(new),
        sum(f.size for f in new.values()),
    )


def _order(c: FileChange) -> tuple[int, int, str]:
    """Growth first, biggest first; then no change in size; then shrinks, biggest first."""
    if c.delta > 0:
        return (0, -c.delta, c.path)
    if c.delta == 0:
        return (1, 0, c.path)
    return (2, c.delta, c.path)


def entries(newest_first: Sequence[Release], live_id: str | None) -> list[Entry]:
    """The releases read (newest first) with each one's change since the next older one;
    the oldest one read has none (its predecessor was not read, or there is none).
    `live_id`: the id of the prefix's newest record (None when it is unreadable): the
    first release read is live when it is that one."""
    files = [files_of(r.manifest) for r in newest_first]
    out: list[Entry] = []
    for i, release in enumerate(newest_first):
        since = diff(files[i + 1], files[i]) if i + 1 < len(newest_first) else None
        out.append(
            Entry(
                id=release.id,
                created=release.created,
                files=len(files[i]),
                bytes=sum(f.size for f in files[i].values()),
                live=release.id == live_id and i == 0,
                provenance=release.provenance,
                folders=release.folders,
                since=since,
                restores=release.restores,
            )
        )
    return out


SHORT_ID = 12  # hex digits of an id shown and held in a record's key (layout.record_key)


def pick(record_ids: Sequence[str], wanted: str) -> int:
    """The index in `record_ids` (the 12-hex-digit ids of the records' keys, newest first)
    of the release `wanted` names: a unique prefix of its id (4 hex digits at least). A
    release published again (a rollback) has several records: the newest is named. Longer
    than 12 digits, the first 12 are matched here; the caller checks the rest against the
    record. UserError: not an id, no such release, or more than one (listed)."""
    ref = wanted.strip().lower()
    if len(ref) < 4 or any(ch not in "0123456789abcdef" for ch in ref):
        raise UserError(f"{wanted!r} is not a release id (at least 4 hex digits, as `releases` prints it)")
    found = [i for i, rid in enumerate(record_ids) if rid.startswith(ref[:SHORT_ID])]
    if not found:
        raise UserError(_none_named(wanted, record_ids))
    named = sorted({record_ids[i] for i in found})
    if len(named) > 1:
        listed = ", ".join(named[:5]) + (f", ... ({len(named) - 5} more)" if len(named) > 5 else "")
        raise UserError(f"{wanted!r} names {len(named)} releases ({listed}): give more of its id")
    return found[0]


def _none_named(wanted: str, record_ids: Sequence[str]) -> str:
    """No record names `wanted`: a typo, or a release pruned (its record goes with it, so it
    looks like a typo unless the line says how far back the records go)."""
    if not record_ids:
        return f"no release {wanted!r}: nothing was published there"
    return (
        f"no release {wanted!r} among the {plural(len(record_ids), 'release record')} of the prefix "
        f"(a release pruned by --prune-older-than goes with its record; the oldest still there is "
        f"{record_ids[-1]}; `releases` lists them)"
    )
