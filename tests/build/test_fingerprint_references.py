"""Rewritten references as browsers and S3 read them: CSS Syntax Level 3 spellings in,
the one URL rule (cdnpub/urls.py) and the one normal form out. Each test names the
published key a browser must reach from the rewritten text."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
import tinycss2

from cdnpub.build.model import Build
from tests.support.fingerprint import PNG, asset, body, built

MakeTree = Callable[..., Path]
NFC = "caf\u00e9.png"
NFD = unicodedata.normalize("NFD", NFC)


def stem(result: Build, path: str) -> str:
    return asset(result, path).sha256[:10]


def css(result: Build, path: str = "css/a.css") -> str:
    return body(asset(result, path)).decode()


def read_back(text: str) -> list[str]:
    """The url() values of a stylesheet as CSS reads them."""
    found = []
    for token in tinycss2.parse_component_value_list(text):
        if token.type == "{} block":
            for inner in token.content:
                if inner.type == "url":
                    found.append(inner.value)
                elif inner.type == "function" and inner.lower_name == "url":
                    found += [a.value for a in inner.arguments if a.type == "string"]
    return found


# -- fault 2: one URL rule for every reference written --------------------------------


def test_relative_import_of_a_name_with_plus_is_written_as_s3_reads_it(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": '@import "home+profile.css";\n', "css/home+profile.css": "b{}"})
    result = built(root)
    assert css(result) == f'@import "home%2Bprofile.{stem(result, "css/home+profile.css")}.css";\n'
    assert asset(result, "css/home+profile.css").key.endswith(
        "/home+profile." + stem(result, "css/home+profile.css") + ".css"
    )


def test_a_folder_with_plus_in_a_relative_reference_is_encoded_too(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": "x{background:url(../a+b/i.png)}", "a+b/i.png": PNG})
    result = built(root)
    assert css(result) == f"x{{background:url(../a%2Bb/i.{stem(result, 'a+b/i.png')}.png)}}"


@pytest.mark.parametrize("script", ["js/bundle+vendor.js", "js/BUNDLE+VENDOR.JS"])
def test_source_map_comment_of_a_script_follows_the_url_rule(make_tree: MakeTree, script: str) -> None:
    name = script.rsplit("/", 1)[1]
    root = make_tree({script: f"x()\n//# sourceMappingURL={name}.map\n", f"{script}.map": "{}"})
    result = built(root)
    encoded = name.replace("+", "%2B")
    assert body(asset(result, script)).decode() == (
        f"x()\n//# sourceMappingURL={encoded}.{stem(result, script + '.map')}.map\n"
    )


def test_source_map_comment_of_a_stylesheet_follows_the_url_rule(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": "b{}\n/*# sourceMappingURL=a+b.css.map */\n", "css/a+b.css.map": "{}"})
    result = built(root)
    assert css(result) == f"b{{}}\n/*# sourceMappingURL=a%2Bb.css.{stem(result, 'css/a+b.css.map')}.map */\n"


def test_a_raw_percent_sign_in_a_reference_is_written_as_percent_25(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": "x{background:url(100%.png)}", "css/100%.png": PNG})
    result = built(root)
    assert css(result) == f"x{{background:url(100%25.{stem(result, 'css/100%.png')}.png)}}"


def test_root_relative_reference_is_the_url_path_of_the_key(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": "x{background:url(/static/img/a+b%20c.png)}", "img/a+b c.png": PNG})
    result = built(root)
    assert css(result) == f"x{{background:url(/static/img/a%2Bb%20c.{stem(result, 'img/a+b c.png')}.png)}}"


# -- fault 5: one normal form --------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [NFD, "cafe%CC%81.png", "caf%C3%A9.png"],
    ids=["nfd", "nfd-percent-encoded", "nfc-percent-encoded"],
)
def test_a_reference_in_another_unicode_form_names_the_published_key(
    make_tree: MakeTree, reference: str
) -> None:
    root = make_tree({"css/a.css": f"x{{background:url({reference})}}", f"css/{NFC}": PNG})
    result = built(root)
    assert result.warnings == ()
    assert css(result) == f"x{{background:url(caf%C3%A9.{stem(result, 'css/' + NFC)}.png)}}"


def test_an_nfd_file_name_read_by_an_nfc_reference_is_found(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": f"x{{background:url('{NFC}')}}", f"css/{NFD}": PNG})
    result = built(root)
    assert result.warnings == ()
    assert css(result) == f"x{{background:url('caf%C3%A9.{stem(result, 'css/' + NFC)}.png')}}"


# -- CSS Syntax Level 3 -------------------------------------------------------------


def test_escaped_space_in_an_unquoted_url_is_read_and_written_encoded(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": "x{background:url(a\\ b.svg)}", "css/a b.svg": "<svg/>"})
    result = built(root)
    assert css(result) == f"x{{background:url(a%20b.{stem(result, 'css/a b.svg')}.svg)}}"


def test_hex_escapes_and_an_escaped_function_name_are_read(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": "x{background:u\\72l(\\61 .png)}", "css/a.png": PNG})
    result = built(root)
    assert css(result) == f"x{{background:u\\72l(a.{stem(result, 'css/a.png')}.png)}}"


def test_whitespace_inside_a_quoted_url_is_dropped_as_a_url_parser_does(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": 'x{background:url(" x.png\t")}', "css/x.png": PNG})
    result = built(root)
    assert result.warnings == ()
    assert css(result) == f'x{{background:url("x.{stem(result, "css/x.png")}.png")}}'


def test_upper_case_extensions_are_read_as_stylesheets(make_tree: MakeTree) -> None:
    root = make_tree({"css/THEME.CSS": "x{background:url(i.PNG)}", "css/i.PNG": PNG})
    result = built(root)
    assert asset(result, "css/THEME.CSS").key.endswith(".CSS")
    assert css(result, "css/THEME.CSS") == f"x{{background:url(i.{stem(result, 'css/i.PNG')}.PNG)}}"


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("url(a\\(1\\).png)", "a(1).png"),
        ("url(it\\'s.png)", "it's.png"),
        ("url('it\\'s.png')", "it's.png"),
        ('url("it\'s.png")', "it's.png"),
    ],
)
def test_a_reference_that_needs_quoting_reads_back_as_the_published_key(
    make_tree: MakeTree, written: str, name: str
) -> None:
    root = make_tree({"css/a.css": f"x{{background:{written}}}", f"css/{name}": PNG})
    result = built(root)
    head, _, ext = name.rpartition(".")
    assert read_back(css(result)) == [f"{head}.{stem(result, 'css/' + name)}.{ext}"]


def test_a_relative_reference_to_a_kept_name_is_spelled_by_the_url_rule(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": "x{background:url(i+j-4f3a9c1d.png)}", "css/i+j-4f3a9c1d.png": PNG})
    assert css(built(root)) == "x{background:url(i%2Bj-4f3a9c1d.png)}"


# -- fault 1: kept names are published byte for byte --------------------------------


BUNDLED_CSS = (
    "@font-face{src:url(/static/fonts/brand.woff2)}\n/*# sourceMappingURL=index-4f3a9c1d.css.map */\n"
)


def test_a_bundler_named_stylesheet_is_published_byte_for_byte(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "assets/index-4f3a9c1d.css": BUNDLED_CSS,
            "assets/index-4f3a9c1d.css.map": "{}",
            "fonts/brand.woff2": b"wOF2-1",
        }
    )
    kept = asset(built(root), "assets/index-4f3a9c1d.css")
    assert body(kept) == BUNDLED_CSS.encode()
    assert kept.key == "static/assets/index-4f3a9c1d.css" and kept.plain_key is None
    assert kept.sha256 == hashlib.sha256(BUNDLED_CSS.encode()).hexdigest()


def test_a_kept_name_keeps_its_bytes_when_what_it_references_changes(make_tree: MakeTree) -> None:
    root = make_tree({"assets/index-4f3a9c1d.css": BUNDLED_CSS, "fonts/brand.woff2": b"wOF2-1"})
    before = asset(built(root), "assets/index-4f3a9c1d.css")
    (root / "fonts/brand.woff2").write_bytes(b"wOF2-2")
    after = asset(built(root), "assets/index-4f3a9c1d.css")
    assert (after.key, after.sha256, after.integrity) == (before.key, before.sha256, before.integrity)


def test_a_kept_name_script_keeps_its_source_map_comment(make_tree: MakeTree) -> None:
    js = "x()\n//# sourceMappingURL=index-4f3a9c1d.js.map\n"
    root = make_tree({"assets/index-4f3a9c1d.js": js, "assets/index-4f3a9c1d.js.map": "{}"})
    assert body(asset(built(root), "assets/index-4f3a9c1d.js")).decode() == js


def test_a_kept_name_still_warns_about_a_reference_to_nothing(make_tree: MakeTree) -> None:
    root = make_tree({"assets/index-4f3a9c1d.css": "x{background:url(gone.png)}"})
    (warning,) = built(root).warnings
    assert "index-4f3a9c1d.css" in warning and "gone.png" in warning


# -- peers' bug reports, replayed -----------------------------------------------------


def test_percent_encoded_plus_stays_encoded_when_rewritten(make_tree: MakeTree) -> None:
    """django-storages #992: the rewrite unquoted `home%2Bprofile.css` to a 404."""
    root = make_tree({"css/styles.css": '@import url("home%2Bprofile.css");', "css/home+profile.css": "b{}"})
    result = built(root)
    assert css(result, "css/styles.css") == (
        f'@import url("home%2Bprofile.{stem(result, "css/home+profile.css")}.css");'
    )


