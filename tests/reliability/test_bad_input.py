"""Bad input: a one-line `cdnpub: ...` error, the contract's exit code, no traceback and no
write request at the server. Awkward but valid names publish and round-trip."""

from __future__ import annotations

import builtins
import json
import os
import unicodedata
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from flask import Flask, url_for

import cdnpub.cli
import cdnpub.sync.publish
from cdnpub.errors import UserError
from cdnpub.flask.extension import CDN
from tests.support.aws import MotoServer
from tests.support.bucket import bucket_writes, dangling, listing
from tests.support.cli import one_line_error, publish, run_cli
from tests.support.proxy import FaultProxy
from tests.support.trees import write_tree


def no_writes(moto_server: MotoServer) -> None:
    """Nothing written but the prefix's lease, which a refused publish took and gave up."""
    assert moto_server.site_writes() == [], moto_server.site_writes()


# --- the folder --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda root: root, "does not exist"),
        (
            lambda root: (root.parent.mkdir(parents=True, exist_ok=True), root.write_text("x"))[0],
            "is not a folder",
        ),
        (lambda root: root.mkdir(parents=True), "no file"),
        (lambda root: write_tree(root, {".env": "SECRET=1", ".git/config": "x"}), "no file"),
    ],
    ids=["missing", "a-file", "empty", "only-ignored-files"],
)
def test_unusable_folder_is_exit_2_before_any_write(
    moto_server: MotoServer, bucket: str, tmp_path: Path, make: Callable[[Path], Any], phrase: str
) -> None:
    root = tmp_path / "static"
    make(root)
    one_line_error(publish(root, bucket, moto_server), 2, phrase)
    no_writes(moto_server)


def test_unreadable_file_is_exit_2_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads any file whatever its mode, so the refusal is simulated at open().
    real_open = builtins.open
    target = str(site / "img/logo.png")

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    one_line_error(publish(site, bucket, moto_server), 2, "logo.png", "Permission denied")
    no_writes(moto_server)


@pytest.mark.parametrize(
    ("target", "phrase"),
    [("nowhere.png", "broken symlink"), ("../../outside.txt", "outside the static folder")],
    ids=["broken", "escaping"],
)
def test_bad_symlink_is_exit_2_naming_it(
    moto_server: MotoServer, bucket: str, site: Path, tmp_path: Path, target: str, phrase: str
) -> None:
    (tmp_path / "outside.txt").write_text("private")
    (site / "img/link.png").symlink_to(target)
    one_line_error(publish(site, bucket, moto_server), 2, "link.png", phrase)
    no_writes(moto_server)


def test_file_growing_between_scan_and_read_is_exit_2_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scan = cdnpub.cli.scan

    def scan_then_grow(*args: Any, **kwargs: Any) -> Any:
        found = real_scan(*args, **kwargs)
        with open(site / "css/base.css", "a") as f:
            f.write("/* still being written */")
        return found

    monkeypatch.setattr(cdnpub.cli, "scan", scan_then_grow)
    one_line_error(publish(site, bucket, moto_server), 2, "base.css", "changed")
    no_writes(moto_server)


def test_file_changing_between_build_and_upload_is_exit_2_and_never_published(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_build = cdnpub.cli.build

    def build_then_change(*args: Any, **kwargs: Any) -> Any:
        built = real_build(*args, **kwargs)
        (site / "img/icon.svg").write_text("<svg>edited</svg>")
        return built

    monkeypatch.setattr(cdnpub.cli, "build", build_then_change)
    one_line_error(publish(site, bucket, moto_server), 2, "icon.svg", "changed")
    stored = listing(moto_server, bucket)
    assert not any(k.startswith("static/img/icon.") for k in stored)
    assert not any("/.cdnpub/releases/" in k for k in stored)  # no record (the lease is bookkeeping)
    assert dangling(moto_server, bucket) == []


# --- names ---------------------------------------------------------------------------

AWKWARD = {
    "css/with space.css": "a{background:url('../img/a b#c.png')}",
    "img/a b#c.png": b"png-hash",
    "img/q?.svg": "<svg/>",
    "img/p+q.png": b"png-plus",
    "img/100%.png": b"png-percent",
    unicodedata.normalize("NFC", "img/ünïcødé-日本.png"): b"png-unicode",
    "dir with space/x.js": "x()",
}


def test_awkward_names_publish_and_round_trip_by_key_by_url_and_through_flask(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    root = write_tree(tmp_path / "static", AWKWARD)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    moto_server.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))  # anonymous GETs below
    moto_server.reset_log()
    result = publish(root, bucket, moto_server)
    assert result.exit_code == 0, result.output
    assets = json.loads(Path("cdnpub-manifest.json").read_text())["assets"]
    assert set(assets) == set(AWKWARD)
    stored = listing(moto_server, bucket)
    s3 = moto_server.client()
    for path, entry in assets.items():
        expected = AWKWARD[path]
        data = expected.encode() if isinstance(expected, str) and not path.endswith(".css") else expected
        for key in (entry["key"], entry["plain_key"]):
            assert key in stored, key
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            with urllib.request.urlopen(f"{moto_server.url}/{bucket}/{quote(key, safe='/')}") as resp:
                assert resp.read() == body, key
            if not path.endswith(".css"):
                assert body == data, key
    assert dangling(moto_server, bucket) == []

    app = Flask(__name__, static_folder=str(root))
    app.config.update(CDN_DOMAIN="cdn.example.com", CDN_MANIFEST=str(tmp_path / "cdnpub-manifest.json"))
    CDN(app)
    with app.test_request_context():
        for path, entry in assets.items():
            url = url_for("static", filename=path)
            assert url.startswith("https://cdn.example.com/"), url
            key = unquote(urlsplit(url).path).removeprefix("/")
            assert key == entry["key"] and key in stored, (path, url)


