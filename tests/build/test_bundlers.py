"""Bundler manifests: the files they list keep their names (immutable, no plain copy,
bytes as the bundler wrote them), whatever the name looks like; the manifests themselves
are not published unless asked; a broken Vite manifest stops the build."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.build.bundlers import (
    Listed,
    esbuild_files,
    renamed,
    resolve_url,
    sniff,
    vite_files,
    webpack_files,
)
from cdnpub.build.digest import read_all
from cdnpub.build.fingerprint import build
from cdnpub.build.model import Asset, Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from tests.support.trees import write_tree

MakeTree = Callable[..., Path]

# A manifest as Vite 8 (Rolldown) writes tests/vite_app's: names Rollup's fallback pattern does
# not recognise (main-ogulhqqz.css, admin-DnxlgDv_.css) are kept all the same.
VITE = {
    "_shared-Br8DK0F1.js": {
        "file": "assets/shared-Br8DK0F1.js",
        "name": "shared",
        "css": ["assets/shared-5q7pREkT.css"],
    },
    "_shared-5q7pREkT.css": {"file": "assets/shared-5q7pREkT.css", "src": "_shared-5q7pREkT.css"},
    "src/main.js": {
        "file": "assets/main-aJs-tnuq.js",
        "name": "main",
        "src": "src/main.js",
        "isEntry": True,
        "imports": ["_shared-Br8DK0F1.js"],
        "dynamicImports": ["src/lazy.js"],
        "css": ["assets/main-ogulhqqz.css"],
        "assets": ["assets/logo-2GwqehRm.svg"],
    },
    "src/lazy.js": {
        "file": "assets/lazy-B4tMPywf.js",
        "name": "lazy",
        "src": "src/lazy.js",
        "isDynamicEntry": True,
    },
    "src/logo.svg": {"file": "assets/logo-2GwqehRm.svg", "src": "src/logo.svg"},
}
VITE_OUTPUT = {
    "assets/shared-Br8DK0F1.js": "export const s=1;\n",  # build.sourcemap: "hidden"
    "assets/shared-5q7pREkT.css": "header{color:red}",
    "assets/main-aJs-tnuq.js": 'import"./shared-Br8DK0F1.js";import("./lazy-B4tMPywf.js");\n',
    "assets/main-ogulhqqz.css": "body{background:url(./logo-2GwqehRm.svg)}",
    "assets/lazy-B4tMPywf.js": "export const l=1;",
    "assets/logo-2GwqehRm.svg": "<svg/>",
}


def site_with_vite(make_tree: MakeTree, manifest: object = VITE, extra: dict[str, str] | None = None) -> Path:
    files: dict[str, str] = {f"dist/{k}": v for k, v in VITE_OUTPUT.items()}
    files["css/site.css"] = "body{margin:0}"
    files["dist/.vite/manifest.json"] = json.dumps(manifest)
    files.update(extra or {})
    return make_tree(files)


def built(root: Path, **options: object) -> Build:
    return build([Source(scan(root))], BuildOptions(**options))  # type: ignore[arg-type]


def asset(result: Build, path: str) -> Asset:
    return next(a for a in result.assets if a.path == path)


def test_every_file_vite_lists_keeps_its_name_and_gets_no_plain_copy(make_tree: MakeTree) -> None:
    result = built(site_with_vite(make_tree))
    for path in VITE_OUTPUT:
        a = asset(result, f"dist/{path}")
        assert (a.key, a.plain_key) == (f"static/dist/{path}", None)
        assert "immutable" in a.headers.fingerprinted_cache_control


def test_source_maps_beside_vite_output_are_ordinary_files(make_tree: MakeTree) -> None:
    """No bundler's hash covers its maps (webpack#6190, rollup#6499): a map gets other
    bytes under the same name when only a comment changed, so it is never immutable."""
    root = site_with_vite(make_tree, extra={"dist/assets/shared-Br8DK0F1.js.map": '{"version":3}'})
    a = asset(built(root), "dist/assets/shared-Br8DK0F1.js.map")
    assert a.plain_key == "static/dist/assets/shared-Br8DK0F1.js.map" and a.key != a.plain_key


def test_vite_output_is_published_byte_for_byte(make_tree: MakeTree) -> None:
    root = site_with_vite(make_tree)
    result = built(root)
    for path, text in VITE_OUTPUT.items():
        a = asset(result, f"dist/{path}")
        assert read_all(a.fs_path, a.source_size, a.edits) == text.encode()


def test_files_vite_did_not_write_are_fingerprinted_as_usual(make_tree: MakeTree) -> None:
    a = asset(built(site_with_vite(make_tree)), "css/site.css")
    assert a.plain_key == "static/css/site.css" and a.key != a.plain_key


def test_vite_manifest_is_not_published_unless_asked(make_tree: MakeTree) -> None:
    root = site_with_vite(make_tree)
    assert "dist/.vite/manifest.json" not in {a.path for a in built(root).assets}
    published = asset(built(root, publish_bundler_manifests=True), "dist/.vite/manifest.json")
    assert published.plain_key == "static/dist/.vite/manifest.json"


def test_older_vite_manifest_in_the_out_dir_is_read_and_not_published(make_tree: MakeTree) -> None:
    files = {f"dist/{k}": v for k, v in VITE_OUTPUT.items()}
    files["dist/manifest.json"] = json.dumps(VITE)
    result = built(make_tree(files))
    assert asset(result, "dist/assets/main-ogulhqqz.css").plain_key is None
    assert "dist/manifest.json" not in {a.path for a in result.assets}


def test_a_broken_vite_manifest_is_a_user_error_naming_it(make_tree: MakeTree) -> None:
    root = make_tree({"dist/assets/a-Br8DK0F1.js": "a", "dist/.vite/manifest.json": "{not json"})
    with pytest.raises(UserError, match=r"dist/\.vite/manifest\.json: not valid JSON"):
        built(root)


def test_a_vite_manifest_of_another_shape_is_a_user_error(make_tree: MakeTree) -> None:
    root = site_with_vite(make_tree, manifest={"src/main.js": {"fileName": "x.js"}})
    with pytest.raises(UserError, match="not a Vite manifest"):
        built(root)


def test_a_stale_vite_manifest_warns_naming_a_missing_file(make_tree: MakeTree) -> None:
    stale = {**VITE, "src/gone.js": {"file": "assets/gone-Xy3kQ9aB.js", "name": "gone"}}
    result = built(site_with_vite(make_tree, manifest=stale))
    assert any(
        "dist/assets/gone-Xy3kQ9aB.js" in w and "not in the static folder" in w for w in result.warnings
    )


def test_a_stale_manifest_is_an_error_with_strict(make_tree: MakeTree) -> None:
    stale = {**VITE, "src/gone.js": {"file": "assets/gone-Xy3kQ9aB.js", "name": "gone"}}
    with pytest.raises(UserError, match="--strict"):
        built(site_with_vite(make_tree, manifest=stale), strict=True)


def test_a_file_vite_did_not_rename_is_fingerprinted_with_a_warning(make_tree: MakeTree) -> None:
    """`entryFileNames: "[name].js"`: main.js does not change name with its content."""
    manifest = {
        "src/main.js": {"file": "assets/main.js", "name": "main", "src": "src/main.js", "isEntry": True}
    }
    root = make_tree({"dist/assets/main.js": "x", "dist/.vite/manifest.json": json.dumps(manifest)})
    result = built(root)
    assert asset(result, "dist/assets/main.js").plain_key == "static/dist/assets/main.js"
    assert any("no content hash" in w and "dist/assets/main.js" in w for w in result.warnings)


def test_a_web_app_manifest_json_is_an_ordinary_file(make_tree: MakeTree) -> None:
    pwa = {"name": "Shop", "icons": [{"src": "icon.png", "sizes": "192x192"}], "start_url": "/"}
    result = built(make_tree({"manifest.json": json.dumps(pwa), "icon.png": "png"}))
    assert asset(result, "manifest.json").plain_key == "static/manifest.json"
    assert result.warnings == ()


def test_a_web_app_manifest_of_strings_only_is_an_ordinary_file(make_tree: MakeTree) -> None:
    pwa = {"name": "Shop", "short_name": "S", "start_url": "/", "display": "standalone"}
    result = built(make_tree({"manifest.json": json.dumps(pwa)}))
    assert asset(result, "manifest.json").plain_key == "static/manifest.json"
    assert result.warnings == ()


def test_a_manifest_json_naming_none_of_the_files_beside_it_is_an_ordinary_file(make_tree: MakeTree) -> None:
    """A stray copy of another project's webpack manifest: nothing is kept, nothing lost."""
    other = {"main.js": "/static/build/main.1a2b3c4d.js"}
    result = built(make_tree({"manifest.json": json.dumps(other), "main.js": "m"}))
    assert asset(result, "manifest.json").plain_key == "static/manifest.json"
    assert asset(result, "main.js").plain_key == "static/main.js"


