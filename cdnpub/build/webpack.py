"""webpack's manifests, in the shapes real builds write, read as bundler output (see
bundlers.py for what that means). Pure: a JSON document in, the files it names out.

The shapes read (docs/webpack.md shows each):
- webpack-manifest-plugin's default `manifest.json`: `{"main.js": "/static/build/main.3f2a.js"}`,
  and with webpack 5's default `publicPath: "auto"`, values prefixed by the word:
  `"auto/main.3f2a.js"` (version 5) or `"automain.3f2a.js"` (versions 3 and 4 concatenate);
- the same plugin with a custom `generate`: any object holding such names, such as
  `{"app": "...", "entrypoints": {"main": {"js": [...], "css": [...]}}}`;
- create-react-app's `asset-manifest.json`: `{"files": {...}, "entrypoints": [...]}`;
- webpack-assets-manifest (`assets-manifest.json`, flat, with `entrypoints`, or with
  `integrity`: `{"main.js": {"src": "...", "integrity": "sha384-..."}}`);
- webpack-bundle-tracker's stats (`webpack-stats.json`, what django-webpack-loader reads):
  `{"status": "done", "chunks": {...}, "assets": {"main.3f2a.js": {"name", "path", "publicPath"}}}`;
- assets-webpack-plugin's `webpack-assets.json`: `{"main": {"js": "/static/main.3f2a.js"}}`.
The documents are walked with a stack, not recursion: a deeply nested one is one more loop.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from cdnpub.urls import normal_name

# File names only bundlers write; `manifest.json` is sniffed (web app manifests share it).
NAMED_MANIFESTS = frozenset(
    {"asset-manifest.json", "assets-manifest.json", "webpack-stats.json", "webpack-assets.json"}
)
MANIFEST_JSON = "manifest.json"

# Members of a web app manifest (W3C Web Application Manifest): a document holding one is not webpack's.
_WEB_APP_MEMBERS = frozenset({"name", "short_name", "start_url", "icons", "display", "scope", "theme_color"})
# Top-level members of the webpack manifests above that are not file names.
_WEBPACK_MEMBERS = frozenset({"files", "entrypoints", "assets", "chunks"})
_SPACE = re.compile(r"\s")
AUTO = "auto"  # webpack 5's default publicPath, written into the plugin's values as a prefix
# Members whose values name sources or are messages, not output (webpack-bundle-tracker).
_NOT_OUTPUT = frozenset({"sourceFilename", "integrity", "error", "message"})


def is_webpack(doc: Any) -> bool:
    """Whether a `manifest.json` is one of webpack's shapes: file names to URLs (or to
    `{"src": URL}`), or an object with one of the members above; never a web app manifest."""
    if not isinstance(doc, dict) or not doc or _WEB_APP_MEMBERS & doc.keys():
        return False
    values = list(doc.values())
    if all(isinstance(v, str) for v in values) and all(has_extension(k) for k in doc):
        return True
    if all(isinstance(v, dict) and isinstance(v.get("src"), str) for v in values):
        return True
    return bool(_WEBPACK_MEMBERS & doc.keys()) and bool(next(file_names(doc), None))


def has_extension(name: str) -> bool:
    stem, dot, ext = name.rpartition("/")[2].rpartition(".")  # posixpath.basename, without the call
    return bool(dot and stem and ext)


def file_names(doc: Any) -> Iterator[tuple[str, str | None]]:
    """Every string in `doc` that names a file (an extension, no white space), with the
    source it was made from when a key says (`"main.js": "main.3f2a.js"` -> `main`),
    else None. Iterative: no RecursionError, whatever the depth."""
    stack: list[tuple[Any, str | None]] = [(doc, None)]
    while stack:
        node, key = stack.pop()
        if isinstance(node, dict):
            # `{"main.js": {"src": "main.3f2a.js"}}`: the src is named by the key above it
            items = [(v, key if k == "src" and key else k) for k, v in node.items() if k not in _NOT_OUTPUT]
            stack.extend(reversed(items))
        elif isinstance(node, list):
            stack.extend((v, None) for v in reversed(node))
        elif isinstance(node, str) and _SPACE.search(node) is None and has_extension(node):
            yield node, source_of(key)


def source_of(key: str | None) -> str | None:
    """`main.js` -> `main` (a key that is a file name); None for member names (`"src"`)."""
    if key is None or not has_extension(key):
        return None
    name = posixpath.basename(key.split("?", 1)[0]).removesuffix(".map")
    return name.rpartition(".")[0]


def resolve_url(url: str, base: str, files: frozenset[str]) -> str | None:
    """The logical path a webpack manifest URL names, or None when it leaves `base` (the
    manifest's folder, webpack's `output.path`): relative URLs are relative to it; a
    root-relative or absolute URL (or a path on the build machine) holds the public path,
    so it names the longest tail of its path that is a file under `base`. A path with
    `..` in it (`/static/build/../css/site.css`) is None: webpack never writes one."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if not parts.scheme and not parts.netloc and not path.startswith("/"):
        joined = _join(base, path)
        auto = _join(base, path[len(AUTO) :].removeprefix("/")) if path.startswith(AUTO) else None
        if joined not in files and auto in files:
            joined = auto  # publicPath "auto": "auto/main.3f2a.js", "automain.3f2a.js"
        return joined if under(joined, base) else None
    segments = [s for s in normal_name(path).split("/") if s and s != "."]
    if ".." in segments:
        return None  # not a path webpack writes: it would leave where it says it is
    prefix = f"{base}/" if base else ""
    for i in range(len(segments)):
        candidate = prefix + "/".join(segments[i:])
        if candidate in files:
            return candidate
    return _join(base, "/".join(segments[-1:]))


def under(path: str, base: str) -> bool:
    """Whether logical `path` is in folder `base` ("" is the static folder's root)."""
    if path == ".." or path.startswith("../"):
        return False
    return not base or path.startswith(base + "/")


def _join(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, normal_name(path)))
    return "" if joined == "." else joined
