"""Vite entries in templates: from Vite's build manifest, the tags that load one entry
(its `<script type="module">`, the stylesheets of it and of the chunks it imports, and a
`modulepreload` link per imported chunk), as vite-ruby's and django-vite's helpers write
them; or, against Vite's dev server, its client and the entry's source.

Which files an entry needs is pure (`entry_files`); which URL and integrity each gets is
the Flask face's business (`flask/extension.py`), through the same `url_for` and manifest as every
other static URL. https://vite.dev/guide/backend-integration
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from cdnpub.errors import UserError
from cdnpub.flask.importmap import Preload, modulepreload_tags
from cdnpub.urls import url_path

DEFAULT_MANIFEST = "dist/.vite/manifest.json"  # relative to the app's static folder


VITE_CLIENT = "@vite/client"


@dataclass(frozen=True, slots=True)
class EntryFiles:
    """The files (relative to Vite's out dir) one entry loads, in the order to load them."""

    stylesheets: tuple[str, ...]  # imported chunks' CSS first (depth first), then the entry's
    preloads: tuple[str, ...]  # JS of the chunks it imports statically, transitively
    scripts: tuple[str, ...]  # the entry's module; none for a CSS entry

    def __add__(self, other: EntryFiles) -> EntryFiles:
        """Both entries' files, each once: a chunk two entries share is preloaded once."""
        scripts = _unique(self.scripts + other.scripts)
        preloads = tuple(f for f in _unique(self.preloads + other.preloads) if f not in scripts)
        return EntryFiles(_unique(self.stylesheets + other.stylesheets), preloads, scripts)


def _unique(files: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(files))


@dataclass(frozen=True, slots=True)
class Tag:
    kind: str  # "script" (a module), "modulepreload" or "stylesheet"
    url: str
    integrity: str = ""  # SRI; "" leaves the attribute out (local URLs)


def entry_files(manifest: Mapping[str, Any], entry: str, origin: str) -> EntryFiles:
    """What `entry` (a key of Vite's manifest: the source path, `src/main.ts`) loads.

    Follows `imports` only: `dynamicImports` load when the code asks, through Vite's own
    preload helper. CSS order is what Vite's own HTML output uses: an imported chunk's
    styles come before those of the chunk importing it, as in the source. Raises
    UserError for an entry the manifest does not hold (naming the ones it does).
    Walked depth first with a stack of its own: a chain of chunks of any length (3,000
    deep) renders, not Python's recursion limit (an HTTP 500 on every page)."""
    chunk = manifest.get(entry)
    if not isinstance(chunk, Mapping) or not isinstance(chunk.get("file"), str):
        entries = sorted(k for k, v in manifest.items() if isinstance(v, Mapping) and v.get("isEntry"))
        listed = ", ".join(entries) if entries else "none"
        raise UserError(f"{entry!r} is not an entry of Vite's manifest {origin} (its entries: {listed})")
    stylesheets: list[str] = []
    preloads: list[str] = []
    seen: set[str] = {entry}
    # Post-order, as a recursion would: a chunk's file and CSS once all it imports are in.
    stack: list[tuple[str, Mapping[str, Any], Iterator[str]]] = [
        (entry, chunk, iter(_strings(chunk, "imports", entry, origin)))
    ]
    while stack:
        key, node, imports = stack[-1]
        imported = next((i for i in imports if i not in seen), None)
        if imported is not None:
            seen.add(imported)
            child = manifest.get(imported)
            if not isinstance(child, Mapping) or not isinstance(child.get("file"), str):
                raise UserError(
                    f"Vite's manifest {origin}: {key!r} imports {imported!r}, which it does not hold"
                )
            stack.append((imported, child, iter(_strings(child, "imports", imported, origin))))
            continue
        stack.pop()
        if stack:  # the entry's own file is not a preload
            preloads.append(node["file"])
        for css in _strings(node, "css", key, origin):
            if css not in stylesheets:
                stylesheets.append(css)
    file = chunk["file"]
    if file.endswith(".css"):
        return EntryFiles((*stylesheets, file), tuple(preloads), ())
    return EntryFiles(tuple(stylesheets), tuple(preloads), (file,))


def _strings(node: Mapping[str, Any], field: str, key: str, origin: str) -> list[str]:
    value = node.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"Vite's manifest {origin}: {key!r}: {field!r} must be a list of strings")
    return value


