import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.manifest import ModuleImports, dumps, read, write

MakeTree = Callable[..., Path]


@pytest.fixture
def site(make_tree: MakeTree) -> Path:
    return make_tree({"css/a.css": "a{background:url(../i.png)}", "i.png": b"png", "z.js": "x"})


def test_manifest_maps_logical_paths_to_keys_sizes_hashes_and_headers(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    write(from_build(build([Source(scan(site))])), path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "cdnpub-manifest" and doc["version"] == 2 and doc["prefix"] == "static"
    entry = doc["assets"]["i.png"]
    assert entry["key"].startswith("static/i.") and entry["plain_key"] == "static/i.png"
    assert entry["size"] == 3 and len(entry["sha256"]) == 64
    assert entry["integrity"].startswith("sha384-")
    assert entry["content_type"] == "image/png"
    assert entry["cache_control"] == "public, max-age=31536000, immutable"
    assert entry["immutable"] is True


def test_same_input_gives_byte_identical_manifest(site: Path) -> None:
    first = dumps(from_build(build([Source(scan(site))], BuildOptions(jobs=1))))
    second = dumps(from_build(build([Source(scan(site))], BuildOptions(jobs=8))))
    assert first == second
    assert list(json.loads(first)["assets"]) == sorted(json.loads(first)["assets"])


def test_manifest_round_trips(site: Path, tmp_path: Path) -> None:
    manifest = from_build(build([Source(scan(site))]))
    write(manifest, tmp_path / "m.json")
    assert read(tmp_path / "m.json") == manifest


def test_missing_manifest_names_the_path_and_the_command(tmp_path: Path) -> None:
    with pytest.raises(
        UserError,
        match=r"manifest .*nope.json does not exist; `flask cdn publish` \(or `cdnpub publish`\) writes it",
    ):
        read(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"format": "other"}', "not a cdnpub manifest"),
        ('{"format": "cdnpub-manifest", "version": 99}', "version 99"),
        ('{"format": "cdnpub-manifest", "version": 1, "prefix": "s", "assets": {"a": {}}}', "corrupt"),
    ],
)
def test_corrupt_manifest_is_a_user_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "m.json").write_text(content)
    with pytest.raises(UserError, match=message):
        read(tmp_path / "m.json")


def test_written_manifest_is_readable_as_the_umask_allows(site: Path, tmp_path: Path) -> None:
    """Not mkstemp's 0600: the app that reads it may run as another user than the build."""
    old = os.umask(0o022)
    try:
        write(from_build(build([Source(scan(site))], BuildOptions())), tmp_path / "m.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == 0o644


@pytest.mark.parametrize("value", [None, 3, ""])
def test_manifest_entry_with_a_key_that_is_no_name_is_corrupt(
    site: Path, tmp_path: Path, value: object
) -> None:
    target = tmp_path / "m.json"
    write(from_build(build([Source(scan(site))], BuildOptions())), target)
    doc = json.loads(target.read_text())
    doc["assets"]["z.js"]["key"] = value
    target.write_text(json.dumps(doc))
    with pytest.raises(UserError, match="corrupt .*key is"):
        read(target)


V1_ENTRY = {
    "key": "static/app.0123456789.js", "plain_key": "static/app.js", "size": 1, "sha256": "a" * 64,
    "etag": '"e"', "integrity": "sha384-x", "content_type": "text/javascript; charset=utf-8",
    "cache_control": "public, max-age=31536000, immutable", "immutable": True,
}  # fmt: skip


def test_a_version_1_manifest_is_still_read_with_its_scripts_as_modules(tmp_path: Path) -> None:
    doc = {
        "format": "cdnpub-manifest", "version": 1, "prefix": "static",
        "assets": {"app.js": V1_ENTRY, "a.css": dict(V1_ENTRY, key="static/a.0123456789.css")},
    }  # fmt: skip
    (tmp_path / "m.json").write_text(json.dumps(doc))
    entries = read(tmp_path / "m.json").entries
    assert entries["app.js"].module == ModuleImports() and entries["a.css"].module is None
    assert entries["app.js"].key == "static/app.0123456789.js"


def test_module_imports_round_trip(make_tree: MakeTree, tmp_path: Path) -> None:
    site = make_tree({"app.js": 'import "./b.js"; import("./c.js"); import "lit";', "b.js": "", "c.js": ""})
    manifest = from_build(build([Source(scan(site))]))
    write(manifest, tmp_path / "m.json")
    assert read(tmp_path / "m.json").entries["app.js"].module == ModuleImports(("b.js",), ("c.js",), ("lit",))
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["assets"]["app.js"]["module"] == {
        "imports": ["b.js"], "dynamic_imports": ["c.js"], "bare_imports": ["lit"],
    }  # fmt: skip


@pytest.mark.parametrize("module", ["x", ["b.js"], {"imports": "b.js"}, {"imports": [3]}])
def test_a_module_record_that_is_no_list_of_names_is_corrupt(tmp_path: Path, module: object) -> None:
    doc = {
        "format": "cdnpub-manifest",
        "version": 2,
        "prefix": "static",
        "assets": {"app.js": dict(V1_ENTRY, module=module)},
    }
    (tmp_path / "m.json").write_text(json.dumps(doc))
    with pytest.raises(UserError, match="corrupt"):
        read(tmp_path / "m.json")


@pytest.mark.parametrize("paths", [[], ["a.css"], ["z\n.css", "é/ü.png", 'a "b".js', "a b.js"]])
def test_written_manifest_is_the_json_of_its_document_byte_for_byte(paths: list[str], tmp_path: Path) -> None:
    import json

    from cdnpub.manifest import Entry, Manifest, to_document

    entries = {
        p: Entry(
            f"static/{p}",
            None if n % 2 else f"static/x{n}",
            n,
            "ab" * 32,
            "cd" * 16,
            "sha384-x/+=",
            "text/css; charset=utf-8",
            "public, max-age=300",
            bool(n % 2),
        )
        for n, p in enumerate(paths)
    }
    manifest = Manifest("static", entries)
    expected = (
        json.dumps(to_document(manifest), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()
    write(manifest, tmp_path / "m.json")
    assert dumps(manifest) == expected == (tmp_path / "m.json").read_bytes()
