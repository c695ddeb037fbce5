"""How an S3 key becomes the URL path that fetches it through CloudFront, and how a
file name is spelled: the one rule every URL cdnpub writes goes through.

S3's REST endpoint decodes the request path once and reads a literal `+` as a space
(a holdover from form encoding), so a key holding `+` must be fetched as `%2B`. Every
other character RFC 3986 allows unencoded in a path segment (unreserved, sub-delims,
`:` and `@`) is kept, so that CSS, pages and invalidation paths all spell a key the same
way and CloudFront matches an invalidation against what viewers send.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote

# RFC 3986 pchar beyond the unreserved set (which quote() always keeps), less "+".
_PATH_SAFE = "/!$&'()*,;=:@"


def url_path(key: str) -> str:
    """The URL path ("/" + percent-encoded UTF-8) that fetches the object at S3 key `key`.

    >>> url_path("static/css/home+profile.0123456789.css")
    '/static/css/home%2Bprofile.0123456789.css'
    """
    return "/" + quote(key.lstrip("/"), safe=_PATH_SAFE)


def url_name(name: str) -> str:
    """One path segment or relative path written the same way as url_path() writes keys."""
    return quote(name, safe=_PATH_SAFE)


def relative_url(path: str) -> str:
    """A relative reference to `path` (segments as names, `..` and `.` allowed), written by
    the same rule; `./` in front when its first segment holds a `:`, which a URL parser
    would otherwise read as a scheme (RFC 3986, 4.2).

    >>> relative_url("a:b.png")
    './a:b.png'
    """
    written = url_name(path)
    return "./" + written if ":" in written.split("/", 1)[0] else written


def invalidation_path(key: str) -> str:
    """The CloudFront invalidation path of `key`: url_path() with `*` encoded too, since a
    literal `*` is CloudFront's wildcard."""
    return url_path(key).replace("*", "%2A")


def normal_name(name: str) -> str:
    """The one Unicode form names and references are compared in: NFC (what macOS's
    NFD file names and an NFD reference typed elsewhere are both folded to)."""
    return name if unicodedata.is_normalized("NFC", name) else unicodedata.normalize("NFC", name)


def typed_key(path: str) -> str:
    """The S3 key a path typed or pasted by a user names (`/static/caf%C3%A9.css` or
    `static/café.css`): percent-escapes decoded as UTF-8, NFC. A `+` is a plus here (a
    person typing a key means the key), unlike in a request S3 receives."""
    return normal_name(unquote(path.lstrip("/")))


def join_key(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def under(prefix: str) -> str:
    """The key prefix of everything under `prefix` ("static" -> "static/"; the bucket's
    root, "", -> ""): what a listing asks for and a key starts with."""
    return f"{prefix}/" if prefix else ""


def safe_segments(key: str) -> bool:
    """Whether no segment of `key` (or a prefix) is empty, '.' or '..': S3 keeps them
    literally and a browser folds them, so such a key is served at another URL (or none).
    A leading or doubled "/" is an empty segment, and so is "" itself."""
    return not any(seg in ("", ".", "..") for seg in key.split("/"))
