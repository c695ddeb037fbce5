"""`cdnpub` in a child process of its own against the moto server: what the tests that
race, kill or stop real publishes and rollbacks start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.aws import MotoServer

REPO = Path(__file__).resolve().parents[2]


def cdnpub_process(server: MotoServer, *args: str, one_try: bool = True) -> subprocess.Popen[str]:
    """`cdnpub ARGS --endpoint-url URL --jobs 4`, its output piped. `one_try`: no request
    retried (AWS_MAX_ATTEMPTS=1), so a killed or refused request is not retried behind
    the test's back."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if one_try:
        env["AWS_MAX_ATTEMPTS"] = "1"
    return subprocess.Popen(
        [sys.executable, "-c", "from cdnpub.cli import main; main()", *args,
         "--endpoint-url", server.url, "--jobs", "4"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def publish_process(
    site: Path, bucket: str, server: MotoServer, *extra: str, one_try: bool = True
) -> subprocess.Popen[str]:
    """`cdnpub publish SITE s3://BUCKET/static EXTRA...` in a child process."""
    return cdnpub_process(server, "publish", str(site), f"s3://{bucket}/static", *extra, one_try=one_try)
