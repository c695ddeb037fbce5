"""Where a Flask app's manifest lives, and whether `flask cdn` is writing it: what the
extension (flask.py) and the `flask cdn` commands (flask_commands.py) share, below both."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cdnpub.manifest import DEFAULT_PATH

if TYPE_CHECKING:
    from flask import Flask


WRITING_MANIFEST = "cdnpub.writing_manifest"  # click context meta key set by `flask cdn`


def manifest_path(app: Flask) -> Path:
    """CDN_MANIFEST against `app.root_path` (absolute paths win), as Flask's own
    `config.from_file` does: the same file whatever directory the server starts in,
    and the one `flask cdn build` writes."""
    return Path(app.root_path, os.fspath(app.config.get("CDN_MANIFEST") or DEFAULT_PATH))


def writing_the_manifest() -> bool:
    """True while `flask cdn build/plan/publish` loads the app: the manifest may not exist
    yet (a fresh checkout) and those commands never build a CDN URL."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(WRITING_MANIFEST))
