"""The release a rollback makes live again is told by when it was first published: the
oldest record of its id (or the time an earlier rollback's record says), never the newest
record of that id (a rollback's own, or a publish of the same build again)."""

from __future__ import annotations

from pathlib import Path

from cdnpub.sync.memory import MemoryStore
from cdnpub.sync.records import read_releases, records_newest_first
from tests.sync.test_rollback import T0, A, B, Clock, back, clock, published, store

__all__ = ["clock", "store"]  # the fixtures, shared with test_rollback.py

C = {**B, "c.txt": "c"}


def _newest_restores(store: MemoryStore) -> object:
    newest = read_releases(store, "static", records_newest_first(store, "static")[:1], print)[0]
    return newest.restores


def test_a_release_rolled_back_to_twice_is_told_by_its_first_publish(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    published(tmp_path, store, clock, A, B)  # A at T0, B at T0 + 1 min
    first = back(store, clock)  # A again, by a record of its own at T0 + 2 min
    published(tmp_path / "again", store, clock, B)  # B again, at T0 + 3 min
    second = back(store, clock, first.target.id[:8])  # A: its newest record is the rollback's
    assert first.target.created == second.target.created == T0
    restores = _newest_restores(store)
    assert restores is not None and restores.created == T0  # type: ignore[attr-defined]


def test_a_release_published_again_is_told_by_its_first_publish(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    published(tmp_path, store, clock, A, B, A, C)  # A at T0, and again at T0 + 2 min
    done = back(
        store, clock, read_releases(store, "static", records_newest_first(store, "static"), print)[1].id
    )
    assert done.target.created == T0
    restores = _newest_restores(store)
    assert restores is not None and restores.created == T0  # type: ignore[attr-defined]
