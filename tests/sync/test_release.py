"""Release record names: only a record's name with a real time counts as one."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cdnpub.sync.release import is_record_key, looks_like_record, record_time

START = "static/.cdnpub/releases/"


def test_a_record_name_carries_its_time() -> None:
    assert record_time("20261130T120000Z-0123456789ab.json.gz") == datetime(
        2026, 11, 30, 12, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    "name", ["99999999T999999Z-0123456789ab.json.gz", "20261332T000000Z-0123456789ab.json.gz"]
)
def test_a_record_name_with_an_impossible_time_is_no_record(name: str) -> None:
    assert not is_record_key(START + name, "static")
    assert looks_like_record(START + name, "static")


def test_other_files_beside_the_records_are_neither() -> None:
    assert not is_record_key(START + "README.txt", "static")
    assert not looks_like_record(START + "README.txt", "static")
