"""The marker of live URLs changed whose invalidation is not yet confirmed."""

from __future__ import annotations

import json

import pytest

from cdnpub.errors import UserError
from cdnpub.sync.pending import NO_DISTRIBUTION, Pending, dumps, loads


def test_marker_round_trips() -> None:
    marker = Pending({"E1": ("static/a.css",), NO_DISTRIBUTION: ("static/b.css",)})
    assert loads(dumps(marker), "m") == marker


def test_a_marker_being_written_has_not_landed() -> None:
    assert not Pending(landed=True).adding("E1", ["static/a.css"]).landed


def test_settling_keeps_only_what_other_distributions_are_owed() -> None:
    marker = Pending({"E1": ("a",), "E2": ("b",), NO_DISTRIBUTION: ("c",)})
    assert marker.settled("E1") == Pending({"E2": ("b",)}, landed=True)
    assert marker.settled(NO_DISTRIBUTION) == Pending({"E1": ("a",), "E2": ("b",)}, landed=True)


def test_adding_merges_the_keys_of_a_distribution() -> None:
    assert Pending({"E1": ("a",)}).adding("E1", ["b", "a"]).keys == {"E1": ("a", "b")}


def test_first_form_of_the_marker_is_a_landed_release_owing_an_invalidation() -> None:
    old = json.dumps({"distribution_id": "E1", "keys": ["static/a.css"]}).encode()
    assert loads(old, "m") == Pending({"E1": ("static/a.css",)}, landed=True)


@pytest.mark.parametrize(
    "data", [b"{", b"[]", b'{"distributions": 3}', b'{"distributions": {"E1": "static/a.css"}}']
)
def test_corrupt_marker_is_a_user_error(data: bytes) -> None:
    with pytest.raises(UserError, match="corrupt"):
        loads(data, "m")


def test_unsure_keys_are_those_of_a_publish_that_did_not_land() -> None:
    marker = Pending({"E1": ("a",), NO_DISTRIBUTION: ("b",)})
    assert marker.unsure == {"a", "b"}
    assert marker.settled("E1").unsure == frozenset()


def test_keys_outside_the_prefix_are_dropped_and_named() -> None:
    marker = Pending(
        {"E1": ("static/a.css", "other/b.html", "static/../etc", "staticx/c.css"), "": ("static//d",)}
    )
    kept, dropped = marker.within("static")
    assert kept.keys == {"E1": ("static/a.css",), "": ()}
    assert dropped == ("other/b.html", "static/../etc", "static//d", "staticx/c.css")
