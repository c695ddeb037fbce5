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
_JS_MAP = re.compile(rb"//[#@][ \t]*sourceMappingURL=([^\s'\"]+)[ \t]*(?:\r?\n|\r)?\s*\Z")
_CSS_MAP = re.compile(r"/\*[#@][ \t]*sourceMappingURL=([^\s*]+)[ \t]*\*/")
_NEWLINE = re.compile(r"\r\n|[\r\n\f]")
# Every reference form starts with one of these (escaped spellings such as `u\rl(` are
# left alone anyway, see _url_span).
_MAY_REFERENCE = re.compile(r"url\(|@import|image-set\(|sourceMappingURL", re.IGNORECASE)
_IMAGE_SET = frozenset({"image-set", "-webkit-image-set"})


@dataclass(frozen=True, slots=True)
class Span:
    """`value` is the reference as written; text[start:end] is where it stands
    (`quoted`: the span covers a whole CSS string token, quotes included, because
    its raw text holds escapes and cannot be patched in place)."""

    start: int
    end: int
    value: str
    quoted: bool = False


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
        spans.append(Span(m.start(1), m.end(1), m.group(1)))
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
    if text[start : start + 4].lower() != "url(":
        return None  # written with escapes: leave it alone
    i = start + 4
    while i < len(text) and text[i] in " \t\n\r\f":
        i += 1
    end = i
    while end < len(text) and text[end] not in " \t\n\r\f)":
        end += 1
    if text[i:end] != token.value:
        return None
    return Span(i, end, token.value)


def _string_span(text: str, start: int, token: ast.StringToken) -> Span | None:
    quote = text[start]
    if quote not in "\"'":
        return None
    i = start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    if text[start + 1 : i] == token.value:
        return Span(start + 1, i, token.value)
    return Span(start, i + 1, token.value, quoted=True)
