"""A real `cdnpub rollback` process racing a real `cdnpub publish` (or a pruning one) on one
prefix: the lease lets one through at a time (the other waits, or exits 75 past
--lease-wait), and the bucket ends serving its newest record whole, whichever went last;
and one killed past its record, finished by the same command run again."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.local.emulator import Request
from tests.support.aws import MotoServer
from tests.support.bucket import dangling
from tests.support.cli import publish, run_cli
from tests.support.cloudfront import create_distribution, invalidation_paths
from tests.support.rollback import mismatches, start
from tests.support.trees import write_tree

SITE = {"css/a.css": "a{color:red}", "js/app.js": "console.log(1)", "robots.txt": "User-agent: *"}
B = {**SITE, "css/a.css": "a{color:blue}", "js/app.js": "console.log(2)"}
C = {**SITE, "robots.txt": "Disallow: /", "js/app.js": "console.log(3)"}


def newest_first_ids(server: MotoServer, bucket: str) -> list[str]:
    """The 12-hex-digit ids of the release records, newest first."""
    listed = server.client().list_objects_v2(Bucket=bucket, Prefix="static/.cdnpub/releases/")["Contents"]
    return [
        k["Key"].rsplit("-", 1)[-1].removesuffix(".json.gz") for k in sorted(listed, key=lambda o: o["Key"])
    ][::-1]


@pytest.mark.parametrize("lease_wait", ["600", "0"])
def test_a_rollback_racing_a_publish_waits_or_exits_75_and_the_bucket_ends_whole(
    moto_server: MotoServer, new_bucket: Callable[[], str], tmp_path: Path, lease_wait: str
) -> None:
    bucket = new_bucket()
    for n, files in enumerate((SITE, B)):
        assert publish(write_tree(tmp_path / f"v{n}", files), bucket, moto_server).exit_code == 0
    c = write_tree(tmp_path / "c", C)
    racing = start(moto_server, "publish", str(c), f"s3://{bucket}/static")
    back = start(moto_server, "rollback", f"s3://{bucket}/static", "--lease-wait", lease_wait)
    results = {name: (p.wait(120), p.communicate()) for name, p in (("publish", racing), ("rollback", back))}
    codes = {name: code for name, (code, _) in results.items()}
    assert codes["publish"] == 0 or (codes["publish"] == 75 and lease_wait == "0"), results
    # A rollback that waited while the publish made another release live refuses to undo it.
    assert codes["rollback"] in ((0, 2) if lease_wait == "600" else (0, 2, 75)), results
    if codes["rollback"] == 75:
        assert "another publish or rollback" in results["rollback"][1][1]
    if codes["rollback"] == 2:
        assert "changed while this rollback waited" in results["rollback"][1][1]
    assert dangling(moto_server, bucket) == []
    assert mismatches(moto_server, bucket) == []


def test_a_rollback_racing_a_pruning_publish_goes_one_at_a_time(
    moto_server: MotoServer, new_bucket: Callable[[], str], tmp_path: Path
) -> None:
    """A pruning publish that goes first deletes A's objects (expired, not live): the
    rollback then stops, naming them, with nothing written. One that goes second keeps
    them: the rollback's record made A live again. Either way the bucket ends whole."""
    bucket = new_bucket()
    for n, files in enumerate((SITE, B)):
        assert publish(write_tree(tmp_path / f"v{n}", files), bucket, moto_server).exit_code == 0
    a = newest_first_ids(moto_server, bucket)[-1]
    c = write_tree(tmp_path / "c", C)
    pruning = start(moto_server, "publish", str(c), f"s3://{bucket}/static", "--prune-older-than", "0")
    back = start(moto_server, "rollback", f"s3://{bucket}/static", a[:12], "--manifest", str(tmp_path / "m"))
    (pub, pub_out), (rb, rb_out) = [(p.wait(120), p.communicate()) for p in (pruning, back)]
    assert pub == 0, pub_out
    # second, it finds A's objects pruned, or A's record too (an expired record goes with them)
    assert rb == 0 or (rb == 2 and ("pruned" in rb_out[1] or "no release" in rb_out[1])), rb_out
    assert dangling(moto_server, bucket) == []
    assert mismatches(moto_server, bucket) == []


def test_a_rollback_killed_after_its_record_is_finished_by_the_same_command_run_again(
    moto_server: MotoServer, new_bucket: Callable[[], str], tmp_path: Path
) -> None:
    """`cdnpub rollback` (no RELEASE) SIGKILLed once its record landed, before it invalidated
    and gave its lease up, as a cancelled CI job; the job retried runs the same command:
    it finishes that rollback (A stays live, the invalidation is sent), not a second one
    back to B."""
    bucket = new_bucket()
    distribution = create_distribution(moto_server, bucket)
    for n, files in enumerate((SITE, B)):
        assert publish(write_tree(tmp_path / f"v{n}", files), bucket, moto_server).exit_code == 0
    b, a = newest_first_ids(moto_server, bucket)
    args = ("rollback", f"s3://{bucket}/static", "--distribution-id", distribution)
    proc = start(moto_server, *args)
    recorded, killed = threading.Event(), threading.Event()

    def hook(request: Request) -> int | None:
        if recorded.is_set() and not killed.is_set():  # the request after the record: killed
            os.kill(proc.pid, signal.SIGKILL)
            killed.set()
            return 500  # and that request never served
        if request.method == "PUT" and "/.cdnpub/releases/" in request.path:
            recorded.set()
        return None

    moto_server.fail = hook
    proc.communicate(timeout=60)
    moto_server.fail = lambda request: None
    assert killed.is_set() and proc.returncode == -signal.SIGKILL
    assert newest_first_ids(moto_server, bucket)[0] == a and not invalidation_paths(moto_server, distribution)
    again = run_cli(*args, "--endpoint-url", moto_server.url)
    assert again.exit_code == 0, again.output
    assert newest_first_ids(moto_server, bucket) == [a, b, a]  # A live: no rollback past it, no new record
    assert invalidation_paths(moto_server, distribution)  # what the killed one owed, sent
    assert dangling(moto_server, bucket) == [] and mismatches(moto_server, bucket) == []
