"""Transient and persistent faults between cdnpub and S3, through a fault-injecting proxy:
retries get a publish through, and a publish that cannot finish never leaves a plain-name
object or a release record pointing at a fingerprinted object that is not there."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.aws import MotoServer
from tests.support.bucket import dangling, listing, snapshot
from tests.support.cli import one_line_error, publish
from tests.support.proxy import FaultProxy, Seen
from tests.support.sites import RELIABILITY_SITE as SITE

BIG = 17 * 1024 * 1024  # past the 16 MiB multipart threshold: upload parts get faults too


def grow_site(site: Path) -> None:
    """A second release over the first: changed image (so both stylesheets change), a new
    font, a file big enough for a multipart upload."""
    (site / "img/logo.png").write_bytes(b"\x89PNG-logo-v2")
    (site / "fonts/g.woff2").write_bytes(b"wOF2-g")
    (site / "css/fonts.css").write_text("@font-face{font-family:G;src:url(../fonts/g.woff2)}\n")
    (site / "media").mkdir(exist_ok=True)
    (site / "media/big.bin").write_bytes(random.Random(7).randbytes(BIG))


def test_transient_faults_end_in_the_same_bucket_as_a_clean_publish(
    moto_server: MotoServer, new_bucket: Callable[[], str], site: Path
) -> None:
    clean, faulty = new_bucket(), new_bucket()
    assert publish(site, clean, moto_server).exit_code == 0
    grow_site(site)
    assert publish(site, clean, moto_server).exit_code == 0
    (site / "img/logo.png").write_bytes(b"\x89PNG-logo")
    (site / "fonts/g.woff2").unlink()
    (site / "css/fonts.css").unlink()
    (site / "media/big.bin").unlink()

    with FaultProxy(moto_server.url, seed=1234, rate=0.3) as proxy:
        first = publish(site, faulty, proxy)
        assert first.exit_code == 0, first.output
        grow_site(site)
        second = publish(site, faulty, proxy)
        assert second.exit_code == 0, second.output
    # Every kind of fault happened, and on writes too.
    assert {"500", "503", "reset", "reset-after", "delay"} <= set(proxy.injected), proxy.injected
    assert sum(proxy.injected.values()) >= 10
    assert any(s.method == "PUT" and "partNumber=" in s.path for s in proxy.seen)
    assert snapshot(moto_server, faulty) == snapshot(moto_server, clean)
    assert dangling(moto_server, faulty) == []


def test_one_attempt_does_not_survive_the_same_faults(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the test above: without botocore's retries the faults do fail it."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with FaultProxy(moto_server.url, seed=1234, rate=0.3, kinds=("500", "503")) as proxy:
        result = publish(site, bucket, proxy)
    one_line_error(result, 1)
    assert dangling(moto_server, bucket) == []


def _writes_to(bucket: str) -> Callable[[Seen], bool]:
    return lambda s: s.is_write and s.path.startswith(f"/{bucket}/")


@pytest.mark.parametrize("fault", ["500", "503", "reset"])
def test_persistent_fault_exits_1_with_the_reason_and_keeps_the_site_whole(
    moto_server: MotoServer, bucket: str, site: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    assert publish(site, bucket, moto_server).exit_code == 0
    grow_site(site)
    before = listing(moto_server, bucket)
    with FaultProxy(moto_server.url) as proxy:
        # The changed logo never goes in; everything else does.
        proxy.rule = lambda s: fault if s.method == "PUT" and "/img/logo." in s.path else None
        result = publish(site, bucket, proxy)
    reason = {"500": "InternalError", "503": "SlowDown", "reset": "static/img/logo."}[fault]
    one_line_error(result, 1, reason)
    assert dangling(moto_server, bucket) == []
    after = listing(moto_server, bucket)
    # This release's writes (cdnpub's own markers aside, which the re-run rewrites).
    landed = {k for k, etag in after.items() if before.get(k) != etag and "/.cdnpub/" not in k}
    assert landed and not any(k.startswith("static/img/logo.") for k in landed)

    moto_server.reset_log()
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    assert publish(site, bucket, moto_server).exit_code == 0
    resent = {r.path.split("/", 2)[2] for r in moto_server.uploads()} & landed
    assert resent == set()  # what landed is not uploaded again
    assert dangling(moto_server, bucket) == []
    assert Path("cdnpub-manifest.json").exists()


def test_an_outage_starting_at_any_request_never_breaks_the_live_site(
    moto_server: MotoServer,
    new_bucket: Callable[[], str],
    make_tree: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    full: bool,
) -> None:
    """The remote goes down for good at request N (every N of a full publish with --full,
    a seeded sample of them otherwise); then it comes back and one re-run converges to the
    bucket of a clean publish."""
    v1 = make_tree(SITE, "v1")
    v2 = make_tree(SITE, "v2")
    grow_site(v2)
    (v2 / "media/big.bin").unlink()  # keep each trial small
    reference = new_bucket()
    assert publish(v1, reference, moto_server).exit_code == 0
    with FaultProxy(moto_server.url) as proxy:
        assert publish(v2, reference, proxy).exit_code == 0
        total = len(proxy.seen)
    assert total >= 10
    clean = snapshot(moto_server, reference)

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    starts = range(total) if full else sorted(random.Random(5).sample(range(total), 4))
    for n in starts:
        bucket = new_bucket()
        assert publish(v1, bucket, moto_server).exit_code == 0
        with FaultProxy(moto_server.url) as proxy:
            proxy.rule = lambda s, start=n: "503" if len(proxy.seen) > start else None
            result = publish(v2, bucket, proxy)
        if result.exit_code != 0:
            one_line_error(result, 1, "SlowDown")
        assert dangling(moto_server, bucket) == [], n
        assert publish(v2, bucket, moto_server).exit_code == 0
        assert snapshot(moto_server, bucket) == clean, n
