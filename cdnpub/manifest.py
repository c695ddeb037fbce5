"""The manifest FORMAT: logical path -> fingerprinted key and what the app and the next
publish need of each file (size, hashes, SRI, headers, a module's imports); versioned,
with `loads`/`dumps`, read by the web runtime at start-up and written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdnpub.errors import UserError

FORMAT = "cdnpub-manifest"


VERSION = 2  # 2: each ES module's imports ("module"); version 1 is still read


READABLE = (1, 2)


DEFAULT_PATH = "cdnpub-manifest.json"


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # S3 key = URL path on the CDN of the fingerprinted object
    plain_key: str | None
    size: int
    sha256: str
    etag: str
    integrity: str
    content_type: str
    cache_control: str  # of the fingerprinted key
    immutable: bool  # the key is served as never changing (Cache-Control: immutable)
    module: ModuleImports | None = None  # an ES module: what it imports; None: not a module


@dataclass(frozen=True, slots=True)
class Manifest:
    prefix: str
    entries: Mapping[str, Entry]  # logical path -> entry


def to_document(manifest: Manifest) -> dict[str, Any]:
    assets = {path: _entry_document(e) for path, e in sorted(manifest.entries.items())}
    return {"format": FORMAT, "version": VERSION, "prefix": manifest.prefix, "assets": assets}


def _entry_document(e: Entry) -> dict[str, Any]:
    return {
        "key": e.key,
        "plain_key": e.plain_key,
        "size": e.size,
        "sha256": e.sha256,
        "etag": e.etag,
        "integrity": e.integrity,
        "content_type": e.content_type,
        "cache_control": e.cache_control,
        "immutable": e.immutable,
        "module": None if e.module is None else _module_document(e.module),
    }


def dumps(manifest: Manifest) -> bytes:
    return b"".join(_chunks(manifest))


def _chunks(manifest: Manifest) -> Iterator[bytes]:
    """The manifest's JSON (indent 2, keys sorted: what json.dumps writes of to_document),
    an entry at a time. At 100,000 files the whole document (its dicts, its text, then its
    bytes) took three times the memory of the build itself."""

    def text(value: Any) -> str:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)

    entries = sorted(manifest.entries.items())
    yield b'{\n  "assets": {' + (b"\n" if entries else b"")
    for n, (path, e) in enumerate(entries):
        entry = text(_entry_document(e)).replace("\n", "\n    ")  # no value holds a raw newline
        yield f"    {text(path)}: {entry}{',' if n + 1 < len(entries) else ''}\n".encode()
    tail = {"format": FORMAT, "prefix": manifest.prefix, "version": VERSION}
    yield (("  }," if entries else "},") + text(tail)[1:] + "\n").encode()


def from_document(doc: Any, origin: str) -> Manifest:
    """Parse a manifest document; any defect is a UserError naming `origin`."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UserError(f"{origin} is not a cdnpub manifest")
    version = doc.get("version")
    if version not in READABLE:
        raise UserError(
            f"{origin} is a version {version} manifest; this cdnpub reads versions 1 to {VERSION}"
        )
    try:
        entries = {str(path): _entry(raw, str(path), version) for path, raw in doc["assets"].items()}
        return Manifest(prefix=str(doc["prefix"]), entries=entries)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise UserError(f"{origin} is corrupt ({type(err).__name__}: {err})") from None


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw[name]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is {value!r}, not a string")
    return value


def _module_document(module: ModuleImports) -> dict[str, list[str]]:
    return {"imports": [*module.static], "dynamic_imports": [*module.dynamic], "bare_imports": [*module.bare]}


def _module(raw: Any, path: str, version: int) -> ModuleImports | None:
    """Version 1 recorded no module graph: its .js and .mjs files are taken for modules
    that import nothing known (the import map still maps them; preloads stop at the entry)."""
    if version == 1:
        return ModuleImports() if path.endswith((".js", ".mjs")) else None
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(f"module is {raw!r}, not an object")

    def names(field: str) -> tuple[str, ...]:
        value = raw.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"module {field} is {value!r}, not a list of names")
        return tuple(value)

    return ModuleImports(names("imports"), names("dynamic_imports"), names("bare_imports"))


def _entry(raw: Mapping[str, Any], path: str = "", version: int = VERSION) -> Entry:
    plain = raw["plain_key"]
    return Entry(
        key=_text(raw, "key"),
        plain_key=None if plain is None else _text(raw, "plain_key"),
        size=int(raw["size"]),
        sha256=_text(raw, "sha256"),
        etag=_text(raw, "etag"),
        integrity=_text(raw, "integrity"),
        content_type=_text(raw, "content_type"),
        cache_control=_text(raw, "cache_control"),
        immutable=bool(raw["immutable"]),
        module=_module(raw.get("module"), path, version),
    )


def loads(data: bytes, origin: str) -> Manifest:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise UserError(f"{origin} is corrupt: not JSON ({err})") from None
    return from_document(doc, origin)


def read(path: str | os.PathLike[str]) -> Manifest:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(
            f"manifest {path} does not exist; `flask cdn publish` (or `cdnpub publish`) writes it once "
            "the bucket holds every file it names (a build alone names keys never uploaded), or unset "
            "CDN_DOMAIN to serve the static files from the app"
        ) from None
    except OSError as err:
        raise UserError(f"cannot read manifest {path}: {err.strerror}") from None
    return loads(data, f"manifest {path}")


def write(manifest: Manifest, path: str | os.PathLike[str]) -> None:
    """Atomic: an app starting mid-write must read the old manifest or the new, never half."""
    writable(path)
    write_atomic(Path(path), _chunks(manifest))


def writable(path: str | os.PathLike[str]) -> None:
    """Fail now, before a publish writes anything, if the manifest could not be written
    after it: a folder in the way, or a parent that cannot be created or written."""
    target = Path(path)
    if not str(path).strip():
        raise UserError("the manifest path is empty")
    if target.is_dir():
        raise UserError(f"cannot write the manifest {target}: it is a folder")
    if target.exists() and not target.is_file():
        # Replacing it (atomically, by rename) would turn a FIFO, a socket or, as root,
        # /dev/null into a regular file.
        raise UserError(f"cannot write the manifest {target}: it is not a regular file")
    parent = next((p for p in (target.parent, *target.parent.parents) if p.exists()), Path("."))
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"cannot write the manifest {target}: {parent} is not a writable folder")


def write_atomic(target: Path, data: bytes | Iterable[bytes]) -> None:
    directory = target.parent if str(target.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in [data] if isinstance(data, bytes) else data:
                    f.write(chunk)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600: the app may run as another user
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as err:
        raise UserError(f"cannot write {target}: {err.strerror}") from None


def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


# `.mjs` is a module by definition; any `.js` may be one (a classic script in the map
# costs one unused entry, a module left out loads its imports by plain name).
DEFAULT_JS_MODULES = ("*.js",)


@dataclass(frozen=True, slots=True)
class ModuleImports:
    """What one module imports, as logical paths in source order (each once)."""

    static: tuple[str, ...] = ()  # import/export ... from: fetched with the module graph
    dynamic: tuple[str, ...] = ()  # import("literal"): fetched when the call runs
    bare: tuple[str, ...] = ()  # static imports by bare specifier ("lit"): pins resolve them
