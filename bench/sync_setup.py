"""What every sync_bench scenario shares: the constants, the generated tree (bench/trees.py's
SYNC_MIX and two 1-2 MB files) and how it is retouched or changed, the server's
per-tool request counter, a plain S3 client of the emulator."""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from trees import SYNC_MIX
from trees import generate as generate_tree

from cdnpub.local.emulator import Request

REPO = Path(__file__).resolve().parent.parent
PREFIX = "static"
URL_PATH = "/static"
BIG_SIZES = (1_500_000, 2_000_000)  # "a couple of 1-2 MB files"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
REGION = "us-east-1"
RUN_TIMEOUT = 300.0  # seconds, one tool run
INSTALL_TIMEOUT = 420.0
SCENARIOS = ("first", "unchanged", "retouched", "changed")


@dataclass(frozen=True, slots=True)
class Tree:
    root: Path
    files: tuple[str, ...]  # relative POSIX paths
    referenced_images: tuple[str, ...]  # images some CSS file points at
    bytes: int


def generate(root: Path, files: int, seed: int) -> Tree:
    """A deterministic tree of exactly `files` files under `root`: bench/trees.py's
    SYNC_MIX, and the BIG_SIZES files."""
    small = generate_tree(root, SYNC_MIX, files - len(BIG_SIZES), seed)
    rng = random.Random(seed)
    big = [f"media/clip-{i:02d}.mp4" for i in range(len(BIG_SIZES))]
    for path, size in zip(big, BIG_SIZES, strict=True):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(rng.randbytes(size))
    names = tuple(sorted((*small.files, *big)))
    return Tree(root, names, small.referenced_images, small.bytes + sum(BIG_SIZES))


def set_mtimes(tree: Tree, when: float) -> None:
    """Whole seconds: S3's LastModified has no fraction, so a fraction would make a file look
    newer than its upload of the same second to tools that compare times (aws s3 sync)."""
    for path in tree.files:
        os.utime(tree.root / path, (when, when))


def retouch(tree: Tree) -> None:
    """Every file's mtime to now, as a fresh checkout has it."""
    set_mtimes(tree, math.floor(time.time()))


def change_one_percent(tree: Tree, seed: int) -> list[str]:
    """Change the content of N/100 files (at least one CSS-referenced image); returns them."""
    rng = random.Random(seed + 1)
    count = max(1, len(tree.files) // 100)
    first = rng.choice(tree.referenced_images)
    candidates = [p for p in tree.files if p != first and not p.endswith(".map")]
    chosen = [first, *rng.sample(candidates, count - 1)]
    for path in chosen:
        target = tree.root / path
        data = target.read_bytes()
        if path.endswith((".css", ".js")):
            data = b"/* changed by the bench */\n" + data
        elif path.endswith(".svg"):
            data = b"<!-- changed by the bench -->\n" + data
        else:  # binary: flip 16 bytes in the middle, same size (size-only checks miss it)
            mid = len(data) // 2
            data = data[:mid] + bytes(b ^ 0xFF for b in data[mid : mid + 16]) + data[mid + 16 :]
        target.write_bytes(data)
    return sorted(chosen)


class RequestCounter:
    """Counts requests by method under the label of the run in progress, and keeps the
    arrival time of each (time.monotonic() s) for counting round trips (emulated_s3.waves)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._label: tuple[str, str] = ("setup", "")
        self.counts: dict[tuple[str, str], Counter[str]] = {}
        self.arrivals: dict[tuple[str, str], list[float]] = {}

    def __call__(self, request: Request) -> int | None:
        method = "COPY" if request.method == "PUT" and request.copy_source else request.method
        now = time.monotonic()
        with self._lock:
            self.counts.setdefault(self._label, Counter())[method] += 1
            self.arrivals.setdefault(self._label, []).append(now)
        return None

    @contextmanager
    def label(self, tool: str, scenario: str) -> Iterator[Counter[str]]:
        with self._lock:
            self._label = (tool, scenario)
            self.counts[self._label] = Counter()
            self.arrivals[self._label] = []
            counts = self.counts[self._label]
        try:
            yield counts
        finally:
            with self._lock:
                self._label = ("setup", "")


def _clean_env() -> dict[str, str]:
    drop = ("AWS_", "CDNPUB_", "RCLONE_", "BOTO_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def bench_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(s3={"addressing_style": "path"}),
    )
