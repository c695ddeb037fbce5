"""Fake AWS credentials, and a real moto server on 127.0.0.1 (a free port) reached over
HTTP through endpoint_url, with a log of every request it saw."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from cdnpub.local.emulator import Emulator, Request
from cdnpub.sync.layout import is_lease_bookkeeping


def fake_aws_env(mp: pytest.MonkeyPatch, home: Path) -> None:
    """Fake credentials only: no profile or shared config of the machine's, no instance
    metadata, botocore's default attempts, no debug output: nothing reaches real AWS."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_MAX_ATTEMPTS",
        "CDNPUB_DEBUG",
    ):
        mp.delenv(name, raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mp.setenv("AWS_CONFIG_FILE", str(home / "no-aws-config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-aws-credentials"))


class MotoServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._log: list[Request] = []
        self.fail: Callable[[Request], int | None] = lambda request: None
        self.emulator = Emulator(on_request=self._record).start()
        self.url = self.emulator.url

    def _record(self, request: Request) -> int | None:
        with self._lock:
            self._log.append(request)
        return self.fail(request)

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    def writes(self) -> list[Request]:
        return [r for r in self.requests() if r.method in ("PUT", "POST", "DELETE")]

    def site_writes(self) -> list[Request]:
        """The writes but the prefix's lease (`.cdnpub/lease.json`, and the finish notes
        that free it, `.cdnpub/finished/...`): a publish takes the
        lease beside its first reads, so a refused one has written that and nothing else
        (tests/sync/test_lease.py pins the lease itself)."""
        return [r for r in self.writes() if not is_lease_bookkeeping(r.path)]

    def puts(self) -> list[Request]:
        return [r for r in self.requests() if r.method == "PUT"]

    def uploads(self) -> list[Request]:
        """PUTs that carry bytes (not CopyObject)."""
        return [r for r in self.puts() if not r.copy_source and not is_lease_bookkeeping(r.path)]

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def client(self, service: str = "s3") -> Any:
        return boto3.Session().client(service, endpoint_url=self.url, region_name="us-east-1")
