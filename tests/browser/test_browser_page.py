"""The `browser_page` fixture other browser tests build on: it must see what went wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from tests.browser import pages
from tests.browser.pages import LoadedPage

PAGE = b"""<!doctype html><html><head><title>t</title>
<script src="/missing.js"></script>
<link rel="stylesheet" href="http://127.0.0.1:1/unreachable.css">
</head><body><p id="p">hello</p>
<script>console.error("boom"); setTimeout(() => { throw new Error("thrown") }, 0);</script>
</body></html>"""


def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/":
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [PAGE]
    if environ["PATH_INFO"] == "/late":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"late"]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    from tests.browser.sites import serving

    with serving(site, "browser-page-site") as url:
        yield url


@pytest.fixture(scope="module")
def broken(browser: Any, site_url: str) -> Iterator[LoadedPage]:
    from tests.browser.pages import open_page

    with open_page(browser, site_url + "/") as page:
        yield page


@pytest.mark.browser
def test_browser_page_loads_the_url_and_evaluates(
    browser_page: Callable[[str], LoadedPage], site_url: str
) -> None:
    page = browser_page(site_url + "/")
    assert page.evaluate("document.getElementById('p').textContent") == "hello"
    assert page.requests[0] == (site_url + "/", "document")
    assert page.responses[site_url + "/"].headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.browser
def test_wait_until_idle_records_what_the_page_fetches_after_its_load(
    browser_page: Callable[[str], LoadedPage], site_url: str
) -> None:
    page = browser_page(site_url + "/")
    assert site_url + "/late" not in page.responses
    assert page.evaluate("fetch('/late').then(r => r.status)") == 200
    page.wait_until_idle()
    assert (site_url + "/late", "fetch") in page.requests
    assert page.responses[site_url + "/late"].status == 200


@pytest.mark.browser
def test_a_request_that_gets_no_response_is_a_failure(broken: LoadedPage) -> None:
    assert [f for f in broken.failures if f.startswith("http://127.0.0.1:1/unreachable.css: ")] != []


@pytest.mark.browser
def test_a_404_is_an_error(broken: LoadedPage, site_url: str) -> None:
    assert f"http 404: {site_url}/missing.js" in broken.errors


@pytest.mark.browser
def test_console_errors_and_uncaught_exceptions_are_errors(broken: LoadedPage) -> None:
    assert any(e.startswith("console.error: boom") for e in broken.errors)
    broken.page.wait_for_timeout(100)  # the throw comes from a timer
    assert any(e.startswith("exception: ") and "thrown" in e for e in broken.errors)


def test_missing_chromium_skips_with_a_reason_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Debian's chromium is not installed"):
        pages.chromium_executable()


def test_missing_chromium_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true needs it"):
        pages.chromium_executable()
