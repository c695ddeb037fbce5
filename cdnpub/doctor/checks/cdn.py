"""`cdnpub doctor`'s checks of the CloudFront distribution: origin, origin access and
cross-origin headers (caching is checks/caching.py). Pure: set-up in, a verdict (or
None: not judged) out, one function per check id; doctor.checks registers them in the
report's order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdnpub.aws.managed_policies import CORS_WITH_PREFLIGHT, CacheSettings
from cdnpub.doctor.documents import (
    allows_distribution,
    allows_identity,
    behavior_for,
    bucket_behavior,
    bucket_origins,
    cache_settings,
    forwards_origin,
    needs_cors,
    origin_kind,
    primary_origin,
    probe_path,
    response_policy_cors,
    rest_domain,
    s3_cors_allows_get,
    sends_to_bucket,
)
from cdnpub.doctor.model import CONSOLE, FAIL, PASS, WARN, SetUp, Verdict, denied
from cdnpub.doctor.policy import Match, cloudfront_read, denials
from cdnpub.urls import under

_CORS_POLICY = f"Response headers policy: CORS-With-Preflight ({CORS_WITH_PREFLIGHT})"


@dataclass(frozen=True, slots=True)
class _Dist:
    """The distribution's parts every CDN check reads."""

    id: str
    arn: str
    config: Mapping[str, Any]  # the DistributionConfig
    console: str  # the distribution in the console
    origins: list[Mapping[str, Any]]  # the origins that are the bucket (REST or website)


def _dist(setup: SetUp) -> _Dist | None:
    dist = setup.distribution
    if dist is None:
        return None
    config = dist.get("DistributionConfig") or {}
    dist_id = str(dist.get("Id", ""))
    origins = bucket_origins(config, setup.bucket)
    return _Dist(dist_id, str(dist.get("ARN", "")), config, CONSOLE.format(id=dist_id), origins)


def _rest(setup: SetUp, d: _Dist) -> list[Mapping[str, Any]]:
    """The origins that are the bucket's REST endpoint (the only ones OAC can sign for)."""
    return [o for o in d.origins if origin_kind(str(o["DomainName"]), setup.bucket) == "rest"]


def distribution_found(setup: SetUp) -> Verdict | None:
    if "distribution" in setup.denied:
        return denied("distribution", setup.denied["distribution"])
    if setup.distribution is None:
        return Verdict(
            WARN,
            setup.distribution_note
            or f"no CloudFront distribution found with s3://{setup.bucket} as origin: the CDN was not "
            "checked",
            "pass --distribution-id ID (CDN_DISTRIBUTION_ID for flask cdn doctor)",
        )
    if setup.distribution_note:
        return Verdict(PASS, setup.distribution_note)
    return None


def rest_endpoint(setup: SetUp) -> Verdict | None:
    d = _dist(setup)
    if d is None:
        return None
    rest = _rest(setup, d)
    if rest:
        return Verdict(PASS, f"origin {rest[0]['Id']} is the bucket's REST endpoint")
    domain = rest_domain(setup.bucket, setup.region)
    if d.origins:
        first = d.origins[0]
        return Verdict(
            FAIL,
            f"origin {first['Id']} is the bucket's static website endpoint "
            f"({first['DomainName']}), which cannot use Origin Access Control",
            f"{d.console} > Origins > Edit: Origin domain {domain}, "
            "Origin access: Origin access control settings; then turn website hosting off "
            f"(aws s3api delete-bucket-website --bucket {setup.bucket})",
        )
    return Verdict(
        FAIL,
        f"no origin of distribution {d.id} is s3://{setup.bucket}",
        f"{d.console} > Origins > Create origin: {domain} with an Origin access control",
    )


def origin_path(setup: SetUp) -> Verdict | None:
    d = _dist(setup)
    if d is None or not d.origins:
        return None
    with_path = [o for o in d.origins if str(o.get("OriginPath") or "").strip("/")]
    if not with_path:
        return Verdict(PASS, "no origin path: keys are URL paths")
    o, path = with_path[0], probe_path(setup.prefix)
    return Verdict(
        FAIL,
        f"origin {o['Id']} has origin path {o['OriginPath']}: CloudFront asks S3 for "
        f"{str(o['OriginPath']).strip('/')}{path}, not the key cdnpub published",
        f"{d.console} > Origins > {o['Id']} > Edit: clear Origin path (keys are URL paths)",
    )


