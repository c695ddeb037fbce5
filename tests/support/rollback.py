"""`cdnpub` as a child process against the moto server (a rollback, a publish), and the
check that the bucket serves what its newest release record says, key for key: shared
by the rollback tests that race or kill real processes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from tests.support.aws import MotoServer
from tests.support.bucket import newest_release
from tests.support.processes import cdnpub_process

REPO = Path(__file__).resolve().parents[2]


def start(server: MotoServer, *args: str) -> subprocess.Popen[str]:
    """`cdnpub ARGS --endpoint-url URL --jobs 4` in a process of its own, no retries."""
    return cdnpub_process(server, *args)


def mismatches(server: MotoServer, bucket: str) -> list[str]:
    """Keys whose bytes, Content-Type or Cache-Control differ from the newest record's
    (empty when the bucket serves that release whole)."""
    newest = newest_release(server, bucket)
    assert newest is not None
    s3 = server.client()
    wrong = []
    for key, entry in newest[1]["objects"].items():
        got = s3.get_object(Bucket=bucket, Key=key)
        same = hashlib.sha256(got["Body"].read()).hexdigest() == entry["sha256"]
        headers = (got.get("ContentType"), got.get("CacheControl")) == (
            entry["content_type"],
            entry["cache_control"],
        )
        if not (same and headers):
            wrong.append(key)
    return wrong
