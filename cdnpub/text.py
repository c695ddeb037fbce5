"""What a line printed for a person may hold, and how it counts and measures.

File names and keys come from anyone's tree: a newline in one would split a one-line
error, an escape sequence would drive the terminal. A URL's userinfo
(http://user:PASSWORD@host) is a credential, and botocore's messages repeat the
endpoint URL. Every line cdnpub prints goes through `printable`. No rich here: the web
runtime imports this module."""

from __future__ import annotations

import re
import unicodedata


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """`plural(1, "path")` -> "1 path"; `plural(3, "path")` -> "3 paths"; irregular
    plurals are given (`plural(2, "copy", "copies")`)."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


# scheme://userinfo@ : RFC 3986's userinfo holds no "/", "?", "#" or "@", but a password
# typed into a URL does (`user:p@ss`, `user:pa/ss#1`), and botocore repeats it as typed.
# So, within one token (up to a space or a quote): after `user:` everything up to the
# last `@` is userinfo; without a `:`, everything up to the last `@` before the first
# "/", "?" or "#" (`https://esm.sh/@scope/pkg` keeps its path). A port before an `@` in a
# path (`https://host:8443/@x`) is hidden too: better a URL shown short than a password.
_TOKEN_END = "\\s'\"<>`"
_USERINFO = re.compile(
    rf"(?i)\b([a-z][a-z0-9+.-]*://)(?:[^{_TOKEN_END}/?#@]*:[^{_TOKEN_END}]*|[^{_TOKEN_END}/?#]+)@"
)


def printable(text: str) -> str:
    """`text` with control, format and separator characters (C0, C1, DEL, bidi
    overrides, U+2028/9) written as backslash escapes, and the undecodable bytes of a
    file name (Python's surrogate escapes) as `\\xNN`. Printable text is unchanged."""
    text = redact(text)
    if text.isprintable():
        return text
    return "".join(_escape(ch) for ch in text)


def redact(text: str) -> str:
    """`text` with the userinfo of every URL in it replaced: http://***@host, up to the
    last `@` of the authority (`http://u:p@ss/w#d@host` -> `http://***@host`)."""
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