def test_a_manifest_json_that_is_not_json_is_an_ordinary_file(make_tree: MakeTree) -> None:
    result = built(make_tree({"manifest.json": "{"}))
    assert asset(result, "manifest.json").plain_key == "static/manifest.json"


def test_webpack_manifest_files_keep_their_names(make_tree: MakeTree) -> None:
    manifest = {
        "main.js": "/static/build/main.1a2b3c4d5e6f7a8b9c0d.js",
        "main.css": "/static/build/main.0d9c8b7a.css",
        "images/logo.png": "/static/build/images/logo.7d8e9f0a.png",
        "vendor.js": "/static/build/vendor.js",  # not hashed (a development build)
    }
    root = make_tree(
        {
            "build/manifest.json": json.dumps(manifest),
            "build/main.1a2b3c4d5e6f7a8b9c0d.js": "m",
            "build/main.0d9c8b7a.css": "c",
            "build/images/logo.7d8e9f0a.png": "p",
            "build/vendor.js": "v",
        }
    )
    result = built(root)
    assert asset(result, "build/images/logo.7d8e9f0a.png").plain_key is None
    assert asset(result, "build/vendor.js").plain_key == "static/build/vendor.js"
    assert "build/manifest.json" not in {a.path for a in result.assets}


def test_esbuild_metafile_outputs_keep_their_names(
    make_tree: MakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outputs whose names hold no pattern-shaped hash (all letters) are kept as listed."""
    root = make_tree({"js/app-QWERTYUI.js": "a", "js/app.js": "plain entry", "js/chunk-ASDFGHJK.js": "c"})
    meta = {
        "inputs": {"src/app.ts": {"bytes": 1}},
        "outputs": {
            "static/js/app-QWERTYUI.js": {"entryPoint": "src/app.ts", "inputs": {"src/app.ts": {}}},
            "static/js/app.js": {"entryPoint": "src/app.ts", "inputs": {}},
            "static/js/chunk-ASDFGHJK.js": {"inputs": {"src/a.ts": {}, "src/b.ts": {}}},
        },
    }
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    monkeypatch.chdir(tmp_path)
    result = built(root, esbuild_metafile="meta.json")
    assert asset(result, "js/app-QWERTYUI.js").plain_key is None
    assert asset(result, "js/chunk-ASDFGHJK.js").plain_key is None
    assert asset(result, "js/app.js").plain_key == "static/js/app.js"


def test_a_missing_esbuild_metafile_is_a_user_error(make_tree: MakeTree) -> None:
    with pytest.raises(UserError, match="no such file"):
        built(make_tree({"a.js": "a"}), esbuild_metafile="/nonexistent/meta.json")


def test_blueprint_vite_output_is_kept_under_its_sub_prefix(make_tree: MakeTree) -> None:
    app = make_tree({"css/a.css": "a"}, name="app")
    bp = site_with_vite(make_tree)
    result = build([Source(scan(app)), Source(scan(bp), url_path="/admin/static", sub="admin")])
    a = asset(result, "admin/dist/assets/main-ogulhqqz.css")
    assert (a.key, a.plain_key) == ("static/admin/dist/assets/main-ogulhqqz.css", None)


# --- the parsers, as tables ---------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "kind"),
    [
        ({"src/main.js": {"file": "assets/main-Br8DK0F1.js"}}, "vite"),
        ({"main.js": "/static/main.0d9c8b7a.js"}, "webpack"),
        ({"name": "Shop", "icons": []}, None),
        ({"name": "Shop", "short_name": "S", "start_url": "/"}, None),  # a web app manifest's keys are words
        ({"main.js": "/static/main.0d9c8b7a.js", "name": "x"}, None),
        ({}, None),
        ([], None),
    ],
)
def test_sniff_tells_bundler_manifests_from_others(doc: object, kind: str | None) -> None:
    assert sniff(doc) == kind


def test_vite_files_lists_files_css_and_assets_once() -> None:
    files = {x.file for x in vite_files(VITE, "m")}
    assert files == {
        "assets/shared-Br8DK0F1.js",
        "assets/shared-5q7pREkT.css",
        "assets/main-aJs-tnuq.js",
        "assets/main-ogulhqqz.css",
        "assets/logo-2GwqehRm.svg",
        "assets/lazy-B4tMPywf.js",
    }


def test_vite_css_list_that_is_not_a_list_is_a_user_error() -> None:
    with pytest.raises(UserError, match="'css' must be a list"):
        vite_files({"a": {"file": "a-Br8DK0F1.js", "css": "x.css"}}, "m")


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        (Listed("assets/main-aJs-tnuq.js", "main"), True),
        (Listed("assets/main.js", "main"), False),
        (Listed("assets/main.js.map", "main"), False),
        (Listed("assets/chunk-ASDFGHJK.js", None), True),
        (Listed("/static/main.0d9c8b7a.js", "main"), True),
    ],
)
def test_renamed_means_the_bundler_put_something_into_the_name(listed: Listed, expected: bool) -> None:
    assert renamed(listed) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("main.0d9c8b7a.js", "build/main.0d9c8b7a.js"),
        ("/static/build/main.0d9c8b7a.js", "build/main.0d9c8b7a.js"),
        ("https://cdn.example.com/static/build/main.0d9c8b7a.js", "build/main.0d9c8b7a.js"),
        ("auto/main.0d9c8b7a.js", "build/main.0d9c8b7a.js"),  # webpack-manifest-plugin 5, publicPath "auto"
        ("automain.0d9c8b7a.js", "build/main.0d9c8b7a.js"),  # versions 3 and 4
        ("auto/app.0d9c8b7a.js", "build/auto/app.0d9c8b7a.js"),  # a folder named auto, when it is one
        ("/static/build/../css/site.css", None),  # leaves the output folder: not output
        ("../robots.txt", None),
        ("/static/build/img/a%20b.0d9c8b7a.png", "build/img/a b.0d9c8b7a.png"),
    ],
)
def test_webpack_urls_resolve_to_the_file_under_the_manifest(url: str, expected: str | None) -> None:
    files = frozenset({"build/main.0d9c8b7a.js", "build/img/a b.0d9c8b7a.png", "build/auto/app.0d9c8b7a.js"})
    assert resolve_url(url, "build", files) == expected


def test_webpack_files_of_another_shape_is_a_user_error() -> None:
    with pytest.raises(UserError, match="not a webpack manifest"):
        webpack_files({"a": 1}, "m")


def test_esbuild_files_without_outputs_is_a_user_error() -> None:
    with pytest.raises(UserError, match="not an esbuild metafile"):
        esbuild_files({"inputs": {}}, "meta.json")


def test_flask_cdn_build_keeps_the_vite_output_of_the_app_static_folder(tmp_path: Path) -> None:
    from flask import Flask

    from cdnpub.flask.commands import cdn_cli

    site_with_vite(lambda files: write_tree(tmp_path / "static", files))
    app = Flask("shop", root_path=str(tmp_path))
    result = app.test_cli_runner().invoke(cdn_cli, ["build", "--json"])
    assert result.exit_code == 0, result.output
    assets = json.loads((tmp_path / "cdnpub-manifest.json").read_text())["assets"]
    assert assets["dist/assets/main-ogulhqqz.css"]["plain_key"] is None
    assert "dist/.vite/manifest.json" not in assets


def test_flask_cdn_build_reads_the_esbuild_metafile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask import Flask

    from cdnpub.flask.commands import cdn_cli

    write_tree(tmp_path / "static", {"js/app-QWERTYUI.js": "a"})
    meta = {"outputs": {"static/js/app-QWERTYUI.js": {"entryPoint": "src/app.ts", "inputs": {}}}}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    monkeypatch.chdir(tmp_path)
    app = Flask("shop", root_path=str(tmp_path))
    result = app.test_cli_runner().invoke(cdn_cli, ["build", "--esbuild-metafile", "meta.json"])
    assert result.exit_code == 0, result.output
    assets = json.loads((tmp_path / "cdnpub-manifest.json").read_text())["assets"]
    assert assets["js/app-QWERTYUI.js"]["plain_key"] is None


def test_esbuild_metafile_can_be_named_in_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from cdnpub.cli import cli

    write_tree(tmp_path / "static", {"js/app-QWERTYUI.js": "a"})
    meta = {"outputs": {"static/js/app-QWERTYUI.js": {"entryPoint": "src/app.ts", "inputs": {}}}}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    (tmp_path / "pyproject.toml").write_text('[tool.cdnpub]\nesbuild-metafile = "meta.json"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", "static"])
    assert result.exit_code == 0, result.output
    assets = json.loads((tmp_path / "cdnpub-manifest.json").read_text())["assets"]
    assert assets["js/app-QWERTYUI.js"]["plain_key"] is None
