"""Content digests taken in one streamed pass: the fingerprint (sha256), the SRI
integrity (sha384) and the ETag that S3 will report for the upload."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from s3transfer.utils import ChunksizeAdjuster

from .errors import UserError

# The ETag S3 reports for a multipart upload is md5(part md5s)-N, so the local
# ETag is only comparable when it is computed with the part size the upload
# uses. Both the build and the store take these two numbers from here.
MULTIPART_THRESHOLD = 16 * 1024 * 1024
MULTIPART_CHUNKSIZE = 16 * 1024 * 1024
READ_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace bytes [start, end) of a file with `text` (a rewritten reference)."""

    start: int
    end: int
    text: bytes


@dataclass(frozen=True, slots=True)
class Digest:
    size: int
    sha256: str  # hex
    integrity: str  # SRI, sha384-<base64>
    etag: str  # what S3 reports for this content, without quotes


def part_size(size: int) -> int:
    """The part size s3transfer will use for a file of this size."""
    return int(ChunksizeAdjuster().adjust_chunksize(MULTIPART_CHUNKSIZE, size))


def digest_chunks(chunks: Iterable[bytes], size: int) -> Digest:
    """Digest a stream whose total size is known in advance (it picks the ETag form)."""
    sha256 = hashlib.sha256()
    sha384 = hashlib.sha384()
    multipart = size >= MULTIPART_THRESHOLD
    part_limit = part_size(size) if multipart else 0
    md5 = hashlib.md5()
    part_md5s: list[bytes] = []
    in_part = 0
    total = 0
    for chunk in chunks:
        total += len(chunk)
        sha256.update(chunk)
        sha384.update(chunk)
        if not multipart:
            md5.update(chunk)
            continue
        view = memoryview(chunk)
        while view:
            take = min(len(view), part_limit - in_part)
            md5.update(view[:take])
            in_part += take
            view = view[take:]
            if in_part == part_limit:
                part_md5s.append(md5.digest())
                md5, in_part = hashlib.md5(), 0
    if multipart and in_part:
        part_md5s.append(md5.digest())
    if multipart:
        etag = f"{hashlib.md5(b''.join(part_md5s)).hexdigest()}-{len(part_md5s)}"
    else:
        etag = md5.hexdigest()
    integrity = "sha384-" + base64.b64encode(sha384.digest()).decode("ascii")
    return Digest(size=total, sha256=sha256.hexdigest(), integrity=integrity, etag=etag)


def digest_bytes(data: bytes) -> Digest:
    return digest_chunks((data,), len(data))


def published_size(size: int, edits: Iterable[Edit]) -> int:
    return size + sum(len(e.text) - (e.end - e.start) for e in edits)


def read_chunks(
    fs_path: str, expected_size: int, edits: tuple[Edit, ...] = (), chunk_size: int = READ_CHUNK
) -> Iterator[bytes]:
    """Stream a file with `edits` applied; fail if it is not `expected_size` bytes any more
    (a file being written while cdnpub reads it must not be published half-done)."""
    pos = 0
    pending = list(edits)
    try:
        with open(fs_path, "rb") as f:
            while True:
                limit = chunk_size
                if pending:
                    limit = min(chunk_size, pending[0].start - pos) or 0
                if pending and limit == 0:
                    edit = pending.pop(0)
                    skipped = f.read(edit.end - edit.start)
                    pos += len(skipped)
                    if len(skipped) != edit.end - edit.start:
                        break
                    yield edit.text
                    continue
                data = f.read(limit)
                if not data:
                    break
                pos += len(data)
                yield data
    except OSError as err:
        raise UserError(f"cannot read {fs_path}: {err.strerror or err}") from None
    if pos != expected_size or pending:
        raise UserError(f"{fs_path} changed while cdnpub was reading it; run again when it is stable")


def read_all(fs_path: str, expected_size: int, edits: tuple[Edit, ...] = ()) -> bytes:
    return b"".join(read_chunks(fs_path, expected_size, edits, chunk_size=max(expected_size, 1)))
