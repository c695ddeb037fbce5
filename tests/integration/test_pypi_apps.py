"""Real Flask applications from PyPI, at pinned versions, each in a venv of its own under
the git-ignored `.cache/pypi-apps/` (issue 22's corpus): `flask cdn publish --local` of
the app as it ships, then a second publish that writes nothing.

Installing takes about a minute per app, so this runs under CI=true (CI keeps the cache
between runs on the same machine) and is skipped locally."""

from __future__ import annotations

import json
import os
import site
import subprocess
import venv
from pathlib import Path

import pytest

from tests.support.aws import MotoServer

pytestmark = pytest.mark.skipif(
    os.environ.get("CI") != "true",
    reason="installs pinned apps from PyPI into .cache/pypi-apps (about a minute each): runs under CI=true",
)

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache/pypi-apps"

# Flask-AppBuilder: 17 blueprints, one static folder of vendored CSS/JS/fonts (62 files).
FAB = "flask-appbuilder==5.3.0"
FAB_APP = """
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_appbuilder import AppBuilder

app = Flask(__name__)
app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="x", CDN_MANIFEST="cdnpub-manifest.json",
                  CDN_BUCKET="pypi-fab")
db = SQLAlchemy(app)
with app.app_context():
    AppBuilder(app, db.session)
"""

# `flask cdn` without the entry point (cdnpub is not installed in the app's venv).
RUN = """
import sys
from cdnpub.flask.commands import cdn_cli
from app import app
result = app.test_cli_runner().invoke(cdn_cli, sys.argv[1:])
sys.stdout.write(result.stdout)
sys.stderr.write(result.stderr)
sys.exit(result.exit_code)
"""


def app_venv(requirement: str) -> Path:
    """A venv holding `requirement` and its dependencies, which win over cdnpub's: the
    repository and this interpreter's site-packages come after them (a .pth file)."""
    root = CACHE / requirement.replace("==", "-")
    python = root / "bin/python"
    if not (root / "installed").is_file():
        venv.create(root, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", requirement], check=True, timeout=600)
        own = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        Path(own, "cdnpub-tests.pth").write_text("\n".join([str(REPO), *site.getsitepackages()]) + "\n")
        (root / "installed").write_text(requirement)
    return python


def flask_cdn(python: Path, app_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(python), "-c", RUN, *args], cwd=app_dir, env=env, capture_output=True, text=True, timeout=300
    )


def test_flask_appbuilder_publishes_as_it_ships_and_settles(moto_server: MotoServer, tmp_path: Path) -> None:
    from cdnpub.local.provision import ensure_local

    python = app_venv(FAB)
    (tmp_path / "app.py").write_text(FAB_APP)
    ensure_local(moto_server.url, "pypi-fab", "127.0.0.1:5981")
    publish = ("publish", "--local", "--endpoint-url", moto_server.url, "--json")
    first = flask_cdn(python, tmp_path, *publish)
    assert first.returncode == 0, first.stderr[-2000:]
    assert json.loads(first.stdout)["result"]["uploaded"] > 60
    manifest = (tmp_path / "cdnpub-manifest.json").read_bytes()
    moto_server.reset_log()
    second = flask_cdn(python, tmp_path, *publish)
    assert second.returncode == 0, second.stderr[-2000:]
    assert json.loads(second.stdout)["result"]["uploaded"] == 0
    assert [r for r in moto_server.writes() if "/pypi-fab/" in r.path and "cdnpub" not in r.path] == []
    assert (tmp_path / "cdnpub-manifest.json").read_bytes() == manifest
