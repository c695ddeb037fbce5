"""The app's CDN_* config, read in one place (cdnpub.flask.settings.app_settings): the
extension's init_app and the `flask cdn` commands take the same keys with the same types,
and a wrong type is the same one line naming the key from both."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cdnpub.errors import UserError
from cdnpub.flask.commands import cdn_cli
from cdnpub.flask.extension import CDN
from cdnpub.flask.settings import AppSettings, app_settings, defaults
from tests.support.trees import write_tree


def app_with(root: Path, **config: Any) -> Flask:
    write_tree(root / "static", {"js/app.js": "import 'lit';\n", "a.css": "a{}"})
    app = Flask("site", root_path=str(root))
    app.config.update(config)
    return app


BAD = [
    (
        "CDN_IMPORTMAP_PINS",
        ["js/app.js"],
        "CDN_IMPORTMAP_PINS maps bare specifiers to static paths or URLs, not",
    ),
    ("CDN_IMPORTMAP_PINS", {"x": 3}, "CDN_IMPORTMAP_PINS maps bare specifiers"),
    ("CDN_IMPORTMAP_PINS", {"lib/": "js/a.js"}, "a folder pin ends in '/' on both sides"),
    ("CDN_JS_MODULES", 3, "CDN_JS_MODULES must be a list of globs, not 3"),
    ("CDN_JS_MODULES", ["*.js", 3], "CDN_JS_MODULES must be a list of globs"),
    ("CDN_STRICT", "yes", "CDN_STRICT must be True or False, not 'yes'"),
    ("CDN_HTTPS", "False", "CDN_HTTPS must be True or False, not 'False'"),
    ("CDN_MANIFEST", 3, "CDN_MANIFEST must be a file path, not 3"),
    ("CDN_PREFIX", ["static"], "CDN_PREFIX must be a string"),
    ("CDN_DISTRIBUTION_ID", 12, "CDN_DISTRIBUTION_ID must be a string, not 12"),
    ("CDN_HTTPS", "false", "from_prefixed_env(), which reads FLASK_CDN_HTTPS=false as False"),
    ("CDN_MANIFEST", True, "CDN_MANIFEST is the path of the manifest cdnpub wrote, not True"),
    ("CDN_MANIFEST", 123, "CDN_MANIFEST must be a file path, not 123"),
    ("CDN_MANIFEST", " ", "CDN_MANIFEST is blank (' ')"),
    ("CDN_REGION", ["eu"], "CDN_REGION must be a string, not ['eu']"),
    ("CDN_BUCKET", " ", "CDN_BUCKET is blank (' '): give a value, or leave it unset"),
    ("CDN_BUCKET_NAME", "b", "unknown config key CDN_BUCKET_NAME: did you mean CDN_BUCKET?"),
    ("CDN_PREFX", "x", "unknown config key CDN_PREFX: did you mean CDN_PREFIX?"),
    ("CDN_DOMAIN", "https://d111.cloudfront.net/", "set CDN_DOMAIN = 'd111.cloudfront.net' instead of"),
    ("CDN_DOMAIN", "http://127.0.0.1:4567", "set CDN_DOMAIN = '127.0.0.1:4567' and CDN_HTTPS = False"),
    ("CDN_DOMAIN", "https://cdn.example.com/assets", "not a URL or a path"),
]


@pytest.mark.parametrize(("key", "value", "phrase"), BAD, ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_a_wrong_type_is_the_same_one_line_error_from_the_extension_and_flask_cdn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: Any, phrase: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as raised:
        CDN(app_with(tmp_path / "a", **{key: value}))
    from_extension = str(raised.value)
    assert phrase in from_extension and "\n" not in from_extension
    result = app_with(tmp_path / "b", **{key: value}).test_cli_runner().invoke(cdn_cli, ["build"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"cdnpub: {from_extension}"


def test_the_defaults_read_as_the_settings_init_app_documents(tmp_path: Path) -> None:
    app = Flask("site", root_path=str(tmp_path), static_url_path="/assets/")
    assert app_settings(app) == AppSettings(
        domain="",
        https=True,
        manifest=tmp_path / "cdnpub-manifest.json",
        strict=False,
        importmap_pins={},
        js_modules=("*.js",),
        bucket=None,
        prefix="assets",
        distribution_id=None,
        region=None,
        profile=None,
        endpoint_url=None,
        vite_manifest="dist/.vite/manifest.json",
        vite_dev_server=None,
    )
    CDN(app)
    assert app_settings(app) == app_settings(
        Flask("site", root_path=str(tmp_path), static_url_path="/assets/")
    )
    assert {k for k in app.config if k.startswith("CDN_")} == set(defaults(app))


def test_none_and_empty_read_as_the_default_and_one_glob_may_be_a_string(tmp_path: Path) -> None:
    app = app_with(tmp_path, CDN_MANIFEST="", CDN_PREFIX=None, CDN_JS_MODULES="js/*.js", CDN_BUCKET="")
    settings = app_settings(app)
    assert settings.manifest == tmp_path / "cdnpub-manifest.json"
    assert settings.prefix == "static" and settings.bucket is None
    assert settings.js_modules == ("js/*.js",)


def test_every_key_is_in_the_docstring() -> None:
    import cdnpub.flask.settings

    doc = cdnpub.flask.settings.__doc__ or ""
    for key in defaults(Flask("site")):
        assert f"`{key}`" in doc, key


def test_the_extension_keeps_one_state_under_cdn(tmp_path: Path) -> None:
    app = app_with(tmp_path)
    CDN(app)
    assert [k for k in app.extensions if k.startswith("cdn")] == ["cdn"]


def test_the_web_runtime_imports_no_click() -> None:
    """`flask cdn` tells the extension it is writing the manifest through a context
    variable of cdnpub.flask.settings, not click's context."""
    package = Path(__file__).parents[2] / "cdnpub/flask"
    for name in ("extension", "importmap", "vite", "settings"):
        tree = ast.parse((package / f"{name}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m and m.split(".")[0] == "click"}, name


def test_flask_cdn_build_loads_the_app_without_its_manifest_and_resets_the_flag(tmp_path: Path) -> None:
    from cdnpub.flask.settings import writing_manifest

    app = app_with(tmp_path, CDN_DOMAIN="cdn.example.com")
    with pytest.raises(UserError, match="manifest"):
        CDN(app)  # at start-up, without a manifest: loud
    fresh = app_with(tmp_path / "fresh", CDN_DOMAIN="cdn.example.com")

    def create_app() -> Flask:
        CDN(fresh)
        return fresh

    from flask.cli import ScriptInfo

    runner = fresh.test_cli_runner()
    result = runner.invoke(cdn_cli, ["build"], obj=ScriptInfo(create_app=create_app))
    assert result.exit_code == 0, result.output
    assert writing_manifest.get() is False


def test_another_extensions_cdn_keys_are_left_alone(tmp_path: Path) -> None:
    """Flask-CDN's own keys (an app moving over) and keys far from any of ours pass."""
    app = app_with(tmp_path, CDN_ENDPOINTS=["static"], CDN_TIMESTAMP=True, CDN_DEBUG=False, CDN_URL_MAP={})
    assert app_settings(app).https is True


def test_an_all_digit_bucket_name_from_the_environment_is_its_digits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FLASK_CDN_BUCKET=123456 through app.config.from_prefixed_env() is the int 123456.
    monkeypatch.chdir(tmp_path)
    app = app_with(tmp_path / "a", CDN_BUCKET=123456)
    assert app_settings(app).bucket == "123456"
