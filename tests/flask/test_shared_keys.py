"""[tool.cdnpub] / CDNPUB_* `prefix` and `manifest` under `flask cdn` (cdnpub/flask/shared.py):
used, or an error of one line; never silently ignored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cdnpub.flask.commands import cdn_cli
from tests.support.trees import write_tree


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # [tool.cdnpub] of ./pyproject.toml: the test's own


def make_app(root: Path, **config: Any) -> Flask:
    write_tree(root / "static", {"css/app.css": "a{}"})
    app = Flask("shop", root_path=str(root))
    app.config.update(**config)
    return app


def pyproject(text: str) -> None:
    Path("pyproject.toml").write_text("[tool.cdnpub]\n" + text + "\n")


def keys(manifest: Path) -> list[str]:
    return sorted(a["key"] for a in json.loads(manifest.read_text())["assets"].values())


def build(app: Flask) -> Any:
    return app.test_cli_runner().invoke(cdn_cli, ["build"])


def test_a_pyproject_prefix_is_used_over_cdn_prefixs_default(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    pyproject('prefix = "assets"')
    result = build(app)
    assert result.exit_code == 0, result.output
    assert keys(tmp_path / "app/cdnpub-manifest.json")[0].startswith("assets/css/app.")


def test_cdnpub_prefix_wins_over_the_pyproject_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path / "app")
    pyproject('prefix = "assets"')
    monkeypatch.setenv("CDNPUB_PREFIX", "cdn")
    assert build(app).exit_code == 0
    assert keys(tmp_path / "app/cdnpub-manifest.json")[0].startswith("cdn/css/app.")


def test_a_pyproject_prefix_that_disagrees_with_cdn_prefix_is_an_error(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", CDN_PREFIX="cdn")
    pyproject('prefix = "assets"')
    result = build(app)
    assert result.exit_code == 2
    assert (
        result.output.startswith("cdnpub: prefix = 'assets' in [tool.cdnpub]")
        and "CDN_PREFIX = 'cdn'" in result.output
    )
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "app/cdnpub-manifest.json").exists()


def test_a_pyproject_prefix_equal_to_cdn_prefix_is_fine(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", CDN_PREFIX="/assets/")
    pyproject('prefix = "assets"')
    assert build(app).exit_code == 0


@pytest.mark.parametrize("how", ["pyproject", "env"])
def test_a_manifest_other_than_cdn_manifest_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    app = make_app(tmp_path / "app")
    if how == "env":
        monkeypatch.setenv("CDNPUB_MANIFEST", "elsewhere.json")
    else:
        pyproject('manifest = "elsewhere.json"')
    result = build(app)
    assert result.exit_code == 2
    assert "is not the app's CDN_MANIFEST" in result.output and "reads at start-up" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "app/cdnpub-manifest.json").exists() and not Path("elsewhere.json").exists()


def test_a_manifest_naming_the_apps_cdn_manifest_is_fine(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    pyproject('manifest = "app/cdnpub-manifest.json"')  # relative to the current directory, as for cdnpub
    assert build(app).exit_code == 0
    assert (tmp_path / "app/cdnpub-manifest.json").is_file()


def test_an_unknown_key_is_an_error_for_flask_cdn_too(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    pyproject('prefx = "assets"')
    result = build(app)
    assert result.exit_code == 2 and "unknown key 'prefx'" in result.output and "'prefix'" in result.output
