"""Ctrl-C and SIGTERM during a publish: one line saying in which step it stopped and
what landed, exit 130 (SIGINT) or 143 (SIGTERM), the site whole, and the same command
finishing the publish."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from cdnpub.aws.s3 import S3Store
from cdnpub.commands.output import interrupted_line
from tests.support.aws import MotoServer
from tests.support.bucket import dangling, keys, newest_release
from tests.support.cli import one_line_error, publish, run_cli, run_main

pytestmark = pytest.mark.usefixtures("isolated")


def _interrupt_uploads(monkeypatch: pytest.MonkeyPatch, how: Any) -> None:
    """The first upload stops the publish as a person or a CI runner would."""
    real = S3Store.upload

    def upload(self: S3Store, blob: Any) -> Any:
        if blob.key.endswith(".css"):
            how()
        return real(self, blob)

    monkeypatch.setattr(S3Store, "upload", upload)


def _ctrl_c() -> None:
    raise KeyboardInterrupt


def test_ctrl_c_during_uploads_says_what_landed_and_exits_130(
    site: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = S3Store.upload
    _interrupt_uploads(monkeypatch, _ctrl_c)
    result = publish(site, bucket, moto_server)
    one_line_error(
        result,
        130,
        "interrupted (Ctrl-C) during the fingerprinted step",
        "the live site is unchanged",
        "run the same command again to finish it",
    )
    assert "Aborted" not in result.output
    assert newest_release(moto_server, bucket) is None  # no record claims a half release
    assert dangling(moto_server, bucket) == []
    monkeypatch.setattr(S3Store, "upload", real)
    finished = publish(site, bucket, moto_server)
    assert finished.exit_code == 0, finished.output
    assert newest_release(moto_server, bucket) is not None
    assert any(key.endswith(".css") for key in keys(moto_server, bucket))


def test_sigterm_during_uploads_exits_143_with_the_same_line(
    site: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancelled CI job: the signal reaches the main thread while a worker uploads."""
    _interrupt_uploads(monkeypatch, lambda: os.kill(os.getpid(), signal.SIGTERM))
    result = publish(site, bucket, moto_server)
    one_line_error(result, 143, "interrupted (SIGTERM) during the fingerprinted step")
    assert newest_release(moto_server, bucket) is None
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handed back


def test_ctrl_c_before_any_write_says_nothing_was_written(
    site: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """As the console script runs it: not click's "Aborted!" and exit 1 (a remote failure)."""

    def listing(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(S3Store, "listing", listing)
    monkeypatch.setattr(S3Store, "get_bytes", listing)
    code, err = run_main(
        capsys, monkeypatch, "publish", str(site), f"s3://{bucket}/static", "--endpoint-url", moto_server.url
    )
    assert code == 130
    assert err.strip().splitlines()[-1].startswith("cdnpub: interrupted (Ctrl-C)")
    assert "the live site is unchanged" in err
    assert keys(moto_server, bucket) == set()


@pytest.mark.parametrize(
    ("where", "phrase"),
    [
        ("plain", "the live site is consistent"),
        ("release", "the release record may not be written"),
        ("invalidate", "the CDN invalidation may not be sent"),
        ("done", "the manifest may not be written"),
    ],
)
def test_every_later_step_says_what_landed(where: str, phrase: str) -> None:
    line = interrupted_line(where, 143)
    assert line.startswith(f"interrupted (SIGTERM) during the {where} step: ")
    assert phrase in line and line.endswith("run the same command again to finish it")


def test_an_interrupt_while_waiting_for_another_publishs_lease_has_nothing_to_finish() -> None:
    line = interrupted_line("wait", 143)
    assert "waiting for another publish's lease; nothing was written" in line
    assert "run the same command again" not in line


def test_flask_cdn_publish_says_the_same_and_exits_130(
    tmp_path: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask import Flask

    from cdnpub.flask.commands import cdn_cli
    from tests.support.trees import write_tree

    write_tree(tmp_path / "static", {"css/a.css": "a{}", "js/b.js": "b()"})
    app = Flask("shop", root_path=str(tmp_path))
    app.config.update(CDN_BUCKET=bucket, CDN_ENDPOINT_URL=moto_server.url)
    _interrupt_uploads(monkeypatch, _ctrl_c)
    result = app.test_cli_runner().invoke(cdn_cli, ["publish", "--json"])
    assert result.exit_code == 130, result.output
    assert result.stdout == ""  # no half JSON document
    assert "cdnpub: interrupted (Ctrl-C) during the fingerprinted step" in result.stderr
    assert newest_release(moto_server, bucket) is None
    assert not (tmp_path / "cdnpub-manifest.json").exists()  # the app gets no manifest of a half release


def test_the_rerun_after_the_fingerprinted_step_says_it_finishes_and_fixes_no_header(
    site: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped once every fingerprinted object landed: the re-run reads their headers
    back (no record vouches for them yet) instead of copying each in place."""
    real = S3Store.upload

    def upload(self: S3Store, blob: Any) -> Any:
        if blob.plain:
            raise KeyboardInterrupt
        return real(self, blob)

    monkeypatch.setattr(S3Store, "upload", upload)
    stopped = publish(site, bucket, moto_server)
    one_line_error(stopped, 130, "interrupted (Ctrl-C) during the plain step")
    monkeypatch.setattr(S3Store, "upload", real)
    moto_server.reset_log()
    finished = publish(site, bucket, moto_server)
    assert finished.exit_code == 0, finished.output
    lines = finished.stdout.strip().splitlines()
    assert lines[0].startswith(f"Published to s3://{bucket}/static in ")
    assert ": 8 uploaded (336 B), 0 header fixes, 9 skipped, 0 deleted; release " in lines[0]
    assert lines[1] == (
        "This finished a publish that stopped half-way: every object compared with the bucket, "
        "the headers of what that publish may have written read back."
    )
    assert not [r for r in moto_server.requests() if r.copy_source]  # no copy in place
    heads = [r for r in moto_server.requests() if r.method == "HEAD" and "/static/" in r.path]
    assert len(heads) == 9  # one read for each fingerprinted object the stopped publish wrote
    again = publish(site, bucket, moto_server)
    assert again.exit_code == 0 and "up to date" in again.stdout
    assert "half-way" not in again.stdout


def test_ctrl_c_during_a_rollback_says_what_a_rollback_left_and_the_same_command_finishes_it(
    site: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(site, bucket, moto_server)
    (site / "css/app.css").write_text("body{color:teal}")
    publish(site, bucket, moto_server)
    real = S3Store.copy

    def copy(self: S3Store, blob: Any, source: str) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(S3Store, "copy", copy)
    args = ("rollback", f"s3://{bucket}/static", "--endpoint-url", moto_server.url)
    one_line_error(
        run_cli(*args),
        130,
        "interrupted (Ctrl-C) during the plain step",
        "some plain-name copies were restored",
        "run the same command again to finish it",
    )
    monkeypatch.setattr(S3Store, "copy", real)
    assert run_cli(*args).exit_code == 0
    assert dangling(moto_server, bucket) == []
