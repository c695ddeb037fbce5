"""Benchmark `cdnpub build` against Django's `collectstatic` with ManifestStaticFilesStorage.

    python bench/build_bench.py [--files N] [--seed S] [--keep DIR] [--machinery] [--profile]

Generates a deterministic tree of N mixed static files (CSS with url(), @import and
@font-face, JS with source maps, images, fonts, and a few 12 MiB files), then times, in
the same run and alternating, best of --rounds each, every side a process of its own
(start-up included, as a user runs it):

- the peer: Django's `collectstatic` with ManifestStaticFilesStorage (content hashes, CSS
  url()/@import and sourceMappingURL rewriting, a manifest; it writes a tree, from an empty
  STATIC_ROOT), Django from PyPI in a venv of the bench's own under --cache-dir;
- `cdnpub build` (manifest only) and `cdnpub build --out` (also the tree, from an empty folder);
- the required work, in this process, one thread: read + SHA-256 every file, and tokenize
  every stylesheet with tinycss2 (no target: it shows what any build must spend).

Past --scale-base files (10,000), a tree of that size is built too: scale_ratio is the
time of N over the time of the base, both in this run. Peak RSS is that of the `cdnpub
build` processes. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import json
import math
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

from trees import BUILD_MIX  # beside this script
from trees import generate as generate_tree

from cdnpub.build import digest, fingerprint
from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.references import css_spans
from cdnpub.build.scan import scan

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.2  # cdnpub build / Django's collectstatic
TARGET_OUT_RATIO = 0.3  # cdnpub build --out / Django's collectstatic
TARGET_RSS_MB = 250  # at 100,000 files
TARGET_SCALE_RATIO = 12.0  # 100,000 files against 10,000
READ_CHUNK = 1024 * 1024
MARKER = "bench-tree.json"  # beside the tree, not in it: the floor would hash it
TREE_VERSION = 2  # bump when the generator changes, so that --keep regenerates
URL_PATH = "/static"
PREFIX = "static"

# The child that measures peak RSS: a fresh interpreter, so that nothing the parent
# allocated (the generated tree, earlier builds) counts. On Linux it reads VmHWM, not
# ru_maxrss: the kernel carries ru_maxrss over fork and exec, so a child's figure is
# never below the parent's RSS at the fork (the benchmark's own 50 MiB would mask the build).
_RSS_CHILD = """
import resource, sys
from cdnpub.build.fingerprint import build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
mode, root = sys.argv[1], sys.argv[2]
exclude = ["*.*", "!*.mp4"] if mode == "big" else []  # the big files alone (folders have no dot)
if mode != "import":
    build([Source(scan(root, exclude), url_path="/static")], BuildOptions(prefix="static"))
