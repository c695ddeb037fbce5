"""The reference graph of a build: one node per file, the references each makes to the
others (resolved as a browser resolves them on the CDN), and the order in which they can
be fingerprinted (dependencies first, so a file's hash covers those of what it names)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from cdnpub.build.model import Mount, Source
from cdnpub.build.references import (
    JS_TAIL_BYTES,
    Span,
    is_script,
    is_stylesheet,
    js_map_span,
    url_text,
)
from cdnpub.build.scan import SourceFile
from cdnpub.errors import UserError
from cdnpub.text import printable
from cdnpub.urls import join_key, normal_name

_SKIP = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")  # data:, https:, //cdn, #id


@dataclass(frozen=True, slots=True)
class Ref:
    start: int  # offsets: bytes in a script, characters in a stylesheet
    end: int
    raw: str  # as written
    target: str  # logical path
    quoted: bool  # the span is a whole CSS string token
    keeps_relative: bool  # same folder: the relative form stays valid on the CDN
    quote: str = ""  # the quote character of the CSS string the span sits in, "" if none
    in_comment: bool = False  # a sourceMappingURL comment of a stylesheet


@dataclass(slots=True)
class Node:
    file: SourceFile
    logical: str
    url: str  # local URL path of the file
    source: Source
    refs: list[Ref] = field(default_factory=list)
    text: str | None = None  # decoded CSS, kept until rewritten
    kept: bool = False  # published under its own name, byte for byte (keeps_name)


def graph_nodes(sources: Sequence[Source]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
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
            nodes[logical] = Node(f, logical, join_key(source.url_path, f.path), source)
    return nodes


def find_references(node: Node, nodes: dict[str, Node], by_url: list[Mount], sheet: list[Span]) -> list[str]:
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
            warnings.append(_missing(raw, node, target, nodes, by_url))
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
            Ref(span.start, span.end, raw, target, span.quoted, keeps, span.quote, span.in_comment)
        )
    return warnings


def uncertain_invalidations(nodes: dict[str, Node]) -> list[str]:
    """`~` and `*` in a plain name: the invalidation path cannot be sure to match what
    viewers fetch (AWS's documentation asks for `~` encoded, browsers send it raw; a raw `*`
    is CloudFront's wildcard, so it is sent encoded)."""
    return [
        f"{printable(n.file.fs_path)}: '~' or '*' in a file name: CloudFront may not match its "
        "invalidation path to what browsers fetch; rename it if it ever changes in place"
        for n in nodes.values()
        if not n.kept and ("~" in n.logical or "*" in n.logical)
    ]


def _missing(raw: str, node: Node, target: str, nodes: dict[str, Node], by_url: list[Mount]) -> str:
    """The warning for a reference to no file of the build, naming what it was resolved
    against: a relative one within the file's own static folder (as on the CDN, where each
    folder has a key prefix of its own), so the local URL, which a blueprint may share with
    the app (no url_prefix, pallets/flask#348), is no proof of a file; if another folder
    serves that URL locally, say so."""
    where = f"{node.file.fs_path}: {raw!r}"
    if not _relative_inside(raw, node):
        return f"{where} points to /{target_url(raw, node)}, which is not in the static folder"
    root = node.source.scan.root
    inside = target.removeprefix(node.source.sub + "/") if node.source.sub else target
    line = f"{where} points to {inside}, which is not in the static folder {printable(root)}"
    local = "/" + target_url(raw, node)
    for mount in by_url:
        base = "/" + mount.url_path.strip("/")
        rest = local.lstrip("/") if base == "/" else local.removeprefix(base + "/")
        other = nodes.get(join_key(mount.sub, rest)) if rest != local else None
        if mount.source is not node.source and other is not None:
            return (
                f"{line} (locally its URL {local} serves {other.file.fs_path}, another static "
                "folder's file; a relative reference resolves within its own folder, as on the CDN)"
            )
    return line


def _relative_inside(raw: str, node: Node) -> bool:
    """A relative reference that stays within the file's own static folder."""
    return not reference_path(raw)[0].startswith("/") and _stays_inside(raw, node)


def _stays_inside(raw: str, node: Node) -> bool:
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


def target_url(raw: str, node: Node) -> str:
    ref = reference_path(raw)[0]
    if ref.startswith("/"):
        return ref.lstrip("/")
    return posixpath.normpath(posixpath.join("/" + posixpath.dirname(node.url), ref)).lstrip("/")


def _resolve(raw: str, node: Node, by_url: list[Mount]) -> str | None:
    """The logical path a reference points to, or None when it is not ours to rewrite."""
    text = url_text(raw)
    if not text or _SKIP.match(text) or text.startswith("?"):
        return None
    path = reference_path(raw)[0]
    if not path.startswith("/"):
        # Relative: within the file's own folder, as on the CDN, where each folder has a
        # key prefix of its own; by URL only when it climbs out (a blueprint that shares
        # the app's URL path would otherwise send it to the app's file: pallets/flask#348).
        inside = posixpath.normpath(posixpath.join(posixpath.dirname(node.file.path), path))
        if inside != ".." and not inside.startswith("../"):
            return join_key(node.source.sub, inside)
    url = "/" + target_url(raw, node)
    for mount in by_url:
        base = "/" + mount.url_path.strip("/")
        if base == "/":
            return join_key(mount.sub, url)
        if url.startswith(base + "/"):
            return join_key(mount.sub, url[len(base) + 1 :])
    # Outside every static folder: reported as missing. Kept root-relative, so that it can
    # never be taken for the app's logical path of the same name (/img/x.png is no
    # /static/img/x.png).
    return url


def _tail(f: SourceFile) -> bytes:
    try:
        with open(f.fs_path, "rb") as fh:
            if f.size > JS_TAIL_BYTES:
                fh.seek(f.size - JS_TAIL_BYTES)
            return fh.read(JS_TAIL_BYTES)
    except OSError as err:
        raise UserError(f"cannot read {f.fs_path}: {err.strerror}") from None


def dependency_levels(nodes: dict[str, Node]) -> Iterator[list[Node]]:
    """Nodes grouped so that each group depends only on earlier groups; a cycle is an error.

    Depth first with a stack of its own: an `@import` chain of any length orders without
    Python's recursion limit."""
    depth: dict[str, int] = {}
    levels: list[list[Node]] = []
    for root in nodes:
        if root in depth:
            continue
        path: list[str] = [root]  # the chain being visited, for the cycle's message
        on_path: set[str] = {root}
        stack: list[Iterator[Ref]] = [iter(nodes[root].refs)]
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
