"""The Flask face: `url_for('static', ...)` points at the CDN through the manifest the
build wrote, and a template helper gives the SRI integrity. The `flask cdn` commands
are in cdnpub/flask/commands.py; the CDN_* config is read in cdnpub/flask/settings.py."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, current_app, has_request_context, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import iter_multi_items

from cdnpub import manifest as _manifest
from cdnpub.errors import UserError
from cdnpub.flask import importmap as _importmap
from cdnpub.flask import vite as _vite
from cdnpub.flask.folders import Prefixes
from cdnpub.flask.settings import AppSettings, app_settings, defaults, writing_manifest
from cdnpub.manifest import Entry
from cdnpub.urls import normal_name, url_path

_Stamp = tuple[int, int, int]


# Werkzeug's and Flask's safe sets, so a CDN URL's query and anchor read as the local URL's would.
_QUERY_SAFE = "!$'()*,/:;?@"


_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


class MissingAssetError(UserError, LookupError):
    """CDN_STRICT is on and a page asked for a static file the manifest does not hold:
    on the CDN that URL would be a 404 (or a stale copy), so fail where it is asked for."""


class _State:
    """Per-app state, the one entry `app.extensions["cdn"]`: the settings read at
    `init_app`, the manifest and the URLs built from it, the last import map built
    (`importmap`: (entries, document)) and Vite's manifest file (`vite`, opened at the
    first `cdn_vite_tags`)."""

    __slots__ = (
        "base", "enabled", "entries", "folders", "importmap", "path", "prefixes", "settings", "stamp",
        "strict", "urls", "vite", "warned",
    )  # fmt: skip

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self.enabled = bool(settings.domain)
        self.base = f"{'https' if settings.https else 'http'}://{settings.domain}/"
        self.strict = settings.strict
        self.path = settings.manifest
        self.entries: Mapping[str, Entry] = {}
        self.urls: dict[tuple[str, str], str] = {}  # (endpoint, filename) -> CDN URL
        self.folders: tuple[Mapping[str, Entry], dict[str, str]] | None = None  # see plain_base
        self.warned: set[str] = set()
        self.stamp: _Stamp | None = None
        self.importmap: tuple[Mapping[str, Entry], dict[str, Any]] | None = None
        self.vite: _vite.ManifestFile | None = None
        self.prefixes = Prefixes()  # a blueprint's folder may be published as part of another
        if self.enabled and not writing_manifest.get():
            self.load()

    def load(self) -> None:
        # Stat before reading: a rebuild between the two is then seen at the next check.
        self.stamp = _stamp(self.path)
        # Entries first, then a new cache: resolve() reads them in the other order, so a
        # URL built from the old entries can only land in the old cache.
        self.entries = _manifest.read(self.path).entries
        self.urls, self.warned, self.folders = {}, set(), None

    def refresh(self) -> None:
        """Debug only: a rebuilt manifest (written by os.replace: new inode) is picked up."""
        if _stamp(self.path) != self.stamp:
            self.load()

    def entry(
        self, app: Flask, logical: str, entries: Mapping[str, Entry] | None = None, theirs: bool = False
    ) -> Entry | None:
        """The manifest's entry for `logical`; None (or MissingAssetError when strict) for a
        miss, and for an app file name that is `theirs`: a blueprint's."""
        found = None if theirs else (self.entries if entries is None else entries).get(logical)
        if found is None:
            if self.strict:
                raise MissingAssetError(
                    f"{logical} is not in the manifest {self.path}; "
                    "rebuild it with `flask cdn build` (CDN_STRICT is on)"
                )
            if logical not in self.warned:
                self.warned.add(logical)
                app.logger.warning(
                    "cdnpub: %s is not in the manifest %s; serving the app's own copy", logical, self.path
                )
        return found

    def resolve(self, app: Flask, endpoint: str, filename: Any) -> str | None:
        """The CDN URL of a static endpoint's file, or None: not a static endpoint, or a miss."""
        urls, entries = self.urls, self.entries  # in this order: see load()
        absolute = absolute_endpoint(endpoint)
        name = logical_name(filename)
        theirs = False
        if absolute == "static":
            if not app.has_static_folder:
                return None
            logical, theirs = self.prefixes.logical(app, "", name), blueprints_file(app, name)
        else:
            blueprint, _, tail = absolute.rpartition(".")
            # Looked up per miss, not at init_app: blueprints registered later work too.
            bp = app.blueprints.get(blueprint)
            if tail != "static" or bp is None or not bp.has_static_folder:
                return None
            logical = self.prefixes.logical(app, blueprint, name)
        if not theirs and logical not in entries:
            base = self.plain_base(entries, logical)
            if base is not None:  # a folder, or a module id without its `.js`
                url = self.base + url_path(base)[1:] + ("/" if logical.endswith("/") else "")
                if absolute is endpoint:
                    urls[(endpoint, filename)] = url
                return url
        found = self.entry(app, logical, entries, theirs)
        if found is None:
            return None
        url = self.base + url_path(found.key)[1:]
        if absolute is endpoint:
            urls[(endpoint, filename)] = url
        return url

    def plain_base(self, entries: Mapping[str, Entry], logical: str) -> str | None:
        """The key a base path stands for on the CDN, or None: for a folder of a static
        folder (`js`, handed to require.js or webpack's publicPath), the folder its plain
        names are published under; for a module id without its extension
        (`js/generated/datagrid` where `datagrid.js` exists), that file's plain key minus
        `.js`. What the loader then fetches below it are plain names: short-cached."""
        cached = self.folders
        if cached is None or cached[0] is not entries:
            cached = self.folders = (entries, folder_keys(entries))
        name = logical.rstrip("/")
        if name in cached[1]:
            return cached[1][name]
        module = entries.get(name + ".js")
        if module is not None and not logical.endswith("/"):
            return (module.plain_key or module.key).removesuffix(".js")
        return None


