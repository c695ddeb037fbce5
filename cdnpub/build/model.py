"""The values of a build, with no machinery: what a static folder is (Source), how to
build it (BuildOptions), what one file becomes (Asset), what a build is (Build), and how
a name is fingerprinted. Every later stage takes these; importing them loads nothing else."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cdnpub.build.digest import Edit
from cdnpub.build.rules import Headers, Rule
from cdnpub.build.scan import LeftOut, Scan
from cdnpub.errors import UserError
from cdnpub.manifest import DEFAULT_JS_MODULES, ModuleImports
from cdnpub.text import printable
from cdnpub.urls import join_key

HASH_LENGTH = 10


HASHED_NAME = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}(\.[^./]+)?$")  # cdnpub's own fingerprinted names


# Names a bundler already fingerprinted, for folders without a bundler manifest (see
# bundlers.py, the sure way), and cdnpub's own output: renaming them again would give
# `app.3f2a1b9c0d.5e6f7a8b9c.css` on every rebuild of a built folder. A name taken for a
# hash by mistake keeps its name under a one-year `immutable` header, so each form asks
# for what a hand-written name almost never has (tests/build/test_bundler_names.py lists both):
# - hex after `.` or `-` (webpack `[contenthash]`, Parcel, Vite < 5): 8-64 hex digits
#   where digits and letters alternate at least twice, so words (`app-deadbeef.js`), dates
#   or counters (`report-20240101.pdf`) and a hex word with a counter (`icon-add00001.png`,
#   `face0001.jpg`) are not hashes;
# - Rollup 4 / Rolldown (Vite 5+) `-` + 8 base64url characters: both cases, at least six
#   runs of one kind of character (upper, lower, digit, `-_`), which word-plus-number
#   names (`page-Template`, `btn-Banner01`, `icon-Html5Doc`) never reach, and not letters
#   in CamelCase words alone (`nav-GoToPage`, `logo-MyNewApp`). About half of Rollup's
#   hashes pass (`main-Br8DK0F1.js`); the rest (`index-DiwrgTda.js`, shaped like
#   `grid-DataGrid.js`) need Vite's manifest;
# - esbuild `-` + 8 base32 characters (`app-5LOLJQPB.js`): upper case and a digit 2-7 only;
# - webpack's `[contenthash][ext]` (asset modules, file-loader, worker-loader): a name that
#   IS the hash, 16-64 hex digits alternating as above (`01755571581f208371a3.woff`);
# - after any of these, one of webpack's suffixes: `.chunk` (create-react-app), `.entry`,
#   `.worker`, `.bundle` (`main.4f3a9c1d.chunk.js`, `[contenthash].worker.js`); no other
#   word, so `jquery-3.7.1.min.js`-like names stay out.
# Source maps (`main-Br8DK0F1.js.map`) never match: no bundler's hash covers the map, so
# it can get other bytes under the same name (see bundlers.kept_paths).
DEFAULT_FINGERPRINTED_PATTERN = (
    r"(?:[.-](?=[0-9a-f]*(?:[0-9][a-f]+[0-9]|[a-f][0-9]+[a-f]))[0-9a-f]{8,64}"
    r"|^(?=[0-9a-f]*(?:[0-9][a-f]+[0-9]|[a-f][0-9]+[a-f]))[0-9a-f]{16,64}"
    r"|-(?=[A-Za-z0-9_-]{8}\.)(?=[A-Za-z0-9_-]{0,7}[A-Z])(?=[A-Za-z0-9_-]{0,7}[a-z])"
    r"(?![a-z]*(?:[A-Z][a-z]+)*[A-Z]*\.)"
    r"(?:[A-Z]+(?![A-Z])|[a-z]+(?![a-z])|[0-9]+(?![0-9])|[_-]+(?![_-])){6,8}"
    r"|-(?=[A-Z2-7]{8}\.)(?=[A-Z2-7]{0,7}[2-7])(?=[A-Z2-7]{0,7}[A-Z])[A-Z2-7]{8}"
    r")(?:\.(?:chunk|entry|worker|bundle))?\.(?!map$)[^./]+$"
)


# Names with no hash in them, of the kinds every static folder holds: a fingerprinted-file
# pattern that takes one of them (or "") would keep hand-written names `immutable`.
ORDINARY_NAMES = (
    "app.js",
    "style.css",
    "index.html",
    "logo.png",
    "favicon.ico",
    "robots.txt",
    "main.min.js",
    "bundle.js",
    "jquery-3.7.1.min.js",
    "bootstrap.bundle.min.js",
    "font-awesome.css",
    "OpenSans-Regular.woff2",
    "report-2024.pdf",
    "a",
)


def fingerprinted_pattern(pattern: str) -> re.Pattern[str]:
    r"""`--fingerprinted-pattern` compiled, or UserError (one line) when it is not a regex
    or would take names without a hash for bundler output: one that matches the empty
    string (`[0-9a-f]*`, `(\.min)?`: every name) or any of ORDINARY_NAMES (`\.js$`)."""
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        raise UserError(f"bad fingerprinted-file pattern: {err}") from None
    if compiled.search("") is not None:
        raise UserError(
            f"fingerprinted-file pattern `{printable(pattern)}` matches an empty name, "
            "so every file would keep its name"
        )
    for name in ORDINARY_NAMES:
        if compiled.search(name) is not None:
            raise UserError(
                f"fingerprinted-file pattern `{printable(pattern)}` matches {name!r}, a name without a hash: "
                "it must match only the hash a bundler puts into a name"
            )
    return compiled


@dataclass(frozen=True, slots=True)
class Source:
    """One static folder and where it lives in URL space and in the bucket."""

    scan: Scan
    url_path: str = "/static"  # local URL of the folder, for root-relative references
    sub: str = ""  # sub-prefix of its keys (a blueprint's name), "" for the app
    # Other local URLs of folders inside this one (a blueprint whose static folder lies in
    # the app's): (URL path, the folder's path inside this one), so that a root-relative
    # reference through that URL finds the one file published.
    aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Mount:
    """A local URL path under which a source's files (from `inside` on) are served."""

    url_path: str
    sub: str  # the logical prefix those files have (join_key(source.sub, inside))
    source: Source


