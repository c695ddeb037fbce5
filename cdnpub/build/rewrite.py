"""References rewritten to the fingerprinted keys: byte-offset edits of a source file,
written as CSS reads them back (strings, url(), comments) through the one URL rule."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from cdnpub.build.digest import Edit
from cdnpub.build.graph import Node, Ref, reference_path
from cdnpub.build.model import Asset
from cdnpub.urls import relative_url, url_path

# What an unquoted url() cannot hold as it is (CSS Syntax Level 3, 4.3.6): such a
# rewritten reference is written as a string, url("...").
_UNQUOTED_UNSAFE = frozenset("\"'()\\ \t\n\r\f\x7f") | frozenset(map(chr, range(0x20)))


def new_reference(ref: Ref, target: Asset) -> str:
    """The reference rewritten to name the published key, as the one URL rule spells it
    (urls.url_path): root-relative, or relative in the form it was written (its folders
    as written, decoded, and the key's own name)."""
    path, suffix = reference_path(ref.raw)
    if not ref.keeps_relative:
        return url_path(target.key) + suffix
    head, slash, _ = path.rpartition("/")
    return relative_url(head + slash + target.key.rpartition("/")[2]) + suffix


def reference_edits(node: Node, done: dict[str, Asset]) -> Iterator[Edit]:
    """Byte-offset edits of the source file: the streamed form of the rewrite."""
    encoded_upto, byte_pos = 0, 0
    for ref in node.refs:
        new = new_reference(ref, done[ref.target])
        if node.text is None:  # a script: offsets are bytes already
            yield Edit(ref.start, ref.end, new.encode("utf-8"))
            continue
        chunk = node.text[encoded_upto : ref.start].encode("utf-8", "surrogateescape")
        byte_pos += len(chunk)
        byte_end = byte_pos + len(node.text[ref.start : ref.end].encode("utf-8", "surrogateescape"))
        yield Edit(byte_pos, byte_end, _css_text(new, ref).encode("utf-8", "surrogateescape"))
        encoded_upto, byte_pos = ref.end, byte_end


def _css_text(reference: str, ref: Ref) -> str:
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
