"""AWS's managed CloudFront policies, by id: what each one does to the cache key, the
TTLs, compression ("Cache compressed objects") and the response headers. Every account
has them without creating them, so
`cdnpub doctor` judges them from this table rather than asking CloudFront (which needs
no permission, and works where an emulator does not model them: moto 5 answers 404).

Source: the CloudFront Developer Guide, "Use managed cache policies", "Use managed
origin request policies" and "Use managed response headers policies".
"""

from __future__ import annotations

from dataclasses import dataclass

from cdnpub.build.rules import YEAR


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """What a cache policy (or a legacy behavior's own settings) does, in seconds."""

    name: str
    min_ttl: int
    default_ttl: int
    max_ttl: int
    query_strings: bool = False  # any query string in the cache key
    cookies: bool = False  # any cookie in the cache key
    headers: tuple[str, ...] = ()  # lower-case header names in the cache key (all: "*")
    # "Cache compressed objects" (EnableAcceptEncodingGzip/Brotli): CloudFront compresses
    # only what the policy lets it cache compressed, whatever the behavior's Compress flag.
    gzip: bool = True
    brotli: bool = True


CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


_ORIGIN_CACHE_CONTROL_HEADERS = (
    "host",
    "origin",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
)


CACHE_POLICIES: dict[str, CacheSettings] = {
    CACHING_OPTIMIZED: CacheSettings("CachingOptimized", 1, 86400, YEAR),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": CacheSettings(
        "CachingOptimizedForUncompressedObjects", 1, 86400, YEAR, gzip=False, brotli=False
    ),
    CACHING_DISABLED: CacheSettings("CachingDisabled", 0, 0, 0, gzip=False, brotli=False),
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": CacheSettings(
        "UseOriginCacheControlHeaders", 0, 0, YEAR, cookies=True, headers=_ORIGIN_CACHE_CONTROL_HEADERS
    ),
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe": CacheSettings(
        "UseOriginCacheControlHeaders-QueryStrings",
        0,
        0,
        YEAR,
        query_strings=True,
        cookies=True,
        headers=_ORIGIN_CACHE_CONTROL_HEADERS,
    ),
    "2e54312d-136d-493c-8eb9-b001f22f67d2": CacheSettings(
        "Amplify",
        2,
        2,
        600,
        query_strings=True,
        cookies=True,
        headers=("authorization", "cloudfront-viewer-country", "host"),
    ),
    "08627262-05a9-4f76-9ded-b50ca2e3a84f": CacheSettings(
        "Elemental-MediaPackage", 0, 86400, YEAR, query_strings=True, headers=("origin",), brotli=False
    ),
}


# Managed origin request policies that send the viewer's Origin header to the origin
# (what S3 needs to answer with its own CORS headers).
ORIGIN_REQUEST_POLICIES_WITH_ORIGIN: dict[str, str] = {
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": "CORS-S3Origin",
    "59781a5b-3903-41f3-afcb-af62929ccde1": "CORS-CustomOrigin",
    "216adef6-5c7f-47e4-b989-5492eafa07d3": "AllViewer",
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": "AllViewerExceptHostHeader",
    "33f36d7e-f396-46d9-90e0-52428a34d9dc": "AllViewerAndCloudFrontHeaders-2022-06",
}


CORS_WITH_PREFLIGHT = "5cc3b908-e619-4b99-88e5-2cf7f45965bd"


# Managed response headers policies that add Access-Control-Allow-Origin: * .
CORS_RESPONSE_HEADERS_POLICIES: dict[str, str] = {
    CORS_WITH_PREFLIGHT: "CORS-With-Preflight",
    "e61eb60c-9c35-4d20-a928-2b84e02af89c": "CORS-and-SecurityHeadersPolicy",
    "eaab4381-ed33-4a86-88ca-d9558dc6cd63": "CORS-with-preflight-and-SecurityHeadersPolicy",
    "60669652-455b-4ae9-85a4-c4c02393f86c": "SimpleCORS",
}


OTHER_RESPONSE_HEADERS_POLICIES: dict[str, str] = {
    "67f7725c-6f97-4210-82d7-5512b31e9d03": "SecurityHeadersPolicy",
}


def is_managed_cache_policy(policy_id: str) -> bool:
    return policy_id in CACHE_POLICIES


def is_managed_response_headers_policy(policy_id: str) -> bool:
    return policy_id in CORS_RESPONSE_HEADERS_POLICIES or policy_id in OTHER_RESPONSE_HEADERS_POLICIES


def is_managed_origin_request_policy(policy_id: str) -> bool:
    # The managed ones that do not forward Origin are listed by what they forward.
    return policy_id in ORIGIN_REQUEST_POLICIES_WITH_ORIGIN or policy_id in _ORIGIN_REQUEST_POLICIES_WITHOUT


_ORIGIN_REQUEST_POLICIES_WITHOUT = {
    "acba4595-bd28-49b8-b9fe-13317c0390fa",  # UserAgentRefererHeaders
    "775133bc-15f2-49f9-abea-afb2e0bf67d2",  # Elemental-MediaTailor-PersonalizedManifests
}
