"""Fingerprint a set of static folders: content-hashed names, references between
assets rewritten, dependencies first so that a file's hash covers the hashes of
everything it points at."""

from __future__ import annotations

import multiprocessing
import os
import posixpath
import re
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote

from .bundlers import find_bundler_output
from .digest import Digest, Edit, digest_bytes, digest_file, read_all
from .errors import UserError
from .references import JS_TAIL_BYTES, Span, css_spans, js_map_span
from .rules import Headers, Rule, headers_for
from .scan import Scan, SourceFile

HASH_LENGTH = 10
POOL_MIN_SIZE = 256 * 1024
PARALLEL_CSS_BYTES = 256 * 1024
HASHED_NAME = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}(\.[^./]+)?$")  # cdnpub's own fingerprinted names

# Names a bundler already fingerprinted, for folders without a bundler manifest (see
# bundlers.py, the sure way), and cdnpub's own output: renaming them again would give
# `app.3f2a1b9c0d.5e6f7a8b9c.css` on every rebuild of a built folder. A name taken for a
# hash by mistake keeps its name under a one-year `immutable` header, so each form asks
# for what a hand-written name almost never has (tests/test_bundler_names.py lists both):
# - hex after `.` or `-` (webpack `[contenthash]`, Parcel, Vite < 5): 8-64 hex digits
#   where digits and letters alternate at least twice, so words (`app-deadbeef.js`), dates
#   or counters (`report-20240101.pdf`) and a hex word with a counter (`icon-add00001.png`,
#   `face0001.jpg`) are not hashes;
# - Rollup 4 / Rolldown (Vite 5+) `-` + 8 base64url characters: both cases, at least six
#   runs of one kind of character (upper, lower, digit, `-_`), which word-plus-number
#   names (`page-Template`, `btn-Banner01`, `icon-Html5Doc`) never reach, and not letters
#   in CamelCase words alone (`nav-GoToPage`, `logo-MyNewApp`). About half of Rollup's
#   hashes pass (`main-Br8DK0F1.js`); the rest (`index-DiwrgTda.js`, shaped like
#   `grid-DataGrid.js`) need Vite's manifest;
# - esbuild `-` + 8 base32 characters (`app-5LOLJQPB.js`): upper case and a digit 2-7 only.
# Source maps (`main-Br8DK0F1.js.map`) never match: no bundler's hash covers the map, so
# it can get other bytes under the same name (see bundlers.kept_paths).
DEFAULT_FINGERPRINTED_PATTERN = (
    r"(?:[.-](?=[0-9a-f]*(?:[0-9][a-f]+[0-9]|[a-f][0-9]+[a-f]))[0-9a-f]{8,64}"
    r"|-(?=[A-Za-z0-9_-]{8}\.)(?=[A-Za-z0-9_-]{0,7}[A-Z])(?=[A-Za-z0-9_-]{0,7}[a-z])"
    r"(?![a-z]*(?:[A-Z][a-z]+)*[A-Z]*\.)"
    r"(?:[A-Z]+(?![A-Z])|[a-z]+(?![a-z])|[0-9]+(?![0-9])|[_-]+(?![_-])){6,8}"
    r"|-(?=[A-Z2-7]{8}\.)(?=[A-Z2-7]{0,7}[2-7])(?=[A-Z2-7]{0,7}[A-Z])[A-Z2-7]{8}"
    r")\.(?!map$)[^./]+$"
)

_SKIP = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")  # data:, https:, //cdn, #id


@dataclass(frozen=True, slots=True)
class Source:
    """One static folder and where it lives in URL space and in the bucket."""

    scan: Scan
    url_path: str = "/static"  # local URL of the folder, for root-relative references
    sub: str = ""  # sub-prefix of its keys (a blueprint's name), "" for the app


@dataclass(frozen=True, slots=True)
class BuildOptions:
    prefix: str = "static"  # key prefix in the bucket (the URL path on the CDN)
    rules: tuple[Rule, ...] = ()
    fingerprinted_pattern: str = DEFAULT_FINGERPRINTED_PATTERN
    strict: bool = False
    jobs: int = 8
    kept: frozenset[str] = frozenset()  # logical paths of bundler output: name kept, no plain copy
    esbuild_metafile: str | None = None  # read for bundler output, as the manifests found in the folders
    publish_bundler_manifests: bool = False


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # logical path: sub-prefix + path in its folder
    fs_path: str
    key: str  # S3 key of the fingerprinted object (or of the bundler's own name)
    plain_key: str | None  # S3 key of the plain-name copy; None when the name was hashed already
    size: int
    sha256: str
    etag: str
    integrity: str
    headers: Headers
    edits: tuple[Edit, ...] = ()
    source_size: int = 0  # size on disk before edits
    source_mtime_ns: int = 0


