"""`cdnpub doctor`'s checks of the bucket: who can read it, what its lifecycle,
versioning and encryption do to the objects, and what is published. Pure: set-up in,
a verdict (or None: not judged) out, one function per check id; doctor.checks
registers them in the report's order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdnpub.doctor.documents import UNREADABLE_CLASSES, as_list, rule_covers
from cdnpub.doctor.model import FAIL, PASS, WARN, Sample, SetUp, Unfinished, Verdict, denied
from cdnpub.doctor.policy import public_statements

_BLOCKS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def block_public_access(setup: SetUp) -> Verdict:
    if "public_access_block" in setup.denied:
        return denied("Block Public Access settings", setup.denied["public_access_block"])
    pab = setup.public_access_block or {}
    off = [k for k in _BLOCKS if not pab.get(k)]
    if not off:
        return Verdict(PASS, "Block Public Access is on")
    return Verdict(
        WARN,
        f"Block Public Access is off ({', '.join(off)}): a policy or ACL can make the bucket public",
        f"aws s3api put-public-access-block --bucket {setup.bucket} --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
    )


def public_policy(setup: SetUp) -> Verdict:
    if "bucket_policy" in setup.denied:
        return denied("bucket policy", setup.denied["bucket_policy"])
    public = public_statements(setup.bucket_policy)
    if not public:
        return Verdict(PASS, "no policy statement is public (Block Public Access's definition)")
    sid = public[0][0]
    return Verdict(
        FAIL,
        f"bucket policy statement {sid} lets anyone (*) in, not limited to a fixed aws:SourceArn, "
        "aws:SourceAccount, aws:SourceVpce, aws:PrincipalOrgID or aws:SourceIp: the bucket is "
        "readable around the CDN",
        f"remove that statement (aws s3api put-bucket-policy --bucket {setup.bucket} --policy "
        "file://policy.json) and let CloudFront read through Origin Access Control",
    )


def acls(setup: SetUp) -> Verdict:
    if "ownership" in setup.denied:
        return denied("ownership controls", setup.denied["ownership"])
    if setup.ownership == "BucketOwnerEnforced":
        return Verdict(PASS, "ACLs are disabled (BucketOwnerEnforced)")
    return Verdict(
        WARN,
        f"ACLs are enabled (object ownership {setup.ownership or 'not set'}): an ACL can make "
        "one object public",
        f"aws s3api put-bucket-ownership-controls --bucket {setup.bucket} "
        "--ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'",
    )


def _transitions(rule: Mapping[str, Any]) -> list[str]:
    """The storage classes a lifecycle rule moves objects to."""
    return [str(t.get("StorageClass")) for t in as_list(rule.get("Transitions"))]


def _expires(rule: Mapping[str, Any]) -> bool:
    """An Expiration that deletes objects (not one that only tidies delete markers)."""
    expiration = rule.get("Expiration") or {}
    return bool(expiration) and not (expiration.get("ExpiredObjectDeleteMarker") and len(expiration) == 1)


def lifecycle(setup: SetUp) -> Verdict:
    if "lifecycle" in setup.denied:
        return denied("lifecycle configuration", setup.denied["lifecycle"])
    where = f"s3://{setup.bucket}/{setup.prefix}"
    covering = [r for r in setup.lifecycle or [] if rule_covers(r, setup.prefix)]
    expiring = [r for r in covering if _expires(r)]
    archived = [r for r in covering if any(c in UNREADABLE_CLASSES for c in _transitions(r))]
    # Intelligent-Tiering has no retrieval fee and never archives unless told to.
    moved = [r for r in covering if any(c != "INTELLIGENT_TIERING" for c in _transitions(r))]
    fix = (
        f"give the rule a Filter that leaves {setup.prefix or 'the bucket'}/ out, or delete it "
        f"(aws s3api put-bucket-lifecycle-configuration --bucket {setup.bucket} "
        "--lifecycle-configuration file://rules.json)"
    )
    if expiring or archived:
        rule = (expiring or archived)[0]
        what = "expires" if expiring else "moves to an archive class (GetObject refuses it: 403 at the CDN)"
        why = f"lifecycle rule {rule.get('ID', '?')} {what} objects under {where}, live ones included"
        return Verdict(FAIL, why, fix)
    if moved:
        return Verdict(
            WARN,
            f"lifecycle rule {moved[0].get('ID', '?')} transitions objects under {where} to another "
            "storage class: each CDN miss pays its retrieval fee",
            fix,
        )
    return Verdict(PASS, f"no lifecycle rule expires or moves {where}")


def versioning(setup: SetUp) -> Verdict:
    if "versioning" in setup.denied:
        return denied("versioning state", setup.denied["versioning"])
    if setup.versioning != "Enabled":
        state = "off" if setup.versioning is None else setup.versioning.lower()
        return Verdict(PASS, f"versioning is {state}")
    rules = setup.lifecycle or []
    noncurrent = [r for r in rules if rule_covers(r, setup.prefix) and r.get("NoncurrentVersionExpiration")]
    if noncurrent or "lifecycle" in setup.denied:
        return Verdict(PASS, "versioning on, old versions expire")
    return Verdict(
        WARN,
        "versioning is on without a noncurrent-version expiry: every replaced or pruned "
        "object is kept, and billed, forever",
        f"aws s3api put-bucket-lifecycle-configuration --bucket {setup.bucket} --lifecycle-configuration "
        '\'{"Rules":[{"ID":"old-versions","Status":"Enabled","Filter":{},'
        '"NoncurrentVersionExpiration":{"NoncurrentDays":30}}]}\'',
    )


def encryption(setup: SetUp) -> Verdict:
    if "encryption" in setup.denied:
        return denied("default encryption", setup.denied["encryption"])
    algorithms = [
        str((r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm", ""))
        for r in setup.encryption or []
    ]
    if not any(a.startswith("aws:kms") for a in algorithms):
        return Verdict(PASS, "SSE-S3: ETags are MD5s, plain names compare by content")
    return Verdict(
        WARN,
        "SSE-KMS: S3's ETags are not MD5s, so cdnpub compares plain-name copies by the "
        "sha256 the last release recorded (and their LastModified), not by ETag; CloudFront needs "
        "kms:Decrypt",
        "let cloudfront.amazonaws.com use kms:Decrypt in the key policy (Condition "
        "AWS:SourceArn the distribution), "
        f"or use SSE-S3: aws s3api put-bucket-encryption --bucket {setup.bucket} "
        "--server-side-encryption-configuration "
        '\'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}\'',
    )


def release_record(setup: SetUp) -> Verdict | None:
    if "published" in setup.denied:
        return denied("release records", setup.denied["published"])
    pub, where = setup.published, f"s3://{setup.bucket}/{setup.prefix}"
    if pub is None:
        return None
    if pub.record_key is None:
        return Verdict(
            WARN,
            f"no release record under {where}: nothing published there yet",
            publish_command(setup),
        )
    if pub.records is None:
        return Verdict(
            FAIL,
            f"the newest release record {pub.record_key} cannot be read: {pub.record_error}",
            f"publish again ({publish_command(setup, '--verify')}) to write a new one",
        )
    return Verdict(PASS, f"newest release record {pub.record_key} is readable")


def _judged(setup: SetUp) -> bool:
    """Whether the published checks past the release record apply: a release record exists
    and was listed (when not, published.release-record says why)."""
    pub = setup.published
    return "published" not in setup.denied and pub is not None and pub.record_key is not None


def publish_command(setup: SetUp, *flags: str) -> str:
    """The face's own publish command for a fix line: `flask cdn publish` under Flask (a
    `cdnpub publish` of one folder would drop the blueprints' files), else cdnpub's."""
    base = setup.app.publish if setup.app is not None else ""
    if not base.startswith("flask"):
        base = f"cdnpub publish STATIC_DIR s3://{setup.bucket}/{setup.prefix}"
    return " ".join((base, *flags))


def half_done(setup: SetUp) -> Verdict | None:
    """What the lease (or an older version's marker) says of the last publish or rollback."""
    if not _judged(setup) or setup.published is None:
        return None
    pub = setup.published
    again = f"publish again ({publish_command(setup, '--distribution-id ID')})"
    if pub.unfinished is Unfinished.RUNNING:
        return Verdict(
            WARN,
            f"{pub.holder} holds the prefix now: what doctor read may change when it ends",
            "run doctor again once it ended; if nothing runs, it was stopped: the next publish waits "
            "out its lease, then repairs",
        )
    if pub.unfinished is Unfinished.HALF_DONE:
        return Verdict(
            WARN,
            f"a publish or rollback stopped half-way ({pub.holder}): some plain-name URLs may hold "
            "another release's bytes or be stale at the CDN",
            f"{again}: it compares every object, repairs and invalidates them",
        )
    if pub.unfinished is Unfinished.OWED:
        return Verdict(
            WARN,
            f"the last release landed but its CloudFront invalidation did not ({pub.holder}): "
            "plain-name URLs may be stale at the CDN",
            f"{again}: it sends the invalidation it owes",
        )
    return Verdict(PASS, "no half-done publish")


def sample(setup: SetUp) -> Verdict | None:
    if not _judged(setup) or setup.published is None:
        return None
    samples = setup.published.samples
    bad = [s for s in samples if _sample_problem(s)]
    if bad:
        return Verdict(
            FAIL,
            f"{len(bad)} of {len(samples)} sampled plain-name objects differ from the release record: "
            f"{bad[0].key} {_sample_problem(bad[0])}",
            f"{publish_command(setup, '--verify')} (re-uploads what differs)",
        )
    if samples:
        return Verdict(PASS, f"{len(samples)} sampled plain-name objects match the record")
    return None


def _sample_problem(sample: Sample) -> str:
    """What is wrong with one sampled object ("" when nothing): missing, other bytes
    (by sha256, size, or an MD5 ETag where the ETag is one), or other headers."""
    head, rec = sample.head, sample.record
    if head is None:
        return "is missing"
    etag = str(head.get("ETag", "")).strip('"')
    if head.get("sha256", rec.sha256) != rec.sha256:
        return "holds other bytes"
    if int(head.get("ContentLength", -1)) != rec.size or (
        etag != rec.etag
        and "-" not in etag
        and len(etag) == 32
        and len(rec.etag) == 32
        and "aws:kms" not in str(head.get("ServerSideEncryption", ""))
    ):
        return "holds other bytes"
    if head.get("ContentType") != rec.content_type or head.get("CacheControl") != rec.cache_control:
        return f"has other headers ({head.get('ContentType')}; {head.get('CacheControl')})"
    return ""
