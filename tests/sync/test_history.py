"""history (pure): files of a manifest, the diff between two releases sorted by size
change, the entries `releases` lists, and picking a release by a prefix of its id."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from cdnpub.errors import UserError
from cdnpub.sync.history import Change, File, diff, entries, files_of, pick
from cdnpub.sync.release import ObjectRecord, Provenance, new_release

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def manifest(**files: int) -> dict[str, object]:
    """A manifest document: path -> size, the sha256 made of the size."""
    return {"assets": {p.replace("_", "/"): {"sha256": f"h{n}", "size": n} for p, n in files.items()}}


def test_files_of_a_manifest_and_of_unreadable_ones() -> None:
    assert files_of(manifest(a=3)) == {"a": File("h3", 3)}
    assert files_of({}) == {} and files_of({"assets": None}) == {}
    assert files_of({"assets": {"a": {"size": "3"}, "b": None, "c": {"sha256": "x", "size": 1}}}) == {
        "c": File("x", 1)
    }


def test_diff_sorts_biggest_growth_first_then_same_size_then_biggest_shrink() -> None:
    old = files_of(manifest(js_app=700, css_a=10, gone=50, same=5, tiny=1))
    new = files_of(manifest(js_app=300_700, css_a=9, added=20, same=5, tiny=2))
    new["same"] = File("other", 5)  # other bytes, the same size
    d = diff(old, new)
    assert [(c.path, c.change, c.delta) for c in d.changes] == [
        ("js/app", Change.CHANGED, 300_000),
        ("added", Change.ADDED, 20),
        ("tiny", Change.CHANGED, 1),
        ("same", Change.CHANGED, 0),
        ("gone", Change.REMOVED, -50),
        ("css/a", Change.CHANGED, -1),
    ]
    assert (d.count_added, d.count_removed, d.count_changed) == (1, 1, 4)
    assert (d.old_files, d.new_files, d.delta) == (5, 5, 300_000 + 20 + 1 - 1 - 50)
    assert d.changes[1].old_size is None and d.changes[4].new_size is None


def test_the_same_files_are_no_change() -> None:
    files = files_of(manifest(a=1, b=2))
    assert diff(files, dict(files)).changes == ()


def test_entries_mark_only_the_newest_as_live_and_compare_each_with_the_one_before() -> None:
    a = new_release("static", {}, manifest(a=1), T0)
    b = replace(new_release("static", {"k": _obj()}, manifest(a=1, b=2), T0 + timedelta(minutes=1)),
                provenance=Provenance("rev", "run", "0.1.0"))  # fmt: skip
    again = replace(a, created=T0 + timedelta(minutes=2))  # A published again: the same id
    listed = entries([again, b, a], again.id)
    assert [e.live for e in listed] == [True, False, False]
    assert listed[0].since is not None and listed[0].since.count_removed == 1
    assert listed[1].since is not None and listed[1].since.count_added == 1
    assert listed[2].since is None and listed[1].provenance.revision == "rev"
    assert (listed[1].files, listed[1].bytes) == (2, 3)
    assert not any(e.live for e in entries([b, a], None))  # the newest record unreadable


IDS = ["3f2a1b9c0d12", "3f2a77777777", "9c0d12aaaaaa"]


def test_pick_a_release_by_a_unique_prefix_of_its_id() -> None:
    assert pick(IDS, "9c0d") == 2 and pick(IDS, "3F2A1B") == 0
    assert pick(IDS, "3f2a1b9c0d12" + "ff" * 26) == 0  # the full id: its first 12 digits here


@pytest.mark.parametrize(
    ("ref", "phrase"),
    [("3f2a", "names 2 releases"), ("abcd", "no release 'abcd'"), ("3f2", "not a release id"),
     ("zzzz", "not a release id"), ("", "not a release id")],
)  # fmt: skip
def test_pick_refuses_what_names_no_single_release(ref: str, phrase: str) -> None:
    with pytest.raises(UserError, match=phrase):
        pick(IDS, ref)


def test_a_release_no_record_names_says_how_far_back_the_records_go() -> None:
    """A pruned release's record goes with it: the line says so, with the count and the
    oldest id still there, so a pruned release does not look like a typo."""
    with pytest.raises(UserError) as caught:
        pick(IDS, "ea75")
    said = str(caught.value)
    assert "3 release records" in said and "pruned" in said and "9c0d12aaaaaa" in said


def _obj() -> ObjectRecord:
    return ObjectRecord("a" * 64, "e", 1, "text/css", "no-cache")
