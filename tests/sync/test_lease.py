"""The lease (cdnpub/sync/lease.py) against the memory store: one publish at a time per
prefix, a killed holder repaired, a store without conditional writes refused, a prune
that keeps what a record written since its listing names."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import PrefixBusy, UserError
from cdnpub.sync import lease as lease_module
from cdnpub.sync.identity import machine_here
from cdnpub.sync.layout import lease_key, releases_prefix
from cdnpub.sync.lease import DONE_SIZE, LEASE_SECONDS, Lease, State, dumps, loads
from cdnpub.sync.memory import MemoryStore, Op
from cdnpub.sync.pending import Pending
from cdnpub.sync.publish import Report, publish
from cdnpub.sync.release import dumps as record_dumps
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


def run(result: Build, store: MemoryStore, now: datetime = T0, **options: object) -> Report:
    chosen = Settings(bucket=store.bucket, prefix="static", jobs=4, lease_wait=0)
    return publish(result, store, replace(chosen, **options), now=now)  # type: ignore[arg-type]


def held_by_other(store: MemoryStore, expires: datetime, written: tuple[str, ...] = ()) -> None:
    lease = Lease(State.HELD, "ci-host pid 7 (ci 42)", T0, expires, "rec", Pending(), written)
    store.put_private(KEY, dumps(lease), "application/json")


def test_the_lease_forms_round_trip_and_done_is_told_by_its_size() -> None:
    held = Lease(State.HELD, "h pid 1", T0, T0 + timedelta(minutes=10), "r", Pending({"E1": ("k",)}), ("w",))
    assert loads(dumps(held), "x") == held
    assert len(dumps(held)) != DONE_SIZE
    assert len(dumps(Lease(State.DONE))) == DONE_SIZE
    assert dumps(Lease(State.DONE)) != dumps(Lease(State.DONE))  # a new ETag each time: no ABA


def test_a_publish_ends_with_a_free_lease_and_an_unchanged_one_costs_two_requests(
    tmp_path: Path, store: MemoryStore
) -> None:
    run(site(tmp_path / "v1", SITE), store)
    assert [c.op for c in store.calls if KEY in c.keys] == [Op.PUT_CONDITIONAL] * 3  # take, probe, mark
    assert lease_free(store)  # freed by the finish note beside the record, not a write after it
    store.calls.clear()
    run(site(tmp_path / "v1", SITE), store, T0 + timedelta(minutes=1))
    assert [c.op for c in store.calls] == [Op.LISTING, Op.GET]


def test_a_live_lease_of_another_publish_makes_it_wait_then_exit_75_naming_the_holder(
    tmp_path: Path, store: MemoryStore
) -> None:
    run(site(tmp_path / "v1", SITE), store)
    held_by_other(store, T0 + timedelta(hours=1))
    before = dict(store.objects)
    with pytest.raises(PrefixBusy, match=r"ci-host pid 7 \(ci 42\)") as err:
        run(site(tmp_path / "v2", {**SITE, "r.txt": "r2"}), store, T0 + timedelta(minutes=1))
    assert err.value.exit_code == 75
    assert store.objects == before  # nothing written


def test_a_same_build_publish_waits_too_while_another_holds_the_prefix(
    tmp_path: Path, store: MemoryStore
) -> None:
    run(site(tmp_path / "v1", SITE), store)
    held_by_other(store, T0 + timedelta(hours=1))
    with pytest.raises(PrefixBusy):  # the bucket may not be what the newest record says
        run(site(tmp_path / "v1", SITE), store, T0 + timedelta(minutes=1))


def test_an_expired_lease_is_taken_over_and_what_its_holder_wrote_is_compared(
    tmp_path: Path, store: MemoryStore
) -> None:
    v1 = site(tmp_path / "v1", SITE)
    run(v1, store)
    plain = next(a.plain_key for a in v1.assets if a.path == "r.txt")
    assert plain is not None
    # A killed holder wrote other bytes at a plain name; its lease lists the key.
    store.put_private(plain, b"half-done", "text/plain")
    held_by_other(store, T0 + timedelta(minutes=5), written=(plain,))
    report = run(v1, store, T0 + timedelta(hours=1))
    assert store.body(plain) == b"r"
    assert report.plan.plain  # no unchanged shortcut: it compared and repaired
    assert lease_free(store)


def test_a_store_that_ignores_conditional_writes_is_refused_unless_no_lease(
    tmp_path: Path, store: MemoryStore
) -> None:
    store.ignores_conditions = True
    with pytest.raises(UserError, match="--no-lease"):
        run(site(tmp_path / "v1", SITE), store)
    assert not [k for k in store.objects if k != KEY]  # no asset written
    store.objects.clear()
    run(site(tmp_path / "v1", SITE), store, lease=False)
    assert len(store.objects) > 1


class RollbackMeanwhile(MemoryStore):
    """Writes, right after the prune's record lands, the record of another publish that
    names an old object (a rollback run with --no-lease, beside the prune)."""

    rollback: bytes = b""
    rollback_key = ""

    def put_private(self, key: str, body: bytes, content_type: str) -> None:
        super().put_private(key, body, content_type)
        if self.rollback and key.endswith(".json.gz") and key != self.rollback_key:
            body, self.rollback = self.rollback, b""
            super().put_private(self.rollback_key, body, "application/gzip")


def test_a_prune_keeps_what_a_record_written_since_its_listing_names(tmp_path: Path) -> None:
    clock = [T0]
    store = RollbackMeanwhile(clock=lambda: clock[0])
    v1 = site(tmp_path / "v1", {**SITE, "old.txt": "old"})
    r1 = run(v1, store, lease=False)
    clock[0] = T0 + timedelta(days=10)
    run(site(tmp_path / "v2", SITE), store, clock[0], lease=False)
    clock[0] = T0 + timedelta(days=20)
    old = next(a.key for a in v1.assets if a.path == "old.txt")
    store.rollback = record_dumps(r1.plan.release)
    store.rollback_key = f"static/.cdnpub/releases/20261215T120005Z-{r1.plan.release.id[:12]}.json.gz"
    v3 = site(tmp_path / "v3", {**SITE, "r.txt": "v3"})
    run(v3, store, clock[0], lease=False, prune_older_than=timedelta(days=1))
    assert old in store.objects  # the rollback's record names it: kept


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize(("machine", "live"), [(machine_here(), False), ("other-boot/4026531836", True)])
def test_a_gone_pid_frees_the_lease_only_on_the_holders_own_machine(machine: str, live: bool) -> None:
    # Two containers sharing a host name but not their pids (Docker --uts=host, Kubernetes
    # hostNetwork): a pid this one cannot see may run there, and the lease is waited out.
    owner = f"{socket.gethostname()} pid {_dead_pid()}"
    lease = Lease(State.HELD, owner, T0, T0 + timedelta(hours=1), "r", Pending(), (), machine=machine)
    assert lease.live(T0 + timedelta(minutes=1)) is live
    assert loads(dumps(lease), "x").machine == machine


class PausedAtFirstPlainWrite(MemoryStore):
    """The publishing process is frozen (SIGSTOP, a paused VM) for longer than the lease's
    term right as its plain phase starts: its own clock says the lease was not renewed."""

    plain = ""

    def upload(self, blob: Any) -> None:
        if blob.key == self.plain:
            for holder in list(lease_module._holding):
                holder.confirmed -= 2 * LEASE_SECONDS  # type: ignore[attr-defined]
        super().upload(blob)


def test_a_holder_paused_past_its_term_stops_before_its_next_write_and_exits_75(tmp_path: Path) -> None:
    store = PausedAtFirstPlainWrite(clock=lambda: T0)
    v1, v2 = site(tmp_path / "v1", SITE), site(tmp_path / "v2", {**SITE, "r.txt": "r2"})
    run(v1, store)
    store.plain = next(a.plain_key for a in v2.assets if a.path == "r.txt") or ""
    with pytest.raises(PrefixBusy, match="lost the lease .*not renewed") as err:
        run(v2, store, T0 + timedelta(minutes=1), jobs=1)
    assert err.value.exit_code == 75
    assert not [k for k in store.objects if k.startswith(releases_prefix("static")) and "2026" in k][1:]
