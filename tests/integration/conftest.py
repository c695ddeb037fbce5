"""Integration tests run cdnpub against the shared moto server (tests/conftest.py) over
HTTP: a bucket per test (`bucket`), the example site (`site`), the CLI
(tests/support/cli.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _every_test_isolated(isolated: None) -> None:
    """Every integration test: fake credentials, its own directory, no leftover fault."""
