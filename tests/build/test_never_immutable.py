"""Nothing that is not content-hashed is kept `immutable` (issue 26): over the real npm
trees Flask apps vendor (tests/corpus.py; thousands of hand-written names, and the
`manifest.json`-like files packages ship), every file gets a fingerprinted key and a
short-cached plain copy; none keeps its own name."""

from __future__ import annotations

from pathlib import Path

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Source
from cdnpub.build.scan import scan
from tests.corpus import selected, unpack


def test_no_file_of_the_real_trees_keeps_its_name(tmp_path: Path) -> None:
    root = unpack(selected(), tmp_path / "static")
    result = build([Source(scan(root))])
    assert len(result.assets) > 50
    kept = [a.path for a in result.assets if a.plain_key is None]
    assert kept == []
    assert all(a.key != a.plain_key for a in result.assets)