def test_an_escaped_closing_parenthesis_is_part_of_the_url(make_tree: MakeTree) -> None:
    """manabitan #107: `url(../images/a\\)b.png)` was cut at the escaped `)`."""
    root = make_tree({"css/a.css": "x{background:url(../images/a\\)b.png)}", "images/a)b.png": PNG})
    result = built(root)
    assert read_back(css(result)) == [f"../images/a)b.{stem(result, 'images/a)b.png')}.png"]


def test_root_relative_source_map_comment_is_rewritten(make_tree: MakeTree) -> None:
    """whitenoise #230: `/*# sourceMappingURL=/static/styles.css.map */` kept the old name."""
    root = make_tree(
        {"styles.css": "b{}\n/*# sourceMappingURL=/static/styles.css.map */", "styles.css.map": "{}"}
    )
    result = built(root)
    assert css(result, "styles.css") == (
        f"b{{}}\n/*# sourceMappingURL=/static/styles.css.{stem(result, 'styles.css.map')}.map */"
    )


def test_a_missing_source_map_is_a_warning_naming_the_file_not_a_failure(make_tree: MakeTree) -> None:
    """whitenoise #499, drf-yasg #778: a vendored script naming a map it does not ship."""
    js = "x()\n//# sourceMappingURL=redoc.min.map\n"
    root = make_tree({"redoc/redoc.min.js": js})
    result = built(root)
    (warning,) = result.warnings
    assert "redoc.min.js" in warning and "redoc.min.map" in warning
    assert body(asset(result, "redoc/redoc.min.js")).decode() == js


