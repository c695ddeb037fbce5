"""One folder on disk is published once, whoever declares it (cdnpub/flask/folders.py): a
blueprint whose static_folder is the app's (or a symlink to it, or a folder inside it)
adds no key, and its `url_for('<name>.static', ...)` is the URL of the one key."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, render_template_string, url_for

from cdnpub.flask.commands import cdn_cli
from cdnpub.flask.extension import CDN
from cdnpub.flask.folders import merged_into
from cdnpub.sync.shrink import guarded_folders, shrink
from tests.support.trees import write_tree

DOMAIN = "cdn.test"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # [tool.cdnpub] of ./pyproject.toml: the test's own


def built(app: Flask, manifest: Path) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(cdn_cli, ["build", "--strict"])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(manifest.read_text())["assets"]
    return doc


def app_with(root: Path, **blueprints: Path) -> tuple[Flask, Path]:
    write_tree(root / "static", {"css/app.css": "a{background:url(../img/logo.png)}", "img/logo.png": "png"})
    app = Flask("shop", root_path=str(root))
    manifest = root / "build/manifest.json"
    app.config.update(CDN_MANIFEST=str(manifest))
    for name, folder in blueprints.items():
        app.register_blueprint(Blueprint(name, "shop", static_folder=str(folder), url_prefix="/" + name))
    return app, manifest


def test_a_blueprint_declaring_the_apps_folder_or_a_link_to_it_adds_no_key(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "app/static", target_is_directory=True)
    app, manifest = app_with(tmp_path / "app", theme=tmp_path / "app/static", skin=tmp_path / "link")
    found = built(app, manifest)
    assert sorted(found) == ["css/app.css", "img/logo.png"]
    app.config["CDN_DOMAIN"] = DOMAIN
    CDN(app)
    with app.test_request_context("/"):
        css = f"https://{DOMAIN}/{found['css/app.css']['key']}"
        assert url_for("static", filename="css/app.css") == css
        assert url_for("theme.static", filename="css/app.css") == css
        assert url_for("skin.static", filename="css/app.css") == css
        integrity = "{{ cdn_integrity('css/app.css', blueprint='theme') }}"
        assert render_template_string(integrity) == found["css/app.css"]["integrity"]


def test_a_blueprint_folder_inside_the_apps_is_published_once_under_the_apps_keys(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, manifest = app_with(tmp_path / "app", icons=tmp_path / "app/static/img")
    found = built(app, manifest)
    assert sorted(found) == ["css/app.css", "img/logo.png"]
    app.config.update(CDN_DOMAIN=DOMAIN, CDN_STRICT=True)
    CDN(app)
    with caplog.at_level(logging.WARNING), app.test_request_context("/"):
        assert (
            url_for("icons.static", filename="logo.png") == f"https://{DOMAIN}/{found['img/logo.png']['key']}"
        )
    assert caplog.records == []


def test_a_root_relative_reference_through_a_merged_blueprints_url_is_rewritten(tmp_path: Path) -> None:
    # /icons/img/ is the URL of the blueprint whose folder is the app's static/img: it
    # names the one file published, the app's img/logo.png (a 404 on the CDN if left).
    app, manifest = app_with(tmp_path / "app", icons=tmp_path / "app/static/img")
    write_tree(tmp_path / "app/static", {"css/site.css": "a{background:url(/icons/img/logo.png)}"})
    found = built(app, manifest)  # --strict: a reference to nothing would fail the build
    raw = (tmp_path / "app/static/css/site.css").read_bytes()
    assert found["css/site.css"]["sha256"] != hashlib.sha256(raw).hexdigest()  # rewritten


def test_the_outermost_folder_publishes_and_of_the_same_folder_the_apps() -> None:
    folders = {"": "/s", "theme": "/s", "a": "/s/img", "b": "/t", "b.c": "/t/x/y", "z": "/s2"}
    assert merged_into(folders) == {"theme": "", "a": "img", "b.c": "b/x/y"}
    assert merged_into({"outer": "/r", "": "/r/static"}) == {"": "outer/static"}


def test_a_blueprint_published_twice_before_is_no_shrink_once_merged() -> None:
    live = {"css/app.css", "theme/css/app.css"}
    folders = guarded_folders(("",), ("", "theme"), merged=("theme",))
    assert folders == ("",)
    assert shrink(live, {"css/app.css"}, folders) is None
    assert shrink(live, {"css/app.css"}, guarded_folders(("",), ("", "theme"))) is not None
