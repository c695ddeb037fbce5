"""plan() is pure: builds, listings and release records in, a Plan out. No S3 here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.rules import parse_rules
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.sync.plan import (
    DEFAULT_MAX_DELETE,
    History,
    Listing,
    Options,
    Plan,
    Prune,
    Reason,
    RemoteObject,
    blobs,
    desired_release,
    plan,
    unchanged,
)
from cdnpub.sync.release import ObjectRecord, Release, new_release

MakeTree = Callable[..., Path]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=30)


@pytest.fixture
def site(make_tree: MakeTree) -> Build:
    root = make_tree(
        {"css/a.css": "a{background:url(../img/i.png)}", "img/i.png": b"png", "js/x-4f3a9c1d.js": "x"}
    )
    return build([Source(scan(root))])


def listing_of(result: Build, when: datetime = OLD, **overrides: RemoteObject) -> Listing:
    objects = {b.key: RemoteObject(b.key, b.asset.size, b.asset.etag, when) for b in blobs(result)}
    objects.update(overrides)
    return Listing(result.prefix, objects)


def release_of(result: Build, when: datetime = OLD) -> Release:
    return desired_release(result, {}, when)


def make_plan(
    result: Build,
    listing: Listing,
    last: Release | None,
    *,
    plain_copies: bool = True,
    prune_older_than: timedelta | None = None,
    recent: Sequence[Release] = (),
    expired: Sequence[Release] = (),
    max_delete: int = DEFAULT_MAX_DELETE,
    prune_foreign: bool = False,
    last_written: datetime | None = None,
    unsure: frozenset[str] = frozenset(),
) -> Plan:
    """plan() at NOW, its History and Options from the publish's knobs."""
    history = History(last, last_written, unsure, tuple(recent), tuple(expired))
    prune = None if prune_older_than is None else Prune(NOW - prune_older_than, max_delete, prune_foreign)
    wanted = desired_release(result, {}, NOW, plain_copies)
    return plan(result, "bucket", listing, history, wanted, Options(plain_copies, prune))


def test_empty_bucket_uploads_everything_fingerprinted_first(site: Build) -> None:
    todo = make_plan(site, Listing("static", {}), None)
    assert {a.reason for a in todo.uploads} == {"new"}
    assert len(todo.fingerprinted) == 3 and len(todo.plain) == 2  # the bundler's file has no plain copy
    assert all(not a.blob.plain for a in todo.fingerprinted) and all(a.blob.plain for a in todo.plain)
    assert todo.write_release and todo.invalidate == ()


def test_identical_bucket_and_record_skip_everything(site: Build) -> None:
    todo = make_plan(site, listing_of(site), release_of(site))
    assert todo.nothing_to_do and todo.skipped == 5


def test_unchanged_plan_needs_no_listing(site: Build) -> None:
    quick = unchanged("bucket", site, release_of(site), desired_release(site, {}, NOW))
    assert quick is not None and quick.nothing_to_do and quick.skipped == 5


def test_unchanged_is_none_when_the_record_differs(site: Build, make_tree: MakeTree) -> None:
    other = build([Source(scan(make_tree({"b.css": "b{}"}, name="other")))])
    assert unchanged("bucket", site, release_of(other), desired_release(site, {}, NOW)) is None
    assert unchanged("bucket", site, None, desired_release(site, {}, NOW)) is None


def test_changed_plain_copy_is_uploaded_and_invalidated(site: Build) -> None:
    stale = RemoteObject("static/img/i.png", 3, "0" * 32, OLD)
    todo = make_plan(site, listing_of(site, **{"static/img/i.png": stale}), release_of(site))
    assert [(a.blob.key, a.reason) for a in todo.uploads] == [("static/img/i.png", "changed")]
    assert todo.invalidate == ("static/img/i.png",)


def test_fingerprinted_key_holding_other_bytes_of_the_same_size_is_uploaded_again(site: Build) -> None:
    key = next(b.key for b in blobs(site) if b.asset.path == "img/i.png" and not b.plain)
    other = RemoteObject(key, 3, "0" * 32, OLD)
    todo = make_plan(site, listing_of(site, **{key: other}), release_of(site))
    assert [(a.blob.key, a.reason) for a in todo.uploads] == [(key, "changed")]


