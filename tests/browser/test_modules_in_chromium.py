"""Native ES modules from the CDN in a real browser (Debian's chromium, driven by
Playwright): a module graph three files deep plus a dynamic import(), published to the
emulator and served by the CDN preview, loaded by a Flask page with cdn_importmap() and
cdn_modulepreload().

- every module comes from its fingerprinted URL, none from a plain-name URL, each once
  (a preload whose integrity differed from the map's would be fetched twice);
- integrity is enforced: a tampered object in the bucket blocks the load, both a preloaded
  module and one reached by import() alone (which only the map's `integrity` checks);
- a republish after one module changed runs the new code on reload, with no invalidation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string

from cdnpub import manifest as manifest_module
from cdnpub.flask.commands import cdn_cli
from cdnpub.flask.extension import CDN
from cdnpub.local.emulator import Emulator
from cdnpub.local.preview import PreviewServer
from cdnpub.local.provision import ensure_local, local_client
from tests.browser.sites import serving
from tests.support.aws import fake_aws_env
from tests.support.trees import Tree, write_tree

pytestmark = pytest.mark.browser

BUCKET = "cdnpub-modules"
# app -> b/b.js -> c.js (three files deep; ../ and a root-relative import on the way),
# and app -> import("./lazy.js") -> c.js.
# And app -> "controllers/hello" (extensionless, through a folder pin, as importmap-rails
# writes it: issue 22) -> controllers/hello.js.
PINS = {"controllers/": "js/controllers/"}
MODULES: Tree = {
    "js/app.js": 'import { b } from "./b/b.js";\nimport "controllers/hello";\n'
    "document.body.dataset.result = b;\n"
    'import("./lazy.js").then((m) => { document.body.dataset.lazy = m.lazy; });\n',
    "js/b/b.js": 'import { c } from "../c.js";\nexport const b = "b>" + c;\n',
    "js/c.js": 'export { c } from "/static/js/version.js";\n',
    "js/version.js": 'export const c = "v1";\n',
    "js/lazy.js": 'import { c } from "./c.js";\nexport const lazy = "lazy>" + c;\n',
    "js/controllers/hello.js": "document.body.dataset.hello = 'hi';\n",
}
PAGE = """<!doctype html>
<html><head><link rel="icon" href="data:,">
{{ cdn_importmap() }}
{{ cdn_modulepreload('js/app.js') }}
<script type="module" src="{{ url_for('static', filename='js/app.js') }}"
        integrity="{{ cdn_integrity('js/app.js') }}" crossorigin="anonymous"></script>
</head><body></body></html>
"""


def create_app(root: Path, config: dict[str, Any]) -> Flask:
    app = Flask(__name__, root_path=str(root), static_folder=str(root / "static"))
    app.config.update(config, CDN_IMPORTMAP_PINS=PINS)
    CDN(app)
    app.add_url_rule("/", "index", lambda: render_template_string(PAGE))
    return app


@dataclass
class Stack:
    root: Path
    emulator_url: str
    cdn_url: str
    distribution_id: str
    app_url: str = ""
    publishes: int = field(default=0)

    def publish(self) -> None:
        """`flask cdn publish` of the site, without a distribution: no invalidation at all."""
        publisher = create_app(
            self.root,
            {
                "CDN_BUCKET": BUCKET,
                "CDN_ENDPOINT_URL": self.emulator_url,
                "CDN_REGION": "us-east-1",
                "CDN_MANIFEST": str(self.root / "cdnpub-manifest.json"),
            },
        )
        result = publisher.test_cli_runner().invoke(cdn_cli, ["publish", "--json", "--strict"])
        assert result.exit_code == 0, result.output
        self.publishes += 1

    def manifest(self) -> manifest_module.Manifest:
        return manifest_module.read(self.root / "cdnpub-manifest.json")

    def url(self, key: str) -> str:
        return f"{self.cdn_url}/{key}"

    def module_urls(self) -> tuple[set[str], set[str]]:
        """(fingerprinted, plain-name) CDN URLs of the site's modules."""
        entries = self.manifest().entries
        fingerprinted = {self.url(e.key) for p, e in entries.items() if p.endswith(".js")}
        plain = {self.url(e.plain_key) for p, e in entries.items() if p.endswith(".js") and e.plain_key}
        return fingerprinted, plain

    def invalidations(self) -> list[Any]:
        listing = local_client("cloudfront", self.emulator_url).list_invalidations(
            DistributionId=self.distribution_id
        )
        return list(listing.get("InvalidationList", {}).get("Items", []))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("modules")
    write_tree(root / "static", MODULES)
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_env(mp, root)
        with Emulator() as emulator, PreviewServer(emulator.url, BUCKET) as preview:
            distribution_id = ensure_local(emulator.url, BUCKET, preview.domain)
            site = Stack(root, emulator.url, preview.url, distribution_id)
            site.publish()
            app = create_app(
                root,
                {
                    "CDN_DOMAIN": preview.domain,
                    "CDN_HTTPS": False,
                    "CDN_MANIFEST": str(root / "cdnpub-manifest.json"),
                    "CDN_STRICT": True,
                },
            )
            app.debug = True  # a republished manifest is read again on the next request
            with serving(app, "modules-app") as app_url:
                site.app_url = app_url + "/"
                yield site


