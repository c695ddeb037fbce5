"""The plain phase's order (cdnpub/sync/order.py): a plain module lands only after the plain
keys it imports, whatever write fails; modules that import each other share a wave."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import RemoteError
from cdnpub.manifest import ModuleImports
from cdnpub.sync.memory import MemoryStore, nth_write
from cdnpub.sync.order import waves
from cdnpub.sync.publish import publish
from cdnpub.sync.settings import Settings
from tests.support.trees import Tree, write_tree

M = ModuleImports


@pytest.mark.parametrize(
    ("paths", "modules", "expected"),
    [
        (["a.css", "b.png"], {}, (0, 0)),
        (["app.js", "lib.js"], {"app.js": M(static=("lib.js",)), "lib.js": M()}, (1, 0)),
        # A chain: each module after what it imports.
        (
            ["app.js", "mid.js", "leaf.js"],
            {"app.js": M(static=("mid.js",)), "mid.js": M(static=("leaf.js",)), "leaf.js": M()},
            (2, 1, 0),
        ),
        # A dynamic import is fetched as the page runs: it must be there as much.
        (["app.js", "lazy.js"], {"app.js": M(dynamic=("lazy.js",))}, (1, 0)),
        # What this phase does not write (unchanged, already live) orders nothing.
        (["app.js"], {"app.js": M(static=("live.js",))}, (0,)),
        # A cycle is one wave, after what the cycle imports.
        (
            ["a.js", "b.js", "c.js"],
            {"a.js": M(static=("b.js",)), "b.js": M(static=("a.js", "c.js")), "c.js": M()},
            (1, 1, 0),
        ),
        # A module importing itself is no dependency.
        (["a.js"], {"a.js": M(static=("a.js",))}, (0,)),
        # Bare specifiers are resolved by pins, not by the phase.
        (["a.js"], {"a.js": M(bare=("lit",))}, (0,)),
    ],
)
def test_waves_put_every_module_after_what_it_imports(
    paths: list[str], modules: dict[str, ModuleImports], expected: tuple[int, ...]
) -> None:
    assert waves(paths, modules) == expected


def test_an_import_chain_longer_than_the_recursion_limit_orders() -> None:
    n = 5000
    paths = [f"m{i}.js" for i in range(n)]
    modules = {f"m{i}.js": M(static=(f"m{i + 1}.js",)) for i in range(n - 1)}
    assert waves(paths, modules) == tuple(range(n - 1, -1, -1))


OLD: Tree = {
    "js/app.js": 'import { u } from "./util.js";\nu();\n',
    "js/util.js": "export function u() {}\n",
    "css/site.css": "body{color:red}",
}
NEW: Tree = {
    "js/app.js": 'import { u } from "./util.js";\nimport { n } from "./lib/new.js";\nu(); n();\n',
    "js/util.js": "export function u() { return 2; }\n",
    "js/lib/new.js": 'import { d } from "./deep.js";\nexport function n() { d(); }\n',
    "js/lib/deep.js": "export function d() {}\n",
    "css/site.css": "body{color:blue}",
}


def _build(root: Path, files: Tree) -> Build:
    for old in root.rglob("*"):
        if old.is_file():
            old.unlink()
    return build([Source(scan(write_tree(root, files)))], BuildOptions(prefix="static"))


def _broken_imports(store: MemoryStore, builds: list[Build]) -> list[str]:
    """Plain modules in the store that import a plain key the store lacks."""
    broken = []
    for result in builds:
        for asset in result.assets:
            plain = asset.plain_key
            stored = store.objects.get(plain) if plain else None
            if stored is None or hashlib.sha256(stored.body).hexdigest() != asset.sha256:
                continue  # not this build's bytes at this key
            imports = result.modules.get(asset.path)
            for target in (*imports.static, *imports.dynamic) if imports else ():
                if f"static/{target}" not in store.objects:
                    broken.append(f"{plain} -> static/{target}")
    return broken


@pytest.mark.parametrize("jobs", [1, 8])
def test_a_release_that_adds_modules_never_leaves_a_plain_module_importing_a_missing_key(
    tmp_path: Path, jobs: int
) -> None:
    """Every write of the second publish failed in turn: whatever landed, no plain
    module names a key that is not there, and a clean re-run converges. (One job writes
    in plan order, which is what makes a wrong order show every time.)"""
    root = tmp_path / "static"
    old, new = _build(root, OLD), None
    t0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
    settings = Settings(bucket="b", prefix="static", jobs=jobs, allow_shrink=True)
    total = None
    n = 1
    while total is None or n <= total:
        store = MemoryStore("b", clock=lambda: t0)
        old = _build(root, OLD)
        publish(old, store, settings, now=t0)
        new = _build(root, NEW)
        before = len(store.writes)
        store.fail = nth_write(before + n)
        try:
            publish(new, store, settings, now=t0 + timedelta(minutes=1))
            total = len(store.writes) - before if total is None else total
        except RemoteError:
            pass
        assert _broken_imports(store, [old, new]) == [], f"write {n} failed"
        store.fail = None
        publish(new, store, settings, now=t0 + timedelta(minutes=2))
        assert _broken_imports(store, [new]) == []
        n += 1
    assert total is not None and total >= 4


def test_the_plain_phase_writes_a_module_after_the_modules_it_imports(tmp_path: Path) -> None:
    root = tmp_path / "static"
    t0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
    store = MemoryStore("b", clock=lambda: t0)
    settings = Settings(bucket="b", prefix="static", jobs=8)
    publish(_build(root, OLD), store, settings, now=t0)
    store.calls.clear()
    publish(_build(root, NEW), store, settings, now=t0 + timedelta(minutes=1))
    order = [k for c in store.writes for k in c.keys]
    plain = [k for k in order if k in {"static/js/app.js", "static/js/lib/new.js", "static/js/lib/deep.js"}]
    assert plain.index("static/js/lib/deep.js") < plain.index("static/js/lib/new.js")
    assert plain.index("static/js/lib/new.js") < plain.index("static/js/app.js")
