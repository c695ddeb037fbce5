"""The readers `releases` and `diff` use (records.py): the records newest first from one
listing, a corrupt one a warning and left out, a release named by a prefix of its id."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cdnpub.errors import UserError
from cdnpub.sync.memory import MemoryStore, Op
from cdnpub.sync.records import named_index, read_releases, records_newest_first, release_at
from cdnpub.sync.release import ObjectRecord, dumps, new_release

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def _store() -> tuple[MemoryStore, list[str]]:
    store = MemoryStore()
    ids = []
    for i in range(3):
        obj = ObjectRecord(f"{i}" * 64, "e", i, "text/css", "no-cache")
        release = new_release("static", {f"static/{i}.css": obj}, {}, T0 + timedelta(minutes=i))
        store.put_private(release.key, dumps(release), "application/gzip")
        ids.append(release.id)
    store.put_private("static/.cdnpub/releases/20260101T000000Z-000000000000.json.gz", b"junk", "x")
    store.calls.clear()
    return store, ids


def test_records_newest_first_is_one_listing() -> None:
    store, _ = _store()
    records = records_newest_first(store, "static")
    assert [r.key for r in records] == sorted((r.key for r in records), reverse=True) and len(records) == 4
    assert [c.op for c in store.calls] == [Op.LISTING]


def test_a_corrupt_record_is_a_warning_and_left_out() -> None:
    store, ids = _store()
    said: list[str] = []
    read = read_releases(store, "static", records_newest_first(store, "static"), said.append)
    assert [r.id for r in read] == ids[::-1]
    assert len(said) == 1 and "is corrupt" in said[0]


def test_a_release_by_a_prefix_of_its_id_and_a_longer_id_checked_in_full() -> None:
    store, ids = _store()
    records = records_newest_first(store, "static")
    index = named_index(records, ids[0][:8])
    assert release_at(store, "static", records, index, print, ids[0]).id == ids[0]
    with pytest.raises(UserError, match="no release"):
        release_at(store, "static", records, index, print, ids[0][:12] + "f" * 10)
    with pytest.raises(UserError, match="cannot be read"):
        release_at(store, "static", records, named_index(records, "000000000000"), lambda m: None)
