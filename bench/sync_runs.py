"""One timed run of a tool against the emulator and what it is judged by: requests by
method, objects in the bucket, the table of runs; cdnpub's profiled first upload."""

from __future__ import annotations

import json
import pstats
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync_peers import (
    Tool,
    command,
)
from sync_setup import (
    PREFIX,
    RUN_TIMEOUT,
    SCENARIOS,
    RequestCounter,
    Tree,
    change_one_percent,
    retouch,
)

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


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    methods: Mapping[str, int]
    error: str | None = None
    report: Mapping[str, Any] | None = None  # cdnpub's --json document
    busy_s: float = 0.0  # CPU time of this process, which runs the server, during the run
    arrivals: tuple[float, ...] = ()  # time.monotonic() s at which the server saw each request

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
    arrivals = tuple(counter.arrivals.get((tool.name, scenario), ()))
    return Run(seconds, dict(counts), error, report, busy, arrivals)


def fresh_change(
    tree: Tree, active: Sequence[Tool], seed: int, endpoint: str, counter: RequestCounter, work: Path
) -> dict[str, Run]:
    """The 1 % change as CI sees it, after the four scenarios: other files' content changed,
    then every mtime set to now (a fresh checkout), run by cdnpub and aws s3 sync only
    (scenario label "changed-fresh"). The wait first puts every mtime a whole second past
    the peers' last upload: S3's LastModified has no fraction, and aws s3 sync uploads a file
    whose mtime is newer than its object's, so it re-uploads the tree as it does in CI."""
    time.sleep(1.0)
    change_one_percent(tree, seed + 1)
    retouch(tree)
    runs: dict[str, Run] = {}
    for tool in active:
        if tool.name in ("cdnpub", "aws"):
            runs[tool.name] = run = run_tool(tool, "changed-fresh", tree, endpoint, counter, work)
            note = f" FAILED {run.error}" if run.error else ""
            print(
                f"  {'fresh+1 %':<10} {tool.name:<7} {run.seconds:7.2f} s {run.requests:6d} requests, "
                f"server busy {run.busy_s:5.2f} s{note}",
                flush=True,
            )
    return runs


def remote_count(client: Any, bucket: str) -> int:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{PREFIX}/")
    return sum(len(page.get("Contents", [])) for page in pages)


def expected_puts(before: Mapping[str, Any], after: Mapping[str, Any]) -> int:
    """What a one-percent change should upload: each asset whose fingerprinted key is new,
    its plain copy when its bytes changed, one release record, and the lease's three
    writes (taken beside the first reads, marked beside the fingerprinted phase with the
    keys this publish writes, freed by a finish note beside the record: no distribution
    here, so nothing is owed after it)."""
    old, new = before["assets"], after["assets"]
    puts = 1 + LEASE_PUTS
    for path, entry in new.items():
        prior = old.get(path)
        if prior is None or prior["key"] != entry["key"]:
            puts += 1
        if entry["plain_key"] and (prior is None or prior["sha256"] != entry["sha256"]):
            puts += 1
    return puts


LEASE_PUTS = 3  # take, mark, finish note (sync/lease.py)


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
