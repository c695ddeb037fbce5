"""Benchmark `cdnpub build` against the floor of reading and hashing every file once.

    python bench/build_bench.py [--files N] [--seed S] [--keep DIR] [--profile]

Generates a deterministic tree of N mixed static files (CSS with url(), @import and
@font-face, JS with source maps, images, fonts, and a few 12 MiB files), then times, in
the same run and alternating, best of --rounds each:

- the floor: os.walk + open + read in 1 MiB chunks + sha256, one thread, plain Python;
- cdnpub's build: scan() + build(), as `cdnpub build` runs them (not the CLI process).

Peak RSS is measured in fresh child processes (one that runs the build, one that only
imports cdnpub), so that generating the tree does not count and the difference shows
whether big files grow memory. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import math
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

from cdnpub import fingerprint
from cdnpub.fingerprint import Build, BuildOptions, Source, build
from cdnpub.scan import scan

T = TypeVar("T")

TARGET_RATIO = 2.0
READ_CHUNK = 1024 * 1024
MARKER = "bench-tree.json"  # beside the tree, not in it: the floor would hash it
TREE_VERSION = 1  # bump when the generator changes, so that --keep regenerates
PER_DIR = 100
URL_PATH = "/static"
PREFIX = "static"

# The child that measures peak RSS: a fresh interpreter, so that nothing the parent
# allocated (the generated tree, earlier builds) counts. On Linux it reads VmHWM, not
# ru_maxrss: the kernel carries ru_maxrss over fork and exec, so a child's figure is
# never below the parent's RSS at the fork (the benchmark's own 50 MiB would mask the build).
_RSS_CHILD = """
import resource, sys
from cdnpub.fingerprint import BuildOptions, Source, build
from cdnpub.scan import scan
mode, root, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
exclude = ["*.*", "!*.mp4"] if mode == "big" else []  # the big files alone (folders have no dot)
if mode != "import":
    build([Source(scan(root, exclude), url_path="/static")], BuildOptions(prefix="static", jobs=jobs))
