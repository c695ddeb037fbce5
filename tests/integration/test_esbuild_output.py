"""A real esbuild build (the esbuild Vite pins) with its metafile, published over the moto
server: every output it lists keeps its name, bytes and `immutable` header."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.aws import MotoServer
from tests.support.bucket import stored
from tests.support.cli import publish
from tests.vite_build import esbuild_static_folder


def test_esbuild_outputs_named_by_the_metafile_keep_their_names_and_bytes(
    tmp_path: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    static = esbuild_static_folder(tmp_path)
    monkeypatch.chdir(tmp_path)  # the metafile's paths are relative to where esbuild ran
    result = publish(static, bucket, moto_server, "--esbuild-metafile", "meta.json", "--manifest", "m.json")
    assert result.exit_code == 0, result.output
    outputs = json.loads((tmp_path / "meta.json").read_text())["outputs"]
    scripts = [p for p in outputs if not p.endswith(".map")]
    assert len(scripts) >= 6  # two entries, a shared and a lazy chunk, CSS, images
    objects = stored(moto_server, bucket)
    for path in scripts:
        obj = objects[path]  # static/dist/...: the key is the path esbuild wrote
        assert obj["Body"].read() == (tmp_path / path).read_bytes(), path
        assert obj["CacheControl"] == "public, max-age=31536000, immutable", path
    assets = json.loads((tmp_path / "m.json").read_text())["assets"]
    for path in set(outputs) - set(scripts):  # maps: ordinary files
        assert assets[path.removeprefix("static/")]["plain_key"] == path


def test_an_output_outside_the_metafile_folder_is_never_stored_immutable_under_its_name(
    tmp_path: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A metafile that names `static/dist/../css/site.css` (issue 26): the stylesheet is
    the user's, so its plain name is short-cached and its bytes get a fingerprinted key."""
    static = esbuild_static_folder(tmp_path)
    (static / "css").mkdir()
    (static / "css/site.css").write_text("body{margin:0}")
    meta = json.loads((tmp_path / "meta.json").read_text())
    meta["outputs"]["static/dist/../css/site.css"] = {"inputs": {}, "bytes": 14}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    monkeypatch.chdir(tmp_path)
    result = publish(static, bucket, moto_server, "--esbuild-metafile", "meta.json", "--manifest", "m.json")
    assert result.exit_code == 0, result.output
    assert "outside its output folder" in result.output
    objects = stored(moto_server, bucket)
    assert "immutable" not in objects["static/css/site.css"]["CacheControl"]
    immutable = [k for k, o in objects.items() if "immutable" in o["CacheControl"]]
    assert [k for k in immutable if k.startswith("static/css/")] != []  # the fingerprinted copy
    assert "static/css/site.css" not in immutable
