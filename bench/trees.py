"""The generated static trees the benchmarks build and publish: CSS that references
images, fonts and earlier sheets (relative and root-relative, quoted and not, with queries
and fragments), scripts with source maps, SVG and PNG images, font families.

    from trees import BUILD_MIX, generate   # beside the benches: python bench/x.py

Every file is a function of the seed; the `Mix` says how many of each kind a tree of N
files holds and how large they are, so a bench keeps its figures comparable run to run.
Big files are each bench's own (written after, not counted here).
"""

from __future__ import annotations

import json
import math
import os
import random
from dataclasses import dataclass
from pathlib import Path

PER_DIR = 100  # files a folder at most, like a real site's
URL_PATH = "/static"

Range = tuple[int, int]  # bytes, low and high of a log-uniform draw


@dataclass(frozen=True, slots=True)
class FontKind:
    ext: str
    magic: bytes
    size: Range


@dataclass(frozen=True, slots=True)
class Layout:
    """How many files of each kind a tree of `files` small files holds (they sum to it)."""

    files: int
    css: int
    js: int  # each with its .map: 2 files per script
    font_families: int  # one file of each FontKind per family
    svg: int
    png: int


@dataclass(frozen=True, slots=True)
class Mix:
    """Shares of the files by kind (fractions of the small files) and their sizes."""

    css: float
    js: float  # scripts and their maps together
    fonts: float  # all font files together
    svg: float
    font_kinds: tuple[FontKind, ...]
    png_size: Range
    js_size: Range
    svg_size: Range = (300, 8_000)

    def layout(self, files: int) -> Layout:
        css = max(1, round(files * self.css))
        js = max(1, round(files * self.js / 2))
        families = max(1, round(files * self.fonts / len(self.font_kinds)))
        svg = max(1, round(files * self.svg))
        png = files - css - 2 * js - len(self.font_kinds) * families - svg
        if png < 1:
            raise SystemExit(f"{files} files are too few for one file of each kind")
        return Layout(files, css, js, families, svg, png)


# build_bench's mix: 12 % fonts as .eot/.woff/.woff2 families.
BUILD_MIX = Mix(
    css=0.08,
    js=0.12,
    fonts=0.12,
    svg=0.15,
    font_kinds=(
        FontKind("eot", b"\x00\x00\x01\x00", (5_000, 50_000)),
        FontKind("woff", b"wOFF", (5_000, 50_000)),
        FontKind("woff2", b"wOF2", (5_000, 50_000)),
    ),
    png_size=(300, 50_000),
    js_size=(500, 40_000),
)

# sync_bench's mix: 10 % fonts as .woff2/.woff pairs, somewhat larger images and scripts.
SYNC_MIX = Mix(
    css=0.08,
    js=0.12,
    fonts=0.10,
    svg=0.15,
    font_kinds=(FontKind("woff2", b"wOF2", (5_000, 60_000)), FontKind("woff", b"wOFF", (5_000, 80_000))),
    png_size=(300, 60_000),
    js_size=(500, 60_000),
)


@dataclass(frozen=True, slots=True)
class Written:
    files: tuple[str, ...]  # relative POSIX paths, sorted
    referenced_images: tuple[str, ...]  # images some stylesheet points at
    bytes: int


def spread(kind_dir: str, stem: str, count: int, ext: str) -> list[str]:
    """`img/s000/img-00000.png`...: at most PER_DIR files a folder."""
    return [f"{kind_dir}/s{i // PER_DIR:03d}/{stem}-{i:05d}.{ext}" for i in range(count)]


def log_uniform(rng: random.Random, size: Range) -> int:
    low, high = size
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def relative(from_file: str, to_file: str) -> str:
    return os.path.relpath(to_file, os.path.dirname(from_file)).replace(os.sep, "/")


_DECLS = (
    "color: #{h:06x};",
    "margin: {n}px {m}px;",
    "padding: {n}px;",
    "font-size: {n}px;",
    "line-height: 1.{n};",
    "border: 1px solid #{h:06x};",
    "display: flex;",
    "transition: opacity .{n}s ease-in-out;",
    "box-shadow: 0 {n}px {m}px rgba(0, 0, 0, .{n});",
)


def _filler_rule(rng: random.Random, selector: str) -> str:
    decls = " ".join(
        rng.choice(_DECLS).format(h=rng.getrandbits(24), n=rng.randrange(1, 40), m=rng.randrange(1, 40))
        for _ in range(rng.randrange(2, 7))
    )
    return f"{selector} {{ {decls} }}\n"


