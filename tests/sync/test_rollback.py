"""rollback() against the in-memory store and CDN: what it restores (plain bytes and
headers, by server-side copy), what it refuses (pruned objects, unknown or ambiguous ids,
a shrink), the record it writes (newer, naming the release made live again), and that a
dry run writes nothing."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import PrefixBusy, RemoteError, UserError
from cdnpub.sync.history import entries
from cdnpub.sync.layout import finished_prefix, is_lease_bookkeeping, is_record_key, lease_key
from cdnpub.sync.lease import Lease, State, dumps
from cdnpub.sync.memory import MemoryCdn, MemoryStore, Op, writes_to
from cdnpub.sync.pending import Pending
from cdnpub.sync.plan import Listing
from cdnpub.sync.publish import publish
from cdnpub.sync.records import read_releases, records_newest_first
from cdnpub.sync.restore import Rollback, rollback
from cdnpub.sync.settings import Settings
from tests.support.lease import lease_free
from tests.support.trees import write_tree

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
A: dict[str, str | bytes] = {
    "css/a.css": "a{background:url(../img/i.png)}",
    "img/i.png": b"png",
    "js/app.js": "import './lib.js'",
    "js/lib.js": "export const v = 1",
    "robots.txt": "User-agent: *",
}
B: dict[str, str | bytes] = {
    **A,
    "css/a.css": "a{color:blue}",
    "js/lib.js": "export const v = 2",
    "new.txt": "n",
}
KEY = lease_key("static")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> MemoryStore:
    return MemoryStore(clock=clock)


def site(root: Path, files: dict[str, str | bytes]) -> Build:
    return build([Source(scan(write_tree(root, files)))], BuildOptions(prefix="static"))


def settings(store: MemoryStore, **options: object) -> Settings:
    chosen = Settings(bucket=store.bucket, prefix="static", jobs=4, lease_wait=0)
    return replace(chosen, **options)  # type: ignore[arg-type]


def published(
    tmp_path: Path, store: MemoryStore, clock: Clock, *trees: dict[str, str | bytes]
) -> list[Build]:
    """Publish each tree in turn, a minute apart."""
    builds = []
    for n, files in enumerate(trees):
        result = site(tmp_path / f"v{n}", files)
        publish(result, store, settings(store), now=clock.now)
        clock.now += timedelta(minutes=1)
        builds.append(result)
    return builds


def back(store: MemoryStore, clock: Clock, wanted: str | None = None, cdn: MemoryCdn | None = None,
         **options: object) -> Rollback:  # fmt: skip
    done = rollback(
        store, settings(store, distribution_id="E1" if cdn else None, **options), wanted, cdn, now=clock.now
    )
    clock.now += timedelta(minutes=1)
    return done


def serves(store: MemoryStore, result: Build) -> None:
    """Every key of `result` holds its bytes and headers, as its publish wrote them."""
    for a in result.assets:
        for key, cache in (
            (a.key, a.headers.fingerprinted_cache_control),
            (a.plain_key, a.headers.cache_control),
        ):
            if key is None:
                continue
            obj = store.objects[key]
            assert hashlib.sha256(obj.body).hexdigest() == a.sha256, key
            assert (obj.content_type, obj.cache_control) == (a.headers.content_type, cache), key


def test_a_rollback_restores_the_earlier_release_plain_bytes_and_headers_by_copy(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    a, _ = published(tmp_path, store, clock, A, B)
    store.calls.clear()
    done = back(store, clock)
    serves(store, a)
    ops = [c.op for c in store.writes if not all(is_lease_bookkeeping(k) for k in c.keys)]
    assert set(ops) == {Op.COPY, Op.PUT_PRIVATE}  # no byte uploaded, nothing deleted
    assert done.report.plan.upload_bytes == 0 and done.report.done is not None
    assert done.report.done.uploaded_bytes == 0  # and none said to be
    copied = {k for c in store.writes if c.op is Op.COPY for k in c.keys}
    assert copied == {"static/css/a.css", "static/js/lib.js"}  # only what differs
    assert done.report.done is not None and done.report.plan.skipped == len(done.target.objects) - 2
    assert lease_free(store)  # the lease given back (by a finish note beside the record)


def test_the_new_record_is_newer_has_the_same_id_and_names_the_release_it_restores(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    published(tmp_path, store, clock, A, B)
    done = back(store, clock)
    records = records_newest_first(store, "static")
    assert len(records) == 3 and records[0].key == done.report.plan.release.key
    newest, b, a = read_releases(store, "static", records, lambda m: None)
    assert newest.id == a.id and newest.created > b.created
    assert newest.restores is not None and (newest.restores.id, newest.restores.created) == (a.id, a.created)
    shown = entries([newest, b, a], newest.id)
    assert shown[0].live and shown[0].restores == newest.restores
    assert done.replaced is not None and done.replaced.id == b.id


def test_the_plain_modules_land_after_what_they_import(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    published(tmp_path, store, clock, A, {**B, "js/app.js": "import './lib.js'; 2"})
    store.calls.clear()
    back(store, clock)
    copies = [c.keys[0] for c in store.writes if c.op is Op.COPY]
    assert copies.index("static/js/lib.js") < copies.index("static/js/app.js")


def test_a_rollback_refuses_when_objects_were_pruned_and_writes_nothing(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    a, _ = published(tmp_path, store, clock, A, B)
    gone = next(x.key for x in a.assets if x.path == "css/a.css")
    del store.objects[gone]
    before = dict(store.objects)
    store.calls.clear()
    with pytest.raises(UserError, match=rf"no longer holds 1 of its objects \(pruned\?\): {gone}; nothing"):
        back(store, clock)
    assert store.objects == before and store.writes == []


def test_a_dry_run_plans_and_writes_nothing(tmp_path: Path, store: MemoryStore, clock: Clock) -> None:
    published(tmp_path, store, clock, A, B)
    before = dict(store.objects)
    store.calls.clear()
    done = back(store, clock, cdn=MemoryCdn(), dry_run=True)
    assert store.writes == [] and store.objects == before
    assert done.report.done is None
    assert {a.blob.key for a in done.report.plan.plain} == {"static/css/a.css", "static/js/lib.js"}
    assert done.report.invalidation_paths == ("/static/css/a.css", "/static/js/lib.js")


def test_a_rollback_invalidates_exactly_the_plain_paths_it_changed(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    published(tmp_path, store, clock, A, B)
    cdn = MemoryCdn()
    done = back(store, clock, cdn=cdn)
    assert cdn.invalidated == [("/static/css/a.css", "/static/js/lib.js")]
    assert done.report.invalidation_paths == cdn.invalidated[0]


@pytest.mark.parametrize(
    ("wanted", "message"),
    [("ffff", "no release 'ffff'"), ("xyz", "not a release id"), ("abc", "not a release id")],
)
def test_an_unknown_id_is_a_user_error(
    tmp_path: Path, store: MemoryStore, clock: Clock, wanted: str, message: str
) -> None:
    published(tmp_path, store, clock, A, B)
    with pytest.raises(UserError, match=message):
        back(store, clock, wanted)


def test_an_ambiguous_prefix_lists_the_candidates(tmp_path: Path, store: MemoryStore, clock: Clock) -> None:
    published(tmp_path, store, clock, A, B)
    ids = [r.key.rsplit("-", 1)[-1][:12] for r in records_newest_first(store, "static")]
    common = next(n for n in range(12, 0, -1) if ids[0][:n] == ids[1][:n]) if ids[0][0] == ids[1][0] else 0
    if common < 4:  # two real ids rarely share 4 digits: make two that do
        for n, r in enumerate(records_newest_first(store, "static")):
            store.objects[r.key.replace(ids[n], "abcd" + ids[n][4:])] = store.objects.pop(r.key)
        ids = ["abcd" + i[4:] for i in ids]
    with pytest.raises(UserError, match=rf"names 2 releases \({min(ids)}, {max(ids)}\): give more"):
        back(store, clock, ids[0][:4])


def test_rolling_back_twice_goes_back_to_the_release_before_and_a_named_live_one_is_nothing(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    a, b = published(tmp_path, store, clock, A, B)
    first = back(store, clock)
    second = back(store, clock)  # undo: B again, not A's record once more
    serves(store, b)
    assert second.target.id == first.replaced.id if first.replaced else False
    store.calls.clear()
    again = back(store, clock, second.target.id[:6])
    assert again.already_live and store.writes == []
    third = back(store, clock, first.target.id[:8])  # a prefix shared by two records of A
    serves(store, a)
    assert third.target.id == first.target.id


def test_a_finished_rollback_whose_lease_was_not_freed_by_its_note_is_undone_by_the_next(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    # The note beside the record failed: the lease stays held, naming the rollback's record,
    # owing nothing. The next rollback reads it as done, not as one to finish again.
    _, b = published(tmp_path, store, clock, A, B)
    first = back(store, clock)
    store.delete([k for k in store.objects if k.startswith(finished_prefix("static"))])
    second = back(store, clock)
    serves(store, b)
    assert first.replaced is not None and second.target.id == first.replaced.id


def test_nothing_to_roll_back_to(tmp_path: Path, store: MemoryStore, clock: Clock) -> None:
    with pytest.raises(UserError, match="nothing was published"):
        back(store, clock)
    published(tmp_path, store, clock, A)
    with pytest.raises(UserError, match="no release before the live one"):
        back(store, clock)


def test_the_shrink_guard_stops_a_rollback_to_a_far_smaller_release(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    many = {f"f{n}.txt": str(n) for n in range(10)}
    published(tmp_path, store, clock, {"robots.txt": "r"}, {**many, "robots.txt": "r"})
    store.calls.clear()
    with pytest.raises(UserError, match="this rollback drops 10 of the 11 paths.*--allow-shrink"):
        back(store, clock)
    assert store.writes == []
    assert back(store, clock, allow_shrink=True).report.done is not None


def test_a_held_lease_makes_a_rollback_exit_75_and_write_nothing(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    published(tmp_path, store, clock, A, B)
    lease = Lease(
        State.HELD, "ci-host pid 7 (ci 42)", clock.now, clock.now + timedelta(hours=1), "r", Pending()
    )
    store.put_private(KEY, dumps(lease), "application/json")
    before = dict(store.objects)
    with pytest.raises(PrefixBusy, match=r"ci-host pid 7"):
        back(store, clock)
    assert store.objects == before


class OtherLandsMeanwhile(MemoryStore):
    """Another holder's lease is live at the rollback's first look; before its second
    look, that holder lands a release (`land`) and frees the lease."""

    land = staticmethod(lambda: None)
    looks = 0

    def listing(self, prefix: str, **options: object) -> Listing:
        if str(options.get("within", "")).endswith("/.cdnpub/"):
            self.looks += 1
            if self.looks == 2:
                self.objects.pop(KEY)
                self.land()
        return super().listing(prefix, **options)  # type: ignore[arg-type]


def test_a_rollback_that_waited_while_another_release_went_live_refuses_to_undo_it(
    tmp_path: Path, clock: Clock
) -> None:
    store = OtherLandsMeanwhile(clock=clock)
    published(tmp_path, store, clock, A, B)
    lease = Lease(State.HELD, "ci-host pid 7", clock.now, clock.now + timedelta(hours=1), "r", Pending())
    store.put_private(KEY, dumps(lease), "application/json")
    c = site(tmp_path / "c", {**B, "robots.txt": "C"})
    store.land = lambda: publish(c, store, settings(store), now=clock.now + timedelta(seconds=1)) and None
    store.looks = 0  # armed: the rollback's first look is the next
    with pytest.raises(UserError, match=r"changed while this rollback waited .*nothing was written"):
        rollback(store, settings(store, lease_wait=5), None, now=clock.now)
    serves(store, c)  # the release that went live meanwhile stands


def test_a_rollback_failing_half_way_is_repaired_by_the_next_rollback_and_by_a_publish(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    a, b = published(tmp_path, store, clock, A, B)
    store.fail = writes_to(lambda key: key == "static/js/lib.js")  # after css/a.css's wave
    with pytest.raises(RemoteError):
        back(store, clock)
    store.fail = None
    assert len(records_newest_first(store, "static")) == 2  # no record for half a rollback
    serves_b_record = read_releases(store, "static", records_newest_first(store, "static")[:1], print)[0]
    assert serves_b_record.restores is None
    back(store, clock)  # the lease says what was written: compared, finished
    serves(store, a)
    store.fail = writes_to(lambda key: key == "static/js/lib.js")
    with pytest.raises(RemoteError):
        back(store, clock)  # back to B, half-way
    store.fail = None
    publish(b, store, settings(store), now=clock.now)
    serves(store, b)


def _stopped_before_settling(store: MemoryStore, clock: Clock, cdn: MemoryCdn) -> Rollback:
    """A rollback (with a distribution: an invalidation owed) whose record landed but that
    never gave its lease up, as one killed after its record: the lease is left held."""
    records = len(records_newest_first(store, "static"))
    store.fail = writes_to(
        lambda key: key == KEY and sum(is_record_key(k, "static") for k in store.objects) > records
    )
    cdn_calls = len(cdn.invalidated)
    cdn.fail = True  # killed before it invalidated
    try:
        done = back(store, clock, cdn=cdn)
    finally:
        store.fail, cdn.fail = None, False
    assert done.report.done is not None and done.report.done.release_written
    assert len(cdn.invalidated) == cdn_calls and not lease_free(store)
    return done


def test_the_next_rollback_finishes_one_that_landed_its_record_but_not_its_invalidation(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    """Run again as it was (no RELEASE: the CI job retried), a rollback stopped after its
    record finishes it, sending what it owed, rather than rolling back past it to B."""
    a, _ = published(tmp_path, store, clock, A, B)
    cdn = MemoryCdn()
    stopped = _stopped_before_settling(store, clock, cdn)
    again = back(store, clock, cdn=cdn)
    assert again.target.id == stopped.target.id  # A still: not B
    serves(store, a)
    assert len(records_newest_first(store, "static")) == 3  # no second record of A
    assert {"/static/css/a.css", "/static/js/lib.js"} <= {p for batch in cdn.invalidated for p in batch}
    assert lease_free(store)


def test_a_named_rollback_to_the_release_a_stopped_one_made_live_sends_what_it_owed(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    """`rollback A` again after it stopped past its record: A is live already, yet its
    invalidation is still owed; it is sent, not left for some later publish."""
    published(tmp_path, store, clock, A, B)
    cdn = MemoryCdn()
    stopped = _stopped_before_settling(store, clock, cdn)
    again = back(store, clock, stopped.target.id[:8], cdn=cdn)
    assert {"/static/css/a.css", "/static/js/lib.js"} <= {p for batch in cdn.invalidated for p in batch}
    assert again.report.done is not None and lease_free(store)


# The release made live again is told by when it was first published: the oldest record of
# its id, never its newest (a rollback's own, or a publish of the same build again).
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
