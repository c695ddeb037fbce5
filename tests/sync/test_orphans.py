"""What a killed publish left (issue 25): its lease lists the keys it writes, the publish
that repairs it carries those its own release does not name into its record
(Release.orphans), and a later prune deletes them, without --prune-foreign, once that
record is older than the grace period, never a key a live record names."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import RemoteError
from cdnpub.sync.layout import is_record_key, lease_key
from cdnpub.sync.lease import DONE_SIZE, Holder, Lease, State, _holding
from cdnpub.sync.lease import dumps as lease_dumps
from cdnpub.sync.lease import loads as lease_loads
from cdnpub.sync.memory import MemoryStore, Op
from cdnpub.sync.pending import Pending
from cdnpub.sync.plan import blobs
from cdnpub.sync.publish import Report, publish
from cdnpub.sync.release import dumps as record_dumps
from cdnpub.sync.release import loads, new_release
from cdnpub.sync.settings import Settings
from tests.support.bucket import FINGERPRINTED
from tests.support.trees import write_tree

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
V1: dict[str, str | bytes] = {"css/a.css": "a{background:url(../img/p.png)}", "img/p.png": "p1", "r.txt": "r"}
# v2 changes the image (so the stylesheet too) and adds a file: new fingerprinted keys.
V2: dict[str, str | bytes] = {**V1, "img/p.png": "p2", "new.txt": "new"}


class Killed(BaseException):
    """SIGKILL: the publish stops where it is and writes nothing more (not even its lease)."""


class KilledAtFirstPlainWrite(MemoryStore):
    """Kills the publish at its first plain-name write: the fingerprinted phase landed,
    and so did the lease that lists the keys it writes."""

    armed = False
    dead = False

    def _call(self, op: Op, keys: tuple[str, ...]) -> None:
        plain = op in (Op.UPLOAD, Op.COPY) and not any(FINGERPRINTED.search(k) for k in keys)
        if self.armed and plain:
            self.dead = True
        if self.dead:
            raise Killed
        super()._call(op, keys)


def site(root: Path, files: dict[str, str | bytes]) -> Build:
    return build([Source(scan(write_tree(root, files)))], BuildOptions(prefix="static"))


def run(result: Build, store: MemoryStore, now: datetime, **options: object) -> Report:
    chosen = Settings(bucket=store.bucket, prefix="static", jobs=1, lease_wait=0)
    return publish(result, store, replace(chosen, **options), now=now)  # type: ignore[arg-type]


def keys_of(result: Build) -> set[str]:
    return {b.key for b in blobs(result)}


def newest_record(store: MemoryStore) -> str:
    return sorted(k for k in store.objects if is_record_key(k, "static"))[-1]


def killed_after_the_fingerprinted_phase(tmp_path: Path) -> tuple[KilledAtFirstPlainWrite, Build, Build]:
    clock = [T0]
    store = KilledAtFirstPlainWrite(clock=lambda: clock[0])
    v1, v2 = site(tmp_path / "v1", V1), site(tmp_path / "v2", V2)
    run(v1, store, T0)
    clock[0] = T0 + timedelta(hours=1)
    store.armed = True
    with pytest.raises(Killed):
        run(v2, store, clock[0])
    store.armed = store.dead = False
    assert len(store.body(lease_key("static"))) != DONE_SIZE  # left held
    return store, v1, v2


def test_a_prune_after_the_repair_deletes_exactly_what_the_killed_publish_left(tmp_path: Path) -> None:
    store, v1, v2 = killed_after_the_fingerprinted_phase(tmp_path)
    left = {k for k in keys_of(v2) - keys_of(v1) if k in store.objects}
    assert left and all(FINGERPRINTED.search(k) for k in left)  # fingerprinted keys no record names
    store.clock = lambda: T0 + timedelta(hours=2)
    run(v1, store, T0 + timedelta(hours=2))  # the repair (same release): its record carries them
    carried = loads(store.body(newest_record(store)), "r").orphans
    assert left <= set(carried) and not set(carried) & keys_of(v1)
    before = set(store.objects)
    store.clock = lambda: T0 + timedelta(hours=3)
    run(v1, store, T0 + timedelta(hours=3), prune_older_than=timedelta(0))
    gone = before - set(store.objects)
    assert {k for k in gone if "/.cdnpub/" not in k} == left  # records and finish notes aside
    assert keys_of(v1) <= set(store.objects)


def test_within_the_grace_period_the_orphans_stay(tmp_path: Path) -> None:
    store, v1, _ = killed_after_the_fingerprinted_phase(tmp_path)
    store.clock = lambda: T0 + timedelta(hours=2)
    run(v1, store, T0 + timedelta(hours=2))
    before = set(store.objects)
    store.clock = lambda: T0 + timedelta(hours=3)
    run(v1, store, T0 + timedelta(hours=3), prune_older_than=timedelta(days=1))
    assert set(store.objects) == before


def test_an_orphan_a_live_release_names_is_kept(tmp_path: Path) -> None:
    store, v1, v2 = killed_after_the_fingerprinted_phase(tmp_path)
    store.clock = lambda: T0 + timedelta(hours=2)
    run(v1, store, T0 + timedelta(hours=2))  # the repair
    store.clock = lambda: T0 + timedelta(hours=3)
    run(v2, store, T0 + timedelta(hours=3))  # v2 after all: it names the orphans
    store.clock = lambda: T0 + timedelta(hours=4)
    run(v2, store, T0 + timedelta(hours=4), prune_older_than=timedelta(0))
    assert keys_of(v2) <= set(store.objects)


def test_the_orphans_field_round_trips_and_is_not_part_of_the_id() -> None:
    release = new_release("static", {}, {}, T0)
    carrying = replace(release, orphans=("static/a.0123456789.css",))
    assert loads(record_dumps(carrying), "r").orphans == carrying.orphans
    assert carrying.id == release.id
    assert b"orphans" not in gzip.decompress(record_dumps(release))  # older readers see no change


def test_a_takeover_that_fails_before_its_first_update_keeps_what_the_lease_owed_and_listed(
    tmp_path: Path,
) -> None:
    store = MemoryStore(clock=lambda: T0)
    v1, v2 = site(tmp_path / "v1", V1), site(tmp_path / "v2", V2)
    run(v1, store, T0)
    left = sorted(keys_of(v2) - keys_of(v1))[0]
    owed = Pending({"E1": ("static/r.txt",)})
    killed = Lease(State.HELD, "ci-host pid 7", T0, T0 + timedelta(minutes=10), "rec", owed, (left,))
    store.put_private(lease_key("static"), lease_dumps(killed), "application/json")
    store.fail = lambda call: call.op is Op.LISTING and call.keys == ("static/",)  # after the takeover
    with pytest.raises(RemoteError):
        run(v1, store, T0 + timedelta(hours=1))
    assert not [h for h in _holding if isinstance(h, Holder) and h.store is store]  # given up, not leaked
    after = lease_loads(store.body(lease_key("static")), "lease")
    assert after.expires is not None and after.expires <= datetime.now(timezone.utc)  # repaired at once
    assert after.pending.keys["E1"] == ("static/r.txt",) and left in after.pending.unsure
    store.fail = None
    run(v1, store, T0 + timedelta(hours=2), distribution_id=None)
    assert left in loads(store.body(newest_record(store)), "r").orphans


def test_another_tools_file_at_a_name_the_killed_publish_meant_to_write_is_no_orphan(tmp_path: Path) -> None:
    # new.txt: the killed build's new file. A hand upload sits at its plain name, which the
    # publish never reached; only the fingerprinted copy it wrote is an orphan.
    clock = [T0]
    store = KilledAtFirstPlainWrite(clock=lambda: clock[0])
    v1, v2 = site(tmp_path / "v1", V1), site(tmp_path / "v2", V2)
    run(v1, store, T0)
    store.put_private("static/new.txt", b"HAND UPLOADED", "text/plain")
    clock[0] = T0 + timedelta(hours=1)
    store.armed = True
    with pytest.raises(Killed):
        run(v2, store, clock[0])
    store.armed = store.dead = False
    store.clock = lambda: T0 + timedelta(hours=2)
    run(v1, store, T0 + timedelta(hours=2))  # the repair
    carried = set(loads(store.body(newest_record(store)), "r").orphans)
    assert "static/new.txt" not in carried and any("new." in k for k in carried)
    store.clock = lambda: T0 + timedelta(hours=3)
    run(v1, store, T0 + timedelta(hours=3), prune_older_than=timedelta(0))
    assert store.body("static/new.txt") == b"HAND UPLOADED"


def test_a_lease_naming_keys_outside_the_prefix_has_them_dropped_with_a_warning(tmp_path: Path) -> None:
    store = MemoryStore(clock=lambda: T0)
    v1 = site(tmp_path / "v1", V1)
    run(v1, store, T0)
    store.put_private("other/keep.css", b"keep", "text/css")
    owed = Pending({"": ("static/../other/keep.css", "/etc/passwd")})
    lease = Lease(
        State.HELD, "ci-host pid 7", T0, T0, "r", owed, ("other/keep.css", "static/../other/keep.css")
    )
    store.put_private(lease_key("static"), lease_dumps(lease), "application/json")
    warned: list[str] = []
    chosen = Settings(bucket=store.bucket, prefix="static", jobs=1, lease_wait=0)
    publish(
        v1,
        store,
        replace(chosen, prune_older_than=timedelta(0)),
        warn=warned.append,
        now=T0 + timedelta(hours=1),
    )
    publish(v1, store, replace(chosen, prune_older_than=timedelta(0)), now=T0 + timedelta(hours=2))
    assert any("keys outside static/" in w for w in warned), warned
    assert store.body("other/keep.css") == b"keep"
