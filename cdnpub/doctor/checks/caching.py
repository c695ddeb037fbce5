"""`cdnpub doctor`'s caching checks of the behavior that serves the prefix: does it
honour the Cache-Control cdnpub sets, keep the cache key to the path, compress, use
HTTPS and HTTP/3. Pure: set-up in, findings out."""

from __future__ import annotations

from cdnpub.aws.managed_policies import YEAR, CacheSettings
from cdnpub.doctor.documents import bucket_behavior, cache_settings, plain_max_age
from cdnpub.doctor.model import CONSOLE, FAIL, PASS, WARN, Finding, SetUp


def check_caching(setup: SetUp) -> list[Finding]:
    dist = setup.distribution
    if dist is None:
        return []
    config = dist.get("DistributionConfig") or {}
    console = CONSOLE.format(id=dist.get("Id", ""))
    behavior = bucket_behavior(config, setup.bucket, setup.prefix)
    if behavior is None:
        return []  # origin.behavior failed: the behavior that serves the prefix is not the bucket's
    name = str(behavior.get("PathPattern") or "Default (*)")
    edit = f"{console} > Behaviors > {name} > Edit"
    records = setup.published.records if setup.published else None
    plain = plain_max_age(records)
    out: list[Finding] = []
    settings = cache_settings(behavior, setup.cache_policies)
    optimized = "Cache policy: CachingOptimized (658327ea-f89d-4fab-a63d-7e88639e58f6)"
    if isinstance(settings, str):
        action = setup.denied.get(f"cache_policy:{settings}")
        why = f"could not read cache policy {settings}" + (
            f": the credentials lack {action}" if action else ""
        )
        out.append(
            Finding(
                "caching",
                "caching.cache-policy",
                WARN,
                why,
                f"grant cloudfront:GetCachePolicy, or {edit}: {optimized}",
            )
        )
    elif settings is None:
        out.append(
            Finding(
                "caching",
                "caching.cache-policy",
                WARN,
                f"behavior {name} names no cache policy",
                f"{edit}: {optimized}",
            )
        )
    elif settings.max_ttl == 0:
        out.append(
            Finding(
                "caching",
                "caching.cache-policy",
                FAIL,
                f"behavior {name} uses {settings.name}: nothing is cached at the edge, every request "
                "goes to S3",
                f"{edit}: {optimized}",
            )
        )
    elif settings.min_ttl > plain:
        out.append(
            Finding(
                "caching",
                "caching.cache-policy",
                FAIL,
                f"{settings.name}: a minimum TTL of {settings.min_ttl}s holds every object longer than the "
                f"plain names' max-age={plain}: stale CSS and JS after each release",
                f"{edit}: {optimized}, or a minimum TTL of 0",
            )
        )
    elif settings.max_ttl < YEAR:
        out.append(
            Finding(
                "caching",
                "caching.cache-policy",
                WARN,
                f"{settings.name}: a maximum TTL of {settings.max_ttl}s sends immutable fingerprinted "
                "files back to S3 long before their max-age=31536000",
                f"{edit}: {optimized}, or a maximum TTL of 31536000",
            )
        )
    else:
        out.append(
            Finding(
                "caching", "caching.cache-policy", PASS, f"{settings.name}: the objects' Cache-Control holds"
            )
        )
    if isinstance(settings, CacheSettings):
        extra = [
            what
            for what, on in (
                ("query strings", settings.query_strings),
                ("cookies", settings.cookies),
                (
                    f"headers {', '.join(h for h in settings.headers if h != 'origin')}",
                    any(h != "origin" for h in settings.headers),
                ),
            )
            if on
        ]
        if extra:
            out.append(
                Finding(
                    "caching",
                    "caching.cache-key",
                    WARN,
                    f"{settings.name}: {' and '.join(extra)} in the cache key, so one static file is "
                    "cached many times",
                    f"{edit}: {optimized}",
                )
            )
        else:
            out.append(
                Finding("caching", "caching.cache-key", PASS, "the cache key is the path (and encoding)")
            )
    if behavior.get("Compress", False):
        out.append(Finding("caching", "caching.compress", PASS, "CloudFront compresses text responses"))
    else:
        out.append(
            Finding(
                "caching",
                "caching.compress",
                WARN,
                f"behavior {name} does not compress: CSS, JS and SVG go out uncompressed (cdnpub "
                "uploads raw bytes)",
                f"{edit}: Compress objects automatically: Yes",
            )
        )
    policy = str(behavior.get("ViewerProtocolPolicy", ""))
    if policy in ("redirect-to-https", "https-only"):
        out.append(Finding("caching", "caching.viewer-https", PASS, f"viewers use HTTPS ({policy})"))
    else:
        out.append(
            Finding(
                "caching",
                "caching.viewer-https",
                WARN,
                f"behavior {name} lets viewers use plain HTTP ({policy or 'not set'})",
                f"{edit}: Viewer protocol policy: Redirect HTTP to HTTPS",
            )
        )
    version = str(config.get("HttpVersion", "http2"))
    if version == "http2and3":
        out.append(Finding("caching", "caching.http-versions", PASS, "HTTP/2 and HTTP/3 are on"))
    else:
        out.append(
            Finding(
                "caching",
                "caching.http-versions",
                WARN,
                f"HttpVersion is {version}: "
                + ("no HTTP/3" if version == "http2" else "no HTTP/2 or HTTP/3"),
                f"{console} > General > Edit: Supported HTTP versions: HTTP/2, HTTP/3",
            )
        )
    return out
