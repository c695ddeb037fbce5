"""Progress of a publish's phases: a bar on a terminal, whole lines in a CI log. Both
hear the phases (sync.publish.Progress) and the bytes of big uploads as their parts go
(S3Store.on_bytes)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from cdnpub.sync.plan import Action
from cdnpub.text import human_size


class LineProgress:
    """For CI logs (no terminal): a line when a phase starts, a line every `every`
    seconds of a long phase, and a line when it ends, each with objects, bytes and the
    transfer rate; nothing redrawn. `advance` is called from the upload threads, hence
    the lock; `clock` (seconds, monotonic) is injectable for tests."""

    def __init__(
        self, out: TextIO = sys.stderr, every: float = 10.0, clock: Callable[[], float] = time.monotonic,
        verbs: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.verbs = {"prune": "to delete", **(verbs or {})}  # phase -> what its count is ("to write")
        self.out = out
        self.every = every
        self.clock = clock
        self.lock = threading.Lock()
        self.name = ""
        self.total = self.total_bytes = self.done = self.done_bytes = 0
        self.started = self.said = 0.0
        self.partial: dict[str, int] = {}  # bytes streamed of uploads not yet done, by key

    def phase(self, name: str, total: int, total_bytes: int) -> None:
        with self.lock:
            self.name, self.total, self.total_bytes = name, total, total_bytes
            self.done = self.done_bytes = 0
            self.started = self.said = self.clock()
        size = f" ({human_size(total_bytes)})" if total_bytes else ""
        self._say(f"{name}: {total} {self.verbs.get(name, 'to write')}{size}")

    def streamed(self, key: str, nbytes: int) -> None:
        """Bytes of a big upload on their way (S3Store.on_bytes): a line when one is due."""
        with self.lock:
            self.partial[key] = self.partial.get(key, 0) + nbytes
            self.done_bytes += nbytes
            now = self.clock()
            if now - self.said < self.every:
                return
            self.said = now
            line = self._status(now, False)
        self._say(line)

    def advance(self, action: Action | None, nbytes: int) -> None:
        with self.lock:
            self.done += 1
            self.done_bytes += nbytes - (self.partial.pop(action.blob.key, 0) if action else 0)
            now = self.clock()
            finished = self.done >= self.total
            if not finished and now - self.said < self.every:
                return
            self.said = now
            line = self._status(now, finished)
        self._say(line)

    def _status(self, now: float, finished: bool) -> str:
        elapsed = max(now - self.started, 1e-9)
        size = f", {human_size(self.done_bytes)}" if self.total_bytes else ""
        if self.total_bytes and not finished:
            size += f" of {human_size(self.total_bytes)}"
        rate = f", {human_size(int(self.done_bytes / elapsed))}/s" if self.total_bytes else ""
        if finished:
            return f"{self.name}: done, {self.done}/{self.total}{size} in {elapsed:.1f} s{rate}"
        return f"{self.name}: {self.done}/{self.total}{size}{rate}"

    def _say(self, line: str) -> None:
        print(line, file=self.out, flush=True)


class BarProgress:
    """For a terminal: one bar per phase, by bytes when there are bytes to send (a few big
    files would otherwise sit at 0/N), with the objects done and the transfer rate."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(
            TextColumn("{task.description:>14}"),
            BarColumn(),
            TextColumn("{task.fields[objects]}"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task: Any = None
        self.lock = threading.Lock()
        self.objects = 0
        self.total = 0
        self.by_bytes = False
        self.partial: dict[str, int] = {}  # bytes streamed of uploads not yet done, by key

    def __enter__(self) -> BarProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def phase(self, name: str, total: int, total_bytes: int) -> None:
        self.objects, self.total, self.by_bytes = 0, total, total_bytes > 0
        self.task = self.bar.add_task(
            name, total=total_bytes if self.by_bytes else total, objects=f"0/{total} objects"
        )

    def streamed(self, key: str, nbytes: int) -> None:
        """Bytes of a big upload on their way (S3Store.on_bytes): the bar moves with them."""
        with self.lock:
            self.partial[key] = self.partial.get(key, 0) + nbytes
        if self.by_bytes:
            self.bar.update(self.task, advance=nbytes)

    def advance(self, action: Action | None, nbytes: int) -> None:
        with self.lock:  # called from the upload threads
            self.objects += 1
            shown = f"{self.objects}/{self.total} objects"
            nbytes -= self.partial.pop(action.blob.key, 0) if action else 0
        self.bar.update(self.task, advance=nbytes if self.by_bytes else 1, objects=shown)
