"""The pure checks of `cdnpub doctor` (doctor/documents.py, doctor/checks/):
tables of AWS documents in, findings out, with no S3 or CloudFront at all. Where moto
cannot model a case (custom cache and response headers policies), it is pinned here."""

from __future__ import annotations

from typing import Any

import pytest

from cdnpub.aws.managed_policies import (
    CACHE_POLICIES,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
)
from cdnpub.doctor.checks import CHECKS, group_of, run_checks
from cdnpub.doctor.documents import (
    allows_distribution,
    behavior_for,
    cache_settings,
    origin_kind,
    path_matches,
    public_statements,
    rule_covers,
)
from cdnpub.doctor.model import Group, Published, Sample, SetUp, Status
from cdnpub.sync.release import ObjectRecord
from tests.support.doctor import ARN, OAC_STATEMENT, good, head, release_records, with_behavior
from tests.support.doctor import policy_of as _policy

CUSTOM = "11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("domain", "kind"),
    [
        ("my-assets.s3.amazonaws.com", "rest"),
        ("my-assets.s3.eu-west-1.amazonaws.com", "rest"),
        ("my-assets.s3-eu-west-1.amazonaws.com", "rest"),
        ("my-assets.s3.dualstack.eu-west-1.amazonaws.com", "rest"),
        ("my-assets.s3.cn-north-1.amazonaws.com.cn", "rest"),
        ("my-assets.s3-website-eu-west-1.amazonaws.com", "website"),
        ("my-assets.s3-website.eu-west-1.amazonaws.com", "website"),
        ("other.s3.amazonaws.com", ""),
        ("my-assets-old.s3.amazonaws.com", ""),
        ("app.example.com", ""),
    ],
)
def test_origin_kind_tells_the_rest_endpoint_from_the_website_endpoint(domain: str, kind: str) -> None:
    assert origin_kind(domain, "my-assets") == kind


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/static/*", "/static/css/app.css", True),
        ("static/*", "/static/css/app.css", True),
        ("/static/*", "/Static/css/app.css", False),  # CloudFront is case-sensitive
        ("/static/*.css", "/static/css/app.css", True),
        ("/static/*.js", "/static/css/app.css", False),
        ("/stat?c/*", "/static/a", True),
        ("/assets/*", "/static/a", False),
        ("*", "/anything", True),
    ],
)
def test_path_patterns_match_as_cloudfront_matches_them(pattern: str, path: str, matches: bool) -> None:
    assert path_matches(pattern, path) is matches


def test_the_first_matching_ordered_behavior_wins_over_the_default() -> None:
    config = {
        "CacheBehaviors": {
            "Items": [
                {"PathPattern": "/api/*", "TargetOriginId": "app"},
                {"PathPattern": "/static/*", "TargetOriginId": "assets"},
                {"PathPattern": "/static/css/*", "TargetOriginId": "never"},
            ]
        },
        "DefaultCacheBehavior": {"TargetOriginId": "app"},
    }
    assert behavior_for(config, "/static/css/app.css")["TargetOriginId"] == "assets"
    assert behavior_for(config, "/index.html")["TargetOriginId"] == "app"


@pytest.mark.parametrize(
    ("change", "allowed"),
    [
        ({}, True),
        ({"Action": ["s3:Get*"]}, True),
        ({"Resource": "arn:aws:s3:::my-assets/static/*"}, True),
        ({"Resource": "arn:aws:s3:::my-assets/other/*"}, False),
        ({"Resource": "arn:aws:s3:::other-bucket/*"}, False),
        (
            {"Condition": {"ArnLike": {"aws:sourcearn": "arn:aws:cloudfront::111122223333:distribution/*"}}},
            True,
        ),
        ({"Condition": {"StringEquals": {"AWS:SourceArn": ARN.replace("E2EXAMPLE", "EOTHER")}}}, False),
        ({"Condition": {}}, False),
        ({"Effect": "Deny"}, False),
        ({"Action": "s3:PutObject"}, False),
        ({"Principal": {"Service": "lambda.amazonaws.com"}}, False),
    ],
)
def test_a_bucket_policy_allows_the_distribution_only_as_oac_needs(
    change: dict[str, Any], allowed: bool
) -> None:
    policy = _policy({**OAC_STATEMENT, **change})
    assert allows_distribution(policy, "my-assets", "static", ARN) is allowed


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        ({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}, True),
        ({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject"}, True),
        (
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Condition": {"StringEquals": {"aws:SourceArn": ARN}}},
            False,
        ),
        ({"Effect": "Deny", "Principal": "*", "Action": "s3:*"}, False),
        (OAC_STATEMENT, False),
    ],
)  # fmt: skip
def test_a_statement_for_anyone_without_a_source_arn_is_public(
    statement: dict[str, Any], public: bool
) -> None:
    assert bool(public_statements(_policy(statement))) is public


def test_a_single_statement_object_is_read_as_a_list() -> None:
    assert public_statements({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}})


@pytest.mark.parametrize(
    ("rule", "covers"),
    [
        ({"Status": "Enabled", "Filter": {"Prefix": ""}}, True),
        ({"Status": "Enabled", "Filter": {}}, True),
        ({"Status": "Enabled", "Filter": {"Prefix": "static/"}}, True),
        ({"Status": "Enabled", "Filter": {"Prefix": "static/img/"}}, True),
        ({"Status": "Enabled", "Filter": {"Prefix": "stat"}}, True),
        ({"Status": "Enabled", "Filter": {"Prefix": "logs/"}}, False),
        ({"Status": "Enabled", "Filter": {"Prefix": "static-old/"}}, False),
        ({"Status": "Disabled", "Filter": {"Prefix": ""}}, False),
        (
            {"Status": "Enabled", "Filter": {"Tag": {"Key": "tmp", "Value": "1"}}},
            False,
        ),  # cdnpub tags nothing
        (
            {
                "Status": "Enabled",
                "Filter": {"And": {"Prefix": "static/", "Tags": [{"Key": "a", "Value": "b"}]}},
            },
            False,
        ),
        ({"Status": "Enabled", "Prefix": "static/"}, True),  # the old form, without Filter
    ],
)
def test_which_lifecycle_rules_reach_the_prefix(rule: dict[str, Any], covers: bool) -> None:
    assert rule_covers(rule, "static") is covers


def test_every_managed_cache_policy_is_in_the_table() -> None:
    # The ids AWS documents (Developer Guide, "Use managed cache policies").
    assert set(CACHE_POLICIES) >= {
        "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
        "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
        "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
        "2e54312d-136d-493c-8eb9-b001f22f67d2",
        "08627262-05a9-4f76-9ded-b50ca2e3a84f",
    }
    assert CACHE_POLICIES[CACHING_OPTIMIZED].max_ttl == 31536000
    assert CACHE_POLICIES[CACHING_DISABLED].max_ttl == 0


def test_legacy_settings_default_as_cloudfront_does() -> None:
    settings = cache_settings({"ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "all"}}}, {})
    assert not isinstance(settings, str) and settings is not None
    assert (settings.min_ttl, settings.default_ttl, settings.max_ttl) == (0, 86400, 31536000)
    assert settings.query_strings and settings.cookies


# --- whole set-ups: the good one, and what moto cannot build ---------------------------


def not_passed(setup: SetUp) -> dict[str, str]:
    return {f.check: f.status for f in run_checks(setup) if f.status != "pass"}


def test_the_good_set_up_passes_every_check() -> None:
    assert not_passed(good()) == {}


def _custom_cache_policy(min_ttl: int, max_ttl: int, **params: Any) -> dict[str, Any]:
    return {
        "Name": "my-policy",
        "MinTTL": min_ttl,
        "DefaultTTL": max(min_ttl, 86400),
        "MaxTTL": max_ttl,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True,  # required fields of the API
            "EnableAcceptEncodingBrotli": True,
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "HeadersConfig": {"HeaderBehavior": "none"},
            **params,
        },
    }


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (_custom_cache_policy(0, 31536000), {}),
        (
            _custom_cache_policy(3600, 31536000),
            {"caching.cache-policy": "fail"},
        ),  # holds max-age=300 for an hour
        (_custom_cache_policy(0, 86400), {"caching.cache-policy": "warn"}),  # immutable cut to a day
        (_custom_cache_policy(0, 0), {"caching.cache-policy": "fail"}),
        (
            _custom_cache_policy(0, 31536000, QueryStringsConfig={"QueryStringBehavior": "all"}),
            {"caching.cache-key": "warn"},
        ),
    ],
)
def test_a_custom_cache_policy_is_judged_by_its_ttls_and_key(
    policy: dict[str, Any], expected: dict[str, str]
) -> None:
    # moto models no cache policies: a custom one exists only here.
    setup = with_behavior(CachePolicyId=CUSTOM)
    assert not_passed(good(distribution=setup.distribution, cache_policies={CUSTOM: policy})) == expected


def test_a_longer_plain_max_age_from_the_release_raises_the_bar_for_min_ttl() -> None:
    records = {
        k: ObjectRecord(r.sha256, r.etag, r.size, r.content_type, "public, max-age=7200", plain=r.plain)
        for k, r in release_records().items()
    }
    setup = with_behavior(CachePolicyId=CUSTOM)
    published = Published("static/.cdnpub/releases/x", records)
    custom = {CUSTOM: _custom_cache_policy(3600, 31536000)}
    assert not_passed(good(distribution=setup.distribution, cache_policies=custom, published=published)) == {}


def test_a_custom_response_headers_policy_with_allowed_origins_is_cors() -> None:
    setup = with_behavior(ResponseHeadersPolicyId=CUSTOM)
    policy = {"CorsConfig": {"AccessControlAllowOrigins": {"Items": ["https://www.example.com"]}}}
    assert not_passed(good(distribution=setup.distribution, response_headers_policies={CUSTOM: policy})) == {}


def test_a_security_headers_policy_alone_is_no_cors() -> None:
    setup = with_behavior(ResponseHeadersPolicyId="67f7725c-6f97-4210-82d7-5512b31e9d03")
    assert not_passed(good(distribution=setup.distribution)) == {"cross-origin.cors": "fail"}


def test_a_release_of_images_alone_needs_no_cors() -> None:
    css = release_records()["static/css/app.css"]
    png = ObjectRecord(css.sha256, css.etag, 10, "image/png", css.cache_control, plain=True)
    setup = with_behavior(ResponseHeadersPolicyId="")
    assert not_passed(good(distribution=setup.distribution, published=Published("k", {"i.png": png}))) == {}


@pytest.mark.parametrize(
    ("content_types", "published", "says"),
    [
        # A CSS-and-images site: cdnpub's helpers load stylesheets with integrity + crossorigin.
        (("text/css; charset=utf-8", "image/png"), True, "the release holds stylesheets (fetched"),
        (("text/javascript; charset=utf-8",), True, "the release holds scripts ("),
        (("text/css", "font/woff2"), True, "the release holds stylesheets and fonts ("),
        ((), False, "nothing is published yet (stylesheets, scripts and fonts"),
    ],
)
def test_what_cdnpubs_helpers_fetch_with_crossorigin_needs_cors(
    content_types: tuple[str, ...], published: bool, says: str
) -> None:
    css = release_records()["static/css/app.css"]
    records = {
        f"k{i}": ObjectRecord(css.sha256, css.etag, 10, t, css.cache_control, plain=True)
        for i, t in enumerate(content_types)
    }
    release = Published("k", records) if published else Published()
    setup = with_behavior(ResponseHeadersPolicyId="")
    found = {f.check: f for f in run_checks(good(distribution=setup.distribution, published=release))}
    assert found["cross-origin.cors"].status == "fail"
    assert says in found["cross-origin.cors"].why


def test_s3_cors_with_origin_in_the_cache_key_passes() -> None:
    # UseOriginCacheControlHeaders keys on Origin (and on cookies: a cache-key warning).
    setup = with_behavior(
        ResponseHeadersPolicyId="",
        OriginRequestPolicyId="88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
        CachePolicyId="83da9c7e-98b4-4e11-a168-04f0df8e2c65",
    )
    cors = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]
    assert not_passed(good(distribution=setup.distribution, cors=cors)) == {"caching.cache-key": "warn"}


def test_a_refused_read_names_the_iam_action() -> None:
    findings = run_checks(good(denied={"lifecycle": "s3:GetLifecycleConfiguration"}))
    lifecycle = next(f for f in findings if f.check == "storage.lifecycle")
    assert lifecycle.status == "warn" and "s3:GetLifecycleConfiguration" in lifecycle.why


def test_no_distribution_is_one_warning_and_the_bucket_is_still_checked() -> None:
    findings = run_checks(good(distribution=None))
    assert {f.check: f.status for f in findings if f.status != "pass"} == {"origin.distribution": "warn"}
    assert {f.group for f in findings} == {"origin", "access", "storage", "published"}


def test_a_sample_with_other_headers_fails() -> None:
    css = release_records()["static/css/app.css"]
    sample = Sample("static/css/app.css", css, head(css, ContentType="binary/octet-stream"))
    published = Published("k", release_records(), samples=(sample,))
    assert not_passed(good(published=published)) == {"published.sample": "fail"}


def test_under_sse_kms_a_sample_is_not_compared_by_etag() -> None:
    css = release_records()["static/css/app.css"]
    answer = head(css, ETag='"' + "f" * 32 + '"', ServerSideEncryption="aws:kms")
    published = Published("k", release_records(), samples=(Sample("static/css/app.css", css, answer),))
    kms = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
    assert not_passed(good(published=published, encryption=kms)) == {"storage.encryption": "warn"}


def test_several_distributions_for_the_bucket_ask_for_one() -> None:
    note = "2 distributions have s3://my-assets as origin (E1, E2): none was checked"
    findings = run_checks(good(distribution=None, distribution_note=note))
    found = next(f for f in findings if f.check == "origin.distribution")
    assert (found.status, found.why) == ("warn", note)
    assert "--distribution-id" in found.fix


@pytest.mark.parametrize(
    ("storage_class", "status"),
    [("GLACIER", "fail"), ("DEEP_ARCHIVE", "fail"), ("STANDARD_IA", "warn"), ("GLACIER_IR", "warn"),
     ("INTELLIGENT_TIERING", None)],
)  # fmt: skip
def test_a_transition_under_the_prefix_is_judged_by_its_storage_class(
    storage_class: str, status: str | None
) -> None:
    rule = {
        "ID": "r",
        "Status": "Enabled",
        "Filter": {},
        "Transitions": [{"Days": 30, "StorageClass": storage_class}],
    }
    assert not_passed(good(lifecycle=[rule])).get("storage.lifecycle") == status


def test_a_refused_custom_response_headers_policy_names_the_iam_action() -> None:
    setup = with_behavior(ResponseHeadersPolicyId=CUSTOM)
    denied = {f"response_headers_policy:{CUSTOM}": "cloudfront:GetResponseHeadersPolicy"}
    findings = run_checks(good(distribution=setup.distribution, denied=denied))
    cors = next(f for f in findings if f.check == "cross-origin.cors")
    assert cors.status == "warn" and "cloudfront:GetResponseHeadersPolicy" in cors.why


def test_a_custom_cache_policy_cloudfront_failed_to_answer_is_a_warning_quoting_the_answer() -> None:
    setup = with_behavior(CachePolicyId=CUSTOM)
    unreadable = {f"cache_policy:{CUSTOM}": "500 Internal Server Error"}
    findings = run_checks(good(distribution=setup.distribution, unreadable=unreadable))
    policy = next(f for f in findings if f.check == "caching.cache-policy")
    assert policy.status == "warn" and "CloudFront answered 500 Internal Server Error" in policy.why


def test_a_custom_response_headers_policy_cloudfront_failed_to_answer_is_a_warning() -> None:
    setup = with_behavior(ResponseHeadersPolicyId=CUSTOM)
    unreadable = {f"response_headers_policy:{CUSTOM}": "503 Service Unavailable"}
    findings = run_checks(good(distribution=setup.distribution, unreadable=unreadable))
    cors = next(f for f in findings if f.check == "cross-origin.cors")
    assert cors.status == "warn" and "503 Service Unavailable" in cors.why


def test_a_sample_read_whole_is_compared_by_its_sha256_whatever_the_etag() -> None:
    # Same size, same headers, an ETag that is no MD5 (SSE-KMS): only the bytes tell.
    css = release_records()["static/css/app.css"]
    answer = head(css, ETag='"' + "f" * 32 + '"', ServerSideEncryption="aws:kms", sha256="9" * 64)
    published = Published("k", release_records(), samples=(Sample("static/css/app.css", css, answer),))
    assert not_passed(good(published=published)) == {"published.sample": "fail"}


def test_the_registry_has_each_check_id_once_grouped_in_the_reports_order() -> None:
    ids = [check_id for check_id, _ in CHECKS]
    assert len(ids) == len(set(ids)) == 23  # 21, and app.cdn-domain and app.manifest (issue 21)
    order = list(Group)
    groups = [order.index(group_of(check_id)) for check_id in ids]
    assert groups == sorted(groups)


def test_statuses_and_groups_are_their_json_strings() -> None:
    assert [s.value for s in Status] == ["pass", "warn", "fail"]
    assert f"{Status.WARN:4}|{Group.CROSS_ORIGIN}" == "warn|cross-origin"


_UNCOMPRESSED = "b2884449-e4de-46a7-ac36-70bc7f1ddd6d"  # CachingOptimizedForUncompressedObjects


def _encodings(gzip: bool, brotli: bool) -> dict[str, Any]:
    policy = _custom_cache_policy(0, 31536000)
    params = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    params.update(EnableAcceptEncodingGzip=gzip, EnableAcceptEncodingBrotli=brotli)
    return policy


@pytest.mark.parametrize(
    ("behavior", "custom", "status", "says"),
    [
        ({}, None, "pass", "gzip and Brotli"),
        ({"CachePolicyId": _UNCOMPRESSED}, None, "warn", "Gzip and Brotli off"),
        ({"Compress": False}, None, "warn", "does not compress"),
        ({"CachePolicyId": CUSTOM}, _encodings(False, False), "warn", "Gzip and Brotli off"),
        ({"CachePolicyId": CUSTOM}, _encodings(True, False), "pass", "(gzip, my-policy)"),
        ({"CachePolicyId": CUSTOM}, _encodings(False, True), "pass", "(Brotli, my-policy)"),
    ],
)
def test_compression_is_what_the_flag_and_the_cache_policy_let_cloudfront_do(
    behavior: dict[str, Any], custom: dict[str, Any] | None, status: str, says: str
) -> None:
    setup = with_behavior(**behavior)
    setup = good(distribution=setup.distribution, cache_policies={CUSTOM: custom} if custom else {})
    found = {f.check: f for f in run_checks(setup)}
    assert (found["caching.compress"].status, says in found["caching.compress"].why) == (status, True)


def test_under_caching_disabled_compression_is_not_claimed() -> None:
    # CachingDisabled caches no encoding: CloudFront compresses nothing. caching.cache-policy
    # fails it, and its fix compresses too; compression is not said to be on.
    found = {f.check: f for f in run_checks(with_behavior(CachePolicyId=CACHING_DISABLED))}
    assert found["caching.cache-policy"].status == "fail"
    assert "caching.compress" not in found


def test_without_cached_encodings_the_cache_key_is_the_path_alone() -> None:
    found = {f.check: f for f in run_checks(with_behavior(CachePolicyId=_UNCOMPRESSED))}
    assert found["caching.cache-key"].why == "the cache key is the path"
    assert "Accept-Encoding" in {f.check: f for f in run_checks(good())}["caching.cache-key"].why


def _group(primary: str, secondary: str) -> SetUp:
    """The default behavior sends to a failover origin group (CloudFront's OriginGroups)."""
    setup = with_behavior(TargetOriginId="failover")
    assert setup.distribution is not None
    config = dict(setup.distribution["DistributionConfig"])
    backup = {"Id": "backup", "DomainName": "my-assets-replica.s3.us-west-2.amazonaws.com", "OriginPath": ""}
    config["Origins"] = {"Items": [*config["Origins"]["Items"], backup]}
    config["OriginGroups"] = {
        "Quantity": 1,
        "Items": [
            {
                "Id": "failover",
                "FailoverCriteria": {"StatusCodes": {"Quantity": 2, "Items": [500, 503]}},
                "Members": {"Quantity": 2, "Items": [{"OriginId": primary}, {"OriginId": secondary}]},
            }
        ],
    }
    return good(distribution={**setup.distribution, "DistributionConfig": config})


@pytest.mark.parametrize(
    ("primary", "secondary", "expected"),
    [
        # moto 5 refuses OriginGroups (NoSuchOrigin at CreateDistribution): pinned here only.
        ("assets", "backup", {}),  # followed to its primary: every check is made
        ("backup", "assets", {"origin.behavior": "fail"}),  # the replica answers first
    ],
)
def test_a_failover_origin_group_is_followed_to_its_primary(
    primary: str, secondary: str, expected: dict[str, str]
) -> None:
    setup = _group(primary, secondary)
    assert not_passed(setup) == expected
    checks = {f.check for f in run_checks(setup)}
    assert ({"caching.cache-policy", "cross-origin.cors"} <= checks) is (not expected)


def test_a_fix_line_under_flask_names_flask_cdn_publish_not_one_folders_publish() -> None:
    from cdnpub.doctor.checks.bucket import publish_command
    from cdnpub.doctor.model import App

    flask_face = good(app=App(manifest="m.json", publish="flask cdn publish"))
    assert publish_command(flask_face, "--verify") == "flask cdn publish --verify"
    assert publish_command(good()).startswith("cdnpub publish STATIC_DIR s3://")
