"""Why a request is retried, as the retry line says it (cdnpub/aws/retries.py)."""

from __future__ import annotations

from types import SimpleNamespace

import botocore.exceptions

from cdnpub.aws.retries import _reason


def test_the_reason_is_the_error_code_the_status_or_the_exception() -> None:
    answer = SimpleNamespace(status_code=503)
    assert _reason((answer, {"Error": {"Code": "SlowDown"}}), None) == "SlowDown"
    assert _reason((answer, {}), None) == "HTTP 503"
    dropped = botocore.exceptions.ConnectionClosedError(endpoint_url="http://127.0.0.1:9")
    assert _reason(None, dropped) == "ConnectionClosedError"
    assert _reason(None, None) == ""
