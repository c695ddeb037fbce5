"""Kept names over a real moto server: a bundler-named file is served immutable under its
own name, so the bucket holds exactly its bytes, a later publish never changes them, and
other bytes under the same name end the publish before anything is written."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from cdnpub.aws.s3 import S3Store
from cdnpub.build.fingerprint import build
from cdnpub.build.model import Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.sync.plan import History, Listing, RemoteObject, blobs, desired_release, plan
from cdnpub.sync.publish import confirm_kept
from tests.support.aws import MotoServer
from tests.support.cli import publish
from tests.support.trees import write_tree

KEPT = "assets/index-4f3a9c1d.css"
KEPT_JS = "assets/index-5e6f7a8b.js"
CSS = "@font-face{font-family:B;src:url(/static/fonts/brand.woff2)}\n/*# sourceMappingURL=index.css.map */\n"
JS = "run()\n//# sourceMappingURL=index-5e6f7a8b.js.map\n"
FILES = {
    KEPT: CSS,
    "assets/index.css.map": '{"version":3,"sources":["a"]}',
    KEPT_JS: JS,
    "assets/index-5e6f7a8b.js.map": '{"version":3,"sources":["b"]}',
    "fonts/brand.woff2": b"wOF2-one",
}


def manifest() -> dict[str, Any]:
    return json.loads(Path("cdnpub-manifest.json").read_text())["assets"]


def stored(server: MotoServer, bucket: str, key: str) -> bytes:
    return server.client().get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "static", FILES)


def test_kept_names_hold_their_own_bytes_and_the_manifest_describes_them(
    moto_server: MotoServer, bucket: str, bundled: Path
) -> None:
    assert publish(bundled, bucket, moto_server).exit_code == 0
    for logical in (KEPT, KEPT_JS):
        entry = manifest()[logical]
        body = stored(moto_server, bucket, entry["key"])
        assert body == (bundled / logical).read_bytes()
        assert entry["key"] == f"static/{logical}"
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        assert "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode() == entry["integrity"]


@pytest.mark.parametrize("extra", [(), ("--verify",)])
def test_kept_name_keeps_its_bytes_when_the_font_and_the_map_it_names_change(
    moto_server: MotoServer, bucket: str, bundled: Path, extra: tuple[str, ...]
) -> None:
    assert publish(bundled, bucket, moto_server).exit_code == 0
    before = {k: stored(moto_server, bucket, f"static/{k}") for k in (KEPT, KEPT_JS)}
    write_tree(
        bundled,
        {
            "fonts/brand.woff2": b"wOF2-two",  # same size, other bytes
            "assets/index.css.map": '{"version":3,"sources":["c"]}',
            "assets/index-5e6f7a8b.js.map": '{"version":3,"sources":["d"]}',
        },
    )
    moto_server.reset_log()
    result = publish(bundled, bucket, moto_server, *extra)
    assert result.exit_code == 0, result.output
    written = {unquote(r.path).split("/", 2)[2] for r in moto_server.puts()}
    assert not written & {f"static/{KEPT}", f"static/{KEPT_JS}"}
    for logical, body in before.items():
        assert stored(moto_server, bucket, f"static/{logical}") == body == (bundled / logical).read_bytes()
        assert manifest()[logical]["sha256"] == hashlib.sha256(body).hexdigest()
    # what the kept files name by plain name now serves the new bytes
    assert stored(moto_server, bucket, "static/fonts/brand.woff2") == b"wOF2-two"


@pytest.mark.parametrize("extra", [(), ("--verify",)])
def test_other_bytes_under_a_published_kept_name_is_exit_2_and_nothing_is_written(
    moto_server: MotoServer, bucket: str, bundled: Path, extra: tuple[str, ...]
) -> None:
    assert publish(bundled, bucket, moto_server).exit_code == 0
    (bundled / KEPT).write_text(CSS.replace("B;", "C;"))  # same size, same name
    (bundled / "fonts/brand.woff2").write_bytes(b"wOF2-new")
    moto_server.reset_log()
    result = publish(bundled, bucket, moto_server, *extra)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "index-4f3a9c1d.css" in result.output and "immutable" in result.output
    assert moto_server.site_writes() == []
    assert stored(moto_server, bucket, f"static/{KEPT}") == CSS.encode()


def test_a_kept_name_whose_etag_cannot_tell_is_read_back(
    moto_server: MotoServer, bucket: str, bundled: Path
) -> None:
    """An ETag that is no MD5 (SSE-KMS) and no record: the bytes are read and compared."""
    result = build([Source(scan(bundled))])
    blob = next(b for b in blobs(result) if b.asset.path == KEPT)
    s3 = moto_server.client()
    store = S3Store(s3, bucket)
    now = datetime.now(timezone.utc)
    listing = Listing("static", {blob.key: RemoteObject(blob.key, blob.asset.size, "kms-etag", now)})
    todo = plan(result, bucket, listing, History(), desired_release(result, {}, now))
    assert todo.unverified == (blob,)
    s3.put_object(Bucket=bucket, Key=blob.key, Body=CSS.encode())
    confirm_kept(todo, store)  # the same bytes: no error
    s3.put_object(Bucket=bucket, Key=blob.key, Body=CSS.replace("B;", "C;").encode())
    with pytest.raises(UserError, match="index-4f3a9c1d.css: other bytes"):
        confirm_kept(todo, store)
