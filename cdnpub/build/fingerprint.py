"""Fingerprint a set of static folders: content-hashed names, references between
assets rewritten, dependencies first so that a file's hash covers the hashes of
everything it points at; and the manifest of a build."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from cdnpub.build.bundlers import find_bundler_output
from cdnpub.build.digest import Digest, Edit, digest_bytes, digest_file, integrity, read_all
from cdnpub.build.graph import Node, dependency_levels, find_references, graph_nodes, uncertain_invalidations
from cdnpub.build.mediatypes import (
    GZIP_MAGIC,
    UTF8,
    Body,
    Utf8Check,
    body_of,
    content_coding,
    is_text,
    not_utf8_warning,
)
from cdnpub.build.model import (
    DEFAULT_OPTIONS,
    Asset,
    Build,
    BuildOptions,
    Source,
    fingerprinted_pattern,
    hashed_name,
    keeps_name,
    mounts,
    unhashed_match,
)
from cdnpub.build.modulegraph import module_graph
from cdnpub.build.rewrite import apply_edits, reference_edits
from cdnpub.build.rules import headers_for
from cdnpub.build.workers import Stylesheets
from cdnpub.errors import UserError
from cdnpub.manifest import Entry, Manifest
from cdnpub.text import printable
from cdnpub.urls import join_key

POOL_MIN_SIZE = 256 * 1024


def build(sources: Sequence[Source], options: BuildOptions = DEFAULT_OPTIONS) -> Build:
    """Fingerprint every file of `sources`; pure but for reading the files.

    Files that point at nothing (images, fonts, maps: most of the bytes) are hashed
    while the stylesheets are tokenized, the two costly parts of a build."""
    fingerprinted = fingerprinted_pattern(options.fingerprinted_pattern)
    bundled = find_bundler_output([(s.scan, s.sub) for s in sources], options.esbuild_metafile)
    publish = options.publish_bundler_manifests
    sources = [replace(s, scan=bundled.publishable(s.scan, s.sub, publish)) for s in sources]
    options = replace(options, kept=options.kept | bundled.kept)
    nodes = graph_nodes(sources)
    for node in nodes.values():
        node.kept = keeps_name(node.logical, options, fingerprinted)
    unhashed = [w for n in nodes for w in [unhashed_match(n, options, fingerprinted)] if w]
    if not nodes:
        folders = ", ".join(s.scan.root for s in sources)
        raise UserError(f"no files to publish in {folders} (empty, or everything is ignored)")
    by_url = mounts(sources)
    if options.progress is not None:
        options.progress.start(len(nodes), sum(n.file.size for n in nodes.values()))
    found: dict[str, list[str]] = {}  # warnings by node, reported in node order
    sheets = Stylesheets(nodes)  # forks its workers first, before any thread starts
    assets: dict[str, Asset] = {}
    notes: dict[str, str] = {}  # a warning about a file's bytes, by node (see _published)
    with sheets, ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        leaves = []
        for node in nodes.values():
            if node.text is None:
                found[node.logical] = find_references(node, nodes, by_url, [])
                if not node.refs:
                    leaves.append(node)
        _add_assets(leaves, assets, pool, options, fingerprinted, notes)
        for node, spans in sheets.spans():
            found[node.logical] = find_references(node, nodes, by_url, spans)
        warnings = [w for s in sources for w in s.scan.warnings] + list(bundled.warnings) + unhashed
        warnings += [w for name in nodes for w in found[name]]
        warnings += uncertain_invalidations(nodes)
        if options.strict and warnings:
            raise UserError(warnings[0] + " (--strict)")
        for level in dependency_levels(nodes):
            _add_assets(
                [n for n in level if n.logical not in assets], assets, pool, options, fingerprinted, notes
            )
    one_file_per_key(assets.values())
    modules, module_warnings = module_graph(assets.values(), options.js_modules, options.verbose)
    module_warnings = [notes[n] for n in nodes if n in notes] + module_warnings
    if options.strict and module_warnings:
        raise UserError(module_warnings[0] + " (--strict)")
    rewritten = sum(len(n.refs) for n in nodes.values())
    roots = tuple(s.scan.root for s in sources)
    warnings += module_warnings
    left_out = tuple(gone for s in sources for gone in s.scan.left_out)
    if options.progress is not None:
        options.progress.done()
    return Build(options.prefix, tuple(assets.values()), tuple(warnings), rewritten, roots, modules, left_out)


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
    level: list[Node],
    assets: dict[str, Asset],
    pool: ThreadPoolExecutor,
    options: BuildOptions,
    fingerprinted: re.Pattern[str],
    notes: dict[str, str],
) -> None:
    """Fingerprint nodes that depend only on `assets`. Big files go to the pool
    (hashlib releases the GIL, so they hash in parallel); small ones are cheaper
    inline than as a future each."""
    big = [n for n in level if n.file.size >= POOL_MIN_SIZE]
    futures = [pool.submit(_asset, n, assets, options, fingerprinted, notes) for n in big]
    small = [_asset(n, assets, options, fingerprinted, notes) for n in level if n.file.size < POOL_MIN_SIZE]
    by_path = {a.path: a for a in small + [f.result() for f in futures]}
    assets.update((n.logical, by_path[n.logical]) for n in level)


def _asset(
    node: Node,
    done: dict[str, Asset],
    options: BuildOptions,
    fingerprinted: re.Pattern[str],
    notes: dict[str, str],
) -> Asset:
    edits = tuple(reference_edits(node, done))
    f = node.file
    digest, body, coded, note = _published(node, edits)
    if note is not None:
        notes[node.logical] = note  # one key per node: safe from the pool's threads
    already = node.kept
    name = node.logical if already else hashed_name(node.logical, digest.sha256)
    if options.progress is not None:
        options.progress.hashed(f.size)
    return Asset(
        path=node.logical,
        fs_path=f.fs_path,
        key=join_key(options.prefix, name),
        plain_key=None if already else join_key(options.prefix, node.logical),
        size=digest.size,
        sha256=digest.sha256,
        etag=digest.etag,
        integrity=digest.integrity,
        headers=headers_for(node.logical, options.rules, body, coded),
        edits=edits,
        source_size=f.size,
        source_mtime_ns=f.mtime_ns,
    )


def _published(node: Node, edits: tuple[Edit, ...]) -> tuple[Digest, Body, bool, str | None]:
    """A file's bytes as published, read once: their digest; for a text type the encoding
    of the body a browser decodes (mediatypes.charset decides the header from it); whether
    they carry the coding the name implies (gzip for .svgz); a warning about them or None.

    The fingerprint and the ETag are of the bytes as stored (they name and check the
    object); the SRI integrity is of the decoded body, which is what a browser checks."""
    f = node.file
    if node.text is not None:  # a stylesheet, read whole already
        data = apply_edits(node.text.encode("utf-8", "surrogateescape"), edits)
        body = body_of(data)
        return digest_bytes(data), body, True, not_utf8_warning(node.logical, body)
    if content_coding(node.logical) is not None:
        return _decoded(node.logical, read_all(f.fs_path, f.size, edits))
    if not is_text(node.logical):
        return digest_file(f.fs_path, f.size, edits), UTF8, True, None
    check = Utf8Check()
    digest = digest_file(f.fs_path, f.size, edits, observe=check.update)
    body = check.body()
    return digest, body, True, not_utf8_warning(node.logical, body)


def _decoded(path: str, data: bytes) -> tuple[Digest, Body, bool, str | None]:
    """A file whose name implies gzip (.svgz): published as it is, its integrity and its
    encoding taken from the gunzipped body. One stored plain (no gzip header) is served
    with no coding, so that it still draws."""
    stored = digest_bytes(data)
    if not data.startswith(GZIP_MAGIC):
        body = body_of(data)
        note = f"{path} is not gzip-compressed: served with no Content-Encoding"
        return stored, body, False, note
    try:
        decoded = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise UserError(
            f"{printable(path)}: not a whole gzip stream ({err}); browsers would draw nothing"
        ) from None
    body = body_of(decoded)
    digest = Digest(stored.size, stored.sha256, integrity(decoded), stored.etag)
    return digest, body, True, not_utf8_warning(path, body)


def from_build(build: Build) -> Manifest:
    entries = {
        a.path: Entry(
            key=a.key,
            plain_key=a.plain_key,
            size=a.size,
            sha256=a.sha256,
            etag=a.etag,
            integrity=a.integrity,
            content_type=a.headers.content_type,
            cache_control=a.headers.fingerprinted_cache_control,
            immutable="immutable" in a.headers.fingerprinted_cache_control,
            module=build.modules.get(a.path),
        )
        for a in build.assets
    }
    return Manifest(prefix=build.prefix, entries=dict(sorted(entries.items())))
