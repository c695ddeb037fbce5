"""cdnpub's own Content-Type table.

The host's mime.types differs between machines (Debian maps .js to
application/javascript, Windows' registry can say text/plain), so a tool that
asks the OS uploads different headers from different CI runners. This table is
the same everywhere. Types follow IANA and the WHATWG MIME Sniffing standard.
"""

from __future__ import annotations

import posixpath

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
    # images
    ".svg": "image/svg+xml",
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


def content_type(path: str) -> str:
    """The Content-Type header for a file name; unknown extensions are octet-stream."""
    ext = posixpath.splitext(path)[1].lower()
    media_type = _TYPES.get(ext, DEFAULT_TYPE)
    if media_type in _TEXT_TYPES:
        return f"{media_type}; charset=utf-8"
    return media_type
