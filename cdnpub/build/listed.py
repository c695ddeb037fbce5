"""What a bundler manifest lists, and which of it is bundler output: a file whose name
carries a hash (carries_hash), inside the bundler's output folder (inside), present in the
static folder (kept_paths). Pure: names in, decisions and warnings out."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cdnpub.build.model import DEFAULT_FINGERPRINTED_PATTERN, HASHED_NAME
from cdnpub.build.webpack import under
from cdnpub.text import plural, printable


@dataclass(frozen=True, slots=True)
class Listed:
    """One file a bundler manifest names."""

    file: str  # as the manifest writes it: relative to the out dir, a URL, or a path from esbuild's cwd
    source: str | None  # the source it was made from, when the manifest says; None: made up by the bundler


def stem_of(path: str) -> str:
    """`src/main.ts` -> `main`; `assets/main.0d9c8b7a.js.map` -> `main.0d9c8b7a`."""
    name = posixpath.basename(path.split("?", 1)[0]).removesuffix(".map")
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def renamed(listed: Listed) -> bool:
    """Whether the bundler put something (its hash) into the name: `main-aJs-tnuq.js`
    from `main`, not `main.js` from `main` (`entryFileNames: "[name].js"`)."""
    return listed.source is None or stem_of(listed.file) != listed.source


_FALLBACK = re.compile(DEFAULT_FINGERPRINTED_PATTERN)
_WEBPACK_SUFFIX = re.compile(r"\.(?:chunk|entry|worker|bundle)$")
_RUN = re.compile(r"[A-Za-z0-9_-]{8,64}")
_BASE32 = re.compile(r"[A-Z2-7]{8}")


def carries_hash(listed: Listed) -> bool:
    """Whether a listed file's name changes with its content, as far as the name shows:
    it matches the fallback pattern or is cdnpub's own; or the bundler added 6+ hash
    characters to its source's name (`main-ogulhqqz.css` from `main`); or, source unknown,
    its stem ends in a run of 8+ hash characters holding two digits and two letters, or
    esbuild's 8 base32 (`chunk-ASDFGHJK.js`). `bundle.js`, `js/app.js`, `main.js` do not:
    webpack's `output.filename: "bundle.js"` would otherwise be `immutable` under a
    name that never changes."""
    name = posixpath.basename(listed.file.split("?", 1)[0])
    if name.endswith(".map"):
        return False
    name = name.removesuffix(".gz").removesuffix(".br")  # compression-webpack-plugin: the hashed file's bytes
    if _FALLBACK.search(name) or HASHED_NAME.search(name):
        return True
    stem = _WEBPACK_SUFFIX.sub("", name.rpartition(".")[0] or name)
    source = _WEBPACK_SUFFIX.sub("", listed.source) if listed.source else None
    if source and stem != source and stem.startswith(source):
        rest = stem[len(source) :]
        rest = rest[1:] if rest[0] in ".-~" else rest
        return len(rest) >= 6 and re.fullmatch(r"[A-Za-z0-9_-]+", rest) is not None
    return any(_hash_run(stem[i + 1 :]) for i, c in enumerate(stem) if c in ".-") or _hash_run(stem)


def _hash_run(run: str) -> bool:
    """A tail of a stem that is a hash: 8-64 hash characters, with two digits and two
    letters, or exactly esbuild's 8 base32 (`ASDFGHJK`)."""
    if not _RUN.fullmatch(run):
        return False
    digits = sum(c.isdigit() for c in run)
    return bool(_BASE32.fullmatch(run)) or (digits >= 2 and sum(c.isalpha() for c in run) >= 2)


def kept_paths(
    logical: Iterable[tuple[Listed, str | None]], files: frozenset[str], origin: str
) -> tuple[frozenset[str], tuple[str, ...]]:
    """The logical paths to keep, from (listed file, its logical path or None when it
    is outside the static folders), and the warnings: a listed file missing from the
    folder (a stale manifest), files whose names carry no hash (carries_hash), which
    cdnpub fingerprints as its own. A file listed twice is kept when one listing shows
    its hash (create-react-app lists `main.3f2a.js` as `main.js` and as itself).

    Source maps are never kept: no bundler's hash covers the map (webpack#6190,
    rollup#6499), so `main-DC3y9O_F.js.map` gets other bytes under the same name when
    only a comment changed. They are ordinary files: a plain copy under their own name
    (what the script's `sourceMappingURL` names), short-cached and invalidated."""
    hashed: dict[str, bool] = {}
    missing: list[str] = []
    for listed, path in logical:
        if path is None or ordinary_beside_output(path):
            continue
        if path not in files:
            missing.append(path)
        else:
            hashed[path] = hashed.get(path, False) or carries_hash(listed)
    plain = [p for p, h in hashed.items() if not h]
    warnings = []
    if missing:
        warnings.append(
            f"{origin} lists {plural(len(missing), 'file')} that are not in the static folder, such as "
            f"{missing[0]} (a manifest from another build?)"
        )
    if plain:
        warnings.append(
            f"{origin} lists {plural(len(plain), 'file')} whose names hold no content hash, "
            f"such as {plain[0]}: cdnpub fingerprints them as its own"
        )
    return frozenset(p for p, h in hashed.items() if h), tuple(warnings)


_PAGES = frozenset({".html", ".htm"})  # create-react-app lists index.html: a page, never hashed


def ordinary_beside_output(path: str) -> bool:
    """Files a manifest lists that are never bundler output, silently: source maps (see
    kept_paths), pages (`index.html`), and the license comments terser extracts
    (`main.3f2a1b9c.js.LICENSE.txt`: named after the script, but its bytes are not what
    the script's hash covers). They are ordinary files, with a plain copy."""
    return path.endswith((".map", ".LICENSE.txt")) or posixpath.splitext(path)[1] in _PAGES


def inside(
    pairs: Iterable[tuple[Listed, str | None]], base: str | None, origin: str
) -> tuple[list[tuple[Listed, str | None]], tuple[str, ...]]:
    """The pairs whose file is in the bundler's output folder `base` (None: no folder to
    check, esbuild's), and a warning for the rest: a Vite `"file": "../robots.txt"`, a
    webpack `/static/build/../css/site.css`, an esbuild `static/dist/../css/site.css`
    name files the bundler did not write, which must not be kept `immutable`."""
    ok: list[tuple[Listed, str | None]] = []
    out: list[str] = []
    for listed, path in pairs:
        written = listed.file.split("?", 1)[0]
        leaves = path is None and base is not None
        leaves = leaves or (base is not None and path is not None and not under(path, base))
        leaves = leaves or ("/../" in f"/{written}" and posixpath.normpath(written) != written)
        if leaves:
            out.append(listed.file)
        else:
            ok.append((listed, path))
    if not out:
        return ok, ()
    return ok, (
        f"{origin} lists {plural(len(out), 'file')} outside its output folder, such as {printable(out[0])}: "
        "not bundler output, fingerprinted as usual",
    )
