"""Bundler output: the files a bundler's own manifest lists (Vite's `.vite/manifest.json`
and the older `manifest.json`, webpack-manifest-plugin's `manifest.json`, esbuild's
metafile). Their names carry the bundler's content hash and the bundler owns the
references between them, so cdnpub keeps their names, serves them `immutable`, makes
no plain-name copy and publishes them byte for byte (source maps excepted: see kept_paths).

A manifest is the only sure sign: a name pattern cannot tell `index-DiwrgTda.js` from
`page-TextArea.js`, and a hand-written name taken for a hash is stuck in browsers for a
year. Listing is not enough either: a bundler configured with `[name].js` lists
`main.js`, whose name does not change with its content, so a listed file is kept only
when the bundler renamed it (its name differs from its source's).

The parsers are pure (a JSON document in, the listed files out); `find_bundler_output`
is the I/O edge that looks for the manifests in scanned folders and reads them.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from cdnpub.build.scan import Scan, SourceFile
from cdnpub.errors import UserError
from cdnpub.urls import normal_name

VITE_MANIFEST = ".vite/manifest.json"  # Vite 5+; older Vite wrote manifest.json in the out dir


MANIFEST_JSON = "manifest.json"  # Vite < 5, webpack-manifest-plugin; also PWA manifests: sniffed


@dataclass(frozen=True, slots=True)
class Listed:
    """One file a bundler manifest names."""

    file: str  # as the manifest writes it: relative to the out dir, a URL, or a path from esbuild's cwd
    source: str | None  # the source it was made from, when the manifest says; None: made up by the bundler


@dataclass(frozen=True, slots=True)
class Found:
    """A bundler manifest in or beside a static folder."""

    kind: str  # "vite", "webpack" or "esbuild"
    fs_path: str
    logical: str | None  # its logical path when it is in a static folder
    root: str | None = None  # that folder (Scan.root)
    path: str | None = None  # its path in that folder


@dataclass(frozen=True, slots=True)
class BundlerOutput:
    kept: frozenset[str] = frozenset()  # logical paths of bundler output whose names hold a hash
    manifests: tuple[Found, ...] = ()
    warnings: tuple[str, ...] = ()

    def publishable(self, scan: Scan, sub: str, publish_manifests: bool) -> Scan:
        """`scan` without the bundler manifests in it or, when asked, with them (scan's
        ignore rules drop `.vite/`, so it is added back here)."""
        mine = {m.logical for m in self.manifests if m.logical is not None}
        files = [f for f in scan.files if _logical(sub, f.path) not in mine]
        if publish_manifests:
            for m in self.manifests:
                if m.root == scan.root and m.path is not None:
                    st = os.stat(m.fs_path)
                    files.append(SourceFile(m.path, m.fs_path, st.st_size, st.st_mtime_ns))
            files = sorted({f.path: f for f in files}.values(), key=lambda f: f.path)
        return replace(scan, files=tuple(files))


def _logical(sub: str, path: str) -> str:
    return f"{sub}/{path}" if sub else path


def sniff(doc: Any) -> str | None:
    """Which bundler wrote a `manifest.json`: "vite" (chunks with a "file"), "webpack"
    (file names to URLs), or None (a web app manifest, or anything else)."""
    if not isinstance(doc, dict) or not doc:
        return None
    values = list(doc.values())
    if all(isinstance(v, dict) and isinstance(v.get("file"), str) for v in values):
        return "vite"
    # Names of files to their URLs; a web app manifest's keys are words ("name", "start_url").
    if all(isinstance(v, str) for v in values) and all(_has_extension(k) for k in doc):
        return "webpack"
    return None


def _has_extension(name: str) -> bool:
    stem, dot, ext = posixpath.basename(name).rpartition(".")
    return bool(dot and stem and ext)


def vite_files(doc: Any, origin: str) -> tuple[Listed, ...]:
    """Files of a Vite (Rollup/Rolldown) build manifest, relative to the out dir: each
    chunk's `file`, `css` and `assets`. Keys starting with `_` are chunks Vite made up."""
    if sniff(doc) != "vite":
        raise UserError(
            f'{origin}: not a Vite manifest (an object of chunks, each with a "file"); '
            "rebuild it with `vite build`"
        )
    listed: dict[str, str | None] = {}
    for key, chunk in doc.items():
        source = _vite_source(key, chunk)
        listed.setdefault(chunk["file"], source)
        for field in ("css", "assets"):
            extra = chunk.get(field, [])
            if not isinstance(extra, list) or not all(isinstance(f, str) for f in extra):
                raise UserError(f"{origin}: {key!r}: {field!r} must be a list of file names")
            for f in extra:
                listed.setdefault(f, source if field == "css" else None)
    return tuple(Listed(f, s) for f, s in listed.items())


