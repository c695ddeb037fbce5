"""publish() against the in-memory store and CDN: the phases, faults, request counts and
invalidations of the orchestrator, with no server (the same over moto: tests/integration)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.commands.report import document
from cdnpub.errors import RemoteError
from cdnpub.sync.dry_run import DryRunStore
from cdnpub.sync.layout import is_lease_bookkeeping, is_record_key, lease_key, pending_key, releases_prefix
from cdnpub.sync.lease import loads as lease_loads
from cdnpub.sync.memory import Call, MemoryCdn, MemoryStore, Op, nth_write, writes_to
from cdnpub.sync.plan import blobs
from cdnpub.sync.publish import Report, publish
from cdnpub.sync.release import loads
from cdnpub.sync.settings import Settings
from tests.support.trees import write_tree

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
SITE: dict[str, str | bytes] = {
    "css/a.css": "a{background:url(../img/i.png)}",
    "img/i.png": b"png",
    "js/app.js": "console.log(1)",
    "robots.txt": "User-agent: *",
}


class Clock:
    """The publish's time and the store's LastModified, moved by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta = timedelta(minutes=1)) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> MemoryStore:
    return MemoryStore(clock=clock)


def site_build(root: Path, files: Mapping[str, str | bytes]) -> Build:
    return build([Source(scan(write_tree(root, files)))], BuildOptions(prefix="static"))


def run(
    result: Build,
    store: MemoryStore,
    clock: Clock,
    cdn: MemoryCdn | None = None,
    **options: object,
) -> Report:
    """One publish at the clock's time, then the clock moves on."""
    chosen = Settings(
        bucket=store.bucket, prefix=result.prefix, jobs=4, distribution_id="E1" if cdn else None
    )
    report = publish(result, store, replace(chosen, **options), cdn, now=clock.now)  # type: ignore[arg-type]
    clock.advance()
    return report


def written(calls: list[Call]) -> list[str]:
    """The keys written, but the lease's (bookkeeping pinned by tests/sync/test_lease.py)."""
    return [k for c in calls for k in c.keys if not is_lease_bookkeeping(k)]


def bookkept(store: MemoryStore) -> list[Call]:
    """The store's writes but the lease's (bookkeeping pinned by tests/sync/test_lease.py)."""
    return [c for c in store.writes if not all(is_lease_bookkeeping(k) for k in c.keys)]


def owed(store: MemoryStore) -> dict[str, tuple[str, ...]]:
    """The invalidations the prefix's lease says are owed (the marker now lives there)."""
    lease = lease_loads(store.body(lease_key("static")), "lease")
    return {d: k for d, k in lease.pending.keys.items() if k}


def fingerprinted_keys(result: Build) -> set[str]:
    return {a.key for a in result.assets}


def plain_keys(result: Build) -> set[str]:
    return {a.plain_key for a in result.assets if a.plain_key is not None}