def test_fingerprinted_key_with_a_non_md5_etag_is_vouched_for_by_the_record(site: Build) -> None:
    key = next(b.key for b in blobs(site) if b.asset.path == "img/i.png" and not b.plain)
    kms = RemoteObject(key, 3, "kms-style-etag", OLD)
    todo = make_plan(site, listing_of(site, **{key: kms}), release_of(site), last_written=OLD)
    assert todo.nothing_to_do


KEPT = "static/js/x-4f3a9c1d.js"


@pytest.mark.parametrize(
    "remote",
    [RemoteObject(KEPT, 1, "0" * 32, OLD), RemoteObject(KEPT, 2, "0" * 32, OLD)],
    ids=["same-size", "other-size"],
)
def test_kept_name_holding_other_bytes_is_a_user_error_naming_the_file(
    site: Build, remote: RemoteObject
) -> None:
    last = release_of(site)
    if remote.size == 1:  # the last release published other bytes of the same size there
        last = replace(last, objects={**last.objects, KEPT: replace(last.objects[KEPT], sha256="1" * 64)})
    with pytest.raises(
        UserError, match=r"x-4f3a9c1d\.js: other bytes .* s3://bucket/static/js/x-4f3a9c1d\.js"
    ):
        make_plan(site, listing_of(site, **{KEPT: remote}), last)


def test_kept_name_whose_etag_cannot_tell_is_left_for_the_caller_to_read_back(site: Build) -> None:
    kms = RemoteObject(KEPT, 1, "kms-style-etag", OLD)
    todo = make_plan(site, listing_of(site, **{KEPT: kms}), None)
    assert [b.key for b in todo.unverified] == [KEPT]
    assert all(a.blob.key != KEPT for a in todo.uploads)


def test_kept_name_with_its_own_bytes_is_skipped(site: Build) -> None:
    todo = make_plan(site, listing_of(site), release_of(site))
    assert todo.unverified == () and todo.nothing_to_do


def test_plain_copy_with_a_non_md5_etag_is_vouched_for_by_the_record(site: Build) -> None:
    kms = RemoteObject("static/img/i.png", 3, "kms-etag", OLD)
    last = release_of(site)
    objects = dict(last.objects)
    objects["static/img/i.png"] = replace(objects["static/img/i.png"], etag="kms-etag")
    todo = make_plan(site, listing_of(site, **{"static/img/i.png": kms}), replace(last, objects=objects))
    assert todo.uploads == ()


def test_rule_change_is_a_header_fix_not_an_upload(site: Build, make_tree: MakeTree) -> None:
    last = release_of(site)
    rules = parse_rules([{"match": "*.png", "cache_control": "no-cache"}])
    changed = build([Source(scan(Path(site.assets[0].fs_path).parents[1]))], BuildOptions(rules=rules))
    todo = make_plan(changed, listing_of(changed), last)
    assert [(a.blob.key, a.reason) for a in todo.header_fixes] == [("static/img/i.png", "headers")]
    assert todo.uploads == ()
    assert todo.invalidate == ("static/img/i.png",)


def test_objects_without_a_record_get_a_header_fix(site: Build) -> None:
    todo = make_plan(site, listing_of(site), None)
    assert len(todo.header_fixes) == 5 and todo.uploads == ()


def test_no_plain_copies_plans_only_fingerprinted_keys(site: Build) -> None:
    todo = make_plan(site, Listing("static", {}), None, plain_copies=False)
    assert todo.plain == () and len(todo.fingerprinted) == 3


def test_key_longer_than_s3_allows_is_a_user_error(make_tree: MakeTree) -> None:
    deep = "/".join(["d" * 200] * 5) + "/a.css"
    result = build([Source(scan(make_tree({deep: "a{}"})))])
    with pytest.raises(UserError, match="longer than S3's 1024 bytes"):
        make_plan(result, Listing("static", {}), None)


def test_prune_spares_what_a_recent_release_references(site: Build) -> None:
    gone = RemoteObject("static/img/old.0123456789.png", 1, "e", OLD)
    recent = replace(
        release_of(site), objects={gone.key: release_of(site).objects["static/img/i.png"]}, created=NOW
    )
    todo = make_plan(
        site,
        listing_of(site, **{gone.key: gone}),
        release_of(site),
        prune_older_than=timedelta(days=7),
        recent=[recent],
    )
    assert todo.prune == ()


