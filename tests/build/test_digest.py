import hashlib
import threading
from pathlib import Path

import pytest

from cdnpub.build.digest import (
    MULTIPART_CHUNKSIZE,
    MULTIPART_THRESHOLD,
    PARALLEL_MIN_SIZE,
    READ_CHUNK,
    Edit,
    digest_bytes,
    digest_chunks,
    digest_file,
    part_size,
    read_all,
    read_chunks,
)
from cdnpub.errors import UserError


def test_small_content_etag_is_its_md5() -> None:
    assert digest_bytes(b"hello").etag == hashlib.md5(b"hello").hexdigest()


def test_integrity_is_sri_sha384() -> None:
    import base64

    expected = "sha384-" + base64.b64encode(hashlib.sha384(b"x").digest()).decode()
    assert digest_bytes(b"x").integrity == expected


def test_big_content_etag_is_the_multipart_form_with_the_upload_part_size() -> None:
    data = b"a" * MULTIPART_CHUNKSIZE + b"b" * 10
    assert len(data) >= MULTIPART_THRESHOLD
    parts = [data[:MULTIPART_CHUNKSIZE], data[MULTIPART_CHUNKSIZE:]]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-2"
    chunks = (data[i : i + 1000_003] for i in range(0, len(data), 1000_003))  # odd chunking on purpose
    assert digest_chunks(chunks, len(data)).etag == expected


def test_read_chunks_applies_edits_while_streaming(tmp_path: Path) -> None:
    f = tmp_path / "a.js"
    f.write_bytes(b"0123456789")
    edits = (Edit(2, 4, b"AB_"), Edit(8, 9, b""))
    assert b"".join(read_chunks(str(f), 10, edits, chunk_size=3)) == b"01AB_4567" + b"9"


def test_file_that_changed_size_since_the_scan_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "a.js"
    f.write_bytes(b"0123456789")
    with pytest.raises(UserError, match="changed while cdnpub was reading it"):
        b"".join(read_chunks(str(f), 5))


@pytest.mark.parametrize("size", [0, 1, 2047, 2048, READ_CHUNK - 1, READ_CHUNK, PARALLEL_MIN_SIZE + 5])
def test_digest_of_bytes_in_one_piece_equals_the_streamed_digest(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    chunks = (data[i : i + 4096] for i in range(0, len(data), 4096))
    assert digest_bytes(data) == digest_chunks(chunks, len(data))


def test_digest_file_reads_small_and_big_files_alike(tmp_path: Path) -> None:
    for size in (10, READ_CHUNK + 10):
        f = tmp_path / f"{size}.bin"
        f.write_bytes(b"q" * size)
        assert digest_file(str(f), size) == digest_bytes(b"q" * size)


def test_file_that_grew_since_the_scan_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "a.js"
    f.write_bytes(b"0123456789")
    with pytest.raises(UserError, match="changed while cdnpub was reading it"):
        read_all(str(f), 9)


def test_digest_of_a_big_file_leaves_no_thread_behind() -> None:
    """A lingering hashing thread would keep the next build in this process from
    forking its stylesheet workers."""
    before = threading.active_count()
    digest_bytes(b"x" * (PARALLEL_MIN_SIZE + 1))
    assert threading.active_count() == before


@pytest.mark.parametrize(
    "size",
    [
        MULTIPART_THRESHOLD,
        MULTIPART_CHUNKSIZE * 10_000,
        MULTIPART_CHUNKSIZE * 10_000 + 1,
        MULTIPART_CHUNKSIZE * 40_000 + 7,
        5 * 1024**4,  # S3's largest object
        50 * 1024**4,  # past it: the part size stops at 5 GiB, as s3transfer's does
    ],
)
def test_part_size_is_the_one_s3transfer_uploads_with(size: int) -> None:
    from s3transfer.utils import ChunksizeAdjuster

    assert part_size(size) == ChunksizeAdjuster().adjust_chunksize(MULTIPART_CHUNKSIZE, size)
