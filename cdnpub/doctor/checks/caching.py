"""`cdnpub doctor`'s caching checks of the behavior that serves the prefix: does it
honour the Cache-Control cdnpub sets, keep the cache key to the path, compress, use
HTTPS and HTTP/3. Pure: set-up in, a verdict (or None: not judged) out, one function
per check id; doctor.checks registers them in the report's order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdnpub.aws.managed_policies import CACHING_OPTIMIZED, CacheSettings
from cdnpub.build.rules import YEAR
from cdnpub.doctor.documents import bucket_behavior, cache_settings, plain_max_age
from cdnpub.doctor.model import CONSOLE, FAIL, PASS, WARN, SetUp, Verdict

OPTIMIZED = f"Cache policy: CachingOptimized ({CACHING_OPTIMIZED})"  # the fix most checks name


@dataclass(frozen=True, slots=True)
class _Served:
    """The behavior that sends the prefix to the bucket, and where to edit it."""

    config: Mapping[str, Any]  # the DistributionConfig
    console: str  # the distribution in the console
    behavior: Mapping[str, Any]
    name: str  # its path pattern, or "Default (*)"
    edit: str  # console path to its Edit page


def _served(setup: SetUp) -> _Served | None:
    """None when there is no distribution, or when the behavior that serves the prefix
    is not the bucket's (origin.behavior failed, so caching is not judged)."""
    dist = setup.distribution
    if dist is None:
        return None
    config = dist.get("DistributionConfig") or {}
    console = CONSOLE.format(id=dist.get("Id", ""))
    behavior = bucket_behavior(config, setup.bucket, setup.prefix)
    if behavior is None:
        return None
    name = str(behavior.get("PathPattern") or "Default (*)")
    return _Served(config, console, behavior, name, f"{console} > Behaviors > {name} > Edit")


def cache_policy(setup: SetUp) -> Verdict | None:
    served = _served(setup)
    if served is None:
        return None
    name, edit = served.name, served.edit
    settings = cache_settings(served.behavior, setup.cache_policies)
    if isinstance(settings, str):
        action = setup.denied.get(f"cache_policy:{settings}")
        answer = setup.unreadable.get(f"cache_policy:{settings}")
        why = f"could not read cache policy {settings}" + (
            f": the credentials lack {action}"
            if action
            else f": CloudFront answered {answer}"
            if answer
            else ""
        )
        return Verdict(
            WARN, why, f"grant cloudfront:GetCachePolicy, or {edit}: {OPTIMIZED}", checked=not action
        )
    if settings is None:
        return Verdict(WARN, f"behavior {name} names no cache policy", f"{edit}: {OPTIMIZED}")
    return _ttls(settings, setup, name, edit)


def _ttls(settings: CacheSettings, setup: SetUp, name: str, edit: str) -> Verdict:
    """Whether the policy's TTLs let the objects' own Cache-Control decide."""
    plain = plain_max_age(setup.published.records if setup.published else None)
    if settings.max_ttl == 0:
        return Verdict(
            FAIL,
            f"behavior {name} uses {settings.name}: nothing is cached at the edge, every request goes to S3",
            f"{edit}: {OPTIMIZED}",
        )
    if settings.min_ttl > plain:
        return Verdict(
            FAIL,
            f"{settings.name}: a minimum TTL of {settings.min_ttl}s holds every object longer than the "
            f"plain names' max-age={plain}: stale CSS and JS after each release",
            f"{edit}: {OPTIMIZED}, or a minimum TTL of 0",
        )
    if settings.max_ttl < YEAR:
        return Verdict(
            WARN,
            f"{settings.name}: a maximum TTL of {settings.max_ttl}s sends immutable fingerprinted "
            f"files back to S3 long before their max-age={YEAR}",
            f"{edit}: {OPTIMIZED}, or a maximum TTL of {YEAR}",
        )
    return Verdict(PASS, f"{settings.name}: the objects' Cache-Control holds")


def cache_key(setup: SetUp) -> Verdict | None:
    served = _served(setup)
    if served is None:
        return None
    settings = cache_settings(served.behavior, setup.cache_policies)
    if not isinstance(settings, CacheSettings):
        return None  # caching.cache-policy said why
    headers = [h for h in settings.headers if h != "origin"]  # Origin keys CORS answers apart
    extra = [
        what
        for what, on in (
            ("query strings", settings.query_strings),
            ("cookies", settings.cookies),
            (f"headers {', '.join(headers)}", bool(headers)),
        )
        if on
    ]
    if not extra:
        encoding = " and the normalized Accept-Encoding" if settings.gzip or settings.brotli else ""
        return Verdict(PASS, f"the cache key is the path{encoding}")
    return Verdict(
        WARN,
        f"{settings.name}: {' and '.join(extra)} in the cache key, so one static file is cached many times",
        f"{served.edit}: {OPTIMIZED}",
    )


def compress(setup: SetUp) -> Verdict | None:
    """CloudFront compresses when the behavior's Compress flag is on AND its cache policy
    caches compressed objects (EnableAcceptEncodingGzip/Brotli): AWS, "Serve compressed
    files". Either off: CSS, JS and SVG go out as uploaded (cdnpub uploads raw bytes)."""
    served = _served(setup)
    if served is None:
        return None
    settings = cache_settings(served.behavior, setup.cache_policies)
    if not served.behavior.get("Compress", False):
        return Verdict(
            WARN,
            f"behavior {served.name} does not compress: CSS, JS and SVG go out uncompressed (cdnpub "
            "uploads raw bytes)",
            f"{served.edit}: Compress objects automatically: Yes",
        )
    if not isinstance(settings, CacheSettings):
        return Verdict(PASS, "Compress is on (the cache policy's encodings were not read)")
    if settings.max_ttl == 0:
        return None  # caching.cache-policy fails it; its fix (CachingOptimized) compresses too
    if not (settings.gzip or settings.brotli):
        return Verdict(
            WARN,
            f"behavior {served.name} has Compress on, but {settings.name} does not cache compressed "
            "objects (Gzip and Brotli off): CloudFront sends CSS, JS and SVG uncompressed",
            f"{served.edit}: {OPTIMIZED} (Gzip and Brotli on)",
        )
    encodings = " and ".join(e for e, on in (("gzip", settings.gzip), ("Brotli", settings.brotli)) if on)
    return Verdict(PASS, f"CloudFront compresses text responses ({encodings}, {settings.name})")


def viewer_https(setup: SetUp) -> Verdict | None:
    served = _served(setup)
    if served is None:
        return None
    policy = str(served.behavior.get("ViewerProtocolPolicy", ""))
    if policy in ("redirect-to-https", "https-only"):
        return Verdict(PASS, f"viewers use HTTPS ({policy})")
    return Verdict(
        WARN,
        f"behavior {served.name} lets viewers use plain HTTP ({policy or 'not set'})",
        f"{served.edit}: Viewer protocol policy: Redirect HTTP to HTTPS",
    )


def http_versions(setup: SetUp) -> Verdict | None:
    served = _served(setup)
    if served is None:
        return None
    version = str(served.config.get("HttpVersion", "http2"))
    if version == "http2and3":
        return Verdict(PASS, "HTTP/2 and HTTP/3 are on")
    return Verdict(
        WARN,
        f"HttpVersion is {version}: " + ("no HTTP/3" if version == "http2" else "no HTTP/2 or HTTP/3"),
        f"{served.console} > General > Edit: Supported HTTP versions: HTTP/2, HTTP/3",
    )
