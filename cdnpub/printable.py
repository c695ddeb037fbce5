"""What a line printed for a person may hold. File names and keys come from anyone's
tree: a newline in one would split a one-line error, an escape sequence would drive
the terminal, and `[/]` would be read as rich markup. Every name cdnpub prints goes
through `printable` (plain text) or `cell` (a rich renderable)."""

from __future__ import annotations

import unicodedata

from rich.text import Text

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` with control, format and separator characters (C0, C1, DEL, bidi
    overrides, U+2028/9) written as backslash escapes, and the undecodable bytes of a
    file name (Python's surrogate escapes) as `\\xNN`. Printable text is unchanged."""
    if text.isprintable():
        return text
    return "".join(_escape(ch) for ch in text)


def _escape(ch: str) -> str:
    if ch.isprintable() or ch == " ":
        return ch
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape of one byte
        return f"\\x{code - 0xDC00:02x}"
    if unicodedata.category(ch) == "Zs":  # no-break and other spaces print fine
        return ch
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def cell(text: str) -> Text:
    """A table cell that shows `text` as it is: no markup read, no control character."""
    return Text(printable(text))
