"""The example shop in a real browser: every asset of its pages comes from the CDN
preview (the bucket as CloudFront would serve it), and the browser accepts it: the
stylesheets apply, the web font loads across origins, the script passes SRI and runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser.pages import LoadedPage, open_page
from tests.browser.sites import Stack

pytestmark = pytest.mark.browser

# Everything the shop's front page pulls in: linked, @imported, @font-face, url(), <img>, <script>.
FRONT_PAGE_ASSETS = (
    "css/site.css",
    "css/base.css",
    "fonts/brand.woff2",
    "img/pattern.svg",
    "img/logo.svg",
    "js/app.js",
)


@pytest.fixture(scope="module")
def front_page(browser: Browser, stack: Stack) -> Iterator[LoadedPage]:
    with open_page(browser, stack.app_url + "/") as page:
        yield page


@pytest.fixture(scope="module")
def admin_page(browser: Browser, stack: Stack) -> Iterator[LoadedPage]:
    with open_page(browser, stack.app_url + "/admin/") as page:
        yield page


def cdn_url(stack: Stack, logical: str) -> str:
    return f"{stack.cdn_url}/{stack.manifest.entries[logical].key}"


@pytest.mark.parametrize("logical", FRONT_PAGE_ASSETS)
def test_asset_comes_from_the_cdn_with_its_content_type(
    front_page: LoadedPage, stack: Stack, logical: str
) -> None:
    response = front_page.responses.get(cdn_url(stack, logical))
    assert response is not None, f"{logical} not fetched from the CDN; got {sorted(front_page.responses)}"
    assert response.status == 200
    assert response.headers["content-type"] == stack.manifest.entries[logical].content_type


def test_page_fetches_nothing_but_the_document_from_the_app(front_page: LoadedPage, stack: Stack) -> None:
    urls = [url for url, kind in front_page.requests if kind != "document"]
    assert urls and all(url.startswith(stack.cdn_url + "/") for url in urls), urls
    assert front_page.failures == []


def test_stylesheet_and_its_import_apply(front_page: LoadedPage) -> None:
    header = front_page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
    body = front_page.evaluate("getComputedStyle(document.body).backgroundColor")  # from base.css
    assert (header, body) == ("rgb(11, 61, 46)", "rgb(250, 247, 240)")


def test_background_image_comes_from_the_cdn(front_page: LoadedPage, stack: Stack) -> None:
    image = front_page.evaluate("getComputedStyle(document.querySelector('header')).backgroundImage")
    assert image == f'url("{cdn_url(stack, "img/pattern.svg")}")'


def test_brand_font_loads_across_origins(front_page: LoadedPage, stack: Stack) -> None:
    assert "Brand" in front_page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert front_page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px Brand'))") is True
    font = front_page.responses[cdn_url(stack, "fonts/brand.woff2")]
    assert font.headers.get("access-control-allow-origin") == "*"


def test_script_passes_its_integrity_check_and_runs(front_page: LoadedPage, stack: Stack) -> None:
    integrity = front_page.evaluate("document.querySelector('script[src]').integrity")
    assert integrity == stack.manifest.entries["js/app.js"].integrity
    assert front_page.evaluate("document.body.dataset.scripted") == "yes"
    assert (
        front_page.evaluate("document.getElementById('status').textContent") == "Assets loaded from the CDN"
    )


def test_console_has_no_errors(front_page: LoadedPage) -> None:
    assert front_page.errors == []


def test_admin_blueprint_stylesheet_comes_from_the_cdn(admin_page: LoadedPage, stack: Stack) -> None:
    response = admin_page.responses.get(cdn_url(stack, "admin/css/admin.css"))
    assert response is not None, f"not fetched from the CDN; got {sorted(admin_page.responses)}"
    assert response.status == 200
    assert response.headers["content-type"] == stack.manifest.entries["admin/css/admin.css"].content_type


def test_admin_blueprint_stylesheet_applies(admin_page: LoadedPage) -> None:
    border = admin_page.evaluate("getComputedStyle(document.querySelector('main')).borderLeftColor")
    assert border == "rgb(242, 177, 52)"


def test_admin_page_console_has_no_errors(admin_page: LoadedPage) -> None:
    assert admin_page.errors == []
