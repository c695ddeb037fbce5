"""cdnpub.aws.clients: one reading of botocore's error codes for every AWS call site."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from cdnpub.aws.clients import ACCESS_DENIED, NOT_FOUND, error_code


def _client_error(error: dict[str, Any] | None, status: int | None) -> ClientError:
    response: dict[str, Any] = {}
    if error is not None:
        response["Error"] = error
    if status is not None:
        response["ResponseMetadata"] = {"HTTPStatusCode": status}
    return ClientError(response, "HeadObject")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("err", "code"),
    [
        (_client_error({"Code": "NoSuchKey", "Message": "gone"}, 404), "NoSuchKey"),
        (_client_error({"Code": "AccessDenied"}, 403), "AccessDenied"),
        (_client_error({"Code": "403", "Message": "Forbidden"}, 403), "403"),  # a HEAD: no body
        (_client_error({"Code": ""}, 503), "503"),  # no code: the status says what happened
        (_client_error(None, 500), "500"),
        (_client_error({}, None), ""),
        (_client_error(None, 0), ""),
        (NoCredentialsError(), ""),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), ""),
        (ValueError("not AWS"), ""),
    ],
)
def test_error_code_is_the_code_else_the_status_else_empty(err: BaseException, code: str) -> None:
    assert error_code(err) == code


@pytest.mark.parametrize(
    "code", ["AccessDenied", "AccessDeniedException", "AllAccessDisabled", "403", "Forbidden"]
)
def test_every_refusal_s3_and_cloudfront_send_is_access_denied(code: str) -> None:
    assert code in ACCESS_DENIED


@pytest.mark.parametrize("code", ["NoSuchBucket", "NoSuchDistribution", "InvalidAccessKeyId", "404", ""])
def test_what_is_not_a_refusal(code: str) -> None:
    assert code not in ACCESS_DENIED


def test_a_missing_object_and_a_refusal_never_overlap() -> None:
    assert {"NoSuchKey", "NotFound", "404"} == NOT_FOUND
    assert not NOT_FOUND & ACCESS_DENIED
