"""cdnpub.local: the CDN preview over a real emulator on a free port, ensure_local,
and the `cdnpub local` command's start-up and shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cdnpub.errors import UserError
from cdnpub.local.emulator import Emulator, from_local_client
from cdnpub.local.preview import PreviewServer
from cdnpub.local.provision import LocalTarget, ensure_local, local_client, pick_local

BUCKET = "preview-test"
KEY = "static/css/app.3f2a1b9c0d.css"
BODY = b"body{margin:0}\n"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as server:
        yield server


@pytest.fixture(scope="module")
def s3(emulator: Emulator) -> Any:
    client = local_client("s3", emulator.url)
    client.create_bucket(Bucket=BUCKET)
    client.put_object(
        Bucket=BUCKET,
        Key=KEY,
        Body=BODY,
        ContentType="text/css; charset=utf-8",
        CacheControl="public, max-age=31536000, immutable",
        Metadata={"origin": "cdnpub"},
    )
    return client


@pytest.fixture(scope="module")
def cdn(emulator: Emulator, s3: Any) -> Iterator[str]:
    with PreviewServer(emulator.url, BUCKET) as preview:
        yield preview.url


def test_get_serves_the_bytes_with_the_stored_headers(cdn: str, s3: Any) -> None:
    stored = s3.head_object(Bucket=BUCKET, Key=KEY)
    r = requests.get(f"{cdn}/{KEY}", timeout=5)
    assert r.status_code == 200
    assert r.content == BODY
    assert r.headers["Content-Type"] == "text/css; charset=utf-8"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["ETag"] == stored["ETag"]
    assert r.headers["Content-Length"] == str(len(BODY))


def test_get_passes_user_metadata_on(cdn: str) -> None:
    assert requests.get(f"{cdn}/{KEY}", timeout=5).headers["x-amz-meta-origin"] == "cdnpub"


def test_if_none_match_with_the_etag_answers_304_without_body(cdn: str) -> None:
    etag = requests.head(f"{cdn}/{KEY}", timeout=5).headers["ETag"]
    r = requests.get(f"{cdn}/{KEY}", headers={"If-None-Match": f'"other", W/{etag}'}, timeout=5)
    assert r.status_code == 304
    assert r.content == b""
    assert (r.headers["ETag"], r.headers["Cache-Control"]) == (etag, "public, max-age=31536000, immutable")


def test_if_none_match_with_another_etag_answers_200(cdn: str) -> None:
    r = requests.get(f"{cdn}/{KEY}", headers={"If-None-Match": '"stale"'}, timeout=5)
    assert (r.status_code, r.content) == (200, BODY)


def test_missing_key_answers_404(cdn: str) -> None:
    assert requests.get(f"{cdn}/static/nope.css", timeout=5).status_code == 404


def test_root_answers_404(cdn: str) -> None:
    assert requests.get(f"{cdn}/", timeout=5).status_code == 404


@pytest.mark.parametrize("path", [KEY, "static/nope.css"])
def test_every_answer_allows_any_origin(cdn: str, path: str) -> None:
    r = requests.get(f"{cdn}/{path}", headers={"Origin": "http://127.0.0.1:5000"}, timeout=5)
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_head_gives_the_headers_without_the_body(cdn: str) -> None:
    r = requests.head(f"{cdn}/{KEY}", timeout=5)
    assert (r.status_code, r.content) == (200, b"")
    assert r.headers["Content-Type"] == "text/css; charset=utf-8"
    assert r.headers["Content-Length"] == str(len(BODY))


def test_options_answers_the_cors_preflight(cdn: str) -> None:
    r = requests.options(
        f"{cdn}/{KEY}",
        headers={
            "Origin": "http://127.0.0.1:5000",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
        timeout=5,
    )
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Allow-Headers"] == "range"


def test_writes_are_refused(cdn: str) -> None:
    assert requests.put(f"{cdn}/{KEY}", data=b"x", timeout=5).status_code == 405


def test_keys_with_spaces_and_plus_signs_are_served(cdn: str, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="static/img/my photo+1.png", Body=b"png", ContentType="image/png")
    r = requests.get(f"{cdn}/static/img/my%20photo%2B1.png", timeout=5)
    assert (r.status_code, r.content) == (200, b"png")


def test_a_literal_plus_is_read_as_a_space_as_s3_reads_it(cdn: str, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="static/img/a b.png", Body=b"space", ContentType="image/png")
    s3.put_object(Bucket=BUCKET, Key="static/img/a+b.png", Body=b"plus", ContentType="image/png")
    assert requests.get(f"{cdn}/static/img/a+b.png", timeout=5).content == b"space"
    assert requests.get(f"{cdn}/static/img/a%2Bb.png", timeout=5).content == b"plus"


def test_ensure_local_creates_the_bucket_and_a_distribution_on_it(emulator: Emulator) -> None:
    distribution_id = ensure_local(emulator.url, "fresh-bucket", "127.0.0.1:4567")
    local_client("s3", emulator.url).head_bucket(Bucket="fresh-bucket")
    config = local_client("cloudfront", emulator.url).get_distribution(Id=distribution_id)
    origins = config["Distribution"]["DistributionConfig"]["Origins"]["Items"]
    assert [o["DomainName"] for o in origins] == ["fresh-bucket.s3.amazonaws.com"]


def test_ensure_local_twice_returns_the_same_distribution(emulator: Emulator) -> None:
    first = ensure_local(emulator.url, "twice-bucket", "127.0.0.1:4567")
    assert ensure_local(emulator.url, "twice-bucket", "127.0.0.1:4999") == first
    pages = local_client("cloudfront", emulator.url).get_paginator("list_distributions").paginate()
    items = [i for page in pages for i in page["DistributionList"].get("Items", [])]
    assert [i["Comment"].startswith("cdnpub-local twice-bucket") for i in items].count(True) == 1


def test_ensure_local_ignores_a_profile_that_does_not_exist(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """localstack #6912: a real account's AWS_PROFILE, not on this machine, broke the emulator."""
    monkeypatch.setenv("AWS_PROFILE", "work-account-not-on-this-laptop")
    assert ensure_local(emulator.url, "profile-bucket", "127.0.0.1:4567")