def render_tags(tags: Sequence[Tag], nonce: str | None = None) -> str:
    """The HTML of module scripts, module preloads and stylesheets, one per line, with
    SRI where given (and `crossorigin="anonymous"`, which SRI on another origin needs).
    Module preloads come from importmap.modulepreload_tags, the one renderer that
    `cdn_modulepreload` (native ES modules) uses too, so both helpers write the same markup."""
    lines = []
    for tag in tags:
        if tag.kind == "modulepreload":
            lines.append(modulepreload_tags([Preload(tag.url, tag.integrity)], nonce))
            continue
        attrs = [f'href="{escape(tag.url)}"' if tag.kind != "script" else f'src="{escape(tag.url)}"']
        if tag.integrity:
            attrs += [f'integrity="{escape(tag.integrity)}"', 'crossorigin="anonymous"']
        if nonce:
            attrs.append(f'nonce="{escape(nonce)}"')
        joined = " ".join(attrs)
        if tag.kind == "script":
            lines.append(f'<script type="module" {joined}></script>')
        else:
            lines.append(f'<link rel="{tag.kind}" {joined}>')
    return "\n".join(lines)


def dev_server_tags(server: str, entries: Sequence[str], nonce: str | None = None) -> str:
    """Vite's dev server instead of the build: its client (hot module replacement), once,
    and the entries' sources, all from `server` (with Vite's `base`, if not `/`)."""
    if not server.startswith(("http://", "https://")):
        raise UserError(f"CDN_VITE_DEV_SERVER is a URL such as http://localhost:5173, not {server!r}")
    base = server.rstrip("/")
    tags = [Tag("script", base + url_path(path)) for path in (VITE_CLIENT, *entries)]
    return render_tags(tags, nonce)


class ManifestFile:
    """Vite's manifest on disk, read again when it changes (a `vite build --watch` in
    development; one stat per call otherwise)."""

    def __init__(self, path: str, static_folder: str) -> None:
        self.path = path
        out_dir = posixpath.dirname(path.replace(os.sep, "/"))
        if posixpath.basename(out_dir) == ".vite":  # Vite 5+; older ones wrote it in the out dir
            out_dir = posixpath.dirname(out_dir)
        inside = os.path.relpath(out_dir, static_folder).replace(os.sep, "/")
        if inside == ".." or inside.startswith("../"):
            raise UserError(
                f"Vite's manifest {path} is outside the static folder {static_folder}: "
                "build.outDir must be inside it (see docs/vite.md)"
            )
        self.out_dir = "" if inside == "." else inside  # in the static folder, as the manifest's paths
        self._stamp: tuple[int, int] | None = None
        self._doc: Mapping[str, Any] = {}

    def read(self) -> Mapping[str, Any]:
        try:
            st = os.stat(self.path)
        except OSError:
            raise UserError(
                f"Vite's manifest {self.path} does not exist: run `vite build` with build.manifest "
                "set, or set CDN_VITE_MANIFEST"
            ) from None
        if (st.st_mtime_ns, st.st_size) != self._stamp:
            try:
                with open(self.path, "rb") as f:
                    doc = json.loads(f.read().decode("utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as err:
                raise UserError(f"cannot read Vite's manifest {self.path}: {err}") from None
            except RecursionError:
                raise UserError(f"cannot read Vite's manifest {self.path}: nested too deeply") from None
            if not isinstance(doc, dict):
                raise UserError(f"{self.path} is not a Vite manifest (an object of chunks)")
            self._doc, self._stamp = doc, (st.st_mtime_ns, st.st_size)
        return self._doc

    def logical(self, file: str) -> str:
        """The static filename of a file the manifest names."""
        return posixpath.join(self.out_dir, file) if self.out_dir else file
