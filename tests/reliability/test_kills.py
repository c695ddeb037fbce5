"""`cdnpub publish` SIGKILLed at random points: after each kill the live site is whole,
and a re-run converges to the bucket of a clean publish."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.build.model import HASHED_NAME
from cdnpub.local.emulator import Request
from tests.support.aws import MotoServer
from tests.support.bucket import dangling, snapshot
from tests.support.cli import publish
from tests.support.sites import RELIABILITY_SITE as SITE

CLI = [sys.executable, "-c", "from cdnpub.cli import main; main()"]


def second_release(root: Path) -> None:
    (root / "img/logo.png").write_bytes(b"\x89PNG-logo-v2")
    (root / "img/icon.svg").write_text("<svg><circle/></svg>")
    (root / "fonts/g.woff2").write_bytes(b"wOF2-g")
    (root / "css/fonts.css").write_text("@font-face{font-family:G;src:url(../fonts/g.woff2)}\n")


def module_release(root: Path) -> None:
    """A release that adds modules: the plain `app.js` now imports a new module, which
    imports another new one (the plain copies keep their relative imports)."""
    (root / "js/lib").mkdir(parents=True, exist_ok=True)
    (root / "js/lib/deep.js").write_text("export const d = 1;\n")
    (root / "js/lib/new.js").write_text('import { d } from "./deep.js";\nexport const n = d;\n')
    (root / "js/app.js").write_text('import { n } from "./lib/new.js";\nconsole.log(n);\n')


def run_and_kill(
    moto_server: MotoServer, root: Path, bucket: str, after: int, cwd: Path
) -> subprocess.Popen[bytes]:
    """Publish in a child process and SIGKILL it from the server's hook when it sees the
    child's request number `after` (0: as soon as it is running), letting that request
    through or not at random: the write may or may not land, as with a real kill."""
    env = {**os.environ, "AWS_MAX_ATTEMPTS": "1"}
    args = ["publish", str(root), f"s3://{bucket}/static", "--endpoint-url", moto_server.url, "--jobs", "4"]
    proc = subprocess.Popen([*CLI, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = 0
    lock = threading.Lock()
    let_through = after % 2 == 0

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

    moto_server.fail = hook
    if after == 0:
        proc.kill()
    proc.communicate(timeout=60)
    moto_server.fail = lambda request: None
    return proc


def kill_trials(
    moto_server: MotoServer,
    new_bucket: Callable[[], str],
    make_tree: Callable[..., Path],
    tmp_path: Path,
    trials: int,
    seed: int,
    change: Callable[[Path], None] = second_release,
) -> None:
    v1 = make_tree(SITE, "v1")
    v2 = make_tree(SITE, "v2")
    change(v2)
    reference = new_bucket()
    assert publish(v1, reference, moto_server).exit_code == 0
    moto_server.reset_log()
    assert publish(v2, reference, moto_server).exit_code == 0
    total = len([r for r in moto_server.requests() if r.path.startswith(f"/{reference}")])
    clean = snapshot(moto_server, reference)

    rng = random.Random(seed)
    killed = 0
    for trial in range(trials):
        bucket = new_bucket()
        assert publish(v1, bucket, moto_server).exit_code == 0
        after = rng.randint(0, total)
        proc = run_and_kill(moto_server, v2, bucket, after, tmp_path)
        killed += proc.returncode == -signal.SIGKILL
        assert proc.returncode in (0, -signal.SIGKILL), (trial, after, proc.returncode)
        assert dangling(moto_server, bucket) == [], (trial, after)
        result = publish(v2, bucket, moto_server)
        assert result.exit_code == 0, (trial, after, result.output)
        assert snapshot(moto_server, bucket) == clean, (trial, after)
    assert killed >= trials // 2  # most kills landed mid-publish, not after it was done


def test_sigkill_at_random_points_never_breaks_the_site_and_a_rerun_converges(
    moto_server: MotoServer,
    new_bucket: Callable[[], str],
    make_tree: Callable[..., Path],
    tmp_path: Path,
) -> None:
    kill_trials(moto_server, new_bucket, make_tree, tmp_path, trials=12, seed=20)  # 100 under --full: below


def test_sigkill_of_a_release_that_adds_modules_never_leaves_a_plain_module_importing_a_missing_key(
    moto_server: MotoServer,
    new_bucket: Callable[[], str],
    make_tree: Callable[..., Path],
    tmp_path: Path,
) -> None:
    kill_trials(moto_server, new_bucket, make_tree, tmp_path, trials=8, seed=7, change=module_release)


def test_a_rerun_after_a_kill_past_the_fingerprinted_phase_finishes_it_with_no_header_fix(
    moto_server: MotoServer, new_bucket: Callable[[], str], make_tree: Callable[..., Path], tmp_path: Path
) -> None:
    """SIGKILL at the first plain-name write: every fingerprinted object of the new release
    landed, and only the lease says which. The re-run says it finishes that publish,
    uploads what is left, and copies nothing in place (issue 24 point 5)."""
    v1, v2 = make_tree(SITE, "v1"), make_tree(SITE, "v2")
    second_release(v2)
    bucket = new_bucket()
    assert publish(v1, bucket, moto_server).exit_code == 0
    env = {**os.environ, "AWS_MAX_ATTEMPTS": "1"}
    args = ["publish", str(v2), f"s3://{bucket}/static", "--endpoint-url", moto_server.url]
    proc = subprocess.Popen(
        [*CLI, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )

    def hook(request: Request) -> int | None:
        name = request.path.rsplit("/", 1)[-1]
        plain = (
            "/static/" in request.path and "/.cdnpub/" not in request.path and not HASHED_NAME.search(name)
        )
        if request.method == "PUT" and plain:
            os.kill(proc.pid, signal.SIGKILL)
            return 500
        return None

    moto_server.fail = hook
    proc.communicate(timeout=60)
    moto_server.fail = lambda request: None
    assert proc.returncode == -signal.SIGKILL
    moto_server.reset_log()
    result = publish(v2, bucket, moto_server)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert ", 0 header fixes, " in lines[0], lines
    assert lines[1].startswith("This finished a publish that stopped half-way: "), lines
    assert not [r for r in moto_server.requests() if r.copy_source]
    assert dangling(moto_server, bucket) == []


@pytest.mark.slow
def test_sigkill_at_random_points_long(
    moto_server: MotoServer,
    new_bucket: Callable[[], str],
    make_tree: Callable[..., Path],
    tmp_path: Path,
) -> None:
    kill_trials(moto_server, new_bucket, make_tree, tmp_path, trials=100, seed=100)
