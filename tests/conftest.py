"""Fixtures shared by the tests: small static trees written to tmp_path, fake AWS
credentials, a real moto server on 127.0.0.1 (a free port) reached over HTTP with a log
of every request it saw, and, for the suites that publish to it (tests/integration,
tests/reliability), a bucket per test and an example site. Plain helpers are in
tests/support/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import MotoServer, fake_aws_env
from tests.support.sites import INTEGRATION_SITE
from tests.support.trees import Tree, write_tree


@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[..., Path]:
    def make(files: Tree, name: str = "static") -> Path:
        return write_tree(tmp_path / name, files)

    return make


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """fake_aws_env, and the test runs in its own tmp_path (manifests land there)."""
    fake_aws_env(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)


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
def isolated(fake_aws: None, server_without_faults: MotoServer) -> None:
    """Fake credentials, its own directory, no leftover fault: tests/integration and
    tests/reliability make it autouse for every test they hold."""


# One counter for the session: bucket names never repeat on the shared server.
_buckets = iter(range(10**6))


@pytest.fixture
def new_bucket(moto_server: MotoServer) -> Callable[[], str]:
    """Makes an empty bucket of a new name on the shared server, each call."""

    def make() -> str:
        name = f"site-{next(_buckets)}"
        moto_server.client().create_bucket(Bucket=name)
        return name

    return make


@pytest.fixture
def bucket(new_bucket: Callable[[], str], moto_server: MotoServer) -> str:
    """A new bucket; the server's request log starts after its creation."""
    name = new_bucket()
    moto_server.reset_log()
    return name


@pytest.fixture
def site_files() -> Tree:
    """The tree `site` writes; a suite's conftest may name its own."""
    return INTEGRATION_SITE


@pytest.fixture
def site(tmp_path: Path, site_files: Tree) -> Path:
    """`site_files` written to tmp_path/static."""
    return write_tree(tmp_path / "static", site_files)


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