def mounts(sources: Sequence[Source]) -> list[Mount]:
    """Every URL path of the sources (their own and their aliases), longest first: the
    order a root-relative reference is matched in."""
    found = [Mount(s.url_path, s.sub, s) for s in sources]
    found += [Mount(url, join_key(s.sub, inside), s) for s in sources for url, inside in s.aliases]
    return sorted(found, key=lambda m: len(m.url_path), reverse=True)


class BuildProgress(Protocol):
    """Who hears how far a build is (the faces show it: a big tree takes a while to hash)."""

    def start(self, files: int, nbytes: int) -> None:
        """The files about to be fingerprinted and their bytes, once."""

    def hashed(self, nbytes: int) -> None:
        """One more file fingerprinted (from any of the build's threads)."""

    def done(self) -> None:
        """Every file fingerprinted (not called when the build fails)."""


@dataclass(frozen=True, slots=True)
class BuildOptions:
    prefix: str = "static"  # key prefix in the bucket (the URL path on the CDN)
    rules: tuple[Rule, ...] = ()
    fingerprinted_pattern: str = DEFAULT_FINGERPRINTED_PATTERN
    strict: bool = False
    jobs: int = 8
    js_modules: tuple[str, ...] = DEFAULT_JS_MODULES  # globs of the .js files that are ES modules
    kept: frozenset[str] = frozenset()  # logical paths of bundler output: name kept, no plain copy
    esbuild_metafile: str | None = None  # read for bundler output, as the manifests found in the folders
    publish_bundler_manifests: bool = False
    verbose: bool = False  # summary warnings list every file they count
    progress: BuildProgress | None = field(default=None, compare=False)  # None: nobody watches


