"""`cdnpub doctor`'s checks of the bucket: who can read it, what its lifecycle,
versioning and encryption do to the objects, and what is published. Pure: set-up
in, findings out."""

from __future__ import annotations

from cdnpub.doctor.documents import UNREADABLE_CLASSES, as_list, public_statements, rule_covers
from cdnpub.doctor.model import FAIL, PASS, WARN, Finding, Sample, SetUp, denied_finding


def check_access(setup: SetUp) -> list[Finding]:
    out: list[Finding] = []
    b = setup.bucket
    if "public_access_block" in setup.denied:
        out.append(
            denied_finding(
                "access",
                "access.block-public-access",
                "Block Public Access settings",
                setup.denied["public_access_block"],
            )
        )
    else:
        pab = setup.public_access_block or {}
        off = [
            k
            for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
            if not pab.get(k)
        ]
        if off:
            out.append(
                Finding(
                    "access",
                    "access.block-public-access",
                    WARN,
                    f"Block Public Access is off ({', '.join(off)}): a policy or ACL can make the "
                    "bucket public",
                    f"aws s3api put-public-access-block --bucket {b} --public-access-block-configuration "
                    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
                )
            )
        else:
            out.append(Finding("access", "access.block-public-access", PASS, "Block Public Access is on"))
    if "bucket_policy" in setup.denied:
        out.append(
            denied_finding("access", "access.public-policy", "bucket policy", setup.denied["bucket_policy"])
        )
    else:
        public = public_statements(setup.bucket_policy)
        if public:
            sid = public[0].get("Sid") or "without Sid"
            out.append(
                Finding(
                    "access",
                    "access.public-policy",
                    FAIL,
                    f"bucket policy statement {sid} lets anyone (*) in without an aws:SourceArn condition: "
                    "the bucket is readable around the CDN",
                    f"remove that statement (aws s3api put-bucket-policy --bucket {b} --policy "
                    "file://policy.json) "
                    "and let CloudFront read through Origin Access Control",
                )
            )
        else:
            out.append(
                Finding(
                    "access", "access.public-policy", PASS, "no policy statement grants * unconditionally"
                )
            )
    if "ownership" in setup.denied:
        out.append(denied_finding("access", "access.acls", "ownership controls", setup.denied["ownership"]))
    elif setup.ownership != "BucketOwnerEnforced":
        out.append(
            Finding(
                "access",
                "access.acls",
                WARN,
                f"ACLs are enabled (object ownership {setup.ownership or 'not set'}): an ACL can make "
                "one object public",
                f"aws s3api put-bucket-ownership-controls --bucket {b} "
                "--ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'",
            )
        )
    else:
        out.append(Finding("access", "access.acls", PASS, "ACLs are disabled (BucketOwnerEnforced)"))
    return out


