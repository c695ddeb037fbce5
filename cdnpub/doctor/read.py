"""`cdnpub doctor`'s I/O: read the bucket's and the distribution's configuration
(read-only: Get*, List* and a few HEADs), then judge it with the checks in `doctor/checks/`.
The one module of doctor that talks to AWS.

A refused read is not a crash: the check that needed it becomes a warning naming the
IAM action. A missing configuration (S3's NoSuch... codes) is a value, None.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from cdnpub.aws.clients import ACCESS_DENIED, NOT_FOUND, error_code, error_message
from cdnpub.aws.managed_policies import (
    is_managed_cache_policy,
    is_managed_origin_request_policy,
    is_managed_response_headers_policy,
)
from cdnpub.aws.s3 import s3_errors
from cdnpub.doctor.checks import run_checks
from cdnpub.doctor.documents import behavior_for, bucket_origins, parse_policy, probe_path
from cdnpub.doctor.model import App, Diagnosis, Published, Sample, SetUp
from cdnpub.doctor.unfinished import judge, lease_to_read
from cdnpub.errors import RemoteError, UserError
from cdnpub.manifest import read as read_manifest
from cdnpub.sync.layout import is_record_key, meta_prefix
from cdnpub.sync.plan import RemoteObject
from cdnpub.sync.release import MAX_RECORD_BYTES, loads

T = TypeVar("T")


SAMPLE_SIZE = 5  # plain-name objects read: a bound on doctor's requests, not a survey


SAMPLE_GET_LIMIT = 1024 * 1024  # bytes: a sample this small is read whole and hashed, a bigger one HEADed


# Configurations not set (S3's NoSuch... codes), and objects not there: a value, None.
_ABSENT = NOT_FOUND | {
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchCORSConfiguration",
    "NoSuchLifecycleConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchCachePolicy",
    "NoSuchResponseHeadersPolicy",
    "NoSuchOriginRequestPolicy",
}  # NOT_FOUND's "404" is also what an emulator without cache policies answers


class _Reader:
    """Runs each read, noting the IAM action of the ones refused, and the answer of the
    optional ones that failed otherwise."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.denied: dict[str, str] = {}
        self.unreadable: dict[str, str] = {}  # what -> the service's answer ("500 Internal ...")

    def read(
        self,
        what: str,
        action: str,
        call: Callable[[], T],
        absent: T | None = None,
        optional: bool = False,
    ) -> T | None:
        """`optional`: a detail one check judges (a policy a behavior names). Any other
        error on it, a 500 after botocore's retries say, leaves that check unjudged (a
        warning that quotes the answer) instead of ending the whole doctor run."""
        import botocore.exceptions  # here, not at the top: `cdnpub build` never loads botocore

        try:
            return call()
        except botocore.exceptions.ClientError as err:
            code = error_code(err)
            if code in _ABSENT:
                return absent
            if code in ACCESS_DENIED:
                self.denied[what] = action
                return absent
            if optional:
                self.unreadable[what] = f"{code} {error_message(err, default='')}".strip()
                return absent
            if code == "NoSuchBucket":
                raise UserError(
                    f"bucket {self.bucket} does not exist (check the s3:// URL and --endpoint-url)"
                ) from None
            if code == "NoSuchDistribution":
                raise UserError("the distribution does not exist (check --distribution-id)") from None
            if action.startswith("cloudfront:"):
                message = error_message(err, default="")
                raise RemoteError(f"CloudFront {action.split(':')[1]}: {code} {message}".strip()) from None
            with s3_errors(self.bucket):
                raise
        except botocore.exceptions.BotoCoreError:
            with s3_errors(self.bucket):
                raise
        raise AssertionError("unreachable")


def diagnose(
    s3: Any,
    cloudfront: Any | None,
    bucket: str,
    prefix: str,
    distribution_id: str | None,
    app: App | None = None,
) -> Diagnosis:
    """Read the set-up of s3://bucket/prefix and the distribution (given, or found as the
    one distribution with the bucket as origin) and run every check. `app`: what the
    app's pages point at (its manifest is read here, and its keys listed in the bucket)."""
    reader = _Reader(bucket)
    region = _region(s3, bucket, reader)
    config = _bucket_config(s3, bucket, reader)
    distribution, note = None, ""
    policies: dict[str, dict[str, Any]] = {"cache": {}, "response": {}, "request": {}}
    if cloudfront is not None:
        distribution, note = _distribution(cloudfront, bucket, distribution_id, reader)
        if distribution is not None:
            policies = _policies(cloudfront, distribution, prefix, reader)
    published = _published(s3, bucket, prefix, reader)
    if app is not None and app.manifest:
        app = _manifest_keys(s3, bucket, app, reader)
    setup = SetUp(
        bucket=bucket,
        prefix=prefix,
        region=region,
        **config,
        distribution=distribution,
        distribution_note=note,
        cache_policies=policies["cache"],
        response_headers_policies=policies["response"],
        origin_request_policies=policies["request"],
        published=published,
        app=app,
        denied=dict(reader.denied),
        unreadable=dict(reader.unreadable),
    )
    found_id = str(distribution["Id"]) if distribution else distribution_id
    return Diagnosis(bucket, prefix, found_id, run_checks(setup))


