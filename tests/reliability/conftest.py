"""The reliability suite's stack, all on 127.0.0.1: a moto server (with the request log
of tests/integration), a fault-injecting HTTP proxy in front of it, and checks on what
the bucket holds: the live-site invariant and bucket-to-bucket equality."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import posixpath
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner, Result

from cdnpub.cli import cli
from tests.conftest import MotoServer, write_tree
from tests.reliability.plugin import full_run

# A small tree whose stylesheets reference images and fonts, so that plain-name CSS
# copies point at fingerprinted keys: the references the invariant follows.
SITE: dict[str, str | bytes] = {
    "css/app.css": '@import "base.css";\n@font-face{font-family:F;src:url(../fonts/f.woff2) format("woff2")}\n'
    "header{background:url(../img/logo.png)}\n",
    "css/base.css": "body{margin:0}\n.icon{background:url('../img/icon.svg')}\n",
    "js/app.js": "console.log('hi');\n//# sourceMappingURL=app.js.map\n",
    "js/app.js.map": '{"version":3}',
    "img/logo.png": b"\x89PNG-logo",
    "img/icon.svg": "<svg/>",
    "fonts/f.woff2": b"wOF2-font",
    "vendor/lib-4f3a9c1d.js": "lib()",
}

RELEASES = "/.cdnpub/releases/"
FINGERPRINTED = re.compile(r"\.[0-9a-f]{10}\.[^./]+$|[.-](?=[0-9a-f]*[0-9])[0-9a-f]{8,64}\.[^./]+$")
_CSS_REF = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
_MAP_REF = re.compile(r"[#@] sourceMappingURL=(\S+?)\s*(?:\*/)?\s*$", re.M)


# --- the server, the environment, buckets ----------------------------------------


@pytest.fixture(scope="session")
def full(request: pytest.FixtureRequest) -> bool:
    """--full (or CDNPUB_FULL=1): the long trial counts."""
    return full_run(request.config)


@pytest.fixture(autouse=True)
def isolated(fake_aws: None, server_without_faults: MotoServer) -> None:
    """Every reliability test: fake credentials, its own directory, no leftover fault."""


_counter = iter(range(10**6))


@pytest.fixture
def new_bucket(moto_server: MotoServer) -> Callable[[], str]:
    def make() -> str:
        name = f"rel-{next(_counter)}"
        moto_server.client().create_bucket(Bucket=name)
        return name

    return make


@pytest.fixture
def bucket(new_bucket: Callable[[], str], moto_server: MotoServer) -> str:
    name = new_bucket()
    moto_server.reset_log()
    return name


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "static", SITE)


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def publish(site: Path, bucket: str, endpoint: str, *extra: str) -> Result:
    return run_cli("publish", str(site), f"s3://{bucket}/static", "--endpoint-url", endpoint, *extra)


def bucket_writes(server: MotoServer, bucket: str) -> list[Any]:
    return [r for r in server.writes() if r.path.startswith(f"/{bucket}/") or r.path == f"/{bucket}"]


def one_line_error(result: Result, code: int, *phrases: str) -> None:
    """The contract for an expected failure: exit code, `cdnpub: ...` alone on stderr, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("cdnpub: "), result.stderr
    assert not any(line.startswith("cdnpub: ") for line in lines[:-1]), result.stderr
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in lines[-1], (phrase, lines[-1])


# --- what the bucket holds ---------------------------------------------------------


def listing(server: MotoServer, bucket: str) -> dict[str, str]:
    """key -> ETag of every object."""
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def release_doc(data: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return doc


def newest_release(server: MotoServer, bucket: str) -> tuple[str, dict[str, Any]] | None:
    """The newest readable release record (cdnpub ignores a corrupt one, with a warning)."""
    records = sorted(k for k in listing(server, bucket) if RELEASES in f"/{k}")
    for key in reversed(records):
        body = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        try:
            return key, release_doc(body)
        except (OSError, EOFError, ValueError):
            continue
    return None


def referenced_keys(key: str, body: bytes, content_type: str) -> set[str]:
    """Fingerprinted keys that a stored CSS or JS object points at (relative or root-relative)."""
    if not (content_type.startswith("text/css") or content_type.startswith("text/javascript")):
        return set()
    text = body.decode("utf-8", "replace")
    refs = [a or b for a, b in _CSS_REF.findall(text)] if content_type.startswith("text/css") else []
    refs += _MAP_REF.findall(text)
    found = set()
    for ref in refs:
        path = urlsplit(ref).path
        if not path or "://" in ref or ref.startswith(("data:", "//")):
            continue
        path = unquote(path)
        target = path.lstrip("/") if path.startswith("/") else posixpath.join(posixpath.dirname(key), path)
        target = posixpath.normpath(target)
        if FINGERPRINTED.search(target):
            found.add(target)
    return found


def dangling(server: MotoServer, bucket: str) -> list[str]:
    """The live-site invariant, as a list of violations (empty when it holds): every
    fingerprinted key that a plain-name object or the newest release record references
    is in the bucket."""
    s3 = server.client()
    stored = listing(server, bucket)
    problems = []
    for key in stored:
        if RELEASES in f"/{key}" or FINGERPRINTED.search(key):
            continue
        obj = s3.get_object(Bucket=bucket, Key=key)
        for ref in referenced_keys(key, obj["Body"].read(), obj.get("ContentType", "")):
            if ref not in stored:
                problems.append(f"plain {key} -> missing {ref}")
    newest = newest_release(server, bucket)
    if newest is not None:
        record, doc = newest
        for key in doc["objects"]:
            if key not in stored:
                problems.append(f"record {record} -> missing {key}")
        assets = doc["manifest"].get("assets", {})
        for entry in assets.values():
            for key in (entry.get("key"), entry.get("plain_key")):
                if key and key not in stored:
                    problems.append(f"record {record} manifest -> missing {key}")
    return problems


@dataclass(frozen=True)
class Stored:
    body: bytes
    content_type: str
    cache_control: str


def snapshot(server: MotoServer, bucket: str) -> dict[str, Any]:
    """Everything a visitor or the next publish could tell about the bucket: each object's
    bytes and headers; release records by content (their keys and `created` hold the time)."""
    s3 = server.client()
    objects: dict[str, Stored] = {}
    records = []
    for key in sorted(listing(server, bucket)):
        obj = s3.get_object(Bucket=bucket, Key=key)
        body = obj["Body"].read()
        if RELEASES in f"/{key}":
            try:
                doc = release_doc(body)
            except (OSError, EOFError, ValueError):
                doc = {"corrupt": body, "created": None}
            doc.pop("created")
            records.append(doc)
            continue
        objects[key] = Stored(body, obj.get("ContentType", ""), obj.get("CacheControl", ""))
    # Sorted by id: two publishes within one second order their records by id, not time.
    return {"objects": objects, "records": sorted(records, key=lambda r: str(r["id"]))}


# --- the fault-injecting proxy -------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the proxy received it (before any fault)."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body_size: int

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def is_write(self) -> bool:
        return self.method in ("PUT", "POST", "DELETE")


# An injected fault: an S3 error status and code, a connection reset before or after the
# request reached the server, or a delay before it is forwarded.
Fault = str  # "500", "503", "403", "301", "reset", "reset-after", "delay"
_ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
    "403": (403, "AccessDenied", "Access Denied"),
    "301": (
        301,
        "PermanentRedirect",
        "The bucket you are attempting to access must be addressed using the specified endpoint.",
    ),
}


