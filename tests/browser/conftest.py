"""The browser test's stack, all on 127.0.0.1: the emulator (moto S3 + CloudFront),
the CDN preview serving the bucket, the example shop published to it and served by a
real HTTP server, and Debian's chromium, headless, driven by Playwright; `browser_page`
loads a URL and tells what failed and what the console said, for any test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from cdnpub import manifest as manifest_module
from cdnpub.flask.commands import cdn_cli
from cdnpub.local.emulator import Emulator
from cdnpub.local.preview import PreviewServer
from cdnpub.local.provision import ensure_local
from tests.browser.pages import CHROMIUM_ARGS, LoadedPage, chromium_executable, open_page
from tests.browser.sites import Stack, serving
from tests.support.aws import fake_aws_env

BUCKET = "cdnpub-browser"


def publish_example(endpoint_url: str, distribution_id: str, manifest: Path) -> None:
    """`flask --app examples/shop/app:create_app cdn publish`: the app's static folder
    and the admin blueprint's, in one release."""
    from examples.shop.app import create_app

    publisher = create_app(
        {
            "CDN_DOMAIN": "",  # the manifest does not exist yet
            "CDN_BUCKET": BUCKET,
            "CDN_ENDPOINT_URL": endpoint_url,
            "CDN_REGION": "us-east-1",
            "CDN_DISTRIBUTION_ID": distribution_id,
            "CDN_MANIFEST": str(manifest),
        }
    )
    result = publisher.test_cli_runner().invoke(cdn_cli, ["publish", "--json"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_env(mp, tmp_path_factory.mktemp("aws"))
        yield


@pytest.fixture(scope="session")
def stack(aws_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from examples.shop.app import create_app

    manifest = tmp_path_factory.mktemp("shop") / "cdnpub-manifest.json"
    with Emulator() as emulator, PreviewServer(emulator.url, BUCKET) as preview:
        distribution_id = ensure_local(emulator.url, BUCKET, preview.domain)
        publish_example(emulator.url, distribution_id, manifest)
        app = create_app(
            {
                "CDN_DOMAIN": preview.domain,
                "CDN_HTTPS": False,
                "CDN_MANIFEST": str(manifest),
                "CDN_STRICT": True,  # a page linking to an unpublished file fails loudly
            }
        )
        with serving(app, "shop-app") as app_url:
            yield Stack(app_url, preview.url, manifest_module.read(manifest))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright (its pip wheel brings its own
    driver; no `playwright install`: the browser is the system's)."""
    executable = chromium_executable()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_page(browser: Browser) -> Iterator[Callable[[str], LoadedPage]]:
    """`browser_page(url)`: a fresh page that has loaded `url` (network idle, fonts
    ready), with what it requested, what failed and what it logged (see LoadedPage).
    Pages close when the test ends."""
    with ExitStack() as stack:
        yield lambda url: stack.enter_context(open_page(browser, url))
