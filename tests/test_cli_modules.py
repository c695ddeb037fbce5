"""Which files are ES modules, from every place the option comes from (--js-modules,
CDNPUB_JS_MODULES, [tool.cdnpub] js_modules, Flask's CDN_JS_MODULES), and an import of a
missing file as `cdnpub build` reports it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from cdnpub.cli import cli
from cdnpub.flask.commands import cdn_cli

MakeTree = Callable[..., Path]
FILES = {"js/app.js": 'import "./b.js";', "js/b.js": "", "vendor/old.js": "", "lib/x.mjs": ""}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CDNPUB_JS_MODULES", raising=False)
    return CliRunner()


def modules(manifest: Path) -> list[str]:
    assets = json.loads(manifest.read_text())["assets"]
    return sorted(path for path, entry in assets.items() if entry["module"] is not None)


def test_every_js_and_mjs_file_is_a_module_by_default(
    runner: CliRunner, make_tree: MakeTree, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["build", str(make_tree(FILES))])
    assert result.exit_code == 0, result.output
    assert modules(tmp_path / "cdnpub-manifest.json") == [
        "js/app.js",
        "js/b.js",
        "lib/x.mjs",
        "vendor/old.js",
    ]


def test_js_modules_flag_narrows_the_js_files(runner: CliRunner, make_tree: MakeTree, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["build", str(make_tree(FILES)), "--js-modules", "js/", "--js-modules", "none/"]
    )
    assert result.exit_code == 0, result.output
    assert modules(tmp_path / "cdnpub-manifest.json") == ["js/app.js", "js/b.js", "lib/x.mjs"]


def test_js_modules_from_pyproject_and_the_environment(
    runner: CliRunner, make_tree: MakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = str(make_tree(FILES))
    (tmp_path / "pyproject.toml").write_text('[tool.cdnpub]\njs_modules = ["vendor/"]\n')
    assert runner.invoke(cli, ["build", site]).exit_code == 0
    assert modules(tmp_path / "cdnpub-manifest.json") == ["lib/x.mjs", "vendor/old.js"]
    monkeypatch.setenv("CDNPUB_JS_MODULES", "js/app.js")
    assert runner.invoke(cli, ["build", site]).exit_code == 0
    assert modules(tmp_path / "cdnpub-manifest.json") == ["js/app.js", "lib/x.mjs"]


def test_an_import_of_a_missing_file_warns_and_strict_fails_in_one_line(
    runner: CliRunner, make_tree: MakeTree
) -> None:
    site = str(make_tree({"js/app.js": 'import { a } from "./gone.js";'}))
    result = runner.invoke(cli, ["build", site])
    assert result.exit_code == 0 and "import './gone.js' names /static/js/gone.js" in result.output
    result = runner.invoke(cli, ["build", site, "--strict"])
    assert result.exit_code == 2
    assert "gone.js" in result.output and "--strict" in result.output and "Traceback" not in result.output


def test_flask_cdn_build_reads_cdn_js_modules(runner: CliRunner, make_tree: MakeTree, tmp_path: Path) -> None:
    app = Flask(__name__, root_path=str(tmp_path), static_folder=str(make_tree(FILES)))
    app.config.update(CDN_JS_MODULES="js/")
    result = app.test_cli_runner().invoke(cdn_cli, ["build"])
    assert result.exit_code == 0, result.output
    assert modules(tmp_path / "cdnpub-manifest.json") == ["js/app.js", "js/b.js", "lib/x.mjs"]
    result = app.test_cli_runner().invoke(cdn_cli, ["build", "--js-modules", "vendor/"])
    assert modules(tmp_path / "cdnpub-manifest.json") == ["lib/x.mjs", "vendor/old.js"]


def test_flask_cdn_build_warns_of_a_bare_import_no_pin_maps(
    runner: CliRunner, make_tree: MakeTree, tmp_path: Path
) -> None:
    # importmap-rails #258: an unmapped bare specifier stops the whole module graph in the
    # browser ("Failed to resolve module specifier"); found at build time instead.
    files = {"js/app.js": 'import "lit"; import "controllers/a.js"; import "cart";', "js/cart.js": ""}
    app = Flask(__name__, root_path=str(tmp_path), static_folder=str(make_tree(files)))
    app.config.update(CDN_IMPORTMAP_PINS={"cart": "js/cart.js", "controllers/": "js/controllers/"})
    result = app.test_cli_runner().invoke(cdn_cli, ["build"])
    assert result.exit_code == 0, result.output
    assert (
        "js/app.js: import 'lit' is a bare specifier that no CDN_IMPORTMAP_PINS entry maps" in result.output
    )
    assert "'cart'" not in result.output
    # issue 22: a folder pin maps only the modules under it; js/controllers/a.js is none
    assert "import 'controllers/a.js' is a bare specifier pinned to 'js/controllers/a.js'" in result.output
    result = app.test_cli_runner().invoke(cdn_cli, ["build", "--strict"])
    assert result.exit_code == 2 and "'lit'" in result.output
