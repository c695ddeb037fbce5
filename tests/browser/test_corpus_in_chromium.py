"""The real npm trees of tests/corpus.py in chromium: a page that uses every package's main
stylesheet and script, through the Flask hook and the CDN preview (the bucket as S3 behind
CloudFront serves it), makes no failed request and logs no console error. Kept apart from
the example shop's browser test so that it moves on its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask, render_template_string
from werkzeug.serving import make_server

from cdnpub.cli import cli
from cdnpub.flask import CDN
from cdnpub.local import Emulator, PreviewServer, ensure_local
from tests.browser.cdp import Browser, Page, open_page
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
def corpus_page(
    aws_env: None, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Page, str]]:
    base = tmp_path_factory.mktemp("corpus-browser")
    root = unpack(PACKAGES, base / "static")
    manifest = base / "cdnpub-manifest.json"
    with Emulator() as emulator, PreviewServer(emulator.url, BUCKET) as preview:
        ensure_local(emulator.url, BUCKET, preview.domain)
        args = ["publish", str(root), f"s3://{BUCKET}/static", "--endpoint-url", emulator.url]
        result = CliRunner().invoke(cli, [*args, "--manifest", str(manifest)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        app = _app(root, manifest, preview.domain)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="corpus-app", daemon=True)
        thread.start()
        try:
            with open_page(browser, f"http://127.0.0.1:{server.server_port}/") as page:
                yield page, preview.url
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


def _app(root: Path, manifest: Path, domain: str) -> Flask:
    app = Flask(__name__, static_folder=str(root))
    app.config.update(CDN_DOMAIN=domain, CDN_HTTPS=False, CDN_MANIFEST=str(manifest), CDN_STRICT=True)
    CDN(app)
    styles = [s for p in PACKAGES for s in p.styles]
    scripts = [s for p in PACKAGES for s in p.scripts]
    markup = [p.markup for p in PACKAGES if p.markup]
    app.add_url_rule(
        "/", "index", lambda: render_template_string(PAGE, styles=styles, scripts=scripts, markup=markup)
    )
    return app


def test_corpus_page_fetches_its_assets_from_the_cdn_without_a_failure(corpus_page: tuple[Page, str]) -> None:
    page, cdn = corpus_page
    fetched = [url for url, kind in page.requests.values() if kind != "Document"]
    assert fetched and all(url.startswith(cdn + "/") for url in fetched), fetched
    assert page.failures == []
    assert {r.url: r.status for r in page.responses.values() if r.status >= 400} == {}


def test_corpus_page_loads_the_fonts_its_stylesheets_name(corpus_page: tuple[Page, str]) -> None:
    page, _ = corpus_page
    icon_packages = [p for p in PACKAGES if p.styles and ("font" in p.name or "icons" in p.name)]
    fonts = [r for r in page.responses.values() if r.resource_type == "Font" and r.status == 200]
    assert len(fonts) >= len(icon_packages)


def test_corpus_page_logs_no_console_error(corpus_page: tuple[Page, str]) -> None:
    page, _ = corpus_page
    assert page.errors == []
