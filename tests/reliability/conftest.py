"""The reliability suite's stack, all on 127.0.0.1: the shared moto server (with its
request log, tests/conftest.py), a fault-injecting HTTP proxy in front of it
(tests/support/proxy.py), and checks on what the bucket holds: the live-site invariant
and bucket-to-bucket equality (tests/support/bucket.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.plugin import full_run
from tests.support.aws import MotoServer
from tests.support.proxy import FaultProxy
from tests.support.sites import RELIABILITY_SITE
from tests.support.trees import Tree


@pytest.fixture(scope="session")
def full(request: pytest.FixtureRequest) -> bool:
    """--full (or CDNPUB_FULL=1): the long trial counts."""
    return full_run(request.config)


@pytest.fixture(autouse=True)
def _every_test_isolated(isolated: None) -> None:
    """Every reliability test: fake credentials, its own directory, no leftover fault."""


@pytest.fixture
def site_files() -> Tree:
    return RELIABILITY_SITE


@pytest.fixture
def proxy(moto_server: MotoServer) -> Iterator[FaultProxy]:
    with FaultProxy(moto_server.url) as p:
        yield p
