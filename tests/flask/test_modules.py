"""cdnpub.flask's module helpers: cdn_importmap() and cdn_modulepreload() in templates and
Python, for the app and a blueprint, with and without CDN_DOMAIN."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, render_template_string

import cdnpub.manifest
from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.flask.extension import CDN, MissingAssetError, cdn_importmap, cdn_modulepreload
from cdnpub.manifest import write
from tests.support.trees import Tree, write_tree

DOMAIN = "cdn.test"
APP: Tree = {
    "js/app.js": 'import { cart } from "./cart.js";\nimport "util";\nimport("./lazy.js");\n',
    "js/cart.js": 'export * from "./lib/deep.js";\nexport const cart = 1;\n',
    "js/lib/deep.js": "export const deep = 1;\n",
    "js/lazy.js": "export default 1;\n",
    "js/util.mjs": "export const util = 1;\n",
}
ADMIN: Tree = {"js/admin.js": 'import "./widget.js";\n', "js/widget.js": ""}


def make_app(root: Path, **config: Any) -> Flask:
    static = write_tree(root / "static", APP)
    admin = write_tree(root / "admin_static", ADMIN)
    sources = [
        Source(scan(static), url_path="/static"),
        Source(scan(admin), url_path="/admin/static", sub="admin"),
    ]
    write(from_build(build(sources, BuildOptions(prefix="static"))), root / "cdnpub-manifest.json")
    app = Flask(__name__, root_path=str(root))
    app.config.update(config)
    bp = Blueprint(
        "admin", __name__, static_folder=str(admin), url_prefix="/admin", static_url_path="/static"
    )
    app.register_blueprint(bp)
    CDN(app)
    return app


def key(root: Path, logical: str) -> str:
    return cdnpub.manifest.read(root / "cdnpub-manifest.json").entries[logical].key


def render(app: Flask, template: str) -> str:
    with app.test_request_context("/"):
        return render_template_string(template)


def map_of(html: str) -> dict[str, dict[str, str]]:
    m = re.search(r'<script type="importmap"[^>]*>(.*?)</script>', html, re.S)
    assert m is not None, html
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def test_template_importmap_maps_plain_module_urls_to_fingerprinted_ones(tmp_path: Path) -> None:
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN)
    doc = map_of(render(app, "{{ cdn_importmap() }}"))
    cart = f"https://{DOMAIN}/{key(tmp_path, 'js/cart.js')}"
    assert doc["imports"][f"https://{DOMAIN}/static/js/cart.js"] == cart
    assert doc["imports"][f"https://{DOMAIN}/static/admin/js/widget.js"].endswith(
        key(tmp_path, "admin/js/widget.js")
    )
    assert doc["integrity"][cart].startswith("sha384-")


def test_python_importmap_is_the_same_markup(tmp_path: Path) -> None:
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN)
    with app.test_request_context("/"):
        assert str(cdn_importmap()) == render_template_string("{{ cdn_importmap() }}")
        assert str(cdn_modulepreload("js/app.js")) == render_template_string(
            "{{ cdn_modulepreload('js/app.js') }}"
        )


def test_importmap_takes_a_csp_nonce(tmp_path: Path) -> None:
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN)
    html = render(
        app, "{{ cdn_importmap(nonce='r4nd0m') }}{{ cdn_modulepreload('js/app.js', nonce='r4nd0m') }}"
    )
    assert html.startswith('<script type="importmap" nonce="r4nd0m">')
    assert html.count('nonce="r4nd0m"') == 1 + 3


def test_pins_map_bare_specifiers(tmp_path: Path) -> None:
    pins = {"util": "js/util.mjs", "lit": "https://esm.sh/lit@3"}
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN, CDN_IMPORTMAP_PINS=pins)
    doc = map_of(render(app, "{{ cdn_importmap() }}"))
    assert doc["imports"]["util"] == f"https://{DOMAIN}/{key(tmp_path, 'js/util.mjs')}"
    assert doc["imports"]["lit"] == "https://esm.sh/lit@3"


def test_modulepreload_lists_the_static_graph_with_integrity(tmp_path: Path) -> None:
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN, CDN_IMPORTMAP_PINS={"util": "js/util.mjs"})
    html = render(app, "{{ cdn_modulepreload('js/app.js') }}")
    hrefs = re.findall(
        r'href="https://cdn\.test/([^"]+)" integrity="sha384-[^"]+" crossorigin="anonymous"', html
    )
    expected = ["js/app.js", "js/cart.js", "js/lib/deep.js", "js/util.mjs"]  # not the import()ed lazy.js
    assert hrefs == [key(tmp_path, p) for p in expected]


def test_modulepreload_of_a_blueprint_module(tmp_path: Path) -> None:
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN)
    html = render(app, "{{ cdn_modulepreload('js/admin.js', blueprint='admin') }}")
    assert re.findall(r'href="https://cdn\.test/([^"]+)"', html) == [
        key(tmp_path, "admin/js/admin.js"),
        key(tmp_path, "admin/js/widget.js"),
    ]


def test_modulepreload_of_a_missing_module_warns_and_emits_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN)
    with caplog.at_level(logging.WARNING):
        assert render(app, "[{{ cdn_modulepreload('js/gone.js') }}]") == "[]"
    assert "js/gone.js is not in the manifest" in caplog.text


def test_a_pin_to_a_missing_file_raises_in_strict_mode(tmp_path: Path) -> None:
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN, CDN_STRICT=True, CDN_IMPORTMAP_PINS={"x": "js/gone.js"})
    with pytest.raises(MissingAssetError, match="js/gone.js"):
        render(app, "{{ cdn_importmap() }}")


@pytest.mark.parametrize(
    ("pins", "message"),
    [
        (["js/app.js"], "CDN_IMPORTMAP_PINS"),
        ({"x": 3}, "CDN_IMPORTMAP_PINS"),
        ({"lib/": "js/a.js"}, "folder pin"),
    ],
)
def test_bad_pins_stop_the_app_at_start_up(tmp_path: Path, pins: object, message: str) -> None:
    with pytest.raises(UserError, match=message):
        make_app(tmp_path, CDN_DOMAIN=DOMAIN, CDN_IMPORTMAP_PINS=pins)


def test_without_cdn_domain_the_map_is_a_comment(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    html = render(app, "{{ cdn_importmap() }}|{{ cdn_modulepreload('js/app.js') }}")
    first, second = html.split("|")
    assert first.startswith("<!-- ") and "CDN_DOMAIN is unset" in first and "<script" not in first
    assert second.startswith("<!-- ") and "<link" not in second


def test_without_cdn_domain_pins_map_to_the_apps_own_urls(tmp_path: Path) -> None:
    pins = {"util": "js/util.mjs", "widget": "admin/js/widget.js", "lit": "https://esm.sh/lit@3"}
    app = make_app(tmp_path, CDN_IMPORTMAP_PINS=pins)
    doc = map_of(render(app, "{{ cdn_importmap() }}"))
    assert doc == {
        "imports": {
            "util": "/static/js/util.mjs",
            "widget": "/admin/static/js/widget.js",
            "lit": "https://esm.sh/lit@3",
        }
    }


def test_a_rebuilt_manifest_in_debug_gives_a_new_map(tmp_path: Path) -> None:
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN)
    app.debug = True
    app.add_url_rule("/", "index", lambda: render_template_string("{{ cdn_importmap() }}"))
    client = app.test_client()
    before = map_of(client.get("/").text)
    (tmp_path / "static/js/cart.js").write_text("export const cart = 2;\n")
    sources = [
        Source(scan(tmp_path / "static"), url_path="/static"),
        Source(scan(tmp_path / "admin_static"), url_path="/admin/static", sub="admin"),
    ]
    write(from_build(build(sources, BuildOptions(prefix="static"))), tmp_path / "cdnpub-manifest.json")
    after = map_of(client.get("/").text)
    plain = f"https://{DOMAIN}/static/js/cart.js"
    assert before["imports"][plain] != after["imports"][plain]
    assert after["imports"][plain] == f"https://{DOMAIN}/{key(tmp_path, 'js/cart.js')}"


def test_modulepreload_of_several_entries_lists_each_module_once(tmp_path: Path) -> None:
    app = make_app(tmp_path, CDN_DOMAIN=DOMAIN)
    html = render(app, "{{ cdn_modulepreload('js/lazy.js', 'js/app.js', 'js/cart.js') }}")
    hrefs = re.findall(r'href="https://cdn\.test/([^"]+)"', html)
    expected = ["js/lazy.js", "js/app.js", "js/cart.js", "js/lib/deep.js"]
    assert hrefs == [key(tmp_path, p) for p in expected]
