"""The forked tokenizer pool: stylesheets tokenized in worker processes while the main
process hashes the other files, and workers that die with cdnpub."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from cdnpub.build.digest import read_all
from cdnpub.build.graph import Node
from cdnpub.build.references import (
    Span,
    css_spans,
    is_stylesheet,
)

PARALLEL_CSS_BYTES = 256 * 1024


class Stylesheets:
    """Every stylesheet read (the text kept on its node) and tokenized for references.

    Tokenizing is the costly part of a build and tinycss2 is pure Python: past
    PARALLEL_CSS_BYTES it runs in forked worker processes, one per core, started here
    so that the caller hashes other files meanwhile. Only when this process has no
    other thread yet, since a fork copies locks another thread may hold.
    """

    def __init__(self, nodes: dict[str, Node]) -> None:
        self._sheets = [n for n in nodes.values() if is_stylesheet(n.file.path)]
        for node in self._sheets:
            node.text = read_all(node.file.fs_path, node.file.size).decode("utf-8", "surrogateescape")
        texts = [n.text or "" for n in self._sheets]
        cores = os.cpu_count() or 1
        forkable = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
        self._pool: ProcessPoolExecutor | None = None
        self._pending: Iterator[list[Span]] | None = None
        if sum(map(len, texts)) >= PARALLEL_CSS_BYTES and cores >= 2 and forkable:
            self._pool = ProcessPoolExecutor(
                cores,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
            chunk = max(1, len(texts) // (cores * 4))
            self._pending = self._pool.map(css_spans, texts, chunksize=chunk)  # forks now

    # The pool buys 38 % on bench/build_bench.py --files 10000 (best of 5 on 2 cores:
    # 1.15 s with it, 1.87 s without), so it stays; `_die_with_parent` is its cost.

    def spans(self) -> Iterator[tuple[Node, list[Span]]]:
        if self._pending is None:
            found: Iterator[list[Span]] = (css_spans(n.text or "") for n in self._sheets)
        else:
            found = self._pending
        return zip(self._sheets, found, strict=True)

    def __enter__(self) -> Stylesheets:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _die_with_parent(parent: int) -> None:
    """First thing in each worker. A worker waits on a pipe whose other end it holds
    itself (fork), so it never sees its parent die: after a SIGKILL of cdnpub it would
    live on, holding the caller's stdout and stderr, and a CI job would hang. Linux
    kills it with its parent (PR_SET_PDEATHSIG); elsewhere a thread watches the parent.
    (The signal follows the thread that forked: the pool forks only while the process has
    one thread, so that is the main thread, which lives as long as the process.)"""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the line above ran
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
