"""The two settings `flask cdn` shares with `cdnpub` under another name: `prefix`
(CDN_PREFIX) and `manifest` (CDN_MANIFEST), given as [tool.cdnpub] keys or CDNPUB_PREFIX /
CDNPUB_MANIFEST (the variable wins, as everywhere). Never silently ignored:

- `prefix` decides the keys only, which the manifest records, so the app follows whatever
  prefix published: it is used, over CDN_PREFIX's default; a CDN_PREFIX the app's config
  sets to another value is an error (two places disagree: neither may win unseen).
- `manifest` is the file the app reads at start-up, from CDN_MANIFEST and nothing else, so
  it must name that file; another file is an error (writing it would leave the app on the
  old manifest, or none).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask

from cdnpub.errors import UserError
from cdnpub.flask.settings import AppSettings, defaults
from cdnpub.sync.settings import check_prefix

# [tool.cdnpub] key -> its CDNPUB_* variable
_SHARED = {"prefix": "CDNPUB_PREFIX", "manifest": "CDNPUB_MANIFEST"}


def shared_values(table: Mapping[str, Any], path: str) -> dict[str, tuple[str, str]]:
    """key -> (value, where it was given): the CDNPUB_* variable, else the [tool.cdnpub]
    key (its type was checked with the table); an empty variable counts as unset."""
    found: dict[str, tuple[str, str]] = {}
    for key, envvar in _SHARED.items():
        value = os.environ.get(envvar)
        if value and not value.strip():
            raise UserError(f"the variable {envvar} is blank ({value!r}): give a value, or unset it")
        if value:
            found[key] = (value, envvar)
            continue
        for name, given in table.items():
            if name.replace("-", "_") == key:
                found[key] = (str(given), f"{name} = {given!r} in [tool.cdnpub] of {path}")
    return found


def agreed(app: Flask, settings: AppSettings, shared: Mapping[str, tuple[str, str]]) -> AppSettings:
    """The app's settings with the shared values applied, or the UserError of one line that
    says which two places disagree."""
    if "prefix" in shared:
        value, where = shared["prefix"]
        configured = app.config.get("CDN_PREFIX")
        own = configured not in (None, "", defaults(app)["CDN_PREFIX"])
        if own and check_prefix(value, where) != check_prefix(settings.prefix, "CDN_PREFIX"):
            raise UserError(
                f"{where} and the app's CDN_PREFIX = {settings.prefix!r} disagree on the key prefix: "
                "keep one of them (`flask cdn` reads both)"
            )
        settings = replace(settings, prefix=check_prefix(value, where))
    if "manifest" in shared:
        value, where = shared["manifest"]
        if Path(value).resolve() != settings.manifest.resolve():
            raise UserError(
                f"{where} is not the app's CDN_MANIFEST ({settings.manifest}), the file the app "
                "reads at start-up: set CDN_MANIFEST in the app's config, or name that file"
            )
    return settings
