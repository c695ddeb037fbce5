"""Every exit code the code can return is in the exit-code tables of README.md,
docs/publish.md (the codes a publish returns) and docs/troubleshooting.md, and no table
names a code the code never returns."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from cdnpub import errors

ROOT = Path(__file__).resolve().parent.parent


def _codes_in_the_code() -> set[int]:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.CdnpubError)]
    interrupted = {128 + signal.SIGINT, 128 + signal.SIGTERM}  # commands/output.py: 128 + the signal
    return {0, *(c.exit_code for c in classes), *interrupted}


def _table_codes(doc: str, heading: str) -> set[int]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return {int(n) for row in re.findall(r"^\| ([0-9, ]+) \|", section, re.M) for n in row.split(",")}


def test_the_interrupted_codes_are_130_and_143() -> None:
    assert {128 + signal.SIGINT, 128 + signal.SIGTERM} == {130, 143}


@pytest.mark.parametrize(
    ("doc", "heading", "only_publish"),
    [
        ("README.md", "## Exit codes", False),
        ("docs/troubleshooting.md", "## Exit codes", False),
        ("docs/publish.md", "## Exit codes and errors", True),
    ],
)
def test_each_exit_code_table_matches_the_code(doc: str, heading: str, only_publish: bool) -> None:
    documented = _table_codes(doc, heading)
    expected = _codes_in_the_code() - ({3, 4} if only_publish else set())  # 3, 4: doctor's
    assert documented == expected, (doc, sorted(documented ^ expected))
