"""The fallback pattern for bundler-named files (no bundler manifest): which names are
taken for a bundler's hash. A wrong "yes" keeps a hand-written name under a one-year
`immutable` header, so the "no" list is the one that matters most; it is checked
against every file name of real npm trees too."""

from __future__ import annotations

import itertools
import os
import posixpath
import random
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.support.names import NOT_HASHED, PATTERN

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "npm"

HASHED = (
    "main-Br8DK0F1.js",  # Rolldown (Vite 8) and Rollup 4 (Vite 5-7)
    "shared-5q7pREkT.css",
    "logo-D2K_hfMS.svg",  # base64url: "_" and "-" are hash characters
    "admin-DlNyXIyu.js",
    "index-B-x3kQ9a.js",
    "app-5LOLJQPB.js",  # esbuild [name]-[hash]
    "chunk-ZX2WQ7DK.js",
    "main.4f3a9c1d.js",  # webpack [contenthash:8], Parcel
    "main.4f3a9c1d2b3e4f5a6b7c.js",  # webpack 5 [contenthash] (20 hex)
    "index.8f3a2b1c.js",  # Parcel 2
    "index-4f3a9c1d.css",  # Vite < 5 (hex)
    "main.8759e14c.css",  # Vite 2, re-hashed by whitenoise to main.8759e14c.85ba8b404fb8.css (django-vite#30)
    "main-130a948e.js",  # Vite 4, "-" before the hash, missed by whitenoise's test (django-vite#93)
    "vendors~main.0a1b2c3d.js",
    # webpack's own defaults
    "01755571581f208371a3.woff",  # webpack 5 asset modules: [hash][ext], the name IS the hash
    "a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8.png",  # file-loader [contenthash].[ext] (32 hex)
    "8f3a2b1c4d5e6f708192.chunk.js",  # [contenthash].chunk.js
    "6c5b3e0d1f2a3b4c5d6e.worker.js",  # worker-loader [hash].worker.js
    "main.4f3a9c1d.chunk.js",  # create-react-app [name].[contenthash:8].chunk.js
    "787.28cb0dcd.chunk.js",  # create-react-app, a numeric chunk id
    "main.28cb0dcd.chunk.css",
    "main.4f3a9c1d2b3e4f5a6b7c.entry.js",  # [name].[contenthash].entry.js
    "vendor.4f3a9c1d2b3e4f5a6b7c.bundle.js",
    "runtime-main.3f2a1b9c.js",
    "shared-5q7pREkT.chunk.js",
)

# Ordinary names near webpack's forms: a hex word or a counter that is the whole name,
# webpack's suffix words without a hash, a suffix that is not one of webpack's.
NOT_HASHED_NEAR_WEBPACK = (
    "deadbeefcafebabe.png",  # hex letters only
    "20240101123456.jpg",  # digits only: a timestamp
    "1234567890abcdef.png",  # digits, then letters: one change, not alternating
    "face0001cafe.png",  # 12 hex: too short to be a whole-name hash
    "0123456789.txt",
    "app.chunk.js",
    "vendor.bundle.js",
    "my.worker.js",
    "service-worker.js",
    "main.entry.js",
    "favicon-32x32.png",
    "main.4f3a9c1d.min.js",  # not a webpack suffix
    "main.4f3a9c1d.chunk.js.map",  # source maps never
    "01755571581f208371a3.woff.map",
    "8f3a2b1c4d5e6f708192.chunk.js.map",
    "x01755571581f208371a3.woff",  # a word that runs into hex digits
)


@pytest.mark.parametrize("name", HASHED)
def test_bundler_hashed_name_is_recognised(name: str) -> None:
    assert PATTERN.search(name)


@pytest.mark.parametrize("name", NOT_HASHED + NOT_HASHED_NEAR_WEBPACK)
def test_hand_written_name_is_not_taken_for_a_hash(name: str) -> None:
    assert not PATTERN.search(name)


WORDS = [
    "go",
    "to",
    "my",
    "up",
    "on",
    "in",
    "it",
    "is",
    "at",
    "by",
    "do",
    "no",
    "add",
    "app",
    "bar",
    "box",
    "btn",
    "car",
    "day",
    "dev",
    "doc",
    "dot",
    "end",
    "fav",
    "fix",
    "hot",
    "hub",
    "img",
    "key",
    "lab",
    "log",
    "map",
    "max",
    "mid",
    "min",
    "new",
    "nav",
    "off",
    "old",
    "one",
    "out",
    "pad",
    "pen",
    "pic",
    "pin",
    "pop",
    "pro",
    "red",
    "ref",
    "row",
    "run",
    "set",
    "sky",
    "tab",
    "tag",
    "tip",
    "top",
    "two",
    "use",
    "web",
    "win",
    "zip",
    "back",
    "base",
    "blue",
    "body",
    "book",
    "card",
    "cart",
    "chat",
    "code",
    "dark",
    "data",
    "date",
    "demo",
    "down",
    "edit",
    "file",
    "flag",
    "font",
    "form",
    "free",
    "full",
    "grid",
    "head",
    "help",
    "hero",
    "home",
    "icon",
    "info",
    "item",
    "list",
    "load",
    "logo",
    "main",
    "mail",
    "menu",
    "mode",
    "more",
    "name",
    "news",
    "next",
    "note",
    "open",
    "page",
    "path",
    "play",
    "plus",
    "post",
    "prev",
    "save",
    "shop",
    "show",
    "side",
    "sign",
    "site",
    "size",
    "skin",
    "star",
    "step",
    "stop",
    "text",
    "tile",
    "time",
    "tool",
    "tree",
    "type",
    "user",
    "view",
    "wide",
    "word",
    "work",
    "zone",
]