DEFAULT_OPTIONS = BuildOptions()


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # logical path: sub-prefix + path in its folder
    fs_path: str
    key: str  # S3 key of the fingerprinted object (or of the bundler's own name)
    plain_key: str | None  # S3 key of the plain-name copy; None when the name is kept (keeps_name)
    size: int
    sha256: str
    etag: str
    integrity: str
    headers: Headers
    edits: tuple[Edit, ...] = ()
    source_size: int = 0  # size on disk before edits
    source_mtime_ns: int = 0

    @property
    def kept_name(self) -> bool:
        """Published under its own name, byte for byte (see keeps_name)."""
        return self.plain_key is None


@dataclass(frozen=True, slots=True)
class Build:
    prefix: str
    assets: tuple[Asset, ...]  # dependencies before dependents
    warnings: tuple[str, ...] = ()
    rewritten: int = 0  # references rewritten
    roots: tuple[str, ...] = ()  # the static folders built
    modules: Mapping[str, ModuleImports] = field(default_factory=dict)  # ES modules' imports
    left_out: tuple[LeftOut, ...] = ()  # secrets kept off the CDN, by name or by content (scan)

    @property
    def total_bytes(self) -> int:
        return sum(a.size for a in self.assets)


def hashed_name(path: str, sha256: str) -> str:
    """`css/app.css` -> `css/app.3f2a1b9c0d.css` (the last extension stays last)."""
    head, _, name = path.rpartition("/")
    return f"{head}/{_with_hash(name, sha256)}" if head else _with_hash(name, sha256)


def _with_hash(name: str, sha256: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if dot and stem:
        return f"{stem}.{sha256[:HASH_LENGTH]}.{ext}"
    return f"{name}.{sha256[:HASH_LENGTH]}"


def keeps_name(path: str, options: BuildOptions, fingerprinted: re.Pattern[str]) -> bool:
    """Whether the file at logical `path` keeps its name (a bundler's output, listed by its
    manifest or matching the pattern, or cdnpub's own): published under it `immutable`,
    with no plain-name copy. The one place that decides it. Such a file is published byte
    for byte: its bundler owns its references, and bytes edited here would put other bytes
    under a name that browsers and edges cache for a year."""
    base = posixpath.basename(path)
    if path in options.kept or HASHED_NAME.search(base):
        return True
    found = fingerprinted.search(base)
    return found is not None and (
        options.fingerprinted_pattern == DEFAULT_FINGERPRINTED_PATTERN or holds_hash(found.group(0))
    )


# A run a content hash leaves in a name: 6 or more letters and digits with at least one of
# each (hex, base32, base64url). A word (`facade`, `vendor`) or a counter (`2024`) is none.
_HASH_RUN = re.compile(r"(?=[0-9A-Za-z_-]*[0-9])(?=[0-9A-Za-z_-]*[A-Za-z])[0-9A-Za-z_-]{6,}")


def holds_hash(text: str) -> bool:
    """Whether `text` (what a custom --fingerprinted-pattern matched in a name) holds a
    hash-like run. A custom pattern is checked against ORDINARY_NAMES when it is read,
    but only the names being built show what it really takes (`[0-9a-f]{6,}` takes
    `facade.js`): a match with no such run keeps no name (`unhashed_match` warns)."""
    return any(_HASH_RUN.fullmatch(run) for run in re.findall(r"[0-9A-Za-z_-]{6,}", text))


def unhashed_match(path: str, options: BuildOptions, fingerprinted: re.Pattern[str]) -> str | None:
    """The warning for a file a custom --fingerprinted-pattern matches with no hash in the
    match: fingerprinted as usual, never `immutable` under a name that does not change."""
    if options.fingerprinted_pattern == DEFAULT_FINGERPRINTED_PATTERN or path in options.kept:
        return None
    found = fingerprinted.search(posixpath.basename(path))
    if found is None or holds_hash(found.group(0)) or HASHED_NAME.search(posixpath.basename(path)):
        return None
    return (
        f"{printable(path)}: --fingerprinted-pattern matches {found.group(0)!r} in its name, which holds "
        "no hash (letters and digits mixed); fingerprinted as usual"
    )
