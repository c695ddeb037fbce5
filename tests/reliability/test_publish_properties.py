"""Random histories of builds and publishes, with failures at random requests, over the
moto server behind the fault proxy. After every step, what a publish never does:

- a key served `immutable` never changes its bytes;
- no plain-name object and no newest release record names a missing key;
- after a failure, a clean re-run reaches the state a fresh publish of the same tree gives;
- nothing outside the prefix is touched, and nothing another tool wrote is deleted.

A bounded number of examples in scripts/test; more with --full (or CDNPUB_FULL=1).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.aws import MotoServer
from tests.support.bucket import RELEASES, dangling, listing, newest_release
from tests.support.cli import publish
from tests.support.proxy import FaultProxy, Seen
from tests.support.trees import write_tree

NAMES = ("css/app.css", "css/base.css", "img/a.png", "img/b.png", "js/app.js", "js/app.js.map", "big.bin")
OUTSIDE = "elsewhere/keep.txt"  # another prefix of the same bucket
THEIRS = "static/uploads/theirs.bin"  # another tool's object under the prefix
_buckets = itertools.count()


def content(name: str, version: int) -> bytes:
    """A small file per name; stylesheets reference images and each other, so plain-name
    copies point at fingerprinted keys (what the live-site invariant follows)."""
    if name == "css/app.css":
        return f'@import "base.css";\nh1{{background:url(../img/a.png)}}/*{version}*/\n'.encode()
    if name == "css/base.css":
        return f"body{{background:url(../img/b.png)}}/*{version}*/\n".encode()
    if name == "js/app.js":
        return f"console.log({version});\n//# sourceMappingURL=app.js.map\n".encode()
    if name == "big.bin":
        return bytes([version % 251]) * (64 * 1024)
    return f"{name}-{version}".encode()


Step = tuple[Any, ...]
steps = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(NAMES), st.integers(0, 5)),  # add or change
    st.tuples(st.just("remove"), st.sampled_from(NAMES)),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.sampled_from(("img/c.png", "js/other.js"))),
    st.tuples(st.just("same-size"), st.sampled_from(NAMES)),  # new bytes, same length
    st.tuples(
        st.just("publish"),
        st.one_of(st.none(), st.tuples(st.integers(0, 12), st.sampled_from(("500", "reset", "reset-after")))),
        st.booleans(),  # prune
    ),
)


def _edit(tree: dict[str, bytes], step: Step) -> None:
    kind, name = step[0], step[1]
    if kind == "write":
        tree[name] = content(name, step[2])
    elif kind == "remove" and len(tree) > 1:
        tree.pop(name, None)
    elif kind == "rename" and name in tree and len(tree) > 1:
        tree[step[2]] = tree.pop(name)
    elif kind == "same-size" and name in tree and tree[name]:
        body = tree[name]
        tree[name] = body[:-1] + bytes([(body[-1] + 1) % 256])


def _sync(root: Path, tree: dict[str, bytes]) -> None:
    for path in [p for p in root.rglob("*") if p.is_file()]:
        if path.relative_to(root).as_posix() not in tree:
            path.unlink()
    write_tree(root, tree)


def _fail_nth_write(n: int, kind: str) -> Callable[[Seen], str | None]:
    count = itertools.count()

    def rule(seen: Seen) -> str | None:
        if seen.is_write and next(count) == n:
            return kind
        return None

    return rule


class Watch:
    """What the bucket must keep true across a whole history."""

    def __init__(self, server: MotoServer, bucket: str) -> None:
        self.server, self.bucket = server, bucket
        self.immutable: dict[str, bytes] = {}
        s3 = server.client()
        s3.put_object(Bucket=bucket, Key=OUTSIDE, Body=b"outside")
        s3.put_object(Bucket=bucket, Key=THEIRS, Body=b"theirs")

    def check(self) -> None:
        s3 = self.server.client()
        stored = listing(self.server, self.bucket)
        assert dangling(self.server, self.bucket) == []
        for key in stored:
            if RELEASES in f"/{key}":
                continue
            obj = s3.get_object(Bucket=self.bucket, Key=key)
            if "immutable" in obj.get("CacheControl", ""):
                body = obj["Body"].read()
                assert self.immutable.setdefault(key, body) == body, f"{key} changed under immutable"
        for key, body in ((OUTSIDE, b"outside"), (THEIRS, b"theirs")):
            assert s3.get_object(Bucket=self.bucket, Key=key)["Body"].read() == body


def _current(server: MotoServer, bucket: str) -> dict[str, tuple[bytes, str, str]]:
    """The objects the newest release names: bytes and headers."""
    found = newest_release(server, bucket)
    assert found is not None
    s3 = server.client()
    out = {}
    for key in found[1]["objects"]:
        obj = s3.get_object(Bucket=bucket, Key=key)
        out[key] = (obj["Body"].read(), obj.get("ContentType", ""), obj.get("CacheControl", ""))
    return out


def test_random_histories_keep_every_promise(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # an injected fault fails the publish

    @settings(
        max_examples=60 if full else 6,
        deadline=None,
        derandomize=not full,  # the same histories in every scripts/test run
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(steps, min_size=2, max_size=10))
    def history(plan: list[Step]) -> None:
        n = next(_buckets)
        bucket, fresh_bucket = f"prop-{n}", f"prop-{n}-fresh"
        s3 = moto_server.client()
        s3.create_bucket(Bucket=bucket)
        root = tmp_path / f"h{n}" / "static"
        tree = {name: content(name, 0) for name in NAMES}
        watch = Watch(moto_server, bucket)
        with FaultProxy(moto_server.url) as proxy:
            for step in [*plan, ("publish", None, False)]:
                if step[0] != "publish":
                    _edit(tree, step)
                    continue
                _sync(root, tree)
                fault, prune = step[1], step[2]
                # The histories drop files at random: the shrink guard is tested on its own.
                extra = ("--allow-shrink", *(("--prune-older-than", "0") if prune else ()))
                proxy.rule = _fail_nth_write(*fault) if fault else (lambda seen: None)
                proxy.seen.clear()
                result = publish(root, bucket, proxy, *extra)
                assert result.exit_code in ((0, 1) if fault else (0,)), result.output
                assert "Traceback" not in result.output
                writes = [s for s in proxy.seen if s.is_write]
                # Writes name keys under the prefix; a DeleteObjects (POST ?delete) names them in
                # its body, which Watch.check covers by what is still stored.
                outside = [
                    s for s in writes if not s.path.startswith((f"/{bucket}/static/", f"/{bucket}?delete"))
                ]
                assert outside == []
                watch.check()
                if result.exit_code == 1:  # a clean re-run converges
                    proxy.rule = lambda seen: None
                    again = publish(root, bucket, proxy, "--allow-shrink")
                    assert again.exit_code == 0, again.output
                    watch.check()
        s3.create_bucket(Bucket=fresh_bucket)
        assert publish(root, fresh_bucket, moto_server).exit_code == 0
        assert _current(moto_server, bucket) == _current(moto_server, fresh_bucket)

    history()
