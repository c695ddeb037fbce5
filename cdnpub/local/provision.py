"""The bucket and the distribution a local publish needs, created on the emulator and
found again by the note a distribution carries (which names its CDN preview)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cdnpub.aws.clients import error_code
from cdnpub.aws.managed_policies import CACHING_OPTIMIZED, CORS_WITH_PREFLIGHT
from cdnpub.errors import UserError

LOCAL_BUCKET = "cdnpub-local"


LOCAL_PORT = 4566  # `cdnpub local`'s default emulator port (LocalStack's, which tools know)


LOCAL_CDN_PORT = 4567  # and its CDN preview's


LOCAL_ENDPOINT = f"http://127.0.0.1:{LOCAL_PORT}"


LOCAL_CREDENTIALS = "local"  # moto accepts any key: the access and secret key of --local


# These keep boto3 from looking for real credentials.
_DUMMY_CREDENTIALS = {
    "aws_access_key_id": LOCAL_CREDENTIALS,
    "aws_secret_access_key": LOCAL_CREDENTIALS,
    "region_name": "us-east-1",
}


def local_client(service: str, endpoint_url: str) -> Any:
    """A boto3 client for the emulator, with dummy credentials of its own. AWS_PROFILE is
    not read: a real account's profile (maybe not even on this machine, botocore's
    ProfileNotFound) has nothing to do with the emulator."""
    import boto3  # here, not at the top: `cdnpub build` never pays for importing it
    import botocore.session
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)
    no_profile = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    return boto3.session.Session(botocore_session=no_profile).client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        config=config,
        **_DUMMY_CREDENTIALS,
    )


def _comment(bucket: str) -> str:
    return f"cdnpub-local {bucket}"


def preview_note(bucket: str, cdn_domain: str) -> str:
    """The Comment of the distribution `cdnpub local` serves `bucket` through: it names
    the CDN preview (host:port), which `--local` reads back (`_PREVIEW_NOTE`) and
    `aws cloudfront list-distributions` shows."""
    return f"{_comment(bucket)}: preview at http://{cdn_domain}/"


# preview_note's text, read back: the bucket and the preview's host:port.
_PREVIEW_NOTE = re.compile(r"cdnpub-local (?P<bucket>\S+): preview at http://(?P<domain>[^/\s]+)/")


def ensure_local(endpoint_url: str, bucket: str, cdn_domain: str) -> str:
    """Create `bucket` and a CloudFront distribution in front of it on the emulator,
    unless they exist, and return the distribution's id. Idempotent: the distribution
    is found again by its Comment. `cdn_domain` (the preview's host:port) is noted in
    the Comment so that `aws cloudfront list-distributions` tells where to look."""
    import botocore.exceptions

    try:
        s3 = local_client("s3", endpoint_url)
        _ensure_bucket(s3, bucket)
        cloudfront = local_client("cloudfront", endpoint_url)
        distribution_id = _ensure_distribution(cloudfront, bucket, cdn_domain)
        _allow_distribution(
            s3, bucket, cloudfront.get_distribution(Id=distribution_id)["Distribution"]["ARN"]
        )
        return distribution_id
    except botocore.exceptions.EndpointConnectionError:
        raise UserError(f"no emulator answers at {endpoint_url}: start it with `cdnpub local`") from None
    except botocore.exceptions.ClientError as err:
        raise UserError(f"cannot set up s3://{bucket} on {endpoint_url}: {err}") from None


@dataclass(frozen=True, slots=True)
class LocalTarget:
    """Where a `--local` publish goes on the emulator."""

    distribution_id: str | None  # None: none yet (one is created)
    cdn_domain: str | None  # the CDN preview serving the bucket; None: no preview serves it


def pick_local(bucket: str, comments: dict[str, str]) -> LocalTarget:
    """The distribution for `bucket` among the emulator's (id -> Comment), and the CDN
    preview serving it. `cdnpub local` serves one bucket; publishing another there would
    land where the preview's answer is a 404, so that is a user error (a typo'd bucket,
    usually), raised before anything is written. On an emulator no `cdnpub local`
    started (no preview noted at all), the bucket gets a distribution of its own."""
    previews: dict[str, LocalTarget] = {}
    own = None
    for distribution_id, comment in sorted(comments.items()):
        noted = _PREVIEW_NOTE.fullmatch(comment)
        if noted:
            previews.setdefault(noted["bucket"], LocalTarget(distribution_id, noted["domain"]))
        elif comment == _comment(bucket) and own is None:
            own = distribution_id
    if bucket in previews:
        return previews[bucket]
    if previews:
        served = ", ".join(f"http://{t.cdn_domain}/ serves s3://{b}" for b, t in sorted(previews.items()))
        first = min(previews)
        raise UserError(
            f"the CDN preview does not serve s3://{bucket} ({served}): publish to s3://{first}, "
            f"or preview this bucket with `cdnpub local --bucket {bucket}`"
        )
    return LocalTarget(own, None)


def find_local(endpoint_url: str, bucket: str, write: bool = True, origin: str = "") -> LocalTarget:
    """`pick_local` on the emulator's distributions: one listing of them and one HEAD of
    the bucket. The emulator's set-up is `cdnpub local`'s (ensure_local): a bucket already
    there is left as it is, so a read-only command sends no write. With `write` (a
    publish), a bucket found missing is created as aws-setup.md makes it, and where no
    preview is noted, a distribution; without (doctor, plan, a dry run), nothing is.
    `origin` says where the endpoint's port came from, for the error when nothing answers."""
    import botocore.exceptions

    try:
        cloudfront = local_client("cloudfront", endpoint_url)
        comments = {
            str(item["Id"]): str(item.get("Comment", ""))
            for page in cloudfront.get_paginator("list_distributions").paginate()
            for item in page.get("DistributionList", {}).get("Items", [])
        }
        target = pick_local(bucket, comments)
        s3 = local_client("s3", endpoint_url)
        if write and not _bucket_exists(s3, bucket):
            _ensure_bucket(s3, bucket)
        if target.distribution_id is None and write:
            created = _create_distribution(cloudfront, bucket, _comment(bucket))
            target = LocalTarget(created, None)
        return target
    except botocore.exceptions.EndpointConnectionError:
        where = f" (port from {origin})" if origin else ""
        raise UserError(
            f"no emulator answers at {endpoint_url}{where}: start it with `cdnpub local`, or name "
            "the port it runs on (CDNPUB_LOCAL_PORT, `port` in [tool.cdnpub], --endpoint-url)"
        ) from None
    except botocore.exceptions.ClientError as err:
        raise UserError(f"cannot set up s3://{bucket} on {endpoint_url}: {err}") from None


