"""Bundler output: the files a bundler's own manifest lists (Vite's `.vite/manifest.json`
and the older `manifest.json`, webpack's manifests in the shapes of webpack.py, esbuild's
metafile). Their names carry the bundler's content hash and the bundler owns the
references between them, so cdnpub keeps their names, serves them `immutable`, makes
no plain-name copy and publishes them byte for byte (source maps excepted: see kept_paths).

A manifest is the only sure sign: a name pattern cannot tell `index-DiwrgTda.js` from
`page-TextArea.js`, and a hand-written name taken for a hash is stuck in browsers for a
year. Listing is not enough either: a bundler configured with `[name].js` lists
`main.js`, whose name does not change with its content, so a listed file is kept only
when its name carries a hash (carries_hash), and only when it is in the bundler's output
folder (a manifest entry `../robots.txt` names no output of the bundler's).

The parsers are pure (a JSON document in, the listed files out); `find_bundler_output`
is the I/O edge that looks for the manifests in scanned folders and reads them.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cdnpub.build.listed import Listed, inside, kept_paths, stem_of
from cdnpub.build.listed import renamed as renamed  # what tests and callers name from here
from cdnpub.build.scan import Scan, SourceFile
from cdnpub.build.webpack import MANIFEST_JSON, NAMED_MANIFESTS, file_names, is_webpack
from cdnpub.build.webpack import resolve_url as resolve_url  # the webpack shapes live in webpack.py
from cdnpub.errors import UserError
from cdnpub.text import printable
from cdnpub.urls import normal_name

VITE_MANIFEST = ".vite/manifest.json"  # Vite 5+; older Vite wrote manifest.json in the out dir


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
    (one of the shapes of webpack.py), or None (a web app manifest, or anything else)."""
    if not isinstance(doc, dict) or not doc:
        return None
    values = list(doc.values())
    if all(isinstance(v, dict) and isinstance(v.get("file"), str) for v in values):
        return "vite"
    return "webpack" if is_webpack(doc) else None


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
        _note(listed, chunk["file"], source)
        for field in ("css", "assets"):
            extra = chunk.get(field, [])
            if not isinstance(extra, list) or not all(isinstance(f, str) for f in extra):
                raise UserError(f"{origin}: {key!r}: {field!r} must be a list of file names")
            for f in extra:
                _note(listed, f, source if field == "css" else None)
    return tuple(Listed(f, s) for f, s in listed.items())


def _note(listed: dict[str, str | None], file: str, source: str | None) -> None:
    """A file listed again keeps the first source any listing gives (an asset is listed
    by the chunk that imports it, without one, and by its own key, with one)."""
    if listed.get(file) is None:
        listed[file] = source


def _vite_source(key: str, chunk: dict[str, Any]) -> str | None:
    """The name a chunk's file was made from: its `name` (no extension, may hold dots), or
    the stem of its `src`; None for chunks Vite made up (keys starting with `_`)."""
    name, src = chunk.get("name"), chunk.get("src")
    if isinstance(name, str):
        return posixpath.basename(name)
    if isinstance(src, str) and not key.startswith("_"):
        return stem_of(src)
    return None


def webpack_files(doc: Any, origin: str) -> tuple[Listed, ...]:
    """Files a webpack manifest names (any shape of webpack.py), each once, with its
    source when a key names it."""
    if sniff(doc) != "webpack":
        raise UserError(f"{origin}: not a webpack manifest (an object of names to URLs)")
    return _webpack_listed(doc)


def _webpack_listed(doc: Any) -> tuple[Listed, ...]:
    listed: dict[str, str | None] = {}
    for file, source in file_names(doc):
        _note(listed, file, source)
    return tuple(Listed(f, s) for f, s in listed.items())


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
        listed.append(Listed(path, stem_of(source) if source else None))
    return tuple(listed)


def _join(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, normal_name(path)))
    return "" if joined == "." else joined


@dataclass(slots=True)
class _Reading:
    """What find_bundler_output gathers, manifest by manifest."""

    files: frozenset[str]  # logical paths of every scanned file
    kept: set[str]
    found: list[Found]
    warnings: list[str]

    def take(self, pairs: Iterable[tuple[Listed, str | None]], base: str | None, origin: str) -> None:
        ok, outside = inside(pairs, base, origin)
        kept, warnings = kept_paths(ok, self.files, origin)
        self.kept |= kept
        self.warnings += [*outside, *warnings]


