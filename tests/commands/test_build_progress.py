"""A long build says how far it is (issue 24 point 6): whole lines, the first once the
build has run an interval, none for a fast build."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

from cdnpub.build.fingerprint import build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.commands.buildprogress import BuildLines
from tests.support.trees import write_tree

TREE: dict[str, str | bytes] = {f"img/{n}.bin": bytes(100) + bytes([n]) for n in range(10)}


def _build(root: Path, lines: BuildLines) -> None:
    build([Source(scan(str(write_tree(root, TREE))))], BuildOptions(jobs=1, progress=lines))


def test_a_slow_build_prints_a_line_every_interval_and_one_at_the_end(tmp_path: Path) -> None:
    out = io.StringIO()
    ticks = itertools.count(0.0, 4.0)  # each file takes 4 s
    _build(tmp_path / "static", BuildLines(out, every=10.0, clock=lambda: next(ticks)))
    assert out.getvalue().splitlines() == [
        "build: 3/10 files, 303 B of 1010 B",
        "build: 6/10 files, 606 B of 1010 B",
        "build: 9/10 files, 909 B of 1010 B",
        "build: done, 10 files (1010 B) in 44.0 s",
    ]


def test_a_fast_build_prints_nothing(tmp_path: Path) -> None:
    out = io.StringIO()
    _build(tmp_path / "static", BuildLines(out, every=10.0, clock=lambda: 0.0))
    assert out.getvalue() == ""