def test_url_inside_an_svg_data_uri_is_left_alone(make_tree: MakeTree) -> None:
    """whitenoise #698: `mask="url(%23polygon-b)"` inside a data: URI was rewritten."""
    sheet = (
        'x{background:url("data:image/svg+xml,<svg><g fill=\\"%235B5B5B\\" mask=\\"url(%23p)\\"/></svg>")}'
    )
    root = make_tree({"css/a.css": sheet})
    result = built(root)
    assert css(result) == sheet and result.warnings == ()


def test_a_fragment_holding_a_path_does_not_move_the_target(make_tree: MakeTree) -> None:
    """Django #25283: `font.svg#../x` was resolved through the fragment's `../`."""
    root = make_tree({"css/a.css": "@font-face{src:url(../fonts/f.svg#../x)}", "fonts/f.svg": "<svg/>"})
    result = built(root)
    assert css(result) == f"@font-face{{src:url(../fonts/f.{stem(result, 'fonts/f.svg')}.svg#../x)}}"


@pytest.mark.parametrize("name", ["a~b.css", "star*.css"])
def test_tilde_and_star_in_a_plain_name_warn_about_invalidation(make_tree: MakeTree, name: str) -> None:
    (warning,) = built(make_tree({name: "b{}"})).warnings
    assert name in warning and "invalidation" in warning


