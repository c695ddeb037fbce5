import mimetypes

import pytest

from cdnpub.build.mediatypes import DEFAULT_TYPE, content_type


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("mod.mjs", "text/javascript; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("app.js.map", "application/json; charset=utf-8"),
        ("site.webmanifest", "application/manifest+json; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("a.png", "image/png"),
        ("a.jpg", "image/jpeg"),
        ("a.JPEG", "image/jpeg"),
        ("a.gif", "image/gif"),
        ("a.webp", "image/webp"),
        ("a.avif", "image/avif"),
        ("favicon.ico", "image/vnd.microsoft.icon"),
        ("f.woff", "font/woff"),
        ("f.woff2", "font/woff2"),
        ("f.ttf", "font/ttf"),
        ("f.otf", "font/otf"),
        ("f.eot", "application/vnd.ms-fontobject"),
        ("m.wasm", "application/wasm"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("page.html", "text/html; charset=utf-8"),
        ("feed.xml", "application/xml; charset=utf-8"),
        ("doc.pdf", "application/pdf"),
        ("t.csv", "text/csv; charset=utf-8"),
        ("v.mp4", "video/mp4"),
        ("v.webm", "video/webm"),
        ("s.mp3", "audio/mpeg"),
        ("s.ogg", "audio/ogg"),
        ("blob.xyz", DEFAULT_TYPE),
        ("LICENSE", DEFAULT_TYPE),
    ],
)
def test_content_type_comes_from_the_table(name: str, expected: str) -> None:
    assert content_type(name) == expected


def test_content_type_ignores_the_hosts_mime_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mimetypes, "guess_type", lambda *a, **k: ("text/x-wrong", None))
    mimetypes.add_type("application/x-wrong", ".js")
    assert content_type("app.js") == "text/javascript; charset=utf-8"
