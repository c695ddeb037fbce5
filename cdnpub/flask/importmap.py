"""The import map and the module preloads of a page, from the manifest (pure).

A fingerprinted module keeps its plain-name specifiers (`import "./cart.js"`): the
browser resolves them against the module's URL on the CDN to the plain-name URL, and
the import map sends that URL to the fingerprinted object, with its SRI in the map's
`integrity` section (HTML's import maps; WICG import-maps "integrity"). So a module
never loads a short-cached plain-name copy of another release, and a changed module
needs no invalidation: the next page's map names its new key.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdnpub.errors import UserError
from cdnpub.manifest import Entry
from cdnpub.urls import url_path

ImportMap = dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class Preload:
    """One `<link rel="modulepreload">`: an absolute URL and its SRI ("" for none)."""

    url: str
    integrity: str = ""


def cdn_url(origin: str, key: str) -> str:
    """`origin` ("https://cdn.example.com") + the one key -> URL-path rule."""
    return origin + url_path(key)


def is_url(target: str) -> bool:
    """A pin to an absolute URL (`https://...`, `//host/...`) rather than a static file."""
    return target.startswith("//") or "://" in target


def module_paths(entries: Mapping[str, Entry]) -> list[str]:
    """The modules of the manifest and every file a module imports (a JSON or CSS module
    imported with `with { type: ... }` is fetched through the map too), sorted."""
    found = {path for path, e in entries.items() if e.module is not None}
    for e in list(entries.values()):
        if e.module is not None:
            found.update(p for p in (*e.module.static, *e.module.dynamic) if p in entries)
    return sorted(found)


def import_map(
    entries: Mapping[str, Entry],
    origin: str,
    pins: Mapping[str, str] | None = None,
    missing: Callable[[str], object] | None = None,
) -> ImportMap:
    """`{"imports": {plain URL or pin: fingerprinted URL}, "integrity": {URL: SRI}}`.

    `pins` maps bare specifiers to logical paths (`"cart": "js/cart.js"`) or absolute
    URLs (kept as given, no integrity); a pin and a path both ending in "/" pin every
    module under that folder, one entry per name it may be imported by
    (`"controllers/": "js/controllers/"`: `controllers/hello_controller.js`, and as
    importmap-rails' `pin_all_from` names them, `controllers/hello_controller` and, for an
    `index.js`, its folder: see `folder_names`).
    A pinned path that the manifest lacks goes to `missing` (which may raise) and is left
    out. Files already fingerprinted by a bundler need no mapping: integrity only."""
    imports: dict[str, str] = {}
    integrity: dict[str, str] = {}
    modules = module_paths(entries)
    for path in modules:
        e = entries[path]
        url = cdn_url(origin, e.key)
        if e.plain_key is not None:
            imports[cdn_url(origin, e.plain_key)] = url
        integrity[url] = e.integrity
    for name, target in sorted((pins or {}).items()):
        _check_pin(name, target)
        if is_url(target):
            imports[name] = target
        elif name.endswith("/"):
            folder = target.lstrip("/")
            under = [p for p in modules if p.startswith(folder)]
            if not under and missing is not None:
                missing(folder)
            for path in under:
                for specifier in folder_names(name, path[len(folder) :]):
                    imports.setdefault(specifier, cdn_url(origin, entries[path].key))
        elif target in entries:
            url = cdn_url(origin, entries[target].key)
            imports[name] = url
            integrity[url] = entries[target].integrity
        elif missing is not None:
            missing(target)
    return {"imports": dict(sorted(imports.items())), "integrity": dict(sorted(integrity.items()))}


def folder_names(pin: str, rest: str) -> list[str]:
    """The specifiers a folder pin gives the module at `rest` below its folder: the name as
    written (`controllers/hello_controller.js`), without `.js`/`.mjs`
    (`controllers/hello_controller`, importmap-rails' names) and, for `x/index.js`, the
    folder `controllers/x` (or the pin without its "/" for the folder's own index)."""
    names = [pin + rest]
    stem = rest.removesuffix(".js").removesuffix(".mjs") if rest.endswith((".js", ".mjs")) else None
    if stem is not None:
        names.append(pin + stem)
        if stem == "index" or stem.endswith("/index"):
            names.append((pin + stem.removesuffix("index")).rstrip("/"))
    return names


def resolves(name: str, imports: Mapping[str, str]) -> bool:
    """Whether an import map's `imports` resolves a bare specifier (HTML's import maps:
    an exact key, or the longest key ending in "/" that starts it)."""
    return name in imports or any(k.endswith("/") and name.startswith(k) for k in imports)


def check_pins(pins: Mapping[str, str]) -> None:
    """Raise UserError for a pin that cannot be one (at start-up, not on the first page)."""
    for name, target in pins.items():
        _check_pin(name, target)


def _check_pin(name: str, target: str) -> None:
    if not isinstance(name, str) or not isinstance(target, str) or not name or not target:
        raise UserError(f"import map pin {name!r}: {target!r} must map a name to a path or URL")
    if name.endswith("/") != target.endswith("/"):
        raise UserError(f"import map pin {name!r}: {target!r}: a folder pin ends in '/' on both sides")


def preload_paths(
    entries: Mapping[str, Entry], entry: str | Sequence[str], pins: Mapping[str, str] | None = None
) -> list[str]:
    """`entry` (one or several) and every module it imports statically, transitively
    (each once, cycles included), depth-first in import order: what the browser needs
    before the entry runs. Bare imports follow `pins`; dynamic `import()`s are left to
    load when called."""
    pins = pins or {}
    order: list[str] = []
    seen: set[str] = set()
    stack = [entry] if isinstance(entry, str) else list(reversed(entry))
    while stack:
        path = stack.pop()
        if path in seen or path not in entries:
            continue
        seen.add(path)
        order.append(path)
        module = entries[path].module
        if module is None:
            continue
        pinned = [_pinned(name, pins, entries) for name in module.bare]
        stack.extend(reversed([*module.static, *(p for p in pinned if p is not None)]))
    return order


def _pin_target(name: str, pins: Mapping[str, str]) -> str | None:
    """What a bare specifier maps to: its pin, or the longest folder pin it starts with
    (as an import map matches)."""
    target = pins.get(name)
    if target is None:
        folders = [n for n in pins if n.endswith("/") and name.startswith(n)]
        if not folders:
            return None
        best = max(folders, key=len)
        target = pins[best] + name[len(best) :]
    return target


def _pinned(name: str, pins: Mapping[str, str], entries: Mapping[str, Entry]) -> str | None:
    """The module a bare specifier loads, by the names `folder_names` gives a folder pin."""
    target = _pin_target(name, pins)
    if target is None or is_url(target):
        return None
    target = target.lstrip("/")
    return next(
        (t for t in (target, target + ".js", target + ".mjs", target + "/index.js") if t in entries), target
    )


def unresolved(entries: Mapping[str, Entry], pins: Mapping[str, str]) -> list[str]:
    """One warning per bare specifier that the map `import_map` renders cannot resolve (the
    browser would stop the whole graph: "Failed to resolve module specifier"), naming the
    first module importing it and how many more; then one per pin to no module. The check
    and the map are one rule."""
    missing: list[str] = []
    doc = import_map(entries, "https://cdn.invalid", pins, missing.append)
    importers: dict[str, list[str]] = {}
    for path, e in sorted(entries.items()):
        for name in e.module.bare if e.module is not None else ():
            if not resolves(name, doc["imports"]):
                importers.setdefault(name, []).append(path)
    warnings = []
    for name, paths in importers.items():
        target = _pin_target(name, pins)
        why = (
            "that no CDN_IMPORTMAP_PINS entry maps" if target is None else f"pinned to {target!r}, no module"
        )
        more = len(paths) - 1
        others = f" (and {more} more module{'s' if more > 1 else ''})" if more else ""
        warnings.append(f"{paths[0]}: import {name!r}{others} is a bare specifier {why}")
    return [*warnings, *(f"CDN_IMPORTMAP_PINS: {t!r} is no module of the static folders" for t in missing)]


def preloads(entries: Mapping[str, Entry], origin: str, paths: Iterable[str]) -> list[Preload]:
    return [Preload(cdn_url(origin, entries[p].key), entries[p].integrity) for p in paths]


def importmap_tag(doc: Mapping[str, Any], nonce: str | None = None) -> str:
    """`<script type="importmap">`; `<` is escaped so that no value can end the script."""
    text = json.dumps(doc, indent=2, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="importmap"{_nonce(nonce)}>\n{text}\n</script>'


def modulepreload_tags(
    links: Sequence[Preload], nonce: str | None = None, crossorigin: str = "anonymous"
) -> str:
    """One `<link rel="modulepreload">` per module, with the integrity the import map
    gives it: Chromium discards a preload whose integrity differs from the fetch that
    uses it and downloads the module twice. Shared by every helper that preloads modules."""
    tags = []
    for link in links:
        attrs = f' href="{html.escape(link.url)}"'
        if link.integrity:
            attrs += f' integrity="{html.escape(link.integrity)}"'
        attrs += f' crossorigin="{html.escape(crossorigin)}"{_nonce(nonce)}'
        tags.append(f'<link rel="modulepreload"{attrs}>')
    return "\n".join(tags)


def comment(text: str) -> str:
    return "<!-- " + text.replace("--", "- -") + " -->"


def _nonce(nonce: str | None) -> str:
    return f' nonce="{html.escape(nonce)}"' if nonce else ""