def _vite_source(key: str, chunk: dict[str, Any]) -> str | None:
    """The name a chunk's file was made from: its `name` (no extension, may hold dots), or
    the stem of its `src`; None for chunks Vite made up (keys starting with `_`)."""
    name, src = chunk.get("name"), chunk.get("src")
    if isinstance(name, str):
        return posixpath.basename(name)
    if isinstance(src, str) and not key.startswith("_"):
        return _stem(src)
    return None


def webpack_files(doc: Any, origin: str) -> tuple[Listed, ...]:
    """Files of a webpack-manifest-plugin manifest: source name -> public URL."""
    if sniff(doc) != "webpack":
        raise UserError(f"{origin}: not a webpack manifest (an object of names to URLs)")
    return tuple(Listed(url, _stem(name)) for name, url in doc.items())


def esbuild_files(doc: Any, origin: str) -> tuple[Listed, ...]:
    """Outputs of an esbuild metafile (`metafile: true`), relative to esbuild's working
    directory. The source of an output is its entry point, or its one input."""
    outputs = doc.get("outputs") if isinstance(doc, dict) else None
    if not isinstance(outputs, dict) or not all(isinstance(v, dict) for v in outputs.values()):
        raise UserError(f'{origin}: not an esbuild metafile (no "outputs" object)')
    listed = []
    for path, out in outputs.items():
        entry = out.get("entryPoint")
        inputs = out.get("inputs")
        source = entry if isinstance(entry, str) else None
        if source is None and isinstance(inputs, dict) and len(inputs) == 1:
            source = next(iter(inputs))
        listed.append(Listed(path, _stem(source) if source else None))
    return tuple(listed)


def _stem(path: str) -> str:
    """`src/main.ts` -> `main`; `assets/main.0d9c8b7a.js.map` -> `main.0d9c8b7a`."""
    name = posixpath.basename(path.split("?", 1)[0]).removesuffix(".map")
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def renamed(listed: Listed) -> bool:
    """Whether the bundler put something (its hash) into the name: `main-aJs-tnuq.js`
    from `main`, not `main.js` from `main` (`entryFileNames: "[name].js"`)."""
    return listed.source is None or _stem(listed.file) != listed.source


def kept_paths(
    logical: Iterable[tuple[Listed, str | None]], files: frozenset[str], origin: str
) -> tuple[frozenset[str], tuple[str, ...]]:
    """The logical paths to keep, from (listed file, its logical path or None when it
    is outside the static folders), and the warnings: a listed file missing from the
    folder (a stale manifest), files the bundler did not rename.

    Source maps are never kept: no bundler's hash covers the map (webpack#6190,
    rollup#6499), so `main-DC3y9O_F.js.map` gets other bytes under the same name when
    only a comment changed. They are ordinary files: a plain copy under their own name
    (what the script's `sourceMappingURL` names), short-cached and invalidated."""
    kept: set[str] = set()
    missing: list[str] = []
    plain: list[str] = []
    for listed, path in logical:
        if path is None or path.endswith(".map"):
            continue
        if path not in files:
            missing.append(path)
        elif not renamed(listed):
            plain.append(path)
        else:
            kept.add(path)
    warnings = []
    if missing:
        warnings.append(
            f"{origin} lists {len(missing)} files that are not in the static folder, such as "
            f"{missing[0]} (a manifest from another build?)"
        )
    if plain:
        warnings.append(
            f"{origin} lists {len(plain)} files whose names hold no content hash, such as {plain[0]}: "
            "cdnpub fingerprints them as its own"
        )
    return frozenset(kept), tuple(warnings)


