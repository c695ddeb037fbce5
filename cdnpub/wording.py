"""Counts in the words a person reads: `1 path`, `2 paths`."""

from __future__ import annotations


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """`plural(1, "path")` -> "1 path"; `plural(3, "path")` -> "3 paths"; irregular
    plurals are given (`plural(2, "copy", "copies")`)."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"
