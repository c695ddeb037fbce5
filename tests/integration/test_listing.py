"""The listing of a prefix over HTTP: cut into ranges listed in parallel, it finds exactly
the objects one sequential paginated listing finds, whatever the expected keys say."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from cdnpub.aws import s3 as store_module
from cdnpub.aws.clients import Connection, s3_client
from cdnpub.aws.s3 import S3Store
from cdnpub.local.emulator import Request
from cdnpub.sync.plan import RemoteObject
from tests.support.aws import MotoServer
from tests.support.cli import publish
from tests.support.trees import write_tree

PAGE = 7  # keys a page, and expected keys a range: many ranges and pages from a few objects

# Keys in S3's order (UTF-8 bytes) and not in UTF-16's: "\uff5e" sorts before the emoji
# in code points and bytes, after it in UTF-16 code units.
NAMES = ["a.css", "a+b.css", "a b.css", "z.js", "é.png", "\uff5e.txt", "\U0001f600.svg", "日本/x.js"]
KEYS = sorted(
    {f"static/{d}/{n}" for d in ("css", "img", "img/sub", "js", "ü") for n in NAMES}
    | {f"static/img/pic-{i:03d}.{h}.png" for i in range(60) for h in ("0a1b2c3d4e", "9f8e7d6c5b")}
    | {"static/.cdnpub/releases/20260101T000000Z-abc.json.gz", "static/top.txt"}
)
OUTSIDE = ["stat", "static", "static2/a.css", "staticx", "other/static/a.css"]


@pytest.fixture
def store(moto_server: MotoServer, bucket: str, monkeypatch: pytest.MonkeyPatch) -> S3Store:
    monkeypatch.setattr(store_module, "LIST_PAGE", PAGE)
    client = moto_server.client()
    for key in [*KEYS, *OUTSIDE]:
        client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    moto_server.reset_log()
    return S3Store(s3_client(Connection(endpoint_url=moto_server.url), 8), bucket)


def _sequential(store: S3Store) -> dict[str, RemoteObject]:
    return dict(store.listing("static").objects)


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(KEYS, id="what-the-bucket-holds"),
        pytest.param(KEYS[::3], id="a-third-of-it"),
        pytest.param([k.replace(".png", ".gif") for k in KEYS], id="keys-the-bucket-lacks"),
        pytest.param([*KEYS[40:], "static/zzz/after-all.js", "static/!first"], id="beyond-both-ends"),
        pytest.param([*OUTSIDE, *KEYS[::2]], id="with-keys-outside-the-prefix"),
        pytest.param(list(reversed(KEYS)), id="in-any-order"),
    ],
)
def test_parallel_listing_finds_exactly_what_one_sequential_listing_finds(
    store: S3Store, expected: list[str]
) -> None:
    sequential = _sequential(store)
    assert sorted(sequential) == KEYS
    parallel = store.listing("static", expected=expected, jobs=8)
    assert dict(parallel.objects) == sequential
    assert list(parallel.objects) == list(sequential)  # in S3's order too


def test_objects_deleted_out_of_band_are_missing_from_the_parallel_listing(
    store: S3Store, moto_server: MotoServer, bucket: str
) -> None:
    gone = KEYS[5::11]
    moto_server.client().delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in gone]})
    parallel = store.listing("static", expected=KEYS, jobs=8)
    assert sorted(parallel.objects) == sorted(set(KEYS) - set(gone))
    assert dict(parallel.objects) == _sequential(store)


def test_parallel_listing_sends_about_as_many_requests_as_a_sequential_one(
    store: S3Store, moto_server: MotoServer
) -> None:
    _sequential(store)
    sequential = len(moto_server.requests())
    moto_server.reset_log()
    store.listing("static", expected=KEYS, jobs=8)
    ranges = -(-len(KEYS) // PAGE)
    assert sequential == -(-len(KEYS) // PAGE)
    assert len(moto_server.requests()) <= sequential + ranges
    assert all(r.method == "GET" for r in moto_server.requests())


def test_one_worker_or_no_expected_keys_is_one_sequential_listing(
    store: S3Store, moto_server: MotoServer
) -> None:
    store.listing("static", expected=KEYS, jobs=1)
    assert all("start-after" not in r.query for r in moto_server.requests())
    moto_server.reset_log()
    store.listing("static", jobs=8)
    assert all("start-after" not in r.query for r in moto_server.requests())


def test_a_changed_publish_lists_in_ranges_and_repairs_objects_deleted_by_hand(
    moto_server: MotoServer, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "LIST_PAGE", 5)
    files: dict[str, str | bytes] = {f"img/s{i // 10}/pic-{i:02d}.svg": f"<svg id='{i}'/>" for i in range(40)}
    site = write_tree(tmp_path / "static", files)
    assert publish(site, bucket, moto_server).exit_code == 0
    assets = json.loads((tmp_path / "cdnpub-manifest.json").read_text())["assets"]
    gone = [assets["img/s0/pic-03.svg"]["key"], assets["img/s3/pic-37.svg"]["plain_key"]]
    moto_server.client().delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in gone]})
    (site / "img/s2/pic-20.svg").write_text("<svg id='changed'/>")
    moto_server.reset_log()
    assert publish(site, bucket, moto_server).exit_code == 0
    ranged = [r for r in moto_server.requests() if "start-after=" in r.query]
    assert len(ranged) >= 80 // 5 - 1  # 80 keys of the build: a range every 4 (9/10 of a page)
    uploaded = {r.path.split("/", 2)[2] for r in moto_server.uploads()}
    assert set(gone) <= uploaded
    stored = {
        o["Key"]
        for p in moto_server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in p.get("Contents", [])
    }
    assert set(gone) <= stored


def test_a_changed_publish_lists_the_prefix_while_it_reads_the_newest_record(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    site = write_tree(tmp_path / "static", {"css/a.css": "a{}", "img/b.png": b"png"})
    assert publish(site, bucket, moto_server).exit_code == 0
    (site / "css/a.css").write_text("a{color:red}")
    listed = threading.Event()
    record_read_after_listing: list[bool] = []

    def hold_the_record_until_the_listing_came(request: Request) -> None:
        query = parse_qs(request.query)
        if request.method == "GET" and query.get("prefix") == ["static/"]:
            listed.set()
        if request.method == "GET" and "/.cdnpub/releases/" in request.path:
            # Waits in the server's thread: a publish that listed only after reading the
            # record would leave this wait to its deadline and fail the test.
            record_read_after_listing.append(listed.wait(timeout=30))

    moto_server.fail = hold_the_record_until_the_listing_came
    assert publish(site, bucket, moto_server).exit_code == 0
    assert record_read_after_listing == [True]


def test_an_unchanged_publish_reads_the_record_and_lists_nothing_more(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    site = write_tree(tmp_path / "static", {"css/a.css": "a{}", "img/b.png": b"png"})
    assert publish(site, bucket, moto_server).exit_code == 0
    moto_server.reset_log()
    assert publish(site, bucket, moto_server).exit_code == 0
    assert [parse_qs(r.query).get("prefix") for r in moto_server.requests()] == [["static/.cdnpub/"], None]