def _camel_case_names() -> list[str]:
    """Every 8-letter name made of two to four of WORDS, each capitalised or not."""
    found = []
    for n in (2, 3, 4):
        for combo in itertools.product([w for w in WORDS if len(w) <= 8 - 2 * (n - 1)], repeat=n):
            if sum(map(len, combo)) == 8:
                found.append("".join(w.title() for w in combo))
                found.append(combo[0] + "".join(w.title() for w in combo[1:]))
    return found


def test_no_camel_case_name_of_short_words_is_taken_for_a_rollup_hash() -> None:
    names = _camel_case_names()
    assert len(names) > 10_000
    assert [n for n in names if PATTERN.search(f"x-{n}.js")] == []


def test_no_word_and_counter_name_is_taken_for_a_hash() -> None:
    names = [
        form + str(number).zfill(8 - len(w))
        for w in WORDS
        if len(w) < 8
        for form in (w, w.title(), w.upper())
        for number in (1, 2, 7, 10, 42, 2024)
    ]
    assert [n for n in names if PATTERN.search(f"x-{n}.png")] == []


def test_no_word_with_a_webpack_suffix_is_taken_for_a_hash() -> None:
    """`app.chunk.js`, `vendor-main.worker.js`, `add00001.bundle.js`: webpack's suffix words
    after names, hex words and counters, never after a hash."""
    stems = [w for w in WORDS] + [f"{a}-{b}" for a in WORDS[:40] for b in WORDS[:40]]
    stems += [w + str(n).zfill(8) for w in WORDS[:30] for n in (1, 42, 2024)]
    names = [
        f"{stem}.{suffix}.{ext}"
        for stem in stems
        for suffix in ("chunk", "entry", "worker", "bundle")
        for ext in ("js", "css")
    ]
    assert len(names) > 10_000
    assert [n for n in names if PATTERN.search(n)] == []


def test_a_whole_name_hash_needs_sixteen_alternating_hex_digits() -> None:
    rng = random.Random(5)
    hashes = ["".join(rng.choices("0123456789abcdef", k=20)) + ".woff" for _ in range(2000)]
    assert sum(bool(PATTERN.search(n)) for n in hashes) / 2000 > 0.99  # webpack 5's [hash][ext]
    short = ["".join(rng.choices("0123456789abcdef", k=12)) + ".png" for _ in range(2000)]
    assert [n for n in short if PATTERN.search(n)] == []


def test_most_rollup_hashes_and_esbuild_hashes_are_recognised() -> None:
    """Recall of the shape rules on random hashes (the rest need the bundler's manifest):
    about half of Rollup's 8 base64url characters, four in five of esbuild's base32."""
    rng = random.Random(17)
    base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    rollup = ["x-" + "".join(rng.choices(base64url, k=8)) + ".js" for _ in range(4000)]
    esbuild = ["x-" + "".join(rng.choices(base32, k=8)) + ".js" for _ in range(4000)]
    assert 0.45 < sum(bool(PATTERN.search(n)) for n in rollup) / 4000 < 0.6
    assert 0.75 < sum(bool(PATTERN.search(n)) for n in esbuild) / 4000 < 0.9


# Trees Flask apps vendor, with thousands of hand-written names between them.
REAL_TREES = (
    "bootstrap@5.3.3",
    "jquery-ui-dist@1.13.3",
    "@fortawesome/fontawesome-free@6.5.2",
    "select2@4.0.13",
    "pdfjs-dist@4.10.38",
    "bootstrap-icons@1.11.3",
    "@mdi/font@7.4.47",
    "katex@0.16.11",
)


def _tarball(spec: str) -> Path:
    name = spec.lstrip("@").replace("/", "-").replace("@", "-") + ".tgz"
    path = CACHE / name
    if path.is_file():
        return path
    npm = shutil.which("npm")
    if npm is None:
        if os.environ.get("CI") == "true":
            pytest.fail("npm is missing; CI=true needs it", pytrace=False)
        pytest.skip("npm is not installed: cannot fetch the real trees")
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "pack", "--silent", spec], cwd=CACHE, check=True, capture_output=True, timeout=300)
    return path


@pytest.mark.parametrize("spec", REAL_TREES)
def test_no_file_name_of_a_real_tree_is_taken_for_a_hash(spec: str) -> None:
    with tarfile.open(_tarball(spec)) as tar:
        names = [m.name for m in tar if m.isfile()]
    assert len(names) > 10
    assert [n for n in names if PATTERN.search(posixpath.basename(n))] == []
