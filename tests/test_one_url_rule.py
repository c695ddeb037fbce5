"""Every URL cdnpub writes names a key the same way (cdnpub/urls.py): a rewritten CSS
reference, a source-map comment, the Flask hook's URL and the CloudFront invalidation path
of the same key agree, character for character, on names S3 and browsers read differently."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, url_for

from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.flask.extension import CDN
from cdnpub.manifest import write
from cdnpub.urls import invalidation_path, url_path
from tests.support.fingerprint import asset, body
from tests.support.trees import write_tree

NAMES = [
    "home+profile.png",
    "a b.png",
    "100%.png",
    "it's(1).png",
    "caf\u00e9.png",
    "semi;colon=1.png",
    "x[1].png",
]


@pytest.mark.parametrize("name", NAMES)
def test_css_flask_and_invalidation_spell_a_key_alike(tmp_path: Path, name: str) -> None:
    encoded = url_path("static/img/" + name)
    files = {
        f"img/{name}": b"\x89PNG-" + name.encode(),
        "css/a.css": f'x{{background:url("{encoded}")}}',
        "js/a.js": f"x()\n//# sourceMappingURL={url_path(name)[1:]}.map\n",
        f"js/{name}.map": "{}",
    }
    static = write_tree(tmp_path / "static", files)
    result = build([Source(scan(static))], BuildOptions(prefix="static"))
    key = asset(result, f"img/{name}").key
    map_key = asset(result, f"js/{name}.map").key
    manifest = tmp_path / "cdnpub-manifest.json"
    write(from_build(result), manifest)
    app = Flask(__name__, root_path=str(tmp_path), static_folder=str(static))
    app.config.update(CDN_DOMAIN="cdn.test", CDN_MANIFEST=str(manifest))
    CDN(app)
    with app.test_request_context("/"):
        flask_url = url_for("static", filename=f"img/{name}")

    assert body(asset(result, "css/a.css")).decode() == f'x{{background:url("{url_path(key)}")}}'
    js = body(asset(result, "js/a.js")).decode()
    assert js == f"x()\n//# sourceMappingURL={url_path(map_key).rsplit('/', 1)[1]}\n"
    assert flask_url == "https://cdn.test" + url_path(key)
    assert invalidation_path(asset(result, f"img/{name}").plain_key or "") == url_path(f"static/img/{name}")


@pytest.mark.parametrize(
    "char", [chr(c) for c in range(0x20, 0x7F) if chr(c) != "/"] + ["\u00e9", "\u65e5", "\x01"]
)
def test_s3_reads_every_url_path_back_as_its_key(char: str) -> None:
    """What a browser sends for url_path(key), read as S3 reads a path ("+" is a space)."""
    from urllib.parse import unquote_plus, urlsplit

    key = f"static/a{char}b.png"
    sent = urlsplit("https://cdn.test" + url_path(key))
    assert (sent.query, sent.fragment) == ("", "")
    assert unquote_plus(sent.path)[1:] == key
    assert unquote_plus(invalidation_path(key))[1:] == key