def test_first_publish_writes_every_fingerprinted_key_then_the_plain_ones_then_the_record(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    result = site_build(tmp_path / "static", SITE)
    report = run(result, store, clock)
    keys = written(bookkept(store))
    fingerprinted, plain = fingerprinted_keys(result), plain_keys(result)
    assert set(keys[: len(fingerprinted)]) == fingerprinted
    assert set(keys[len(fingerprinted) : -1]) == plain
    assert is_record_key(keys[-1], "static") and keys[-1] == report.plan.release.key
    assert [c.op for c in bookkept(store)][-1] is Op.PUT_PRIVATE
    assert report.done is not None and report.done.uploaded == len(fingerprinted) + len(plain)


def test_a_republish_of_the_same_build_is_two_reads_and_no_write(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    result = site_build(tmp_path / "static", SITE)
    run(result, store, clock)
    store.calls.clear()
    report = run(result, store, clock)
    assert report.plan.nothing_to_do
    assert [c.op for c in store.calls] == [Op.LISTING, Op.GET]  # the records, the newest record


def test_a_republish_with_a_distribution_still_asks_the_store_twice(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    """The distribution's domain is the CDN's request, not the store's."""
    result = site_build(tmp_path / "static", SITE)
    cdn = MemoryCdn()
    run(result, store, clock, cdn)
    store.calls.clear()
    report = run(result, store, clock, cdn)
    assert [c.op for c in store.calls] == [Op.LISTING, Op.GET]
    assert report.cdn_domain == cdn.domain and report.invalidation_paths == ()


@pytest.mark.parametrize("failing", ["fingerprinted", "plain"])
def test_a_failed_write_stops_before_the_next_phase_and_writes_no_record(
    tmp_path: Path, store: MemoryStore, clock: Clock, failing: str
) -> None:
    result = site_build(tmp_path / "static", SITE)
    victim = next(b.key for b in blobs(result) if b.plain == (failing == "plain"))
    store.fail = writes_to(lambda key: key == victim)
    with pytest.raises(RemoteError, match="injected"):
        run(result, store, clock)
    keys = set(written(bookkept(store)))
    assert not any(k.startswith(releases_prefix("static")) for k in store.objects)
    assert not any(c.op is Op.PUT_PRIVATE for c in bookkept(store))
    if failing == "fingerprinted":
        assert not keys & plain_keys(result)
    else:
        assert fingerprinted_keys(result) <= set(store.objects)


def test_the_nth_write_fails_and_the_next_publish_repairs(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    result = site_build(tmp_path / "static", SITE)
    store.fail = nth_write(2)
    with pytest.raises(RemoteError):
        run(result, store, clock)
    store.fail = None
    report = run(result, store, clock)
    assert report.done is not None and report.done.release_written
    assert_serves(store, "static")


def test_a_dry_run_writes_nothing(tmp_path: Path, store: MemoryStore, clock: Clock) -> None:
    result = site_build(tmp_path / "static", SITE)
    report = run(result, store, clock, MemoryCdn(), dry_run=True)
    assert report.done is None and bookkept(store) == [] and store.objects == {}
    assert len(report.plan.uploads) == len(list(blobs(result)))


def test_the_dry_run_store_refuses_every_write(tmp_path: Path, store: MemoryStore) -> None:
    blob = next(iter(blobs(site_build(tmp_path / "static", SITE))))
    dry = DryRunStore(store)
    writes: list[Callable[[], None]] = [
        lambda: dry.upload(blob),
        lambda: dry.copy(blob, blob.key),
        lambda: dry.put_private("k", b"", "text/plain"),
        lambda: dry.delete(["k"]),
    ]
    for write in writes:
        with pytest.raises(AssertionError, match="a dry run must write nothing"):
            write()
    assert dry.listing("static").objects == {} and dry.bucket == store.bucket
    assert bookkept(store) == []


def test_the_invalidation_is_exactly_the_plain_keys_whose_bytes_changed(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    cdn = MemoryCdn()
    run(site_build(tmp_path / "v1", SITE), store, clock, cdn)
    changed = {**SITE, "robots.txt": "User-agent: *\nDisallow: /", "new.txt": "new"}
    report = run(site_build(tmp_path / "v2", changed), store, clock, cdn)
    assert cdn.invalidated == [("/static/robots.txt",)]
    assert report.invalidation_paths == ("/static/robots.txt",)
    assert [i.paths for i in report.invalidations] == [("/static/robots.txt",)]
    assert pending_key("static") not in store.objects  # settled once the invalidation was made


def test_a_failed_invalidation_keeps_the_uploads_and_the_marker(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    cdn = MemoryCdn()
    run(site_build(tmp_path / "v1", SITE), store, clock, cdn)
    cdn.fail = True
    changed = {**SITE, "robots.txt": "User-agent: *\nDisallow: /"}
    report = run(site_build(tmp_path / "v2", changed), store, clock, cdn)
    assert report.invalidation_error is not None and "the uploads stand" in str(report.invalidation_error)
    assert owed(store) == {"E1": ("static/robots.txt",)}
    cdn.fail = False
    again = run(site_build(tmp_path / "v2", changed), store, clock, cdn)
    assert again.invalidation_paths == ("/static/robots.txt",)
    assert owed(store) == {}
    assert pending_key("static") not in store.objects


def test_prune_deletes_after_the_record(tmp_path: Path, store: MemoryStore, clock: Clock) -> None:
    run(site_build(tmp_path / "v1", {**SITE, "old.txt": "old"}), store, clock)
    clock.advance(timedelta(days=10))
    run(site_build(tmp_path / "v2", SITE), store, clock)
    clock.advance(timedelta(days=10))
    store.calls.clear()
    v3 = site_build(tmp_path / "v3", {**SITE, "robots.txt": "v3"})
    report = run(v3, store, clock, prune_older_than=timedelta(days=1))
    ops = [c.op for c in bookkept(store)]
    record_at = written(bookkept(store)).index(report.plan.release.key)
    prune_at = next(
        i for i, c in enumerate(bookkept(store)) if c.op is Op.DELETE and "static/old.txt" in c.keys
    )
    assert record_at < prune_at and Op.UPLOAD not in ops[record_at:]
    assert "static/old.txt" not in store.objects
    assert_serves(store, "static")


def test_the_json_document_writes_reasons_as_plain_strings(
    tmp_path: Path, store: MemoryStore, clock: Clock
) -> None:
    report = run(site_build(tmp_path / "static", SITE), store, clock, dry_run=True)
    doc = json.loads(json.dumps(document(report)))
    assert {a["reason"] for a in doc["plan"]["fingerprinted"]} == {"new"}
    assert '"reason": "new"' in json.dumps(document(report))


def assert_serves(store: MemoryStore, prefix: str, whole: bool = True) -> None:
    """Every key the newest release record names holds the bytes and headers it says;
    not `whole` (after a publish that stopped half-way): every key exists, and the
    immutable ones hold their bytes (a plain name may already hold the next ones, which
    the marker makes the next publish compare and invalidate)."""
    records = sorted(k for k in store.objects if is_record_key(k, prefix))
    assert records, "no release record"
    release = loads(store.body(records[-1]), records[-1])
    for key, record in release.objects.items():
        assert key in store.objects, key
        stored = store.objects[key]
        if not whole and record.plain:
            continue
        assert hashlib.sha256(stored.body).hexdigest() == record.sha256, key
        assert (stored.content_type, stored.cache_control, stored.extra) == record.headers(), key


POOL = ["a.css", "b.txt", "img/c.png", "js/d.js"]
Version = dict[str, str]


def _files(version: Version) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for name, text in version.items():
        files[name] = (
            f"a{{background:url(img/c.png)}}/*{text}*/"
            if name == "a.css" and "img/c.png" in version
            else text
        )
    return files


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(POOL), st.text("xyz", min_size=1, max_size=3), min_size=1),
            st.sampled_from([None, 0, 2]),  # no failure, or the nth write fails
            st.booleans(),  # prune
        ),
        min_size=1,
        max_size=5,
    )
)
def test_after_every_publish_the_newest_record_is_served_whole(
    steps: list[tuple[Version, int | None, bool]],
) -> None:
    """Whatever builds come in whatever order, with failed publishes between them and
    prunes: once a publish returns, every key the newest record names holds its bytes."""
    clock = Clock()
    store = MemoryStore(clock=clock)
    landed = False
    with tempfile.TemporaryDirectory() as tmp:
        for i, (version, fail_at, prune) in enumerate(steps):
            result = site_build(Path(tmp) / f"v{i}", _files(version))
            store.fail = None if fail_at is None else nth_write(len(bookkept(store)) + fail_at + 1)
            options: dict[str, object] = {"allow_shrink": True}
            if prune:
                options["prune_older_than"] = timedelta(hours=1)
            try:
                run(result, store, clock, None, **options)
            except RemoteError:
                pass
            else:
                landed = True
                assert_serves(store, "static")
                newest = sorted(k for k in store.objects if is_record_key(k, "static"))[-1]
                assert loads(store.body(newest), newest).objects.keys() == {b.key for b in blobs(result)}
            clock.advance(timedelta(hours=2))
            if landed:
                store.fail = None
                assert_serves(store, "static", whole=False)  # a failed publish breaks no link
