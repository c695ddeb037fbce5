"""What `cdnpub doctor` reads and what it says: the fetched set-up of a bucket and its
CloudFront distribution (plain dicts, as boto3 returns them) and the findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from cdnpub.sync.release import ObjectRecord


class Status(str, Enum):
    """A check's verdict. str-valued: the --json document and the log lines carry the value."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:  # f"{status:4}" pads the value, not "Status.PASS"
        return format(self.value, spec)


PASS, WARN, FAIL = Status.PASS, Status.WARN, Status.FAIL


class Group(str, Enum):
    """What a check is about; the report lists the groups in this order."""

    ORIGIN = "origin"
    ACCESS = "access"
    CACHING = "caching"
    CROSS_ORIGIN = "cross-origin"
    STORAGE = "storage"
    PUBLISHED = "published"
    APP = "app"  # what the app's pages point at (flask cdn doctor, cdnpub doctor --manifest)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


CONSOLE = "CloudFront console > Distributions > {id}"  # where a fix in the console starts


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict: `why` is one line, `fix` the setting to change and how."""

    group: Group
    check: str  # stable id, e.g. "origin.rest-endpoint"; its part before the dot is the group's value
    status: Status
    why: str
    fix: str = ""
    checked: bool = True  # False: what it judges could not be read, so it says nothing

    def __post_init__(self) -> None:
        # Callers may name a group or status by its value ("pass"); it is held as the enum.
        object.__setattr__(self, "group", Group(self.group))
        object.__setattr__(self, "status", Status(self.status))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one check says, before the registry (doctor.checks) names it: a Finding
    without its group and id, so each id is written once, in the registry."""

    status: Status
    why: str
    fix: str = ""
    checked: bool = True  # False: the check could not be made (a read refused); never a pass


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What `cdnpub doctor` tells: where it looked and every finding, in the report's order."""

    bucket: str
    prefix: str
    distribution_id: str | None  # given, or the one found with the bucket as origin
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """A plain-name object as the newest release record says it is, and as S3 has it."""

    key: str
    record: ObjectRecord
    head: Mapping[str, Any] | None  # HeadObject's answer (and "sha256" if read); None: missing


class Unfinished(str, Enum):
    """What the prefix's lease (or an older version's marker) says of the last writer."""

    NONE = "none"  # free: the last publish or rollback ended
    RUNNING = "running"  # a publish or rollback holds the lease now
    HALF_DONE = "half-done"  # one stopped half-way: the next publish repairs it
    OWED = "owed"  # its record landed, its CloudFront invalidation did not


@dataclass(frozen=True, slots=True)
class Published:
    """What the bucket holds under the prefix, as far as doctor reads it."""

    record_key: str | None = None  # the newest release record's key; None: nothing published
    records: Mapping[str, ObjectRecord] | None = None  # its objects; None: unreadable
    record_error: str = ""
    unfinished: Unfinished = Unfinished.NONE
    holder: str = ""  # who holds or held the lease (Lease.describe), when it is not free
    samples: tuple[Sample, ...] = ()


@dataclass(frozen=True, slots=True)
class App:
    """What the app's pages point at: CDN_DOMAIN/CDN_HTTPS (flask cdn doctor) and the
    keys its manifest names, against what the bucket holds (one listing)."""

    domain: str = ""  # CDN_DOMAIN, no scheme; "" when not checked (unset, or --local)
    https: bool = True  # CDN_HTTPS
    manifest: str = ""  # the manifest file read; "" when none
    manifest_given: bool = False  # named by the user (--manifest): its absence is their mistake
    manifest_error: str = ""  # why it could not be read
    keys: int = 0  # how many keys it names
    missing: tuple[str, ...] = ()  # the keys it names that the bucket lacks, sorted
    publish: str = "cdnpub publish"  # the command that uploads them (the face's own)


@dataclass(frozen=True, slots=True)
class SetUp:
    """The configuration doctor fetched. None means "not configured" (S3's NoSuch...);
    a name in `denied` means "could not be read", with the IAM action that was refused; a
    name in `unreadable`, that the service answered an error (quoted) after the retries."""

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
    app: App | None = None
    denied: Mapping[str, str] = field(default_factory=dict)  # what -> IAM action refused
    unreadable: Mapping[str, str] = field(default_factory=dict)  # what -> the error answered


def denied(what: str, action: str) -> Verdict:
    """A check that could not read what it judges: a warning naming the refused IAM action.
    AccessDenied says only "refused": the identity may lack the action, or a bucket
    policy's Deny may stop it (access.bucket-policy names such a statement)."""
    return Verdict(
        WARN,
        f"could not read the {what}: refused (the credentials lack {action}, or a policy denies it)",
        f"grant {action} to the identity running doctor (aws sts get-caller-identity tells which), "
        "or exempt it from the bucket policy's Deny",
        checked=False,
    )
