"""The CDN preview: a WSGI app serving one bucket's objects at `/<key>` the way a
CloudFront distribution in front of it does (the stored headers, conditional GET,
CORS), for `cdnpub local`. Reads through any boto3 S3 client."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import unquote_plus

from cdnpub.aws.clients import NOT_FOUND, error_code
from cdnpub.local.emulator import serve
from cdnpub.local.provision import local_client

# What CloudFront passes on from S3; everything else of S3's answer stays behind.
_PASSED = frozenset(
    {
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-language",
        "content-length",
        "content-type",
        "etag",
        "expires",
        "last-modified",
    }
)


# A 304 carries the validators and caching headers, no entity headers (RFC 9110 15.4.5).
_NOT_MODIFIED = frozenset({"cache-control", "etag", "expires", "last-modified"})


# A well-configured distribution answers every origin (fonts are always fetched in CORS
# mode, and a script with `integrity` + `crossorigin` too): AWS's managed
# "CORS-With-Preflight" response headers policy does this.
_CORS = [("Access-Control-Allow-Origin", "*")]


_PREFLIGHT_MAX_AGE = "86400"


_STATUS = {
    200: "200 OK",
    204: "204 No Content",
    304: "304 Not Modified",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    502: "502 Bad Gateway",
}


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison, as for If-None-Match (RFC 9110 13.1.2)."""
    if not etag:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def _object_key(environ: dict[str, Any]) -> str:
    """The key S3 behind CloudFront reads from the request path: percent-decoded as UTF-8,
    with a literal `+` read as a space (S3's REST endpoint does; moto does not)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return unquote_plus(str(raw).split("?", 1)[0].split("#", 1)[0], errors="replace").lstrip("/")
    # PATH_INFO is percent-decoded and carried as latin-1 (PEP 3333); keys are UTF-8.
    return str(environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8", "replace").lstrip("/")


def _headers_of(answer: dict[str, Any], names: frozenset[str], meta: bool) -> list[tuple[str, str]]:
    """The stored headers among `names` (and the user metadata, x-amz-meta-*, if `meta`)."""
    raw: dict[str, str] = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    picked = [(n.title(), v) for n, v in raw.items() if n in names]
    if meta:
        picked += [(n, v) for n, v in raw.items() if n.startswith("x-amz-meta-")]
    return picked


class Preview:
    """WSGI app serving `/<key>` from one bucket, with the headers stored on each object.

    GET and HEAD with conditional GET (If-None-Match -> 304), CORS on every answer,
    OPTIONS preflight, 404 for a missing key, 502 when the store does not answer."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method == "OPTIONS":
            return self._preflight(environ, start_response)
        if method not in ("GET", "HEAD"):
            headers = [("Allow", "GET, HEAD, OPTIONS"), *_CORS]
            return self._text(start_response, 405, "method not allowed\n", headers)
        key = _object_key(environ)
        if not key or key.endswith("/"):
            return self._text(start_response, 404, "not found\n")
        return self._object(environ, start_response, key, head=method == "HEAD")

    def _object(
        self, environ: dict[str, Any], start_response: Callable[..., Any], key: str, head: bool
    ) -> Iterable[bytes]:
        import botocore.exceptions  # imported by the client already; not by `cdnpub build`

        try:
            if head:
                answer = self.client.head_object(Bucket=self.bucket, Key=key)
            else:
                answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except botocore.exceptions.ClientError as err:
            code = error_code(err)
            if code in NOT_FOUND:
                return self._text(start_response, 404, f"not found: {key}\n", head=head)
            return self._text(start_response, 502, f"the store answered {code or err}\n", head=head)
        except botocore.exceptions.BotoCoreError as err:
            return self._text(start_response, 502, f"the store did not answer: {err}\n", head=head)
        body = answer.get("Body")
        if _etag_matches(environ.get("HTTP_IF_NONE_MATCH", ""), str(answer.get("ETag", ""))):
            if body is not None:
                body.close()
            start_response(_STATUS[304], [*_headers_of(answer, _NOT_MODIFIED, meta=False), *_CORS])
            return []
        start_response(_STATUS[200], [*_headers_of(answer, _PASSED, meta=True), *_CORS])
        if body is None:
            return []
        return _Chunks(body)

    @staticmethod
    def _preflight(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = [
            *_CORS,
            ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
            ("Access-Control-Max-Age", _PREFLIGHT_MAX_AGE),
            ("Content-Length", "0"),
        ]
        asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        if asked:
            headers.append(("Access-Control-Allow-Headers", asked))
        start_response(_STATUS[204], headers)
        return []

    @staticmethod
    def _text(
        start_response: Callable[..., Any],
        status: int,
        text: str,
        headers: Sequence[tuple[str, str]] = _CORS,
        head: bool = False,
    ) -> Iterable[bytes]:
        data = text.encode()
        start_response(
            _STATUS[status],
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
                *headers,
            ],
        )
        return [] if head else [data]


class _Chunks:
    """An object's body as a WSGI iterable; `close()` gives the connection back."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        yield from self._body.iter_chunks(64 * 1024)

    def close(self) -> None:
        self._body.close()


class PreviewServer:
    """The CDN preview on 127.0.0.1: `with PreviewServer(emulator.url, bucket) as cdn:`;
    `cdn.domain` is what CDN_DOMAIN takes (with CDN_HTTPS=False)."""

    def __init__(self, endpoint_url: str, bucket: str, port: int = 0) -> None:
        app = Preview(local_client("s3", endpoint_url), bucket)
        self._server = serve(app, port, "the CDN preview")
        self.port: int = self._server.server_address[1]
        self.domain = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.domain}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="cdnpub-preview", daemon=True)

    def start(self) -> PreviewServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self.close()
        self._thread.join()

    def close(self) -> None:
        """Release the port; alone, for a server that never started."""
        self._server.server_close()

    def __enter__(self) -> PreviewServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
