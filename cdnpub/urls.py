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
from urllib.parse import quote, unquote, urlsplit

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


def endpoint_problem(url: str, example: str = "http://127.0.0.1:4566") -> str | None:
    """Why `url` is no endpoint botocore takes (http(s)://host[:port][/]), as one line, or
    None. The one check of `--endpoint-url`, CDNPUB_ENDPOINT_URL, `endpoint-url` in
    [tool.cdnpub] and the app's CDN_ENDPOINT_URL. The line never holds the URL's userinfo,
    whatever it holds (`@`, `/`, `#` and `?` in a password included): see shown_endpoint."""
    shown = shown_endpoint(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        port = 0
    else:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"Invalid endpoint {shown!r}: not an http:// or https:// URL of a host (such as {example})"
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            return f"Invalid endpoint {shown!r}: an endpoint URL has no path, query or fragment"
    if port == 0:
        return f"Invalid endpoint {shown!r}: the port must be a number from 1 to 65535"
    return None


def shown_endpoint(url: str) -> str:
    """`url` as an error may show it: everything before its last `@` after the scheme is
    userinfo (a password may hold `@`, `/`, `#`, `?`, which RFC 3986 forbids there), shown
    as `***`; control characters escaped, so the line stays one line."""
    scheme, sep, rest = url.partition("://")
    if "@" in (rest if sep else url):
        head = f"{scheme}://" if sep else ""
        url = f"{head}***@{url.rpartition('@')[2]}"
    return url.encode("unicode_escape").decode("ascii") if not url.isprintable() else url
