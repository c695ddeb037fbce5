"""A real Vite build in Debian's chromium: published with cdnpub, loaded through the CDN
preview by a Flask page that uses `cdn_vite_tags`. Every request but the document goes
to the CDN, none to a plain-name URL, none fails; SRI passes; the lazy chunk and the
images Vite's code and CSS name load from the CDN too (relative `base`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser.pages import LoadedPage, open_page
from tests.browser.sites import Stack, published_page
from tests.vite_build import copy_of_vite_static

pytestmark = pytest.mark.browser

BUCKET = "cdnpub-vite"
PAGE = """<!doctype html>
<html><head><title>vite</title><link rel="icon" href="data:,">{{ cdn_vite_tags('src/main.js') }}</head>
<body><header>header</header><p class="lazy">lazy</p></body></html>
"""


@pytest.fixture(scope="module")
def vite_stack(aws_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    static = copy_of_vite_static(tmp_path_factory.mktemp("vite") / "static")
    with published_page(static, BUCKET, PAGE) as stack:
        yield stack


@pytest.fixture(scope="module")
def page(browser: Browser, vite_stack: Stack) -> Iterator[LoadedPage]:
    with open_page(browser, vite_stack.app_url + "/") as opened:
        # The lazy chunk loads after the load event, when main.js asks for it.
        opened.page.wait_for_function("document.body.dataset.lazy === 'loaded'")
        opened.wait_until_idle()
        yield opened


def test_no_request_fails_and_nothing_is_logged_as_an_error(page: LoadedPage) -> None:
    assert page.failures == [] and page.errors == []


def test_everything_but_the_document_comes_from_the_cdn(page: LoadedPage, vite_stack: Stack) -> None:
    urls = [url for url, kind in page.requests if kind != "document"]
    assert urls and all(url.startswith(vite_stack.cdn_url + "/") for url in urls), urls
    assert all(page.responses[url].status == 200 for url in urls)


def test_no_request_goes_to_a_plain_name_url(page: LoadedPage, vite_stack: Stack) -> None:
    entries = vite_stack.manifest.entries.values()
    plain = {f"{vite_stack.cdn_url}/{e.plain_key}" for e in entries if e.plain_key and e.plain_key != e.key}
    keys = {f"{vite_stack.cdn_url}/{e.key}" for e in entries}
    requested = {url for url, kind in page.requests if kind != "document"}
    assert requested <= keys and not requested & plain


def test_each_vite_file_of_the_page_and_its_lazy_chunk_is_fetched(page: LoadedPage) -> None:
    names = {url.rsplit("/", 1)[1].split("-", 1)[0] + "." + url.rsplit(".", 1)[1] for url, _ in page.requests}
    assert {
        "main.js",
        "main.css",
        "shared.js",
        "shared.css",
        "lazy.js",
        "lazy.css",
        "logo.svg",
        "pattern.svg",
    } <= names


def test_stylesheets_apply_and_the_lazy_chunk_runs(page: LoadedPage) -> None:
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(11, 61, 46)"  # main.css
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") == "rgb(1, 2, 3)"
    )
    assert page.evaluate("getComputedStyle(document.querySelector('.lazy')).color") == "rgb(4, 5, 6)"
    assert page.evaluate("document.body.dataset.main") == "hello main"
    assert page.evaluate("document.getElementById('logo').naturalWidth") == 64


def test_the_page_checks_integrity_of_each_tag(page: LoadedPage) -> None:
    integrity = page.evaluate("[...document.querySelectorAll('[integrity]')].map(e => e.integrity)")
    assert len(integrity) == 4 and all(i.startswith("sha384-") for i in integrity)


def test_vite_manifest_is_read_not_published(vite_stack: Stack) -> None:
    assert not any(".vite" in e.key for e in vite_stack.manifest.entries.values())
