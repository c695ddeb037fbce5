"""A real moto server on 127.0.0.1 (a free port), reached over HTTP through
endpoint_url, with a log of every request it saw."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from cdnpub.cli import cli
from cdnpub.local import Emulator, Request
from tests.conftest import write_tree


class MotoServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._log: list[Request] = []
        self.fail: Callable[[Request], int | None] = lambda request: None
        self.emulator = Emulator(on_request=self._record).start()
        self.url = self.emulator.url

    def _record(self, request: Request) -> int | None:
        with self._lock:
            self._log.append(request)
        return self.fail(request)

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    def writes(self) -> list[Request]:
        return [r for r in self.requests() if r.method in ("PUT", "POST", "DELETE")]

    def puts(self) -> list[Request]:
        return [r for r in self.requests() if r.method == "PUT"]

    def uploads(self) -> list[Request]:
        """PUTs that carry bytes (not CopyObject)."""
        return [r for r in self.puts() if not r.copy_source]

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def client(self, service: str = "s3") -> Any:
        return boto3.Session().client(service, endpoint_url=self.url, region_name="us-east-1")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.emulator.stop()


@pytest.fixture(autouse=True)
def no_faults(moto_server: MotoServer) -> Iterator[None]:
    yield
    moto_server.fail = lambda request: None


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.chdir(tmp_path)


_counter = iter(range(10**6))


@pytest.fixture
def bucket(moto_server: MotoServer) -> str:
    name = f"site-{next(_counter)}"
    moto_server.client().create_bucket(Bucket=name)
    moto_server.reset_log()
    return name


SITE = {
    "css/app.css": '@import "base.css";\n@font-face{font-family:F;src:url(../fonts/f.woff2) format("woff2")}\n'
    "header{background:url(../img/logo.png)}\n",
    "css/base.css": "body{margin:0}\n.icon{background:url(../img/icon.svg)}\n",
    "js/app.js": "console.log('hi');\n//# sourceMappingURL=app.js.map\n",
    "js/app.js.map": '{"version":3}',
    "img/logo.png": b"\x89PNG-logo",
    "img/icon.svg": "<svg/>",
    "img/unused.png": b"\x89PNG-unused",
    "fonts/f.woff2": b"wOF2-font",
    "vendor/lib-4f3a9c1d.js": "lib()",
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "static", SITE)


def run_cli(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def publish(site: Path, bucket: str, server: MotoServer, *extra: str) -> Result:
    return run_cli("publish", str(site), f"s3://{bucket}/static", "--endpoint-url", server.url, *extra)
