"""A big upload moves the progress while its parts go (s3transfer's callbacks, through
S3Store.on_bytes), and its bytes are counted once (issue 24 point 6)."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
from moto import mock_aws
from rich.console import Console

from cdnpub.aws.s3 import S3Store
from cdnpub.build.digest import MULTIPART_THRESHOLD
from cdnpub.build.fingerprint import build
from cdnpub.build.model import Source
from cdnpub.build.scan import scan
from cdnpub.commands.progress import BarProgress, LineProgress
from cdnpub.sync.plan import blobs

MB = 1024 * 1024


def _action(key: str) -> Any:
    return SimpleNamespace(blob=SimpleNamespace(key=key))


def test_a_long_single_upload_gets_lines_while_its_parts_go() -> None:
    out, now = io.StringIO(), [0.0]
    progress = LineProgress(out, every=10, clock=lambda: now[0])
    progress.phase("fingerprinted", 1, 100 * MB)
    now[0] = 12.0
    progress.streamed("static/big.0123456789.bin", 40 * MB)
    now[0] = 14.0
    progress.streamed("static/big.0123456789.bin", 8 * MB)  # too soon for another line
    now[0] = 20.0
    progress.streamed("static/big.0123456789.bin", 52 * MB)
    progress.advance(_action("static/big.0123456789.bin"), 100 * MB)
    assert out.getvalue().splitlines() == [
        "fingerprinted: 1 to write (100.0 MB)",
        "fingerprinted: 0/1, 40.0 MB of 100.0 MB, 3.3 MB/s",
        "fingerprinted: done, 1/1, 100.0 MB in 20.0 s, 5.0 MB/s",  # counted once
    ]


def test_the_bar_moves_with_the_parts_and_counts_them_once() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with BarProgress(console) as bar:
        bar.phase("fingerprinted", 2, 30 * MB)
        bar.streamed("static/big.bin", 16 * MB)
        assert bar.bar.tasks[0].completed == 16 * MB
        bar.streamed("static/big.bin", 4 * MB)
        bar.advance(_action("static/big.bin"), 20 * MB)
        bar.advance(_action("static/small.css"), 10 * MB)
        task = bar.bar.tasks[0]
        assert (task.completed, task.fields["objects"]) == (30 * MB, "2/2 objects")


def test_s3store_tells_the_bytes_of_a_multipart_upload_only(fake_aws: None, tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static/big.bin").write_bytes(b"b" * MULTIPART_THRESHOLD)
    (tmp_path / "static/small.css").write_text("a{}")
    wanted = [b for b in blobs(build([Source(scan(str(tmp_path / "static")))])) if not b.plain]
    told: dict[str, int] = {}
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="parts")
        store = S3Store(client, "parts")
        store.on_bytes = lambda key, n: told.__setitem__(key, told.get(key, 0) + n)
        for blob in wanted:
            store.upload(blob)
    big = next(b.key for b in wanted if b.asset.size >= MULTIPART_THRESHOLD)
    assert told == {big: MULTIPART_THRESHOLD}
