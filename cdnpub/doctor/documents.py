"""Reading AWS's documents the way AWS does, for `cdnpub doctor`: which endpoint an
origin is, which cache behavior serves a path, what a bucket policy allows, what a
cache policy keeps, which lifecycle rules reach a prefix. Pure functions over the
dicts boto3 returns."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cdnpub.aws.managed_policies import (
    CACHE_POLICIES,
    CORS_RESPONSE_HEADERS_POLICIES,
    ORIGIN_REQUEST_POLICIES_WITH_ORIGIN,
    CacheSettings,
)
from cdnpub.build.rules import SHORT_MAX_AGE, YEAR, shared_cache_seconds
from cdnpub.doctor import policy as policy_rules
from cdnpub.sync.release import ObjectRecord
from cdnpub.urls import under

DEFAULT_PLAIN_MAX_AGE = SHORT_MAX_AGE  # seconds: when no plain-name copy says its max-age


UNREADABLE_CLASSES = {"GLACIER", "DEEP_ARCHIVE"}  # GetObject refuses them until restored


def _website(bucket: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(bucket)}\.s3-website[.-][a-z0-9-]+\.amazonaws\.com(\.cn)?", re.I)


def _rest(bucket: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(bucket)}\.s3([.-](dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(\.cn)?", re.I)


def origin_kind(domain: str, bucket: str) -> str:
    """ "rest" (the bucket's S3 REST endpoint), "website" (its static website endpoint,
    which cannot use Origin Access Control) or "" (not this bucket)."""
    if _website(bucket).fullmatch(domain):
        return "website"
    if _rest(bucket).fullmatch(domain):
        return "rest"
    return ""


def rest_domain(bucket: str, region: str | None) -> str:
    return f"{bucket}.s3.{region}.amazonaws.com" if region else f"{bucket}.s3.amazonaws.com"


def items(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.get("Items") or [])
    return list(value or [])


def path_matches(pattern: str, path: str) -> bool:
    """CloudFront's path patterns: `*` any run of characters, `?` one, case-sensitive,
    the leading `/` optional."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lstrip("/"))
    return re.fullmatch(regex, path.lstrip("/"), re.S) is not None


def behavior_for(config: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The cache behavior CloudFront applies to `path`: the first ordered one whose
    pattern matches, else the default."""
    for behavior in items(config.get("CacheBehaviors")):
        if path_matches(str(behavior.get("PathPattern", "")), path):
            return dict(behavior)
    return dict(config.get("DefaultCacheBehavior") or {})


def probe_path(prefix: str) -> str:
    """A URL path under the prefix, as a stylesheet cdnpub publishes has."""
    return f"/{under(prefix)}css/app.css"


def bucket_origins(config: Mapping[str, Any], bucket: str) -> list[Mapping[str, Any]]:
    return [o for o in items(config.get("Origins")) if origin_kind(str(o.get("DomainName", "")), bucket)]


def primary_origin(config: Mapping[str, Any], target: str) -> str:
    """The origin a behavior's TargetOriginId sends requests to: itself, or for a failover
    origin group (OriginGroups) its primary member, the first (CloudFront tries the
    secondary only when the primary answers an error the group names)."""
    for group in items(config.get("OriginGroups")):
        if str(group.get("Id", "")) == target:
            members = items(group.get("Members"))
            return str(members[0].get("OriginId", "")) if members else target
    return target


def sends_to_bucket(config: Mapping[str, Any], bucket: str, behavior: Mapping[str, Any]) -> bool:
    """Whether the behavior's requests go to the bucket (directly or as a group's primary)."""
    origins = [str(o["Id"]) for o in bucket_origins(config, bucket)]
    return primary_origin(config, str(behavior.get("TargetOriginId", ""))) in origins


def bucket_behavior(config: Mapping[str, Any], bucket: str, prefix: str) -> Mapping[str, Any] | None:
    """The behavior that serves the prefix, if it sends requests to the bucket."""
    behavior = behavior_for(config, probe_path(prefix))
    return behavior if sends_to_bucket(config, bucket, behavior) else None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _statements(policy: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not policy:
        return []
    return [s for s in as_list(policy.get("Statement")) if isinstance(s, Mapping)]


def _wild(pattern: str, value: str, fold: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.S | (re.I if fold else 0)) is not None


def _condition_values(statement: Mapping[str, Any], key: str) -> list[str]:
    """The values a statement's Condition gives `key` (case-insensitive), any operator."""
    found: list[str] = []
    for block in (statement.get("Condition") or {}).values():
        if isinstance(block, Mapping):
            for name, value in block.items():
                if str(name).lower() == key.lower():
                    found += [str(v) for v in as_list(value)]
    return found


