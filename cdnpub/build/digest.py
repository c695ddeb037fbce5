"""Content digests taken in one streamed pass: the fingerprint (sha256), the SRI
integrity (sha384) and the ETag that S3 will report for the upload."""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cdnpub.errors import UserError

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


# S3's multipart limits, as s3transfer's ChunksizeAdjuster applies them.
MAX_PARTS = 10_000


MIN_PART_SIZE = 5 * 1024**2


MAX_PART_SIZE = 5 * 1024**3


def part_size(size: int) -> int:
    """The part size s3transfer will use for a file of this size: its ChunksizeAdjuster's
    arithmetic (doubled until 10,000 parts suffice), restated so that the build does not
    import s3transfer and so botocore (a third of a second; tests/build/test_digest.py holds
    the two equal)."""
    chunk = MULTIPART_CHUNKSIZE
    while math.ceil(size / chunk) > MAX_PARTS:
        chunk *= 2
    return min(max(chunk, MIN_PART_SIZE), MAX_PART_SIZE)


# Past this size the three digests run on threads of their own: hashlib releases the
# GIL on big updates, so a multi-MB file costs the slowest digest, not all three.
PARALLEL_MIN_SIZE = 4 * 1024 * 1024


def digest_chunks(chunks: Iterable[bytes], size: int) -> Digest:
    """Digest a stream whose total size is known in advance (it picks the ETag form)."""
    sha256, sha384, etag = hashlib.sha256(), hashlib.sha384(), _ETag(size)
    total = 0
    if size >= PARALLEL_MIN_SIZE:
        # Threads of this file's own: none outlives the build, so the next build in
        # this process may still fork its stylesheet workers (see fingerprint.py).
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="cdnpub-hash") as hashers:
            for chunk in chunks:
                total += len(chunk)
                side = (hashers.submit(sha384.update, chunk), hashers.submit(etag.update, chunk))
                sha256.update(chunk)
                for future in side:
                    future.result()
    else:
        for chunk in chunks:
            total += len(chunk)
            sha256.update(chunk)
            sha384.update(chunk)
            etag.update(chunk)
    integrity = "sha384-" + base64.b64encode(sha384.digest()).decode("ascii")
    return Digest(size=total, sha256=sha256.hexdigest(), integrity=integrity, etag=etag.hexdigest())


class _ETag:
    """The ETag S3 reports: the MD5, or for a multipart upload md5(part md5s)-N."""

    def __init__(self, size: int) -> None:
        self.multipart = size >= MULTIPART_THRESHOLD
        self.part_limit = part_size(size) if self.multipart else 0
        self.md5 = hashlib.md5()
        self.parts: list[bytes] = []
        self.in_part = 0

    def update(self, chunk: bytes) -> None:
        if not self.multipart:
            self.md5.update(chunk)
            return
        view = memoryview(chunk)
        while view:
            take = min(len(view), self.part_limit - self.in_part)
            self.md5.update(view[:take])
            self.in_part += take
            view = view[take:]
            if self.in_part == self.part_limit:
                self.parts.append(self.md5.digest())
                self.md5, self.in_part = hashlib.md5(), 0

    def hexdigest(self) -> str:
        if not self.multipart:
            return self.md5.hexdigest()
        parts = self.parts + ([self.md5.digest()] if self.in_part else [])
        return f"{hashlib.md5(b''.join(parts)).hexdigest()}-{len(parts)}"


def digest_bytes(data: bytes) -> Digest:
    if len(data) >= PARALLEL_MIN_SIZE or len(data) >= MULTIPART_THRESHOLD:
        return digest_chunks((data,), len(data))
    # Most static files are a few KB: for them the generator and the helper objects
    # of digest_chunks cost more than the hashing.
    return Digest(len(data), hashlib.sha256(data).hexdigest(), integrity(data), hashlib.md5(data).hexdigest())


def digest_file(
    fs_path: str, size: int, edits: tuple[Edit, ...] = (), observe: Callable[[bytes], None] | None = None
) -> Digest:
    """The digest of a file as published (with `edits`), streamed when it is big;
    `observe` sees the same bytes, in order, in the same one read (a text file's
    encoding is checked on them, see mediatypes.Utf8Check)."""
    if size >= READ_CHUNK:
        chunks = read_chunks(fs_path, size, edits)
        if observe is not None:
            chunks = _observed(chunks, observe)
        return digest_chunks(chunks, published_size(size, edits))
    data = read_all(fs_path, size, edits)
    if observe is not None:
        observe(data)
    return digest_bytes(data)


def _observed(chunks: Iterable[bytes], observe: Callable[[bytes], None]) -> Iterator[bytes]:
    for chunk in chunks:
        observe(chunk)
        yield chunk


def integrity(data: bytes) -> str:
    """The SRI value (sha384, W3C Subresource Integrity) of a body as a browser checks it."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


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
    if edits:
        return b"".join(read_chunks(fs_path, expected_size, edits, chunk_size=max(expected_size, 1)))
    try:
        with open(fs_path, "rb") as f:
            data = f.read(expected_size + 1)  # one byte more: a file that grew is caught
    except OSError as err:
        raise UserError(f"cannot read {fs_path}: {err.strerror or err}") from None
    if len(data) != expected_size:
        raise UserError(f"{fs_path} changed while cdnpub was reading it; run again when it is stable")
    return data
