"""Where the embedded emulator (moto 5) forgets what AWS keeps, and cdnpub needs it.

moto 5.2.5 and older drop an S3 origin's `OriginAccessControlId` and its `S3OriginConfig`
(the legacy origin access identity) from what get_distribution(-config) returns, so a
distribution set up the way `cdnpub doctor` wants would read back as one whose
CloudFront requests are anonymous. The emulator keeps both, as CloudFront does; on a
moto that keeps them itself (5.2.6 and later) nothing is patched.
"""

from __future__ import annotations

from typing import Any

_APPLIED = "_cdnpub_keeps_origin_access"

_PROBE = {
    "Id": "probe",
    "DomainName": "probe.s3.amazonaws.com",
    "S3OriginConfig": {"OriginAccessIdentity": ""},
    "OriginAccessControlId": "probe",
}


def moto_keeps_origin_access() -> bool:
    """Whether moto's own Origin model keeps the origin access control id."""
    from moto.cloudfront import models

    init = getattr(models.Origin, "moto_init", models.Origin.__init__)
    origin = object.__new__(models.Origin)
    init(origin, dict(_PROBE))
    return getattr(origin, "origin_access_control_id", "") == "probe"


def keep_origin_access() -> None:
    """Patch moto's CloudFront Origin model once, in this process, where it needs it."""
    from moto.cloudfront import models

    origin = models.Origin
    if getattr(origin, _APPLIED, False) or moto_keeps_origin_access():
        return
    original = origin.__init__

    def __init__(self: Any, config: dict[str, Any]) -> None:
        original(self, config)
        self.origin_access_control_id = config.get("OriginAccessControlId") or ""
        if "S3OriginConfig" in config:
            self.s3_origin_config = {
                "OriginAccessIdentity": config["S3OriginConfig"].get("OriginAccessIdentity", "")
            }

    origin.__init__ = __init__  # type: ignore[method-assign,assignment]
    origin.moto_init = original  # type: ignore[attr-defined]  # what moto itself does
    setattr(origin, _APPLIED, True)
