"""What `cdnpub rollback` says and writes beside the rollback itself, against the moto
server: no default manifest when nothing changed, the time a release was first published,
a named release that is no longer there, the CDN that keeps caching without a distribution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import MotoServer
from tests.support.cli import publish, run_cli
from tests.support.sites import INTEGRATION_SITE as SITE
from tests.support.trees import write_tree

CHANGED = {"js/app.js": "console.log('B');\n"}


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path


def _publish_a_then_b(tmp_path: Path, bucket: str, server: MotoServer) -> Path:
    site = write_tree(tmp_path / "static", SITE)
    assert publish(site, bucket, server).exit_code == 0
    write_tree(site, CHANGED)
    assert publish(site, bucket, server).exit_code == 0
    return site


def _rollback(bucket: str, server: MotoServer, *extra: str) -> Any:
    return run_cli("rollback", f"s3://{bucket}/static", "--endpoint-url", server.url, *extra)


def test_a_rollback_that_changes_nothing_writes_no_manifest_it_was_not_told_to(
    in_tmp: Path, bucket: str, moto_server: MotoServer
) -> None:
    _publish_a_then_b(in_tmp, bucket, moto_server)
    done = _rollback(bucket, moto_server, "--json")
    assert done.exit_code == 0, done.output
    to = json.loads(done.stdout)["rollback"]["to"]
    assert json.loads(Path("cdnpub-manifest.json").read_text())["assets"]  # it changed the bucket
    Path("cdnpub-manifest.json").write_text("another app's manifest")
    again = _rollback(bucket, moto_server, to[:8])
    assert again.exit_code == 0 and "live already" in again.stdout
    assert "No manifest written" in again.stdout
    assert Path("cdnpub-manifest.json").read_text() == "another app's manifest"
    named = _rollback(bucket, moto_server, to[:8], "--manifest", "cdnpub-manifest.json")
    assert named.exit_code == 0 and "Manifest of that release written to" in named.stdout
    assert json.loads(Path("cdnpub-manifest.json").read_text())["assets"]
