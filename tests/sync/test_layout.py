"""The bucket layout: where cdnpub's own objects live under a prefix, and which names
count as release records (only a record's name with a real time counts as one)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cdnpub.sync.layout import (
    after_newest,
    is_meta_key,
    is_record_key,
    looks_like_record,
    meta_owner,
    meta_prefix,
    pending_key,
    record_is_of,
    record_key,
    record_time,
    releases_prefix,
)

START = "static/.cdnpub/releases/"
WHEN = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
RELEASE_ID = "0123456789ab" + "c" * 52


@pytest.mark.parametrize(
    ("prefix", "meta", "releases", "pending"),
    [
        ("static", "static/.cdnpub/", "static/.cdnpub/releases/", "static/.cdnpub/pending-invalidation.json"),
        ("a/b", "a/b/.cdnpub/", "a/b/.cdnpub/releases/", "a/b/.cdnpub/pending-invalidation.json"),
        ("", ".cdnpub/", ".cdnpub/releases/", ".cdnpub/pending-invalidation.json"),
    ],
)
def test_the_bookkeeping_folders_under_a_prefix(prefix: str, meta: str, releases: str, pending: str) -> None:
    assert (meta_prefix(prefix), releases_prefix(prefix), pending_key(prefix)) == (meta, releases, pending)


@pytest.mark.parametrize(
    ("prefix", "key"),
    [
        ("static", "static/.cdnpub/releases/20261130T120000Z-0123456789ab.json.gz"),
        ("", ".cdnpub/releases/20261130T120000Z-0123456789ab.json.gz"),
    ],
)
def test_a_record_key_is_time_then_twelve_hex_of_the_id(prefix: str, key: str) -> None:
    assert record_key(prefix, WHEN, RELEASE_ID) == key
    assert is_record_key(key, prefix)
    assert record_is_of(key, RELEASE_ID)
    assert not record_is_of(key, "f" * 64)
    assert record_time(key.rsplit("/", 1)[-1]) == WHEN


def test_a_record_name_carries_its_time() -> None:
    assert record_time("20261130T120000Z-0123456789ab.json.gz") == WHEN


@pytest.mark.parametrize(
    "name",
    ["20261130T120000Z-0123456789ab.json", "20261130T120000Z-0123456789AB.json.gz", "x.json.gz", ""],
)
def test_other_names_carry_no_time(name: str) -> None:
    assert record_time(name) is None


@pytest.mark.parametrize(
    "name", ["99999999T999999Z-0123456789ab.json.gz", "20261332T000000Z-0123456789ab.json.gz"]
)
def test_a_record_name_with_an_impossible_time_is_no_record(name: str) -> None:
    assert not is_record_key(START + name, "static")
    assert looks_like_record(START + name, "static")


def test_other_files_beside_the_records_are_neither() -> None:
    assert not is_record_key(START + "README.txt", "static")
    assert not looks_like_record(START + "README.txt", "static")


def test_a_record_of_another_prefix_is_not_this_ones() -> None:
    key = record_key("static/sub", WHEN, RELEASE_ID)
    assert is_record_key(key, "static/sub") and not is_record_key(key, "static")


@pytest.mark.parametrize(
    ("now", "after"),
    [
        (WHEN, WHEN + timedelta(seconds=1)),  # the same second: one later
        (WHEN - timedelta(hours=1), WHEN + timedelta(seconds=1)),  # a clock behind the last writer's
        (WHEN + timedelta(minutes=5), WHEN + timedelta(minutes=5)),  # later already
    ],
)
def test_after_newest_sorts_after_the_newest_record(now: datetime, after: datetime) -> None:
    assert after_newest(record_key("static", WHEN, RELEASE_ID), now) == after


def test_after_newest_of_no_record_is_now() -> None:
    assert after_newest(START + "99999999T999999Z-0123456789ab.json.gz", WHEN) == WHEN


@pytest.mark.parametrize(
    ("key", "meta", "owner"),
    [
        ("static/.cdnpub/releases/x", True, "static/"),
        ("static/sub/.cdnpub/pending-invalidation.json", True, "static/sub/"),
        (".cdnpub/releases/x", True, ""),
        ("static/app.css", False, None),
        ("static/.cdnpubx/app.css", False, None),
        ("static/x.cdnpub/app.css", False, None),
    ],
)
def test_bookkeeping_keys_and_whose_they_are(key: str, meta: bool, owner: str | None) -> None:
    assert (is_meta_key(key), meta_owner(key)) == (meta, owner)