def test_prune_deletes_old_unreferenced_objects_only(site: Build) -> None:
    old = RemoteObject("static/img/old.0123456789.png", 1, "e", OLD)
    fresh = RemoteObject("static/img/fresh.0123456789.png", 1, "e", NOW)
    listing = listing_of(site, **{old.key: old, fresh.key: fresh})
    todo = make_plan(
        site, listing, release_of(site), prune_older_than=timedelta(days=7), expired=[naming(old, fresh)]
    )
    assert todo.prune == (old.key,)


def naming(*objects: RemoteObject, when: datetime = OLD - timedelta(days=1)) -> Release:
    """An expired release record that named `objects`."""
    record = ObjectRecord("0" * 64, "e", 1, "image/png", "public", (), False)
    return new_release("static", {o.key: record for o in objects}, {}, when)


def test_prune_never_deletes_what_no_cdnpub_release_named(site: Build) -> None:
    """Another tool's object under the prefix, however old: not cdnpub's to delete."""
    theirs = RemoteObject("static/uploads/avatar.png", 1, "e", OLD)
    mine = RemoteObject("static/img/old.0123456789.png", 1, "e", OLD)
    listing = listing_of(site, **{theirs.key: theirs, mine.key: mine})
    todo = make_plan(
        site, listing, release_of(site), prune_older_than=timedelta(days=1), expired=[naming(mine)]
    )
    assert todo.prune == (mine.key,)


def test_prune_foreign_deletes_what_no_release_named_when_asked(site: Build) -> None:
    theirs = RemoteObject("static/uploads/avatar.png", 1, "e", OLD)
    listing = listing_of(site, **{theirs.key: theirs})
    todo = make_plan(site, listing, release_of(site), prune_older_than=timedelta(days=1), prune_foreign=True)
    assert todo.prune == (theirs.key,)


def test_an_expired_record_stays_while_an_object_only_it_named_is_within_the_grace(site: Build) -> None:
    old = RemoteObject("static/img/old.0123456789.png", 1, "e", OLD)
    fresh = RemoteObject("static/img/fresh.0123456789.png", 1, "e", NOW)
    expired = naming(old, fresh)
    record = RemoteObject(expired.key, 1, "e", OLD)
    listing = listing_of(site, **{old.key: old, fresh.key: fresh, record.key: record})
    todo = make_plan(site, listing, release_of(site), prune_older_than=timedelta(days=7), expired=[expired])
    assert todo.prune == (old.key,)
    later = make_plan(
        site,
        listing_of(site, **{record.key: record}),
        release_of(site),
        prune_older_than=timedelta(days=7),
        expired=[expired],
    )
    assert later.prune == (record.key,)


def test_prune_past_max_delete_refuses(site: Build) -> None:
    extra = {f"static/x{i}.png": RemoteObject(f"static/x{i}.png", 1, "e", OLD) for i in range(3)}
    with pytest.raises(UserError, match="would delete 3 objects, more than --max-delete 2"):
        make_plan(
            site,
            listing_of(site, **extra),
            None,
            prune_older_than=timedelta(days=1),
            max_delete=2,
            prune_foreign=True,
        )


def test_release_id_names_the_content(site: Build) -> None:
    assert release_of(site, OLD).id == release_of(site, NOW).id
    assert release_of(site).key.startswith("static/.cdnpub/releases/")


def test_prune_keeps_the_live_release_however_old(site: Build, make_tree: MakeTree) -> None:
    """The release before this publish serves pages until the new app is rolled out."""
    previous = build([Source(scan(make_tree({"old.css": "a{}"}, name="previous")))])
    live = desired_release(previous, {}, OLD)
    listing = listing_of(site, **{b.key: RemoteObject(b.key, 1, "e", OLD) for b in blobs(previous)})
    todo = make_plan(site, listing, live, prune_older_than=timedelta(days=1))
    assert todo.prune == ()


def test_live_in_grace_includes_the_release_live_when_the_grace_began() -> None:
    from cdnpub.sync.records import live_in_grace

    records = [
        RemoteObject(f"r{i}", 1, "e", NOW - timedelta(days=d)) for i, d in enumerate([30, 20, 10, 0.5])
    ]
    assert [r.key for r in live_in_grace(records, NOW - timedelta(days=1))] == ["r2", "r3"]
    assert [r.key for r in live_in_grace(records, NOW - timedelta(days=15))] == ["r1", "r2", "r3"]
    assert [r.key for r in live_in_grace(records[:3], NOW - timedelta(days=1))] == ["r2"]