@dataclass(frozen=True, slots=True)
class Build:
    prefix: str
    assets: tuple[Asset, ...]  # dependencies before dependents
    warnings: tuple[str, ...] = ()
    rewritten: int = 0  # references rewritten
    roots: tuple[str, ...] = ()  # the static folders built

    @property
    def total_bytes(self) -> int:
        return sum(a.size for a in self.assets)


@dataclass(frozen=True, slots=True)
class _Ref:
    start: int  # offsets: bytes in a script, characters in a stylesheet
    end: int
    raw: str  # as written
    target: str  # logical path
    quoted: bool  # the span is a whole CSS string token
    keeps_relative: bool  # same folder: the relative form stays valid on the CDN


@dataclass(slots=True)
class _Node:
    file: SourceFile
    logical: str
    url: str  # local URL path of the file
    source: Source
    refs: list[_Ref] = field(default_factory=list)
    text: str | None = None  # decoded CSS, kept until rewritten


def hashed_name(path: str, sha256: str) -> str:
    """`css/app.css` -> `css/app.3f2a1b9c0d.css` (the last extension stays last)."""
    head, _, name = path.rpartition("/")
    return f"{head}/{_with_hash(name, sha256)}" if head else _with_hash(name, sha256)


def _with_hash(name: str, sha256: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if dot and stem:
        return f"{stem}.{sha256[:HASH_LENGTH]}.{ext}"
    return f"{name}.{sha256[:HASH_LENGTH]}"


def join_key(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def build(sources: Sequence[Source], options: BuildOptions = BuildOptions()) -> Build:
    """Fingerprint every file of `sources`; pure but for reading the files.

    Files that point at nothing (images, fonts, maps: most of the bytes) are hashed
    while the stylesheets are tokenized, the two costly parts of a build."""
    try:
        fingerprinted = re.compile(options.fingerprinted_pattern)
    except re.error as err:
        raise UserError(f"bad fingerprinted-file pattern: {err}") from None
    bundled = find_bundler_output([(s.scan, s.sub) for s in sources], options.esbuild_metafile)
    publish = options.publish_bundler_manifests
    sources = [replace(s, scan=bundled.publishable(s.scan, s.sub, publish)) for s in sources]
    options = replace(options, kept=options.kept | bundled.kept)
    nodes = _nodes(sources)
    if not nodes:
        folders = ", ".join(s.scan.root for s in sources)
        raise UserError(f"no files to publish in {folders} (empty, or everything is ignored)")
    by_url = sorted(sources, key=lambda s: len(s.url_path), reverse=True)
    found: dict[str, list[str]] = {}  # warnings by node, reported in node order
    sheets = _Stylesheets(nodes)  # forks its workers first, before any thread starts
    assets: dict[str, Asset] = {}
    with sheets, ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        leaves = []
        for node in nodes.values():
            if node.text is None:
                found[node.logical] = _find_references(node, nodes, by_url, [])
                if not node.refs:
                    leaves.append(node)
        _add_assets(leaves, assets, pool, options, fingerprinted)
        for node, spans in sheets.spans():
            found[node.logical] = _find_references(node, nodes, by_url, spans)
        warnings = [w for s in sources for w in s.scan.warnings] + list(bundled.warnings)
        warnings += [w for name in nodes for w in found[name]]
        if options.strict and warnings:
            raise UserError(warnings[0] + " (--strict)")
        for level in _levels(nodes):
            _add_assets([n for n in level if n.logical not in assets], assets, pool, options, fingerprinted)
    rewritten = sum(len(n.refs) for n in nodes.values())
    roots = tuple(s.scan.root for s in sources)
    return Build(options.prefix, tuple(assets.values()), tuple(warnings), rewritten, roots)


def _add_assets(
    level: list[_Node],
    assets: dict[str, Asset],
    pool: ThreadPoolExecutor,
    options: BuildOptions,
    fingerprinted: re.Pattern[str],
) -> None:
    """Fingerprint nodes that depend only on `assets`. Big files go to the pool
    (hashlib releases the GIL, so they hash in parallel); small ones are cheaper
    inline than as a future each."""
    big = [n for n in level if n.file.size >= POOL_MIN_SIZE]
    futures = [pool.submit(_asset, n, assets, options, fingerprinted) for n in big]
    small = [_asset(n, assets, options, fingerprinted) for n in level if n.file.size < POOL_MIN_SIZE]
    by_path = {a.path: a for a in small + [f.result() for f in futures]}
    assets.update((n.logical, by_path[n.logical]) for n in level)


def _nodes(sources: Sequence[Source]) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {}
    subs = {s.sub for s in sources if s.sub}
    for source in sources:
        for f in source.scan.files:
            logical = join_key(source.sub, f.path)
            if not source.sub and f.path.split("/", 1)[0] in subs:
                top = f.path.split("/", 1)[0]
                raise UserError(
                    f"{f.fs_path}: the folder {top}/ clashes with the blueprint {top!r}, "
                    "whose static files are published under the same name"
                )
            nodes[logical] = _Node(f, logical, join_key(source.url_path, f.path), source)
    return nodes


class _Stylesheets:
    """Every stylesheet read (the text kept on its node) and tokenized for references.

    Tokenizing is the costly part of a build and tinycss2 is pure Python: past
    PARALLEL_CSS_BYTES it runs in forked worker processes, one per core, started here
    so that the caller hashes other files meanwhile. Only when this process has no
    other thread yet, since a fork copies locks another thread may hold.
    """

    def __init__(self, nodes: dict[str, _Node]) -> None:
        self._sheets = [n for n in nodes.values() if n.file.path.endswith(".css")]
        for node in self._sheets:
            node.text = read_all(node.file.fs_path, node.file.size).decode("utf-8", "surrogateescape")
        texts = [n.text or "" for n in self._sheets]
        cores = os.cpu_count() or 1
        forkable = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
        self._pool: ProcessPoolExecutor | None = None
        self._pending: Iterator[list[Span]] | None = None
        if sum(map(len, texts)) >= PARALLEL_CSS_BYTES and cores >= 2 and forkable:
            self._pool = ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("fork"))
            chunk = max(1, len(texts) // (cores * 4))
            self._pending = self._pool.map(css_spans, texts, chunksize=chunk)  # forks now

    def spans(self) -> Iterator[tuple[_Node, list[Span]]]:
        if self._pending is None:
            found: Iterator[list[Span]] = (css_spans(n.text or "") for n in self._sheets)
        else:
            found = self._pending
        return zip(self._sheets, found, strict=True)

    def __enter__(self) -> _Stylesheets:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _find_references(
    node: _Node, nodes: dict[str, _Node], by_url: list[Source], sheet: list[Span]
) -> list[str]:
    """Record the node's references to other files; the warnings about those that
    point at nothing."""
    warnings: list[str] = []
    path = node.file.path
    if path.endswith(".css"):
        spans = [(s.start, s.end, s.value, s.quoted) for s in sheet]
    elif path.endswith((".js", ".mjs", ".cjs")):
        tail = _tail(node.file)
        found = js_map_span(tail)
        offset = node.file.size - len(tail)
        spans = [] if found is None else [(offset + found[0], offset + found[1], found[2], False)]
    else:
        return warnings
    for start, end, raw, quoted in spans:
        target = _resolve(raw, node, by_url)
        if target is None:
            continue
        if target not in nodes:
            warnings.append(
                f"{node.file.fs_path}: {raw!r} points to /{target_url(raw, node)}, "
                "which is not in the static folder"
            )
            continue
        if target == node.logical:
            continue  # a sprite that points into itself
        keeps = not raw.startswith("/") and nodes[target].source is node.source and _stays_inside(raw, node)
        node.refs.append(_Ref(start, end, raw, target, quoted, keeps))
    return warnings


def _stays_inside(raw: str, node: _Node) -> bool:
    """A relative reference that climbs out of the static folder (and maybe back in, by
    the folder's URL name) is only right where that name is the same: not on the CDN."""
    path = unquote(re.split(r"[?#]", raw, maxsplit=1)[0])
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(node.file.path), path))
    return resolved != ".." and not resolved.startswith("../")


