"""Retries made visible: botocore retries throttling (SlowDown), 5xx answers and dropped
connections on its own, silently, so a publish that crawls through a throttled bucket
looks hung. One line per retry says which request, which attempt, and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from cdnpub.text import printable

_REASON = "cdnpub.retry-reason"  # in botocore's per-request context: why the last attempt failed


def watch_retries(client: Any, say: Callable[[str], None]) -> None:
    """Call `say` with `retrying PutObject /static/a.css (retry 1 of 5): SlowDown` before
    each attempt after the first of any request of `client` (s3transfer's parts too:
    they go through the same client). Retries are counted as the client's `max_attempts`
    counts them (botocore keeps the first attempt apart: `total_max_attempts` is one more)."""
    service = client.meta.service_model.service_id.hyphenize()
    config = client.meta.config.retries or {}
    total = config.get("total_max_attempts")
    most = total - 1 if total else config.get("max_attempts")

    def observe(
        request_dict: dict[str, Any], response: Any = None, caught_exception: Any = None, **_: Any
    ) -> None:
        # needs-retry is emitted after every answer; botocore's own handler decides, this
        # one only notes why, for the attempt that follows if there is one.
        request_dict["context"][_REASON] = _reason(response, caught_exception)

    def created(request: Any, operation_name: str, **_: Any) -> None:
        context = getattr(request, "context", None) or {}
        attempt = (context.get("retries") or {}).get("attempt", 1)
        if attempt > 1:
            of = f" of {most}" if most else ""
            path = unquote(urlsplit(request.url).path)
            why = context.get(_REASON) or "no answer"
            say(printable(f"retrying {operation_name} {path} (retry {attempt - 1}{of}): {why}"))

    client.meta.events.register(f"needs-retry.{service}", observe)
    client.meta.events.register(f"request-created.{service}", created)


def _reason(response: Any, caught: Any) -> str:
    """The error code of a failed answer (`SlowDown`), its status (`HTTP 503`), or the
    exception that stood for one (`ConnectionClosedError`)."""
    if caught is not None:
        return type(caught).__name__
    if not response:
        return ""
    http, parsed = response
    code = ((parsed or {}).get("Error") or {}).get("Code")
    return str(code) if code else f"HTTP {getattr(http, 'status_code', '?')}"
