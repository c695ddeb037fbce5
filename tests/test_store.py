"""store.py turns botocore's errors into cdnpub's, once, naming the bucket or key."""

from __future__ import annotations

import boto3.exceptions
import botocore.exceptions
import pytest

from cdnpub.errors import CdnpubError, RemoteError, UserError
from cdnpub.store import s3_errors


def client_error(code: str, status: int) -> botocore.exceptions.ClientError:
    response = {"Error": {"Code": code, "Message": "msg"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return botocore.exceptions.ClientError(response, "PutObject")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "status", "kind", "words"),
    [
        ("AccessDenied", 403, UserError, "access denied to s3://b/k"),
        ("403", 403, UserError, "access denied"),
        ("NoSuchBucket", 404, UserError, "bucket b does not exist"),
        ("PermanentRedirect", 301, UserError, "another region"),
        ("RequestTimeTooSkewed", 403, UserError, "clock"),
        ("SomethingElse", 403, RemoteError, "SomethingElse msg"),
        ("InternalError", 500, RemoteError, "InternalError msg"),
    ],
)
def test_client_errors_become_one_line_cdnpub_errors(
    code: str, status: int, kind: type[CdnpubError], words: str
) -> None:
    with pytest.raises(kind, match=words), s3_errors("b", "k"):
        raise client_error(code, status)


def test_a_failed_multipart_upload_is_mapped_by_what_it_wraps() -> None:
    with pytest.raises(UserError, match="access denied to s3://b/k"), s3_errors("b", "k"):
        try:
            raise client_error("AccessDenied", 403)
        except botocore.exceptions.ClientError as err:
            raise boto3.exceptions.S3UploadFailedError("Failed to upload") from err


def test_no_credentials_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no AWS credentials found"), s3_errors("b"):
        raise botocore.exceptions.NoCredentialsError()


def test_unreachable_endpoint_is_a_remote_error() -> None:
    with pytest.raises(RemoteError, match="cannot reach the S3 endpoint"), s3_errors("b"):
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
