"""How far a build is, for a person: hashing a tree of thousands of files takes seconds
to minutes, and a silent pause looks like a hang. Whole lines on stderr (a CI log reads
them; a terminal scrolls them), and none for a build faster than the first interval."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from cdnpub.text import human_size

TERMINAL_EVERY = 2.0  # seconds between lines at a terminal
LOG_EVERY = 10.0  # and in a CI log, as the publish's LineProgress


class BuildLines:
    """The build's progress (build.model.BuildProgress) as a line every `every` seconds
    (`build: 1200/50000 files, 600.0 MB of 2.1 GB`), the first once a build has run that
    long, and a last one when it ends if any was said. `clock` is injectable for tests."""

    def __init__(
        self, out: TextIO | None = None, every: float = LOG_EVERY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.out = out
        self.every, self.clock = every, clock
        self.lock = threading.Lock()
        self.files = self.nbytes = self.done_files = self.done_bytes = 0
        self.started = self.said = 0.0
        self.spoke = False

    def start(self, files: int, nbytes: int) -> None:
        self.files, self.nbytes = files, nbytes
        self.started = self.said = self.clock()

    def hashed(self, nbytes: int) -> None:
        with self.lock:  # called from the build's threads
            self.done_files += 1
            self.done_bytes += nbytes
            now = self.clock()
            if now - self.said < self.every or self.done_files >= self.files:
                return
            self.said, self.spoke = now, True
            line = (
                f"build: {self.done_files}/{self.files} files, "
                f"{human_size(self.done_bytes)} of {human_size(self.nbytes)}"
            )
        self._say(line)

    def done(self) -> None:
        if self.spoke:
            took = self.clock() - self.started
            self._say(f"build: done, {self.files} files ({human_size(self.nbytes)}) in {took:.1f} s")

    def _say(self, line: str) -> None:
        print(line, file=self.out or sys.stderr, flush=True)


def build_lines(hush: bool) -> BuildLines | None:
    """The build's progress for this process's stderr: none under --quiet (`hush`)."""
    if hush:
        return None
    return BuildLines(every=TERMINAL_EVERY if sys.stderr.isatty() else LOG_EVERY)