def check_storage(setup: SetUp) -> list[Finding]:
    out: list[Finding] = []
    b, where = setup.bucket, f"s3://{setup.bucket}/{setup.prefix}"
    rules = list(setup.lifecycle or [])
    if "lifecycle" in setup.denied:
        out.append(
            denied_finding(
                "storage", "storage.lifecycle", "lifecycle configuration", setup.denied["lifecycle"]
            )
        )
    else:
        covering = [r for r in rules if rule_covers(r, setup.prefix)]
        expiring = [
            r
            for r in covering
            if r.get("Expiration")
            and not (r["Expiration"].get("ExpiredObjectDeleteMarker") and len(r["Expiration"]) == 1)
        ]
        archived = [
            r
            for r in covering
            if any(str(t.get("StorageClass")) in UNREADABLE_CLASSES for t in as_list(r.get("Transitions")))
        ]
        # Intelligent-Tiering has no retrieval fee and never archives unless told to.
        moved = [
            r
            for r in covering
            if any(str(t.get("StorageClass")) != "INTELLIGENT_TIERING" for t in as_list(r.get("Transitions")))
        ]
        fix = (
            f"give the rule a Filter that leaves {setup.prefix or 'the bucket'}/ out, or delete it "
            f"(aws s3api put-bucket-lifecycle-configuration --bucket {b} --lifecycle-configuration file://rules.json)"
        )
        if expiring or archived:
            r = (expiring or archived)[0]
            what = (
                "expires" if expiring else "moves to an archive class (GetObject refuses it: 403 at the CDN)"
            )
            out.append(
                Finding(
                    "storage",
                    "storage.lifecycle",
                    FAIL,
                    f"lifecycle rule {r.get('ID', '?')} {what} objects under {where}, live ones included",
                    fix,
                )
            )
        elif moved:
            r = moved[0]
            out.append(
                Finding(
                    "storage",
                    "storage.lifecycle",
                    WARN,
                    f"lifecycle rule {r.get('ID', '?')} transitions objects under {where} to another "
                    "storage class: "
                    "each CDN miss pays its retrieval fee",
                    fix,
                )
            )
        else:
            out.append(
                Finding("storage", "storage.lifecycle", PASS, f"no lifecycle rule expires or moves {where}")
            )
    if "versioning" in setup.denied:
        out.append(
            denied_finding("storage", "storage.versioning", "versioning state", setup.denied["versioning"])
        )
    elif setup.versioning == "Enabled":
        noncurrent = [
            r for r in rules if rule_covers(r, setup.prefix) and r.get("NoncurrentVersionExpiration")
        ]
        if noncurrent or "lifecycle" in setup.denied:
            out.append(Finding("storage", "storage.versioning", PASS, "versioning on, old versions expire"))
        else:
            out.append(
                Finding(
                    "storage",
                    "storage.versioning",
                    WARN,
                    "versioning is on without a noncurrent-version expiry: every replaced or pruned "
                    "object is kept, and billed, forever",
                    f"aws s3api put-bucket-lifecycle-configuration --bucket {b} --lifecycle-configuration "
                    '\'{"Rules":[{"ID":"old-versions","Status":"Enabled","Filter":{},'
                    '"NoncurrentVersionExpiration":{"NoncurrentDays":30}}]}\'',
                )
            )
    else:
        out.append(
            Finding(
                "storage",
                "storage.versioning",
                PASS,
                "versioning is off"
                if setup.versioning is None
                else f"versioning is {setup.versioning.lower()}",
            )
        )
    if "encryption" in setup.denied:
        out.append(
            denied_finding("storage", "storage.encryption", "default encryption", setup.denied["encryption"])
        )
    else:
        algorithms = [
            str((r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm", ""))
            for r in setup.encryption or []
        ]
        if any(a.startswith("aws:kms") for a in algorithms):
            out.append(
                Finding(
                    "storage",
                    "storage.encryption",
                    WARN,
                    "SSE-KMS: S3's ETags are not MD5s, so cdnpub compares plain-name copies by the "
                    "sha256 the last release "
                    "recorded (and their LastModified), not by ETag; CloudFront needs kms:Decrypt",
                    "let cloudfront.amazonaws.com use kms:Decrypt in the key policy (Condition "
                    "AWS:SourceArn the distribution), "
                    f"or use SSE-S3: aws s3api put-bucket-encryption --bucket {b} "
                    "--server-side-encryption-configuration "
                    '\'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}\'',
                )
            )
        else:
            out.append(
                Finding(
                    "storage",
                    "storage.encryption",
                    PASS,
                    "SSE-S3: ETags are MD5s, plain names compare by content",
                )
            )
    return out


def check_published(setup: SetUp) -> list[Finding]:
    pub = setup.published
    where = f"s3://{setup.bucket}/{setup.prefix}"
    if "published" in setup.denied:
        return [
            denied_finding(
                "published", "published.release-record", "release records", setup.denied["published"]
            )
        ]
    if pub is None:
        return []
    if pub.record_key is None:
        return [
            Finding(
                "published",
                "published.release-record",
                WARN,
                f"no release record under {where}: nothing published there yet",
                f"cdnpub publish STATIC_DIR {where}",
            )
        ]
    out: list[Finding] = []
    if pub.records is None:
        out.append(
            Finding(
                "published",
                "published.release-record",
                FAIL,
                f"the newest release record {pub.record_key} cannot be read: {pub.record_error}",
                f"publish again (cdnpub publish STATIC_DIR {where} --verify) to write a new one",
            )
        )
    else:
        out.append(
            Finding(
                "published",
                "published.release-record",
                PASS,
                f"newest release record {pub.record_key} is readable",
            )
        )
    if pub.pending:
        out.append(
            Finding(
                "published",
                "published.half-done",
                WARN,
                "a publish stopped half-way (its marker is still there): some plain-name URLs may be "
                "stale at the CDN",
                f"publish again (cdnpub publish STATIC_DIR {where} --distribution-id ID): it repairs "
                "and invalidates them",
            )
        )
    else:
        out.append(Finding("published", "published.half-done", PASS, "no half-done publish"))
    bad = [s for s in pub.samples if _sample_problem(s)]
    if bad:
        s = bad[0]
        out.append(
            Finding(
                "published",
                "published.sample",
                FAIL,
                f"{len(bad)} of {len(pub.samples)} sampled plain-name objects differ from the release "
                "record: "
                f"{s.key} {_sample_problem(s)}",
                f"cdnpub publish STATIC_DIR {where} --verify (re-uploads what differs)",
            )
        )
    elif pub.samples:
        out.append(
            Finding(
                "published",
                "published.sample",
                PASS,
                f"{len(pub.samples)} sampled plain-name objects match the record",
            )
        )
    return out


def _sample_problem(sample: Sample) -> str:
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
