"""More real-process races on the lease (cdnpub/sync/lease.py) against the moto server: a
publish racing a pruning publish of another build, and a publish SIGKILLed while a
second one waits for its lease."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.local.emulator import Request
from tests.support.aws import MotoServer
from tests.support.bucket import bucket_writes, dangling, listing, newest_release, snapshot
from tests.support.cli import publish
from tests.support.processes import publish_process
from tests.support.trees import write_tree

SITE = {"css/a.css": "a{color:red}", "js/app.js": "console.log(1)", "robots.txt": "User-agent: *"}
LEASE = "/.cdnpub/lease.json"


def start(site: Path, bucket: str, server: MotoServer, *extra: str) -> subprocess.Popen[str]:
    """`cdnpub publish SITE s3://BUCKET/static` in a child process, one try per request."""
    return publish_process(site, bucket, server, *extra)


def plain_bytes_are_the_newest_records(server: MotoServer, bucket: str) -> dict[str, str]:
    """Every key the newest record names exists and every plain object holds the bytes
    the record says; returns plain key -> sha256."""
    newest = newest_release(server, bucket)
    assert newest is not None
    record, doc = newest
    stored = listing(server, bucket)
    missing = [k for k in doc["objects"] if k not in stored]
    assert missing == [], (record, missing)
    plain = {k: e["sha256"] for k, e in doc["objects"].items() if e.get("plain")}
    assert plain, record
    s3 = server.client()
    for key, sha in plain.items():
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == sha, (record, key)
    return plain


def site_writes(server: MotoServer, bucket: str) -> list[str]:
    """Writes to the bucket but the lease's (a no-op publish may still touch it)."""
    return [f"{r.method} {r.path}" for r in bucket_writes(server, bucket) if not r.path.endswith(LEASE)]


@pytest.mark.parametrize("round_", range(3))
def test_a_publish_racing_a_pruning_publish_of_another_build_leaves_the_newest_whole(
    moto_server: MotoServer, new_bucket: Callable[[], str], tmp_path: Path, round_: int
) -> None:
    bucket = new_bucket()
    old = write_tree(tmp_path / "old", {**SITE, "robots.txt": "old", "css/a.css": "a{color:green}"})
    a = write_tree(tmp_path / "a", SITE)
    b = write_tree(tmp_path / "b", {**SITE, "robots.txt": "Disallow: /", "css/a.css": "a{color:blue}"})
    assert publish(old, bucket, moto_server).exit_code == 0
    flags = {a: ("--lease-wait", "8"), b: ("--lease-wait", "8", "--prune-older-than", "0")}
    procs = {site: start(site, bucket, moto_server, *flags[site]) for site in (a, b)}
    results = {site: (p.wait(60), p.communicate()[1]) for site, p in procs.items()}
    codes = sorted(code for code, _ in results.values())
    assert codes in ([0, 0], [0, 75]), results
    assert all("Traceback" not in err for _, err in results.values()), results

    plain = plain_bytes_are_the_newest_records(moto_server, bucket)
    assert dangling(moto_server, bucket) == []
    robots = hashlib.sha256((tmp_path / "a/robots.txt").read_bytes()).hexdigest()
    last = a if plain["static/robots.txt"] == robots else b
    assert results[last][0] == 0, results  # the newest record is of a publish that succeeded
    # A re-run of the newest build writes nothing. (Without the prune: a prune run again
    # deletes the release the newest superseded a moment ago, as it does with no race.)
    moto_server.reset_log()
    again = publish(last, bucket, moto_server)
    assert again.exit_code == 0, again.output
    assert site_writes(moto_server, bucket) == []
    assert publish(last, bucket, moto_server, "--prune-older-than", "0").exit_code == 0
    assert plain_bytes_are_the_newest_records(moto_server, bucket) == plain
    assert dangling(moto_server, bucket) == []


def stop_at(server: MotoServer, bucket: str, after: int) -> tuple[threading.Event, list[int]]:
    """A hook that SIGSTOPs the process whose pid is put in the returned list when the
    bucket sees its request number `after` (that request goes through, as a kill that
    lands just after a send). Only the stopped process sends until then."""
    stopped, pid, seen, lock = threading.Event(), [0], [0], threading.Lock()

    def hook(request: Request) -> int | None:
        if not request.path.startswith(f"/{bucket}"):
            return None
        with lock:
            seen[0] += 1
            if seen[0] == after and not stopped.is_set():
                os.kill(pid[0], signal.SIGSTOP)
                stopped.set()
        return None

    server.fail = hook
    return stopped, pid


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("after", [4, 7, 10])
def test_a_publish_killed_while_another_waits_for_its_lease_is_taken_over_and_the_bucket_is_clean(
    moto_server: MotoServer, new_bucket: Callable[[], str], tmp_path: Path, after: int
) -> None:
    # The second build holds every file of the first, byte for byte, plus two: the first's
    # half-written keys are then all the second's too. (A changed file would leave the
    # killed one's fingerprinted copy behind: a repair does not prune, by design.)
    a = write_tree(tmp_path / "a", SITE)
    b = write_tree(tmp_path / "b", {**SITE, "extra.txt": "more", "css/b.css": "b{color:blue}"})
    reference = new_bucket()
    assert publish(b, reference, moto_server).exit_code == 0
    clean = snapshot(moto_server, reference)

    bucket = new_bucket()
    stopped, pid = stop_at(moto_server, bucket, after)
    first = start(a, bucket, moto_server)
    pid[0] = first.pid
    assert stopped.wait(30), first.communicate()
    lease = moto_server.client().get_object(Bucket=bucket, Key=f"static{LEASE}")["Body"].read()
    assert b'"held"' in lease and f"pid {first.pid}".encode() in lease  # the first holds it
    moto_server.fail = lambda request: None
    since = len(moto_server.requests())
    second = start(b, bucket, moto_server, "--lease-wait", "15")
    # The second has read the held lease of a live (stopped) process and judged it (it reads
    # it again after its first backoff): it waits. One read alone could still be in flight
    # when the first is killed, and then be judged a gone holder's, with no wait to say.
    wait_for(
        lambda: (
            sum(r.method == "GET" and r.path.endswith(LEASE) for r in moto_server.requests()[since:]) >= 2
        ),
        15,
    )
    first.kill()
    first.communicate(timeout=10)  # reaped: its pid is gone from this host
    assert first.returncode == -signal.SIGKILL
    killed = time.monotonic()
    _, err = second.communicate(timeout=30)
    # Taken over at once (a gone process of this host), not after the 600 s term.
    assert time.monotonic() - killed < 10
    assert second.returncode == 0, err
    assert "waiting up to 15 s for the prefix's lease: a publish by" in err and f"pid {first.pid}" in err, err
    assert dangling(moto_server, bucket) == []
    assert snapshot(moto_server, bucket) == clean