def folder_keys(entries: Mapping[str, Entry]) -> dict[str, str]:
    """Every folder of the manifest's files (logical path -> the key its plain names are
    published under: `js` -> `static/js`), for the one layout every plain name follows."""
    found: dict[str, str] = {}
    for path, e in entries.items():
        key = e.plain_key or e.key
        folder, _, _ = path.rpartition("/")
        while folder and folder not in found:
            rest = path[len(folder) :]
            if not key.endswith(rest):
                break  # a key that is not the plain layout (none is): leave it local
            found[folder] = key[: -len(rest)]
            folder = folder.rpartition("/")[0]
    return found


def absolute_endpoint(endpoint: str) -> str:
    """`.static` relative to the current request's blueprint, as Flask resolves it."""
    if endpoint[:1] != ".":
        return endpoint
    blueprint = request.blueprint if has_request_context() else None
    return f"{blueprint}{endpoint}" if blueprint else endpoint[1:]


def logical_name(filename: Any) -> str:
    """A filename as the manifest spells it: in the one normal form (urls.normal_name) the
    build read the names in (macOS hands out NFD), without `./` in front; a path object
    is taken as Flask takes it."""
    name = normal_name(os.fspath(filename) if isinstance(filename, os.PathLike) else str(filename))
    while name.startswith("./"):
        name = name[2:]
    return name


def blueprints_file(app: Flask, name: str) -> bool:
    """Whether an app static `name` is in fact a blueprint's file: the manifest holds those
    under the blueprint's name (the build refuses an app folder of that name; not one
    published as part of another), and the app's static view would answer it with a 404."""
    top = name.split("/", 1)[0]
    bp = app.blueprints.get(top) if "/" in name else None
    state: _State | None = app.extensions.get("cdn")
    return bp is not None and bp.has_static_folder and (state is None or state.prefixes.of(app, top) == top)


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _decorate(app: Flask, endpoint: str, url: str, values: dict[str, Any], anchor: str | None) -> str:
    """Query string and anchor the way Flask and Werkzeug build them for a local URL."""
    values = dict(values)
    if app.url_default_functions:
        app.inject_url_defaults(endpoint, values)
    values.pop("filename", None)
    items = [(k, v) for k, v in iter_multi_items(values) if v is not None]
    if app.url_map.sort_parameters:
        items.sort(key=app.url_map.sort_key)
    if items:
        url = f"{url}?{urlencode(items, safe=_QUERY_SAFE)}"
    if anchor is not None:
        url = f"{url}#{quote(anchor, safe=_ANCHOR_SAFE)}"
    return url


