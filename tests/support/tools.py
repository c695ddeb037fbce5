"""External tools a test needs (npm, node): skipped with the reason locally, a failure
under CI=true, where .ci/run installs them."""

from __future__ import annotations

import os
import shutil

import pytest


def need(tool: str, what: str) -> str:
    """The path of `tool`; without it, `what` cannot run: skip (locally) or fail (CI)."""
    found = shutil.which(tool)
    if found is None:
        reason = f"{tool} is not installed: {what} cannot run"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true needs it", pytrace=False)
        pytest.skip(reason)
    return found
