"""Nothing private leaves the machine: no dotfile or dot-folder is uploaded, keys stay
inside the prefix, credentials and signatures never reach output, logs or --json, and no
request asks for a public ACL."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask import Flask

from cdnpub.flask.commands import cdn_cli
from cdnpub.text import printable
from tests.support.aws import MotoServer
from tests.support.bucket import listing
from tests.support.cli import publish, run_cli
from tests.support.proxy import FaultProxy
from tests.support.sites import RELIABILITY_SITE as SITE
from tests.support.trees import write_tree

SECRETS = {
    ".env": "DATABASE_URL=postgres://secret",
    ".git/config": "[remote]",
    ".git/objects/ab/cdef": "blob",
    ".ssh/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----",
    "img/.secrets/token.txt": "token",
    "deep/er/.aws/credentials": "[default]",
    "css/.DS_Store": "junk",
    ".well-known/security.txt": "contact",
    ".cdnpubignore": "",
}


def test_no_dotfile_or_dot_folder_is_uploaded(moto_server: MotoServer, bucket: str, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "static", {**SITE, **SECRETS})
    assert publish(root, bucket, moto_server).exit_code == 0
    # cdnpub's own bookkeeping (release records, the prefix's lease) lives under .cdnpub/
    stored = [k for k in listing(moto_server, bucket) if not k.startswith("static/.cdnpub/")]
    assert stored
    leaked = [k for k in stored if any(seg.startswith(".") for seg in k.split("/"))]
    assert leaked == []
    assert not any(word in k for k in stored for word in ("env", "git", "id_rsa", "secrets", "credentials"))
    body = b"".join(
        moto_server.client().get_object(Bucket=bucket, Key=k)["Body"].read()
        for k in listing(moto_server, bucket)
    )
    assert b"BEGIN OPENSSH" not in body and b"postgres://secret" not in body


def test_keys_never_leave_the_prefix(moto_server: MotoServer, bucket: str, tmp_path: Path) -> None:
    names = {
        "a..b.css": "a{}",
        "...txt": "dots",
        "x/..y/z.js": "z()",
        "back\\..\\slash.txt": "b",
        " lead.txt": "s",
    }
    root = write_tree(tmp_path / "static", names)
    assert publish(root, bucket, moto_server).exit_code == 0
    for key in listing(moto_server, bucket):
        assert not key.startswith("/"), key
        assert key.startswith("static/"), key
        assert not {"", ".", ".."} & set(key.split("/")), key


FAKE_ID = "AKIAFAKEFAKE7XQ2ZZ"
FAKE_SECRET = "fAkE/SeCrEt+KeY/0123456789abcdefghijKLMN"
FAKE_TOKEN = "FaKeSeSsIoNtOkEn0987654321"


@pytest.mark.parametrize("extra", [[], ["--json"], ["--debug"], ["--debug", "--json"]])
def test_credentials_and_signatures_never_reach_output_logs_or_json(
    moto_server: MotoServer,
    bucket: str,
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    extra: list[str],
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", FAKE_TOKEN)
    caplog.set_level(logging.DEBUG)
    debug = ["--debug"] if "--debug" in extra else []  # an option of the group
    rest = [a for a in extra if a != "--debug"]
    with FaultProxy(moto_server.url) as proxy:
        args = ["publish", str(site), f"s3://{bucket}/static", "--endpoint-url", proxy.url, *rest]
        ok = run_cli(*debug, *args)
        (site / "img/logo.png").write_bytes(b"\x89PNG-v2")
        proxy.rule = lambda seen: "403" if seen.is_write else None  # an error path too
        denied = run_cli(*debug, *args)
    assert ok.exit_code == 0 and denied.exit_code == 2, ok.output + denied.output
    if debug:
        assert "Traceback" in denied.stderr  # --debug does show the expected error's traceback
    signatures = {
        h.split("Signature=")[1].strip()
        for s in proxy.seen
        if (h := s.header("Authorization") or "") and "Signature=" in h
    }
    assert signatures
    printed = ok.output + denied.output
    for secret in (FAKE_ID, FAKE_SECRET, FAKE_TOKEN, *signatures):
        assert secret not in printed
    # botocore's own DEBUG records carry the signed headers; anything at INFO and up, and
    # anything cdnpub logs, must not. The secret key never appears at all.
    for record in caplog.records:
        text = record.getMessage()
        assert FAKE_SECRET not in text
        if record.levelno >= logging.INFO or record.name.startswith("cdnpub"):
            for secret in (FAKE_ID, FAKE_TOKEN, *signatures):
                assert secret not in text, record.name


def test_no_request_asks_for_a_public_acl(moto_server: MotoServer, bucket: str, site: Path) -> None:
    with FaultProxy(moto_server.url) as proxy:
        assert publish(site, bucket, proxy).exit_code == 0
        (site / "img/logo.png").write_bytes(b"\x89PNG-v2")
        assert publish(site, bucket, proxy, "--prune-older-than", "0").exit_code == 0
    writes = [s for s in proxy.seen if s.is_write]
    assert writes
    for s in writes:
        assert not any(k.lower() == "x-amz-acl" or k.lower().startswith("x-amz-grant-") for k, _ in s.headers)
        assert "acl" not in s.path.split("?", 1)[-1].split("&") if "?" in s.path else True
    s3 = moto_server.client()
    for key in listing(moto_server, bucket):
        grants = s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert not any("AllUsers" in str(g.get("Grantee", {})) for g in grants), key


# --- a password in an endpoint URL is never printed (issue 26 point 7) -----------------

PASSWORDS = ["hunter2@sesame", "hunter2/sesame", "hunter2#sesame", "hunter2?sesame", "hun@ter2/sesame#?"]
BAD_ENDPOINTS = [
    "http://user:{pw}@127.0.0.1:99999",  # a bad port
    "ftp://user:{pw}@127.0.0.1:21",  # not http(s)
    "http://user:{pw}@127.0.0.1:4566/some/path",
]
FACES = [
    ("publish", "static", "s3://a-bucket"),
    ("publish", "static", "s3://a-bucket", "--json"),
    ("--debug", "publish", "static", "s3://a-bucket"),
    ("doctor", "s3://a-bucket"),
    ("invalidate", "--distribution-id", "E123", "/x"),
]


@pytest.mark.parametrize("face", FACES, ids=lambda f: " ".join(f))
@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("endpoint", BAD_ENDPOINTS)
def test_a_bad_endpoint_is_refused_without_its_userinfo_on_every_face(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, face: tuple[str, ...], password: str, endpoint: str
) -> None:
    write_tree(tmp_path / "static", {"a.css": "a{}"})
    monkeypatch.chdir(tmp_path)
    result = run_cli(*face, "--endpoint-url", endpoint.format(pw=password))
    assert result.exit_code == 2, result.output
    assert "Invalid endpoint '" in result.stderr and "://***@127.0.0.1:" in result.stderr
    for part in ("user:", "hunter2", "ter2", "sesame"):
        assert part not in result.output, part


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("see http://user:p@ss@127.0.0.1:4566/b", "see http://***@127.0.0.1:4566/b"),
        ("'http://user:pa/ss@h:1' refused", "'http://***@h:1' refused"),
        ("http://user:pa#ss?x@h/", "http://***@h/"),
        ("http://token@with@at@h/x", "http://***@h/x"),
        ("https://esm.sh/@scope/pkg", "https://esm.sh/@scope/pkg"),  # no userinfo: kept
    ],
)
def test_redaction_runs_to_the_authoritys_last_at(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_flask_cdn_checks_cdn_endpoint_url_as_the_flag_is_checked(tmp_path: Path) -> None:
    write_tree(tmp_path / "static", {"a.css": "a{}"})
    app = Flask("site", root_path=str(tmp_path))
    app.config.update(CDN_ENDPOINT_URL="http://user:p@ss/w#d@127.0.0.1:99999", CDN_BUCKET="b")
    result = app.test_cli_runner().invoke(cdn_cli, ["publish", "--dry-run"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "cdnpub: CDN_ENDPOINT_URL: Invalid endpoint 'http://***@127.0.0.1:99999': "
        "an endpoint URL has no path, query or fragment"
    )


# --- secrets the sniff finds are left out (issue 26 point 4) -----------------------------

OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE\n-----END OPENSSH PRIVATE KEY-----\n"


def test_a_sniffed_secret_is_never_uploaded_and_publish_json_says_why(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    secrets = {"keys/deploy_key": OPENSSH, "SERVER.KEY": "k", "App.db-wal": "pages"}
    root = write_tree(tmp_path / "static", {**SITE, **secrets})
    result = publish(root, bucket, moto_server, "--json")
    assert result.exit_code == 0, result.output
    stored = listing(moto_server, bucket)
    assert not any(word in k.lower() for k in stored for word in ("deploy_key", "server", "app.db"))
    body = b"".join(moto_server.client().get_object(Bucket=bucket, Key=k)["Body"].read() for k in stored)
    assert b"OPENSSH" not in body
    left = {(Path(g["path"]).name, g["why"]) for g in json.loads(result.stdout)["left_out"]}
    assert left == {
        ("deploy_key", "looks like a private key"),
        ("SERVER.KEY", "a name on the deny-list"),
        ("App.db-wal", "a name on the deny-list"),
    }
    summary = publish(root, bucket, moto_server, "--dry-run")
    assert "Left out 3 secrets:" in summary.stdout


@pytest.mark.parametrize("extra", [(), ("--json",), ("--debug",)])
@pytest.mark.parametrize("password", ["hun@ter2", "hunter2@sesame@x"])
def test_a_password_with_at_signs_in_a_working_endpoint_is_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...], password: str
) -> None:
    write_tree(tmp_path / "static", {"a.css": "a{}"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    url = f"http://user:{password}@127.0.0.1:9"  # a URL botocore takes; nothing listens there
    debug = ["--debug"] if "--debug" in extra else []
    rest = [a for a in extra if a != "--debug"]
    result = run_cli(*debug, "publish", "static", "s3://a-bucket", "--endpoint-url", url, *rest)
    assert result.exit_code == 1, result.output
    assert "http://***@127.0.0.1:9" in result.output
    for part in ("user:", "hun", "ter2", "sesame"):
        assert part not in result.output, part
