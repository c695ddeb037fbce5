"""Integration tests run cdnpub against the shared moto server (tests/conftest.py)
over HTTP: a bucket per test, an example site, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cdnpub.cli import cli
from tests.conftest import MotoServer, write_tree

__all__ = ["SITE", "MotoServer", "publish", "run_cli", "write_tree"]


@pytest.fixture(autouse=True)
def isolated(fake_aws: None, server_without_faults: MotoServer) -> None:
    """Every integration test: fake credentials, its own directory, no leftover fault."""


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