def _is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return "*" in [str(p) for p in as_list(principal.get("AWS"))]
    return False


def public_statements(policy: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """Allow statements S3 Block Public Access calls public (doctor.policy)."""
    return [s for _, s in policy_rules.public_statements(policy)]


def _grants_get(statement: Mapping[str, Any], bucket: str, prefix: str) -> bool:
    actions = [str(a) for a in as_list(statement.get("Action"))]
    if not any(_wild(a, "s3:GetObject", fold=True) for a in actions):
        return False
    key = f"arn:aws:s3:::{bucket}/{under(prefix)}css/app.css"
    resources = [str(r).replace("arn:aws-cn:", "arn:aws:") for r in as_list(statement.get("Resource"))]
    return any(_wild(r, key) for r in resources)


def allows_distribution(policy: Mapping[str, Any] | None, bucket: str, prefix: str, arn: str) -> bool:
    """A statement lets cloudfront.amazonaws.com GetObject under the prefix on behalf of
    the distribution `arn` (what an Origin Access Control needs)."""
    for s in _statements(policy):
        principal = s.get("Principal")
        services = (
            [str(p) for p in as_list(principal.get("Service"))] if isinstance(principal, Mapping) else []
        )
        if s.get("Effect") != "Allow" or "cloudfront.amazonaws.com" not in services:
            continue
        arns = _condition_values(s, "aws:SourceArn")
        if _grants_get(s, bucket, prefix) and any(_wild(a, arn) for a in arns):
            return True
    return False


def allows_identity(policy: Mapping[str, Any] | None, bucket: str, prefix: str, oai: str) -> bool:
    """A statement lets the legacy origin access identity `oai` GetObject under the prefix."""
    for s in _statements(policy):
        principal = s.get("Principal")
        if s.get("Effect") != "Allow" or not isinstance(principal, Mapping):
            continue
        names = [str(p) for p in as_list(principal.get("AWS"))] + [
            str(p) for p in as_list(principal.get("CanonicalUser"))
        ]
        if any(oai in n for n in names) and _grants_get(s, bucket, prefix):
            return True
    return False


def cache_settings(
    behavior: Mapping[str, Any], custom: Mapping[str, Mapping[str, Any]]
) -> CacheSettings | str | None:
    """What the behavior's cache policy does: a managed one from AWS's table, a custom
    one from its fetched config, legacy settings from the behavior itself. The policy
    id when it could not be read; None when unknown (neither policy nor legacy TTLs)."""
    policy_id = str(behavior.get("CachePolicyId") or "")
    if policy_id:
        if policy_id in CACHE_POLICIES:
            return CACHE_POLICIES[policy_id]
        config = custom.get(policy_id)
        if config is None:
            return policy_id
        params = config.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
        headers = params.get("HeadersConfig") or {}
        names: tuple[str, ...] = ()
        if headers.get("HeaderBehavior") == "whitelist":
            names = tuple(str(h).lower() for h in items(headers.get("Headers")))
        return CacheSettings(
            name=str(config.get("Name") or policy_id),
            min_ttl=int(config.get("MinTTL") or 0),
            default_ttl=int(config.get("DefaultTTL") or 0),
            max_ttl=int(config.get("MaxTTL") or 0),
            query_strings=(params.get("QueryStringsConfig") or {}).get("QueryStringBehavior", "none")
            != "none",
            cookies=(params.get("CookiesConfig") or {}).get("CookieBehavior", "none") != "none",
            headers=names,
            gzip=bool(params.get("EnableAcceptEncodingGzip", False)),
            brotli=bool(params.get("EnableAcceptEncodingBrotli", False)),
        )
    if "MinTTL" not in behavior and "ForwardedValues" not in behavior:
        return None
    forwarded = behavior.get("ForwardedValues") or {}
    return CacheSettings(
        name="the behavior's legacy cache settings",
        min_ttl=int(behavior.get("MinTTL") or 0),
        default_ttl=int(behavior.get("DefaultTTL", 86400) or 0),
        max_ttl=int(behavior.get("MaxTTL", YEAR) or 0),
        query_strings=bool(forwarded.get("QueryString")),
        cookies=(forwarded.get("Cookies") or {}).get("Forward", "none") != "none",
        headers=tuple(str(h).lower() for h in items(forwarded.get("Headers"))),
        brotli=False,  # legacy cache settings compress with gzip only (Serve compressed files)
    )


def plain_max_age(records: Mapping[str, ObjectRecord] | None) -> int:
    """The shortest time a CDN may keep a plain-name copy of the newest release."""
    ages = [
        age
        for r in (records or {}).values()
        if r.plain and (age := shared_cache_seconds(r.cache_control)) is not None
    ]
    return min(ages) if ages else DEFAULT_PLAIN_MAX_AGE


# What browsers fetch in CORS mode from the CDN when the pages are on another host: fonts
# (always), and what cdnpub's own helpers mark `crossorigin`: stylesheets and scripts
# with `integrity` (cdn_vite_tags, the SRI docs), module scripts and modulepreloads.
_CORS_KINDS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("stylesheets", lambda t: t.startswith("text/css")),
    ("scripts", lambda t: "javascript" in t or t.startswith("text/ecmascript")),
    ("fonts", lambda t: t.startswith("font/") or "font" in t),
)


