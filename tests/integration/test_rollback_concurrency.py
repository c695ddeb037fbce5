"""A real `cdnpub rollback` process racing a real `cdnpub publish` on one prefix: the
lease lets one through at a time (the other waits, or exits 75 past --lease-wait), and
the bucket ends serving its newest record whole, whichever went last."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.aws import MotoServer
from tests.support.bucket import dangling
from tests.support.cli import publish
from tests.support.rollback import mismatches, start
from tests.support.trees import write_tree

SITE = {"css/a.css": "a{color:red}", "js/app.js": "console.log(1)", "robots.txt": "User-agent: *"}
B = {**SITE, "css/a.css": "a{color:blue}", "js/app.js": "console.log(2)"}
C = {**SITE, "robots.txt": "Disallow: /", "js/app.js": "console.log(3)"}


@pytest.mark.parametrize("lease_wait", ["600", "0"])
def test_a_rollback_racing_a_publish_waits_or_exits_75_and_the_bucket_ends_whole(
    moto_server: MotoServer, new_bucket: Callable[[], str], tmp_path: Path, lease_wait: str
) -> None:
    bucket = new_bucket()
    for n, files in enumerate((SITE, B)):
        assert publish(write_tree(tmp_path / f"v{n}", files), bucket, moto_server).exit_code == 0
    c = write_tree(tmp_path / "c", C)
    racing = start(moto_server, "publish", str(c), f"s3://{bucket}/static")
    back = start(moto_server, "rollback", f"s3://{bucket}/static", "--lease-wait", lease_wait)
    results = {name: (p.wait(120), p.communicate()) for name, p in (("publish", racing), ("rollback", back))}
    codes = {name: code for name, (code, _) in results.items()}
    assert codes["publish"] == 0 or (codes["publish"] == 75 and lease_wait == "0"), results
    assert codes["rollback"] in ((0,) if lease_wait == "600" else (0, 75)), results
    if codes["rollback"] == 75:
        assert "another publish" in results["rollback"][1][1]
    assert dangling(moto_server, bucket) == []
    assert mismatches(moto_server, bucket) == []
