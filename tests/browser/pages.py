"""A page loaded in chromium through Playwright, with what it requested, what came back,
what failed and what it logged: the record the browser tests assert on."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request
from playwright.sync_api import Response as PlaywrightResponse

CHROMIUM = "/usr/bin/chromium"  # Debian's (apt-get install chromium); Playwright downloads none


def chromium_executable() -> str:
    """The browser's path; a clear skip without it, and a failure under CI=true."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true needs it", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


# Headless and quiet: no sandbox (CI runs as root), no GPU, no QUIC, and nothing that
# phones home (component updates, sync, background networking): loopback only.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: dict[str, str]  # names in lower case
    resource_type: str  # Playwright's: "document", "stylesheet", "font", "script", ...


@dataclass
class LoadedPage:
    """One tab after its load: `requests` in order as (url, resource type), `failures`
    (requests that got no response: "url: error"), `errors` (console errors, uncaught
    exceptions, and responses of 400 or more), and `responses` by URL."""

    page: Page
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _responses: list[PlaywrightResponse] = field(default_factory=list)
    _pending: list[Request] = field(default_factory=list)  # neither finished nor failed yet

    @cached_property
    def responses(self) -> dict[str, Response]:
        """url -> the last response to it (all its headers, as the network sent them)."""
        return {
            r.url: Response(r.url, r.status, r.all_headers(), r.request.resource_type)
            for r in self._responses
        }

    def evaluate(self, expression: str) -> Any:
        """The value of a JS expression in the page; a promise is awaited."""
        return self.page.evaluate(expression)

    def wait_until_idle(self) -> None:
        """Wait until every request the page has made finished or failed: what the page
        fetches after its load (a lazy chunk, say) is then in the record. AssertionError
        naming the pending URLs past TIMEOUT_MS."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while self._pending:
            if time.monotonic() > deadline:
                pending = [r.url for r in self._pending]
                raise AssertionError(f"requests still pending after {TIMEOUT_MS} ms: {pending}")
            self.page.wait_for_timeout(20)  # lets Playwright deliver the page's events
        self.__dict__.pop("responses", None)  # recomputed with the late responses

    def _request(self, request: Request) -> None:
        self.requests.append((request.url, request.resource_type))
        self._pending.append(request)

    def _finished(self, request: Request) -> None:
        if request in self._pending:
            self._pending.remove(request)

    def _response(self, response: PlaywrightResponse) -> None:
        self._responses.append(response)
        if response.status >= 400:
            self.errors.append(f"http {response.status}: {response.url}")

    def _failed(self, request: Request) -> None:
        self._finished(request)
        self.failures.append(f"{request.url}: {request.failure}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console.error: {message.text} ({message.location.get('url', '')})")

    def _exception(self, error: Exception) -> None:
        self.errors.append(f"exception: {error}")


@contextmanager
def open_page(browser: Browser, url: str) -> Iterator[LoadedPage]:
    """A fresh page (its own context: no cache or cookies shared) that has loaded `url`:
    the load event, no request for 500 ms, the fonts ready."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        loaded = LoadedPage(page)
        page.on("request", loaded._request)
        page.on("response", loaded._response)
        page.on("requestfinished", loaded._finished)
        page.on("requestfailed", loaded._failed)
        page.on("console", loaded._console)
        page.on("pageerror", loaded._exception)
        page.goto(url, wait_until="networkidle")
        page.evaluate("document.fonts.ready.then(() => true)")
        yield loaded
    finally:
        context.close()
