import pytest

from cdnpub.urls import (
    invalidation_path,
    normal_name,
    relative_url,
    safe_segments,
    typed_key,
    under,
    url_path,
)


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("static/css/app.css", "/static/css/app.css"),
        ("static/css/home+profile.css", "/static/css/home%2Bprofile.css"),
        ("static/a b.svg", "/static/a%20b.svg"),
        ("static/café.txt", "/static/caf%C3%A9.txt"),
        ("static/100%.png", "/static/100%25.png"),
        ("static/q?.js", "/static/q%3F.js"),
        ("static/#x.js", "/static/%23x.js"),
        ("static/a~b_c-d.e", "/static/a~b_c-d.e"),
        ("static/it's(1),[2].png", "/static/it's(1),%5B2%5D.png"),
        ("static/a;b=c&d:e@f!$.txt", "/static/a;b=c&d:e@f!$.txt"),
        ("static/star*.txt", "/static/star*.txt"),
        ("static/back\\slash.txt", "/static/back%5Cslash.txt"),
        ('static/quote".txt', "/static/quote%22.txt"),
    ],
)
def test_url_path_encodes_a_key_as_s3_behind_cloudfront_reads_it(key: str, path: str) -> None:
    assert url_path(key) == path


def test_invalidation_path_encodes_the_wildcard_character_too() -> None:
    assert invalidation_path("static/star*.txt") == "/static/star%2A.txt"


def test_invalidation_path_encodes_plus_as_viewers_fetch_it() -> None:
    assert invalidation_path("static/a+b.css") == "/static/a%2Bb.css"


def test_normal_name_folds_nfd_to_nfc() -> None:
    assert normal_name("cafe\u0301.css") == "caf\u00e9.css"


@pytest.mark.parametrize(
    ("path", "written"),
    [
        ("a:b.png", "./a:b.png"),
        ("../img/a:b.png", "../img/a:b.png"),
        ("./a:b.png", "./a:b.png"),
        ("a+b.png", "a%2Bb.png"),
    ],
)
def test_relative_url_is_never_read_as_a_scheme(path: str, written: str) -> None:
    assert relative_url(path) == written


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("/static/caf%C3%A9.css", "static/caf\u00e9.css"),
        ("static/caf\u00e9.css", "static/caf\u00e9.css"),
        ("/static/a%20b.css", "static/a b.css"),
        ("/static/a+b.css", "static/a+b.css"),
        ("/static/a%2Bb.css", "static/a+b.css"),
        ("/static/100%.png", "static/100%.png"),
    ],
)
def test_typed_key_reads_a_pasted_path_or_a_key_as_the_key(typed: str, key: str) -> None:
    assert typed_key(typed) == key
    assert typed_key(url_path(key)) == key


@pytest.mark.parametrize(("prefix", "start"), [("static", "static/"), ("a/b", "a/b/"), ("", "")])
def test_under_is_the_key_prefix_of_everything_under_a_prefix(prefix: str, start: str) -> None:
    assert under(prefix) == start


@pytest.mark.parametrize(
    ("key", "safe"),
    [
        ("static/app.css", True),
        ("static/.well-known/x", True),
        ("static/..x", True),
        ("a", True),
        ("", False),
        ("/static/app.css", False),
        ("static//app.css", False),
        ("static/", False),
        ("static/./app.css", False),
        ("static/../app.css", False),
        ("..", False),
    ],
)
def test_safe_segments_refuses_empty_dot_and_dot_dot(key: str, safe: bool) -> None:
    assert safe_segments(key) is safe