class FaultProxy:
    """A threaded HTTP/1.1 proxy on 127.0.0.1 in front of `upstream`. `rule` decides a
    fault for a request; with `rate`, a seeded RNG also injects 500s, 503 SlowDowns,
    resets and delays on that fraction of requests, at most `max_faults` times for the
    same request, so that botocore's default 5 attempts always get one through."""

    def __init__(
        self,
        upstream: str,
        seed: int = 0,
        rate: float = 0.0,
        kinds: tuple[Fault, ...] = ("500", "503", "reset", "reset-after", "delay"),
        max_faults: int = 2,
    ) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rng = random.Random(seed)
        self.rate = rate
        self.kinds = kinds
        self.max_faults = max_faults
        self.rule: Callable[[Seen], Fault | None] = lambda seen: None
        self.seen: list[Seen] = []
        self.injected: Counter[str] = Counter()
        self._faults: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._resets: set[int] = set()
        self._server = _ProxyServer(("127.0.0.1", 0), _handler(self), self._resets)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fault-proxy", daemon=True
        )

    def decide(self, seen: Seen) -> Fault | None:
        with self._lock:
            self.seen.append(seen)
            fault = self.rule(seen)
            if fault is None and self.rate and self.rng.random() < self.rate:
                ident = (seen.method, seen.path)
                # Which requests fail is random; the kinds take turns, so every kind
                # occurs once a handful of faults happened, whatever the thread order.
                kind = self.kinds[sum(self.injected.values()) % len(self.kinds)]
                if kind == "delay":
                    fault = kind
                elif self._faults[ident] < self.max_faults:
                    self._faults[ident] += 1
                    fault = kind
            if fault is not None:
                self.injected[fault] += 1
            return fault

    def delay(self) -> float:
        with self._lock:
            return self.rng.uniform(0.05, 0.4)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, resets: set[int]) -> None:
        super().__init__(address, handler)
        self.resets = resets

    def shutdown_request(self, request: Any) -> None:
        if request.fileno() in self.resets:
            # No FIN first: with SO_LINGER 0, close() sends a RST, as a dropped connection does.
            self.resets.discard(request.fileno())
            request.close()
            return
        super().shutdown_request(request)


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        upstream: http.client.HTTPConnection | None = None

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _any(self) -> None:
            if self.headers.get("Transfer-Encoding"):
                self.send_error(400, "chunked bodies are not supported by the test proxy")
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, tuple(self.headers.items()), len(body))
            fault = proxy.decide(seen)
            if fault == "reset":
                return self._reset()
            if fault in _ERRORS:
                return self._error(*_ERRORS[fault])
            if fault == "delay":
                time.sleep(proxy.delay())  # an injected slow response, not a wait for timing
            status, reason, headers, data = self._forward(body)
            if fault == "reset-after":  # the server did it; the client never hears
                return self._reset()
            self.send_response_only(status, reason)
            for name, value in headers:
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            length_header = next((v for k, v in headers if k.lower() == "content-length"), None)
            self.send_header("Content-Length", length_header if self.command == "HEAD" else str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
            if self.upstream is None:
                self.upstream = http.client.HTTPConnection(*proxy.upstream, timeout=120)
            conn = self.upstream
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                conn.putheader(name, value)
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data

        def _error(self, status: int, code: str, message: str) -> None:
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>{message}</Message><RequestId>INJECTED</RequestId></Error>"
            ).encode()
            self.send_response_only(status, "Injected")
            self.send_header("Content-Type", "application/xml")
            if status == 301:  # as S3 answers a request signed for the wrong region
                self.send_header("x-amz-bucket-region", "eu-west-3")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _reset(self) -> None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            proxy._resets.add(self.connection.fileno())
            self.close_connection = True

        def finish(self) -> None:
            with contextlib.suppress(OSError):
                super().finish()

    return Handler


@pytest.fixture
def proxy(moto_server: MotoServer) -> Iterator[FaultProxy]:
    with FaultProxy(moto_server.url) as p:
        yield p