def find_bundler_output(
    folders: Sequence[tuple[Scan, str]], esbuild_metafile: str | None = None
) -> BundlerOutput:
    """Bundler output in the scanned `folders` ((scan, sub-prefix) pairs): the files the
    manifests found in them list, and those of `esbuild_metafile` (a path on this machine;
    its outputs are read relative to the current directory, where esbuild runs).

    Raises UserError for a `.vite/manifest.json` or a named metafile that cannot be read
    as one (or is a symlink out of its folder, or not a regular file): publishing Vite
    output as ordinary files would give it plain-name copies and leave `cdn_vite_tags`
    nothing to render, so stop before any write. A `manifest.json` that is not a
    bundler's (a web app manifest) is an ordinary file; a bundler's that names none of
    the files beside it is one too, with a warning."""
    files = frozenset(_logical(sub, f.path) for scan, sub in folders for f in scan.files)
    reading = _Reading(files, set(), [], [])
    for scan, sub in folders:
        _vite_manifests(scan, sub, reading)
        for f in scan.files:
            if posixpath.basename(f.path) in NAMED_MANIFESTS or posixpath.basename(f.path) == MANIFEST_JSON:
                _webpack_manifest(scan, f, sub, reading)
    if esbuild_metafile:
        listed = esbuild_files(_read_json(esbuild_metafile, named=True), esbuild_metafile)
        reading.found.append(Found("esbuild", esbuild_metafile, *_in_folders(esbuild_metafile, folders)))
        pairs = [(x, _logical_of_fs_path(x.file, folders)) for x in listed]
        if listed and all(p is None for _, p in pairs):
            reading.warnings.append(
                f"{esbuild_metafile}: none of its outputs is in the static folder "
                "(its paths are read from the current directory, where esbuild runs)"
            )
        reading.take(pairs, None, esbuild_metafile)
    return BundlerOutput(frozenset(reading.kept), tuple(reading.found), tuple(reading.warnings))


def _vite_manifests(scan: Scan, sub: str, reading: _Reading) -> None:
    """Every `OUTDIR/.vite/manifest.json` under the folder (scan's ignore rules hide `.vite/`)."""
    real_root = os.path.realpath(scan.root)
    for folder in _folders(scan):
        fs_path = os.path.join(scan.root, folder, VITE_MANIFEST)
        if not os.path.isfile(fs_path):
            continue
        real = os.path.realpath(fs_path)
        if os.path.commonpath([real_root, real]) != real_root:
            raise UserError(f"{printable(fs_path)} is a symlink out of the static folder")
        base = _logical(sub, folder) if folder else sub
        listed = vite_files(_read_json(fs_path), fs_path)
        path = _join(folder, VITE_MANIFEST)
        reading.found.append(Found("vite", fs_path, _logical(sub, path), scan.root, path))
        reading.take(((x, _join(base, x.file)) for x in listed), base, fs_path)


def _webpack_manifest(scan: Scan, f: SourceFile, sub: str, reading: _Reading) -> None:
    """A `manifest.json` (Vite < 5, webpack; sniffed, web app manifests share the name) or
    a file name only webpack's plugins write (webpack.NAMED_MANIFESTS)."""
    named = posixpath.basename(f.path) in NAMED_MANIFESTS
    try:
        doc = _read_json(f.fs_path)
    except UserError as err:
        if named:
            reading.warnings.append(f"{err}: not read as a webpack manifest, published as an ordinary file")
        return  # a manifest.json that is not JSON: not a bundler's
    kind = sniff(doc) or ("webpack" if named and isinstance(doc, dict) else None)
    if kind is None:
        return
    base = posixpath.dirname(_logical(sub, f.path))
    listed = vite_files(doc, f.fs_path) if kind == "vite" else _webpack_listed(doc)
    pairs = [
        (x, _join(base, x.file) if kind == "vite" else resolve_url(x.file, base, reading.files))
        for x in listed
    ]
    if not any(p in reading.files for _, p in pairs):
        reading.warnings.append(
            f"{printable(f.fs_path)} is shaped like a {kind} manifest but names none of the files beside it "
            "(a manifest from another build?): published as an ordinary file"
        )
        return
    reading.found.append(Found(kind, f.fs_path, _logical(sub, f.path), scan.root, f.path))
    reading.take(pairs, base, f.fs_path)


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
    """The JSON document in the regular file at `path`. Raises UserError, one line, for
    anything else: a FIFO (opened without blocking, then refused), a device (`/dev/zero`
    would grow without end), a folder, bytes that are not UTF-8 JSON, a document nested
    deeper than the parser's recursion allows."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        if named:
            raise UserError(
                f"{printable(path)}: no such file (the esbuild metafile named in the configuration)"
            ) from None
        raise UserError(f"{printable(path)}: no such file") from None
    except OSError as err:
        raise UserError(f"cannot read {printable(path)}: {err.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UserError(f"{printable(path)}: not a regular file")
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read()
        except OSError as err:
            raise UserError(f"cannot read {printable(path)}: {err.strerror}") from None
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise UserError(f"{printable(path)}: nested too deeply to be a bundler's manifest") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise UserError(f"{printable(path)}: not valid JSON ({err})") from None
