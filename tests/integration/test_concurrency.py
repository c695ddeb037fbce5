"""Two real `cdnpub publish` processes against the moto server at once: the lease lets one
through at a time (moto honours If-None-Match: * and If-Match on PutObject, as S3)."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.support.aws import MotoServer
from tests.support.processes import publish_process
from tests.support.trees import write_tree

SITE = {"css/a.css": "a{color:red}", "js/app.js": "console.log(1)", "robots.txt": "User-agent: *"}


def start(site: Path, bucket: str, server: MotoServer, *extra: str) -> subprocess.Popen[str]:
    return publish_process(site, bucket, server, *extra, one_try=False)


def test_moto_honours_conditional_puts(moto_server: MotoServer, bucket: str) -> None:
    s3 = moto_server.client()
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"1", IfNoneMatch="*")["ETag"]
    for condition in ({"IfNoneMatch": "*"}, {"IfMatch": '"0123"'}):
        with pytest.raises(Exception, match="PreconditionFailed"):
            s3.put_object(Bucket=bucket, Key="k", Body=b"2", **condition)
    s3.put_object(Bucket=bucket, Key="k", Body=b"3", IfMatch=first)


@pytest.mark.parametrize("round_", range(3))
def test_two_publishes_of_different_builds_at_once_leave_one_whole_release(
    moto_server: MotoServer, new_bucket: object, tmp_path: Path, round_: int
) -> None:
    bucket = new_bucket()  # type: ignore[operator]
    a = write_tree(tmp_path / "a", SITE)
    b = write_tree(tmp_path / "b", {**SITE, "robots.txt": "Disallow: /", "css/a.css": "a{color:blue}"})
    first = start(a, bucket, moto_server)
    second = start(b, bucket, moto_server)
    results = [(p.wait(120), p.communicate()) for p in (first, second)]
    assert all(code == 0 for code, _ in results), results
    s3 = moto_server.client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    records = sorted(k for k in keys if "/.cdnpub/releases/" in k)
    newest = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=records[-1])["Body"].read()))
    # Every plain name holds the bytes the newest record says: no mix of the two builds.
    objects = newest["objects"]
    plain = {k: e for k, e in objects.items() if e.get("plain")}
    assert len(plain) == len(SITE)
    for key, entry in plain.items():
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"], key
    assert all(k in keys for k in objects)  # nothing the record names is missing