try:
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))  # KiB
except OSError:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(kib // 1024 if sys.platform == "darwin" else kib)  # macOS reports bytes
"""


@dataclass(frozen=True, slots=True)
class Tree:
    root: Path
    files: int
    bytes: int
    largest: int


# --- the tree ---------------------------------------------------------------------------------


def generate(root: Path, files: int, big: int, seed: int, big_mb: int) -> None:
    """Write the tree under `root` (bench/trees.py's BUILD_MIX, then the big files); every
    file but the big ones is a function of `seed`."""
    generate_tree(root, BUILD_MIX, files - big, seed)
    for i in range(big):
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
    if files - big < 1:
        raise SystemExit(f"--files {files} is too few for {big} big files")
    BUILD_MIX.layout(files - big)  # too few files for one of each kind: say so before any work
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="cdnpub-bench-") as tmp:
            root = Path(tmp) / "static"
            generate(root, files, big, seed, big_mb)
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
        generate(root, files, big, seed, big_mb)
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


def required_work(root: Path) -> int:
    """What any build that meets cdnpub's build issue must do, one thread: the floor, and
    every stylesheet tokenized with tinycss2 (references.css_spans, as the build does)."""
    total = hash_every_file(root)
    for directory, _, names in os.walk(root):
        for name in names:
            if name.endswith(".css"):
                with open(os.path.join(directory, name), encoding="utf-8", errors="surrogateescape") as f:
                    css_spans(f.read())
    return total


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


# `cdnpub build` as users run it (a process of its own, start-up included), and at its end
# the process's peak RSS. On Linux VmHWM, not ru_maxrss: the kernel carries ru_maxrss over
# fork and exec, so a child's figure is never below the parent's RSS at the fork.
_CLI_CHILD = """
import sys
from cdnpub.cli import main
sys.argv[0] = "cdnpub"
try:
    main()
finally:
    try:
        with open("/proc/self/status") as status:
            kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    except OSError:
        import resource
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kib = kib // 1024 if sys.platform == "darwin" else kib  # macOS reports bytes
    print(f"peak-kib {kib}", file=sys.stderr)
"""


@dataclass(frozen=True, slots=True)
class CliRun:
    seconds: float
    peak_kib: int
    cpu_s: float  # user + system time of the process and the workers it waited for


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cdnpub_cli(root: Path, work: Path, out: Path | None) -> CliRun:
    """`cdnpub build ROOT --manifest ...` [--out OUT], from an empty OUT (as Django's from an
    empty STATIC_ROOT)."""
    argv = [sys.executable, "-c", _CLI_CHILD, "build", str(root), "--manifest", str(work / "manifest.json")]
    if out is not None:
        shutil.rmtree(out, ignore_errors=True)
        argv += ["--out", str(out)]
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=work)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"cdnpub build failed:\n{done.stderr[-3000:]}")
    peak = next(line for line in done.stderr.splitlines() if line.startswith("peak-kib "))
    return CliRun(seconds, int(peak.split()[1]), children_cpu() - cpu)


# --- the peer: Django's collectstatic with ManifestStaticFilesStorage --------------------------

_DJANGO_SETTINGS = """
SECRET_KEY = "bench"
INSTALLED_APPS = ["django.contrib.staticfiles"]
STATIC_URL = "{url_path}/"
STATIC_ROOT = {static_root!r}
STATICFILES_DIRS = [{source!r}]
STORAGES = {{"staticfiles": {{"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}}}
USE_TZ = True
"""
_DJANGO_RUN = """
import django
from django.core.management import call_command
django.setup()
call_command("collectstatic", interactive=False, verbosity=0)
"""


@dataclass(frozen=True, slots=True)
class Django:
    python: Path
    version: str
    settings_dir: Path
    static_root: Path

    def collectstatic(self) -> tuple[float, float]:
        """`manage.py collectstatic` from an empty STATIC_ROOT (it skips files already there):
        wall and CPU seconds."""
        shutil.rmtree(self.static_root, ignore_errors=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            "PYTHONPATH": str(self.settings_dir),
        }
        cpu, start = children_cpu(), time.perf_counter()
        done = subprocess.run([str(self.python), "-c", _DJANGO_RUN], capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(f"Django's collectstatic failed:\n{done.stderr[-3000:]}")
        return seconds, children_cpu() - cpu


def _newer_python() -> str | None:
    """Django 6 needs Python 3.12+: one from pyenv or PATH that runs, else None."""
    pyenv = Path.home() / ".pyenv" / "versions"
    found = sorted(pyenv.glob("3.1[2-9]*/bin/python3"), reverse=True) if pyenv.is_dir() else []
    found += [Path(p) for n in ("python3.14", "python3.13", "python3.12") if (p := shutil.which(n))]
    check = "import sys; sys.exit(sys.version_info < (3, 12))"
    for python in found:  # pyenv's shims are on PATH whether or not the version is active
        if subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0:
            return str(python)
    return None


def django_peer(cache: Path, work: Path, root: Path) -> Django | str:
    """Django in a venv of the bench's own under `cache` (Django 6 on Python 3.12+, else
    the 5.2 LTS, whose ManifestStaticFilesStorage does the same work); the reason when it
    cannot be had."""
    venv = cache / "django-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        base = _newer_python()
        requirement = "Django>=6,<7" if base else "Django>=5.2,<6"
        print(f"installing {requirement} into {venv} ...", flush=True)
        cache.mkdir(parents=True, exist_ok=True)
        for step in (
            [base or getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(venv)],
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
        ):
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode:
                shutil.rmtree(venv, ignore_errors=True)
                return f"could not install Django: {(done.stderr or done.stdout).strip()[-300:]}"
    done = subprocess.run(
        [str(python), "-c", "import django; print(django.get_version())"], capture_output=True, text=True
    )
    if done.returncode:
        return f"Django does not import in {venv}: {done.stderr.strip()[-300:]}"
    settings_dir = work / "django"
    settings_dir.mkdir(parents=True, exist_ok=True)
    static_root = work / "django-static-root"
    (settings_dir / "bench_settings.py").write_text(
        _DJANGO_SETTINGS.format(url_path=URL_PATH, static_root=str(static_root), source=str(root))
    )
    return Django(python, done.stdout.strip(), settings_dir, static_root)


# --- the machinery of the build (forked tokenizers, hashing threads), measured ------------------


def in_process_build(root: Path) -> Build:
    return build([Source(scan(root), url_path=URL_PATH)], BuildOptions(prefix=PREFIX))


def machinery(root: Path, rounds: int) -> dict[str, float]:
    """The in-process build with each piece of parallel machinery switched off in turn,
    best of `rounds`: what each buys (issue #15: keep what buys >= 20 %)."""
    variants: dict[str, list[tuple[Any, str, Any]]] = {
        "all on": [],
        "no forked tokenizers": [(fingerprint, "PARALLEL_CSS_BYTES", 1 << 62)],
        "no hashing threads": [
            (fingerprint, "POOL_MIN_SIZE", 1 << 62),
            (digest, "PARALLEL_MIN_SIZE", 1 << 62),
        ],
        "none": [
            (fingerprint, "PARALLEL_CSS_BYTES", 1 << 62),
            (fingerprint, "POOL_MIN_SIZE", 1 << 62),
            (digest, "PARALLEL_MIN_SIZE", 1 << 62),
        ],
    }
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, patches in variants.items():
            with contextlib.ExitStack() as stack:
                for module, attribute, value in patches:
                    stack.enter_context(mock.patch.object(module, attribute, value))
                _, seconds = timed(lambda: in_process_build(root))
            best[name] = min(best.get(name, math.inf), seconds)
    return best


def peak_rss_kb(mode: str, root: Path) -> int:
    done = subprocess.run([sys.executable, "-c", _RSS_CHILD, mode, str(root)], capture_output=True, text=True)
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
        profiler.runcall(in_process_build, tree.root)
    for key in ("cumulative", "tottime"):
        print(f"\nprofile of one build, single thread, top {top} by {key}:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(key).print_stats(top)


# --- report -----------------------------------------------------------------------------------


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def _runs(values: list[float]) -> str:
    return "  ".join(f"{v:.3f}" for v in values)


@dataclass(slots=True)
class Figures:
    django: list[float] = field(default_factory=list)
    django_cpu: list[float] = field(default_factory=list)
    build: list[CliRun] = field(default_factory=list)
    build_out: list[CliRun] = field(default_factory=list)
    required: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)


def measure(tree: Tree, work: Path, rounds: int, peer: Django | None) -> Figures:
    hash_every_file(tree.root)  # warm the page cache: every side then reads from memory
    figures = Figures()
    out = work / "out"
    for _ in range(rounds):  # alternated, so that drift in the machine hits every side alike
        if peer is not None:
            seconds, cpu = peer.collectstatic()
            figures.django.append(seconds)
            figures.django_cpu.append(cpu)
        figures.build.append(cdnpub_cli(tree.root, work, None))
        figures.build_out.append(cdnpub_cli(tree.root, work, out))
        _, seconds = timed(lambda: hash_every_file(tree.root))
        figures.floor.append(seconds)
        _, seconds = timed(lambda: required_work(tree.root))
        figures.required.append(seconds)
    shutil.rmtree(out, ignore_errors=True)
    if peer is not None:
        shutil.rmtree(peer.static_root, ignore_errors=True)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=10_000, help="files in the tree (default 10,000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated tree")
    parser.add_argument("--big", type=int, default=3, help="files of --big-mb MiB each (default 3)")
    parser.add_argument("--big-mb", type=int, default=12, help="size of the big files in MiB (default 12)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each side; best counts")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the tree in DIR; reuse it")
    parser.add_argument(
        "--cache-dir", type=Path, default=REPO / ".bench-cache", help="Django's venv (default .bench-cache)"
    )
    parser.add_argument(
        "--django",
        choices=("auto", "yes", "no"),
        default="auto",
        help="run the peer (auto: up to 20,000 files; collectstatic of 100,000 takes minutes)",
    )
    parser.add_argument(
        "--scale-base",
        type=int,
        default=10_000,
        help="past this many files, also build a tree of this size: scale_ratio (default 10,000)",
    )
    parser.add_argument("--machinery", action="store_true", help="also time the build without its pools")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one build")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cdnpub-build-bench-") as tmp:
        work = Path(tmp)
        run_django = args.django == "yes" or (args.django == "auto" and args.files <= 20_000)
        with prepared_tree(args.files, args.seed, args.big, args.big_mb, args.keep) as tree:
            peer: Django | None = None
            skipped = "" if run_django else "--django no, or more than 20,000 files"
            if run_django:
                found = django_peer(args.cache_dir, work, tree.root)
                peer, skipped = (found, "") if isinstance(found, Django) else (None, found)
            figures = measure(tree, work, args.rounds, peer)
            assets = len(json.loads((work / "manifest.json").read_text())["assets"])
            baseline_kb = peak_rss_kb("import", tree.root)
            big_kb = peak_rss_kb("big", tree.root) if args.big else baseline_kb
            parts = machinery(tree.root, args.rounds) if args.machinery else {}
            if args.profile:
                profile(tree, 25)
        base: CliRun | None = None
        if args.files > args.scale_base:
            keep = args.keep / f"base-{args.scale_base}" if args.keep else None
            with prepared_tree(args.scale_base, args.seed, args.big, args.big_mb, keep) as small:
                hash_every_file(small.root)
                base = min(
                    (cdnpub_cli(small.root, work, None) for _ in range(args.rounds)), key=lambda r: r.seconds
                )

    build_run = min(figures.build, key=lambda r: r.seconds)
    out_run = min(figures.build_out, key=lambda r: r.seconds)
    build_s, build_out_s = build_run.seconds, out_run.seconds
    django_s = min(figures.django) if figures.django else None
    required_s, floor_s = min(figures.required), min(figures.floor)
    peak_mb = max(r.peak_kib for r in figures.build + figures.build_out) / 1024
    ratio = round(build_s / django_s, 3) if django_s else None
    ratio_out = round(build_out_s / django_s, 3) if django_s else None
    scale_ratio = round(build_s / base.seconds, 2) if base else None

    cpu_row = (
        (f"Django {min(figures.django_cpu):.3f} s, " if figures.django_cpu else "")
        + f"build {min(r.cpu_s for r in figures.build):.3f} s, "
        + f"build --out {min(r.cpu_s for r in figures.build_out):.3f} s (load shows as wall - CPU)"
    )

    def verdict(value: float | None, target: float) -> str:
        return (
            "-"
            if value is None
            else f"{value:.2f}  target <= {target:g}: {'met' if value <= target else 'NOT met'}"
        )

    rows = [
        ("files", f"{tree.files:,} ({args.big} of {args.big_mb} MiB), {assets:,} assets"),
        ("bytes", f"{_mib(tree.bytes)} (largest {_mib(tree.largest)})"),
        (
            "Django collectstatic",
            f"{django_s:.3f} s best   ({_runs(figures.django)}), Django {peer.version}"
            if peer and django_s
            else f"skipped: {skipped}",
        ),
        ("cdnpub build", f"{build_s:.3f} s best   ({_runs([r.seconds for r in figures.build])})"),
        (
            "cdnpub build --out",
            f"{build_out_s:.3f} s best   ({_runs([r.seconds for r in figures.build_out])})",
        ),
        ("CPU time (user + sys), best", cpu_row),
        ("ratio build / Django", verdict(ratio, TARGET_RATIO)),
        ("ratio build --out / Django", verdict(ratio_out, TARGET_OUT_RATIO)),
        (
            "required work, one thread",
            f"{required_s:.3f} s (read + sha256 {floor_s:.3f} s, + tinycss2 tokenizing)",
        ),
        (
            "peak RSS of cdnpub build",
            f"{peak_mb:,.1f} MiB"
            + (
                f"  target <= {TARGET_RSS_MB} MB: {'met' if peak_mb <= TARGET_RSS_MB else 'NOT met'}"
                if args.files >= 100_000
                else ""
            ),
        ),
        ("peak RSS, import only", f"{baseline_kb / 1024:,.1f} MiB (in-process build child)"),
        ("peak RSS, big files only", f"{big_kb / 1024:,.1f} MiB (largest file {_mib(tree.largest)})"),
    ]
    if base is not None:
        rows.append((f"build of {args.scale_base:,} files", f"{base.seconds:.3f} s"))
        rows.append(("scale ratio", verdict(scale_ratio, TARGET_SCALE_RATIO)))
    for name, seconds in parts.items():
        gain = f", {1 - parts['all on'] / seconds:+.0%} of this time saved by it" if name != "all on" else ""
        rows.append((f"in-process build, {name}", f"{seconds:.3f} s{gain}"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        json.dumps(
            {
                "files": tree.files,
                "bytes": tree.bytes,
                "django": peer.version if peer else None,
                "django_s": round(django_s, 3) if django_s else None,
                "django_cpu_s": round(min(figures.django_cpu), 3) if figures.django_cpu else None,
                "build_cpu_s": round(min(r.cpu_s for r in figures.build), 3),
                "build_out_cpu_s": round(min(r.cpu_s for r in figures.build_out), 3),
                "build_s": round(build_s, 3),
                "build_out_s": round(build_out_s, 3),
                "ratio_vs_django": ratio,
                "ratio_out_vs_django": ratio_out,
                "required_s": round(required_s, 3),
                "floor_s": round(floor_s, 3),
                "peak_rss_mb": round(peak_mb, 1),
                "scale_base_files": args.scale_base if base else None,
                "scale_base_s": round(base.seconds, 3) if base else None,
                "scale_ratio": scale_ratio,
                "machinery_s": {k: round(v, 3) for k, v in parts.items()} or None,
                "cpus": os.cpu_count(),
                "seed": args.seed,
            }
        )
    )


if __name__ == "__main__":
    main()