def _hook(app: Flask, state: _State) -> Callable[..., str]:
    """A per-instance `app.url_for`: Flask's `url_for` and the Jinja global both call it
    (Flask >= 2.2 documents it as the method to override), so Python and templates agree."""
    plain = app.url_for  # Flask's method, or another extension's wrapper: chained either way

    def url_for(
        endpoint: str,
        /,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        filename = values.get("filename")
        # Hot path: one dict lookup. A CDN URL is absolute already, so _external changes nothing.
        if filename is not None and endpoint[-6:] == "static":
            url = state.urls.get((endpoint, filename)) or state.resolve(app, endpoint, filename)
            if url is not None:
                if len(values) == 1 and _anchor is None and _scheme is None and not app.url_default_functions:
                    return url
                if _scheme is not None:
                    if _external is False:
                        raise ValueError("When specifying '_scheme', '_external' must be True.")
                    url = _scheme + url[url.index(":") :]
                return _decorate(app, absolute_endpoint(endpoint), url, values, _anchor)
        return plain(
            endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
        )

    return url_for


def cdn_integrity(filename: str, blueprint: str | None = None) -> str:
    """Template global: the SRI string (`sha384-...`) of the published file, for the
    app's static folder or, with `blueprint=`, that blueprint's. "" when CDN_DOMAIN is
    unset: the app then serves its working copy, which may differ from the last build,
    and an empty integrity attribute makes the browser skip the check."""
    state: _State = current_app.extensions["cdn"]
    if not state.enabled:
        return ""
    app, name = current_app, logical_name(filename)
    theirs = not blueprint and blueprints_file(app, name)
    found = state.entry(app, state.prefixes.logical(app, blueprint or "", name), theirs=theirs)
    return found.integrity if found is not None else ""


def cdn_importmap(nonce: str | None = None) -> Markup:
    """Template global: the page's `<script type="importmap">` mapping every ES module's
    plain CDN URL to its fingerprinted one, with SRI, plus the CDN_IMPORTMAP_PINS. Put it
    before any module script or modulepreload. With CDN_DOMAIN unset: an HTML comment,
    and a map of the pins to the app's own URLs. `nonce`: a CSP nonce for the script."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state: _State = app.extensions["cdn"]
    pins = state.settings.importmap_pins
    if not state.enabled:
        note = "cdn_importmap: CDN_DOMAIN is unset, so modules load from the app's own URLs: nothing mapped"
        if not pins:
            return Markup(_importmap.comment(note))
        local = {k: v if _importmap.is_url(v) else _local_url(app, v) for k, v in pins.items()}
        tag = _importmap.importmap_tag({"imports": local}, nonce)
        return Markup(_importmap.comment(note + " but the pins") + "\n" + tag)
    entries = state.entries
    cached = state.importmap
    if cached is None or cached[0] is not entries:  # a reloaded manifest: a new map
        doc = _importmap.import_map(entries, state.base.rstrip("/"), pins, lambda p: state.entry(app, p))
        cached = state.importmap = (entries, doc)
    return Markup(_importmap.importmap_tag(cached[1], nonce))


def cdn_modulepreload(
    filename: str, *more: str, blueprint: str | None = None, nonce: str | None = None
) -> Markup:
    """Template global: `<link rel="modulepreload">` with integrity for the module
    `filename` (and `more`; of the app, or of `blueprint`) and every module they import
    statically, transitively, each once, so the browser fetches the graph at once instead
    of level by level. A comment when CDN_DOMAIN is unset."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state: _State = app.extensions["cdn"]
    if not state.enabled:
        return Markup(_importmap.comment("cdn_modulepreload: CDN_DOMAIN is unset: nothing to preload"))
    entries = state.entries
    roots = []
    for name in map(logical_name, (filename, *more)):
        logical = state.prefixes.logical(app, blueprint or "", name)
        if state.entry(app, logical, entries, theirs=not blueprint and blueprints_file(app, name)):
            roots.append(logical)
    paths = _importmap.preload_paths(entries, roots, state.settings.importmap_pins)
    links = _importmap.preloads(entries, state.base.rstrip("/"), paths)
    return Markup(_importmap.modulepreload_tags(links, nonce))


def _local_url(app: Flask, logical: str) -> str:
    """The app's own URL of a logical path (a blueprint's files start with its name)."""
    if blueprints_file(app, logical.lstrip("/")):
        blueprint, _, rest = logical.lstrip("/").partition("/")
        return url_for(f"{blueprint}.static", filename=rest)
    return url_for("static", filename=logical.lstrip("/"))


def cdn_vite_tags(*entries: str, nonce: str | None = None) -> Markup:
    """Template global: the tags that load Vite entries (`src/main.ts`, keys of Vite's
    manifest): their stylesheets, `modulepreload` links for the chunks they import and
    their `<script type="module">`s, each file once, each through `url_for('static', ...)`
    (so on the CDN, with SRI, when CDN_DOMAIN is set). In debug mode with
    CDN_VITE_DEV_SERVER set: the dev server's client and the entries instead. UserError
    for an entry Vite's manifest lacks."""
    app = current_app
    state: _State = app.extensions["cdn"]
    server = state.settings.vite_dev_server
    if server and app.debug:
        return Markup(_vite.dev_server_tags(server, entries, nonce))
    manifest = _vite_manifest(app, state)
    doc = manifest.read()
    files = sum((_vite.entry_files(doc, e, manifest.path) for e in entries), _vite.EntryFiles((), (), ()))

    def tag(kind: str, file: str) -> _vite.Tag:
        name = manifest.logical(file)
        return _vite.Tag(kind, url_for("static", filename=name), cdn_integrity(name))

    tags = [tag("stylesheet", f) for f in files.stylesheets]
    tags += [tag("modulepreload", f) for f in files.preloads]
    tags += [tag("script", f) for f in files.scripts]
    return Markup(_vite.render_tags(tags, nonce))


def _vite_manifest(app: Flask, state: _State) -> _vite.ManifestFile:
    found = state.vite
    if found is None:
        if not app.static_folder:
            raise UserError(f"the app {app.name!r} has no static folder for Vite's output")
        path = os.path.join(app.static_folder, state.settings.vite_manifest)
        found = state.vite = _vite.ManifestFile(path, app.static_folder)
    return found


class CDN:
    """Flask extension: `CDN(app)`, or `cdn = CDN()` then `cdn.init_app(app)` in a factory."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read the manifest (once, here) and point the app's static URLs at the CDN.

        Every CDN_* key is set with `setdefault` (Flask's extension guide), then read
        and checked once (`cdnpub.flask.settings.app_settings`, whose docstring lists
        them: CDN_DOMAIN, CDN_HTTPS, CDN_MANIFEST, CDN_STRICT, CDN_IMPORTMAP_PINS,
        CDN_JS_MODULES, CDN_BUCKET, CDN_PREFIX, CDN_DISTRIBUTION_ID, CDN_REGION,
        CDN_PROFILE, CDN_ENDPOINT_URL, CDN_VITE_MANIFEST, CDN_VITE_DEV_SERVER). A wrong
        type, or a missing or corrupt manifest with CDN_DOMAIN set: UserError here.

        In debug mode the manifest's mtime is checked once per request and a rebuilt
        manifest is read again, so no restart is needed.
        """
        if "cdn" in app.extensions:
            raise RuntimeError("cdnpub's CDN is already registered on this app")
        for key, value in defaults(app).items():
            app.config.setdefault(key, value)
        state = _State(app_settings(app))
        app.extensions["cdn"] = state
        if state.enabled:
            plain = app.url_for
            hook = _hook(app, state)
            app.url_for = hook  # type: ignore[method-assign]  # per instance, see _hook
            # A Jinja env created before init_app holds the old bound method.
            if app.jinja_env.globals.get("url_for") == plain:
                app.jinja_env.globals["url_for"] = hook

            @app.before_request
            def _cdn_reload() -> None:
                if app.debug:
                    state.refresh()

        app.add_template_global(cdn_integrity)
        app.add_template_global(cdn_importmap)
        app.add_template_global(cdn_modulepreload)
        app.add_template_global(cdn_vite_tags)
