"""The browser test's stack, all on 127.0.0.1: the emulator (moto S3 + CloudFront),
the CDN preview serving the bucket, the example shop published to it and served by a
real HTTP server, and a headless chromium driven over the DevTools protocol."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from cdnpub import manifest as manifest_module
from cdnpub.flask_commands import cdn_cli
from cdnpub.local import Emulator, PreviewServer, ensure_local
from cdnpub.manifest import Manifest
from tests.browser.cdp import Browser
from tests.conftest import fake_aws_env

BUCKET = "cdnpub-browser"


def chromium_executable() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if found is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true needs it", pytrace=False)
        pytest.skip(reason)
    return found


@dataclass(frozen=True)
class Stack:
    app_url: str  # http://127.0.0.1:PORT of the example app
    cdn_url: str  # http://127.0.0.1:PORT of the CDN preview
    manifest: Manifest


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
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="shop-app", daemon=True)
        thread.start()
        try:
            yield Stack(f"http://127.0.0.1:{server.server_port}", preview.url, manifest_module.read(manifest))
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    executable = chromium_executable()
    root = tmp_path_factory.mktemp("chromium")
    profile = root / "profile"
    profile.mkdir()
    chromium = Browser(executable, profile, root / "chromium.log")
    try:
        yield chromium
    finally:
        chromium.close()
