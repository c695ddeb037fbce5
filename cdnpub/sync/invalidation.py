"""Which CloudFront paths to invalidate: pure path algebra, no I/O.

Only plain-name keys whose bytes changed under an unchanged URL need an invalidation;
fingerprinted keys never do. Paths past a threshold collapse into the fewest directory
wildcards that cover them; batches stay within CloudFront's limits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from cdnpub.urls import invalidation_path as invalidation_path

T = TypeVar("T")


#: Default of `--invalidate-threshold`: past this many paths, collapse into wildcards.
DEFAULT_THRESHOLD = 25


#: CloudFront's cap on paths in one invalidation batch.
MAX_PATHS = 3000


#: CloudFront's cap on wildcard paths in progress at once for a distribution.
MAX_WILDCARDS = 15


def _is_wildcard(path: str) -> bool:
    return path.endswith("*")


def _dir_at(path: str, depth: int) -> str | None:
    """The ancestor directory of `path` with `depth` segments (`/` is depth 0), if any."""
    parts = path.split("/")[1:-1]  # directories only: "/a/b/c.css" -> ["a", "b"]
    if depth > len(parts):
        return None
    return "/" + "".join(p + "/" for p in parts[:depth])


def _allowed(directory: str, floor: str) -> bool:
    if not floor:
        return directory != "/"
    return directory.startswith(floor)


def collapse(paths: Sequence[str], threshold: int, floor: str = "") -> tuple[str, ...]:
    """At most `threshold` paths covering `paths`, by merging siblings into wildcards.

    `floor` is the shallowest directory a wildcard may name, as an invalidation path
    (`/static/` allows `/static/*` but not `/*`); the default "" allows any directory
    but the root, so a publish never invalidates the whole distribution unless `floor`
    is "/". If the floor stops the climb, the result may still exceed `threshold`:
    `batches` copes with any count.
    """
    current = set(paths)
    if len(current) <= threshold:
        return tuple(sorted(current))
    if floor:  # "static", "/static" and "/static/" all mean "/static/"
        floor = "/" + floor.strip("/") + "/" if floor.strip("/") else "/"
    # A wildcard costs one path, and paths past the monthly free quota of 1,000 cost
    # money: past the threshold, climb the tree from the deepest level up, and at each
    # level merge the largest sibling groups first into `dir/*`, stopping as soon as the
    # count fits. Deepest first keeps every wildcard as narrow as the count allows.
    deepest = max(p.count("/") - 1 for p in current)
    for depth in range(deepest, -1, -1):
        groups: dict[str, list[str]] = {}
        for path in current:
            directory = _dir_at(path, depth)
            if directory is not None and _allowed(directory, floor):
                groups.setdefault(directory, []).append(path)
        for directory, members in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
            if len(current) <= threshold:
                return tuple(sorted(current))
            if len(members) < 2:
                break  # sorted by size: no group left at this level reduces the count
            current.difference_update(members)
            current.add(directory + "*")
    return tuple(sorted(current))


def batches(
    paths: Sequence[str], max_paths: int = MAX_PATHS, max_wildcards: int = MAX_WILDCARDS
) -> tuple[tuple[str, ...], ...]:
    """Split `paths` into the fewest invalidation batches within CloudFront's limits.

    Wildcards go `max_wildcards` to a batch, plain paths fill the room left, then
    batches of plain paths alone. The wildcard limit counts paths *in progress* per
    distribution, so a later batch may meet TooManyInvalidationsInProgress until an
    earlier one completes: `CloudFront.invalidate` waits and retries.
    """
    if max_paths < 1 or max_wildcards < 1:
        raise ValueError("max_paths and max_wildcards must be at least 1")
    unique = sorted(set(paths))
    wildcards = [p for p in unique if _is_wildcard(p)]
    plain = [p for p in unique if not _is_wildcard(p)]
    step = min(max_wildcards, max_paths)
    out = [wildcards[i : i + step] for i in range(0, len(wildcards), step)]
    for batch in out:
        room = max_paths - len(batch)
        batch.extend(plain[:room])
        del plain[:room]
    out.extend(plain[i : i + max_paths] for i in range(0, len(plain), max_paths))
    return tuple(tuple(sorted(batch)) for batch in out)


def caller_reference(release_id: str, paths: Sequence[str]) -> str:
    """A CallerReference that is the same whenever the release and its paths are.

    CloudFront answers a repeated reference with the same paths by returning the
    invalidation it already made, so re-running a publish creates no second one.
    """
    digest = hashlib.sha256("\n".join([release_id, *sorted(set(paths))]).encode("utf-8"))
    return "cdnpub-" + digest.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Invalidation:
    id: str
    status: str  # "InProgress" or "Completed"
    paths: tuple[str, ...]
    caller_reference: str

    @property
    def completed(self) -> bool:
        # Case-insensitive: CloudFront says "Completed", moto says "COMPLETED".
        return self.status.lower() == "completed"
