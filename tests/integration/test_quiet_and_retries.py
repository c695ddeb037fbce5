"""What a publish says (issue 24 point 6): `--quiet` keeps errors only with the exit codes
unchanged, and each retry botocore makes is a line in the log."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from flask import Flask

from cdnpub.flask.commands import cdn_cli
from cdnpub.local.emulator import Request
from tests.support.aws import MotoServer
from tests.support.cli import one_line_error, publish, run_cli
from tests.support.sites import INTEGRATION_SITE as SITE
from tests.support.trees import write_tree


@pytest.fixture
def warned(tmp_path: Path) -> Path:
    """A site whose build warns (a reference to a missing file)."""
    return write_tree(tmp_path / "warned", {"css/a.css": "a{background:url(gone.png)}", "r.txt": "r"})


def test_publish_quiet_prints_nothing_when_all_goes_well(
    moto_server: MotoServer, bucket: str, warned: Path
) -> None:
    loud = publish(warned, bucket, moto_server, "--dry-run")
    assert "warning: " in loud.stderr and loud.stdout  # what --quiet leaves out
    result = publish(warned, bucket, moto_server, "--quiet")
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("", "")
    assert any(
        o["Key"].endswith("a.css") for o in moto_server.client().list_objects_v2(Bucket=bucket)["Contents"]
    )


def test_quiet_from_the_environment_and_with_json(
    moto_server: MotoServer, bucket: str, warned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDNPUB_QUIET", "1")
    result = publish(warned, bucket, moto_server, "--json")
    assert result.exit_code == 0 and result.stderr == ""
    doc = json.loads(result.stdout)  # the document asked for is still printed, warnings in it
    assert doc["warnings"] and doc["result"]["uploaded"] == 4


def test_quiet_keeps_the_error_line_and_its_exit_code(moto_server: MotoServer, warned: Path) -> None:
    result = publish(warned, "no-such-bucket-here", moto_server, "--quiet")
    one_line_error(result, 2, "no-such-bucket-here")
    assert result.stdout == ""


def test_build_quiet_writes_the_manifest_and_says_nothing(warned: Path, tmp_path: Path) -> None:
    result = run_cli("build", str(warned), "--manifest", str(tmp_path / "m.json"), "-q")
    assert result.exit_code == 0 and (result.stdout, result.stderr) == ("", "")
    assert (tmp_path / "m.json").is_file()


def test_flask_cdn_publish_quiet(moto_server: MotoServer, bucket: str, tmp_path: Path) -> None:
    write_tree(tmp_path / "static", SITE)
    app = Flask("shop", root_path=str(tmp_path))
    app.config.update(CDN_BUCKET=bucket, CDN_ENDPOINT_URL=moto_server.url)
    result = app.test_cli_runner().invoke(cdn_cli, ["publish", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == ("", "")


def _slow_down_once(moto_server: MotoServer, bucket: str) -> None:
    """Every object's first PUT answers 503 SlowDown, as a throttled bucket does."""
    seen: set[str] = set()
    lock = threading.Lock()

    def fail(request: Request) -> int | None:
        if request.method != "PUT" or not request.path.startswith(f"/{bucket}/static/"):
            return None
        if "/.cdnpub/" in request.path or request.query:
            return None
        with lock:
            if request.path in seen:
                return None
            seen.add(request.path)
        return 503

    moto_server.fail = fail


def test_each_retry_is_one_line_naming_the_request_the_attempt_and_why(
    moto_server: MotoServer, bucket: str, warned: Path
) -> None:
    _slow_down_once(moto_server, bucket)
    result = publish(warned, bucket, moto_server)
    assert result.exit_code == 0, result.output
    retries = sorted(line for line in result.stderr.splitlines() if line.startswith("retrying "))
    assert len(retries) == 4, repr(result.stderr)  # two files, each a fingerprinted and a plain copy
    assert retries[0].startswith(f"retrying PutObject /{bucket}/static/")
    assert all(line.endswith(" (retry 1 of 4): SlowDown") for line in retries), retries


def test_quiet_hides_the_retries(moto_server: MotoServer, bucket: str, warned: Path) -> None:
    _slow_down_once(moto_server, bucket)
    result = publish(warned, bucket, moto_server, "--quiet")
    assert result.exit_code == 0 and result.stderr == ""