def test_release_keys_are_only_record_names(site: Build) -> None:
    record = release_of(site).key
    stray = "static/.cdnpub/releases/README.txt"
    listing = listing_of(site, **{k: RemoteObject(k, 1, "e", OLD) for k in (record, stray)})
    assert [o.key for o in listing.release_keys()] == [record]


def test_prune_leaves_a_deeper_prefix_with_records_of_its_own_alone(site: Build) -> None:
    """`s3://b/static/admin` published on its own: its objects are another release's."""
    theirs = {
        k: RemoteObject(k, 1, "e", OLD)
        for k in (
            "static/admin/css/a.0123456789.css",
            "static/admin/css/a.css",
            "static/admin/.cdnpub/releases/20261101T000000Z-0123456789ab.json.gz",
        )
    }
    mine = RemoteObject("static/img/old.0123456789.png", 1, "e", OLD)
    listing = listing_of(site, **theirs, **{mine.key: mine})
    todo = make_plan(site, listing, release_of(site), prune_older_than=timedelta(days=1), prune_foreign=True)
    assert todo.prune == (mine.key,)


def test_header_fix_of_a_served_fingerprinted_key_is_invalidated(site: Build) -> None:
    last = release_of(site)
    rules = parse_rules([{"match": "*.png", "content_type": "image/x-test"}])
    changed = build([Source(scan(Path(site.assets[0].fs_path).parents[1]))], BuildOptions(rules=rules))
    todo = make_plan(changed, listing_of(changed), last)
    png = next(b.key for b in blobs(changed) if b.asset.path == "img/i.png" and not b.plain)
    assert png in {a.blob.key for a in todo.header_fixes}
    assert todo.invalidate == tuple(sorted((png, "static/img/i.png")))


def test_header_fix_of_fingerprinted_keys_no_release_served_is_not_invalidated(site: Build) -> None:
    todo = make_plan(site, listing_of(site), None)
    fixed = {a.blob.key for a in todo.header_fixes if not a.blob.plain}
    assert len(fixed) == 3 and not fixed & set(todo.invalidate)


def test_header_fix_of_a_multipart_plain_copy_is_an_upload(site: Build) -> None:
    """A copy would give it a single-part ETag, no longer comparable with the local one."""
    from cdnpub.build.digest import MULTIPART_THRESHOLD
    from cdnpub.sync.plan import Action

    blob = next(b for b in blobs(site) if b.plain)
    big = replace(blob, asset=replace(blob.asset, size=MULTIPART_THRESHOLD))
    assert (
        not Action(big, Reason.HEADERS).copies
        and Action(big, Reason.HEADERS).sent_bytes == MULTIPART_THRESHOLD
    )
    fingerprinted = replace(big, plain=False)
    assert (
        Action(fingerprinted, Reason.HEADERS).copies and Action(fingerprinted, Reason.HEADERS).sent_bytes == 0
    )


@pytest.mark.parametrize(
    ("written", "reason"),
    [(OLD - timedelta(seconds=1), None), (OLD, None), (OLD + timedelta(seconds=1), "changed")],
    ids=["before", "same-second", "after"],
)
def test_plain_copy_with_an_opaque_etag_is_vouched_for_until_written_after_the_record(
    site: Build, written: datetime, reason: str | None
) -> None:
    """SSE-KMS ETags are no MD5s: an object written before the last record was holds the
    bytes that record names."""
    kms = RemoteObject("static/img/i.png", 3, "kms-etag", written)
    todo = make_plan(site, listing_of(site, **{"static/img/i.png": kms}), release_of(site), last_written=OLD)
    assert [a.reason for a in todo.uploads] == ([reason] if reason else [])


def test_opaque_etag_of_a_key_a_half_done_publish_may_have_written_is_not_vouched_for(site: Build) -> None:
    """Written in the record's own second, by a publish after it? The marker names the key."""
    kms = RemoteObject("static/img/i.png", 3, "kms-etag", OLD)
    listing = listing_of(site, **{"static/img/i.png": kms})
    todo = make_plan(
        site, listing, release_of(site), last_written=OLD, unsure=frozenset({"static/img/i.png"})
    )
    assert [a.reason for a in todo.uploads] == ["changed"]