def behavior(setup: SetUp) -> Verdict | None:
    d = _dist(setup)
    if d is None:
        return None
    path = probe_path(setup.prefix)
    served = behavior_for(d.config, path)
    target = str(served.get("TargetOriginId", ""))
    pattern = str(served.get("PathPattern") or "Default (*)")
    if sends_to_bucket(d.config, setup.bucket, served):
        primary = primary_origin(d.config, target)
        via = f" (origin group {target}, primary {primary})" if primary != target else ""
        return Verdict(PASS, f"behavior {pattern} sends {path} to the bucket{via}")
    want = f"/{under(setup.prefix)}*" if setup.prefix else "Default (*)"
    return Verdict(
        FAIL,
        f"{path} goes to origin {target or '?'} (behavior {pattern}), not to the bucket",
        f"{d.console} > Behaviors > Create behavior: path pattern {want}, origin the bucket's",
    )


@dataclass(frozen=True, slots=True)
class _Signing:
    """How CloudFront signs its requests to the bucket's REST origin."""

    origin: str  # the origin's Id
    oac: str  # Origin Access Control id, "" if none
    oai: str  # legacy origin access identity id, "" if none


def _signing(setup: SetUp, d: _Dist) -> _Signing | None:
    rest = _rest(setup, d)
    if not rest:
        return None  # origin.rest-endpoint failed already
    origin = rest[0]
    oac = str(origin.get("OriginAccessControlId") or "")
    oai = str((origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or "").rsplit("/", 1)[-1]
    return _Signing(str(origin["Id"]), oac, oai)


def origin_access(setup: SetUp) -> Verdict | None:
    d = _dist(setup)
    signing = _signing(setup, d) if d else None
    if d is None or signing is None:
        return None
    origin = signing.origin
    if signing.oac:
        return Verdict(PASS, f"origin {origin} signs with Origin Access Control {signing.oac}")
    if signing.oai:
        return Verdict(
            WARN,
            f"origin {origin} uses the legacy origin access identity {signing.oai}",
            f"{d.console} > Origins > {origin} > Edit: Origin access control settings (create one), "
            "then the bucket policy it shows",
        )
    return Verdict(
        FAIL,
        f"origin {origin} has no Origin Access Control: CloudFront's requests are anonymous and "
        "a private bucket answers 403",
        "aws cloudfront create-origin-access-control --origin-access-control-config "
        f"Name={setup.bucket}-oac,SigningProtocol=sigv4,SigningBehavior=always,"
        "OriginAccessControlOriginType=s3; "
        f"then {d.console} > Origins > {origin} > Edit: Origin access control",
    )


def bucket_policy(setup: SetUp) -> Verdict | None:
    d = _dist(setup)
    signing = _signing(setup, d) if d else None
    if d is None or signing is None or "bucket_policy" in setup.denied:
        return None  # access.public-policy says the policy could not be read
    policy, oac, oai = setup.bucket_policy, signing.oac, signing.oai
    where = f"s3://{setup.bucket}/{setup.prefix + '/' if setup.prefix else ''}*"
    if (oac or not oai) and allows_distribution(policy, setup.bucket, setup.prefix, d.arn):
        allowed = f"the bucket policy lets distribution {d.id} read"
    elif oai and not oac and allows_identity(policy, setup.bucket, setup.prefix, oai):
        allowed = f"the bucket policy lets identity {oai} read"
    else:
        return Verdict(
            FAIL,
            f"the bucket policy does not let distribution {d.id} read {where}: every request is 403",
            "add a statement allowing Service cloudfront.amazonaws.com s3:GetObject on "
            f"arn:aws:s3:::{setup.bucket}/* "
            f"with Condition StringEquals AWS:SourceArn {d.arn} "
            f"(aws s3api put-bucket-policy --bucket {setup.bucket} --policy file://policy.json)",
        )
    return _denied_reads(setup, d, allowed, where)


def _denied_reads(setup: SetUp, d: _Dist, allowed: str, where: str) -> Verdict:
    """Explicit deny wins (IAM policy evaluation logic): a Deny that applies to
    CloudFront's read fails the check whatever the Allow; one whose condition cannot be
    judged from here (the IP or VPC endpoint the request comes from, a NotPrincipal) warns."""
    served = behavior_for(d.config, probe_path(setup.prefix))
    viewer = str(served.get("ViewerProtocolPolicy", ""))
    https = True if viewer in ("redirect-to-https", "https-only") else None
    key = probe_path(setup.prefix).lstrip("/")
    found = denials(setup.bucket_policy, cloudfront_read(setup.bucket, key, d.arn, https))
    fix = (
        "exempt CloudFront's reads from that statement (e.g. a Condition "
        f'"StringNotEquals": {{"AWS:SourceArn": "{d.arn}"}}), or drop it '
        f"(aws s3api put-bucket-policy --bucket {setup.bucket} --policy file://policy.json)"
    )
    if found and found[0].match is Match.YES:
        return Verdict(
            FAIL,
            f"{allowed}, but bucket policy statement {found[0].statement} denies CloudFront's "
            f"s3:GetObject on {where}: an explicit Deny wins, every request is 403",
            fix,
        )
    if found:
        denial = found[0]
        return Verdict(
            WARN,
            f"{allowed}, but bucket policy statement {denial.statement} denies s3:GetObject unless "
            f"{', '.join(denial.unknown)}, which doctor cannot judge for CloudFront's requests: "
            "if it applies, every request is 403",
            fix,
        )
    return Verdict(PASS, f"{allowed}, and no Deny statement stops it")


def cors(setup: SetUp) -> Verdict | None:
    d = _dist(setup)
    if d is None or bucket_behavior(d.config, setup.bucket, setup.prefix) is None:
        return None
    if not sends_to_bucket(d.config, setup.bucket, d.config.get("DefaultCacheBehavior") or {}):
        return Verdict(PASS, "the app's pages are served by the same distribution: same origin")
    records = setup.published.records if setup.published else None
    kinds = needs_cors(records)
    if not kinds:
        return Verdict(PASS, "the release holds no stylesheets, scripts or fonts (no CORS fetch)")
    served = behavior_for(d.config, probe_path(setup.prefix))
    response_id = str(served.get("ResponseHeadersPolicyId") or "")
    if response_id and response_policy_cors(response_id, setup.response_headers_policies):
        return Verdict(PASS, f"response headers policy {response_id} adds CORS headers")
    if f"response_headers_policy:{response_id}" in setup.denied:
        action = setup.denied[f"response_headers_policy:{response_id}"]
        return denied(f"response headers policy {response_id}", action)
    if f"response_headers_policy:{response_id}" in setup.unreadable:
        answer = setup.unreadable[f"response_headers_policy:{response_id}"]
        return Verdict(
            WARN,
            f"could not read response headers policy {response_id}: CloudFront answered {answer}",
            "run doctor again; if it persists, check the policy in the CloudFront console",
            checked=False,
        )
    edit = f"{d.console} > Behaviors > {served.get('PathPattern') or 'Default (*)'} > Edit"
    if _s3_answers_cors(setup, served):
        return _s3_cors(setup, served, edit)
    found = f"the release holds {kinds}" if records is not None else _unread(setup, kinds)
    return Verdict(
        FAIL,
        f"the CDN is another host than the app's pages and {found} (fetched with crossorigin), but "
        f"behavior {served.get('PathPattern') or 'Default (*)'} adds "
        "no Access-Control-Allow-Origin: browsers block them",
        f"{edit}: {_CORS_POLICY}",
    )


def _unread(setup: SetUp, kinds: str) -> str:
    """What the CORS check assumes when no release was read, and why."""
    pub = setup.published
    if pub is not None and pub.record_key is None:
        return f"nothing is published yet ({kinds}, as cdnpub's helpers load them, will be)"
    return f"the release was not read (its {kinds} assumed)"


def _s3_answers_cors(setup: SetUp, served: Mapping[str, Any]) -> bool:
    """S3's own CORS rules allow GET and the behavior forwards the viewer's Origin to it."""
    request_id = str(served.get("OriginRequestPolicyId") or "")
    return (
        s3_cors_allows_get(setup.cors)
        and bool(request_id)
        and forwards_origin(request_id, setup.origin_request_policies)
    )


def _s3_cors(setup: SetUp, served: Mapping[str, Any], edit: str) -> Verdict:
    settings = cache_settings(served, setup.cache_policies)
    if isinstance(settings, CacheSettings) and "origin" in settings.headers:
        return Verdict(PASS, "S3 CORS rules answer, Origin is forwarded and in the cache key")
    # S3 adds Access-Control-Allow-Origin only to requests that carry Origin. With
    # Origin forwarded but not in the cache key, a copy cached from a plain request
    # (no CORS headers) is served to the font loads that follow: blocked, on and off.
    return Verdict(
        WARN,
        "S3 CORS rules answer only requests with Origin, and the cache key leaves Origin out: a copy "
        "cached without Access-Control-Allow-Origin is served to cross-origin loads (on and off)",
        f"{edit}: {_CORS_POLICY}, which adds the header to every answer",
    )
