"""A real Flask application from PyPI (tests/support/pypi_apps.py), published with
`flask cdn publish --local`, served by its own venv's Python with CDN_DOMAIN on the CDN
preview, and loaded in Chromium: no failed request, and no static file from the app
server that the CDN holds. CI=true only (the install takes about a minute)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cdnpub.local.preview import PreviewServer
from cdnpub.local.provision import ensure_local
from tests.browser.pages import open_page
from tests.support.aws import MotoServer
from tests.support.pypi_apps import FAB, FAB_APP, ONLY_IN_CI, app_env, app_venv, flask_cdn

pytestmark = [pytest.mark.browser, ONLY_IN_CI]

SERVE = """
import sys
from cdnpub.flask.extension import CDN
from app import app
app.config.update(CDN_DOMAIN=sys.argv[1], CDN_HTTPS=False)
CDN(app)
app.run(host="127.0.0.1", port=int(sys.argv[2]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fab_site(moto_server: MotoServer, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the app's URL, the CDN preview's URL) of Flask-AppBuilder, published."""
    python = app_venv(FAB)
    (tmp_path / "app.py").write_text(FAB_APP)
    with PreviewServer(moto_server.url, "pypi-fab") as preview:
        ensure_local(moto_server.url, "pypi-fab", preview.domain)
        published = flask_cdn(python, tmp_path, "publish", "--local", "--endpoint-url", moto_server.url)
        assert published.returncode == 0, published.stderr[-2000:]
        port = free_port()
        log = tmp_path / "app.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [str(python), "-c", SERVE, preview.domain, str(port)], cwd=tmp_path, env=app_env(),
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(url, server, log)
            yield url, preview.url
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """The app answers: up to 120 s on a loaded machine (its start imports SQLAlchemy and
    makes its database); an app that exited, or never answered, fails with its log."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(url + "/", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the app never answered at {url}: {log.read_text(errors='replace')[-2000:]}")


def test_flask_appbuilder_loads_every_asset_from_the_cdn(browser: Any, fab_site: tuple[str, str]) -> None:
    app_url, cdn_url = fab_site
    with open_page(browser, app_url + "/") as page:
        page.wait_until_idle()
        errors = [e for e in page.errors if not e.endswith("/favicon.ico)")]  # the app has none
        assert page.failures == [] and errors == []
        urls = [url for url, _ in page.requests]
        from_cdn = [u for u in urls if u.startswith(cdn_url + "/")]
        assert len(from_cdn) >= 10, urls
        static_from_app = [
            u for u in urls if u.startswith(app_url) and ("/static/" in u or "/appbuilder/" in u)
        ]
        assert static_from_app == []
