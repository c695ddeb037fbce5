"""A fault-injecting HTTP proxy on 127.0.0.1 in front of the moto server: S3 errors,
connection resets and delays, by rule or at a seeded random rate."""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


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
