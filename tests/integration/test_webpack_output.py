"""A real webpack 5 build (tests/webpack_app: webpack's defaults; webpack-manifest-plugin in
its default and custom-`generate` forms, webpack-bundle-tracker, webpack-assets-manifest) published over the moto server: every file webpack
wrote keeps its name, its bytes and the `immutable` header, gets no plain-name copy (the
page loads it by webpack's name), and the manifest itself is not published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.aws import MotoServer
from tests.support.bucket import stored
from tests.support.cli import publish
from tests.webpack_build import FORMS, webpack_static_folder


@pytest.mark.parametrize("form", FORMS)
def test_webpack_output_keeps_its_names_bytes_and_immutable_header(
    tmp_path: Path, bucket: str, moto_server: MotoServer, form: str
) -> None:
    built = webpack_static_folder(form)
    written = sorted(p.relative_to(built).as_posix() for p in (built / "build").rglob("*") if p.is_file())
    manifest = f"build/{FORMS[form]}"
    assert manifest in written
    outputs = [p for p in written if p != manifest]
    assert len(outputs) >= 10  # 2 entries, a shared and a lazy chunk, their CSS, 2 images
    result = publish(built, bucket, moto_server, "--manifest", str(tmp_path / "m.json"))
    assert result.exit_code == 0, result.output
    assert "hold no content hash" not in result.output and "names none" not in result.output
    objects = stored(moto_server, bucket)
    for path in outputs:
        obj = objects[f"static/{path}"]
        assert obj["Body"].read() == (built / path).read_bytes(), path
        assert obj["CacheControl"] == "public, max-age=31536000, immutable", path
    assert f"static/{manifest}" not in objects
    assets = json.loads((tmp_path / "m.json").read_text())["assets"]
    assert sorted(assets) == outputs
    assert all(assets[p]["plain_key"] is None for p in outputs)
    assert len(objects) == len(outputs)  # no second hash, no plain copy
