"""Headers read back from the emulator (issue 23): a charset only for UTF-8 bytes, .svgz as
gzip'd SVG, archives uncoded, and a Content-Encoding rule refused before any write."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.support.aws import MotoServer
from tests.support.cli import one_line_error, publish
from tests.support.trees import write_tree

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'

FILES = {
    "css/latin1.css": '@charset "iso-8859-1";\np::after { content: "Précis £"; }\n'.encode("latin-1"),
    "css/utf8.css": 'p::after { content: "Précis £"; }\n'.encode(),
    "notes/latin1.txt": "Précis £".encode("latin-1"),
    "notes/utf8.txt": "Précis £".encode(),
    "img/logo.svgz": gzip.compress(SVG, mtime=0),
    "dl/app.js.gz": gzip.compress(b"x", mtime=0),
}

EXPECTED = {
    "css/latin1.css": ("text/css", None),
    "css/utf8.css": ("text/css; charset=utf-8", None),
    "notes/latin1.txt": ("text/plain", None),
    "notes/utf8.txt": ("text/plain; charset=utf-8", None),
    "img/logo.svgz": ("image/svg+xml; charset=utf-8", "gzip"),
    "dl/app.js.gz": ("application/gzip", None),
}


def test_headers_follow_the_bytes(moto_server: MotoServer, bucket: str, tmp_path: Path) -> None:
    site = write_tree(tmp_path / "static", FILES)
    result = publish(site, bucket, moto_server)
    assert result.exit_code == 0, result.output
    assert result.output.count("is not UTF-8") == 2, result.output
    entries = json.loads(Path("cdnpub-manifest.json").read_text())["assets"]
    s3 = moto_server.client()
    for logical, (ctype, coding) in EXPECTED.items():
        for key in (entries[logical]["key"], entries[logical]["plain_key"]):
            head = s3.head_object(Bucket=bucket, Key=key)
            assert (head["ContentType"], head.get("ContentEncoding")) == (ctype, coding), key
            assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == FILES[logical], key


def test_a_content_encoding_rule_is_exit_2_before_any_write(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    Path("pyproject.toml").write_text(
        '[tool.cdnpub]\n[[tool.cdnpub.rules]]\nmatch = "*.js"\nheaders = { "Content-Encoding" = "gzip" }\n'
    )
    site = write_tree(tmp_path / "static", {"app.js": gzip.compress(b"go()", mtime=0)})
    result = publish(site, bucket, moto_server)
    one_line_error(
        result, 2, '[[tool.cdnpub.rules]] #1 (match = "*.js"): content-encoding = "gzip" on app.js'
    )
    assert moto_server.puts() == []
