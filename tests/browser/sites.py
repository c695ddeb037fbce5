"""Sites the browser tests load, all on 127.0.0.1: a WSGI app on a threaded server, and a
static folder published with `cdnpub publish` to the emulator, served by the CDN preview
and linked from a Flask page through the Flask hook."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask, render_template_string
from werkzeug.serving import make_server

from cdnpub import manifest as manifest_module
from cdnpub.cli import cli
from cdnpub.flask.extension import CDN
from cdnpub.local.emulator import Emulator
from cdnpub.local.preview import PreviewServer
from cdnpub.local.provision import ensure_local
from cdnpub.manifest import Manifest

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Stack:
    app_url: str  # http://127.0.0.1:PORT of the app
    cdn_url: str  # http://127.0.0.1:PORT of the CDN preview
    manifest: Manifest  # the release the app links to


@contextmanager
def serving(app: WSGIApp, name: str) -> Iterator[str]:
    """`app` on a threaded HTTP server on a free loopback port: its http://127.0.0.1:PORT.
    The server stops (and its thread ends) on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def published_page(static: Path, bucket: str, page: str, **context: Any) -> Iterator[Stack]:
    """`cdnpub publish static s3://bucket/static` to the emulator (bucket and distribution
    made as `cdnpub local` makes them; the manifest next to `static`), the CDN preview
    serving the bucket, and a Flask app whose `/` renders the Jinja template `page` with
    `context` and the Flask hook (strict: a link to an unpublished file fails loudly)."""
    manifest = static.parent / "cdnpub-manifest.json"
    with Emulator() as emulator, PreviewServer(emulator.url, bucket) as preview:
        distribution_id = ensure_local(emulator.url, bucket, preview.domain)
        published = CliRunner().invoke(
            cli,
            [
                "publish", str(static), f"s3://{bucket}/static", "--endpoint-url", emulator.url,
                "--distribution-id", distribution_id, "--manifest", str(manifest),
            ],
            catch_exceptions=False,
        )  # fmt: skip
        assert published.exit_code == 0, published.output
        app = Flask(f"{bucket}-page", root_path=str(static.parent), static_folder=str(static))
        app.config.update(
            CDN_DOMAIN=preview.domain, CDN_HTTPS=False, CDN_MANIFEST=str(manifest), CDN_STRICT=True
        )
        CDN(app)
        app.add_url_rule("/", "index", lambda: render_template_string(page, **context))
        with serving(app, f"{bucket}-app") as app_url:
            yield Stack(app_url, preview.url, manifest_module.read(manifest))
