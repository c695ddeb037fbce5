"""Fingerprint a set of static folders: content-hashed names, references between
assets rewritten, dependencies first so that a file's hash covers the hashes of
everything it points at."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import posixpath
import re
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from .bundlers import find_bundler_output
from .digest import Digest, Edit, digest_bytes, digest_file, read_all
from .errors import UserError
from .modulegraph import DEFAULT_JS_MODULES, ModuleImports, module_graph
from .printable import printable
from .references import JS_TAIL_BYTES, Span, css_spans, is_script, is_stylesheet, js_map_span, url_text
from .rules import Headers, Rule, headers_for
from .scan import Scan, SourceFile
from .urls import normal_name, relative_url, url_path

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
# What an unquoted url() cannot hold as it is (CSS Syntax Level 3, 4.3.6): such a
# rewritten reference is written as a string, url("...").
_UNQUOTED_UNSAFE = frozenset("\"'()\\ \t\n\r\f\x7f") | frozenset(map(chr, range(0x20)))


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
    js_modules: tuple[str, ...] = DEFAULT_JS_MODULES  # globs of the .js files that are ES modules
    kept: frozenset[str] = frozenset()  # logical paths of bundler output: name kept, no plain copy
    esbuild_metafile: str | None = None  # read for bundler output, as the manifests found in the folders
    publish_bundler_manifests: bool = False


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # logical path: sub-prefix + path in its folder
    fs_path: str
    key: str  # S3 key of the fingerprinted object (or of the bundler's own name)
    plain_key: str | None  # S3 key of the plain-name copy; None when the name is kept (keeps_name)
    size: int
    sha256: str
    etag: str
    integrity: str
    headers: Headers
    edits: tuple[Edit, ...] = ()
    source_size: int = 0  # size on disk before edits
    source_mtime_ns: int = 0

    @property
    def kept_name(self) -> bool:
        """Published under its own name, byte for byte (see keeps_name)."""
        return self.plain_key is None


@dataclass(frozen=True, slots=True)
class Build:
    prefix: str
    assets: tuple[Asset, ...]  # dependencies before dependents
    warnings: tuple[str, ...] = ()
    rewritten: int = 0  # references rewritten
    roots: tuple[str, ...] = ()  # the static folders built
    modules: Mapping[str, ModuleImports] = field(default_factory=dict)  # ES modules' imports

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
    quote: str = ""  # the quote character of the CSS string the span sits in, "" if none
    in_comment: bool = False  # a sourceMappingURL comment of a stylesheet


@dataclass(slots=True)
class _Node:
    file: SourceFile
    logical: str
    url: str  # local URL path of the file
    source: Source
    refs: list[_Ref] = field(default_factory=list)
    text: str | None = None  # decoded CSS, kept until rewritten
    kept: bool = False  # published under its own name, byte for byte (keeps_name)


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
    for node in nodes.values():
        node.kept = keeps_name(node.logical, options, fingerprinted)
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
        warnings += _uncertain_invalidations(nodes)
        if options.strict and warnings:
            raise UserError(warnings[0] + " (--strict)")
        for level in _levels(nodes):
            _add_assets([n for n in level if n.logical not in assets], assets, pool, options, fingerprinted)
    one_file_per_key(assets.values())
    modules, module_warnings = module_graph(assets.values(), options.js_modules)
    if options.strict and module_warnings:
        raise UserError(module_warnings[0] + " (--strict)")
    rewritten = sum(len(n.refs) for n in nodes.values())
    roots = tuple(s.scan.root for s in sources)
    warnings += module_warnings
    return Build(options.prefix, tuple(assets.values()), tuple(warnings), rewritten, roots, modules)


def one_file_per_key(assets: Iterable[Asset]) -> None:
    """Two files whose objects land on one key with other bytes (`a.css` fingerprinted to
    `a.0123456789.css` beside a file of that name): one would be lost. The same bytes
    (a folder that holds cdnpub's own output) are one object, no loss."""
    owners: dict[str, Asset] = {}
    for asset in assets:
        for key in (asset.key, asset.plain_key):
            if key is None:
                continue
            other = owners.setdefault(key, asset)
            if other is not asset and other.sha256 != asset.sha256:
                raise UserError(
                    f"{printable(other.fs_path)} and {printable(asset.fs_path)} would both be published "
                    f"as {printable(key)}; rename one"
                )


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
        self._sheets = [n for n in nodes.values() if is_stylesheet(n.file.path)]
        for node in self._sheets:
            node.text = read_all(node.file.fs_path, node.file.size).decode("utf-8", "surrogateescape")
        texts = [n.text or "" for n in self._sheets]
        cores = os.cpu_count() or 1
        forkable = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
        self._pool: ProcessPoolExecutor | None = None
        self._pending: Iterator[list[Span]] | None = None
        if sum(map(len, texts)) >= PARALLEL_CSS_BYTES and cores >= 2 and forkable:
            self._pool = ProcessPoolExecutor(
                cores,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
            chunk = max(1, len(texts) // (cores * 4))
            self._pending = self._pool.map(css_spans, texts, chunksize=chunk)  # forks now

    # The pool buys 38 % on bench/build_bench.py --files 10000 (best of 5 on 2 cores:
    # 1.15 s with it, 1.87 s without), so it stays; `_die_with_parent` is its cost.

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


def _die_with_parent(parent: int) -> None:
    """First thing in each worker. A worker waits on a pipe whose other end it holds
    itself (fork), so it never sees its parent die: after a SIGKILL of cdnpub it would
    live on, holding the caller's stdout and stderr, and a CI job would hang. Linux
    kills it with its parent (PR_SET_PDEATHSIG); elsewhere a thread watches the parent.
    (The signal follows the thread that forked: the pool forks only while the process has
    one thread, so that is the main thread, which lives as long as the process.)"""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the line above ran
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _find_references(
    node: _Node, nodes: dict[str, _Node], by_url: list[Source], sheet: list[Span]
) -> list[str]:
    """Record the node's references to other files (none for a file that keeps its name:
    it is published as it is); the warnings about those that point at nothing."""
    warnings: list[str] = []
    path = node.file.path
    if is_stylesheet(path):
        spans = sheet
    elif is_script(path):
        tail = _tail(node.file)
        found = js_map_span(tail)
        offset = node.file.size - len(tail)
        spans = [] if found is None else [Span(offset + found[0], offset + found[1], found[2])]
    else:
        return warnings
    for span in spans:
        raw = span.value
        target = _resolve(raw, node, by_url)
        if target is None:
            continue
        if target not in nodes:
            warnings.append(
                f"{node.file.fs_path}: {raw!r} points to /{target_url(raw, node)}, "
                "which is not in the static folder"
            )
            continue
        if node.kept and "+" in url_text(raw).split("?", 1)[0].split("#", 1)[0]:
            warnings.append(
                f"{node.file.fs_path}: {raw!r} holds a literal '+', which S3 reads as a space; "
                "this file keeps its name and its bytes, so its bundler has to write it as %2B"
            )
        if target == node.logical or node.kept:
            continue  # a sprite that points into itself; a file published as it is
        keeps = (
            not url_text(raw).startswith("/")
            and nodes[target].source is node.source
            and _stays_inside(raw, node)
        )
        node.refs.append(
            _Ref(span.start, span.end, raw, target, span.quoted, keeps, span.quote, span.in_comment)
        )
    return warnings


def _uncertain_invalidations(nodes: dict[str, _Node]) -> list[str]:
    """`~` and `*` in a plain name: the invalidation path cannot be sure to match what
    viewers fetch (AWS's documentation asks for `~` encoded, browsers send it raw; a raw `*`
    is CloudFront's wildcard, so it is sent encoded)."""
    return [
        f"{printable(n.file.fs_path)}: '~' or '*' in a file name: CloudFront may not match its "
        "invalidation path to what browsers fetch; rename it if it ever changes in place"
        for n in nodes.values()
        if not n.kept and ("~" in n.logical or "*" in n.logical)
    ]


def _stays_inside(raw: str, node: _Node) -> bool:
    """A relative reference that climbs out of the static folder (and maybe back in, by
    the folder's URL name) is only right where that name is the same: not on the CDN."""
    path = reference_path(raw)[0]
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(node.file.path), path))
    return resolved != ".." and not resolved.startswith("../")


def reference_path(raw: str) -> tuple[str, str]:
    """A reference (as CSS reads it) split as a URL parser does: its path, percent-decoded
    and in the one normal form names are compared in, and its query and fragment as written."""
    text = url_text(raw)
    cut = len(re.split(r"[?#]", text, maxsplit=1)[0])
    return normal_name(unquote(text[:cut])), text[cut:]


def target_url(raw: str, node: _Node) -> str:
    ref = reference_path(raw)[0]
    if ref.startswith("/"):
        return ref.lstrip("/")
    return posixpath.normpath(posixpath.join("/" + posixpath.dirname(node.url), ref)).lstrip("/")


def _resolve(raw: str, node: _Node, by_url: list[Source]) -> str | None:
    """The logical path a reference points to, or None when it is not ours to rewrite."""
    text = url_text(raw)
    if not text or _SKIP.match(text) or text.startswith("?"):
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
    """Nodes grouped so that each group depends only on earlier groups; a cycle is an error.

    Depth first with a stack of its own: an `@import` chain of any length orders without
    Python's recursion limit."""
    depth: dict[str, int] = {}
    levels: list[list[_Node]] = []
    for root in nodes:
        if root in depth:
            continue
        path: list[str] = [root]  # the chain being visited, for the cycle's message
        on_path: set[str] = {root}
        stack: list[Iterator[_Ref]] = [iter(nodes[root].refs)]
        while stack:
            ref = next(stack[-1], None)
            if ref is None:  # every dependency known: this node's depth is known
                stack.pop()
                name = path.pop()
                on_path.discard(name)
                depth[name] = 1 + max((depth[r.target] for r in nodes[name].refs), default=-1)
                continue
            target = ref.target
            if target in depth:
                continue
            if target in on_path:
                cycle = [*path[path.index(target) :], target]
                raise UserError("reference cycle: " + " -> ".join(map(printable, cycle)))
            path.append(target)
            on_path.add(target)
            stack.append(iter(nodes[target].refs))
    for name in nodes:
        d = depth[name]
        while len(levels) <= d:
            levels.append([])
        levels[d].append(nodes[name])
    yield from levels


def keeps_name(path: str, options: BuildOptions, fingerprinted: re.Pattern[str]) -> bool:
    """Whether the file at logical `path` keeps its name (a bundler's output, listed by its
    manifest or matching the pattern, or cdnpub's own): published under it `immutable`,
    with no plain-name copy. The one place that decides it. Such a file is published byte
    for byte: its bundler owns its references, and bytes edited here would put other bytes
    under a name that browsers and edges cache for a year."""
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
    already = node.kept
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
    """The reference rewritten to name the published key, as the one URL rule spells it
    (urls.url_path): root-relative, or relative in the form it was written (its folders
    as written, decoded, and the key's own name)."""
    path, suffix = reference_path(ref.raw)
    if not ref.keeps_relative:
        return url_path(target.key) + suffix
    head, slash, _ = path.rpartition("/")
    return relative_url(head + slash + target.key.rpartition("/")[2]) + suffix


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
        yield Edit(byte_pos, byte_end, _css_text(new, ref).encode("utf-8", "surrogateescape"))
        encoded_upto, byte_pos = ref.end, byte_end


def _css_text(reference: str, ref: _Ref) -> str:
    """A rewritten reference as CSS text that reads back as `reference` in its place: a
    comment, a whole string token, the inside of a string, or an unquoted url(), which
    becomes url("...") when the reference holds what it cannot (`'`, `(`, `)`)."""
    if ref.in_comment:
        return reference.replace("*", "%2A")  # `*/` would end the comment
    if ref.quote:
        return reference.replace("\\", "\\\\").replace(ref.quote, "\\" + ref.quote)
    if ref.quoted or any(c in _UNQUOTED_UNSAFE for c in reference):
        return '"' + reference.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return reference


def apply_edits(data: bytes, edits: Sequence[Edit]) -> bytes:
    out: list[bytes] = []
    pos = 0
    for edit in edits:
        out += (data[pos : edit.start], edit.text)
        pos = edit.end
    out.append(data[pos:])
    return b"".join(out)
