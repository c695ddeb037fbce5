"""Publish A, publish B, roll back to A while a page in chromium polls its assets through
the CDN preview: every answer is a 200 (no request fails at any moment), and the page
ends up with A's bytes."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser

from cdnpub.cli import cli
from cdnpub.local.emulator import Emulator
from cdnpub.local.preview import PreviewServer
from cdnpub.local.provision import ensure_local
from tests.browser.pages import open_page
from tests.support.trees import write_tree

pytestmark = pytest.mark.browser
BUCKET = "cdnpub-rollback"
A: dict[str, str | bytes] = {
    "css/base.css": "body{color:red}",
    "css/app.css": '@import "base.css";\nh1{margin:0}',
    "js/lib.js": "export const v = 'A';\n",
    "js/app.js": "import { v } from './lib.js';\nconsole.log(v);\n",
}
B: dict[str, str | bytes] = {**A, "css/base.css": "body{color:blue}", "js/lib.js": "export const v = 'B';\n"}
POLLED = ("css/app.css", "css/base.css", "js/app.js", "js/lib.js")
PAGE = b"<!doctype html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'></head><body></body></html>"
POLL = """() => {
  window.answers = []; window.polling = true;
  (async () => {
    while (window.polling) {
      for (const path of %s) {
        try {
          const r = await fetch('/static/' + path, {cache: 'no-store'});
          window.answers.push([path, r.status, await r.text()]);
        } catch (e) { window.answers.push([path, 0, String(e)]); }
      }
    }
  })();
}"""


def cdnpub(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def released(
    aws_env: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, str, dict[str, bytes]]]:
    """A then B published to the emulator, a page on the CDN preview's origin: (endpoint,
    distribution id, page URL, A's plain-name bytes)."""
    root = tmp_path_factory.mktemp("rollback-browser")
    with Emulator() as emulator, PreviewServer(emulator.url, BUCKET) as preview:
        distribution = ensure_local(emulator.url, BUCKET, preview.domain)
        common = ("--endpoint-url", emulator.url, "--distribution-id", distribution)
        cdnpub("publish", str(write_tree(root / "a", A)), f"s3://{BUCKET}/static", *common)
        s3 = boto3.Session().client("s3", endpoint_url=emulator.url, region_name="us-east-1")
        a_bytes = {p: s3.get_object(Bucket=BUCKET, Key=f"static/{p}")["Body"].read() for p in POLLED}
        cdnpub("publish", str(write_tree(root / "b", B)), f"s3://{BUCKET}/static", *common)
        s3.put_object(Bucket=BUCKET, Key="poll.html", Body=PAGE, ContentType="text/html; charset=utf-8")
        yield emulator.url, distribution, preview.url + "/poll.html", a_bytes


def test_a_rollback_while_a_page_polls_its_assets_fails_no_request_and_ends_with_a(
    browser: Browser, released: tuple[str, str, str, dict[str, bytes]]
) -> None:
    endpoint, distribution, url, a_bytes = released
    with open_page(browser, url) as page:
        page.page.evaluate(POLL % list(POLLED))
        page.page.wait_for_function("window.answers.length >= 40")
        cdnpub(
            "rollback", f"s3://{BUCKET}/static", "--endpoint-url", endpoint, "--distribution-id", distribution
        )
        seen = page.page.evaluate("window.answers.length")
        page.page.wait_for_function(f"window.answers.length >= {seen + 40}")
        answers = page.page.evaluate("window.polling = false, window.answers")
    assert answers and all(status == 200 for _, status, _ in answers), [a for a in answers if a[1] != 200][:5]
    first = {path: body for path, _, body in reversed(answers)}  # the first answer of each path
    last = {path: body for path, _, body in answers}
    assert first["js/lib.js"] == B["js/lib.js"]  # B was live when the page started
    assert last == {p: b.decode() for p, b in a_bytes.items()}
    assert page.failures == [] and page.errors == []
