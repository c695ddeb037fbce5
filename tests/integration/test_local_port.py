"""`--local` finds the emulator on the port `cdnpub local` listens on: CDNPUB_LOCAL_PORT
and `port` in [tool.cdnpub], one rule for both (issue 24 point 10)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from cdnpub.commands.local import emulator_port
from cdnpub.errors import UserError
from cdnpub.flask.commands import cdn_cli
from cdnpub.local.provision import ensure_local, local_client
from tests.support.aws import MotoServer
from tests.support.cli import one_line_error, run_cli
from tests.support.sites import INTEGRATION_SITE as SITE
from tests.support.trees import write_tree


def _port(server: MotoServer) -> int:
    port = urlsplit(server.url).port
    assert port is not None and port != 4566
    return port


def _keys(server: MotoServer, bucket: str) -> set[str]:
    pages = local_client("s3", server.url).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_publish_local_reaches_the_emulator_on_cdnpub_local_port(
    moto_server: MotoServer, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_local(moto_server.url, "port-from-env", "127.0.0.1:5990")  # as `cdnpub local` does
    monkeypatch.setenv("CDNPUB_LOCAL_PORT", str(_port(moto_server)))
    result = run_cli("publish", str(site), "s3://port-from-env/static", "--local", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cdn_domain"] == "127.0.0.1:5990"
    assert "static/css/app.css" in _keys(moto_server, "port-from-env")


def test_publish_local_reaches_the_emulator_on_the_pyproject_port(
    moto_server: MotoServer, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_local(moto_server.url, "port-from-pyproject", "127.0.0.1:5991")
    monkeypatch.delenv("CDNPUB_LOCAL_PORT", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(f"[tool.cdnpub]\nport = {_port(moto_server)}\n")
    result = run_cli("publish", str(site), "s3://port-from-pyproject/static", "--local")
    assert result.exit_code == 0, result.output
    assert "static/css/app.css" in _keys(moto_server, "port-from-pyproject")


def test_flask_cdn_publish_local_reaches_the_emulator_on_cdnpub_local_port(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_local(moto_server.url, "flask-port-from-env", "127.0.0.1:5992")
    monkeypatch.setenv("CDNPUB_LOCAL_PORT", str(_port(moto_server)))
    write_tree(tmp_path / "app/static", SITE)
    app = Flask("shop", root_path=str(tmp_path / "app"))
    app.config.update(CDN_BUCKET="flask-port-from-env", CDN_MANIFEST="build/manifest.json")
    result = app.test_cli_runner().invoke(cdn_cli, ["publish", "--local"])
    assert result.exit_code == 0, result.output
    assert "static/css/app.css" in _keys(moto_server, "flask-port-from-env")


def test_nothing_on_that_port_names_where_the_port_came_from(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _closed_port()
    monkeypatch.setenv("CDNPUB_LOCAL_PORT", str(port))
    result = run_cli("publish", str(site), "s3://cdnpub-local/static", "--local")
    one_line_error(
        result, 2, f"no emulator answers at http://127.0.0.1:{port} (port from CDNPUB_LOCAL_PORT='{port}')"
    )


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ("0", "CDNPUB_LOCAL_PORT='0': port 0 makes `cdnpub local` pick a free port"),
        ("http", "CDNPUB_LOCAL_PORT='http': a port is a whole number from 0 to 65535"),
        ("70000", "CDNPUB_LOCAL_PORT='70000': a port is a whole number from 0 to 65535"),
    ],
)
def test_a_port_local_cannot_use_is_one_line_exit_2(
    value: str, phrase: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDNPUB_LOCAL_PORT", value)
    one_line_error(run_cli("publish", str(site), "s3://cdnpub-local/static", "--local"), 2, phrase)


def test_the_port_rule_flag_then_variable_then_pyproject_then_4566(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CDNPUB_LOCAL_PORT", raising=False)
    assert emulator_port() == (4566, "the default")
    (tmp_path / "pyproject.toml").write_text("[tool.cdnpub]\nport = 4600\n")
    assert emulator_port() == (4600, "'port' in [tool.cdnpub] of pyproject.toml")
    monkeypatch.setenv("CDNPUB_LOCAL_PORT", "4700")
    assert emulator_port() == (4700, "CDNPUB_LOCAL_PORT='4700'")
    assert emulator_port(4800) == (4800, "--port")
    (tmp_path / "pyproject.toml").write_text('[tool.cdnpub]\nport = "4600"\n')
    monkeypatch.delenv("CDNPUB_LOCAL_PORT")
    with pytest.raises(UserError, match="'port' in .tool.cdnpub. of pyproject.toml: a port is"):
        emulator_port()


def test_cdnpub_local_and_publish_local_agree_on_cdnpub_local_port(site: Path) -> None:
    """The real pair: `cdnpub local` started with CDNPUB_LOCAL_PORT only, then a
    `publish --local` with the same environment and no --endpoint-url."""
    port = _closed_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CDNPUB_LOCAL_PORT": str(port)}
    command = [sys.executable, "-m", "cdnpub", "local", "--cdn-port", "0", "--bucket", "port-pair"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while not any("Ctrl-C" in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        assert re.search(rf"emulator at http://127\.0\.0\.1:{port},", "".join(lines))
        published = subprocess.run(
            [sys.executable, "-m", "cdnpub", "publish", str(site), "s3://port-pair/static", "--local"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert published.returncode == 0, published.stderr
        assert "uploaded" in published.stdout, published.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
