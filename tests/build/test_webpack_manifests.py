"""webpack output in the shapes real builds write: each manifest is read (not published),
every file it names keeps its name with no plain copy and is published byte for byte,
even a stylesheet whose `url()`s point at other files; a manifest shaped like a bundler's
that names nothing beside it is a warning, never silently an ordinary file.

The fixtures follow the plugins' documented output (webpack-manifest-plugin 5's emit hook,
webpack-bundle-tracker 3's `_handleDone`, create-react-app 5's `asset-manifest.json`,
webpack-assets-manifest 5's readme). `[contenthash:6]` names (`main.3f2a1b.js`) are too
short for the fallback pattern: only the manifest can keep them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.listed import Listed, carries_hash
from cdnpub.build.model import Asset, Build, BuildOptions, Source
from cdnpub.build.scan import scan

MakeTree = Callable[..., Path]

CSS = "body{background:url(../media/logo.6ce24c58.svg)}"  # webpack owns this reference
OUTPUT = {
    "build/js/main.3f2a1b.js": "console.log(1)",
    "build/js/787.28cb0d.chunk.js": "chunk",
    "build/css/main.9e8d7c.css": CSS,
    "build/media/logo.6ce24c58.svg": "<svg/>",
    "build/js/main.3f2a1b.js.map": "{}",
    "build/js/main.3f2a1b.js.LICENSE.txt": "/*! MIT */",
}
NAMES = ("build/js/main.3f2a1b.js", "build/js/787.28cb0d.chunk.js", "build/css/main.9e8d7c.css")


def built(root: Path, **options: object) -> Build:
    return build([Source(scan(root))], BuildOptions(**options))  # type: ignore[arg-type]


def asset(result: Build, path: str) -> Asset:
    return next(a for a in result.assets if a.path == path)


def assert_kept_byte_for_byte(result: Build, root: Path, paths: tuple[str, ...]) -> None:
    for path in paths:
        a = asset(result, path)
        assert (a.key, a.plain_key, a.edits) == (f"static/{path}", None, ()), path
        assert a.sha256 == hashlib.sha256((root / path).read_bytes()).hexdigest(), path


WEBPACK_MANIFEST_PLUGIN = {
    "main.js": "/static/build/js/main.3f2a1b.js",
    "787.js": "/static/build/js/787.28cb0d.chunk.js",
    "main.css": "/static/build/css/main.9e8d7c.css",
    "media/logo.svg": "/static/build/media/logo.6ce24c58.svg",
    "main.js.map": "/static/build/js/main.3f2a1b.js.map",
    "main.js.LICENSE.txt": "/static/build/js/main.3f2a1b.js.LICENSE.txt",  # terser's extracted comments
}
GENERATE = {  # webpack-manifest-plugin with a custom `generate` (entrypoints by chunk)
    "app": "shop",
    "entrypoints": {
        "main": {"js": ["/static/build/js/main.3f2a1b.js"], "css": ["/static/build/css/main.9e8d7c.css"]}
    },
    "files": {"main.js": "/static/build/js/main.3f2a1b.js", "787.js": "/static/build/js/787.28cb0d.chunk.js"},
    "assets": {"main.css": "/static/build/css/main.9e8d7c.css"},
}
CREATE_REACT_APP = {
    "files": {
        "main.css": "/static/build/css/main.9e8d7c.css",
        "main.js": "/static/build/js/main.3f2a1b.js",
        "js/787.chunk.js": "/static/build/js/787.28cb0d.chunk.js",
        "index.html": "/static/build/index.html",
        "main.3f2a1b.js.map": "/static/build/js/main.3f2a1b.js.map",
    },
    "entrypoints": ["css/main.9e8d7c.css", "js/main.3f2a1b.js"],
}
PUBLIC_PATH_AUTO_4 = {
    k: "auto" + v.removeprefix("/static/build/") for k, v in WEBPACK_MANIFEST_PLUGIN.items()
}
PUBLIC_PATH_AUTO_5 = {
    k: "auto/" + v.removeprefix("/static/build/") for k, v in WEBPACK_MANIFEST_PLUGIN.items()
}
ASSETS_MANIFEST_INTEGRITY = {  # webpack-assets-manifest with `integrity: true`
    "main.js": {"src": "js/main.3f2a1b.js", "integrity": "sha384-AAAA"},
    "787.js": {"src": "js/787.28cb0d.chunk.js", "integrity": "sha384-BBBB"},
    "main.css": {"src": "css/main.9e8d7c.css", "integrity": "sha384-CCCC"},
}
ASSETS_MANIFEST_ENTRYPOINTS = {  # webpack-assets-manifest with `entrypoints: true`
    "main.js": "js/main.3f2a1b.js",
    "787.js": "js/787.28cb0d.chunk.js",
    "main.css": "css/main.9e8d7c.css",
    "entrypoints": {"main": {"assets": {"js": ["js/main.3f2a1b.js"], "css": ["css/main.9e8d7c.css"]}}},
}


@pytest.mark.parametrize(
    ("name", "doc"),
    [
        ("manifest.json", WEBPACK_MANIFEST_PLUGIN),
        ("manifest.json", PUBLIC_PATH_AUTO_4),
        ("manifest.json", PUBLIC_PATH_AUTO_5),
        ("asset-manifest.json", CREATE_REACT_APP),
        ("assets-manifest.json", ASSETS_MANIFEST_INTEGRITY),
        ("assets-manifest.json", ASSETS_MANIFEST_ENTRYPOINTS),
    ],
    ids=["plugin", "auto-v4", "auto-v5", "create-react-app", "assets-integrity", "assets-entrypoints"],
)
def test_each_webpack_manifest_shape_keeps_its_files_byte_for_byte(
    make_tree: MakeTree, name: str, doc: object
) -> None:
    root = make_tree({**OUTPUT, f"build/{name}": json.dumps(doc), "build/index.html": "<html>"})
    result = built(root)
    assert_kept_byte_for_byte(result, root, NAMES)
    assert f"build/{name}" not in {a.path for a in result.assets}
    for ordinary in ("build/js/main.3f2a1b.js.map", "build/js/main.3f2a1b.js.LICENSE.txt"):
        assert asset(result, ordinary).plain_key == f"static/{ordinary}"
    assert result.warnings == ()


def test_a_custom_generate_manifest_keeps_what_it_names(make_tree: MakeTree) -> None:
    """Entries without a source name (`entrypoints` lists) are kept when their names
    show a hash; here the `files` and `assets` members give the sources."""
    root = make_tree({**OUTPUT, "build/manifest.json": json.dumps(GENERATE)})
    result = built(root)
    assert_kept_byte_for_byte(result, root, NAMES)
    assert "build/manifest.json" not in {a.path for a in result.assets}


def test_webpack_bundle_tracker_stats_keep_webpack_default_names(make_tree: MakeTree) -> None:
    """What django-webpack-loader reads: chunks by entry, assets with absolute paths."""
    names = ("bundles/main.1a2b3c4d5e6f7a8b9c0d.js", "bundles/01755571581f208371a3.woff")
    stats = {
        "status": "done",
        "chunks": {"main": ["main.1a2b3c4d5e6f7a8b9c0d.js"]},
        "assets": {
            n.removeprefix("bundles/"): {
                "name": n.removeprefix("bundles/"),
                "path": f"/home/ci/shop/static/{n}",
                "publicPath": "auto",
                "sourceFilename": "src/fonts/inter.woff",
            }
            for n in names
        },
    }
    root = make_tree({names[0]: "js", names[1]: "font", "bundles/webpack-stats.json": json.dumps(stats)})
    result = built(root)
    assert_kept_byte_for_byte(result, root, names)
    assert "bundles/webpack-stats.json" not in {a.path for a in result.assets}
    assert result.warnings == ()


def test_a_bundler_named_stylesheet_is_never_edited(make_tree: MakeTree) -> None:
    """Its `url()` names a file cdnpub fingerprints (not in the manifest): the stylesheet
    still keeps webpack's bytes, and the reference reaches the plain copy."""
    files = {"build/css/main.9e8d7c.css": "a{background:url(../img/plain.png)}", "build/img/plain.png": "p"}
    manifest = {"main.css": "/static/build/css/main.9e8d7c.css"}
    root = make_tree({**files, "build/manifest.json": json.dumps(manifest)})
    result = built(root)
    assert_kept_byte_for_byte(result, root, ("build/css/main.9e8d7c.css",))


