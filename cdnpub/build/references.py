"""Find the references an asset makes to other assets, with their exact spans.

CSS is tokenized with tinycss2 (a regex over a whole stylesheet cannot tell a
url() from the same text inside a comment or a string); the spans are mapped
back to the original text so that everything but the rewritten references
stays byte-for-byte as the author wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import tinycss2
from tinycss2 import ast

# sourceMappingURL lives in the last comment of a file; a bundle may be huge,
# so only its tail is read for it.
JS_TAIL_BYTES = 64 * 1024


_JS_MAP = re.compile(rb"//[#@][ \t]*sourceMappingURL=(\S+)[ \t]*(?:\r?\n|\r)?\s*\Z")


_CSS_MAP = re.compile(r"/\*[#@][ \t]*sourceMappingURL=([^\s*]+)[ \t]*\*/")


_NEWLINE = re.compile(r"\r\n|[\r\n\f]")


# Every reference form starts with one of these, or is spelled with an escape (`u\72l(`).
_MAY_REFERENCE = re.compile(r"url\(|@import|image-set\(|sourceMappingURL|\\", re.IGNORECASE)


_IMAGE_SET = frozenset({"image-set", "-webkit-image-set"})


_CSS_SPACE = " \t\n\r\f"


_HEX = frozenset("0123456789abcdefABCDEF")


# A URL parser drops leading and trailing C0 controls and spaces, and every tab and
# newline inside (WHATWG URL, "basic URL parser"): `url(" x.png ")` fetches x.png.
_URL_TRIM = "".join(chr(c) for c in range(0x21))


_URL_DROPPED = re.compile(r"[\t\n\r]")


_STYLESHEET = (".css",)


_SCRIPT = (".js", ".mjs", ".cjs")


@dataclass(frozen=True, slots=True)
class Span:
    """`value` is the reference as CSS reads it (escapes resolved); text[start:end] is
    where it stands. `quote` is the quote character of the string it sits in, "" for an
    unquoted url() or a comment (`quoted`: the span covers a whole CSS string token,
    quotes included, because its raw text holds escapes and cannot be patched in place)."""

    start: int
    end: int
    value: str
    quoted: bool = False
    quote: str = ""
    in_comment: bool = False


def is_stylesheet(path: str) -> bool:
    """Whether cdnpub reads `path` as CSS: by its extension, in any case (`THEME.CSS`)."""
    return path.lower().endswith(_STYLESHEET)


def is_script(path: str) -> bool:
    """Whether cdnpub reads `path` as a script for its sourceMappingURL, extension in any case."""
    return path.lower().endswith(_SCRIPT)


def url_text(value: str) -> str:
    """A reference's value as a URL parser reads it: outer spaces and C0 controls, and
    every tab and newline, dropped."""
    return _URL_DROPPED.sub("", value.strip(_URL_TRIM))


def css_spans(text: str) -> list[Span]:
    """Every url(), @import string, image-set() string and sourceMappingURL in a stylesheet."""
    if not _MAY_REFERENCE.search(text):
        return []  # tokenizing is the costly part of a build: skip sheets that cannot refer
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    spans: list[Span] = []
    tokens = tinycss2.parse_component_value_list(text, skip_comments=True)
    for token, kind in _url_tokens(tokens):
        start = line_starts[token.source_line - 1] + token.source_column - 1
        span = _url_span(text, start, token) if kind == "url" else _string_span(text, start, token)
        if span is not None:
            spans.append(span)
    maps = list(_CSS_MAP.finditer(text))
    if maps:
        m = maps[-1]
        spans.append(Span(m.start(1), m.end(1), m.group(1), in_comment=True))
    spans.sort(key=lambda s: s.start)
    return spans


def js_map_span(tail: bytes) -> tuple[int, int, str] | None:
    """The `//# sourceMappingURL=` at the end of a script's tail, as byte offsets."""
    m = _JS_MAP.search(tail)
    if m is None:
        return None
    return m.start(1), m.end(1), m.group(1).decode("utf-8", "replace")


def _url_tokens(tokens: list[ast.Node]) -> Iterator[tuple[ast.Node, str]]:
    after_import = False
    for token in tokens:
        if isinstance(token, (ast.WhitespaceToken, ast.Comment)):
            continue
        if isinstance(token, ast.URLToken):
            yield token, "url"
        elif isinstance(token, ast.StringToken) and after_import:
            yield token, "string"
        elif isinstance(token, ast.FunctionBlock):
            name = token.lower_name
            if name == "url":
                args = [a for a in token.arguments if not isinstance(a, ast.WhitespaceToken)]
                if args and isinstance(args[0], ast.StringToken):
                    yield args[0], "string"
            elif name in _IMAGE_SET:
                for arg in token.arguments:
                    if isinstance(arg, ast.StringToken):
                        yield arg, "string"
                yield from _url_tokens(token.arguments)
            else:
                yield from _url_tokens(token.arguments)
        elif isinstance(token, (ast.CurlyBracketsBlock, ast.SquareBracketsBlock, ast.ParenthesesBlock)):
            yield from _url_tokens(token.content)
        after_import = isinstance(token, ast.AtKeywordToken) and token.lower_value == "import"


def _url_span(text: str, start: int, token: ast.URLToken) -> Span | None:
    """The raw contents of an unquoted url() token, however escaped (`u\\72l(a\\ b.svg)`
    is `url(a b.svg)` to CSS): tinycss2 gives where the token starts and its value."""
    i = start
    while i < len(text) and text[i] != "(":
        i = _skip_escape(text, i) if text[i] == "\\" else i + 1
    i += 1
    while i < len(text) and text[i] in _CSS_SPACE:
        i += 1
    end = i
    while end < len(text) and text[end] not in _CSS_SPACE and text[end] != ")":
        end = _skip_escape(text, end) if text[end] == "\\" else end + 1
    if end > len(text) or i >= end:
        return None
    return Span(i, end, token.value)


def _skip_escape(text: str, i: int) -> int:
    """The index after the CSS escape starting at text[i] == "\\": up to six hex digits
    and one white space, or any one character (CSS Syntax Level 3, 4.3.7)."""
    j = i + 1
    while j < len(text) and j < i + 7 and text[j] in _HEX:
        j += 1
    if j == i + 1:
        return min(i + 2, len(text))
    if text[j : j + 2] == "\r\n":
        return j + 2
    return j + 1 if j < len(text) and text[j] in _CSS_SPACE else j


def _string_span(text: str, start: int, token: ast.StringToken) -> Span | None:
    quote = text[start]
    if quote not in "\"'":
        return None
    i = start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    if text[start + 1 : i] == token.value:
        return Span(start + 1, i, token.value, quote=quote)
    return Span(start, i + 1, token.value, quoted=True)
