"""A Flask app's CDN_* config, read and checked in one place: the extension's
`init_app` and the `flask cdn` commands both call `app_settings`, so a key means the
same, and a wrong type is the same one-line UserError, in the web worker and in the
release step. Also whether `flask cdn` is writing the manifest (`writing_manifest`).

The keys (default in brackets; None and "" read as the default, a blank string is refused):

- `CDN_DOMAIN` (""): CDN host (with a port, if any), e.g. `d111111abcdef8.cloudfront.net`;
  empty: the app serves its own static files and needs no manifest. Not a URL.
- `CDN_HTTPS` (True): `https://` CDN URLs; False gives `http://`. A bool (a string such
  as "False" is refused, never read as true).
- `CDN_MANIFEST` ("cdnpub-manifest.json"): the build's manifest, relative to
  `app.root_path` (absolute paths win). A string or path.
- `CDN_STRICT` (False): a file missing from the manifest raises MissingAssetError. A bool.
- `CDN_IMPORTMAP_PINS` ({}): bare specifier -> static path or URL (strings; a folder
  pin ends in "/" on both sides), for `cdn_importmap()` and the build's warnings.
- `CDN_JS_MODULES` (["*.js"]): globs of the .js files that are ES modules; a string or
  a list of strings.
- `CDN_BUCKET`, `CDN_DISTRIBUTION_ID`, `CDN_REGION`, `CDN_PROFILE`, `CDN_ENDPOINT_URL`
  (None): strings, read by the `flask cdn` commands only.
- `CDN_PREFIX` (the static URL path without its slashes, "static"): the key prefix.
- `CDN_VITE_MANIFEST` ("dist/.vite/manifest.json"): Vite's manifest, relative to the
  static folder. A string or path.
- `CDN_VITE_DEV_SERVER` (None): Vite's dev server URL, used in debug mode. A string.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cdnpub.errors import UserError
from cdnpub.flask.importmap import check_pins
from cdnpub.flask.vite import DEFAULT_MANIFEST as DEFAULT_VITE_MANIFEST
from cdnpub.manifest import DEFAULT_JS_MODULES, DEFAULT_PATH
from cdnpub.urls import endpoint_problem

if TYPE_CHECKING:
    from flask import Flask


# True while `flask cdn build/plan/publish` runs (flask.commands sets it around the
# command): the app it loads may lack the manifest those commands write (a fresh
# checkout), and they never build a CDN URL. A context variable, not click's context,
# so the web runtime needs no click.
writing_manifest: ContextVar[bool] = ContextVar("cdnpub_writing_manifest", default=False)


@dataclass(frozen=True, slots=True)
class AppSettings:
    """The CDN_* config of one app, typed (see the module docstring for each key)."""

    domain: str  # "" when unset; no scheme, no trailing slash
    https: bool
    manifest: Path  # against app.root_path
    strict: bool
    importmap_pins: Mapping[str, str]
    js_modules: tuple[str, ...]
    bucket: str | None
    prefix: str  # as given: the `flask cdn` commands check it as a key prefix
    distribution_id: str | None
    region: str | None
    profile: str | None
    endpoint_url: str | None
    vite_manifest: str
    vite_dev_server: str | None


def defaults(app: Flask) -> dict[str, Any]:
    """Every CDN_* key with its default, which `init_app` sets with `setdefault`."""
    return {
        "CDN_DOMAIN": "",
        "CDN_HTTPS": True,
        "CDN_MANIFEST": DEFAULT_PATH,
        "CDN_STRICT": False,
        "CDN_BUCKET": None,
        "CDN_PREFIX": (app.static_url_path or "").strip("/") or "static",
        "CDN_DISTRIBUTION_ID": None,
        "CDN_REGION": None,
        "CDN_PROFILE": None,
        "CDN_ENDPOINT_URL": None,
        "CDN_IMPORTMAP_PINS": {},
        "CDN_JS_MODULES": list(DEFAULT_JS_MODULES),
        "CDN_VITE_MANIFEST": DEFAULT_VITE_MANIFEST,
        "CDN_VITE_DEV_SERVER": None,
    }


def app_settings(app: Flask) -> AppSettings:
    """The app's CDN_* config, each key checked: a wrong type is a UserError of one line
    naming the key, the same from the extension and from `flask cdn`."""
    config = _Config(app.config, defaults(app))
    config.check_names()
    return AppSettings(
        domain=_domain(config.text("CDN_DOMAIN") or ""),
        https=config.flag("CDN_HTTPS"),
        # As Flask's own `config.from_file`: the same file whatever directory the server
        # starts in, and the one `flask cdn build` writes.
        manifest=Path(app.root_path, config.path("CDN_MANIFEST")),
        strict=config.flag("CDN_STRICT"),
        importmap_pins=_pins(config.get("CDN_IMPORTMAP_PINS")),
        js_modules=config.globs("CDN_JS_MODULES"),
        bucket=config.text("CDN_BUCKET"),
        prefix=config.text("CDN_PREFIX") or str(config.default("CDN_PREFIX")),
        distribution_id=config.text("CDN_DISTRIBUTION_ID"),
        region=config.text("CDN_REGION"),
        profile=config.text("CDN_PROFILE"),
        endpoint_url=_endpoint(config.text("CDN_ENDPOINT_URL")),
        vite_manifest=config.path("CDN_VITE_MANIFEST"),
        vite_dev_server=config.text("CDN_VITE_DEV_SERVER"),
    )


def _endpoint(url: str | None) -> str | None:
    """CDN_ENDPOINT_URL checked as --endpoint-url is (urls.endpoint_problem), naming the key."""
    problem = None if url is None else endpoint_problem(url)
    if problem is not None:
        raise UserError(f"CDN_ENDPOINT_URL: {problem}")
    return url


# Flask-CDN's keys that are not cdnpub's: an app moving over may still hold them.
_FLASK_CDN_KEYS = frozenset({"CDN_ENDPOINTS", "CDN_TIMESTAMP", "CDN_DEBUG"})


class _Config:
    """Reads of one app's config: None and "" are the default, anything else is checked."""

    def __init__(self, config: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
        self.config = config
        self.defaults = defaults

    def check_names(self) -> None:
        """A CDN_* key close to one of ours is a typo (`CDN_BUCKET_NAME`): refused with the
        key it resembles, as a silently ignored setting would publish to the wrong place.
        Keys far from all of ours are left alone (another extension's, such as Flask-CDN's
        CDN_TIMESTAMP)."""
        for key in sorted(k for k in self.config if isinstance(k, str) and k.startswith("CDN_")):
            if key in self.defaults or key in _FLASK_CDN_KEYS:
                continue
            close = difflib.get_close_matches(key, sorted(self.defaults), n=1, cutoff=0.8)
            if close:
                raise UserError(f"unknown config key {key}: did you mean {close[0]}?")

    def default(self, key: str) -> Any:
        return self.defaults[key]

    def get(self, key: str) -> Any:
        value = self.config.get(key)
        return self.defaults[key] if value is None or value == "" else value

    def text(self, key: str) -> str | None:
        """A string. CDN_BUCKET's whole number is taken as its digits: an all-digit bucket
        name is one S3 allows, and app.config.from_prefixed_env() reads
        FLASK_CDN_BUCKET=123456 as JSON, an int."""
        value = self.get(key)
        if key == "CDN_BUCKET" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise _wrong(key, "a string", value)
        if value and not value.strip():
            raise UserError(f"{key} is blank ({value!r}): give a value, or leave it unset for the default")
        return value or None

    def flag(self, key: str) -> bool:
        """A bool. A string (`CDN_HTTPS="False"` from os.environ) is refused, never read
        by its truthiness; the message says how to get a bool from the environment."""
        value = self.get(key)
        if isinstance(value, str):
            raise UserError(
                f"{key} must be True or False, not {value!r} (a string, as os.environ gives: "
                f"convert it, or load the config with app.config.from_prefixed_env(), which reads "
                f"FLASK_{key}=false as False)"
            )
        if not isinstance(value, bool):
            raise _wrong(key, "True or False", value)
        return value

    def path(self, key: str) -> str:
        value = self.get(key)
        if isinstance(value, bool) and key == "CDN_MANIFEST":
            raise UserError(
                f"CDN_MANIFEST is the path of the manifest cdnpub wrote, not {value!r} (Flask-CDN's "
                "switch): leave it unset for cdnpub-manifest.json beside the app"
            )
        if not isinstance(value, (str, os.PathLike)):
            raise _wrong(key, "a file path", value)
        if not os.fspath(value).strip():
            raise UserError(f"{key} is blank ({value!r}): give a path, or leave it unset for the default")
        return os.fspath(value)

    def globs(self, key: str) -> tuple[str, ...]:
        """One glob alone may be given as a string; an empty list is the default."""
        value = self.get(key)
        globs = (value,) if isinstance(value, str) else value
        if not isinstance(globs, (list, tuple)) or not all(isinstance(g, str) for g in globs):
            raise _wrong(key, "a list of globs", value)
        return tuple(globs) or tuple(self.defaults[key])


def _wrong(key: str, expected: str, value: Any) -> UserError:
    return UserError(f"{key} must be {expected}, not {value!r}")


def _domain(domain: str) -> str:
    """CDN_DOMAIN as a host[:port]. A URL (what Flask-Static-Digest's host setting takes)
    is refused with the exact value to set instead: taking its scheme silently would let
    CDN_DOMAIN and CDN_HTTPS disagree."""
    domain = domain.strip().rstrip("/")
    parts = urlsplit(domain if "://" in domain else "")
    if parts.scheme in ("http", "https") and parts.hostname and not parts.path.strip("/"):
        host = parts.netloc.rpartition("@")[2]
        https = "" if parts.scheme == "https" else " and CDN_HTTPS = False"
        raise UserError(
            f"CDN_DOMAIN is a host name, not a URL: set CDN_DOMAIN = {host!r}{https} instead of {domain!r}"
        )
    if "://" in domain or any(c in domain for c in "/?#@ "):
        raise UserError(
            f"CDN_DOMAIN is a host name (with a port, if any) such as cdn.example.com, not a URL "
            f"or a path: {domain!r} (the CDN serves the bucket's keys at its root)"
        )
    return domain


def _pins(pins: Any) -> dict[str, str]:
    if not isinstance(pins, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in pins.items()
    ):
        raise UserError(f"CDN_IMPORTMAP_PINS maps bare specifiers to static paths or URLs, not {pins!r}")
    check_pins(pins)
    return dict(pins)
