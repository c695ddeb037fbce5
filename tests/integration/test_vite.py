"""A real Vite build (tests/vite_app, Vite pinned in its package.json) inside a Flask
static folder, published over the moto server: Vite's files keep their names, bytes
and `immutable` header with no second copy, `cdn_vite_tags` names them on the CDN
with the SRI of the stored bytes, and without Vite's manifest the name pattern decides."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from cdnpub.flask.extension import CDN
from tests.support.aws import MotoServer
from tests.support.bucket import stored
from tests.support.cli import publish, run_cli
from tests.support.names import NOT_HASHED, PATTERN
from tests.vite_build import copy_of_vite_static

HAND_WRITTEN = {"css/site.css": "body{margin:0}\n", "robots.txt": "User-agent: *\n"}


@pytest.fixture
def static(tmp_path: Path) -> Path:
    folder = copy_of_vite_static(tmp_path / "app" / "static")
    for name, text in HAND_WRITTEN.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def vite_files(static: Path) -> dict[str, bytes]:
    """Vite's output, by path in the static folder, without its manifest."""
    dist = static / "dist"
    return {
        f"dist/{p.relative_to(dist).as_posix()}": p.read_bytes()
        for p in dist.rglob("*")
        if p.is_file() and ".vite" not in p.parts
    }


def test_vite_files_are_published_under_their_own_names_immutable_byte_for_byte(
    static: Path, bucket: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    result = publish(static, bucket, moto_server, "--manifest", str(tmp_path / "m.json"))
    assert result.exit_code == 0, result.output
    objects = stored(moto_server, bucket)
    vite = vite_files(static)
    kept = {p: data for p, data in vite.items() if not p.endswith(".map")}
    assert len(kept) == 10  # 2 entries, a shared and a lazy chunk, 4 stylesheets, 2 images
    for path, data in kept.items():
        obj = objects[f"static/{path}"]
        assert obj["Body"].read() == data, path
        assert obj["CacheControl"] == "public, max-age=31536000, immutable", path
    maps = json.loads((tmp_path / "m.json").read_text())["assets"]
    for path in set(vite) - set(kept):  # source maps: ordinary files, plain copy under their name
        assert (
            maps[path]["plain_key"] == f"static/{path}"
            and objects[f"static/{path}"]["Body"].read() == vite[path]
        )
    # Nothing else under dist/: no second fingerprint, no plain copy, not Vite's manifest.
    fingerprinted_maps = {maps[p]["key"] for p in set(vite) - set(kept)}
    assert {k for k in objects if k.startswith("static/dist/")} == {
        f"static/{p}" for p in vite
    } | fingerprinted_maps


def test_hand_written_files_beside_vite_output_are_fingerprinted_as_usual(
    static: Path, bucket: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    assert publish(static, bucket, moto_server, "--manifest", str(tmp_path / "m.json")).exit_code == 0
    entry = json.loads((tmp_path / "m.json").read_text())["assets"]["css/site.css"]
    assert entry["plain_key"] == "static/css/site.css" and entry["key"] != entry["plain_key"]
    assert {entry["key"], entry["plain_key"]} <= set(stored(moto_server, bucket))


def test_vite_tags_name_the_published_objects_with_their_sri(
    static: Path, bucket: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    manifest = tmp_path / "app" / "cdnpub-manifest.json"
    assert publish(static, bucket, moto_server, "--manifest", str(manifest)).exit_code == 0
    app = Flask("vite_app", root_path=str(tmp_path / "app"), static_folder=str(static))
    app.config.update(CDN_DOMAIN="cdn.test")
    CDN(app)
    with app.test_request_context("/"):
        html = render_template_string("{{ cdn_vite_tags('src/main.js') }}")
    objects = stored(moto_server, bucket)
    tags = html.splitlines()
    assert [t.split()[:2] for t in tags] == [
        ["<link", 'rel="stylesheet"'],
        ["<link", 'rel="stylesheet"'],
        ["<link", 'rel="modulepreload"'],
        ["<script", 'type="module"'],
    ]
    for tag in tags:
        if tag.startswith("<script"):
            url = tag.split('src="')[1].split('"')[0]
        else:
            url = tag.split('href="')[1].split('"')[0]
        assert url.startswith("https://cdn.test/static/dist/assets/"), tag
        body = objects[url.removeprefix("https://cdn.test/")]["Body"].read()
        sri = "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()
        assert f'integrity="{sri}"' in tag


def test_without_vite_manifest_the_pattern_decides_and_hand_written_names_are_fingerprinted(
    static: Path, tmp_path: Path
) -> None:
    shutil.rmtree(static / "dist" / ".vite")
    for name in NOT_HASHED:
        (static / "vendor" / name).parent.mkdir(parents=True, exist_ok=True)
        (static / "vendor" / name).write_text(f"/* {name} */")
    out = tmp_path / "m.json"
    result = run_cli("build", str(static), "--manifest", str(out))
    assert result.exit_code == 0, result.output
    assets = json.loads(out.read_text())["assets"]
    for name in NOT_HASHED:
        entry = assets[f"vendor/{name}"]
        assert entry["plain_key"] == f"static/vendor/{name}" and entry["key"] != entry["plain_key"], name
    vite = vite_files(static)
    kept = {p for p in vite if assets[p]["plain_key"] is None}
    assert kept == {p for p in vite if PATTERN.search(p.rsplit("/", 1)[1])}
    assert kept and kept != set(vite)  # some of Rollup's hashes pass the pattern, some do not


def test_manifest_entries_out_of_the_out_dir_or_without_a_hash_are_never_stored_immutable(
    static: Path, bucket: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    """A hand-edited manifest (issue 26): `"file": "../robots.txt"` names the user's file,
    `entryFileNames: "js/app.js"` a name that never changes. Both are fingerprinted: a
    short-cached plain copy, an immutable fingerprinted key, a warning each."""
    path = static / "dist" / ".vite" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["src/robots.js"] = {"file": "../robots.txt", "name": "robots", "src": "src/robots.js"}
    manifest["src/app.js"] = {"file": "js/app.js", "name": "main", "src": "src/app.js", "isEntry": True}
    path.write_text(json.dumps(manifest))
    (static / "dist" / "js").mkdir()
    (static / "dist" / "js" / "app.js").write_text("console.log(1)\n")
    result = publish(static, bucket, moto_server, "--manifest", str(tmp_path / "m.json"))
    assert result.exit_code == 0, result.output
    assert "outside its output folder" in result.output and "no content hash" in result.output
    objects = stored(moto_server, bucket)
    assets = json.loads((tmp_path / "m.json").read_text())["assets"]
    for name in ("robots.txt", "dist/js/app.js"):
        assert assets[name]["plain_key"] == f"static/{name}"
        assert "immutable" not in objects[f"static/{name}"]["CacheControl"], name
        assert objects[assets[name]["key"]]["CacheControl"] == "public, max-age=31536000, immutable"
