"""The finish note: a publish that owes nothing once its record lands frees the lease with
an empty note beside the record (`.cdnpub/finished/<lease ETag>-<record name>`) instead
of a write after it, a round trip sooner; the note frees only the lease version it names,
and only once that record is listed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import PrefixBusy, RemoteError
from cdnpub.sync.layout import finished_key, finished_prefix, lease_key, releases_prefix
from cdnpub.sync.lease import Lease, State, dumps
from cdnpub.sync.lease import loads as lease_loads
from cdnpub.sync.memory import MemoryCdn, MemoryStore, Op, writes_to
from cdnpub.sync.pending import Pending
from cdnpub.sync.publish import Report, publish
from cdnpub.sync.settings import Settings
from tests.support.lease import lease_free
from tests.support.trees import write_tree

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
SITE: dict[str, str | bytes] = {"css/a.css": "a{color:red}", "js/app.js": "console.log(1)", "r.txt": "r"}
KEY = lease_key("static")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(clock=lambda: T0)


def site(root: Path, files: dict[str, str | bytes]) -> Build:
    return build([Source(scan(write_tree(root, files)))], BuildOptions(prefix="static"))


def run(
    result: Build, store: MemoryStore, now: datetime = T0, cdn: MemoryCdn | None = None, **options: object
) -> Report:
    chosen = Settings(bucket=store.bucket, prefix="static", jobs=4, lease_wait=0)
    if cdn is not None:
        chosen = replace(chosen, distribution_id="E1")
    return publish(result, store, replace(chosen, **options), cdn, now=now)  # type: ignore[arg-type]


def notes(store: MemoryStore) -> list[str]:
    return sorted(k for k in store.objects if k.startswith(finished_prefix("static")))


def test_a_publish_that_owes_nothing_leaves_its_lease_held_with_a_note_naming_its_etag_and_record(
    tmp_path: Path, store: MemoryStore
) -> None:
    report = run(site(tmp_path / "v1", SITE), store)
    lease = store.objects[KEY]
    assert lease_loads(lease.body, "lease").state is State.HELD  # no write after the record
    assert notes(store) == [finished_key("static", lease.etag, report.plan.release.key)]
    assert lease_free(store)


def test_a_note_frees_nothing_once_the_lease_moved(tmp_path: Path, store: MemoryStore) -> None:
    run(site(tmp_path / "v1", SITE), store)
    held = Lease(State.HELD, "ci-host pid 7", T0, T0 + timedelta(hours=1), "rec", Pending(), ())
    store.put_private(KEY, dumps(held), "application/json")  # another holder took it since
    assert not lease_free(store)
    with pytest.raises(PrefixBusy):
        run(site(tmp_path / "v2", {**SITE, "r.txt": "r2"}), store, T0 + timedelta(minutes=1))


def test_a_note_frees_nothing_when_the_record_it_names_is_not_listed(
    tmp_path: Path, store: MemoryStore
) -> None:
    report = run(site(tmp_path / "v1", SITE), store)
    store.delete([report.plan.release.key])  # the record never landed (its PUT failed)
    assert not lease_free(store)


def test_a_failed_record_leaves_the_lease_held_so_the_next_publish_repairs(tmp_path: Path) -> None:
    failing = MemoryStore(
        clock=lambda: T0, fail=writes_to(lambda key: key.startswith(releases_prefix("static")))
    )
    v1 = site(tmp_path / "v1", SITE)
    with pytest.raises(RemoteError):
        run(v1, failing)
    assert not lease_free(failing)  # a note may have landed, but it names no listed record
    failing.fail = None
    report = run(v1, failing, T0 + timedelta(minutes=1))  # the failed publish gave the lease up
    assert report.plan.write_release and lease_free(failing)


def test_the_next_changed_publish_takes_the_lease_beside_its_listing_without_reading_it(
    tmp_path: Path, store: MemoryStore
) -> None:
    run(site(tmp_path / "v1", SITE), store)
    store.calls.clear()
    run(site(tmp_path / "v2", {**SITE, "r.txt": "r2"}), store, T0 + timedelta(minutes=1))
    assert not [c for c in store.calls if c.op is Op.GET and KEY in c.keys]
    first_upload = next(i for i, c in enumerate(store.calls) if c.op is Op.UPLOAD)
    assert [c.op for c in store.calls[:first_upload] if KEY in c.keys] == [
        Op.PUT_CONDITIONAL
    ] * 2  # take, mark


def test_the_next_holder_deletes_the_notes_of_earlier_holders(tmp_path: Path, store: MemoryStore) -> None:
    run(site(tmp_path / "v1", SITE), store)
    first = notes(store)
    run(site(tmp_path / "v2", {**SITE, "r.txt": "r2"}), store, T0 + timedelta(minutes=1))
    assert notes(store) and not set(first) & set(notes(store))


def test_a_publish_that_invalidates_releases_the_lease_after_the_invalidation(
    tmp_path: Path, store: MemoryStore
) -> None:
    cdn = MemoryCdn()
    run(site(tmp_path / "v1", SITE), store, cdn=cdn)
    run(site(tmp_path / "v2", {**SITE, "r.txt": "r2"}), store, T0 + timedelta(minutes=1), cdn=cdn)
    assert lease_loads(store.objects[KEY].body, "lease").state is State.DONE
    assert lease_free(store)


def test_a_pruning_publish_releases_the_lease_after_its_deletes(tmp_path: Path, store: MemoryStore) -> None:
    v1 = site(tmp_path / "v1", {**SITE, "old.txt": "old"})
    run(v1, store)
    run(site(tmp_path / "v2", SITE), store, T0 + timedelta(days=1))
    report = run(
        site(tmp_path / "v3", {**SITE, "r.txt": "r3"}),
        store,
        T0 + timedelta(days=3),
        prune_older_than=timedelta(days=1),
    )
    assert report.done is not None and report.done.deleted and not report.done.finished
    assert lease_loads(store.objects[KEY].body, "lease").state is State.DONE


def test_a_held_lease_whose_record_landed_is_taken_over_at_once_and_what_it_owes_is_kept(
    tmp_path: Path, store: MemoryStore
) -> None:
    # A publish killed between its record and its invalidation: its lease names the
    # record, which is listed; nothing to wait out, but the invalidation is still owed.
    cdn = MemoryCdn()
    r1 = run(site(tmp_path / "v1", SITE), store, cdn=cdn)
    owed = Pending({"E1": ("static/r.txt",)})
    killed = Lease(State.HELD, "ci-host pid 7", T0, T0 + timedelta(hours=1), r1.plan.release.key, owed, ())
    store.put_private(KEY, dumps(killed), "application/json")
    report = run(site(tmp_path / "v1", SITE), store, T0 + timedelta(minutes=1), cdn=cdn)
    assert "/r.txt" in " ".join(report.invalidation_paths)