def _bucket_config(s3: Any, bucket: str, reader: _Reader) -> dict[str, Any]:
    """The bucket's own settings, as SetUp's keyword arguments (None: not set or refused)."""
    policy_text = reader.read(
        "bucket_policy", "s3:GetBucketPolicy", lambda: s3.get_bucket_policy(Bucket=bucket)["Policy"]
    )
    pab = reader.read(
        "public_access_block",
        "s3:GetBucketPublicAccessBlock",
        lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
    )
    ownership = reader.read(
        "ownership",
        "s3:GetBucketOwnershipControls",
        lambda: s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0][
            "ObjectOwnership"
        ],
    )
    cors = reader.read("cors", "s3:GetBucketCORS", lambda: s3.get_bucket_cors(Bucket=bucket)["CORSRules"])
    lifecycle = reader.read(
        "lifecycle",
        "s3:GetLifecycleConfiguration",
        lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
    )
    versioning = reader.read(
        "versioning", "s3:GetBucketVersioning", lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status")
    )
    encryption = reader.read(
        "encryption",
        "s3:GetEncryptionConfiguration",
        lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"],
    )
    return {
        "bucket_policy": parse_policy(policy_text) if policy_text else None,
        "public_access_block": pab,
        "ownership": ownership,
        "cors": cors,
        "lifecycle": lifecycle,
        "versioning": versioning,
        "encryption": encryption,
    }


def _region(s3: Any, bucket: str, reader: _Reader) -> str | None:
    location = reader.read("location", "s3:GetBucketLocation", lambda: s3.get_bucket_location(Bucket=bucket))
    if location is None:
        return None
    return str(location.get("LocationConstraint") or "us-east-1")


def _distribution(
    cloudfront: Any, bucket: str, distribution_id: str | None, reader: _Reader
) -> tuple[Mapping[str, Any] | None, str]:
    if distribution_id:
        found = reader.read(
            "distribution",
            "cloudfront:GetDistribution",
            lambda: cloudfront.get_distribution(Id=distribution_id),
        )
        return (found["Distribution"] if found else None), ""

    def serving() -> list[str]:
        ids = []
        for page in cloudfront.get_paginator("list_distributions").paginate():
            for item in page.get("DistributionList", {}).get("Items", []) or []:
                if bucket_origins(item, bucket):
                    ids.append(str(item["Id"]))
        return ids

    ids = reader.read("distribution", "cloudfront:ListDistributions", serving) or []
    if len(ids) > 1:
        return (
            None,
            f"{len(ids)} distributions have s3://{bucket} as origin ({', '.join(ids)}): none was checked",
        )
    if not ids:
        return None, ""
    found = reader.read(
        "distribution", "cloudfront:GetDistribution", lambda: cloudfront.get_distribution(Id=ids[0])
    )
    note = (
        f"distribution {ids[0]} is the one with s3://{bucket} as origin (--distribution-id to pick another)"
    )
    return (found["Distribution"] if found else None), note


# The policies a behavior may name: its field, our key, the API's name (snake and camel
# case), and whether an id is AWS-managed (known by id, not read).
_POLICY_KINDS = (
    ("CachePolicyId", "cache", "cache_policy", "CachePolicy", is_managed_cache_policy),
    (
        "ResponseHeadersPolicyId", "response", "response_headers_policy", "ResponseHeadersPolicy",
        is_managed_response_headers_policy,
    ),
    (
        "OriginRequestPolicyId", "request", "origin_request_policy", "OriginRequestPolicy",
        is_managed_origin_request_policy,
    ),
)  # fmt: skip


def _policies(
    cloudfront: Any, distribution: Mapping[str, Any], prefix: str, reader: _Reader
) -> dict[str, dict[str, Any]]:
    """The custom policies of the behavior that serves the prefix; managed ones are
    known by id (managed_policies.py) and not read. A read refused or not there (an
    emulator without policies answers 404) leaves it out: the check then says it could
    not read it."""
    behavior = behavior_for(distribution.get("DistributionConfig") or {}, probe_path(prefix))
    out: dict[str, dict[str, Any]] = {}
    for field, kind, name, api, managed in _POLICY_KINDS:
        out[kind] = {}
        policy_id = str(behavior.get(field) or "")
        if not policy_id or managed(policy_id):
            continue
        got = reader.read(
            f"{name}:{policy_id}",
            f"cloudfront:Get{api}",
            _config_of(cloudfront, name, api, policy_id),
            optional=True,
        )
        if got is not None:
            out[kind][policy_id] = got
    return out


