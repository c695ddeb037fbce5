"""A multi-GB file publishes in bounded memory: multipart through s3transfer, 16 MiB parts,
4 at a time, each read from the file as it is sent; the peak RSS of the publishing process
is measured by the process itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.aws import MotoServer
from tests.support.bucket import listing

# The child reports its own VmHWM (peak RSS) as it exits. Not the parent's wait4 rusage:
# ru_maxrss survives fork+exec, so it would show the test process's size (the in-process
# moto server holds every object the suite stored) instead of cdnpub's.
CHILD = """
import atexit, os, sys
def report():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            open(os.environ["CDNPUB_TEST_HWM"], "w").write(line.split()[1])
atexit.register(report)
from cdnpub.cli import main
main()
"""
MiB = 1024 * 1024
PEAK_LIMIT = 300 * MiB


def publish_big_file(moto_server: MotoServer, bucket: str, tmp_path: Path, size: int) -> tuple[int, float]:
    """Publish a sparse file of `size` bytes in a child process; its peak RSS and the time."""
    moto_server.client().create_bucket(Bucket=bucket)  # moto's state is per process: one bucket a test
    root = tmp_path / "static"
    (root / "media").mkdir(parents=True)
    with open(root / "media/big.bin", "wb") as f:
        f.truncate(size)  # sparse: no disk, no time to write it
    (root / "app.css").write_text("body{}")
    started = time.monotonic()
    args = ["publish", str(root), f"s3://{bucket}/static", "--endpoint-url", moto_server.url]
    hwm = tmp_path / "hwm"
    env = dict(os.environ, CDNPUB_TEST_HWM=str(hwm))
    proc = subprocess.run([sys.executable, "-c", CHILD, *args], cwd=tmp_path, env=env, capture_output=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode(errors="replace")[-2000:]
    stored = listing(moto_server, bucket)
    big = [k for k in stored if k.startswith("static/media/big.") and k != "static/media/big.bin"]
    assert len(big) == 1 and "static/media/big.bin" in stored
    head = moto_server.client().head_object(Bucket=bucket, Key=big[0])
    assert head["ContentLength"] == size
    assert head["ETag"].strip('"').endswith(f"-{-(-size // (16 * MiB))}")  # multipart, 16 MiB parts
    return int(hwm.read_text()) * 1024, time.monotonic() - started  # VmHWM is in KiB


@pytest.fixture
def fresh_server() -> Iterator[MotoServer]:
    """An emulator of the test's own, stopped after it, so GiBs of parts do not sit in
    the suite's shared server."""
    server = MotoServer()
    yield server
    server.emulator.stop()


def test_a_large_file_publishes_in_bounded_memory(fresh_server: MotoServer, tmp_path: Path) -> None:
    peak, seconds = publish_big_file(fresh_server, "big-512m", tmp_path, 512 * MiB)
    print(f"512 MiB file: peak RSS {peak / MiB:.0f} MiB, {seconds:.1f} s")
    assert peak < PEAK_LIMIT


@pytest.mark.slow
def test_a_2_gib_file_publishes_in_bounded_memory(fresh_server: MotoServer, tmp_path: Path) -> None:
    peak, seconds = publish_big_file(fresh_server, "big-2g", tmp_path, 2048 * MiB)
    print(f"2 GiB file: peak RSS {peak / MiB:.0f} MiB, {seconds:.1f} s")
    assert peak < PEAK_LIMIT
