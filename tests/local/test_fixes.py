"""The emulator keeps what moto 5 forgets and CloudFront keeps: an S3 origin's
OriginAccessControlId (without it, `cdnpub doctor` could not pass on `cdnpub local`)."""

from __future__ import annotations

from cdnpub.local.emulator import Emulator
from cdnpub.local.fixes import keep_origin_access, moto_keeps_origin_access
from cdnpub.local.provision import local_client

ORIGIN = {
    "Id": "assets",
    "DomainName": "kept.s3.amazonaws.com",
    "S3OriginConfig": {"OriginAccessIdentity": ""},
    "OriginAccessControlId": "E3OAC",
}


def test_the_patched_origin_model_keeps_the_origin_access_control_id() -> None:
    # Patched where moto drops it (5.2.5), left alone where moto keeps it (5.2.6).
    from moto.cloudfront import models

    keep_origin_access()
    origin = models.Origin(dict(ORIGIN))
    assert origin.origin_access_control_id == "E3OAC"
    assert moto_keeps_origin_access() != hasattr(models.Origin, "moto_init")


def test_the_emulator_returns_the_origin_access_control_id() -> None:
    with Emulator() as emulator:
        cloudfront = local_client("cloudfront", emulator.url)
        created = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "kept",
                "Comment": "",
                "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [ORIGIN]},
                "DefaultCacheBehavior": {"TargetOriginId": "assets", "ViewerProtocolPolicy": "https-only"},
            }
        )["Distribution"]
        config = cloudfront.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    origin = config["Origins"]["Items"][0]
    assert origin["OriginAccessControlId"] == "E3OAC"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
