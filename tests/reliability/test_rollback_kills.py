"""`cdnpub rollback` SIGKILLed at random points: after each kill the live site is whole
(nothing live names a missing key), and the next rollback, or the next publish, finishes
or repairs it: the bucket then serves its newest record whole."""

from __future__ import annotations

import os
import random
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from cdnpub.local.emulator import Request
from tests.support.aws import MotoServer
from tests.support.bucket import dangling, newest_release
from tests.support.cli import publish, run_cli
from tests.support.rollback import mismatches, start
from tests.support.sites import RELIABILITY_SITE as SITE


def _change(root: Path) -> None:
    (root / "img/logo.png").write_bytes(b"\x89PNG-logo-v2")
    (root / "img/icon.svg").write_text("<svg><circle/></svg>")
    (root / "css/fonts.css").write_text("@font-face{font-family:G;src:url(../fonts/g.woff2)}\n")
    (root / "fonts/g.woff2").write_bytes(b"wOF2-g")


def _rollback_killed(server: MotoServer, bucket: str, release: str, after: int) -> int:
    """Roll back in a child process, SIGKILLed when the server sees its request `after`
    (let through or refused at random, as a real kill may land before or after it)."""
    proc = start(server, "rollback", f"s3://{bucket}/static", release)
    seen, lock, let_through = 0, threading.Lock(), after % 2 == 0

    def hook(request: Request) -> int | None:
        nonlocal seen
        if not request.path.startswith(f"/{bucket}"):
            return None
        with lock:
            seen += 1
            if seen == after:
                os.kill(proc.pid, signal.SIGKILL)
                return None if let_through else 500
        return None

    server.fail = hook
    if after == 0:
        proc.kill()
    proc.communicate(timeout=60)
    server.fail = lambda request: None
    return proc.returncode


def test_a_rollback_killed_at_random_points_is_finished_by_the_next_rollback_or_publish(
    moto_server: MotoServer, new_bucket: Callable[[], str], make_tree: Callable[..., Path]
) -> None:
    v1 = make_tree(SITE, "v1")
    v2 = make_tree(SITE, "v2")
    _change(v2)
    rng = random.Random(27)
    killed = 0
    for trial in range(8):
        bucket = new_bucket()
        assert publish(v1, bucket, moto_server).exit_code == 0
        first = newest_release(moto_server, bucket)
        assert first is not None
        assert publish(v2, bucket, moto_server).exit_code == 0
        release = first[1]["id"][:12]
        moto_server.reset_log()
        code = _rollback_killed(moto_server, bucket, release, after=rng.randint(0, 24))
        killed += code == -signal.SIGKILL
        assert code in (0, -signal.SIGKILL), (trial, code)
        assert dangling(moto_server, bucket) == [], trial
        if trial % 2 == 0:  # the next rollback finishes it
            result = run_cli("rollback", f"s3://{bucket}/static", release, "--endpoint-url", moto_server.url)
            assert result.exit_code == 0, (trial, result.output)
            newest = newest_release(moto_server, bucket)
            assert newest is not None and newest[1]["id"] == first[1]["id"]
        else:  # or the next publish repairs it
            assert publish(v2, bucket, moto_server).exit_code == 0, trial
        assert mismatches(moto_server, bucket) == [], trial
        assert dangling(moto_server, bucket) == [], trial
    assert killed >= 4  # most kills landed mid-rollback
