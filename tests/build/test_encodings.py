"""What lands is what the headers say (issue 23): a charset only for bytes that are
UTF-8, no Content-Encoding that SRI and references do not account for, .svgz drawn."""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.build.mediatypes import Body, Utf8Check, body_of, charset, content_type
from cdnpub.build.rules import headers_for, parse_rules
from cdnpub.errors import UserError
from tests.support.fingerprint import asset, body, built

MakeTree = Callable[..., Path]

LATIN1_CSS = '@charset "iso-8859-1";\n.p::after { content: "Précis £"; background: url(a.png); }\n'.encode(
    "latin-1"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


# kind 1: the charset parameter follows the bytes


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.css", b"a{}", "text/css; charset=utf-8"),  # ASCII is UTF-8
        ("a.css", "a{content:'é'}".encode(), "text/css; charset=utf-8"),
        ("a.css", LATIN1_CSS, "text/css"),  # its @charset applies
        ("a.css", b'@charset "iso-8859-1";\na{}', "text/css"),  # declared, even if ASCII
        ("a.css", b'@charset "utf-8";\na{}', "text/css; charset=utf-8"),
        ("a.css", b'@charset "UTF8";\na{}', "text/css; charset=utf-8"),
        ("a.css", b'@charset "utf-16le";\na{}', "text/css; charset=utf-8"),  # read as UTF-8 (CSS Syntax 3.2)
        ("a.css", b'@charset  "latin1";\na{}', "text/css; charset=utf-8"),  # not an @charset rule: two spaces
        ("a.css", "a{content:'é'}".encode("latin-1"), "text/css"),
        ("a.txt", "Précis £".encode("latin-1"), "text/plain"),
        ("a.txt", "\ufeffPrécis".encode("utf-16-le"), "text/plain; charset=utf-16le"),
        ("a.txt", "\ufeffPrécis".encode("utf-8"), "text/plain; charset=utf-8"),
        ("a.js", b"var s = '\xe9';", "text/javascript"),
        ("a.png", b"\x89PNG\xff", "image/png"),
        ("a.txt", b'@charset "iso-8859-1";', "text/plain; charset=utf-8"),  # @charset is CSS only
    ],
)
def test_charset_only_for_bytes_that_are_utf8(name: str, data: bytes, expected: str) -> None:
    assert content_type(name, body_of(data)) == expected


def test_utf8_check_takes_a_character_split_across_chunks() -> None:
    data = "é".encode() * 3
    check = Utf8Check()
    for i in range(len(data)):
        check.update(data[i : i + 1])
    assert check.body() == Body(True, data)
    check = Utf8Check()
    check.update(data[:-1])  # ends inside a character
    assert check.body().utf8 is False
    assert charset("a.bin", body_of(b"\xff")) is None


def test_latin1_files_are_served_without_utf8_and_warned_once(make_tree: MakeTree) -> None:
    big = ("x" * (2 * 1024 * 1024) + "é").encode("latin-1")  # streamed in chunks
    root = make_tree(
        {"a.css": LATIN1_CSS, "a.png": b"\x89PNG", "notes.txt": big, "ok.txt": "é".encode(), "ok.css": b"a{}"}
    )
    result = built(root)
    css, txt = asset(result, "a.css"), asset(result, "notes.txt")
    assert css.headers.content_type == "text/css"
    assert txt.headers.content_type == "text/plain"
    assert asset(result, "ok.txt").headers.content_type == "text/plain; charset=utf-8"
    assert asset(result, "ok.css").headers.content_type == "text/css; charset=utf-8"
    # SRI and references unchanged: the Latin-1 bytes published as they are, url() rewritten
    published = body(css)
    assert published == LATIN1_CSS.replace(
        b"url(a.png)", f"url({asset(result, 'a.png').key.rpartition('/')[2]})".encode()
    )
    assert css.integrity == sri(published)
    assert txt.integrity == sri(big)
    charset_warnings = [w for w in result.warnings if "not UTF-8" in w]
    assert charset_warnings == [
        'a.css is not UTF-8: served as text/css with no charset, so that its @charset "iso-8859-1" applies',
        "notes.txt is not UTF-8: served as text/plain with no charset (browsers guess its encoding); "
        "save it as UTF-8",
    ]


