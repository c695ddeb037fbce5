"""A CloudFront distribution on the moto server in front of a bucket, and the paths of
the invalidations it received."""

from __future__ import annotations

from typing import Any

from tests.support.aws import MotoServer


def create_distribution(server: MotoServer, bucket: str) -> str:
    origin = {
        "Id": "s3",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config: dict[str, Any] = {
        "CallerReference": bucket,
        "Comment": "test",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0},
    }
    return str(
        server.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    )


def invalidation_paths(server: MotoServer, distribution: str) -> list[list[str]]:
    """Each invalidation's paths, sorted."""
    cf = server.client("cloudfront")
    found = cf.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    batches = [cf.get_invalidation(DistributionId=distribution, Id=s["Id"])["Invalidation"] for s in found]
    return [sorted(b["InvalidationBatch"]["Paths"]["Items"]) for b in batches]
