"""`--full` for the whole suite (loaded with `-p` from pyproject.toml, since a conftest
below the rootdir is read too late to add a command-line option): the long versions of
the kill loop, the outage sweep and the multi-GB file run, the tests marked `slow`.
CDNPUB_FULL=1 does the same where the flag cannot be passed."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        default=False,
        help="Run the tests marked slow and the long trial counts (also CDNPUB_FULL=1).",
    )


def full_run(config: pytest.Config) -> bool:
    return bool(config.getoption("--full", default=False)) or os.environ.get("CDNPUB_FULL") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if full_run(config):
        return
    skip = pytest.mark.skip(reason="slow: run with --full or CDNPUB_FULL=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
