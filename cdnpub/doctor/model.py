"""What `cdnpub doctor` reads and what it says: the fetched set-up of a bucket and its
CloudFront distribution (plain dicts, as boto3 returns them) and the findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdnpub.sync.release import ObjectRecord

PASS, WARN, FAIL = "pass", "warn", "fail"


CONSOLE = "CloudFront console > Distributions > {id}"  # where a fix in the console starts


GROUPS = ("origin", "access", "caching", "cross-origin", "storage", "published")


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict: `why` is one line, `fix` the setting to change and how."""

    group: str  # one of GROUPS
    check: str  # stable id, e.g. "origin.rest-endpoint"
    status: str  # PASS, WARN or FAIL
    why: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Sample:
    """A plain-name object as the newest release record says it is, and as S3 has it."""

    key: str
    record: ObjectRecord
    head: Mapping[str, Any] | None  # HeadObject's answer (and "sha256" if read); None: missing


@dataclass(frozen=True, slots=True)
class Published:
    """What the bucket holds under the prefix, as far as doctor reads it."""

    record_key: str | None = None  # the newest release record's key; None: nothing published
    records: Mapping[str, ObjectRecord] | None = None  # its objects; None: unreadable
    record_error: str = ""
    pending: bool = False  # a half-done publish's marker is present
    samples: tuple[Sample, ...] = ()


@dataclass(frozen=True, slots=True)
class SetUp:
    """The configuration doctor fetched. None means "not configured" (S3's NoSuch...);
    a name in `denied` means "could not be read", with the IAM action that was refused."""

    bucket: str
    prefix: str
    region: str | None = None
    bucket_policy: Mapping[str, Any] | None = None
    public_access_block: Mapping[str, Any] | None = None
    ownership: str | None = None  # ObjectOwnership of the ownership controls
    cors: Sequence[Mapping[str, Any]] | None = None  # S3 CORS rules
    lifecycle: Sequence[Mapping[str, Any]] | None = None  # lifecycle rules
    versioning: str | None = None  # "Enabled", "Suspended" or None (never enabled)
    encryption: Sequence[Mapping[str, Any]] | None = None  # default encryption rules
    distribution: Mapping[str, Any] | None = None  # GetDistribution's "Distribution"
    distribution_note: str = ""  # how it was found (or why not), when not given
    cache_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # custom, by id
    response_headers_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    origin_request_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    published: Published | None = None
    denied: Mapping[str, str] = field(default_factory=dict)  # what -> IAM action refused


def denied_finding(group: str, check: str, what: str, action: str) -> Finding:
    return Finding(
        group,
        check,
        WARN,
        f"could not read the {what}: the credentials lack {action}",
        f"grant {action} to the identity running doctor (aws sts get-caller-identity tells which)",
    )
