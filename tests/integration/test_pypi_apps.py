"""Real Flask applications from PyPI, at pinned versions (tests/support/pypi_apps.py):
`flask cdn publish --local` of the app as it ships, then a second publish that writes
nothing. Installing takes about a minute per app, so this runs under CI=true only."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.aws import MotoServer
from tests.support.pypi_apps import (
    FAB,
    FAB_APP,
    ONLY_IN_CI,
    TEILEN,
    TEILEN_APP,
    app_env,
    app_venv,
    flask_cdn,
)

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


# url_for in the app's own venv, with the manifest `flask cdn publish` wrote.
TEILEN_URLS = """
import json, sys
from app import app
from cdnpub.flask import CDN
app.config["CDN_DOMAIN"] = "cdn.test"
CDN(app)
with app.test_request_context("/"):
    print(json.dumps({name: app.url_for("static", filename=name) for name in sys.argv[1:]}))
"""


def test_teilen_create_react_app_build_keeps_every_bundler_name_byte_for_byte(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """teilen's static folder is a create-react-app build as it ships: the files its
    asset-manifest.json names keep their names and bytes, every other file is published,
    the manifest itself is read, not published, and url_for gives the kept names."""
    from cdnpub.local.provision import ensure_local

    python = app_venv(TEILEN)
    (tmp_path / "app.py").write_text(TEILEN_APP)
    ensure_local(moto_server.url, "pypi-teilen", "127.0.0.1:5982")
    result = flask_cdn(python, tmp_path, "publish", "--local", "--endpoint-url", moto_server.url, "--strict")
    assert result.returncode == 0, result.stderr[-2000:]
    client = Path(subprocess.run(
        [str(python), "-c", "import teilen, os; print(os.path.dirname(teilen.__file__))"],
        check=True, capture_output=True, text=True, env=app_env(),
    ).stdout.strip(), "client")  # fmt: skip
    shipped = {p.relative_to(client).as_posix(): p.read_bytes() for p in client.rglob("*") if p.is_file()}
    bundled = json.loads(shipped.pop("asset-manifest.json"))["entrypoints"]
    assets = json.loads((tmp_path / "cdnpub-manifest.json").read_text())["assets"]
    assert sorted(assets) == sorted(shipped)  # no file lost, the bundler manifest not published
    s3 = moto_server.client()
    for path in bundled:
        assert assets[path]["key"] == f"client/{path}"
        body = s3.get_object(Bucket="pypi-teilen", Key=f"client/{path}")["Body"].read()
        assert body == shipped[path]
    for entry in assets.values():
        s3.head_object(Bucket="pypi-teilen", Key=entry["key"])
    urls = subprocess.run(
        [str(python), "-c", TEILEN_URLS, *bundled],
        cwd=tmp_path, env=app_env(), capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert json.loads(urls) == {p: f"https://cdn.test/client/{p}" for p in bundled}