def _bucket_exists(s3: Any, bucket: str) -> bool:
    """HeadBucket: whether the emulator has the bucket (a read, no write)."""
    import botocore.exceptions

    try:
        s3.head_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as err:
        if error_code(err) in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise
    return True


def preview_domain(endpoint_url: str, distribution_id: str) -> str | None:
    """The CDN preview's host:port that `cdnpub local` noted on the distribution: the
    domain a local app's CDN_DOMAIN takes (moto's own *.cloudfront.net answers nothing)."""
    import botocore.exceptions

    try:
        config = local_client("cloudfront", endpoint_url).get_distribution_config(Id=distribution_id)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None
    found = _PREVIEW_NOTE.search(str(config["DistributionConfig"].get("Comment", "")))
    return found["domain"] if found else None


def _ensure_bucket(s3: Any, bucket: str) -> None:
    """The bucket as docs/aws-setup.md makes it, so that `cdnpub doctor` passes on it:
    private (Block Public Access on, ACLs disabled)."""
    import botocore.exceptions

    try:
        s3.create_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as err:
        if error_code(err) != "BucketAlreadyOwnedByYou":
            raise
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )


def _allow_distribution(s3: Any, bucket: str, arn: str) -> None:
    """The Origin Access Control's bucket policy: only this distribution reads."""
    statement = {
        "Sid": "CloudFrontReadsAssets",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": arn}},
    }
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


def _ensure_distribution(cloudfront: Any, bucket: str, cdn_domain: str) -> str:
    """An assets distribution as docs/aws-setup.md makes it: the bucket's REST endpoint
    through an Origin Access Control, CachingOptimized, compression, HTTPS, HTTP/2 and
    HTTP/3, and CORS headers (the preview is another host than the app's pages)."""
    tag = _comment(bucket)
    wanted = preview_note(bucket, cdn_domain)
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for item in page.get("DistributionList", {}).get("Items", []):
            comment = str(item.get("Comment", ""))
            if comment == tag or comment.startswith(tag + ":"):
                if comment != wanted:  # a preview on another port now: --local reads the note
                    _note(cloudfront, str(item["Id"]), wanted)
                return str(item["Id"])
    return _create_distribution(cloudfront, bucket, wanted)


def _note(cloudfront: Any, distribution_id: str, comment: str) -> None:
    found = cloudfront.get_distribution_config(Id=distribution_id)
    config = dict(found["DistributionConfig"], Comment=comment)
    cloudfront.update_distribution(Id=distribution_id, IfMatch=found["ETag"], DistributionConfig=config)


def _create_distribution(cloudfront: Any, bucket: str, comment: str) -> str:
    oac = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": f"{bucket}-oac",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    origin = f"{bucket}.s3.amazonaws.com"
    s3_origin = {
        "Id": origin,
        "DomainName": origin,
        "OriginPath": "",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": oac,
    }
    created = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": comment,
            "Comment": comment,
            "Enabled": True,
            "HttpVersion": "http2and3",
            "Origins": {"Quantity": 1, "Items": [s3_origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": origin,
                "ViewerProtocolPolicy": "redirect-to-https",
                "Compress": True,
                "CachePolicyId": CACHING_OPTIMIZED,
                "ResponseHeadersPolicyId": CORS_WITH_PREFLIGHT,
                "AllowedMethods": {
                    "Quantity": 3,
                    "Items": ["GET", "HEAD", "OPTIONS"],
                    "CachedMethods": {"Quantity": 3, "Items": ["GET", "HEAD", "OPTIONS"]},
                },
            },
        }
    )
    return str(created["Distribution"]["Id"])
