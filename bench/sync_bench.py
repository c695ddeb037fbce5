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

Beside this script: sync_setup.py (constants, the tree, the request counter), sync_peers.py
(the tools and their command lines), sync_runs.py (one timed run, the table, the profile),
sync_listing.py (the listing scenario), trees.py (the generator build_bench.py shares).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from emulated_s3 import Latency, waves  # beside this script
from sync_listing import (
    listing_scenario,
)
from sync_peers import (
    Tool,
    tools,
)
from sync_runs import (
    Run,
    expected_puts,
    fresh_change,
    profile_publish,
    remote_count,
    run_tool,
    table,
    without_plain_copies,
)
from sync_setup import (
    PREFIX,
    REGION,
    REPO,
    SCENARIOS,
    RequestCounter,
    bench_client,
    change_one_percent,
    generate,
    retouch,
    set_mtimes,
)

from cdnpub.local.emulator import Emulator
from cdnpub.sync.settings import DEFAULT_JOBS

TOOLS = ("cdnpub", "aws", "rclone", "s3cmd")
FIRST_RATIO_TARGET = 1.0


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
        fresh = fresh_change(tree, active, args.seed, server.url, counter, work)
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
    # Round trips: the waves of overlapping requests the emulator saw (emulated_s3.waves).
    trips = {
        name: {s: len(waves(r.arrivals, delay)) for s, r in runs.items()} for name, runs in results.items()
    }
    for name, run in fresh.items():
        trips[name]["changed-fresh"] = len(waves(run.arrivals, delay))
    fresh_ratio = None
    if {"cdnpub", "aws"} <= fresh.keys() and fresh["cdnpub"].ok and fresh["aws"].ok:
        fresh_ratio = round(fresh["cdnpub"].seconds / fresh["aws"].seconds, 3)
    print(f"\ncdnpub 1 % change, requests per round trip: {waves(ours['changed'].arrivals, delay)}")
    return {
        "delay_ms": args.delay_ms,
        "changed_round_trips": trips["cdnpub"]["changed"],
        "changed_waves": waves(ours["changed"].arrivals, delay),
        "changed_fresh_ratio_vs_aws": fresh_ratio,
        "changed_fresh_s": {name: round(r.seconds, 3) for name, r in fresh.items()},
        "changed_fresh_requests": {name: r.requests for name, r in fresh.items()},
        "round_trips": trips,
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
