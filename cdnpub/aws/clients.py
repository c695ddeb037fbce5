"""AWS clients and sessions: one place that turns a Connection (region, profile,
endpoint, optional static credentials) into a boto3 client with cdnpub's retry mode and
timestamp parser; and the one reading of AWS's error answers (`error_code`,
`error_message`, the ACCESS_DENIED and NOT_FOUND code sets) that every caller uses."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cdnpub.errors import UserError
from cdnpub.urls import endpoint_problem, shown_endpoint

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_s3 import S3Client


# Parts one multipart upload sends at once (s3transfer's max_concurrency).
PART_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class Connection:
    """How to reach the store: the three things a user sets, and static credentials for
    a target that brings its own (the emulator of `--local`: any key does there).

    With `access_key` and `secret_key` set, they are the credentials and nothing of the
    machine's is read: no AWS_PROFILE (a real account's profile, maybe not even on this
    machine, would be botocore's ProfileNotFound), no AWS_SESSION_TOKEN, no config file's
    profile. Without them, boto3's usual chain (variables, profile, role) applies.
    """

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)


# botocore's session variable `profile`, read from no variable and no config file.
_NO_PROFILE = {"profile": (None, None, None, None)}


def aws_client(service: str, conn: Connection, config: Config, region: str | None = None) -> Any:
    """A client on a session of our own (boto3's default one caches credentials across
    calls). What fails here is the user's set-up (a bad endpoint URL, region, profile,
    config file or half-set credentials), before any request: a UserError."""
    import boto3
    import botocore.exceptions
    import botocore.session

    try:
        static = conn.access_key is not None and conn.secret_key is not None
        # With static credentials the profile variables are not read at all (see Connection).
        core = botocore.session.Session(session_vars=_NO_PROFILE if static else None)
        core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=timestamp)
        session = boto3.Session(
            aws_access_key_id=conn.access_key if static else None,
            aws_secret_access_key=conn.secret_key if static else None,
            profile_name=None if static else conn.profile,
            region_name=conn.region,
            botocore_session=core,
        )
        return session.client(
            service,  # type: ignore[call-overload]
            region_name=region or conn.region,
            endpoint_url=conn.endpoint_url,
            config=config,
        )
    except botocore.exceptions.PartialCredentialsError as err:
        raise UserError(f"incomplete AWS credentials: {err}") from None
    except botocore.exceptions.BotoCoreError as err:
        raise UserError(f"cannot set up the {service} client: {err}") from None
    except ValueError:  # botocore's "Invalid endpoint: <the URL, password and all>"
        url = conn.endpoint_url or ""
        problem = endpoint_problem(url) or f"Invalid endpoint {shown_endpoint(url)!r}"
        raise UserError(f"{problem} (--endpoint-url takes a URL such as http://127.0.0.1:4566)") from None


def timestamp(value: Any) -> datetime:
    """A timestamp of a response. botocore reads them with dateutil, three quarters of
    the CPU time of reading a 1,000-key listing page (48 ms a page against 11); S3 writes
    ISO 8601 there ("2026-11-30T18:00:00.000Z"), which the standard library reads. Other
    forms (HTTP dates in headers, epoch seconds) go to botocore's own parser."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        from botocore.utils import parse_timestamp

        return parse_timestamp(value)
    return parsed


def retries() -> Any:
    """botocore's standard mode: backoff with jitter on throttling, 5xx and dropped
    connections; AWS_MAX_ATTEMPTS (the variable botocore documents) sets the attempts,
    the first one included, as botocore reads it (1: no retry)."""
    value = os.environ.get("AWS_MAX_ATTEMPTS", "5")
    try:
        attempts = int(value)
    except ValueError:
        attempts = 0
    if attempts < 1:
        raise UserError(f"AWS_MAX_ATTEMPTS={value!r}: must be a whole number of at least 1")
    return {"mode": "standard", "total_max_attempts": attempts}


def s3_client(conn: Connection, jobs: int) -> S3Client:
    """One client shared by every worker thread (clients are thread-safe), with
    botocore's standard retry mode (backoff with jitter, retries on throttling, 5xx and
    dropped connections) and a pool that keeps a connection for every request that can
    be in flight: `jobs` workers (uploads, listing ranges), each multipart upload
    PART_CONCURRENCY parts at once. botocore opens a connection past its pool all the
    same, then drops it after one request ("Connection pool is full"): against S3 a new
    TLS handshake per request."""
    from botocore.config import Config

    config = Config(
        retries=retries(),
        max_pool_connections=jobs * PART_CONCURRENCY,
        connect_timeout=10,
        read_timeout=60,
    )
    client: S3Client = aws_client("s3", conn, config)
    return client


def error_code(err: BaseException) -> str:
    """What AWS called the failure: a ClientError's Error.Code ("NoSuchKey",
    "AccessDenied"), else its HTTP status as a string ("403": a HEAD's answer has no
    body to name it), else "" (not an AWS answer: no connection, no credentials...)."""
    import botocore.exceptions  # loaded already wherever an AWS call failed

    if not isinstance(err, botocore.exceptions.ClientError):
        return ""
    response: Mapping[str, Any] = err.response
    code = (response.get("Error") or {}).get("Code")
    if code:
        return str(code)
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return str(status) if status else ""


def error_message(err: BaseException, default: str | None = None) -> str:
    """AWS's own words for the failure (a ClientError's Error.Message), else `default`
    (str(err) when None)."""
    import botocore.exceptions

    if isinstance(err, botocore.exceptions.ClientError):
        message = (err.response.get("Error") or {}).get("Message")
        if message:
            return str(message)
    return str(err) if default is None else default


# The codes that mean "the credentials may not do this": S3's and CloudFront's names,
# and the bare status of an answer without a body (a HEAD's).
ACCESS_DENIED: frozenset[str] = frozenset(
    {"AccessDenied", "AccessDeniedException", "AllAccessDisabled", "403", "Forbidden"}
)


# The codes that mean "no such object": GetObject's, and HeadObject's bare status.
NOT_FOUND: frozenset[str] = frozenset({"NoSuchKey", "NotFound", "404"})