@dataclass
class Visit:
    page: Any
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def dataset(self, name: str) -> str | None:
        value = self.page.evaluate(f"document.body.dataset.{name} ?? null")
        return None if value is None else str(value)


@pytest.fixture
def visit(browser: Any) -> Iterator[Visit]:
    """A fresh browser context (an empty cache) and a page that logs its requests."""
    context = browser.new_context()
    page = context.new_page()
    found = Visit(page)
    page.on("request", lambda request: found.requests.append(request.url))
    page.on("console", lambda message: found.console.append(f"{message.type}: {message.text}"))
    try:
        yield found
    finally:
        context.close()


def load(visit: Visit, stack: Stack, wait_for: str | None = "lazy") -> None:
    visit.page.goto(stack.app_url, wait_until="load")
    if wait_for:
        visit.page.wait_for_function(f"document.body.dataset.{wait_for} !== undefined", timeout=15_000)


def test_every_module_comes_from_its_fingerprinted_url_once(visit: Visit, stack: Stack) -> None:
    load(visit, stack)
    assert (visit.dataset("result"), visit.dataset("lazy")) == ("b>v1", "lazy>v1")
    assert visit.dataset("hello") == "hi"  # the extensionless pinned name resolved
    fingerprinted, plain = stack.module_urls()
    modules = [url for url in visit.requests if url.startswith(stack.cdn_url + "/")]
    assert sorted(set(modules)) == sorted(fingerprinted), "every module, dynamic one included"
    assert not set(modules) & plain
    assert len(modules) == len(set(modules)), f"a module fetched twice: {modules}"
    assert [m for m in visit.console if m.startswith("error")] == []


@pytest.mark.parametrize(
    ("tampered", "result"),
    [
        # The deepest static module: preloaded with integrity and checked by the map.
        ("js/version.js", None),
        # Reached by import() alone, not preloaded: the map's integrity is its only check.
        ("js/lazy.js", "b>v1"),
    ],
)
def test_a_tampered_module_is_blocked_by_integrity(
    visit: Visit, stack: Stack, tampered: str, result: str | None
) -> None:
    entry = stack.manifest().entries[tampered]
    s3 = local_client("s3", stack.emulator_url)
    original = s3.get_object(Bucket=BUCKET, Key=entry.key)["Body"].read()
    headers = {"ContentType": entry.content_type, "CacheControl": entry.cache_control}
    s3.put_object(Bucket=BUCKET, Key=entry.key, Body=b'export const c = "x", lazy = "x";\n', **headers)
    try:
        # A refused module fails the import that needs it: wait for the refusal.
        with visit.page.expect_console_message(lambda m: "integrity" in m.text, timeout=15_000):
            load(visit, stack, wait_for=None)
        assert visit.dataset("lazy") is None
        assert visit.dataset("result") == result
        assert stack.url(entry.key) in visit.requests
    finally:
        s3.put_object(Bucket=BUCKET, Key=entry.key, Body=original, **headers)


def test_a_republished_module_runs_on_reload_without_invalidation(visit: Visit, stack: Stack) -> None:
    load(visit, stack)
    assert visit.dataset("result") == "b>v1"
    old_key = stack.manifest().entries["js/version.js"].key
    version = stack.root / "static/js/version.js"
    version.write_text('export const c = "v2";\n')
    try:
        stack.publish()
        new_key = stack.manifest().entries["js/version.js"].key
        assert new_key != old_key
        del visit.requests[:]
        visit.page.reload(wait_until="load")
        visit.page.wait_for_function("document.body.dataset.lazy !== undefined", timeout=15_000)
        assert (visit.dataset("result"), visit.dataset("lazy")) == ("b>v2", "lazy>v2")
        assert stack.url(new_key) in visit.requests
        assert not set(visit.requests) & stack.module_urls()[1], "no plain-name module URL"
        assert stack.invalidations() == []
    finally:
        version.write_text(MODULES["js/version.js"])  # type: ignore[arg-type]
        stack.publish()