# -- every character, every form: what the browser reads back is the key S3 holds -----

CHARS = sorted({*" !\"#$%&'()*+,-.:;<=>?@[\\]^_`{|}~", "\u00e9", "\u65e5"})


def css_escaped(text: str) -> str:
    """`text` with every character but letters and digits CSS-escaped (`\\+`)."""
    return "".join(c if c.isalnum() else "\\" + c for c in text)


@pytest.mark.parametrize("form", ["unquoted", "double", "single"])
@pytest.mark.parametrize("char", CHARS)
def test_a_rewritten_reference_reads_back_as_the_published_key(
    make_tree: MakeTree, char: str, form: str
) -> None:
    from urllib.parse import unquote_plus, urljoin, urlsplit

    from cdnpub.urls import url_name

    name = f"a{char}b.png"
    encoded = url_name(name)  # an unambiguous source spelling, but for a ":" (a scheme)
    encoded = encoded.replace(":", "%3A")
    written = {
        "unquoted": f"url({css_escaped(encoded)})",
        "double": f'url("{encoded}")',
        "single": "url('" + encoded.replace("'", "\\'") + "')",
    }[form]
    root = make_tree({"css/a.css": f"x{{background:{written}}}", f"css/{name}": PNG})
    result = built(root)
    assert [w for w in result.warnings if "invalidation" not in w] == []
    (value,) = read_back(css(result))
    # How a browser resolves it against the stylesheet's URL, and how S3 reads the path.
    fetched = urlsplit(urljoin("https://cdn.test/static/css/a.css", value))
    assert (fetched.query, fetched.fragment) == ("", "")
    assert unquote_plus(fetched.path)[1:] == asset(result, f"css/{name}").key


def test_a_kept_name_naming_a_plus_unencoded_warns_and_keeps_its_bytes(make_tree: MakeTree) -> None:
    sheet = "@import url(home+profile.css);"
    root = make_tree({"assets/index-4f3a9c1d.css": sheet, "assets/home+profile.css": "b{}"})
    result = built(root)
    (warning,) = result.warnings
    assert "index-4f3a9c1d.css" in warning and "'+'" in warning and "%2B" in warning
    assert css(result, "assets/index-4f3a9c1d.css") == sheet


# -- issue 22 point 5: a blueprint that shares its URL path with the app -------------------


@pytest.mark.parametrize("app_has_it", [True, False])
def test_a_relative_reference_resolves_within_its_own_folder_and_stays_relative(
    make_tree: MakeTree, app_has_it: bool
) -> None:
    """pallets/flask#348: a blueprint registered without url_prefix serves at /static too."""
    from cdnpub.build.fingerprint import build
    from cdnpub.build.model import BuildOptions, Source
    from cdnpub.build.scan import scan

    app_files = {"img/badge.png": PNG + b"app"} if app_has_it else {}
    app = make_tree({"css/site.css": "a{}", **app_files}, "app")
    bp = make_tree({"css/bp.css": "a{background:url(../img/badge.png)}", "img/badge.png": PNG + b"bp"}, "bp")
    result = build(
        [Source(scan(app), url_path="/static"), Source(scan(bp), url_path="/static", sub="shop")],
        BuildOptions(strict=True),
    )
    badge = stem(result, "shop/img/badge.png")
    assert css(result, "shop/css/bp.css") == f"a{{background:url(../img/badge.{badge}.png)}}"