def target_url(raw: str, node: _Node) -> str:
    ref = unquote(re.split(r"[?#]", raw, maxsplit=1)[0])
    if ref.startswith("/"):
        return ref.lstrip("/")
    return posixpath.normpath(posixpath.join("/" + posixpath.dirname(node.url), ref)).lstrip("/")


def _resolve(raw: str, node: _Node, by_url: list[Source]) -> str | None:
    """The logical path a reference points to, or None when it is not ours to rewrite."""
    if not raw or _SKIP.match(raw) or raw.startswith("?"):
        return None
    url = "/" + target_url(raw, node)
    for source in by_url:
        base = "/" + source.url_path.strip("/")
        if base == "/":
            return join_key(source.sub, url)
        if url.startswith(base + "/"):
            return join_key(source.sub, url[len(base) + 1 :])
    return url.lstrip("/")  # outside every static folder: reported as missing


def _tail(f: SourceFile) -> bytes:
    try:
        with open(f.fs_path, "rb") as fh:
            if f.size > JS_TAIL_BYTES:
                fh.seek(f.size - JS_TAIL_BYTES)
            return fh.read(JS_TAIL_BYTES)
    except OSError as err:
        raise UserError(f"cannot read {f.fs_path}: {err.strerror}") from None


def _levels(nodes: dict[str, _Node]) -> Iterator[list[_Node]]:
    """Nodes grouped so that each group depends only on earlier groups; a cycle is an error."""
    depth: dict[str, int] = {}
    visiting: list[str] = []

    def visit(name: str) -> int:
        if name in depth:
            return depth[name]
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise UserError("reference cycle: " + " -> ".join(cycle))
        visiting.append(name)
        d = 1 + max((visit(r.target) for r in nodes[name].refs), default=-1)
        visiting.pop()
        depth[name] = d
        return d

    levels: list[list[_Node]] = []
    for name in nodes:
        d = visit(name)
        while len(levels) <= d:
            levels.append([])
        levels[d].append(nodes[name])
    yield from levels


