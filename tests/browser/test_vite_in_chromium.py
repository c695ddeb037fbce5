"""A real Vite build in Debian's chromium: published with cdnpub, loaded through the CDN
preview by a Flask page that uses `cdn_vite_tags`. Every request but the document goes
to the CDN, none to a plain-name URL, none fails; SRI passes; the lazy chunk and the
images Vite's code and CSS name load from the CDN too (relative `base`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from flask import Flask, render_template_string
from werkzeug.serving import make_server

from cdnpub import manifest as manifest_module
from cdnpub.cli import cli
from cdnpub.flask import CDN
from cdnpub.local import Emulator, PreviewServer, ensure_local
from cdnpub.manifest import Manifest
from tests.browser.cdp import Browser, Page, open_page
from tests.vite_build import copy_of_vite_static

pytestmark = pytest.mark.browser

BUCKET = "cdnpub-vite"
PAGE = """<!doctype html>
<html><head><title>vite</title><link rel="icon" href="data:,">{{ cdn_vite_tags('src/main.js') }}</head>
<body><header>header</header><p class="lazy">lazy</p></body></html>
"""


@dataclass(frozen=True)
class ViteStack:
    app_url: str
    cdn_url: str
    manifest: Manifest


@pytest.fixture(scope="module")
def vite_stack(aws_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ViteStack]:
    root = tmp_path_factory.mktemp("vite")
    static = copy_of_vite_static(root / "static")
    manifest = root / "cdnpub-manifest.json"
    with Emulator() as emulator, PreviewServer(emulator.url, BUCKET) as preview:
        distribution_id = ensure_local(emulator.url, BUCKET, preview.domain)
        published = CliRunner().invoke(
            cli,
            [
                "publish", str(static), f"s3://{BUCKET}/static", "--endpoint-url", emulator.url,
                "--distribution-id", distribution_id, "--manifest", str(manifest),
            ],
        )  # fmt: skip
        assert published.exit_code == 0, published.output
        app = Flask("vite_page", root_path=str(root), static_folder=str(static))
        app.config.update(CDN_DOMAIN=preview.domain, CDN_HTTPS=False, CDN_STRICT=True)
        CDN(app)
        app.add_url_rule("/", "index", lambda: render_template_string(PAGE))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="vite-app", daemon=True)
        thread.start()
        try:
            yield ViteStack(
                f"http://127.0.0.1:{server.server_port}", preview.url, manifest_module.read(manifest)
            )
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


@pytest.fixture(scope="module")
def page(browser: Browser, vite_stack: ViteStack) -> Iterator[Page]:
    with open_page(browser, vite_stack.app_url + "/") as opened:
        # The lazy chunk loads after the load event, when main.js asks for it.
        opened.evaluate(
            "new Promise(done => { const f = () => document.body.dataset.lazy === 'loaded' ? done(true)"
            " : setTimeout(f, 20); f(); })"
        )
        opened.wait_until_idle()
        yield opened


def test_no_request_fails_and_nothing_is_logged_as_an_error(page: Page) -> None:
    assert page.failures == [] and page.errors == []


def test_everything_but_the_document_comes_from_the_cdn(page: Page, vite_stack: ViteStack) -> None:
    urls = [url for url, kind in page.requests.values() if kind != "Document"]
    assert urls and all(url.startswith(vite_stack.cdn_url + "/") for url in urls), urls
    assert all(page.responses[url].status == 200 for url in urls)


def test_no_request_goes_to_a_plain_name_url(page: Page, vite_stack: ViteStack) -> None:
    entries = vite_stack.manifest.entries.values()
    plain = {f"{vite_stack.cdn_url}/{e.plain_key}" for e in entries if e.plain_key and e.plain_key != e.key}
    keys = {f"{vite_stack.cdn_url}/{e.key}" for e in entries}
    requested = {url for url, kind in page.requests.values() if kind != "Document"}
    assert requested <= keys and not requested & plain


def test_each_vite_file_of_the_page_and_its_lazy_chunk_is_fetched(page: Page, vite_stack: ViteStack) -> None:
    names = {
        url.rsplit("/", 1)[1].split("-", 1)[0] + "." + url.rsplit(".", 1)[1]
        for url, _ in page.requests.values()
    }
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


def test_stylesheets_apply_and_the_lazy_chunk_runs(page: Page) -> None:
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(11, 61, 46)"  # main.css
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") == "rgb(1, 2, 3)"
    )
    assert page.evaluate("getComputedStyle(document.querySelector('.lazy')).color") == "rgb(4, 5, 6)"
    assert page.evaluate("document.body.dataset.main") == "hello main"
    assert page.evaluate("document.getElementById('logo').naturalWidth") == 64


def test_the_page_checks_integrity_of_each_tag(page: Page) -> None:
    integrity = page.evaluate("[...document.querySelectorAll('[integrity]')].map(e => e.integrity)")
    assert len(integrity) == 4 and all(i.startswith("sha384-") for i in integrity)


def test_vite_manifest_is_read_not_published(vite_stack: ViteStack) -> None:
    assert not any(".vite" in e.key for e in vite_stack.manifest.entries.values())
