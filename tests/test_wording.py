from __future__ import annotations

import pytest

from cdnpub.text import plural


@pytest.mark.parametrize(("n", "expected"), [(0, "0 paths"), (1, "1 path"), (2, "2 paths"), (17, "17 paths")])
def test_plural_counts_paths(n: int, expected: str) -> None:
    assert plural(n, "path") == expected


def test_plural_takes_an_irregular_form() -> None:
    assert (plural(1, "copy", "copies"), plural(2, "copy", "copies")) == ("1 copy", "2 copies")