def keeps_name(path: str, options: BuildOptions, fingerprinted: re.Pattern[str]) -> bool:
    """Whether the file at logical `path` keeps its name (a bundler's output, listed by its
    manifest or matching the pattern, or cdnpub's own): published under it `immutable`,
    with no plain-name copy. The one place that decides it."""
    base = posixpath.basename(path)
    return path in options.kept or bool(fingerprinted.search(base) or HASHED_NAME.search(base))


def _asset(
    node: _Node, done: dict[str, Asset], options: BuildOptions, fingerprinted: re.Pattern[str]
) -> Asset:
    edits = tuple(_edits(node, done))
    f = node.file
    if node.text is not None:
        digest: Digest = digest_bytes(apply_edits(node.text.encode("utf-8", "surrogateescape"), edits))
    else:
        digest = digest_file(f.fs_path, f.size, edits)
    already = keeps_name(node.logical, options, fingerprinted)
    name = node.logical if already else hashed_name(node.logical, digest.sha256)
    return Asset(
        path=node.logical,
        fs_path=f.fs_path,
        key=join_key(options.prefix, name),
        plain_key=None if already else join_key(options.prefix, node.logical),
        size=digest.size,
        sha256=digest.sha256,
        etag=digest.etag,
        integrity=digest.integrity,
        headers=headers_for(node.logical, options.rules),
        edits=edits,
        source_size=f.size,
        source_mtime_ns=f.mtime_ns,
    )


def _new_reference(ref: _Ref, target: Asset) -> str:
    """The reference rewritten to the fingerprinted name, in the form it was written."""
    raw = ref.raw
    if target.plain_key is None:
        return raw
    cut = len(re.split(r"[?#]", raw, maxsplit=1)[0])
    path, suffix = raw[:cut], raw[cut:]
    if not ref.keeps_relative:  # the key is a name, the reference a URL: encode it
        return "/" + quote(target.key, safe="/") + suffix
    return hashed_name(path, target.sha256) + suffix


def _edits(node: _Node, done: dict[str, Asset]) -> Iterator[Edit]:
    """Byte-offset edits of the source file: the streamed form of the rewrite."""
    encoded_upto, byte_pos = 0, 0
    for ref in node.refs:
        new = _new_reference(ref, done[ref.target])
        if node.text is None:  # a script: offsets are bytes already
            yield Edit(ref.start, ref.end, new.encode("utf-8"))
            continue
        chunk = node.text[encoded_upto : ref.start].encode("utf-8", "surrogateescape")
        byte_pos += len(chunk)
        byte_end = byte_pos + len(node.text[ref.start : ref.end].encode("utf-8", "surrogateescape"))
        yield Edit(byte_pos, byte_end, _css_text(new, ref.quoted).encode("utf-8", "surrogateescape"))
        encoded_upto, byte_pos = ref.end, byte_end


def _css_text(reference: str, quoted: bool) -> str:
    if not quoted:
        return reference
    return '"' + reference.replace("\\", "\\\\").replace('"', '\\"') + '"'


def apply_edits(data: bytes, edits: Sequence[Edit]) -> bytes:
    out: list[bytes] = []
    pos = 0
    for edit in edits:
        out += (data[pos : edit.start], edit.text)
        pos = edit.end
    out.append(data[pos:])
    return b"".join(out)
