"""Finishing an interrupted publish (cdnpub/sync/reread.py) on the memory store: the
keys the interrupted one may have written get their headers read back, so the re-run
reports no header fix for a copy that landed and fixes one it left wrong."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.rules import parse_rules
from cdnpub.build.scan import scan
from cdnpub.errors import RemoteError
from cdnpub.sync.memory import Call, MemoryStore, Op
from cdnpub.sync.publish import Report, publish
from cdnpub.sync.reread import finishing
from cdnpub.sync.settings import Settings
from tests.support.trees import write_tree

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
SITE: dict[str, str | bytes] = {"css/a.css": "a{color:red}", "js/app.js": "console.log(1)", "r.txt": "r"}


def site(root: Path, files: dict[str, str | bytes], rules: list[dict[str, str]] | None = None) -> Build:
    options = BuildOptions(prefix="static", rules=parse_rules(rules or []))
    return build([Source(scan(write_tree(root, files)))], options)


def run(result: Build, store: MemoryStore, now: datetime = T0) -> Report:
    return publish(
        result, store, Settings(bucket=store.bucket, prefix="static", jobs=4, lease_wait=0), now=now
    )


def test_a_rerun_after_the_fingerprinted_phase_fixes_no_header_and_says_it_finishes(tmp_path: Path) -> None:
    store = MemoryStore(clock=lambda: T0)
    result = site(tmp_path / "v1", SITE)
    plain = {a.plain_key for a in result.assets}
    store.fail = lambda call: call.op is Op.UPLOAD and call.keys[0] in plain
    with pytest.raises(RemoteError):
        run(result, store)
    store.fail = None
    store.calls.clear()
    report = run(result, store, T0 + timedelta(minutes=1))
    assert finishing(report.plan)
    assert report.done is not None and report.done.fixed == 0
    assert report.done.uploaded == len(plain)  # the plain copies, nothing else
    assert report.plan.skipped == len(result.assets)  # the fingerprinted keys that landed
    ops = [c.op for c in store.calls]
    assert Op.COPY not in ops
    assert ops.count(Op.HEAD) == len(result.assets)  # one read each, no write


def test_a_rerun_gives_back_the_headers_an_interrupted_publish_of_another_build_changed(
    tmp_path: Path,
) -> None:
    store = MemoryStore(clock=lambda: T0)
    first = site(tmp_path / "v1", SITE)
    run(first, store)
    short = [{"match": "r.txt", "fingerprinted_cache_control": "public, max-age=60"}]
    second = site(tmp_path / "v2", SITE, short)
    key = next(a.key for a in first.assets if a.path == "r.txt")

    def record_write(call: Call) -> bool:
        return call.op is Op.PUT_PRIVATE and "/.cdnpub/releases/" in call.keys[0]

    store.fail = record_write
    with pytest.raises(RemoteError):
        run(second, store, T0 + timedelta(minutes=1))
    assert store.objects[key].cache_control == "public, max-age=60"  # the fix landed, no record
    store.fail = None
    report = run(first, store, T0 + timedelta(minutes=2))  # the release before, again
    assert finishing(report.plan)
    assert [a.blob.key for a in report.plan.header_fixes] == [key]
    assert store.objects[key].cache_control == "public, max-age=31536000, immutable"


def test_an_ordinary_publish_reads_no_header_back(tmp_path: Path) -> None:
    store = MemoryStore(clock=lambda: T0)
    run(site(tmp_path / "v1", SITE), store)
    store.calls.clear()
    report = run(site(tmp_path / "v2", {**SITE, "r.txt": "r2"}), store, T0 + timedelta(minutes=1))
    assert not finishing(report.plan)
    assert Op.HEAD not in [c.op for c in store.calls]