@pytest.mark.parametrize("name", ["manifest.json", "asset-manifest.json", "webpack-stats.json"])
def test_a_webpack_manifest_naming_nothing_beside_it_is_a_warning(make_tree: MakeTree, name: str) -> None:
    doc = {"files": {"main.js": "/static/build/main.1a2b3c4d.js"}, "entrypoints": ["main.1a2b3c4d.js"]}
    root = make_tree({name: json.dumps(doc), "main.js": "m"})
    result = built(root)
    assert any(name in w and "names none of the files beside it" in w for w in result.warnings)
    assert asset(result, name).plain_key == f"static/{name}"


def test_a_webpack_manifest_naming_nothing_is_an_error_with_strict(make_tree: MakeTree) -> None:
    from cdnpub.errors import UserError

    root = make_tree({"asset-manifest.json": json.dumps({"files": {"a.js": "/a.1a2b3c4d.js"}}), "b.js": "b"})
    with pytest.raises(UserError, match="names none of the files beside it"):
        built(root, strict=True)


@pytest.mark.parametrize(
    ("file", "source", "expected"),
    [
        ("main.3f2a1b.js", "main", True),  # webpack added a hash to the source's name
        ("assets/main-ogulhqqz.css", "main", True),  # a Rolldown hash of letters only
        ("01755571581f208371a3.woff", "logo", True),  # [contenthash][ext]
        ("787.28cb0d.chunk.js", "787.chunk", True),
        ("main.3f2a1b9c.js.gz", "main.js", True),  # compression-webpack-plugin
        ("chunk-ASDFGHJK.js", None, True),  # esbuild base32
        ("shared-5q7pREkT.css", None, True),
        ("bundle.js", "main", False),  # output.filename: "bundle.js"
        ("js/app.js", "main", False),  # entryFileNames: "js/app.js"
        ("main.js", "main", False),  # [name].js
        ("my-bundle-2.js", None, False),
        ("application.js", "main", False),
        ("main.3f2a1b9c.js.map", "main", False),
    ],
)
def test_carries_hash_means_the_name_changes_with_the_bytes(
    file: str, source: str | None, expected: bool
) -> None:
    assert carries_hash(Listed(file, source)) is expected
