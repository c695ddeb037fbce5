"""A working doctor set-up (bucket, OAC distribution, a published release) as AWS
documents its fields, for the pure checks' tables to change one thing at a time."""

from __future__ import annotations

from typing import Any

from cdnpub.aws.managed_policies import CACHING_OPTIMIZED, CORS_WITH_PREFLIGHT
from cdnpub.doctor.model import Published, Sample, SetUp
from cdnpub.sync.release import ObjectRecord

ARN = "arn:aws:cloudfront::111122223333:distribution/E2EXAMPLE"


def policy_of(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


OAC_STATEMENT = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::my-assets/*",
    "Condition": {"StringEquals": {"AWS:SourceArn": ARN}},
}


def release_records() -> dict[str, ObjectRecord]:
    css = ObjectRecord("0" * 64, "a" * 32, 10, "text/css; charset=utf-8", "public, max-age=300", plain=True)
    font = ObjectRecord("1" * 64, "b" * 32, 10, "font/woff2", "public, max-age=31536000, immutable")
    return {"static/css/app.css": css, "static/fonts/f.0123456789.woff2": font}


def head(record: ObjectRecord, **change: Any) -> dict[str, Any]:
    head = {
        "ETag": f'"{record.etag}"',
        "ContentLength": record.size,
        "ContentType": record.content_type,
        "CacheControl": record.cache_control,
    }
    return {**head, **change}


def good(**change: Any) -> SetUp:
    records = release_records()
    css = records["static/css/app.css"]
    distribution = {
        "Id": "E2EXAMPLE",
        "ARN": ARN,
        "DistributionConfig": {
            "HttpVersion": "http2and3",
            "Origins": {
                "Items": [
                    {
                        "Id": "assets",
                        "DomainName": "my-assets.s3.eu-west-1.amazonaws.com",
                        "OriginPath": "",
                        "OriginAccessControlId": "E3OAC",
                    }
                ]
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "assets",
                "ViewerProtocolPolicy": "redirect-to-https",
                "Compress": True,
                "CachePolicyId": CACHING_OPTIMIZED,
                "ResponseHeadersPolicyId": CORS_WITH_PREFLIGHT,
            },
        },
    }
    setup = SetUp(
        bucket="my-assets",
        prefix="static",
        region="eu-west-1",
        bucket_policy=policy_of(OAC_STATEMENT),
        public_access_block=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
        ownership="BucketOwnerEnforced",
        distribution=distribution,
        published=Published(
            "static/.cdnpub/releases/20260101T000000Z-0123456789ab.json.gz",
            records,
            samples=(Sample("static/css/app.css", css, head(css)),),
        ),
    )
    return SetUp(**{**{f: getattr(setup, f) for f in SetUp.__dataclass_fields__}, **change})


def with_behavior(**change: Any) -> SetUp:
    setup = good()
    assert setup.distribution is not None
    config = setup.distribution["DistributionConfig"]
    behavior = {**config["DefaultCacheBehavior"], **change}
    return good(
        distribution={
            **setup.distribution,
            "DistributionConfig": {**config, "DefaultCacheBehavior": behavior},
        }
    )
