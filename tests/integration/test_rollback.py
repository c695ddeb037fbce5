"""`cdnpub rollback` and `flask cdn rollback` against the moto server: the plain-name
objects and headers of the earlier release restored by CopyObject (no byte uploaded),
a new record naming it, exactly the changed paths invalidated, the manifest written,
--json and the exit codes; nothing written by a dry run or a refusal."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cdnpub.flask.commands import cdn_cli
from tests.support.aws import MotoServer
from tests.support.cli import one_line_error, publish, run_cli
from tests.support.cloudfront import create_distribution, invalidation_paths
from tests.support.schemas import valid
from tests.support.sites import INTEGRATION_SITE as SITE
from tests.support.trees import write_tree

CHANGED = {"js/app.js": "console.log('B');\n", "css/base.css": "body{color:blue}"}
RESTORED = (*CHANGED, "css/app.css")  # it imports base.css: its fingerprinted reference changed


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _two_releases(tmp_path: Path, bucket: str, server: MotoServer, *extra: str) -> dict[str, bytes]:
    """Publish A (the site), then B (two files changed); A's plain-name bytes."""
    site = write_tree(tmp_path / "static", SITE)
    assert publish(site, bucket, server, *extra).exit_code == 0
    s3 = server.client()
    a = {p: s3.get_object(Bucket=bucket, Key=f"static/{p}")["Body"].read() for p in RESTORED}
    write_tree(site, CHANGED)
    assert publish(site, bucket, server, *extra).exit_code == 0
    server.reset_log()
    return a


def _rollback(bucket: str, server: MotoServer, *extra: str) -> Any:
    return run_cli("rollback", f"s3://{bucket}/static", "--endpoint-url", server.url, *extra)


def test_rollback_restores_the_plain_objects_by_copy_and_names_the_release_it_restores(
    tmp_path: Path, bucket: str, moto_server: MotoServer
) -> None:
    distribution = create_distribution(moto_server, bucket)
    a = _two_releases(tmp_path, bucket, moto_server, "--distribution-id", distribution)
    manifest = tmp_path / "m.json"
    doc = _json(_rollback(bucket, moto_server, "--json", "--distribution-id", distribution,
                          "--manifest", str(manifest)))  # fmt: skip
    s3 = moto_server.client()
    for path, body in a.items():
        got = s3.get_object(Bucket=bucket, Key=f"static/{path}")
        assert got["Body"].read() == body and got["CacheControl"] == "public, max-age=300", path
    uploads = moto_server.uploads()  # CopyObject only, then the record (a PUT with a body)
    assert len(uploads) == 1 and "/.cdnpub/releases/" in uploads[0].path
    writes = [r for r in moto_server.site_writes() if "/static/" in r.path and "/.cdnpub/" not in r.path]
    assert {r.path.split("/static/", 1)[1] for r in writes} == set(RESTORED) and all(
        r.copy_source for r in writes
    )
    assert not [r for r in moto_server.requests() if r.method == "DELETE"]
    valid(doc, "rollback")
    assert doc["rollback"]["from"] != doc["rollback"]["to"] == doc["release"]["id"]
    assert sorted(invalidation_paths(moto_server, distribution)[-1]) == sorted(
        f"/static/{p}" for p in RESTORED
    )
    assert (
        json.loads(manifest.read_text())["assets"]["js/app.js"]["sha256"]
        == hashlib.sha256(a["js/app.js"]).hexdigest()
    )
    listed = _json(run_cli("releases", f"s3://{bucket}/static", "--endpoint-url", moto_server.url, "--json"))
    live, b, first = listed["releases"]
    assert live["live"] and live["id"] == first["id"] and live["restores"]["id"] == first["id"]
    assert b["restores"] is None and live["changes"]["changed"] == 3


def test_a_dry_run_prints_the_plan_and_writes_nothing(
    tmp_path: Path, bucket: str, moto_server: MotoServer
) -> None:
    _two_releases(tmp_path, bucket, moto_server)
    doc = _json(_rollback(bucket, moto_server, "--dry-run", "--json"))
    valid(doc, "rollback")
    assert doc["dry_run"] and sorted(a["path"] for a in doc["plan"]["plain"]) == sorted(RESTORED)
    assert moto_server.writes() == []
    text = _rollback(bucket, moto_server, "--dry-run")
    assert text.exit_code == 0 and "nothing was written" in text.stdout and moto_server.writes() == []


def test_rollback_mistakes_are_one_line_and_exit_2_with_nothing_written(
    tmp_path: Path, bucket: str, moto_server: MotoServer
) -> None:
    _two_releases(tmp_path, bucket, moto_server)
    one_line_error(_rollback(bucket, moto_server, "ffffffff"), 2, "no release 'ffffffff'")
    one_line_error(_rollback(bucket, moto_server, "zz"), 2, "not a release id")
    s3 = moto_server.client()
    old = _json(run_cli("releases", f"s3://{bucket}/static", "--endpoint-url", moto_server.url, "--json"))
    first_id = old["releases"][1]["id"]
    gone = next(
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="static/js/")["Contents"]
        if o["Key"].startswith("static/js/app.") and o["Key"] != "static/js/app.js"
        and s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() != CHANGED["js/app.js"].encode()
    )  # fmt: skip
    s3.delete_object(Bucket=bucket, Key=gone)
    moto_server.reset_log()
    one_line_error(_rollback(bucket, moto_server, first_id[:8]), 2, "no longer holds 1 of its objects", gone)
    assert moto_server.writes() == []


@pytest.mark.parametrize("lease_wait", ["0"])
def test_a_rollback_beside_a_live_lease_exits_75(
    tmp_path: Path, bucket: str, moto_server: MotoServer, lease_wait: str
) -> None:
    _two_releases(tmp_path, bucket, moto_server)
    lease = {"format": "cdnpub-lease", "version": 1, "state": "held", "owner": "ci-host pid 7",
             "started": "2026-01-01T00:00:00Z", "expires": "2999-01-01T00:00:00Z", "record": "r",
             "pending": {}, "landed": False, "written": []}  # fmt: skip
    moto_server.client().put_object(Bucket=bucket, Key="static/.cdnpub/lease.json", Body=json.dumps(lease))
    moto_server.reset_log()
    one_line_error(_rollback(bucket, moto_server, "--lease-wait", lease_wait), 75, "ci-host pid 7")
    assert moto_server.writes() == []


def test_flask_cdn_rollback(tmp_path: Path, bucket: str, moto_server: MotoServer) -> None:
    root = tmp_path / "app"
    write_tree(root / "static", SITE)
    app = Flask("shop", root_path=str(root))
    app.config.update(CDN_BUCKET=bucket, CDN_ENDPOINT_URL=moto_server.url, CDN_MANIFEST=str(root / "m.json"))

    def flask_cdn(*args: str) -> Any:
        return app.test_cli_runner().invoke(cdn_cli, list(args))

    assert flask_cdn("publish").exit_code == 0
    first = (root / "m.json").read_text()
    write_tree(root / "static", CHANGED)
    assert flask_cdn("publish").exit_code == 0
    assert (root / "m.json").read_text() != first
    doc = _json(flask_cdn("rollback", "--json"))
    assert doc["rollback"]["already_live"] is False and doc["manifest"] == str(root / "m.json")
    assert json.loads((root / "m.json").read_text()) == json.loads(first)
    again = _json(flask_cdn("rollback", doc["rollback"]["to"][:6], "--json"))
    assert again["rollback"]["already_live"] is True
    missing = flask_cdn("rollback", "0000")
    assert missing.exit_code == 2 and "no release '0000'" in missing.output
