"""Careless and hostile bundler manifests and metafiles (issue 26): nothing that is not
content-hashed is kept `immutable` under its plain name, a manifest never reaches out
of its folder, and no input ends in a traceback or a hang: one line, exit 2."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Asset, Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from tests.support.cli import run_main

MakeTree = Callable[..., Path]


def built(root: Path, **options: object) -> Build:
    return build([Source(scan(root))], BuildOptions(**options))  # type: ignore[arg-type]


def asset(result: Build, path: str) -> Asset:
    return next(a for a in result.assets if a.path == path)


def assert_fingerprinted(result: Build, path: str) -> None:
    """Not kept: a fingerprinted key, a short-cached plain copy under its name."""
    a = asset(result, path)
    assert a.plain_key == f"static/{path}"
    assert a.key != a.plain_key


def vite_manifest(*chunks: tuple[str, str]) -> str:
    return json.dumps(
        {src: {"file": file, "name": "main", "src": src, "isEntry": True} for src, file in chunks}
    )


# -- 1. entries that leave their output folder are not bundler output -------------------


def test_a_vite_entry_outside_its_out_dir_is_not_kept(make_tree: MakeTree) -> None:
    manifest = vite_manifest(("src/main.js", "assets/main-Br8DK0F1.js"), ("src/robots.js", "../robots.txt"))
    root = make_tree(
        {
            "robots.txt": "User-agent: *",
            "dist/assets/main-Br8DK0F1.js": "m",
            "dist/.vite/manifest.json": manifest,
        }
    )
    result = built(root)
    assert_fingerprinted(result, "robots.txt")
    assert asset(result, "dist/assets/main-Br8DK0F1.js").plain_key is None
    assert any("outside its output folder" in w and "../robots.txt" in w for w in result.warnings)


def test_a_webpack_url_stepping_out_of_its_folder_is_not_kept(make_tree: MakeTree) -> None:
    manifest = {"main.js": "/static/build/main.3f2a1b.js", "site.css": "/static/build/../css/site.css"}
    root = make_tree(
        {"css/site.css": "a{}", "build/main.3f2a1b.js": "m", "build/manifest.json": json.dumps(manifest)}
    )
    result = built(root)
    assert_fingerprinted(result, "css/site.css")
    assert asset(result, "build/main.3f2a1b.js").plain_key is None
    assert any("outside its output folder" in w for w in result.warnings)


def test_an_esbuild_output_stepping_out_of_its_folder_is_not_kept(
    make_tree: MakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree({"css/site.css": "a{}", "dist/app-5LOLJQPB.js": "a"})
    meta = {
        "outputs": {
            "static/dist/../css/site.css": {"inputs": {}},
            "static/dist/app-5LOLJQPB.js": {"inputs": {}},
        }
    }
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    monkeypatch.chdir(tmp_path)
    result = built(root, esbuild_metafile="meta.json")
    assert_fingerprinted(result, "css/site.css")
    assert any("outside its output folder" in w for w in result.warnings)


# -- 2. a listed name without a hash is fingerprinted, with a warning -------------------


def test_webpack_output_filename_without_a_hash_is_fingerprinted(make_tree: MakeTree) -> None:
    """`output.filename: "bundle.js"`: the key `main.js` differs from the name, no hash in it."""
    manifest = {"main.js": "/static/build/bundle.js"}
    root = make_tree({"build/bundle.js": "b", "build/manifest.json": json.dumps(manifest)})
    result = built(root)
    assert_fingerprinted(result, "build/bundle.js")
    assert any("no content hash" in w and "build/bundle.js" in w for w in result.warnings)


def test_vite_entry_file_names_without_a_hash_are_fingerprinted(make_tree: MakeTree) -> None:
    """`entryFileNames: "js/app.js"`: renamed from `main`, but nothing in it changes with the bytes."""
    root = make_tree(
        {"dist/js/app.js": "a", "dist/.vite/manifest.json": vite_manifest(("src/main.js", "js/app.js"))}
    )
    result = built(root)
    assert_fingerprinted(result, "dist/js/app.js")
    assert any("no content hash" in w and "dist/js/app.js" in w for w in result.warnings)


# -- 8. a .vite/manifest.json linked out of the folder ----------------------------------


def test_a_vite_manifest_linked_out_of_the_folder_is_an_error_naming_it(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.json"
    outside.write_text(vite_manifest(("src/main.js", "assets/main-Br8DK0F1.js")))
    root = make_tree({"dist/assets/main-Br8DK0F1.js": "m"})
    (root / "dist/.vite").mkdir()
    os.symlink(outside, root / "dist/.vite/manifest.json")
    with pytest.raises(UserError, match=r"dist/\.vite/manifest\.json is a symlink out of the static folder"):
        built(root, publish_bundler_manifests=True)


# -- 11. deep nesting: one line, not RecursionError -------------------------------------

DEEP = "[" * 200_000 + "]" * 200_000


def test_a_deeply_nested_vite_manifest_is_one_line(make_tree: MakeTree) -> None:
    root = make_tree({"dist/a.js": "a", "dist/.vite/manifest.json": DEEP})
    with pytest.raises(UserError, match="nested too deeply"):
        built(root)


@pytest.mark.parametrize("name", ["manifest.json", "asset-manifest.json"])
def test_a_deeply_nested_data_file_is_an_ordinary_file(make_tree: MakeTree, name: str) -> None:
    result = built(make_tree({name: DEEP}))
    assert asset(result, name).plain_key == f"static/{name}"


def test_a_deeply_nested_webpack_document_is_walked_without_recursion(make_tree: MakeTree) -> None:
    """Deep, but within the JSON parser's reach: the walk is a loop."""
    doc = '{"files":[' * 300 + '"build/main.3f2a1b9c.js"' + "]}" * 300
    root = make_tree({"build/main.3f2a1b9c.js": "m", "asset-manifest.json": doc})
    assert asset(built(root), "build/main.3f2a1b9c.js").plain_key is None


def test_a_deeply_nested_esbuild_metafile_is_exit_2_one_line(
    make_tree: MakeTree,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = make_tree({"a.js": "a"})
    (tmp_path / "meta.json").write_text('{"outputs":' + DEEP + "}")
    code, err = run_main(
        capsys, monkeypatch, "build", str(root), "--esbuild-metafile", str(tmp_path / "meta.json")
    )
    assert code == 2
    assert err.strip().count("\n") == 0 and "nested too deeply" in err and "Traceback" not in err


# -- 12. a metafile that is not a regular file ------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_an_esbuild_metafile_that_is_not_a_regular_file_is_refused(
    make_tree: MakeTree,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    root = make_tree({"a.js": "a"})
    path = {"fifo": str(tmp_path / "meta.fifo"), "device": "/dev/zero", "folder": str(tmp_path)}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    code, err = run_main(capsys, monkeypatch, "build", str(root), "--esbuild-metafile", path)
    assert code == 2
    assert err.startswith("cdnpub: ") and err.strip().count("\n") == 0, err
    assert "not a regular file" in err


def test_a_deeply_nested_vite_manifest_is_exit_2_one_line(
    make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_tree({"dist/a.js": "a", "dist/.vite/manifest.json": DEEP})
    code, err = run_main(capsys, monkeypatch, "build", str(root))
    assert code == 2
    assert err.startswith("cdnpub: ") and err.strip().count("\n") == 0 and "nested too deeply" in err, err
