"""A bucket policy read as AWS reads it, for `cdnpub doctor`: does an explicit Deny stop
CloudFront's reads, and is an Allow "public" in S3 Block Public Access's sense.

Standards followed (AWS documentation, not an emulator's behaviour):
- IAM "Policy evaluation logic": an explicit Deny that applies to a request wins over
  every Allow. A statement applies when its principal, action, resource and every
  condition match the request.
- IAM "Condition operators": a condition on a key the request does not carry is false,
  except for the negated operators (String/Arn/NotEquals, NotLike, NotIpAddress) and the
  ...IfExists forms, which are true; `Null` tests presence.
- S3 "The meaning of public" (Block Public Access): an Allow to `*` is not public when
  it is limited to fixed values (no wildcard, no policy variable) of aws:SourceIp,
  aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
  aws:PrincipalOrgID, aws:userid, s3:x-amz-server-side-encryption-aws-kms-key-id,
  s3:DataAccessPointArn or s3:DataAccessPointAccount.

What doctor cannot know from here (the IP or VPC endpoint CloudFront's request comes
from, who a NotPrincipal leaves out) is UNKNOWN, never a guess: the check warns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Match(str, Enum):
    """Three-valued: whether a statement (or a condition) applies to a request."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


CLOUDFRONT = "cloudfront.amazonaws.com"


@dataclass(frozen=True, slots=True)
class Request:
    """The request being judged: CloudFront's signed (OAC) read of one object.

    `context` holds the condition keys (lower-case) whose value is known; a key in
    `absent` is known not to be in the request; any other key is UNKNOWN."""

    action: str  # e.g. "s3:GetObject"
    resource: str  # the object's ARN
    service: str = CLOUDFRONT  # the service principal making it
    context: Mapping[str, str] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", {k.lower(): v for k, v in self.context.items()})


def cloudfront_read(bucket: str, key: str, distribution_arn: str, https: bool | None) -> Request:
    """CloudFront's read of s3://bucket/key through Origin Access Control for the
    distribution `distribution_arn`. `https`: whether the viewer's protocol (which an S3
    origin's requests follow) is always HTTPS; None when unknown."""
    account = distribution_arn.split(":")[4] if distribution_arn.count(":") >= 5 else ""
    context = {
        "aws:SourceArn": distribution_arn,
        "aws:PrincipalServiceName": CLOUDFRONT,
        "aws:PrincipalIsAWSService": "true",
        "s3:signatureversion": "AWS4-HMAC-SHA256",
    }
    if account:
        context["aws:SourceAccount"] = account
    if https is not None:
        context["aws:SecureTransport"] = "true" if https else "false"
    return Request("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", context=context)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def statements(policy: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not policy:
        return []
    return [s for s in as_list(policy.get("Statement")) if isinstance(s, Mapping)]


def name(statement: Mapping[str, Any], index: int) -> str:
    """How the report names a statement: its Sid, else its place ("#2", from 1)."""
    return str(statement.get("Sid") or f"#{index + 1}")


def wild(pattern: str, value: str, fold: bool = False) -> bool:
    """IAM's `*` and `?` wildcards (actions case-insensitive, resources not)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.S | (re.I if fold else 0)) is not None


def _principal(statement: Mapping[str, Any], request: Request) -> Match:
    if "NotPrincipal" in statement:
        return Match.UNKNOWN  # who it leaves out is judged by a person, not guessed
    principal = statement.get("Principal")
    if principal == "*":
        return Match.YES
    if not isinstance(principal, Mapping):
        return Match.NO
    if "*" in [str(p) for p in as_list(principal.get("AWS"))]:
        return Match.YES  # {"AWS": "*"} is everyone, as "*" is
    return Match.YES if request.service in [str(s) for s in as_list(principal.get("Service"))] else Match.NO


def _listed(statement: Mapping[str, Any], field: str, value: str, fold: bool) -> bool:
    """Whether `value` is matched by the statement's `field` (or left out by its Not-field)."""
    if f"Not{field}" in statement:
        return not any(wild(str(p), value, fold) for p in as_list(statement[f"Not{field}"]))
    return any(wild(str(p), value, fold) for p in as_list(statement.get(field)))


def _normal(arn: str) -> str:
    return re.sub(r"^arn:aws-[a-z-]+:", "arn:aws:", arn)


_NEGATED = re.compile(r"^(String|Arn)Not|^NotIpAddress$", re.I)


def _one(operator: str, key: str, values: list[str], request: Request) -> Match:
    """One operator-key pair of a Condition block, against the request."""
    op = operator.split(":")[-1]  # ForAnyValue:/ForAllValues: on a single-valued key: as is
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    lower = key.lower()
    if op == "Null":
        if lower in request.context or lower in request.absent:
            present = lower in request.context
            return Match.YES if (str(values[0]).lower() == "true") != present else Match.NO
        return Match.UNKNOWN
    if lower not in request.context:
        if lower in request.absent:
            return Match.YES if if_exists or _NEGATED.search(op) else Match.NO
        return Match.UNKNOWN
    actual = request.context[lower]
    negated = bool(_NEGATED.search(op))
    if op.startswith("Bool") or "IgnoreCase" in op:
        hit = any(v.lower() == actual.lower() for v in values)
    elif "Like" in op or op.startswith("Arn"):
        hit = any(wild(v, actual) for v in values)
    elif "Equals" in op and (op.startswith("String") or op.startswith("Numeric")):
        hit = actual in values
    else:
        return Match.UNKNOWN  # IP, date, numeric ranges: not about a known value here
    return Match.YES if hit != negated else Match.NO


def conditions(statement: Mapping[str, Any], request: Request) -> tuple[Match, list[str]]:
    """Every condition of the statement (they AND together), and the keys that could not
    be judged."""
    result, unknown = Match.YES, []
    for operator, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, Mapping):
            return Match.UNKNOWN, [str(operator)]
        for key, value in block.items():
            one = _one(str(operator), str(key), [str(v) for v in as_list(value)], request)
            if one is Match.NO:
                return Match.NO, []
            if one is Match.UNKNOWN:
                result = Match.UNKNOWN
                unknown.append(str(key))
    return result, unknown


