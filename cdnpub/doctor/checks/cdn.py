"""`cdnpub doctor`'s checks of the CloudFront distribution: origin, origin access and
cross-origin headers (caching is checks_caching.py). Pure: set-up in, findings out."""

from __future__ import annotations

from cdnpub.aws.managed_policies import CacheSettings
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
    probe_path,
    response_policy_cors,
    rest_domain,
    s3_cors_allows_get,
)
from cdnpub.doctor.model import CONSOLE, FAIL, PASS, WARN, Finding, SetUp, denied_finding


def check_distribution_found(setup: SetUp) -> list[Finding]:
    if "distribution" in setup.denied:
        return [denied_finding("origin", "origin.distribution", "distribution", setup.denied["distribution"])]
    if setup.distribution is None:
        return [
            Finding(
                "origin",
                "origin.distribution",
                WARN,
                setup.distribution_note
                or f"no CloudFront distribution found with s3://{setup.bucket} as origin: the CDN was not "
                "checked",
                "pass --distribution-id ID (CDN_DISTRIBUTION_ID for flask cdn doctor)",
            )
        ]
    if setup.distribution_note:
        return [Finding("origin", "origin.distribution", PASS, setup.distribution_note)]
    return []


def check_origin(setup: SetUp) -> list[Finding]:
    dist = setup.distribution
    if dist is None:
        return []
    config = dist.get("DistributionConfig") or {}
    dist_id = str(dist.get("Id", ""))
    console = CONSOLE.format(id=dist_id)
    out: list[Finding] = []
    origins = bucket_origins(config, setup.bucket)
    rest = [o for o in origins if origin_kind(str(o["DomainName"]), setup.bucket) == "rest"]
    path = probe_path(setup.prefix)
    behavior = behavior_for(config, path)
    target = str(behavior.get("TargetOriginId", ""))
    if rest:
        out.append(
            Finding(
                "origin",
                "origin.rest-endpoint",
                PASS,
                f"origin {rest[0]['Id']} is the bucket's REST endpoint",
            )
        )
    elif origins:
        out.append(
            Finding(
                "origin",
                "origin.rest-endpoint",
                FAIL,
                f"origin {origins[0]['Id']} is the bucket's static website endpoint "
                f"({origins[0]['DomainName']}), which cannot use Origin Access Control",
                f"{console} > Origins > Edit: Origin domain {rest_domain(setup.bucket, setup.region)}, "
                "Origin access: Origin access control settings; then turn website hosting off "
                f"(aws s3api delete-bucket-website --bucket {setup.bucket})",
            )
        )
    else:
        out.append(
            Finding(
                "origin",
                "origin.rest-endpoint",
                FAIL,
                f"no origin of distribution {dist_id} is s3://{setup.bucket}",
                f"{console} > Origins > Create origin: {rest_domain(setup.bucket, setup.region)} "
                "with an Origin access control",
            )
        )
    with_path = [o for o in origins if str(o.get("OriginPath") or "").strip("/")]
    if with_path:
        o = with_path[0]
        out.append(
            Finding(
                "origin",
                "origin.origin-path",
                FAIL,
                f"origin {o['Id']} has origin path {o['OriginPath']}: CloudFront asks S3 for "
                f"{str(o['OriginPath']).strip('/')}{path}, not the key cdnpub published",
                f"{console} > Origins > {o['Id']} > Edit: clear Origin path (keys are URL paths)",
            )
        )
    elif origins:
        out.append(Finding("origin", "origin.origin-path", PASS, "no origin path: keys are URL paths"))
    pattern = str(behavior.get("PathPattern") or "Default (*)")
    if origins and target in [str(o["Id"]) for o in origins]:
        out.append(
            Finding("origin", "origin.behavior", PASS, f"behavior {pattern} sends {path} to the bucket")
        )
    else:
        want = f"/{setup.prefix}/*" if setup.prefix else "Default (*)"
        out.append(
            Finding(
                "origin",
                "origin.behavior",
                FAIL,
                f"{path} goes to origin {target or '?'} (behavior {pattern}), not to the bucket",
                f"{console} > Behaviors > Create behavior: path pattern {want}, origin the bucket's",
            )
        )
    return out


