"""Issue 23 in a real browser: what lands is what the headers say. A Latin-1 stylesheet
that declares its @charset renders its text (no charset=utf-8 over it); a UTF-8 script
passes SRI and runs; a .svgz draws, from <img> and from a CSS url(), and its integrity
is the one a browser checks (of the decoded SVG)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser.pages import LoadedPage, open_page
from tests.browser.sites import Stack, published_page
from tests.support.trees import write_tree

pytestmark = pytest.mark.browser

BUCKET = "cdnpub-encodings"

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="12" height="8"><rect width="12" height="8"/></svg>'

FILES = {
    "css/latin1.css": (
        '@charset "iso-8859-1";\n'
        '.note::after { content: "Précis £"; }\n'
        ".bg { width: 12px; height: 8px; background-image: url(../img/logo.svgz); }\n"
    ).encode("latin-1"),
    "js/app.js": "document.body.dataset.ran = 'Précis £';\n".encode(),
    "img/logo.svgz": gzip.compress(SVG, mtime=0),
    "pages/latin1.html": (
        '<!doctype html><html><head><meta charset="iso-8859-1"><title>t</title></head>'
        "<body><p>Précis £</p></body></html>"
    ).encode("latin-1"),
}

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>encodings</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ url_for('static', filename='css/latin1.css') }}">
<script src="{{ url_for('static', filename='js/app.js') }}"
        integrity="{{ cdn_integrity('js/app.js') }}" crossorigin="anonymous" defer></script>
</head><body><p class="note"></p><div class="bg"></div>
<img id="logo" src="{{ url_for('static', filename='img/logo.svgz') }}" alt="logo"></body></html>
"""


@pytest.fixture(scope="module")
def encodings_stack(aws_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    static = write_tree(tmp_path_factory.mktemp("encodings") / "static", FILES)
    with published_page(static, BUCKET, PAGE) as stack:
        yield stack


@pytest.fixture(scope="module")
def page(browser: Browser, encodings_stack: Stack) -> Iterator[LoadedPage]:
    with open_page(browser, encodings_stack.app_url + "/") as opened:
        yield opened


def cdn_url(stack: Stack, logical: str) -> str:
    return f"{stack.cdn_url}/{stack.manifest.entries[logical].key}"


def test_nothing_fails(page: LoadedPage) -> None:
    assert page.failures == [] and page.errors == []


def test_a_latin1_stylesheet_renders_its_text(page: LoadedPage, encodings_stack: Stack) -> None:
    css = page.responses[cdn_url(encodings_stack, "css/latin1.css")]
    assert css.headers["content-type"] == "text/css"
    content = page.evaluate("getComputedStyle(document.querySelector('.note'), '::after').content")
    assert content == '"Précis £"'


def test_the_script_passes_sri_and_runs(page: LoadedPage, encodings_stack: Stack) -> None:
    js = page.responses[cdn_url(encodings_stack, "js/app.js")]
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    assert page.evaluate("document.body.dataset.ran") == "Précis £"


def test_the_svgz_draws_from_img_and_css(page: LoadedPage, encodings_stack: Stack) -> None:
    svgz = page.responses[cdn_url(encodings_stack, "img/logo.svgz")]
    assert (svgz.headers["content-type"], svgz.headers["content-encoding"]) == (
        "image/svg+xml; charset=utf-8",
        "gzip",
    )
    size = page.evaluate(
        "[document.getElementById('logo').naturalWidth, document.getElementById('logo').naturalHeight]"
    )
    assert size == [12, 8]
    kinds = [kind for url, kind in page.requests if url == cdn_url(encodings_stack, "img/logo.svgz")]
    assert sorted(set(kinds)) == ["image"]  # the <img> and the stylesheet's url(): one URL, rewritten


def test_the_svgz_integrity_is_of_what_the_browser_checks(page: LoadedPage, encodings_stack: Stack) -> None:
    entry = encodings_stack.manifest.entries["img/logo.svgz"]
    url = cdn_url(encodings_stack, "img/logo.svgz")
    text = page.evaluate(
        f"fetch({url!r}, {{integrity: {entry.integrity!r}, mode: 'cors'}}).then(r => r.text())"
    )
    assert text == SVG.decode()


def test_a_latin1_page_renders_by_its_own_meta_charset(browser: Browser, encodings_stack: Stack) -> None:
    url = cdn_url(encodings_stack, "pages/latin1.html")
    with open_page(browser, url) as opened:
        assert opened.responses[url].headers["content-type"] == "text/html"
        assert opened.evaluate("document.body.textContent") == "Précis £"
        assert opened.evaluate("document.characterSet") == "windows-1252"  # iso-8859-1's WHATWG name