def test_names_equal_but_for_case_are_two_keys_and_a_warning(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    root = write_tree(tmp_path / "static", {"img/Logo.png": b"upper", "img/logo.png": b"lower"})
    result = publish(root, bucket, moto_server)
    assert result.exit_code == 0, result.output
    assert "differ only in case" in result.stderr
    stored = listing(moto_server, bucket)
    assert {"static/img/Logo.png", "static/img/logo.png"} <= set(stored)


def test_key_longer_than_s3_allows_is_exit_2_before_any_write(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    deep = "/".join(["d" * 250] * 4) + "/file.txt"  # over 1,024 bytes once prefixed
    root = write_tree(tmp_path / "static", {"ok.txt": "ok", deep: "deep"})
    one_line_error(publish(root, bucket, moto_server), 2, "1024 bytes")
    no_writes(moto_server)


# --- state found in the bucket or beside the app ----------------------------------------


def test_corrupt_manifest_is_a_clear_error_for_the_flask_hook(tmp_path: Path) -> None:
    manifest = tmp_path / "cdnpub-manifest.json"
    for garbage in (b"{not json", b'{"format": "something-else"}', b"\xff\xfe"):
        manifest.write_bytes(garbage)
        app = Flask(__name__)
        app.config.update(CDN_DOMAIN="cdn.example.com", CDN_MANIFEST=str(manifest))
        with pytest.raises(UserError, match="manifest") as caught:
            CDN(app)
        assert str(manifest) in str(caught.value)
        assert "\n" not in str(caught.value)


def test_corrupt_release_record_is_a_warning_and_the_publish_repairs(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    (record,) = [k for k in listing(moto_server, bucket) if "/.cdnpub/releases/" in k]
    moto_server.client().put_object(Bucket=bucket, Key=record, Body=b"\x1f\x8bgarbage")
    (site / "img/logo.png").write_bytes(b"\x89PNG-v2")
    result = publish(site, bucket, moto_server)
    assert result.exit_code == 0, result.output
    assert "is corrupt" in result.stderr and "Traceback" not in result.output
    assert dangling(moto_server, bucket) == []
    assert publish(site, bucket, moto_server).stderr == ""


# --- the destination and the account ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["bucket/static", "s3:/bucket", "s3://", "s3://Bad_Bucket!/x", "s3://bucket/../x", "s3://bucket/a//b"],
)
def test_bad_s3_url_is_exit_2(moto_server: MotoServer, site: Path, url: str) -> None:
    moto_server.reset_log()
    result = run_cli("publish", str(site), url, "--endpoint-url", moto_server.url)
    one_line_error(result, 2)
    no_writes(moto_server)


def test_no_credentials_is_exit_2(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    one_line_error(publish(site, bucket, moto_server), 2, "no AWS credentials found")
    no_writes(moto_server)


_SET_UPS = {
    "endpoint": (("--endpoint-url", "notaurl"), {}, "Invalid endpoint"),
    "half-credentials": ((), {"AWS_SECRET_ACCESS_KEY": None}, "incomplete AWS credentials"),
    "config-file": ((), {"AWS_CONFIG_FILE": "BROKEN"}, "cannot set up"),
    "max-attempts": ((), {"AWS_MAX_ATTEMPTS": "abc"}, "AWS_MAX_ATTEMPTS"),
}
_BAD_REGION = (("--region", "bad region!"), {}, "region")  # CloudFront's API is global


@pytest.mark.parametrize(
    ("command", "args", "env", "phrase"),
    [
        *[pytest.param(c, *v, id=f"{c}-{k}") for c in ("publish", "invalidate") for k, v in _SET_UPS.items()],
        pytest.param("publish", *_BAD_REGION, id="publish-region"),
    ],
)
def test_bad_client_set_up_is_exit_2(
    moto_server: MotoServer,
    bucket: str,
    site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    args: tuple[str, ...],
    env: dict[str, str | None],
    phrase: str,
) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        elif value == "BROKEN":
            broken = tmp_path / "aws-config"
            broken.write_text("[default\nregion = \n  = x\n")
            monkeypatch.setenv(name, str(broken))
        else:
            monkeypatch.setenv(name, value)
    endpoint = [] if "--endpoint-url" in args else ["--endpoint-url", moto_server.url]
    moto_server.reset_log()
    if command == "publish":
        result = run_cli("publish", str(site), f"s3://{bucket}/static", *endpoint, *args)
    else:
        result = run_cli("invalidate", "--distribution-id", "E1", "/x", *endpoint, *args)
    one_line_error(result, 2, phrase)
    no_writes(moto_server)


def test_no_such_bucket_is_exit_2(moto_server: MotoServer, site: Path) -> None:
    moto_server.reset_log()
    one_line_error(publish(site, "no-such-bucket-here", moto_server), 2, "does not exist")
    no_writes(moto_server)


@pytest.mark.parametrize(
    ("fault", "phrase"),
    [("403", "access denied to s3://"), ("301", "another region; pass --region")],
    ids=["access-denied", "wrong-region"],
)
def test_refusals_from_s3_are_exit_2_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path, fault: str, phrase: str
) -> None:
    with FaultProxy(moto_server.url) as proxy:
        proxy.rule = lambda seen: fault
        result = publish(site, bucket, proxy)
    one_line_error(result, 2, phrase, bucket)
    assert bucket_writes(moto_server, bucket) == []
    assert not any(s.is_write for s in proxy.seen)


def test_access_denied_on_writes_only_is_exit_2_and_leaves_nothing_dangling(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    """Credentials that may list and read but not write: the first PUT fails."""
    with FaultProxy(moto_server.url) as proxy:
        proxy.rule = lambda seen: "403" if seen.is_write else None
        result = publish(site, bucket, proxy)
    one_line_error(result, 2, "access denied")
    assert listing(moto_server, bucket) == {}


def test_two_releases_within_one_second_keep_the_newest_record_last(
    moto_server: MotoServer,
    new_bucket: Callable[[], str],
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Record keys hold the time to the second: a second release in the same second (a
    retried CI job, a clock behind) must still be the one the next publish finds."""
    frozen = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return frozen

    monkeypatch.setattr(cdnpub.sync.publish, "datetime", Clock)
    # Both orders: in one of them the newer release's id sorts before the older one's.
    for order in ((b"\x89PNG-v2", b"\x89PNG-v3"), (b"\x89PNG-v3", b"\x89PNG-v2")):
        target = new_bucket()
        for content in order:
            (site / "img/logo.png").write_bytes(content)
            assert publish(site, target, moto_server).exit_code == 0
        moto_server.reset_log()
        result = publish(site, target, moto_server)
        assert result.exit_code == 0
        assert moto_server.writes() == [] and "up to date" in result.output, order


# --- a hostile newest release record (issue 26 point 11) ---------------------------------

HOSTILE_RECORDS = {
    "nested": b"[" * 100_000 + b"]" * 100_000,
    "size-1e999": json.dumps(
        {"format": "cdnpub-release", "version": 1, "id": "x", "created": "2026-01-01T00:00:00Z",
         "prefix": "static", "manifest": {},
         "objects": {"static/a.css": {"sha256": "0", "etag": "e", "size": 1, "content_type": "t",
                                      "cache_control": "c", "headers": {}}}}
    ).replace('"size": 1', '"size": 1e999').encode(),
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE_RECORDS))
def test_a_hostile_newest_record_is_a_warning_in_publish_and_a_failed_check_in_doctor(
    moto_server: MotoServer, bucket: str, site: Path, name: str
) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    (record,) = [k for k in listing(moto_server, bucket) if "/.cdnpub/releases/" in k]
    moto_server.client().put_object(Bucket=bucket, Key=record, Body=HOSTILE_RECORDS[name])
    dry = publish(site, bucket, moto_server, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "is corrupt" in dry.stderr and "Traceback" not in dry.output
    found = run_cli("doctor", f"s3://{bucket}/static", "--endpoint-url", moto_server.url, "--json")
    assert found.exit_code == 3, found.output
    (check,) = [f for f in json.loads(found.stdout)["findings"] if f["check"] == "published.release-record"]
    assert check["status"] == "fail" and "is corrupt" in check["why"], check
    assert publish(site, bucket, moto_server).exit_code == 0  # and the next publish repairs
    assert run_cli("doctor", f"s3://{bucket}/static", "--endpoint-url", moto_server.url).exit_code != 2
