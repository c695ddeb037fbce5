"""url_for('static', filename=<folder>) and module ids without `.js` (issue 22 point 2):
a base path handed to require.js or webpack gets the CDN URL its plain names live under,
not the app server's."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, url_for

from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.flask.extension import CDN, MissingAssetError
from cdnpub.manifest import write
from tests.support.trees import Tree, write_tree

DOMAIN = "cdn.test"
APP: Tree = {
    "js/generated/app.bundle.js": "require(['datagrid'])\n",
    "js/generated/datagrid.js": "define({})\n",
    "js/generated/0.chunk.js": "x()\n",
    "css/app.css": "a{}",
}
ADMIN: Tree = {"js/admin.js": "x()\n"}


def make_app(root: Path, **config: Any) -> Flask:
    static = write_tree(root / "static", APP)
    admin = write_tree(root / "admin_static", ADMIN)
    sources = [
        Source(scan(static), url_path="/static"),
        Source(scan(admin), url_path="/admin/static", sub="admin"),
    ]
    write(from_build(build(sources, BuildOptions(prefix="assets"))), root / "cdnpub-manifest.json")
    app = Flask(__name__, root_path=str(root))
    app.config.update(CDN_DOMAIN=DOMAIN, **config)
    app.register_blueprint(Blueprint("admin", __name__, static_folder=str(admin), url_prefix="/admin"))
    CDN(app)
    return app


@pytest.mark.parametrize(
    ("endpoint", "filename", "url"),
    [
        ("static", "js", f"https://{DOMAIN}/assets/js"),
        ("static", "js/", f"https://{DOMAIN}/assets/js/"),
        ("static", "js/generated", f"https://{DOMAIN}/assets/js/generated"),
        ("static", "js/generated/datagrid", f"https://{DOMAIN}/assets/js/generated/datagrid"),
        ("admin.static", "js", f"https://{DOMAIN}/assets/admin/js"),
    ],
)
def test_a_folder_or_module_id_gets_the_cdn_url_of_its_plain_names(
    tmp_path: Path, endpoint: str, filename: str, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path)
    with caplog.at_level(logging.WARNING), app.test_request_context("/"):
        assert url_for(endpoint, filename=filename) == url
        # what the loader appends lands on a published plain name
        if filename.rstrip("/") == "js" and endpoint == "static":
            assert url_for("static", filename="js/generated/0.chunk.js").startswith(
                f"https://{DOMAIN}/assets/"
            )
    assert "not in the manifest" not in caplog.text


def test_a_folder_is_no_miss_under_cdn_strict(tmp_path: Path) -> None:
    app = make_app(tmp_path, CDN_STRICT=True)
    with app.test_request_context("/"):
        assert url_for("static", filename="js/generated") == f"https://{DOMAIN}/assets/js/generated"
        with pytest.raises(MissingAssetError):
            url_for("static", filename="nothing/here")
        with pytest.raises(MissingAssetError):
            url_for("static", filename="js/gen")  # a prefix of a folder name is no folder


def test_a_name_that_is_neither_stays_local(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with app.test_request_context("/"):
        assert url_for("static", filename="css/app") == "/static/css/app"  # only `.js` module ids
        assert url_for("static", filename="img") == "/static/img"
