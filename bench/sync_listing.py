"""The listing phase of a changed publish at scale (`sync_bench.py --scenario listing`):
cdnpub's planning of a publish with 1 % changed, against one sequential paginated listing
of the same prefix, in a child process of its own."""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from emulated_s3 import FastListing, Latency  # beside this script
from sync_setup import (
    CREDENTIALS,
    PREFIX,
    REGION,
    REPO,
    RUN_TIMEOUT,
    URL_PATH,
    RequestCounter,
    _clean_env,
    change_one_percent,
    generate,
)

from cdnpub.local.emulator import Emulator

# The child that times listings: a process of its own, so that the client's CPU is not the
# server's. "sequential": one paginated listing of the prefix, as before. "publish": the
# planning of a changed publish (prepare(), dry run: no write), timing its listing call.
_LISTING_CHILD = """
import json, sys, time
from datetime import datetime, timezone
from cdnpub.aws.clients import Connection, s3_client
from cdnpub.aws.s3 import S3Store
from cdnpub.build.fingerprint import build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.sync.publish import prepare
from cdnpub.sync.settings import Settings

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
