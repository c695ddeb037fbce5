"""Fingerprint a set of static folders: content-hashed names, references between
assets rewritten, dependencies first so that a file's hash covers the hashes of
everything it points at; and the manifest of a build."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from cdnpub.build.bundlers import find_bundler_output
from cdnpub.build.digest import Digest, digest_bytes, digest_file
from cdnpub.build.graph import Node, dependency_levels, find_references, graph_nodes, uncertain_invalidations
from cdnpub.build.model import DEFAULT_OPTIONS, Asset, Build, BuildOptions, Source, hashed_name, keeps_name
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
    try:
        fingerprinted = re.compile(options.fingerprinted_pattern)
    except re.error as err:
        raise UserError(f"bad fingerprinted-file pattern: {err}") from None
    bundled = find_bundler_output([(s.scan, s.sub) for s in sources], options.esbuild_metafile)
    publish = options.publish_bundler_manifests
    sources = [replace(s, scan=bundled.publishable(s.scan, s.sub, publish)) for s in sources]
    options = replace(options, kept=options.kept | bundled.kept)
    nodes = graph_nodes(sources)
    for node in nodes.values():
        node.kept = keeps_name(node.logical, options, fingerprinted)
    if not nodes:
        folders = ", ".join(s.scan.root for s in sources)
        raise UserError(f"no files to publish in {folders} (empty, or everything is ignored)")
    by_url = sorted(sources, key=lambda s: len(s.url_path), reverse=True)
    found: dict[str, list[str]] = {}  # warnings by node, reported in node order
    sheets = Stylesheets(nodes)  # forks its workers first, before any thread starts
    assets: dict[str, Asset] = {}
    with sheets, ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        leaves = []
        for node in nodes.values():
            if node.text is None:
                found[node.logical] = find_references(node, nodes, by_url, [])
                if not node.refs:
                    leaves.append(node)
        _add_assets(leaves, assets, pool, options, fingerprinted)
        for node, spans in sheets.spans():
            found[node.logical] = find_references(node, nodes, by_url, spans)
        warnings = [w for s in sources for w in s.scan.warnings] + list(bundled.warnings)
        warnings += [w for name in nodes for w in found[name]]
        warnings += uncertain_invalidations(nodes)
        if options.strict and warnings:
            raise UserError(warnings[0] + " (--strict)")
        for level in dependency_levels(nodes):
            _add_assets([n for n in level if n.logical not in assets], assets, pool, options, fingerprinted)
    one_file_per_key(assets.values())
    modules, module_warnings = module_graph(assets.values(), options.js_modules, options.verbose)
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
    level: list[Node],
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


def _asset(
    node: Node, done: dict[str, Asset], options: BuildOptions, fingerprinted: re.Pattern[str]
) -> Asset:
    edits = tuple(reference_edits(node, done))
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
