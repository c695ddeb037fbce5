"""doctor's published.half-done reads the lease as a publish does: free, running, stopped
half-way, or landed with its invalidation owed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cdnpub.doctor.model import Unfinished
from cdnpub.doctor.unfinished import judge, lease_to_read
from cdnpub.sync.layout import finished_key, lease_key, pending_key
from cdnpub.sync.lease import Lease, State, dumps
from cdnpub.sync.pending import Pending
from cdnpub.sync.plan import RemoteObject

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
RECORD = "static/.cdnpub/releases/20261205T115900Z-3f2a1b9c0d12.json.gz"
LEASE = lease_key("static")


def listed(*keys: str, lease: bytes | None = None, etag: str = "e1") -> dict[str, RemoteObject]:
    out = {k: RemoteObject(k, 10, "x", NOW) for k in keys}
    if lease is not None:
        out[LEASE] = RemoteObject(LEASE, len(lease), etag, NOW)
    return out


def held(expires: datetime, record: str = RECORD, owed: Pending | None = None) -> bytes:
    return dumps(Lease(State.HELD, "ci-host pid 7 (ci 42)", NOW, expires, record, owed or Pending(), ("k",)))


def verdict(objects: dict[str, RemoteObject], lease: bytes | None) -> Unfinished:
    body = lease if lease_to_read(objects, "static") is not None else None
    return judge(objects, "static", body, "lease", NOW)[0]


LATER = NOW + timedelta(minutes=5)
EARLIER = NOW - timedelta(minutes=5)
OWES = Pending({"E1": ("static/css/app.css",)})


@pytest.mark.parametrize(
    ("objects", "lease", "expected"),
    [
        (listed(RECORD), None, Unfinished.NONE),  # no lease: nothing ever held it
        (listed(RECORD, lease=dumps(Lease(State.DONE))), dumps(Lease(State.DONE)), Unfinished.NONE),
        (listed(lease=held(LATER)), held(LATER), Unfinished.RUNNING),  # its record not yet written
        (listed(RECORD, lease=held(EARLIER, "other")), held(EARLIER, "other"), Unfinished.HALF_DONE),
        (listed(RECORD, lease=held(LATER, owed=OWES)), held(LATER, owed=OWES), Unfinished.OWED),
        (listed(RECORD, lease=held(LATER)), held(LATER), Unfinished.NONE),  # record landed, owes nothing
        (listed(RECORD, lease=b"{not json"), b"{not json", Unfinished.HALF_DONE),
        (listed(RECORD, pending_key("static")), None, Unfinished.HALF_DONE),  # an older version's marker
    ],
    ids=["absent", "done", "running", "expired", "owed", "finished", "corrupt", "old-marker"],
)
def test_the_lease_tells_what_is_unfinished(
    objects: dict[str, RemoteObject], lease: bytes | None, expected: Unfinished
) -> None:
    assert verdict(objects, lease) is expected


def test_a_finish_note_frees_the_lease_without_reading_it() -> None:
    objects = listed(RECORD, finished_key("static", "e1", RECORD), lease=held(LATER), etag="e1")
    assert lease_to_read(objects, "static") is None
    assert verdict(objects, held(LATER)) is Unfinished.NONE
