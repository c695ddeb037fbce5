"""`--verify` compares every object by its ETag and trusts no time: an object another
writer left before the record (two writers that overlapped: a lease taken over from a
paused holder) is repaired, where a plain publish takes the record's word for it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from cdnpub.build.fingerprint import build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.sync.memory import MemoryStore
from cdnpub.sync.publish import publish
from cdnpub.sync.settings import Settings
from tests.support.trees import write_tree

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def test_verify_repairs_other_bytes_written_no_later_than_the_record(tmp_path: Path) -> None:
    store = MemoryStore(clock=lambda: T0)  # every object and the record: the same second
    result = build([Source(scan(write_tree(tmp_path / "s", {"app.css": "a{color:red}"})))], BuildOptions())
    settings = Settings(bucket=store.bucket, prefix="static", jobs=2)
    publish(result, store, settings, now=T0)
    plain = next(a.plain_key for a in result.assets if a.plain_key)
    store.put_private(plain, b"a{color:tan}", "text/css")  # same size, other bytes, same second
    assert publish(result, store, settings, now=T0).plan.nothing_to_do  # the record vouches
    verified = publish(result, store, Settings(bucket=store.bucket, prefix="static", verify=True), now=T0)
    assert [a.blob.key for a in verified.plan.plain] == [plain]
    assert store.body(plain) == b"a{color:red}"