def _font_face(rng: random.Random, path: str, family: tuple[str, ...]) -> str:
    """One @font-face naming every file of the family, relative and root-relative in turn."""
    first = family[0]
    sources = ",\n       ".join(
        f"url('{relative(path, f)}')" if i % 2 else f'url("{URL_PATH}/{f}")' for i, f in enumerate(family)
    )
    return (
        "@font-face {\n"
        f"  font-family: 'F{rng.getrandbits(20):x}';\n"
        f"  src: url('{relative(path, first)}');\n"
        f"  src: url('{relative(path, first)}?#iefix'),\n       {sources};\n"
        "}\n"
    )


def css(
    rng: random.Random,
    path: str,
    index: int,
    sheets: list[str],
    images: list[str],
    families: list[tuple[str, ...]],
) -> tuple[str, set[str]]:
    """A stylesheet whose references all resolve (@import of earlier sheets only: no
    cycles), and the images it uses."""
    out: list[str] = []
    used: set[str] = set()
    if index and rng.random() < 0.35:
        for target in rng.sample(sheets[:index], min(index, rng.randrange(1, 3))):
            if rng.random() < 0.5:
                out.append(f'@import url("{relative(path, target)}");\n')
            else:
                out.append(f'@import "{URL_PATH}/{target}";\n')
    for family in rng.sample(families, min(len(families), rng.randrange(0, 3))):
        out.append(_font_face(rng, path, family))
    for n in range(rng.randrange(4, 40)):
        selector = f".c{index}-{n}"
        if rng.random() < 0.3:
            image = rng.choice(images)
            used.add(image)
            ref = relative(path, image) if rng.random() < 0.6 else f"{URL_PATH}/{image}"
            suffix = rng.choice(("", "", "", "?v=2", "#icon"))
            form = rng.choice(("url({})", "url('{}')", 'url("{}")'))
            out.append(f"{selector} {{ background: {form.format(ref + suffix)} no-repeat; }}\n")
        else:
            out.append(_filler_rule(rng, selector))
    return "".join(out), used


_JS_WORDS = ("const", "let", "function", "return", "if", "else", "await", "this", "=>", "null", "map")


def js(rng: random.Random, name: str, size: int) -> bytes:
    lines = [f"/* {name} */\n"]
    total = len(lines[0])
    while total < size:
        words = " ".join(rng.choice(_JS_WORDS) for _ in range(rng.randrange(4, 14)))
        line = f"  {words} v{rng.getrandbits(16)};\n"
        lines.append(line)
        total += len(line)
    lines.append(f"//# sourceMappingURL={name}.map\n")
    return "".join(lines).encode()


def source_map(name: str, size: int) -> bytes:
    mappings = ";".join("AAAA,CAAC,SAAS" for _ in range(max(1, size // 15)))
    doc = {"version": 3, "file": name, "sources": [f"src/{name}.ts"], "mappings": mappings}
    return json.dumps(doc).encode()


def svg(rng: random.Random, size: int) -> bytes:
    points = " ".join(f"L{rng.randrange(100)} {rng.randrange(100)}" for _ in range(max(1, size // 8)))
    head = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
    return f'{head}<path d="M0 0 {points}"/></svg>\n'.encode()


def generate(root: Path, mix: Mix, files: int, seed: int) -> Written:
    """Write `files` small files under `root`, as `mix` lays them out."""
    layout = mix.layout(files)
    rng = random.Random(seed)
    written: dict[str, int] = {}

    def write(path: str, data: bytes) -> None:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written[path] = len(data)

    pngs = spread("img", "img", layout.png, "png")
    svgs = spread("icons", "icon", layout.svg, "svg")
    families = [
        tuple(f"fonts/s{i // PER_DIR:03d}/font-{i:05d}.{kind.ext}" for kind in mix.font_kinds)
        for i in range(layout.font_families)
    ]
    for path in pngs:
        write(path, b"\x89PNG\r\n\x1a\n" + rng.randbytes(log_uniform(rng, mix.png_size)))
    for path in svgs:
        write(path, svg(rng, log_uniform(rng, mix.svg_size)))
    for family in families:
        for path, kind in zip(family, mix.font_kinds, strict=True):
            write(path, kind.magic + rng.randbytes(log_uniform(rng, kind.size)))
    for path in spread("js", "app", layout.js, "js"):
        name = path.rsplit("/", 1)[1]
        size = log_uniform(rng, mix.js_size)
        write(path, js(rng, name, size))
        write(path + ".map", source_map(name, size))
    sheets = spread("css", "style", layout.css, "css")
    referenced: set[str] = set()
    for i, path in enumerate(sheets):
        text, used = css(rng, path, i, sheets, pngs + svgs, families)
        write(path, text.encode())
        referenced |= used
    assert len(written) == files, (len(written), files)
    return Written(tuple(sorted(written)), tuple(sorted(referenced)), sum(written.values()))