def _config_of(cloudfront: Any, name: str, api: str, policy_id: str) -> Callable[[], dict[str, Any]]:
    def call() -> dict[str, Any]:
        return dict(getattr(cloudfront, f"get_{name}")(Id=policy_id)[api][f"{api}Config"])

    return call


def _published(s3: Any, bucket: str, prefix: str, reader: _Reader) -> Published | None:
    start = meta_prefix(prefix)

    def listing() -> dict[str, RemoteObject]:
        found = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=start):
            for o in page.get("Contents", []):
                key = str(o["Key"])
                found[key] = RemoteObject(key, int(o["Size"]), str(o["ETag"]).strip('"'), o["LastModified"])
        return found

    listed = reader.read("published", "s3:ListBucket", listing)
    if listed is None:
        return None
    records = sorted(k for k in listed if is_record_key(k, prefix))
    lease = lease_to_read(listed, prefix)
    data = None
    if lease is not None:
        data = reader.read(
            "published", "s3:GetObject", lambda: s3.get_object(Bucket=bucket, Key=lease)["Body"].read(1 << 20)
        )
    where = f"s3://{bucket}/{lease or ''}"
    unfinished, holder = judge(listed, prefix, data, where, datetime.now(timezone.utc))
    base = Published(unfinished=unfinished, holder=holder)
    if not records:
        return base
    newest = records[-1]
    # At most one byte past the limit: release.loads refuses a larger record unread.
    data = reader.read(
        "published",
        "s3:GetObject",
        lambda: s3.get_object(Bucket=bucket, Key=newest)["Body"].read(MAX_RECORD_BYTES + 1),
    )
    if data is None:
        return replace(base, record_key=newest, record_error="access denied")
    try:
        release = loads(data, f"s3://{bucket}/{newest}")
    except UserError as err:
        return replace(base, record_key=newest, record_error=str(err))
    plain = sorted(k for k, r in release.objects.items() if r.plain)
    step = max(1, len(plain) // SAMPLE_SIZE)
    samples = []
    for key in plain[::step][:SAMPLE_SIZE]:
        head = reader.read("published", "s3:GetObject", _sample(s3, bucket, key, release.objects[key].size))
        samples.append(Sample(key, release.objects[key], head))
    return replace(base, record_key=newest, records=release.objects, samples=tuple(samples))


def _sample(s3: Any, bucket: str, key: str, size: int) -> Callable[[], dict[str, Any]]:
    """HeadObject's answer for `key`; for a small object GetObject's, with the sha256 of
    its bytes (what the release record says it holds, whatever the ETag is)."""

    def read() -> dict[str, Any]:
        if size > SAMPLE_GET_LIMIT:
            return dict(s3.head_object(Bucket=bucket, Key=key))
        answer = dict(s3.get_object(Bucket=bucket, Key=key))
        body = answer.pop("Body")
        answer["sha256"] = hashlib.sha256(body.read(SAMPLE_GET_LIMIT + 1)).hexdigest()
        return answer

    return read


def _manifest_keys(s3: Any, bucket: str, app: App, reader: _Reader) -> App:
    """`app` with the keys its manifest names and those the bucket lacks: one listing
    under the keys' common prefix, not a HEAD per key."""
    if not app.manifest_given and not Path(app.manifest).exists():
        return replace(app, manifest="")  # no CDN_MANIFEST yet: the app serves its own files
    try:
        manifest = read_manifest(app.manifest)
    except UserError as err:
        if app.manifest_given:
            raise  # `--manifest FILE` names a file that is not one: a user mistake, exit 2
        return replace(app, manifest_error=str(err))
    keys = sorted({e.key for e in manifest.entries.values()})
    # The folder all keys share (a key's own name dropped): the one listing's prefix.
    start = posixpath.commonpath(keys).rpartition("/")[0] if keys else ""
    start = start + "/" if start else ""

    def listing() -> set[str]:
        found: set[str] = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=start):
            found.update(str(o["Key"]) for o in page.get("Contents", []))
        return found

    held = reader.read("manifest_keys", "s3:ListBucket", listing)
    if held is None:
        return replace(app, keys=len(keys))
    return replace(app, keys=len(keys), missing=tuple(k for k in keys if k not in held))