def test_strict_refuses_a_text_file_that_is_not_utf8(make_tree: MakeTree) -> None:
    with pytest.raises(UserError, match=r"^notes.txt is not UTF-8: .* \(--strict\)$"):
        built(make_tree({"notes.txt": b"\xe9"}), strict=True)


# kind 2: a Content-Encoding rule is refused


def test_a_content_encoding_rule_is_refused_before_anything_is_written(make_tree: MakeTree) -> None:
    rules = parse_rules([{"match": "*.js", "headers": {"Content-Encoding": "gzip"}}])
    root = make_tree({"app.js": gzip.compress(b"console.log(1)", mtime=0), "a.png": b"\x89PNG"})
    with pytest.raises(UserError) as caught:
        built(root, rules=rules)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        '[tool.cdnpub] rules #1 (match = "*.js"): content-encoding = "gzip" on app.js: cdnpub computes SRI'
    )


@pytest.mark.parametrize("value", ["br", "gzip, br", "identity"])
def test_only_the_coding_a_name_implies_passes_a_rule(value: str) -> None:
    rules = parse_rules([{"match": "*", "headers": {"Content-Encoding": value}}])
    if value == "identity":
        assert dict(headers_for("a.js", rules).extra)["content-encoding"] == "identity"
        with pytest.raises(UserError, match="on a.svgz"):
            headers_for("a.svgz", rules)
        return
    for name in ("a.js", "a.css", "a.svgz", "a.png"):
        with pytest.raises(UserError, match=f"on {name}"):
            headers_for(name, rules)


def test_a_rule_that_repeats_the_svgz_coding_passes() -> None:
    rules = parse_rules([{"match": "*.svgz", "headers": {"Content-Encoding": "gzip"}}])
    assert headers_for("a.svgz", rules) == headers_for("a.svgz", ())


# kind 3: pre-compressed formats


def test_svgz_is_svg_with_gzip_and_its_integrity_is_of_the_svg(make_tree: MakeTree) -> None:
    stored = gzip.compress(SVG, mtime=0)
    result = built(make_tree({"logo.svgz": stored}))
    logo = asset(result, "logo.svgz")
    assert logo.headers.content_type == "image/svg+xml; charset=utf-8"
    assert dict(logo.headers.extra) == {"content-encoding": "gzip"}
    assert logo.integrity == sri(SVG)  # what a browser checks: the decoded body
    assert logo.sha256 == hashlib.sha256(stored).hexdigest()  # the object: the bytes as stored
    assert logo.etag == hashlib.md5(stored).hexdigest()
    assert logo.size == len(stored)
    assert result.warnings == ()


def test_an_svgz_stored_plain_is_served_plain_with_a_warning(make_tree: MakeTree) -> None:
    result = built(make_tree({"logo.svgz": SVG}))
    logo = asset(result, "logo.svgz")
    assert logo.headers.extra == ()
    assert logo.integrity == sri(SVG)
    assert result.warnings == ("logo.svgz is not gzip-compressed: served with no Content-Encoding",)


def test_a_broken_svgz_fails_in_one_line(make_tree: MakeTree) -> None:
    with pytest.raises(
        UserError, match=r"^logo.svgz: not a whole gzip stream \(.*\); browsers would draw nothing$"
    ):
        built(make_tree({"logo.svgz": gzip.compress(SVG)[:-6]}))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.svgz", ("image/svg+xml; charset=utf-8", (("content-encoding", "gzip"),))),
        ("a.SVGZ", ("image/svg+xml; charset=utf-8", (("content-encoding", "gzip"),))),
        ("app.js.gz", ("application/gzip", ())),
        ("site.tgz", ("application/gzip", ())),
        ("app.js.br", ("application/octet-stream", ())),
        ("a.tar", ("application/x-tar", ())),
        ("a.bz2", ("application/x-bzip2", ())),
        ("a.xz", ("application/x-xz", ())),
        ("a.zst", ("application/zstd", ())),
        ("a.7z", ("application/x-7z-compressed", ())),
        ("a.zip", ("application/zip", ())),
    ],
)
def test_archives_keep_their_type_and_get_no_coding(
    name: str, expected: tuple[str, tuple[tuple[str, str], ...]]
) -> None:
    h = headers_for(name, ())
    assert (h.content_type, h.extra) == expected
