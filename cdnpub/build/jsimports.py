"""The module specifiers one JavaScript module names: static `import ... from`, bare
`import "x"`, `export ... from` re-exports, and `import()` with a literal argument.

Parsed with tree-sitter's JavaScript grammar, not a regex: text that only looks like an
import (in a comment, a string, a template, a method called `import`) is not one, and
every syntax variant of the grammar (multi-line clauses, `export * as ns from`, import
attributes, comments between `from` and the string) is found the same way.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache

import tree_sitter
import tree_sitter_javascript

# Static imports and re-exports carry their specifier in a `source` field; `import()`
# is a call whose function node is `import` (a method named import is a member call).
# Its specifier is the first argument, after any comments (`import(/* c */ "./x.js")`),
# and may be followed by options (`import("./d.json", { with: { type: "json" } })`):
# the arguments are captured whole and read in _first_argument.
_QUERY = """
(import_statement source: (string) @static)
(export_statement source: (string) @static)
(call_expression function: (import) arguments: (arguments) @dynamic)
"""


_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")


_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


@dataclass(frozen=True, slots=True)
class Specifier:
    """One module specifier as the module names it (escapes decoded)."""

    text: str
    dynamic: bool  # import("..."): fetched when the call runs, not with the module graph
    line: int  # 1-based, for messages


@cache
def _grammar() -> tuple[tree_sitter.Language, tree_sitter.Query]:
    language = tree_sitter.Language(tree_sitter_javascript.language())
    return language, tree_sitter.Query(language, _QUERY)


_local = threading.local()


def _javascript() -> tuple[tree_sitter.Parser, tree_sitter.Query]:
    """A parser per thread (a parser holds parse state; the query is read-only)."""
    language, query = _grammar()
    parser: tree_sitter.Parser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = tree_sitter.Parser(language)
    return parser, query


def module_specifiers(source: bytes) -> tuple[Specifier, ...]:
    """Every specifier of a module's static imports, re-exports and literal `import()`s,
    in source order. A template literal counts only without `${}` substitutions; an
    `import(name)` with a computed argument names nothing that can be known here.
    Syntax errors are tolerated: what parses around them is still found."""
    if b"import" not in source and b"export" not in source:
        return ()  # no keyword, no specifier (keywords cannot be escaped): skip the parse
    parser, query = _javascript()
    tree = parser.parse(source)
    found: list[tuple[int, Specifier]] = []
    for kind, nodes in tree_sitter.QueryCursor(query).captures(tree.root_node).items():
        for found_node in nodes:
            node = _first_argument(found_node) if kind == "dynamic" else found_node
            if node is None:
                continue
            text = _literal(node)
            if text is not None:
                found.append((node.start_byte, Specifier(text, kind == "dynamic", node.start_point[0] + 1)))
    return tuple(spec for _, spec in sorted(found, key=lambda item: item[0]))


def _first_argument(arguments: tree_sitter.Node) -> tree_sitter.Node | None:
    """An `import()`'s specifier node: its first argument, comments skipped, when it is
    a string or template literal (a computed name names nothing known here)."""
    first = next((c for c in arguments.named_children if c.type != "comment"), None)
    return first if first is not None and first.type in ("string", "template_string") else None


def _literal(node: tree_sitter.Node) -> str | None:
    """The value of a string or substitution-free template literal node; None for one
    with a substitution, or with an escape JavaScript refuses (`\\u{110000}`, past
    U+10FFFF: the module does not load) or a lone surrogate (no URL can hold it)."""
    parts: list[str] = []
    halves = False  # an escape wrote a UTF-16 surrogate
    for child in node.named_children:
        raw = (child.text or b"").decode("utf-8", "surrogateescape")
        if child.type == "string_fragment":
            parts.append(raw)
        elif child.type == "escape_sequence":
            try:
                parts.append(_unescape(raw))
            except (ValueError, OverflowError):  # chr() past U+10FFFF, or past any int
                return None
            halves = halves or any("\ud800" <= ch <= "\udfff" for ch in parts[-1])
        else:  # a template substitution (or an error node): not a literal
            return None
    text = "".join(parts)
    if halves:
        try:  # `\\ud83d\\ude00` is one character, written as UTF-16 halves
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            return None
    return text


def _unescape(raw: str) -> str:
    """One escape sequence's text; ValueError for a code point past U+10FFFF."""

    def one(m: re.Match[str]) -> str:
        body = m.group(1)
        if body[0] == "u":
            return chr(int(body[1:].strip("{}"), 16))
        if body[0] == "x" and len(body) == 3:
            return chr(int(body[1:], 16))
        if body in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
            return ""  # a line continuation
        return _SIMPLE_ESCAPES.get(body, body)

    return _ESCAPE.sub(one, raw)
