"""cdnpub's own Content-Type table.

The host's mime.types differs between machines (Debian maps .js to
application/javascript, Windows' registry can say text/plain), so a tool that
asks the OS uploads different headers from different CI runners. This table is
the same everywhere. Types follow IANA and the WHATWG MIME Sniffing standard.
"""

from __future__ import annotations

import codecs
import posixpath
import re
from dataclasses import dataclass

DEFAULT_TYPE = "application/octet-stream"


_TYPES: dict[str, str] = {
    # text and code
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".cjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".ics": "text/calendar",
    ".vtt": "text/vtt",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".tgz": "application/gzip",
    ".bz2": "application/x-bzip2",
    ".xz": "application/x-xz",
    ".zst": "application/zstd",
    ".tar": "application/x-tar",
    ".7z": "application/x-7z-compressed",
    # images
    ".svg": "image/svg+xml",
    ".svgz": "image/svg+xml",
    ".png": "image/png",
    ".apng": "image/apng",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    # fonts
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    # audio and video
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
}


# Types a browser decodes as text: without an explicit charset, some fall back
# to windows-1252 and mangle non-ASCII characters.
_TEXT_TYPES = frozenset(
    {
        "text/css",
        "text/javascript",
        "text/html",
        "text/plain",
        "text/markdown",
        "text/csv",
        "text/calendar",
        "text/vtt",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
    }
)


# Pre-compressed formats whose media type names the decoded body: the one coding a
# browser must undo before it reads the type (SVG Tiny 1.2, "svgz"; RFC 9110 8.4). An
# archive (.gz, .tgz, .zip, ...) is the opposite: its type names the compressed bytes, so
# it gets no Content-Encoding, or browsers would unpack a download the user asked for.
_CODINGS: dict[str, str] = {".svgz": "gzip"}


GZIP_MAGIC = b"\x1f\x8b"  # RFC 1952 2.3.1: the first two bytes of every gzip member


def content_coding(path: str) -> str | None:
    """The Content-Encoding a file name implies (gzip for .svgz), or None."""
    return _CODINGS.get(posixpath.splitext(path)[1].lower())


def is_text(path: str) -> bool:
    """Whether the table gives `path` a type a browser decodes as text (charset matters)."""
    return _TYPES.get(posixpath.splitext(path)[1].lower(), DEFAULT_TYPE) in _TEXT_TYPES


# CSS Syntax Level 3, 3.2: `@charset "label";` counts only as the very first bytes, spelled
# exactly so, in ASCII.
_CSS_CHARSET = re.compile(rb'@charset "([\x20-\x21\x23-\x7e]*)";')


# The WHATWG Encoding labels of UTF-8, and the UTF-16 labels that CSS Syntax 3.2 reads as
# UTF-8 in an @charset rule: a stylesheet declaring one of them is UTF-8 to a browser.
_CSS_UTF8_LABELS = frozenset(
    {"utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"}
    | {
        "utf-16",
        "utf-16le",
        "utf-16be",
        "unicode",
        "unicodefeff",
        "unicodefffe",
        "csunicode",
        "iso-10646-ucs-2",
        "ucs-2",
    }
)


HEAD_BYTES = 1024  # the bytes kept for a BOM or an @charset rule


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16le"), (codecs.BOM_UTF16_BE, "utf-16be"))


@dataclass(frozen=True, slots=True)
class Body:
    """What a text file's (decoded) bytes say about their encoding. The default is a body
    in UTF-8, which is what a name alone is taken to hold."""

    utf8: bool = True  # the whole body decodes as UTF-8 (ASCII included)
    head: bytes = b""  # its first HEAD_BYTES: a BOM, a stylesheet's @charset

    @property
    def bom(self) -> str | None:
        """The encoding a byte-order mark names; browsers follow it over any header
        (WHATWG Encoding, "decode")."""
        return next((name for bom, name in _BOMS if self.head.startswith(bom)), None)

    @property
    def declared(self) -> str | None:
        """A stylesheet's `@charset` label, lower-case, or None."""
        found = _CSS_CHARSET.match(self.head)
        return found.group(1).decode("ascii").strip().lower() if found else None


class Utf8Check:
    """Whether a stream of chunks is UTF-8, fed one chunk at a time (a split character
    is fine), and its first HEAD_BYTES: a Body without holding the file."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._utf8 = True
        self._head = b""

    def update(self, chunk: bytes) -> None:
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        if self._utf8:
            try:
                self._decoder.decode(chunk)
            except UnicodeDecodeError:
                self._utf8 = False

    def body(self) -> Body:
        if self._utf8:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self._utf8 = False
        return Body(self._utf8, self._head)


UTF8 = Body()  # what a name alone is taken to hold


def body_of(data: bytes) -> Body:
    check = Utf8Check()
    check.update(data)
    return check.body()


def charset(path: str, body: Body) -> str | None:
    """The charset parameter for a text file's bytes, or None to send none.

    The HTTP charset overrides what a file says of itself (a stylesheet's @charset, an
    HTML meta, an XML declaration), so it is sent only when it is sure: `utf-8` for bytes
    that are UTF-8, the BOM's encoding for bytes that start with one. A stylesheet that
    declares another `@charset` gets none, so that its declaration applies; other bytes
    get none, so that the browser's own rules apply (see not_utf8_warning)."""
    if not is_text(path):
        return None
    if body.bom is not None:
        return body.bom
    declared = body.declared if posixpath.splitext(path)[1].lower() == ".css" else None
    if declared is not None and declared not in _CSS_UTF8_LABELS:
        return None
    return "utf-8" if body.utf8 else None


def not_utf8_warning(path: str, body: Body) -> str | None:
    """The one warning for a text file whose bytes are not UTF-8, or None."""
    if not is_text(path) or body.utf8 or body.bom == "utf-8":
        return None
    media_type = _TYPES[posixpath.splitext(path)[1].lower()]
    if body.bom is not None:
        sent = f"served as {media_type}; charset={body.bom} (its byte-order mark)"
    elif body.declared is not None and posixpath.splitext(path)[1].lower() == ".css":
        sent = f'served as {media_type} with no charset, so that its @charset "{body.declared}" applies'
    else:
        sent = f"served as {media_type} with no charset (browsers guess its encoding); save it as UTF-8"
    return f"{path} is not UTF-8: {sent}"


def content_type(path: str, body: Body = UTF8) -> str:
    """The Content-Type header for a file name and its bytes (see charset); unknown
    extensions are octet-stream."""
    ext = posixpath.splitext(path)[1].lower()
    media_type = _TYPES.get(ext, DEFAULT_TYPE)
    param = charset(path, body)
    return f"{media_type}; charset={param}" if param else media_type
