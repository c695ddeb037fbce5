"""`flask cdn build` on apps as they ship (issue 22): blueprints that declare a folder
they do not ship, an app mounted under APPLICATION_ROOT, a manifest inside a static
folder, a blueprint sharing the app's URL path. No network: build only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask

from cdnpub.flask.commands import cdn_cli
from tests.support.trees import write_tree


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # [tool.cdnpub] of ./pyproject.toml: the test's own


def flask_cdn(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(cdn_cli, list(args))


def assets(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())["assets"]
    return doc


def shop(root: Path, **kwargs: Any) -> Flask:
    write_tree(root / "static", {"css/app.css": "a{}", "img/logo.png": "png"})
    app = Flask("shop", root_path=str(root), **kwargs)
    app.config.update(CDN_MANIFEST=str(root / "build/manifest.json"))
    return app


# Point 3: a blueprint that declares a static folder it does not ship.


def test_blueprints_with_a_declared_but_missing_folder_are_left_out_with_one_warning_each(
    tmp_path: Path,
) -> None:
    app = shop(tmp_path / "app")
    for name in ("cloud", "redis"):  # as pgadmin's: static_folder="static" never shipped
        app.register_blueprint(Blueprint(name, "shop", static_folder="static_" + name, url_prefix="/" + name))
    write_tree(tmp_path / "app/admin", {"a.css": "b{}"})
    app.register_blueprint(Blueprint("admin", "shop", static_folder=str(tmp_path / "app/admin")))
    result = flask_cdn(app, "build")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("static_folder") == 2
    assert "the blueprint 'cloud': its static_folder" in result.stderr and "left out" in result.stderr
    assert sorted(assets(tmp_path / "app/build/manifest.json")) == [
        "admin/a.css",
        "css/app.css",
        "img/logo.png",
    ]


def test_a_missing_blueprint_folder_is_an_error_with_strict(tmp_path: Path) -> None:
    app = shop(tmp_path / "app")
    app.register_blueprint(Blueprint("cloud", "shop", static_folder="nowhere"))
    result = flask_cdn(app, "build", "--strict")
    assert result.exit_code == 2
    assert result.output.startswith("cdnpub: the blueprint 'cloud'") and "(--strict)" in result.output


def test_a_blueprint_folder_that_is_a_file_still_stops(tmp_path: Path) -> None:
    app = shop(tmp_path / "app")
    (tmp_path / "app/notes").write_text("x")
    app.register_blueprint(Blueprint("notes", "shop", static_folder=str(tmp_path / "app/notes")))
    result = flask_cdn(app, "build")
    assert result.exit_code == 2 and "is not a folder" in result.output


# Point 7: APPLICATION_ROOT; a key `flask cdn` cannot use is an error.


def test_root_relative_references_under_application_root_are_rewritten(tmp_path: Path) -> None:
    """pallets/flask#3219: an app mounted under /myapp."""
    app = shop(tmp_path / "app")
    app.config["APPLICATION_ROOT"] = "/myapp/"
    write_tree(tmp_path / "app/static", {"css/app.css": "a{background:url(/myapp/static/img/logo.png)}"})
    result = flask_cdn(app, "build", "--strict", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    found = assets(tmp_path / "app/build/manifest.json")
    css = (tmp_path / "out" / found["css/app.css"]["key"].removeprefix("static/")).read_text()
    assert found["img/logo.png"]["key"].rsplit("/", 1)[-1] in css and "/myapp/" not in css


def test_a_reference_outside_application_root_is_reported(tmp_path: Path) -> None:
    app = shop(tmp_path / "app")
    app.config["APPLICATION_ROOT"] = "/myapp"
    write_tree(tmp_path / "app/static", {"css/app.css": "a{background:url(/static/img/logo.png)}"})
    result = flask_cdn(app, "build")
    assert result.exit_code == 0
    assert "points to /static/img/logo.png, which is not in the static folder" in result.stderr


@pytest.mark.parametrize("how", ["pyproject", "env"])
def test_url_path_is_refused_by_flask_cdn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    app = shop(tmp_path / "app")
    if how == "env":
        monkeypatch.setenv("CDNPUB_URL_PATH", "/assets")
    else:
        Path("pyproject.toml").write_text('[tool.cdnpub]\nurl_path = "/assets"\n')
    result = flask_cdn(app, "build")
    assert result.exit_code == 2
    assert result.output.startswith("cdnpub: ") and "APPLICATION_ROOT" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "app/build").exists()


