"""Fixtures shared by the tests: small static trees written to tmp_path, fake AWS
credentials, and a real moto server on 127.0.0.1 (a free port), reached over HTTP
through endpoint_url, with a log of every request it saw."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest

from cdnpub.local.emulator import Emulator, Request

Tree = Mapping[str, "str | bytes"]


def write_tree(root: Path, files: Tree) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return root


@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[..., Path]:
    def make(files: Tree, name: str = "static") -> Path:
        return write_tree(tmp_path / name, files)

    return make


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


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """fake_aws_env, and the test runs in its own tmp_path (manifests land there)."""
    fake_aws_env(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)


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

    def puts(self) -> list[Request]:
        return [r for r in self.requests() if r.method == "PUT"]

    def uploads(self) -> list[Request]:
        """PUTs that carry bytes (not CopyObject)."""
        return [r for r in self.puts() if not r.copy_source]

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def client(self, service: str = "s3") -> Any:
        return boto3.Session().client(service, endpoint_url=self.url, region_name="us-east-1")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.emulator.stop()


@pytest.fixture
def server_without_faults(moto_server: MotoServer) -> Iterator[MotoServer]:
    """The shared server; whatever fault a test injects ends with the test."""
    yield moto_server
    moto_server.fail = lambda request: None


@pytest.fixture
def caller_reference_semantics(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give moto CloudFront's documented CallerReference behaviour, which moto 5 lacks.

    CloudFront returns the existing invalidation for a repeated reference with the same
    paths, and InvalidationBatchAlreadyExists when the paths differ.
    """
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.cloudfront.models import CloudFrontBackend

    original = CloudFrontBackend.create_invalidation

    def create_invalidation(self: Any, dist_id: str, paths: list[str], caller_ref: str) -> Any:
        for existing in self.invalidations.get(dist_id, []):
            if existing.caller_ref == caller_ref:
                if sorted(existing.paths) != sorted(paths):
                    raise CloudFrontException("InvalidationBatchAlreadyExists", "in use")
                return existing
        return original(self, dist_id, paths, caller_ref)

    monkeypatch.setattr(CloudFrontBackend, "create_invalidation", create_invalidation)