try:
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))  # KiB
except OSError:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(kib // 1024 if sys.platform == "darwin" else kib)  # macOS reports bytes
"""


@dataclass(frozen=True, slots=True)
class Layout:
    """How many files of each kind a tree of `files` files holds (the kinds sum to it)."""

    files: int
    big: int
    css: int
    js: int  # each with its .map: 2 files per script
    font_families: int  # .eot + .woff + .woff2 each
    svg: int
    png: int

    @classmethod
    def for_files(cls, files: int, big: int) -> Layout:
        rest = files - big
        css = max(1, round(rest * 0.08))
        js = max(1, round(rest * 0.12 / 2))
        families = max(1, round(rest * 0.12 / 3))
        svg = max(1, round(rest * 0.15))
        png = rest - css - 2 * js - 3 * families - svg
        if png < 1:
            raise SystemExit(f"--files {files} is too few for {big} big files and one file of each kind")
        return cls(files, big, css, js, families, svg, png)


@dataclass(frozen=True, slots=True)
class Tree:
    root: Path
    files: int
    bytes: int
    largest: int


@dataclass(frozen=True, slots=True)
class Timing:
    floor: list[float]
    scan: list[float]
    build: list[float]  # scan + build


# --- the tree ---------------------------------------------------------------------------------


def _spread(kind_dir: str, stem: str, count: int, ext: str) -> list[str]:
    """`img/s000/img-00000.png`...: at most PER_DIR files a folder, like a real site's."""
    return [f"{kind_dir}/s{i // PER_DIR:03d}/{stem}-{i:05d}.{ext}" for i in range(count)]


def _log_uniform(rng: random.Random, low: int, high: int) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _relative(from_file: str, to_file: str) -> str:
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


def _css(
    rng: random.Random,
    path: str,
    index: int,
    css: list[str],
    images: list[str],
    families: list[tuple[str, str, str]],
) -> str:
    """A stylesheet whose references all resolve: relative and root-relative url(),
    quoted and not, queries and fragments, @import of earlier sheets (no cycles)."""
    out: list[str] = []
    if index and rng.random() < 0.35:
        for target in rng.sample(css[:index], min(index, rng.randrange(1, 3))):
            if rng.random() < 0.5:
                out.append(f'@import url("{_relative(path, target)}");\n')
            else:
                out.append(f'@import "{URL_PATH}/{target}";\n')
    for eot, woff, woff2 in rng.sample(families, min(len(families), rng.randrange(0, 3))):
        out.append(
            "@font-face {\n"
            f"  font-family: 'F{rng.getrandbits(20):x}';\n"
            f"  src: url('{_relative(path, eot)}');\n"
            f"  src: url('{_relative(path, eot)}?#iefix') format('embedded-opentype'),\n"
            f'       url("{URL_PATH}/{woff2}") format("woff2"),\n'
            f"       url({_relative(path, woff)}) format('woff');\n"
            "}\n"
        )
    for n in range(rng.randrange(4, 40)):
        selector = f".c{index}-{n}"
        if rng.random() < 0.3:
            image = rng.choice(images)
            ref = _relative(path, image) if rng.random() < 0.6 else f"{URL_PATH}/{image}"
            suffix = rng.choice(("", "", "", "?v=2", "#icon"))
            form = rng.choice(("url({})", "url('{}')", 'url("{}")'))
            out.append(f"{selector} {{ background: {form.format(ref + suffix)} no-repeat; }}\n")
        else:
            out.append(_filler_rule(rng, selector))
    return "".join(out)


_JS_WORDS = ("const", "let", "function", "return", "if", "else", "await", "this", "=>", "null", "map")


def _js(rng: random.Random, name: str, size: int) -> bytes:
    lines = [f"/* {name} */\n"]
    total = len(lines[0])
    while total < size:
        words = " ".join(rng.choice(_JS_WORDS) for _ in range(rng.randrange(4, 14)))
        line = f"  {words} v{rng.getrandbits(16)};\n"
        lines.append(line)
        total += len(line)
    lines.append(f"//# sourceMappingURL={name}.map\n")
    return "".join(lines).encode()


def _source_map(name: str, size: int) -> bytes:
    mappings = ";".join("AAAA,CAAC,SAAS" for _ in range(max(1, size // 15)))
    source_map = {"version": 3, "file": name, "sources": [f"src/{name}.ts"], "mappings": mappings}
    return json.dumps(source_map).encode()


def _svg(rng: random.Random, size: int) -> bytes:
    points = " ".join(f"L{rng.randrange(100)} {rng.randrange(100)}" for _ in range(max(1, size // 8)))
    head = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
    return f'{head}<path d="M0 0 {points}"/></svg>\n'.encode()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def generate(root: Path, layout: Layout, seed: int, big_mb: int) -> None:
    """Write the tree under `root`; every file but the big ones is a function of `seed`."""
    rng = random.Random(seed)
    css = _spread("css", "style", layout.css, "css")
    scripts = _spread("js", "app", layout.js, "js")
    pngs = _spread("img", "img", layout.png, "png")
    svgs = _spread("icons", "icon", layout.svg, "svg")
    families = [
        (f"fonts/s{i // PER_DIR:03d}/font-{i:05d}.eot", f"fonts/s{i // PER_DIR:03d}/font-{i:05d}.woff")
        for i in range(layout.font_families)
    ]
    font_sets = [(eot, woff, woff + "2") for eot, woff in families]
    for path in pngs:
        _write(root / path, b"\x89PNG\r\n\x1a\n" + rng.randbytes(_log_uniform(rng, 300, 50_000)))
    for path in svgs:
        _write(root / path, _svg(rng, _log_uniform(rng, 300, 8_000)))
    for font_set in font_sets:
        for path, magic in zip(font_set, (b"\x00\x00\x01\x00", b"wOFF", b"wOF2"), strict=True):
            _write(root / path, magic + rng.randbytes(_log_uniform(rng, 5_000, 50_000)))
    for path in scripts:
        name = path.rsplit("/", 1)[1]
        size = _log_uniform(rng, 500, 40_000)
        _write(root / path, _js(rng, name, size))
        _write(root / (path + ".map"), _source_map(name, size))
    images = pngs + svgs
    for i, path in enumerate(css):
        _write(root / path, _css(rng, path, i, css, images, font_sets).encode())
    for i in range(layout.big):
        # os.urandom: incompressible and not worth a seeded generator at this size
        target = root / f"media/film-{i:02d}.mp4"
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as f:
            for _ in range(big_mb):
                f.write(os.urandom(1024 * 1024))


def tree_stats(root: Path) -> Tree:
    sizes = [os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(root) for n in names]
    return Tree(root, len(sizes), sum(sizes), max(sizes, default=0))


@contextmanager
def prepared_tree(files: int, seed: int, big: int, big_mb: int, keep: Path | None) -> Iterator[Tree]:
    """A temporary tree, removed afterwards; or, with --keep, one reused across runs when its
    parameters match (a marker file beside it records them)."""
    params = {"version": TREE_VERSION, "files": files, "seed": seed, "big": big, "big_mb": big_mb}
    layout = Layout.for_files(files, big)
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="cdnpub-bench-") as tmp:
            root = Path(tmp) / "static"
            generate(root, layout, seed, big_mb)
            yield tree_stats(root)
        return
    root, marker = keep / "static", keep / MARKER
    if marker.is_file() and json.loads(marker.read_text()) == params:
        print(f"reusing the tree in {root}")
    else:
        if keep.exists() and any(keep.iterdir()) and not marker.is_file():
            raise SystemExit(f"--keep {keep}: not empty and not a tree of this benchmark; not touching it")
        shutil.rmtree(root, ignore_errors=True)
        marker.unlink(missing_ok=True)
        generate(root, layout, seed, big_mb)
        marker.write_text(json.dumps(params))
    yield tree_stats(root)


# --- what is measured -------------------------------------------------------------------------


def hash_every_file(root: Path) -> int:
    """The floor: read and sha256 every file once, one thread, plain Python."""
    total = 0
    for directory, _, names in os.walk(root):
        for name in names:
            h = hashlib.sha256()
            with open(os.path.join(directory, name), "rb") as f:
                while chunk := f.read(READ_CHUNK):
                    h.update(chunk)
                    total += len(chunk)
            h.hexdigest()
    return total


def cdnpub_build(root: Path, jobs: int) -> tuple[Build, float]:
    """scan + build as `cdnpub build` runs them; also returns the scan's share of the time."""
    start = time.perf_counter()
    scanned = scan(root)
    scanned_at = time.perf_counter()
    result = build([Source(scanned, url_path=URL_PATH)], BuildOptions(prefix=PREFIX, jobs=jobs))
    return result, scanned_at - start


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def measure(tree: Tree, rounds: int, jobs: int) -> tuple[Timing, Build]:
    hash_every_file(tree.root)  # warm the page cache: both sides then read from memory
    floor: list[float] = []
    scans: list[float] = []
    builds: list[float] = []
    result: Build | None = None
    for _ in range(rounds):  # alternated, so that drift in the machine hits both alike
        hashed, seconds = timed(lambda: hash_every_file(tree.root))
        if hashed != tree.bytes:
            raise SystemExit(f"floor read {hashed} bytes, the tree has {tree.bytes}")
        floor.append(seconds)
        (result, scan_s), seconds = timed(lambda: cdnpub_build(tree.root, jobs))
        scans.append(scan_s)
        builds.append(seconds)
    assert result is not None
    return Timing(floor, scans, builds), result


def peak_rss_kb(mode: str, root: Path, jobs: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, mode, str(root), str(jobs)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"the {mode} child failed:\n{done.stderr}")
    return int(done.stdout.strip().splitlines()[-1])


class _InlineExecutor(Executor):
    """Runs submitted work in the calling thread: cProfile sees only the thread it runs in,
    so the profile swaps this in for the build's thread pool."""

    def __init__(self, max_workers: int | None = None) -> None:
        pass

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def profile(tree: Tree, top: int) -> None:
    profiler = cProfile.Profile()
    with mock.patch.object(fingerprint, "ThreadPoolExecutor", _InlineExecutor):
        profiler.runcall(cdnpub_build, tree.root, 1)
    for key in ("cumulative", "tottime"):
        print(f"\nprofile of one build, single thread, top {top} by {key}:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(key).print_stats(top)


# --- report -----------------------------------------------------------------------------------


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def _runs(values: list[float]) -> str:
    return "  ".join(f"{v:.3f}" for v in values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=10_000, help="files in the tree (default 10,000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated tree")
    parser.add_argument("--big", type=int, default=3, help="files of --big-mb MiB each (default 3)")
    parser.add_argument("--big-mb", type=int, default=12, help="size of the big files in MiB (default 12)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each side; best counts")
    parser.add_argument("--jobs", type=int, default=BuildOptions().jobs, help="build threads (as --jobs)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the tree in DIR; reuse it")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one build")
    args = parser.parse_args(argv)

    with prepared_tree(args.files, args.seed, args.big, args.big_mb, args.keep) as tree:
        timing, result = measure(tree, args.rounds, args.jobs)
        build_kb = peak_rss_kb("build", tree.root, args.jobs)
        baseline_kb = peak_rss_kb("import", tree.root, args.jobs)
        big_kb = peak_rss_kb("big", tree.root, args.jobs) if args.big else baseline_kb
        if args.profile:
            profile(tree, 25)

    floor_s, build_s = min(timing.floor), min(timing.build)
    scan_s = timing.scan[timing.build.index(build_s)]
    ratio = round(build_s / floor_s, 2)
    met = ratio <= TARGET_RATIO
    cpus, largest = os.cpu_count(), _mib(tree.largest)
    rows = [
        ("files", f"{tree.files:,} ({args.big} of {args.big_mb} MiB)"),
        ("bytes", f"{_mib(tree.bytes)} (largest {_mib(tree.largest)})"),
        ("assets built", f"{len(result.assets):,}, {result.rewritten:,} references rewritten"),
        ("warnings", f"{len(result.warnings)}"),
        ("floor: read + sha256", f"{floor_s:.3f} s best   ({_runs(timing.floor)})"),
        ("cdnpub: scan + build", f"{build_s:.3f} s best   ({_runs(timing.build)}), scan {scan_s:.3f} s"),
        ("floor throughput", f"{tree.bytes / floor_s / 2**20:,.0f} MiB/s"),
        ("build throughput", f"{tree.bytes / build_s / 2**20:,.0f} MiB/s ({args.jobs} jobs, {cpus} CPUs)"),
        ("ratio build / floor", f"{ratio:.2f}  target <= {TARGET_RATIO:g}: {'met' if met else 'NOT met'}"),
        ("peak RSS, build child", f"{build_kb / 1024:,.1f} MiB"),
        ("peak RSS, import only", f"{baseline_kb / 1024:,.1f} MiB"),
        ("peak RSS, big files only", f"{big_kb / 1024:,.1f} MiB (largest file {largest})"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for warning in result.warnings[:5]:
        print(f"warning: {warning}")
    print(
        json.dumps(
            {
                "files": tree.files,
                "bytes": tree.bytes,
                "build_s": round(build_s, 4),
                "scan_s": round(scan_s, 4),
                "floor_s": round(floor_s, 4),
                "ratio": ratio,
                "target_ratio": TARGET_RATIO,
                "target_met": met,
                "peak_rss_mb": round(build_kb / 1024, 1),
                "baseline_rss_mb": round(baseline_kb / 1024, 1),
                "big_only_rss_mb": round(big_kb / 1024, 1),
                "largest_mb": round(tree.largest / 2**20, 1),
                "warnings": len(result.warnings),
                "jobs": args.jobs,
                "cpus": cpus,
                "seed": args.seed,
            }
        )
    )


if __name__ == "__main__":
    main()
