"""cdnpub publish against a moto server over HTTP: stored objects, headers, request counts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cdnpub.sync.layout import is_lease_bookkeeping
from tests.support.aws import MotoServer
from tests.support.bucket import keys
from tests.support.cli import publish, run_cli
from tests.support.sites import INTEGRATION_SITE as SITE

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"


def manifest(cwd: Path = Path()) -> dict[str, Any]:
    return json.loads((cwd / "cdnpub-manifest.json").read_text())["assets"]


def put_keys(server: MotoServer) -> list[str]:
    """Keys PUT, in the order the server saw them."""
    return [r.path.split("/", 2)[2] for r in server.puts()]


def release_keys(server: MotoServer, bucket: str) -> list[str]:
    return sorted(k for k in keys(server, bucket) if "/.cdnpub/releases/" in k)


def test_first_publish_uploads_every_object_with_its_headers(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    result = publish(site, bucket, moto_server)
    assert result.exit_code == 0, result.output
    s3 = moto_server.client()
    for entry in manifest().values():
        for key, cache in ((entry["key"], IMMUTABLE), (entry["plain_key"], SHORT)):
            if key is None:
                continue
            head = s3.head_object(Bucket=bucket, Key=key)
            assert head["ContentType"] == entry["content_type"], key
            assert head["CacheControl"] == cache, key
            assert head["ContentLength"] == entry["size"]
    assert s3.head_object(Bucket=bucket, Key="static/css/app.css")["ContentType"] == "text/css; charset=utf-8"
    assert s3.head_object(Bucket=bucket, Key="static/fonts/f.woff2")["ContentType"] == "font/woff2"
    assert len(release_keys(moto_server, bucket)) == 1


def test_published_bytes_are_the_rewritten_ones(moto_server: MotoServer, bucket: str, site: Path) -> None:
    publish(site, bucket, moto_server)
    m = manifest()
    css = moto_server.client().get_object(Bucket=bucket, Key=m["css/app.css"]["key"])["Body"].read().decode()
    logo = m["img/logo.png"]["key"].removeprefix("static/img/")
    assert f"url(../img/{logo})" in css


def test_bundler_fingerprinted_file_keeps_its_name_and_gets_no_plain_copy(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    stored = keys(moto_server, bucket)
    assert "static/vendor/lib-4f3a9c1d.js" in stored
    assert not any(k.startswith("static/vendor/lib-4f3a9c1d.") and k.count(".") > 1 for k in stored)
    head = moto_server.client().head_object(Bucket=bucket, Key="static/vendor/lib-4f3a9c1d.js")
    assert head["CacheControl"] == IMMUTABLE


def test_unchanged_republish_makes_only_reads_and_no_put(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    moto_server.reset_log()
    result = publish(site, bucket, moto_server)
    assert result.exit_code == 0
    assert moto_server.writes() == []
    assert [r.method for r in moto_server.requests()] == ["GET", "GET"]  # one listing, one release record
    assert "up to date" in result.output


def test_republish_after_touching_every_mtime_sends_no_put(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    for path in site.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))  # a fresh CI checkout
    moto_server.reset_log()
    assert publish(site, bucket, moto_server).exit_code == 0
    assert moto_server.writes() == []
    assert len(moto_server.requests()) == 2


def test_one_changed_image_uploads_it_and_the_stylesheets_that_reference_it(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    before = manifest()
    (site / "img/icon.svg").write_text("<svg><circle/></svg>")
    moto_server.reset_log()
    assert publish(site, bucket, moto_server).exit_code == 0
    after = manifest()
    changed = ["img/icon.svg", "css/base.css", "css/app.css"]
    expected = [after[p]["key"] for p in changed] + [after[p]["plain_key"] for p in changed]
    uploaded = put_keys(moto_server)
    records = [k for k in uploaded if "/.cdnpub/releases/" in k]
    assert len(records) == 1
    # The lease is taken first; it lists the live URLs about to change before the first
    # plain copy (the pending marker lives in it); a finish note beside the record frees it.
    lease = "static/.cdnpub/lease.json"
    assert uploaded[0] == lease
    marked = [i for i, k in enumerate(uploaded) if k == lease][1]
    first_plain = min(uploaded.index(after[p]["plain_key"]) for p in changed)
    assert marked < first_plain
    (note,) = [k for k in uploaded if "/.cdnpub/finished/" in k]
    assert note.endswith(records[0].rsplit("/", 1)[-1]) and set(uploaded[-2:]) == {note, records[0]}
    assets = [k for k in uploaded if not is_lease_bookkeeping(k)]
    assert sorted(assets[:-1]) == sorted(expected)
    assert assets[-1] == records[0]  # the record goes last
    assert before["img/logo.png"] == after["img/logo.png"]
    assert not any("pending" in k for k in keys(moto_server, bucket))


def test_plain_copies_land_after_every_fingerprinted_object(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    m = manifest()
    order = [r.path.split("/", 2)[2] for r in moto_server.puts()]
    fingerprinted = {e["key"] for e in m.values()}
    plain = {e["plain_key"] for e in m.values() if e["plain_key"]}
    last_fingerprinted = max(order.index(k) for k in fingerprinted)
    first_plain = min(order.index(k) for k in plain)
    assert last_fingerprinted < first_plain


def test_dry_run_sends_no_write_and_prints_the_plan(moto_server: MotoServer, bucket: str, site: Path) -> None:
    result = publish(site, bucket, moto_server, "--dry-run")
    assert result.exit_code == 0, result.output
    assert moto_server.writes() == []
    assert "Dry run" in result.output and "would upload 17 objects" in result.output
    assert not Path("cdnpub-manifest.json").exists()


def test_json_prints_the_plan_and_the_result(moto_server: MotoServer, bucket: str, site: Path) -> None:
    doc = json.loads(publish(site, bucket, moto_server, "--json").stdout)
    assert doc["dry_run"] is False
    assert doc["result"]["uploaded"] == doc["plan"]["uploads"] == 17
    assert doc["release"]["write"] is True
    assert {a["path"] for a in doc["plan"]["plain"]} == {p for p in SITE if "lib-4f3a9c1d" not in p}


def test_rules_change_fixes_headers_with_a_copy_in_place(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    Path("pyproject.toml").write_text('[[tool.cdnpub.rules]]\nmatch = "*.svg"\ncache_control = "no-cache"\n')
    moto_server.reset_log()
    assert publish(site, bucket, moto_server).exit_code == 0
    copies = [r for r in moto_server.puts() if "/.cdnpub/" not in r.path]
    assert [r.path for r in copies] == [f"/{bucket}/static/img/icon.svg"]
    head = moto_server.client().head_object(Bucket=bucket, Key="static/img/icon.svg")
    assert head["CacheControl"] == "no-cache"


def test_failure_in_the_fingerprinted_phase_leaves_no_plain_object_or_release(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(site, bucket, moto_server)
    (site / "img/logo.png").write_bytes(b"\x89PNG-new-logo")
    before = {
        k: moto_server.client().head_object(Bucket=bucket, Key=k)["ETag"] for k in keys(moto_server, bucket)
    }
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    moto_server.fail = lambda r: 500 if r.method == "PUT" and "/img/logo." in r.path else None
    moto_server.reset_log()
    result = publish(site, bucket, moto_server)
    sent = moto_server.requests()
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()  # the retry line (AWS_MAX_ATTEMPTS=1), the error
    assert lines[-1].startswith("cdnpub: ") and "Traceback" not in result.output
    assert all(line.startswith("retrying PutObject ") for line in lines[:-1]), lines
    after = {
        k: moto_server.client().head_object(Bucket=bucket, Key=k)["ETag"] for k in keys(moto_server, bucket)
    }
    new_keys = set(after) - set(before)
    assert all("/.cdnpub/releases/" not in k for k in new_keys)  # no release record
    assert all(
        after[k] == before[k] for k in before if not is_lease_bookkeeping(k)
    )  # no plain-name object changed
    assert not any(r.method == "PUT" and r.path.endswith("/static/css/app.css") for r in sent)


def test_rerun_after_a_failure_uploads_only_what_did_not_land(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    moto_server.fail = lambda r: 500 if r.method == "PUT" and "/img/logo." in r.path else None
    assert publish(site, bucket, moto_server).exit_code == 1
    landed = keys(moto_server, bucket)
    moto_server.fail = lambda r: None
    moto_server.reset_log()
    assert publish(site, bucket, moto_server).exit_code == 0
    reuploaded = {r.path.split("/", 2)[2] for r in moto_server.uploads()} & landed
    assert reuploaded == set()  # what landed gets at most a header fix (a copy, no bytes)


def test_prune_keeps_what_a_recent_release_references(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    first = manifest()
    (site / "img/logo.png").write_bytes(b"\x89PNG-v2")
    publish(site, bucket, moto_server)
    result = publish(site, bucket, moto_server, "--prune-older-than", "1")
    assert result.exit_code == 0
    assert first["img/logo.png"]["key"] in keys(moto_server, bucket)  # the previous release still needs it


def test_prune_deletes_what_no_recent_release_references(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    old = manifest()["img/unused.png"]
    (site / "img/unused.png").unlink()
    publish(site, bucket, moto_server)
    result = publish(site, bucket, moto_server, "--prune-older-than", "0", "--json")
    doc = json.loads(result.stdout)
    assert old["key"] in doc["plan"]["prune"] and old["plain_key"] in doc["plan"]["prune"]
    stored = keys(moto_server, bucket)
    assert old["key"] not in stored and old["plain_key"] not in stored
    assert manifest()["img/logo.png"]["key"] in stored
    assert len(release_keys(moto_server, bucket)) == 1


def test_prune_above_max_delete_refuses_before_writing(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    (site / "img/unused.png").unlink()
    publish(site, bucket, moto_server)  # the release that still had unused.png is no longer live
    moto_server.reset_log()
    result = publish(site, bucket, moto_server, "--prune-older-than", "0", "--max-delete", "1")
    assert result.exit_code == 2
    assert "--max-delete" in result.stderr
    assert moto_server.site_writes() == []


def test_manifest_is_written_only_after_a_successful_publish(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    moto_server.fail = lambda r: 500 if r.method == "PUT" else None
    assert publish(site, bucket, moto_server).exit_code == 1
    assert not Path("cdnpub-manifest.json").exists()


@pytest.mark.parametrize("where", ["a-folder", "under-a-file/m.json"])
def test_unwritable_manifest_path_is_exit_2_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path, tmp_path: Path, where: str
) -> None:
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "under-a-file").write_text("")
    moto_server.reset_log()
    result = publish(site, bucket, moto_server, "--manifest", str(tmp_path / where))
    assert result.exit_code == 2 and "cannot write the manifest" in result.stderr
    assert moto_server.writes() == []


def test_json_names_the_manifest_written(moto_server: MotoServer, bucket: str, site: Path) -> None:
    doc = json.loads(publish(site, bucket, moto_server, "--json", "--manifest", "m.json").stdout)
    assert doc["manifest"] == "m.json" and Path("m.json").is_file()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["s3://no-such-bucket/static"], 2, "bucket no-such-bucket does not exist"),
        (["http://bucket/static"], 2, "is not an s3:// URL"),
        (["s3://Bad_Bucket!/x"], 2, "is not a valid bucket name"),
    ],
)
def test_remote_user_errors_are_one_line(
    moto_server: MotoServer, site: Path, args: list[str], code: int, message: str
) -> None:
    result = run_cli("publish", str(site), *args, "--endpoint-url", moto_server.url)
    assert result.exit_code == code
    assert result.stderr.startswith("cdnpub: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_no_credentials_is_exit_2(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = publish(site, bucket, moto_server)
    assert result.exit_code == 2
    assert "no AWS credentials found" in result.stderr


def test_unreachable_endpoint_is_exit_1(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = run_cli("publish", str(site), "s3://bucket/static", "--endpoint-url", "http://127.0.0.1:9")
    assert result.exit_code == 1
    assert "cannot reach the S3 endpoint" in result.stderr


def test_credentials_never_appear_in_output(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLESECRETID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very/secret+key")
    for extra in ([], ["--json"], ["--debug"]):
        result = run_cli(
            "publish", str(site), f"s3://{bucket}/static", "--endpoint-url", moto_server.url, *extra
        )
        assert "AKIAEXAMPLESECRETID" not in result.output and "very/secret+key" not in result.output


def test_verify_restores_an_object_deleted_by_hand(moto_server: MotoServer, bucket: str, site: Path) -> None:
    publish(site, bucket, moto_server)
    key = manifest()["img/logo.png"]["key"]
    moto_server.client().delete_object(Bucket=bucket, Key=key)
    moto_server.reset_log()
    assert publish(site, bucket, moto_server).exit_code == 0
    assert moto_server.writes() == []  # the release record vouches for the bucket
    assert publish(site, bucket, moto_server, "--verify").exit_code == 0
    assert [r.path for r in moto_server.uploads()] == [f"/{bucket}/{key}"]


def test_corrupt_release_record_is_a_warning_and_the_publish_repairs(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    (record,) = release_keys(moto_server, bucket)
    moto_server.client().put_object(Bucket=bucket, Key=record, Body=b"garbage")
    result = publish(site, bucket, moto_server)
    assert result.exit_code == 0
    assert "is corrupt" in result.stderr and "ignoring it" in result.stderr
    assert publish(site, bucket, moto_server).stderr == ""


@pytest.mark.parametrize("record", [b"garbage", None])
def test_prune_refuses_when_the_live_release_record_cannot_be_read(
    moto_server: MotoServer, bucket: str, site: Path, record: bytes | None
) -> None:
    """Without knowing what the live release references, a prune could delete its files.
    (None: a stray file beside the records, which must not be taken for the newest one.)"""
    publish(site, bucket, moto_server)
    (newest,) = release_keys(moto_server, bucket)
    s3 = moto_server.client()
    if record is None:
        s3.put_object(Bucket=bucket, Key=newest.rsplit("/", 1)[0] + "/zz-notes.txt", Body=b"x")
    else:
        s3.put_object(Bucket=bucket, Key=newest, Body=record)
    (site / "img/logo.png").write_bytes(b"another logo")
    stored = {k for k in keys(moto_server, bucket) if not is_lease_bookkeeping(k)}
    moto_server.reset_log()
    result = publish(site, bucket, moto_server, "--prune-older-than", "0")
    if record is None:
        assert result.exit_code == 0, result.output
        assert stored <= set(keys(moto_server, bucket))  # the live release keeps every file
    else:
        assert result.exit_code == 2 and "not pruning" in result.stderr
        assert moto_server.site_writes() == []


def test_a_record_copied_from_another_prefix_is_not_taken_for_this_ones(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    """`aws s3 sync s3://b/static s3://b/static2` copies the records, which name static/ keys."""
    publish(site, bucket, moto_server)
    s3 = moto_server.client()
    for key in keys(moto_server, bucket):
        s3.copy_object(
            Bucket=bucket, Key="static2/" + key.removeprefix("static/"), CopySource=f"{bucket}/{key}"
        )
    copied = set(keys(moto_server, bucket))
    (site / "img/logo.png").write_bytes(b"another logo")
    result = run_cli(
        "publish",
        str(site),
        f"s3://{bucket}/static2",
        "--endpoint-url",
        moto_server.url,
        "--prune-older-than",
        "0",
    )
    assert result.exit_code == 2 and "records a release under 'static'" in result.stderr
    assert "not pruning" in result.stderr and set(keys(moto_server, bucket)) == copied


def test_local_creates_bucket_and_distribution_and_publishes(moto_server: MotoServer, site: Path) -> None:
    from cdnpub.local.provision import ensure_local, local_client

    ensure_local(moto_server.url, "cdnpub-local-test", "127.0.0.1:5998")  # as `cdnpub local` does
    local_client("s3", moto_server.url).delete_bucket(Bucket="cdnpub-local-test")
    result = run_cli(
        "publish",
        str(site),
        "s3://cdnpub-local-test/static",
        "--local",
        "--endpoint-url",
        moto_server.url,
        "--json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["result"]["uploaded"] == 17
    assert "static/css/app.css" in keys(moto_server, "cdnpub-local-test")
    again = run_cli(
        "publish", str(site), "s3://cdnpub-local-test/static", "--local", "--endpoint-url", moto_server.url
    )
    assert again.exit_code == 0 and "up to date" in again.output


def test_local_reports_the_preview_as_the_cdn_domain(moto_server: MotoServer, site: Path) -> None:
    """What the app's CDN_DOMAIN takes locally: moto's own *.cloudfront.net answers nothing."""
    from cdnpub.local.provision import ensure_local

    ensure_local(moto_server.url, "cdnpub-local-preview", "127.0.0.1:5999")  # as `cdnpub local` does
    result = run_cli(
        "publish",
        str(site),
        "s3://cdnpub-local-preview/static",
        "--local",
        "--endpoint-url",
        moto_server.url,
        "--json",
    )
    assert json.loads(result.stdout)["cdn_domain"] == "127.0.0.1:5999"


def test_dry_run_shows_a_prune_past_max_delete_with_a_warning(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    (site / "img/unused.png").unlink()
    publish(site, bucket, moto_server)
    result = publish(
        site, bucket, moto_server, "--prune-older-than", "0", "--max-delete", "1", "--dry-run", "--json"
    )
    assert result.exit_code == 0
    prune = json.loads(result.stdout)["plan"]["prune"]
    assert {"static/img/unused.png", *(k for k in prune if k.startswith("static/img/unused."))} <= set(prune)
    assert len(prune) == 3  # the image, its plain copy, the record of the release that had them
    assert "more than --max-delete 1" in result.stderr


def test_local_refuses_a_bucket_the_preview_does_not_serve(moto_server: MotoServer, site: Path) -> None:
    """A typo'd bucket used to get a bucket and a distribution of its own, which the
    preview (the reported cdn_domain) does not serve: every asset a 404."""
    from cdnpub.local.provision import ensure_local

    ensure_local(moto_server.url, "cdnpub-local-served", "127.0.0.1:5997")
    moto_server.reset_log()
    result = run_cli(
        "publish", str(site), "s3://cdnpub-local-typo/static", "--local", "--endpoint-url", moto_server.url
    )
    assert result.exit_code == 2
    assert "does not serve s3://cdnpub-local-typo" in result.stderr
    assert "cdnpub local --bucket cdnpub-local-typo" in result.stderr
    assert moto_server.writes() == []


def drop_most_of(site: Path) -> None:
    for name in (
        "css/app.css",
        "css/base.css",
        "js/app.js",
        "js/app.js.map",
        "img/icon.svg",
        "fonts/f.woff2",
    ):
        (site / name).unlink()


def test_publish_that_drops_most_of_the_live_release_stops_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    before = keys(moto_server, bucket)
    drop_most_of(site)
    moto_server.reset_log()
    result = publish(site, bucket, moto_server)
    assert result.exit_code == 2
    assert "drops 6 of the 9 paths the live release serves" in result.stderr
    assert "--allow-shrink" in result.stderr
    assert moto_server.site_writes() == [] and keys(moto_server, bucket) == before


def test_allow_shrink_publishes_the_smaller_build(moto_server: MotoServer, bucket: str, site: Path) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    drop_most_of(site)
    result = publish(site, bucket, moto_server, "--allow-shrink")
    assert result.exit_code == 0, result.output
    assert len(release_keys(moto_server, bucket)) == 2


def test_allow_shrink_reads_its_cdnpub_variable(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    drop_most_of(site)
    monkeypatch.setenv("CDNPUB_ALLOW_SHRINK", "1")
    assert publish(site, bucket, moto_server).exit_code == 0


def test_dry_run_of_a_shrink_warns_and_shows_the_plan(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    drop_most_of(site)
    result = publish(site, bucket, moto_server, "--dry-run", "--json")
    assert result.exit_code == 0
    assert any("drops 6 of the 9 paths" in w for w in json.loads(result.stdout)["warnings"])
