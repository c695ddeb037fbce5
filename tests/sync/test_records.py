"""Release records read with limits (issue 26 point 11): a newest record that is deeply
nested, holds `"size": 1e999`, or is a gzip bomb is a corrupt record, read within
MAX_RECORD_BYTES: a warning in publish (which repairs the bucket), never a traceback."""

from __future__ import annotations

import gzip
import json
import resource
import zlib
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.sync.layout import is_record_key
from cdnpub.sync.memory import MemoryStore
from cdnpub.sync.publish import publish
from cdnpub.sync.release import MAX_RECORD_BYTES, dumps, loads
from cdnpub.sync.settings import Settings
from tests.support.trees import write_tree

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def good_doc() -> dict[str, Any]:
    return {
        "format": "cdnpub-release",
        "version": 1,
        "id": "ab" * 32,
        "created": "2026-11-25T12:00:00Z",
        "prefix": "static",
        "objects": {
            "static/a.css": {
                "sha256": "0" * 64,
                "etag": "e",
                "size": 3,
                "content_type": "text/css",
                "cache_control": "max-age=60",
                "headers": {},
                "plain": True,
            }
        },
        "manifest": {"assets": {}},
    }


def text_of(doc: dict[str, Any]) -> str:
    return json.dumps(doc)


def deep(n: int) -> str:
    return "[" * n + "]" * n


def bomb(inflated: int) -> bytes:
    """A gzip member of `inflated` spaces: a few hundred KB stored."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1 << 20)
    parts = [squeeze.compress(chunk) for _ in range(inflated >> 20)]
    return b"".join(parts) + squeeze.flush()


HOSTILE: dict[str, bytes] = {
    "nested-100000": text_of(good_doc()).replace('{"assets": {}}', deep(100_000)).encode(),
    "nested-whole": deep(200_000).encode(),
    "nested-manifest-999": text_of(good_doc()).replace('{"assets": {}}', '{"x":' + deep(900) + "}").encode(),
    "nested-header": text_of(good_doc())
    .replace('"headers": {}', '"headers": {"a": ' + deep(5000) + "}")
    .encode(),
    "size-1e999": text_of(good_doc()).replace('"size": 3', '"size": 1e999').encode(),
    "size-nan": text_of(good_doc()).replace('"size": 3', '"size": NaN').encode(),
    "size-negative": text_of(good_doc()).replace('"size": 3', '"size": -1').encode(),
    "size-fraction": text_of(good_doc()).replace('"size": 3', '"size": 1.5').encode(),
    "size-huge-int": text_of(good_doc()).replace('"size": 3', '"size": ' + "9" * 5000).encode(),
    "gzip-cut": gzip.compress(text_of(good_doc()).encode())[:-12],
    "not-an-object": b"[1, 2]",
    "gzip-garbage": b"\x1f\x8bgarbage",
}


def test_a_good_record_still_reads() -> None:
    release = loads(gzip.compress(text_of(good_doc()).encode()), "r")
    assert release.objects["static/a.css"].size == 3


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_record_is_one_line_of_corrupt(name: str) -> None:
    with pytest.raises(UserError) as raised:
        loads(HOSTILE[name], "s3://b/static/.cdnpub/releases/x")
    line = str(raised.value)
    assert (
        line.startswith("release record s3://b/static/.cdnpub/releases/x is corrupt (") and "\n" not in line
    )
    assert len(line) < 300


def test_a_gzip_bomb_is_refused_without_inflating_it_whole() -> None:
    data = bomb(MAX_RECORD_BYTES + (64 << 20))  # 192 MiB of spaces: under 200 KB stored
    assert len(data) < 1 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(UserError, match=r"is corrupt \(larger than 128 MiB inflated\)"):
        loads(data, "r")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(f"peak grew by {grown_kib // 1024} MiB")
    assert grown_kib < 200 * 1024  # at most the limit and a chunk, not the whole bomb


@pytest.mark.parametrize("dry_run", [False, True])
@pytest.mark.parametrize("name", ["nested-100000", "size-1e999", "nested-header", "gzip-cut"])
def test_a_hostile_newest_record_is_a_warning_and_publish_repairs(
    tmp_path: Path, name: str, dry_run: bool
) -> None:
    result = build([Source(scan(write_tree(tmp_path, {"a.css": "a{}", "b.js": "b()"})))], BuildOptions())
    store = MemoryStore()
    settings = Settings(bucket=store.bucket, prefix="static", jobs=2)
    publish(result, store, settings, now=T0)
    (record,) = [k for k in store.objects if is_record_key(k, "static")]
    store.objects[record] = replace(store.objects[record], body=HOSTILE[name])
    said: list[str] = []
    report = publish(
        result, store, replace(settings, dry_run=dry_run), now=T0.replace(hour=13), warn=said.append
    )
    assert [w for w in said if "is corrupt" in w and record in w], said
    if not dry_run:
        assert report.done is not None and report.done.release_written
        newest = max(k for k in store.objects if is_record_key(k, "static"))
        assert loads(store.objects[newest].body, "r").objects.keys() == {a.key for a in result.assets} | {
            a.plain_key for a in result.assets if a.plain_key
        }


def test_a_record_written_by_cdnpub_reads_back() -> None:
    release = loads(gzip.compress(text_of(good_doc()).encode()), "r")
    assert loads(dumps(release), "r") == release


def test_a_stored_record_past_the_limit_is_read_no_further_and_is_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bytes of a record are fetched with a bound (MAX_RECORD_BYTES + 1): a huge stored
    object is never read whole into memory; it is a warning, and the next publish writes
    a new record."""
    import cdnpub.sync.records as records
    import cdnpub.sync.release as release
    from cdnpub.sync.memory import MemoryStore

    monkeypatch.setattr(records, "MAX_RECORD_BYTES", 1000)
    monkeypatch.setattr(release, "MAX_RECORD_BYTES", 1000)
    store = MemoryStore("b")
    store.put_private("static/.cdnpub/releases/x.json.gz", b"\x1f\x8b" + b"0" * 5000, "application/gzip")
    seen: list[int] = []
    real = store.get_bytes
    monkeypatch.setattr(
        store, "get_bytes", lambda key, limit=None: seen.append(len(real(key, limit))) or real(key, limit)
    )
    said: list[str] = []
    assert records.read_record(store, "static/.cdnpub/releases/x.json.gz", said.append) is None
    assert seen == [1001] and len(said) == 1 and "ignoring it" in said[0]
