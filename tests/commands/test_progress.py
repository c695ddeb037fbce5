"""Progress a CI log can read (no terminal): a line per phase, a line every few seconds
of a long one and a line when it ends, with objects, bytes and the rate; and a bar on a
terminal that counts bytes as bytes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from cdnpub.commands.progress import BarProgress, LineProgress
from cdnpub.commands.rollback import ROLLBACK_VERBS
from tests.support.aws import MotoServer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_long_phase_says_where_it_is_every_few_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    progress = LineProgress(out, every=10, clock=clock)
    progress.phase("fingerprinted", 4, 4 * 1024 * 1024)
    progress.advance(None, 1024 * 1024)  # 2 s in: too soon for a line
    clock.now += 2
    progress.advance(None, 1024 * 1024)
    clock.now += 10  # 12 s in: a line
    progress.advance(None, 1024 * 1024)
    clock.now += 4
    progress.advance(None, 1024 * 1024)  # the last: its line whatever the time
    assert out.getvalue().splitlines() == [
        "fingerprinted: 4 to write (4.0 MB)",
        "fingerprinted: 3/4, 3.0 MB of 4.0 MB, 256.0 KB/s",
        "fingerprinted: done, 4/4, 4.0 MB in 16.0 s, 256.0 KB/s",
    ]


def test_a_phase_without_bytes_counts_objects_only() -> None:
    out = io.StringIO()
    progress = LineProgress(out, clock=Clock())
    progress.phase("release", 1, 0)
    progress.advance(None, 0)
    assert out.getvalue().splitlines() == ["release: 1 to write", "release: done, 1/1 in 0.0 s"]


def test_the_bar_counts_bytes_as_bytes_and_objects_as_objects() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with BarProgress(console) as bar:
        bar.phase("fingerprinted", 3, 30_000_000)
        bar.advance(None, 20_000_000)
        task = bar.bar.tasks[0]
        assert (task.completed, task.total) == (20_000_000, 30_000_000)
        assert task.fields["objects"] == "1/3 objects"


@pytest.mark.usefixtures("isolated")
def test_a_publish_without_a_terminal_ends_each_phase_with_a_line(
    site: Path, bucket: str, moto_server: MotoServer
) -> None:
    """The console script with its stderr a pipe, as in a CI job."""
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdnpub",
            "publish",
            str(site),
            f"s3://{bucket}/static",
            "--endpoint-url",
            moto_server.url,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert ran.returncode == 0, ran.stderr
    lines = ran.stderr.splitlines()
    assert lines[0].startswith("fingerprinted: ") and lines[0].endswith(" to write (341 B)"), lines
    assert lines[1].startswith("fingerprinted: done, ") and " in " in lines[1], lines
    assert any(line.startswith("release: done, 1/1") for line in lines), lines


def test_a_rollbacks_lines_say_copies_not_writes() -> None:
    out = io.StringIO()
    lines = LineProgress(out=out, verbs=ROLLBACK_VERBS)
    lines.phase("plain", 3, 0)
    lines.phase("release", 1, 0)
    assert out.getvalue().splitlines() == ["plain: 3 to restore by copy", "release: 1 to write"]
