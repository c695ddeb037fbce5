"""Real Flask applications from PyPI, at pinned versions (tests/support/pypi_apps.py):
`flask cdn publish --local` of the app as it ships, then a second publish that writes
nothing. Installing takes about a minute per app, so this runs under CI=true only."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.aws import MotoServer
from tests.support.pypi_apps import FAB, FAB_APP, ONLY_IN_CI, app_venv, flask_cdn

pytestmark = ONLY_IN_CI


def test_flask_appbuilder_publishes_as_it_ships_and_settles(moto_server: MotoServer, tmp_path: Path) -> None:
    from cdnpub.local.provision import ensure_local

    python = app_venv(FAB)
    # A bucket of its own: the browser test publishes the same app to "pypi-fab" first.
    (tmp_path / "app.py").write_text(
        FAB_APP.replace('CDN_BUCKET="pypi-fab"', 'CDN_BUCKET="pypi-fab-settles"')
    )
    ensure_local(moto_server.url, "pypi-fab-settles", "127.0.0.1:5981")
    publish = ("publish", "--local", "--endpoint-url", moto_server.url, "--json")
    first = flask_cdn(python, tmp_path, *publish)
    assert first.returncode == 0, first.stderr[-2000:]
    assert json.loads(first.stdout)["result"]["uploaded"] > 60
    manifest = (tmp_path / "cdnpub-manifest.json").read_bytes()
    moto_server.reset_log()
    second = flask_cdn(python, tmp_path, *publish)
    assert second.returncode == 0, second.stderr[-2000:]
    assert json.loads(second.stdout)["result"]["uploaded"] == 0
    assert [
        r for r in moto_server.writes() if "/pypi-fab-settles/" in r.path and "cdnpub" not in r.path
    ] == []
    assert (tmp_path / "cdnpub-manifest.json").read_bytes() == manifest
