"""Every `flask cdn` command that touches the bucket takes its bucket, prefix and manifest
through one function (cdnpub.flask.commands.app_config, then publish_target): [tool.cdnpub]
`prefix` is used by each, a `manifest` other than CDN_MANIFEST stops each (exit 2), and a
bucket that does not exist is named as CDN_BUCKET by each. The runs are replaced by
recorders: what is checked is what each command would have touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cdnpub.errors import NoSuchBucket
from cdnpub.flask import commands
from cdnpub.flask.commands import cdn_cli
from tests.support.trees import write_tree

# command -> (the run it calls in cdnpub.flask.commands, where that run takes its prefix)
RUNS = {
    "plan": ("run_publish", lambda args: args[1].prefix),
    "publish": ("run_publish", lambda args: args[1].prefix),
    "doctor": ("run_doctor", lambda args: args[2]),
    "releases": ("run_releases", lambda args: args[2]),
    "diff": ("run_diff", lambda args: args[2]),
    "rollback": ("run_rollback", lambda args: args[0].prefix),
}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # [tool.cdnpub] of ./pyproject.toml: the test's own


def _app(root: Path) -> Flask:
    write_tree(root / "static", {"css/app.css": "a{}"})
    app = Flask("shop", root_path=str(root))
    app.config.update(CDN_BUCKET="shop-assets", CDN_ENDPOINT_URL="http://127.0.0.1:9")
    return app


def _record(
    monkeypatch: pytest.MonkeyPatch, command: str, seen: list[Any], error: Exception | None = None
) -> None:
    name, _ = RUNS[command]

    def run(*args: Any, **kwargs: Any) -> None:
        seen.append(args)
        if error is not None:
            raise error

    monkeypatch.setattr(commands, name, run)


@pytest.mark.parametrize("command", sorted(RUNS))
@pytest.mark.parametrize("how", ["pyproject", "env"])
def test_every_command_takes_the_shared_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, how: str
) -> None:
    app = _app(tmp_path / "app")
    if how == "pyproject":
        Path("pyproject.toml").write_text('[tool.cdnpub]\nprefix = "shop"\n')
    else:
        monkeypatch.setenv("CDNPUB_PREFIX", "shop")
    seen: list[Any] = []
    _record(monkeypatch, command, seen)
    result = app.test_cli_runner().invoke(cdn_cli, [command])
    assert result.exit_code == 0, result.output
    assert [RUNS[command][1](args) for args in seen] == ["shop"]


@pytest.mark.parametrize("command", sorted(RUNS))
def test_every_command_refuses_a_manifest_that_is_not_cdn_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    app = _app(tmp_path / "app")
    Path("pyproject.toml").write_text('[tool.cdnpub]\nmanifest = "other-app/cdnpub-manifest.json"\n')
    seen: list[Any] = []
    _record(monkeypatch, command, seen)
    result = app.test_cli_runner().invoke(cdn_cli, [command])
    assert result.exit_code == 2, result.output
    assert "is not the app's CDN_MANIFEST" in result.output
    assert seen == []


@pytest.mark.parametrize("command", sorted(RUNS))
def test_every_command_names_cdn_bucket_for_a_bucket_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    app = _app(tmp_path / "app")
    _record(monkeypatch, command, [], NoSuchBucket("shop-asets"))
    result = app.test_cli_runner().invoke(cdn_cli, [command])
    assert result.exit_code == 2
    assert "check CDN_BUCKET and" in result.output and "s3:// URL" not in result.output