def needs_cors(records: Mapping[str, ObjectRecord] | None) -> str:
    """What in the release browsers fetch in CORS mode from another host, named as the
    report says it ("stylesheets and fonts"); "" when none. `records` None: the release
    was not read, so every kind is assumed (the caller says why)."""
    if records is None:
        return "stylesheets, scripts and fonts"
    types = [r.content_type.lower() for r in records.values()]
    kinds = [name for name, test in _CORS_KINDS if any(test(t) for t in types)]
    return ", ".join(kinds[:-1]) + " and " + kinds[-1] if len(kinds) > 1 else "".join(kinds)


def forwards_origin(policy_id: str, custom: Mapping[str, Mapping[str, Any]]) -> bool:
    if policy_id in ORIGIN_REQUEST_POLICIES_WITH_ORIGIN:
        return True
    headers = (custom.get(policy_id) or {}).get("HeadersConfig") or {}
    behavior = headers.get("HeaderBehavior", "none")
    names = [str(h).lower() for h in items(headers.get("Headers"))]
    return behavior in ("allViewer", "allViewerAndWhitelistCloudFront") or (
        behavior in ("whitelist", "allViewerAndWhitelistCloudFront") and "origin" in names
    )


def s3_cors_allows_get(rules: Sequence[Mapping[str, Any]] | None) -> bool:
    return any(
        "GET" in [str(m).upper() for m in as_list(r.get("AllowedMethods"))]
        and as_list(r.get("AllowedOrigins"))
        for r in rules or []
    )


def response_policy_cors(policy_id: str, custom: Mapping[str, Mapping[str, Any]]) -> bool:
    if policy_id in CORS_RESPONSE_HEADERS_POLICIES:
        return True
    cors = (custom.get(policy_id) or {}).get("CorsConfig") or {}
    return bool(items(cors.get("AccessControlAllowOrigins")))


def _rule_prefix(rule: Mapping[str, Any]) -> tuple[str | None, bool]:
    """A rule's key prefix and whether it filters on tags (cdnpub tags nothing)."""
    filt = rule.get("Filter")
    if filt is None:
        return str(rule.get("Prefix") or ""), False
    if "And" in filt:
        both = filt["And"] or {}
        return str(both.get("Prefix") or ""), bool(both.get("Tags"))
    if "Tag" in filt:
        return None, True
    return str(filt.get("Prefix") or ""), False


def rule_covers(rule: Mapping[str, Any], prefix: str) -> bool:
    """An enabled lifecycle rule that can act on objects under the prefix."""
    if rule.get("Status") != "Enabled":
        return False
    start, tagged = _rule_prefix(rule)
    if start is None or tagged:
        return False
    mine = under(prefix)
    return mine.startswith(start) or start.startswith(mine)


def parse_policy(text: str) -> Mapping[str, Any]:
    """A bucket policy document; an unparsable one reads as empty."""
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    return doc if isinstance(doc, Mapping) else {}
