"""The real npm trees of tests/corpus.py in chromium: a page that uses every package's main
stylesheet and script, through the Flask hook and the CDN preview (the bucket as S3 behind
CloudFront serves it), makes no failed request and logs no console error. Kept apart from
the example shop's browser test so that it moves on its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser.pages import LoadedPage, open_page
from tests.browser.sites import Stack, published_page
from tests.corpus import selected, unpack

pytestmark = [pytest.mark.browser, pytest.mark.corpus]
PACKAGES = selected()
BUCKET = "cdnpub-corpus"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>corpus</title><link rel="icon" href="data:,">
{% for css in styles %}<link rel="stylesheet" href="{{ url_for('static', filename=css) }}">
{% endfor %}</head><body>
{% for html in markup %}<div>{{ html|safe }}</div>
{% endfor %}
{% for js in scripts %}<script {% if js.endswith('.mjs') %}type="module" {% endif %}src="{{ url_for('static', filename=js) }}"></script>
{% endfor %}</body></html>"""


@pytest.fixture(scope="module")
def corpus_stack(aws_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    static = unpack(PACKAGES, tmp_path_factory.mktemp("corpus-browser") / "static")
    with published_page(
        static,
        BUCKET,
        PAGE,
        styles=[s for p in PACKAGES for s in p.styles],
        scripts=[s for p in PACKAGES for s in p.scripts],
        markup=[p.markup for p in PACKAGES if p.markup],
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def corpus_page(browser: Browser, corpus_stack: Stack) -> Iterator[LoadedPage]:
    with open_page(browser, corpus_stack.app_url + "/") as page:
        yield page


def test_corpus_page_fetches_its_assets_from_the_cdn_without_a_failure(
    corpus_page: LoadedPage, corpus_stack: Stack
) -> None:
    fetched = [url for url, kind in corpus_page.requests if kind != "document"]
    assert fetched and all(url.startswith(corpus_stack.cdn_url + "/") for url in fetched), fetched
    assert corpus_page.failures == []
    assert {r.url: r.status for r in corpus_page.responses.values() if r.status >= 400} == {}


def test_corpus_page_loads_the_fonts_its_stylesheets_name(corpus_page: LoadedPage) -> None:
    icon_packages = [p for p in PACKAGES if p.styles and ("font" in p.name or "icons" in p.name)]
    fonts = [r for r in corpus_page.responses.values() if r.resource_type == "font" and r.status == 200]
    assert len(fonts) >= len(icon_packages)


def test_corpus_page_logs_no_console_error(corpus_page: LoadedPage) -> None:
    assert corpus_page.errors == []
