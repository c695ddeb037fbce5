"""Bucket policies judged as AWS judges them (doctor/policy.py): IAM's policy evaluation
logic (an explicit Deny that applies wins; a condition on a key the request lacks is
false, except for negated and ...IfExists operators) and S3 Block Public Access's
definition of "public". Each row is a statement added to a working set-up and the
verdict doctor must give, by check id."""

from __future__ import annotations

from typing import Any

import pytest

from cdnpub.doctor.checks import run_checks
from cdnpub.doctor.policy import Match, applies, cloudfront_read, public_statements
from tests.support.doctor import ARN, OAC_STATEMENT, good, policy_of

GET = "s3:GetObject"
OBJECTS = "arn:aws:s3:::my-assets/*"


def _deny(**fields: Any) -> dict[str, Any]:
    return {"Sid": "Guard", "Effect": "Deny", "Principal": "*", "Action": GET, "Resource": OBJECTS, **fields}


DENY_ROWS = [
    # A Deny of reads unless from an IP range (middleman-s3_sync#122): CloudFront's IPs are
    # not known here -> warn, naming the statement.
    (_deny(Condition={"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}), "warn"),
    (_deny(Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}), "warn"),
    (_deny(Principal=None, NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"}), "warn"),
    # Deny outside the organization: whether a service principal carries the org id is not
    # judged here -> warn (AWS advises an aws:PrincipalIsAWSService exemption).
    (_deny(Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}), "warn"),
    (_deny(Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
                      "Bool": {"aws:PrincipalIsAWSService": "false"}}), "pass"),
    # A Deny naming CloudFront's service principal, or everyone, with nothing to exempt it.
    (_deny(Principal={"Service": "cloudfront.amazonaws.com"}), "fail"),
    (_deny(), "fail"),
    (_deny(Action="s3:*"), "fail"),
    (_deny(Action="s3:Get*", Resource="arn:aws:s3:::my-assets/static/*"), "fail"),
    (_deny(NotAction="s3:PutObject", Action=None), "fail"),
    # Deny every other distribution: CloudFront's own ARN is exempt.
    (_deny(Condition={"StringNotEquals": {"AWS:SourceArn": ARN}}), "pass"),
    (_deny(Condition={"StringNotEquals": {"aws:SourceAccount": "111122223333"}}), "pass"),
    (_deny(Condition={"StringNotEquals": {"aws:SourceAccount": "999999999999"}}), "fail"),
    # Best-practice denies that do not touch CloudFront's reads.
    (_deny(Action="s3:PutObject", Condition={"Null": {"s3:x-amz-server-side-encryption": "true"}}), "pass"),
    (_deny(Action="s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}), "pass"),
    (_deny(Resource="arn:aws:s3:::my-assets/private/*"), "pass"),
    (_deny(Resource="arn:aws:s3:::other-bucket/*"), "pass"),
    (_deny(Principal={"AWS": "arn:aws:iam::111122223333:user/intern"}), "pass"),
    (_deny(Action="s3:DeleteObject"), "pass"),
    (_deny(Condition={"Bool": {"aws:PrincipalIsAWSService": "false"}}), "pass"),
    # A condition on a key CloudFront's request lacks: a negated operator is true.
    (_deny(Condition={"StringNotEqualsIfExists": {"aws:SourceArn": "arn:aws:cloudfront::1:distribution/X"}}), "fail"),
]  # fmt: skip


@pytest.mark.parametrize(("statement", "status"), DENY_ROWS)
def test_an_explicit_deny_wins_over_the_distributions_allow(statement: dict[str, Any], status: str) -> None:
    statement = {k: v for k, v in statement.items() if v is not None}
    findings = {f.check: f for f in run_checks(good(bucket_policy=policy_of(OAC_STATEMENT, statement)))}
    finding = findings["access.bucket-policy"]
    assert finding.status == status
    if status != "pass":
        assert "statement Guard" in finding.why


def test_a_deny_without_sid_is_named_by_its_place() -> None:
    deny = {k: v for k, v in _deny().items() if k != "Sid"}
    findings = {f.check: f for f in run_checks(good(bucket_policy=policy_of(OAC_STATEMENT, deny)))}
    assert findings["access.bucket-policy"].status == "fail"
    assert "statement #2 " in findings["access.bucket-policy"].why


def test_secure_transport_is_unknown_when_viewers_may_use_http() -> None:
    request = cloudfront_read("my-assets", "static/css/app.css", ARN, https=None)
    statement = _deny(Condition={"Bool": {"aws:SecureTransport": "false"}})
    assert applies(statement, request) == (Match.UNKNOWN, ["aws:SecureTransport"])


def _allow_all(**condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "Open",
        "Effect": "Allow",
        "Principal": "*",
        "Action": GET,
        "Resource": OBJECTS,
    }
    return {**statement, "Condition": condition} if condition else statement


PUBLIC_ROWS = [
    (_allow_all(), True),
    ({**_allow_all(), "Principal": {"AWS": "*"}}, True),
    (_allow_all(StringEquals={"aws:PrincipalOrgID": "o-a1b2c3d4e5"}), False),
    (_allow_all(ArnEquals={"aws:SourceArn": ARN}), False),
    (_allow_all(StringEquals={"aws:SourceAccount": "111122223333"}), False),
    (_allow_all(StringEquals={"aws:SourceVpce": "vpce-1a2b3c4d"}), False),
    (_allow_all(StringEquals={"aws:SourceVpc": "vpc-111bbb22"}), False),
    (_allow_all(IpAddress={"aws:SourceIp": "203.0.113.0/24"}), False),
    # Not fixed values: still public.
    (_allow_all(IpAddress={"aws:SourceIp": "0.0.0.0/0"}), True),
    (_allow_all(StringLike={"aws:PrincipalOrgID": "o-*"}), True),
    (_allow_all(StringNotEquals={"aws:SourceVpce": "vpce-1a2b3c4d"}), True),
    (_allow_all(StringEqualsIfExists={"aws:SourceVpce": "vpce-1a2b3c4d"}), True),
    (_allow_all(StringEquals={"aws:Referer": "https://app.example.com/"}), True),  # not a limiting key
    (_allow_all(Bool={"aws:SecureTransport": "true"}), True),
    ({**_allow_all(), "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}, False),
    ({**_allow_all(), "Effect": "Deny"}, False),
]  # fmt: skip


@pytest.mark.parametrize(("statement", "public"), PUBLIC_ROWS)
def test_public_is_block_public_accesss_definition(statement: dict[str, Any], public: bool) -> None:
    assert bool(public_statements(policy_of(statement))) is public
    findings = {f.check: f for f in run_checks(good(bucket_policy=policy_of(OAC_STATEMENT, statement)))}
    assert findings["access.public-policy"].status == ("fail" if public else "pass")
    if public:
        assert "statement Open" in findings["access.public-policy"].why
