"""Everything one publish needs (Settings), the s3:// URL and bucket and prefix rules,
and the publish's defaults, in one home."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from cdnpub.errors import UserError
from cdnpub.sync.invalidation import DEFAULT_THRESHOLD
from cdnpub.sync.lease import DEFAULT_LEASE_WAIT, LEASE_SECONDS
from cdnpub.sync.plan import DEFAULT_MAX_DELETE
from cdnpub.sync.release import Provenance
from cdnpub.urls import safe_segments

# Requests in flight at once (--jobs): S3 answers each after a round trip, so the wall
# time of a publish is round trips / jobs (bench/sync_bench.py, latency-bound scenario).
DEFAULT_JOBS = 64


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix/` -> ("bucket", "some/prefix")."""
    if not url.startswith("s3://"):
        raise UserError(f"{url!r} is not an s3:// URL (expected s3://BUCKET[/PREFIX])")
    bucket, _, prefix = url[5:].partition("/")
    return check_bucket(bucket, repr(url)), check_prefix(prefix, repr(url))


def check_bucket(bucket: str, origin: str) -> str:
    if not bucket or not _BUCKET.fullmatch(bucket):
        raise UserError(f"{origin}: {bucket!r} is not a valid bucket name")
    return bucket


def check_prefix(prefix: str, origin: str) -> str:
    """The key prefix without its outer slashes; no empty, '.' or '..' segment, which S3
    would keep literally and a browser would not, and no segment starting with a dot:
    `static/.cdnpub` would publish into the bookkeeping of the publish at `static`."""
    prefix = prefix.strip("/")
    if prefix and not safe_segments(prefix):
        raise UserError(f"{origin}: the prefix must not hold empty, '.' or '..' segments")
    if any(seg.startswith(".") for seg in prefix.split("/")):
        raise UserError(f"{origin}: the prefix must not hold a segment starting with '.' (such as .cdnpub)")
    return prefix


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-_]{1,253}[a-z0-9]")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything one publish needs, wherever each value came from."""

    bucket: str
    prefix: str
    jobs: int = DEFAULT_JOBS
    dry_run: bool = False
    verify: bool = False  # list the whole prefix even when the last release is this build
    plain_copies: bool = True
    prune_older_than: timedelta | None = None
    prune_foreign: bool = False  # also delete what no cdnpub release record named
    max_delete: int = DEFAULT_MAX_DELETE
    distribution_id: str | None = None
    wait: bool = False
    wait_timeout: float = 900.0
    invalidate_threshold: int = DEFAULT_THRESHOLD
    manifest: str | None = None  # where to write the app's manifest after success
    cdn_domain: str | None = None  # what viewers use, when not the distribution's own (the local preview)
    allow_shrink: bool = False  # publish even when the build drops most of the live release (shrink.py)
    folders: tuple[str, ...] = ("",)  # sub-prefixes of the static folders built, "" for the app's
    merged: tuple[str, ...] = ()  # sub-prefixes now published as part of another folder: not guarded
    provenance: Provenance | None = None  # recorded in the release (sync.provenance); None: unknown
    lease: bool = True  # False (--no-lease): the user serialises publishes; the lease is written plainly
    lease_wait: float = DEFAULT_LEASE_WAIT  # seconds to wait for another publish's lease
    lease_seconds: float = LEASE_SECONDS  # the lease's term (renewed every third of it)
