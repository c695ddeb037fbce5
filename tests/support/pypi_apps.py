"""Real Flask applications from PyPI at pinned versions, each in a venv of its own under
the git-ignored `.cache/pypi-apps/` (issue 22's corpus), and `flask cdn` run in them."""

from __future__ import annotations

import os
import site
import subprocess
import venv
from pathlib import Path

import pytest

ONLY_IN_CI = pytest.mark.skipif(
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

# teilen: a Flask app whose static folder (`teilen/client`, served at /client) is a
# create-react-app build: `asset-manifest.json` ({"files": ..., "entrypoints": [...]}) and
# webpack's content-hashed `static/js/main.846640e5.js`, `static/css/main.563ecd1a.css`.
# Flask and gunicorn are all it needs: it installs in seconds.
TEILEN = "teilen==0.6.1"
TEILEN_APP = """
import contextlib, io, os
from teilen.app import app_factory
from teilen.config import AppConfig

class Config(AppConfig):
    WORKING_DIR = AppConfig.WORKING_DIR  # the current directory: the test's own
    CDN_MANIFEST = os.path.abspath("cdnpub-manifest.json")  # not in the installed package
    CDN_BUCKET = "pypi-teilen"

with contextlib.redirect_stdout(io.StringIO()):  # its welcome banner
    app = app_factory(Config())
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
    return subprocess.run(
        [str(python), "-c", RUN, *args],
        cwd=app_dir,
        env=app_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def app_env() -> dict[str, str]:
    """The environment of a process in an app's venv: no PYTHONPATH (the .pth file says it)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