def test_ensure_local_without_an_emulator_is_a_user_error() -> None:
    with Emulator() as gone:
        url = gone.url
    with pytest.raises(UserError, match="no emulator answers"):
        ensure_local(url, "any-bucket", "127.0.0.1:4567")


PREVIEWED = {"E1": "cdnpub-local cdnpub-local: preview at http://127.0.0.1:4567/"}


def test_pick_local_finds_the_distribution_the_preview_serves() -> None:
    assert pick_local("cdnpub-local", PREVIEWED) == LocalTarget("E1", "127.0.0.1:4567")


def test_pick_local_refuses_a_bucket_the_preview_does_not_serve() -> None:
    """A typo'd bucket would land where the preview answers 404 (issue 12, point 5)."""
    with pytest.raises(UserError) as err:
        pick_local("my-site-assets", PREVIEWED)
    message = str(err.value)
    assert "does not serve s3://my-site-assets" in message
    assert "http://127.0.0.1:4567/ serves s3://cdnpub-local" in message
    assert "cdnpub local --bucket my-site-assets" in message


def test_pick_local_without_a_preview_reuses_the_buckets_own_distribution() -> None:
    comments = {"E2": "something else", "E3": "cdnpub-local plain-bucket"}
    assert pick_local("plain-bucket", comments) == LocalTarget("E3", None)


def test_pick_local_without_any_distribution_asks_for_a_new_one() -> None:
    assert pick_local("fresh", {}) == LocalTarget(None, None)


def _read_lines(proc: subprocess.Popen[str], into: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        into.append(line)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_local_command_prints_its_settings_and_stops_on_signal(sig: signal.Signals) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "cdnpub.local", "--port", "0", "--cdn-port", "0"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    lines: list[str] = []
    reader = threading.Thread(target=_read_lines, args=(proc, lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 20
        while not any("Ctrl-C" in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        text = "".join(lines)
        assert "--endpoint-url http://127.0.0.1:" in text
        assert "CDN_DOMAIN=127.0.0.1:" in text and "CDN_HTTPS=False" in text
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        reader.join(timeout=5)
        assert lines[-1].strip() == "cdnpub local: stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_emulator_finds_the_backend_of_a_host_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto.backends

    calls = []
    listing = moto.backends.list_of_moto_modules

    def counted() -> Any:
        calls.append(1)
        return listing()

    monkeypatch.setattr(moto.backends, "list_of_moto_modules", counted)
    with Emulator() as server:
        client = local_client("s3", server.url)
        client.create_bucket(Bucket="dispatch-test")
        for n in range(5):
            client.put_object(Bucket="dispatch-test", Key=f"k{n}", Body=b"x")
        assert len(client.list_objects_v2(Bucket="dispatch-test")["Contents"]) == 5
    assert len(calls) == 1


def test_ensure_local_notes_a_preview_that_moved(emulator: Emulator) -> None:
    """`cdnpub local` on another --cdn-port against the same emulator: --local must find
    the preview where it is now."""
    from cdnpub.local.provision import find_local

    first = ensure_local(emulator.url, "moved-bucket", "127.0.0.1:4567")
    assert ensure_local(emulator.url, "moved-bucket", "127.0.0.1:4999") == first
    assert find_local(emulator.url, "moved-bucket") == LocalTarget(first, "127.0.0.1:4999")


# --- the emulator answers local clients only (issue 26 point 9) -----------------------------


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("OPTIONS", {"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}),
        ("PUT", {"Origin": "https://evil.example"}),
        ("PUT", {"Origin": "null"}),  # a sandboxed frame or a file:// page
        ("PUT", {"Origin": "http://127.0.0.1:5000"}),  # the developer's own app: a web page too
        ("DELETE", {"Origin": "https://evil.example"}),
        ("PUT", {"Host": "evil.example:4566"}),  # DNS rebinding: same-origin to the page
        ("GET", {"Origin": "https://evil.example"}),
    ],
)
def test_a_web_page_cannot_write_or_read_through_the_emulator(
    emulator: Emulator, s3: Any, method: str, headers: dict[str, str]
) -> None:
    answer = requests.request(
        method, f"{emulator.url}/{BUCKET}/{KEY}", data=b"pwned", headers=headers, timeout=10
    )
    assert answer.status_code == 403
    assert not any(h.lower().startswith("access-control-") for h in answer.headers)
    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == BODY  # untouched


def test_a_local_client_without_origin_is_still_served(emulator: Emulator, s3: Any) -> None:
    key = "static/curl.txt"
    assert requests.put(f"{emulator.url}/{BUCKET}/{key}", data=b"x", timeout=10).status_code == 200
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"x"
    s3.delete_object(Bucket=BUCKET, Key=key)


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1:4566", True),
        ("localhost:4566", True),
        ("LOCALHOST", True),
        ("cdnpub-local.localhost:4566", True),
        ("[::1]:4566", True),
        ("evil.example:4566", False),
        ("127.0.0.1.evil.example", False),
        ("localhost.evil.example:4566", False),
    ],
)
def test_only_loopback_names_are_local_hosts(host: str, local: bool) -> None:
    assert from_local_client({"HTTP_HOST": host}) is local
