"""What a line printed for a person may hold. File names and keys come from anyone's
tree: a newline in one would split a one-line error, an escape sequence would drive
the terminal, and `[/]` would be read as rich markup. A URL's userinfo
(http://user:PASSWORD@host) is a credential, and botocore's messages repeat the
endpoint URL. Every line cdnpub prints goes through `printable` (plain text) or `cell`
(a rich renderable)."""

from __future__ import annotations

import re
import unicodedata

from rich.text import Text

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# scheme://userinfo@ : RFC 3986's userinfo holds no "/", "?", "#", "@" or space.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]+@")


def printable(text: str) -> str:
    """`text` with control, format and separator characters (C0, C1, DEL, bidi
    overrides, U+2028/9) written as backslash escapes, and the undecodable bytes of a
    file name (Python's surrogate escapes) as `\\xNN`. Printable text is unchanged."""
    text = redact(text)
    if text.isprintable():
        return text
    return "".join(_escape(ch) for ch in text)


def redact(text: str) -> str:
    """`text` with the userinfo of every URL in it replaced: http://***@host."""
    return _USERINFO.sub(r"\1***@", text) if "@" in text else text


def printable_lines(text: str) -> str:
    """Several lines (a traceback): each made printable, the line breaks kept."""
    return "\n".join(printable(line) for line in text.splitlines())


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
