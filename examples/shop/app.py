"""The example shop: a Flask app whose static files (and its admin blueprint's) are
served from the CDN by cdnpub.

    flask --app examples/shop/app:create_app run

Config comes from the environment: CDN_DOMAIN (unset: Flask serves the files itself),
CDN_HTTPS, CDN_MANIFEST (relative to this folder unless absolute), CDN_STRICT, and
for `flask cdn ...`: CDN_BUCKET, CDN_PREFIX, CDN_DISTRIBUTION_ID, CDN_REGION,
CDN_PROFILE, CDN_ENDPOINT_URL. Publish the app's static files and the admin
blueprint's in one release with

    flask --app examples/shop/app:create_app cdn publish
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, render_template

from cdnpub.flask.extension import CDN

HERE = Path(__file__).resolve().parent
_TEXT_KEYS = (
    "CDN_DOMAIN",
    "CDN_MANIFEST",
    "CDN_BUCKET",
    "CDN_PREFIX",
    "CDN_DISTRIBUTION_ID",
    "CDN_REGION",
    "CDN_PROFILE",
    "CDN_ENDPOINT_URL",
)
_FLAG_KEYS = ("CDN_HTTPS", "CDN_STRICT")

cdn = CDN()
# The blueprint's static folder is published under `<prefix>/admin/`; its logical
# paths in the manifest are `admin/css/admin.css`.
admin = Blueprint(
    "admin", __name__, root_path=str(HERE / "admin"), static_folder="static", url_prefix="/admin"
)


@admin.get("/")
def dashboard() -> str:
    return render_template("admin/index.html")


def config_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    config: dict[str, Any] = {k: environ[k] for k in _TEXT_KEYS if environ.get(k)}
    for key in _FLAG_KEYS:
        if key in environ:
            config[key] = environ[key].strip().lower() not in ("", "0", "false", "no", "off")
    return config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, root_path=str(HERE))
    app.config.update(config_from_env(os.environ))
    app.config.update(config or {})

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    app.register_blueprint(admin)
    cdn.init_app(app)
    return app
