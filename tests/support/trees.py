"""Small static trees written to disk: a mapping of relative path -> text or bytes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

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
