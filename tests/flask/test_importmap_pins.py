"""Folder pins as importmap-rails writes them (issue 22 point 8, rails/importmap-rails#66):
the `--strict` check and the rendered map are one rule; extensionless names and
`folder/index` resolve; a bare import the map cannot resolve is a warning, an error with
--strict."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.flask.commands import cdn_cli
from cdnpub.flask.importmap import import_map, preload_paths, resolves, unresolved
from cdnpub.manifest import Entry
from tests.support.trees import Tree, write_tree

ORIGIN = "https://cdn.example.com"
PINS = {"controllers/": "js/controllers/"}
APP: Tree = {
    "js/app.js": 'import "controllers/hello_controller";\nimport "controllers";\nimport "controllers/admin";\n',
    "js/controllers/index.js": "export {};\n",
    "js/controllers/hello_controller.js": "export default 1;\n",
    "js/controllers/admin/index.js": "export default 2;\n",
}


def entries_of(root: Path, tree: Tree) -> Mapping[str, Entry]:
    result = build([Source(scan(write_tree(root, tree)))], BuildOptions(prefix="static"))
    return from_build(result).entries


def test_extensionless_and_index_names_are_in_the_map(tmp_path: Path) -> None:
    entries = entries_of(tmp_path / "static", APP)
    imports = import_map(entries, ORIGIN, PINS)["imports"]
    hello = f"{ORIGIN}/{entries['js/controllers/hello_controller.js'].key}"
    assert imports["controllers/hello_controller"] == hello
    assert imports["controllers/hello_controller.js"] == hello
    assert imports["controllers"] == f"{ORIGIN}/{entries['js/controllers/index.js'].key}"
    assert imports["controllers/admin"] == f"{ORIGIN}/{entries['js/controllers/admin/index.js'].key}"
    assert unresolved(entries, PINS) == []


def test_preloads_follow_extensionless_pins(tmp_path: Path) -> None:
    entries = entries_of(tmp_path / "static", APP)
    assert "js/controllers/hello_controller.js" in preload_paths(entries, "js/app.js", PINS)


def test_a_bare_import_the_map_cannot_resolve_is_a_warning(tmp_path: Path) -> None:
    entries = entries_of(
        tmp_path / "static", {**APP, "js/app.js": 'import "controllers/missing_controller";\n'}
    )
    found = unresolved(entries, PINS)
    assert found == [
        "js/app.js: import 'controllers/missing_controller' is a bare specifier pinned to "
        "'js/controllers/missing_controller', no module"
    ]
    imports: Mapping[str, Any] = import_map(entries, ORIGIN, PINS)["imports"]
    assert not resolves("controllers/missing_controller", imports)


def test_flask_cdn_build_strict_refuses_a_missing_pinned_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path / "static", {**APP, "js/app.js": 'import "controllers/missing_controller";\n'})
    app = Flask("shop", root_path=str(tmp_path))
    app.config.update(CDN_IMPORTMAP_PINS=PINS)
    result = app.test_cli_runner().invoke(cdn_cli, ["build", "--strict"])
    assert result.exit_code == 2
    assert "import 'controllers/missing_controller'" in result.output and "(--strict)" in result.output
    app.config.update(CDN_IMPORTMAP_PINS=PINS)
    ok = app.test_cli_runner().invoke(cdn_cli, ["build"])
    assert ok.exit_code == 0 and "missing_controller" in ok.stderr


def test_a_folder_pin_with_no_module_under_it_is_a_warning(tmp_path: Path) -> None:
    entries = entries_of(tmp_path / "static", {"js/app.js": "export {};\n"})
    assert unresolved(entries, {"widgets/": "js/widgets/"}) == [
        "CDN_IMPORTMAP_PINS: 'js/widgets/' is no module of the static folders"
    ]


def test_one_warning_per_unmapped_specifier_not_per_module(tmp_path: Path) -> None:
    tree = {f"js/m{i}.js": 'import "react";\nimport "lit";\nexport {};\n' for i in range(4)}
    assert unresolved(entries_of(tmp_path / "static", tree), {}) == [
        "js/m0.js: import 'react' (and 3 more modules) is a bare specifier that no CDN_IMPORTMAP_PINS entry maps",
        "js/m0.js: import 'lit' (and 3 more modules) is a bare specifier that no CDN_IMPORTMAP_PINS entry maps",
    ]