def resolve_url(url: str, base: str, files: frozenset[str]) -> str | None:
    """The logical path a webpack manifest URL names: relative to the manifest's folder,
    or (a root-relative or absolute URL holding the public path) the longest tail of its
    path that is a file under that folder."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if not parts.scheme and not parts.netloc and not path.startswith("/"):
        return _join(base, path)
    segments = [s for s in path.split("/") if s]
    for i in range(len(segments)):
        candidate = _join(base, "/".join(segments[i:]))
        if candidate in files:
            return candidate
    return _join(base, "/".join(segments[-1:]))


def _join(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, normal_name(path)))
    return "" if joined == "." else joined


def find_bundler_output(
    folders: Sequence[tuple[Scan, str]], esbuild_metafile: str | None = None
) -> BundlerOutput:
    """Bundler output in the scanned `folders` ((scan, sub-prefix) pairs): the files the
    manifests found in them list, and those of `esbuild_metafile` (a path on this machine;
    its outputs are read relative to the current directory, where esbuild runs).

    Raises UserError for a `.vite/manifest.json` or a named metafile that cannot be read
    as one: publishing Vite output as ordinary files would give it plain-name copies and
    leave `cdn_vite_tags` nothing to render, so stop before any write. A `manifest.json`
    that is not a bundler's (a web app manifest) is an ordinary file."""
    files = frozenset(_logical(sub, f.path) for scan, sub in folders for f in scan.files)
    kept: set[str] = set()
    found: list[Found] = []
    warnings: list[str] = []
    for scan, sub in folders:
        for folder in _folders(scan):
            fs_path = os.path.join(scan.root, folder, VITE_MANIFEST)
            if not os.path.isfile(fs_path):
                continue
            base = _logical(sub, folder) if folder else sub
            listed = vite_files(_read_json(fs_path), fs_path)
            path = _join(folder, VITE_MANIFEST)
            found.append(Found("vite", fs_path, _logical(sub, path), scan.root, path))
            k, w = kept_paths(((x, _join(base, x.file)) for x in listed), files, fs_path)
            kept |= k
            warnings += w
        for f in scan.files:
            if posixpath.basename(f.path) != MANIFEST_JSON:
                continue
            try:
                doc = _read_json(f.fs_path)
            except UserError:
                continue  # not JSON: not a bundler's
            kind = sniff(doc)
            if kind is None:
                continue
            base = posixpath.dirname(_logical(sub, f.path))
            listed = vite_files(doc, f.fs_path) if kind == "vite" else webpack_files(doc, f.fs_path)
            paths = [
                (x, _join(base, x.file) if kind == "vite" else resolve_url(x.file, base, files))
                for x in listed
            ]
            if not any(p in files for _, p in paths):
                continue  # names none of the files beside it: not this folder's bundler manifest
            found.append(Found(kind, f.fs_path, _logical(sub, f.path), scan.root, f.path))
            k, w = kept_paths(paths, files, f.fs_path)
            kept |= k
            warnings += w
    if esbuild_metafile:
        listed = esbuild_files(_read_json(esbuild_metafile, named=True), esbuild_metafile)
        found.append(Found("esbuild", esbuild_metafile, *_in_folders(esbuild_metafile, folders)))
        pairs = [(x, _logical_of_fs_path(x.file, folders)) for x in listed]
        if listed and all(p is None for _, p in pairs):
            warnings.append(
                f"{esbuild_metafile}: none of its outputs is in the static folder "
                "(its paths are read from the current directory, where esbuild runs)"
            )
        k, w = kept_paths(pairs, files, esbuild_metafile)
        kept |= k
        warnings += w
    return BundlerOutput(frozenset(kept), tuple(found), tuple(warnings))


def _folders(scan: Scan) -> Iterator[str]:
    """Every folder holding a scanned file, and their parents: where an out dir may be
    (Vite's holds only `assets/` and `.vite/`). One stat each, not another walk."""
    seen: set[str] = set()
    for f in scan.files:
        folder = posixpath.dirname(f.path)
        while folder not in seen:
            seen.add(folder)
            yield folder
            if not folder:
                break
            folder = posixpath.dirname(folder)


def _logical_of_fs_path(path: str, folders: Sequence[tuple[Scan, str]]) -> str | None:
    return _in_folders(path, folders)[0]


def _in_folders(path: str, folders: Sequence[tuple[Scan, str]]) -> tuple[str | None, str | None, str | None]:
    """(logical path, folder, path in the folder) of a file on this machine; Nones outside them."""
    real = os.path.realpath(path)
    for scan, sub in folders:
        root = os.path.realpath(scan.root)
        if os.path.commonpath([root, real]) == root and real != root:
            inner = normal_name(os.path.relpath(real, root).replace(os.sep, "/"))
            return _logical(sub, inner), scan.root, inner
    return None, None, None


def _read_json(path: str, named: bool = False) -> Any:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        if named:
            raise UserError(
                f"{path}: no such file (the esbuild metafile named in the configuration)"
            ) from None
        raise UserError(f"{path}: no such file") from None
    except OSError as err:
        raise UserError(f"cannot read {path}: {err.strerror}") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise UserError(f"{path}: not valid JSON ({err})") from None
