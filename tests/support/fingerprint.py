"""A build of a tree on disk, and what it made of one file: for the build tests and the
one-URL-rule tests."""

from __future__ import annotations

from pathlib import Path

from cdnpub.build.digest import read_all
from cdnpub.build.fingerprint import build
from cdnpub.build.model import Asset, Build, BuildOptions, Source
from cdnpub.build.scan import scan

PNG = b"\x89PNG\r\n\x1a\n-image-"


def built(root: Path, **options: object) -> Build:
    return build([Source(scan(root))], BuildOptions(**options))  # type: ignore[arg-type]


def asset(result: Build, path: str) -> Asset:
    return next(a for a in result.assets if a.path == path)


def body(a: Asset) -> bytes:
    """The bytes the build publishes for `a`: the source with its reference edits applied."""
    return read_all(a.fs_path, a.source_size, a.edits)
