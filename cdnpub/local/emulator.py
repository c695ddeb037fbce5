"""The emulator: moto's S3 + CloudFront server on loopback (a free port or a given one),
with a hook that sees every request (the tests count and fail them).

It takes unsigned writes, as moto does, so it answers local clients only: a request
with an `Origin` header (a browser sends one on every cross-origin request and every
write, fetch() and forms alike: https://fetch.spec.whatwg.org/#origin-header) or a
`Host` that is not a loopback name (a DNS-rebinding page) is refused with 403 and no
CORS headers. A page open in the developer's browser cannot replace what the CDN
preview serves; boto3, the AWS CLI and curl send no Origin and are served."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cdnpub.errors import UserError
from cdnpub.local.fixes import keep_origin_access

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: str
    copy_source: str = ""  # x-amz-copy-source: a CopyObject sends no bytes


def _moto_app() -> WSGIApp:
    try:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    except ImportError:
        raise UserError("the local emulator needs moto: pip install 'cdnpub[local]'") from None
    keep_origin_access()

    class Dispatcher(DomainDispatcherApplication):
        """moto's dispatcher, remembering which backend serves a host. moto finds it
        anew on every request, listing and stat-ing its ~180 module folders under a
        lock: about a quarter of the emulator's time per request."""

        def __init__(self) -> None:
            super().__init__(create_backend_app)
            self._backends: dict[str | None, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            try:
                return self._backends[host]
            except KeyError:
                backend = self._backends[host] = super().get_backend_for_host(host)
                return backend

    app: WSGIApp = Dispatcher()
    return app


def serve(app: WSGIApp, port: int, what: str, **options: Any) -> Any:
    """A threaded werkzeug server for `app` on 127.0.0.1:`port` (0: a free one), not yet
    serving. The socket is bound here, so that a port in use is a UserError (exit 2)
    rather than werkzeug's own message and sys.exit(1)."""
    from werkzeug.serving import make_server

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server does
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise UserError(f"cannot serve {what} on 127.0.0.1:{port}: {err.strerror}") from None
    try:
        return make_server("127.0.0.1", port, app, threaded=True, fd=sock.fileno(), **options)
    finally:
        sock.close()  # the server holds its own duplicate of the socket


_ERROR = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>injected</Message></Error>'


_CODES = {403: "AccessDenied", 500: "InternalError", 503: "SlowDown"}


_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def from_local_client(environ: dict[str, Any]) -> bool:
    """Whether a request is a local client's: no `Origin` header and a loopback `Host`
    (`127.0.0.1:4566`, `localhost`, or a virtual-hosted `bucket.localhost:4566`)."""
    if "HTTP_ORIGIN" in environ:
        return False
    host = environ.get("HTTP_HOST", "127.0.0.1")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name.lower() in _LOOPBACK_NAMES or name.lower().endswith(".localhost")


_REFUSED = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>the cdnpub '
    "emulator answers local clients only, not a web page</Message></Error>"
)


class Emulator:
    """moto's S3 + CloudFront on 127.0.0.1.

    `on_request` sees every request (tests count them); when it returns a status
    code, the emulator answers with that S3 error instead (tests inject faults).
    """

    def __init__(self, port: int = 0, on_request: Callable[[Request], int | None] | None = None) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        moto = _moto_app()

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if not from_local_client(environ):
                start_response("403 Forbidden", [("Content-Type", "application/xml")])
                return [_REFUSED.encode()]
            if on_request is not None:
                request = Request(
                    environ["REQUEST_METHOD"],
                    environ["PATH_INFO"],
                    environ.get("QUERY_STRING", ""),
                    environ.get("HTTP_X_AMZ_COPY_SOURCE", ""),
                )
                status = on_request(request)
                if status is not None:
                    body = _ERROR.format(code=_CODES.get(status, "InternalError")).encode()
                    start_response(f"{status} Injected", [("Content-Type", "application/xml")])
                    return [body]
            return moto(environ, start_response)

        self._server = serve(app, port, "the emulator", request_handler=MotoRequestHandler)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="cdnpub-emulator", daemon=True
        )

    def start(self) -> Emulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
