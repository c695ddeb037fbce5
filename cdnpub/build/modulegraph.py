"""The import graph of a build's JavaScript modules, found at build time and recorded in
the manifest: which files are modules, and which files each one imports.

Specifiers are resolved as a browser resolves them on the CDN (WHATWG "resolve a module
specifier"): against the importing module's URL, so `../`, root-relative paths and the
module's sub-prefix (a blueprint's) all land where the browser would fetch them. Bare
specifiers (`"lit"`) are kept as written: configured pins resolve them when the import
map is rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol
from urllib.parse import unquote, urljoin, urlsplit

import pathspec

from cdnpub.build.jsimports import Specifier, module_specifiers
from cdnpub.errors import UserError
from cdnpub.manifest import DEFAULT_JS_MODULES, ModuleImports
from cdnpub.urls import normal_name, url_path

_ORIGIN = "https://cdn.invalid"  # any origin: only the path of a resolved URL matters


class BuiltFile(Protocol):
    """What the graph needs of a built file (fingerprint.Asset has it)."""

    @property
    def path(self) -> str: ...  # logical path
    @property
    def key(self) -> str: ...
    @property
    def plain_key(self) -> str | None: ...
    @property
    def fs_path(self) -> str: ...


def module_spec(globs: Sequence[str]) -> pathspec.GitIgnoreSpec:
    """Gitignore-style globs on logical paths (a blueprint's files start with its name)."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(list(globs))
    except (ValueError, TypeError) as err:
        raise UserError(f"bad JavaScript module glob: {err}") from None


def is_module(path: str, spec: pathspec.GitIgnoreSpec) -> bool:
    """A candidate: an `.mjs`, or a `.js` the js_modules globs take; module_graph leaves
    out the candidates that are bundler sources (`_bundler_source`)."""
    return path.endswith(".mjs") or (path.endswith(".js") and bool(spec.match_file(path)))


def module_graph(
    files: Iterable[BuiltFile], globs: Sequence[str] = DEFAULT_JS_MODULES, verbose: bool = False
) -> tuple[dict[str, ModuleImports], list[str]]:
    """Each module's imports (logical path -> ModuleImports) and the warnings about
    specifiers that name no file of the build; the bundler sources left out are one
    warning naming three of them (`verbose`: all). Reads the modules' files."""
    files = list(files)
    spec = module_spec(globs)
    by_key: dict[str, str] = {}
    for f in files:
        by_key[f.key] = f.path
        if f.plain_key is not None:
            by_key[f.plain_key] = f.path
    found = [f for f in files if is_module(f.path, spec)]
    warnings: list[str] = []
    modules: dict[str, ModuleImports] = {}
    sources: list[str] = []  # bundler sources: `.js` files no browser loads as they are
    # Parsing costs about 0.1 s per MiB of modules, and holds the GIL. Forked workers (as
    # for stylesheets) bought nothing on 2 cores (1.1 MiB: 202 ms serial, 275 ms forked).
    for f in found:
        specifiers = _parse_file(f.fs_path)
        if f.path.endswith(".js") and _bundler_source(f, specifiers, by_key):
            sources.append(f.path)
            continue
        modules[f.path] = _imports(f, specifiers, by_key, warnings)
    if sources:
        warnings.append(_sources_note(sources, verbose))
    return modules, warnings


def _bundler_source(f: BuiltFile, specifiers: Sequence[Specifier], by_key: Mapping[str, str]) -> bool:
    """A `.js` file that statically imports a relative path without an extension that names
    no file (`import Foo from "../js/Foo"`): a bundler's source (webpack, Rollup resolve
    the extension), which a browser would fail to load as a module. It is then no ES
    module: its imports are not read, nor warned about one by one."""
    base = _ORIGIN + url_path(f.plain_key or f.key)
    for spec in specifiers:
        if spec.dynamic or not spec.text.startswith(("./", "../")):
            continue
        last = spec.text.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if "." in last:
            continue
        key = normal_name(unquote(urlsplit(urljoin(base, spec.text)).path)).lstrip("/")
        if key not in by_key:
            return True
    return False


def _sources_note(paths: Sequence[str], verbose: bool) -> str:
    """One line for every bundler source: each one's warnings are nobody's to act on."""
    more = len(paths) - 3 if len(paths) > 3 and not verbose else 0
    shown = ", ".join(paths[: len(paths) - more]) + (
        f" and {more} more; --verbose lists them" if more else ""
    )
    return (
        f"{len(paths)} .js file{'s' if len(paths) != 1 else ''} ({shown}) import paths without an "
        "extension, as bundler sources do: not taken as ES modules (no import map entry); "
        "leave them out with --exclude if the app does not serve them"
    )


def _parse_file(fs_path: str) -> tuple[Specifier, ...]:
    try:
        with open(fs_path, "rb") as fh:
            return module_specifiers(fh.read())
    except OSError as err:
        raise UserError(f"cannot read {fs_path}: {err.strerror}") from None


def _imports(
    f: BuiltFile, specifiers: Sequence[Specifier], by_key: Mapping[str, str], warnings: list[str]
) -> ModuleImports:
    static: dict[str, None] = {}  # dicts as ordered sets
    dynamic: dict[str, None] = {}
    bare: dict[str, None] = {}
    base = _ORIGIN + url_path(f.plain_key or f.key)
    for spec in specifiers:
        where = f"{f.fs_path}:{spec.line}: import {spec.text!r}"
        if not spec.text.startswith(("/", "./", "../")):
            if ":" not in spec.text and not spec.dynamic:
                bare[spec.text] = None
            continue  # an absolute URL (https:, data:, blob:) is not ours
        url = urlsplit(urljoin(base, spec.text))
        if f"{url.scheme}://{url.netloc}" != _ORIGIN:
            continue  # //other-host/x.js
        if url.query or url.fragment:
            warnings.append(f"{where} carries a query or fragment, which an import map cannot map")
            continue
        if "+" in url.path:
            warnings.append(f"{where}: a browser sends '+' raw and S3 reads it as a space; write it as %2B")
        decoded = unquote(url.path)
        if decoded != normal_name(decoded):
            warnings.append(
                f"{where} is not in Unicode NFC, as the file names are: the browser would ask for "
                "other bytes than the import map maps"
            )
        key = normal_name(decoded).lstrip("/")
        target = by_key.get(key)
        if target is None:
            warnings.append(f"{where} names /{key} on the CDN, which is not in the static folder")
        elif target != f.path:
            (dynamic if spec.dynamic else static)[target] = None
    for name in static:
        dynamic.pop(name, None)
    return ModuleImports(tuple(static), tuple(dynamic), tuple(bare))