def applies(statement: Mapping[str, Any], request: Request) -> tuple[Match, list[str]]:
    """Whether the statement applies to the request, and what could not be judged (the
    condition keys, or "NotPrincipal")."""
    if not _listed(statement, "Action", request.action, fold=True):
        return Match.NO, []
    arns = {k: [_normal(str(r)) for r in as_list(v)] for k, v in statement.items() if k.endswith("Resource")}
    if not _listed(arns, "Resource", _normal(request.resource), fold=False):
        return Match.NO, []
    principal = _principal(statement, request)
    if principal is Match.NO:
        return Match.NO, []
    condition, keys = conditions(statement, request)
    if condition is Match.NO:
        return Match.NO, []
    if principal is Match.UNKNOWN:
        return Match.UNKNOWN, ["NotPrincipal", *keys]
    return condition, keys


@dataclass(frozen=True, slots=True)
class Denial:
    """A Deny statement that applies (YES) or may apply (UNKNOWN) to the request."""

    statement: str  # its Sid or "#n"
    match: Match
    unknown: tuple[str, ...] = ()  # what could not be judged


def denials(policy: Mapping[str, Any] | None, request: Request) -> list[Denial]:
    """The Deny statements that apply or may apply, those that surely apply first."""
    found = []
    for index, s in enumerate(statements(policy)):
        if s.get("Effect") != "Deny":
            continue
        match, keys = applies(s, request)
        if match is not Match.NO:
            found.append(Denial(name(s, index), match, tuple(keys)))
    return sorted(found, key=lambda d: d.match is not Match.YES)


# S3 Block Public Access: condition keys whose fixed value makes an Allow to * not public.
LIMITING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceIp",
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "aws:PrincipalOrgID",
        "aws:userid",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
    )
)

_OPEN_RANGES = {"0.0.0.0/0", "::/0"}


def _fixed(operator: str, key: str, values: Sequence[str]) -> bool:
    """A condition that pins `key` to fixed values: a positive operator (not Not..., not
    ...IfExists, which lets requests without the key through), no wildcard or policy
    variable, and for aws:SourceIp no range that is the whole Internet."""
    op = operator.split(":")[-1]
    if _NEGATED.search(op) or op.endswith("IfExists") or op == "Null" or not values:
        return False
    if any("*" in v or "?" in v or "${" in v for v in values):
        return False
    if key.lower() == "aws:sourceip":
        return op == "IpAddress" and not _OPEN_RANGES & set(values)
    if key.lower() == "aws:userid":
        return not any(re.fullmatch(r"AROA[A-Z0-9]+:.*", v) for v in values)
    return True


def limited(statement: Mapping[str, Any]) -> bool:
    """Whether the statement's conditions pin one of the LIMITING_KEYS to fixed values."""
    for operator, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            values = [str(v) for v in as_list(value)]
            if str(key).lower() in LIMITING_KEYS and _fixed(str(operator), str(key), values):
                return True
    return False


def public_statements(policy: Mapping[str, Any] | None) -> list[tuple[str, Mapping[str, Any]]]:
    """The Allow statements S3 Block Public Access calls public: to everyone (`*`,
    {"AWS": "*"}) and not limited to fixed values of a LIMITING_KEYS key. By name."""
    found = []
    for index, s in enumerate(statements(policy)):
        principal = s.get("Principal")
        public = principal == "*" or (
            isinstance(principal, Mapping) and "*" in [str(p) for p in as_list(principal.get("AWS"))]
        )
        if s.get("Effect") == "Allow" and public and not limited(s):
            found.append((name(s, index), s))
    return found