# Point 6: the manifest is never one of the files it describes.


def test_a_manifest_inside_the_static_folder_is_not_published_and_builds_settle(tmp_path: Path) -> None:
    """pallets/flask#3124: static_folder="" makes the app folder the static folder."""
    root = tmp_path / "app"
    write_tree(root, {"css/app.css": "a{}"})
    app = Flask("shop", root_path=str(root), static_folder="")
    manifest = root / "cdnpub-manifest.json"
    app.config.update(CDN_MANIFEST=str(manifest))
    first = flask_cdn(app, "build")
    assert first.exit_code == 0, first.output
    before = manifest.read_bytes()
    second = flask_cdn(app, "build")
    assert second.exit_code == 0, second.output
    assert manifest.read_bytes() == before  # settled: the second build describes the same files
    assert sorted(assets(manifest)) == ["css/app.css"]


def test_cdnpub_build_leaves_out_a_manifest_written_inside_the_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cdnpub.cli import cli

    write_tree(tmp_path / "static", {"css/app.css": "a{}"})
    manifest = tmp_path / "static/cdnpub-manifest.json"
    for _ in range(2):
        result = CliRunner().invoke(cli, ["build", str(tmp_path / "static"), "--manifest", str(manifest)])
        assert result.exit_code == 0, result.output
    assert sorted(assets(manifest)) == ["css/app.css"]


def test_flask_cdn_build_verbose_lists_every_bundler_source(tmp_path: Path) -> None:
    app = shop(tmp_path / "app")
    write_tree(tmp_path / "app/static", {f"src/C{i}.js": 'import X from "./X";\n' for i in range(4)})
    quiet = flask_cdn(app, "build")
    assert quiet.exit_code == 0 and quiet.stderr.count("warning") == 1 and "and 1 more" in quiet.stderr
    loud = flask_cdn(app, "build", "--verbose")
    assert loud.exit_code == 0 and "src/C3.js" in loud.stderr and "more" not in loud.stderr


# A blueprint without url_prefix: its relative references, and the warning about them.


def test_a_missing_relative_reference_of_a_blueprint_sharing_the_apps_url_is_warned_truthfully(
    tmp_path: Path,
) -> None:
    """Blueprint("admin", static_folder="static") without url_prefix: locally both folders
    answer /static/..., and Flask serves the app's file. The warning names the blueprint's
    folder, which lacks the file, not "/static/img/x.png is not in the static folder"
    (the app's folder holds it)."""
    app = shop(tmp_path / "app")
    write_tree(tmp_path / "bp/static", {"css/a.css": "a{background:url(../img/logo.png)}"})
    app.register_blueprint(Blueprint("admin", "bp", root_path=str(tmp_path / "bp"), static_folder="static"))
    result = flask_cdn(app, "build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    line = next(w for w in result.stderr.splitlines() if "logo.png" in w)
    assert f"points to img/logo.png, which is not in the static folder {tmp_path / 'bp/static'}" in line
    assert f"serves {tmp_path / 'app/static/img/logo.png'}" in line
    found = assets(tmp_path / "app/build/manifest.json")
    css = (tmp_path / "out" / found["admin/css/a.css"]["key"].removeprefix("static/")).read_text()
    assert css == "a{background:url(../img/logo.png)}"  # neither the app's file nor root-relative


def test_a_relative_reference_climbing_out_of_a_folder_is_not_taken_for_the_apps_file(
    tmp_path: Path,
) -> None:
    """/admin_static/a.css's `../img/logo.png` is /img/logo.png: no static folder serves it
    (the app's img/logo.png is /static/img/logo.png), so it stays as written, with a warning."""
    app = shop(tmp_path / "app")
    write_tree(tmp_path / "app/admin_static", {"a.css": "a{background:url(../img/logo.png)}"})
    app.register_blueprint(Blueprint("admin", "shop", static_folder=str(tmp_path / "app/admin_static")))
    result = flask_cdn(app, "build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "'../img/logo.png' points to /img/logo.png, which is not in the static folder" in result.stderr
    found = assets(tmp_path / "app/build/manifest.json")
    css = (tmp_path / "out" / found["admin/a.css"]["key"].removeprefix("static/")).read_text()
    assert css == "a{background:url(../img/logo.png)}"