def check_origin_access(setup: SetUp) -> list[Finding]:
    dist = setup.distribution
    if dist is None:
        return []
    config = dist.get("DistributionConfig") or {}
    rest = [
        o
        for o in bucket_origins(config, setup.bucket)
        if origin_kind(str(o["DomainName"]), setup.bucket) == "rest"
    ]
    if not rest:
        return []  # origin.rest-endpoint failed already
    origin = rest[0]
    dist_id, arn = str(dist.get("Id", "")), str(dist.get("ARN", ""))
    console = CONSOLE.format(id=dist_id)
    oac = str(origin.get("OriginAccessControlId") or "")
    oai = str((origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or "").rsplit("/", 1)[-1]
    policy_fix = (
        "add a statement allowing Service cloudfront.amazonaws.com s3:GetObject on "
        f"arn:aws:s3:::{setup.bucket}/* "
        f"with Condition StringEquals AWS:SourceArn {arn} "
        f"(aws s3api put-bucket-policy --bucket {setup.bucket} --policy file://policy.json)"
    )
    out: list[Finding] = []
    if oac:
        out.append(
            Finding(
                "access",
                "access.origin-access",
                PASS,
                f"origin {origin['Id']} signs with Origin Access Control {oac}",
            )
        )
    elif oai:
        out.append(
            Finding(
                "access",
                "access.origin-access",
                WARN,
                f"origin {origin['Id']} uses the legacy origin access identity {oai}",
                f"{console} > Origins > {origin['Id']} > Edit: Origin access control settings (create one), "
                "then the bucket policy it shows",
            )
        )
    else:
        out.append(
            Finding(
                "access",
                "access.origin-access",
                FAIL,
                f"origin {origin['Id']} has no Origin Access Control: CloudFront's requests are "
                "anonymous and "
                "a private bucket answers 403",
                "aws cloudfront create-origin-access-control --origin-access-control-config "
                f"Name={setup.bucket}-oac,SigningProtocol=sigv4,SigningBehavior=always,"
                "OriginAccessControlOriginType=s3; "
                f"then {console} > Origins > {origin['Id']} > Edit: Origin access control",
            )
        )
    if "bucket_policy" in setup.denied:
        return out  # access.public-policy said so
    policy = setup.bucket_policy
    if (oac or not oai) and allows_distribution(policy, setup.bucket, setup.prefix, arn):
        out.append(
            Finding(
                "access", "access.bucket-policy", PASS, f"the bucket policy lets distribution {dist_id} read"
            )
        )
    elif oai and not oac and allows_identity(policy, setup.bucket, setup.prefix, oai):
        out.append(
            Finding("access", "access.bucket-policy", PASS, f"the bucket policy lets identity {oai} read")
        )
    else:
        out.append(
            Finding(
                "access",
                "access.bucket-policy",
                FAIL,
                f"the bucket policy does not let distribution {dist_id} read s3://{setup.bucket}/"
                f"{setup.prefix + '/' if setup.prefix else ''}*: every request is 403",
                policy_fix,
            )
        )
    return out


def check_cross_origin(setup: SetUp) -> list[Finding]:
    dist = setup.distribution
    if dist is None:
        return []
    config = dist.get("DistributionConfig") or {}
    console = CONSOLE.format(id=dist.get("Id", ""))
    origins = [str(o["Id"]) for o in bucket_origins(config, setup.bucket)]
    default_target = str((config.get("DefaultCacheBehavior") or {}).get("TargetOriginId", ""))
    if bucket_behavior(config, setup.bucket, setup.prefix) is None:
        return []
    if default_target not in origins:
        return [
            Finding(
                "cross-origin",
                "cross-origin.cors",
                PASS,
                "the app's pages are served by the same distribution: same origin",
            )
        ]
    records = setup.published.records if setup.published else None
    kinds = needs_cors(records)
    if not kinds:
        return [Finding("cross-origin", "cross-origin.cors", PASS, "the release holds no fonts or scripts")]
    behavior = behavior_for(config, probe_path(setup.prefix))
    name = str(behavior.get("PathPattern") or "Default (*)")
    response_id = str(behavior.get("ResponseHeadersPolicyId") or "")
    request_id = str(behavior.get("OriginRequestPolicyId") or "")
    if response_id and response_policy_cors(response_id, setup.response_headers_policies):
        return [
            Finding(
                "cross-origin",
                "cross-origin.cors",
                PASS,
                f"response headers policy {response_id} adds CORS headers",
            )
        ]
    if f"response_headers_policy:{response_id}" in setup.denied:
        action = setup.denied[f"response_headers_policy:{response_id}"]
        return [
            denied_finding(
                "cross-origin", "cross-origin.cors", f"response headers policy {response_id}", action
            )
        ]
    if (
        s3_cors_allows_get(setup.cors)
        and request_id
        and forwards_origin(request_id, setup.origin_request_policies)
    ):
        settings = cache_settings(behavior, setup.cache_policies)
        if isinstance(settings, CacheSettings) and "origin" in settings.headers:
            return [
                Finding(
                    "cross-origin",
                    "cross-origin.cors",
                    PASS,
                    "S3 CORS rules answer, Origin is forwarded and in the cache key",
                )
            ]
        # S3 adds Access-Control-Allow-Origin only to requests that carry Origin. With
        # Origin forwarded but not in the cache key, a copy cached from a plain request
        # (no CORS headers) is served to the font loads that follow: blocked, on and off.
        return [
            Finding(
                "cross-origin",
                "cross-origin.cors",
                WARN,
                "S3 CORS rules answer only requests with Origin, and the cache key leaves Origin out: a copy "
                "cached without Access-Control-Allow-Origin is served to cross-origin loads (on and off)",
                f"{console} > Behaviors > {name} > Edit: Response headers policy: CORS-With-Preflight "
                "(5cc3b908-e619-4b99-88e5-2cf7f45965bd), which adds the header to every answer",
            )
        ]
    return [
        Finding(
            "cross-origin",
            "cross-origin.cors",
            FAIL,
            f"the CDN is another host than the app's pages and the release holds {kinds}, but behavior "
            f"{name} adds "
            "no Access-Control-Allow-Origin: browsers block them",
            f"{console} > Behaviors > {name} > Edit: Response headers policy: CORS-With-Preflight "
            "(5cc3b908-e619-4b99-88e5-2cf7f45965bd)",
        )
    ]
