"""What a publish SIGKILLed after its fingerprinted phase left, over the moto server (issue
25): the publish that repairs it carries those keys into its record (`orphans`), and a
later `--prune-older-than 0` deletes them without `--prune-foreign`."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from cdnpub.local.emulator import Request
from tests.support.aws import MotoServer
from tests.support.bucket import FINGERPRINTED, dangling, keys, newest_release
from tests.support.cli import publish
from tests.support.processes import publish_process
from tests.support.trees import write_tree

SITE = {"css/a.css": "a{background:url(../img/p.png)}", "img/p.png": "p1", "robots.txt": "User-agent: *"}


def kill_at_first_plain_put(server: MotoServer, bucket: str) -> list[int]:
    """A hook that SIGKILLs the process whose pid is put in the returned list at its first
    PUT of a plain-name key (that request fails): the fingerprinted phase and the lease that
    lists its keys have landed."""
    pid = [0]

    def hook(request: Request) -> int | None:
        key = request.path.removeprefix(f"/{bucket}/")
        plain = key.startswith("static/") and "/.cdnpub/" not in key and not FINGERPRINTED.search(key)
        if request.method == "PUT" and plain and pid[0]:
            os.kill(pid[0], signal.SIGKILL)
            pid[0] = 0
            return 500
        return None

    server.fail = hook
    return pid


def test_a_prune_after_the_repair_deletes_what_a_killed_publish_left(
    moto_server: MotoServer, new_bucket: Callable[[], str], tmp_path: Path
) -> None:
    a = write_tree(tmp_path / "a", SITE)
    b = write_tree(tmp_path / "b", {**SITE, "img/p.png": "p2", "new.txt": "new"})
    bucket = new_bucket()
    assert publish(a, bucket, moto_server).exit_code == 0
    before = keys(moto_server, bucket)
    pid = kill_at_first_plain_put(moto_server, bucket)
    child = publish_process(b, bucket, moto_server)
    pid[0] = child.pid
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    moto_server.fail = lambda request: None
    left = {k for k in keys(moto_server, bucket) - before if "/.cdnpub/" not in k}
    assert left and all(FINGERPRINTED.search(k) for k in left)  # no record names them

    assert publish(a, bucket, moto_server).exit_code == 0  # the repair, of the same release
    found = newest_release(moto_server, bucket)
    assert found is not None and left <= set(found[1]["orphans"])
    time.sleep(1.1)  # LastModified and record times are to the second: the prune's cutoff is past them
    result = publish(a, bucket, moto_server, "--prune-older-than", "0", "--json")
    assert result.exit_code == 0, result.output
    assert {k for k in keys(moto_server, bucket) if "/.cdnpub/" not in k} == {
        k for k in before if "/.cdnpub/" not in k
    }
    assert dangling(moto_server, bucket) == []
    doc = json.loads(result.output)
    assert set(left) <= set(doc["plan"]["prune"])
    assert not [k for k in doc["plan"]["prune"] if k in found[1]["objects"]]
