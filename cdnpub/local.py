"""The embedded S3 + CloudFront emulator: moto's server on loopback, so the whole
release step runs on a laptop or a CI box with no AWS account; the CDN preview server
(the app is in preview.py); `ensure_local`, the bucket and distribution a local publish
needs; and the `cdnpub local` command that runs them.

Needs the `local` extra (moto[server])."""

from __future__ import annotations

import json
import re
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click

from .config import check_bucket
from .emulator_fixes import keep_origin_access
from .errors import UserError
from .managed_policies import CACHING_OPTIMIZED, CORS_WITH_PREFLIGHT
from .preview import Preview

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


class Emulator:
    """moto's S3 + CloudFront on 127.0.0.1.

    `on_request` sees every request (tests count them); when it returns a status
    code, the emulator answers with that S3 error instead (tests inject faults).
    """

    def __init__(self, port: int = 0, on_request: Callable[[Request], int | None] | None = None) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        moto = _moto_app()

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
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


# --- local set-up: the bucket and a distribution on the emulator -----------------

LOCAL_BUCKET = "cdnpub-local"
LOCAL_ENDPOINT = "http://127.0.0.1:4566"  # `cdnpub local`'s default emulator
LOCAL_CDN_DOMAIN = "127.0.0.1:4567"  # and its CDN preview
# moto accepts any key; these keep boto3 from looking for real credentials.
_DUMMY_CREDENTIALS = {
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
    "region_name": "us-east-1",
}


def local_client(service: str, endpoint_url: str) -> Any:
    """A boto3 client for the emulator, with dummy credentials of its own. AWS_PROFILE is
    not read: a real account's profile (maybe not even on this machine, botocore's
    ProfileNotFound) has nothing to do with the emulator."""
    import boto3  # here, not at the top: `cdnpub build` never pays for importing it
    import botocore.session
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)
    no_profile = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    return boto3.session.Session(botocore_session=no_profile).client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        config=config,
        **_DUMMY_CREDENTIALS,
    )


def _comment(bucket: str) -> str:
    return f"cdnpub-local {bucket}"


def ensure_local(endpoint_url: str, bucket: str, cdn_domain: str) -> str:
    """Create `bucket` and a CloudFront distribution in front of it on the emulator,
    unless they exist, and return the distribution's id. Idempotent: the distribution
    is found again by its Comment. `cdn_domain` (the preview's host:port) is noted in
    the Comment so that `aws cloudfront list-distributions` tells where to look."""
    import botocore.exceptions

    try:
        s3 = local_client("s3", endpoint_url)
        _ensure_bucket(s3, bucket)
        cloudfront = local_client("cloudfront", endpoint_url)
        distribution_id = _ensure_distribution(cloudfront, bucket, cdn_domain)
        _allow_distribution(
            s3, bucket, cloudfront.get_distribution(Id=distribution_id)["Distribution"]["ARN"]
        )
        return distribution_id
    except botocore.exceptions.EndpointConnectionError:
        raise UserError(f"no emulator answers at {endpoint_url}: start it with `cdnpub local`") from None
    except botocore.exceptions.ClientError as err:
        raise UserError(f"cannot set up s3://{bucket} on {endpoint_url}: {err}") from None


_PREVIEW_NOTE = re.compile(r"cdnpub-local (?P<bucket>\S+): preview at http://(?P<domain>[^/\s]+)/")


@dataclass(frozen=True, slots=True)
class LocalTarget:
    """Where a `--local` publish goes on the emulator."""

    distribution_id: str | None  # None: none yet (one is created)
    cdn_domain: str | None  # the CDN preview serving the bucket; None: no preview serves it


def pick_local(bucket: str, comments: dict[str, str]) -> LocalTarget:
    """The distribution for `bucket` among the emulator's (id -> Comment), and the CDN
    preview serving it. `cdnpub local` serves one bucket; publishing another there would
    land where the preview's answer is a 404, so that is a user error (a typo'd bucket,
    usually), raised before anything is written. On an emulator no `cdnpub local`
    started (no preview noted at all), the bucket gets a distribution of its own."""
    previews: dict[str, LocalTarget] = {}
    own = None
    for distribution_id, comment in sorted(comments.items()):
        noted = _PREVIEW_NOTE.fullmatch(comment)
        if noted:
            previews.setdefault(noted["bucket"], LocalTarget(distribution_id, noted["domain"]))
        elif comment == _comment(bucket) and own is None:
            own = distribution_id
    if bucket in previews:
        return previews[bucket]
    if previews:
        served = ", ".join(f"http://{t.cdn_domain}/ serves s3://{b}" for b, t in sorted(previews.items()))
        first = min(previews)
        raise UserError(
            f"the CDN preview does not serve s3://{bucket} ({served}): publish to s3://{first}, "
            f"or preview this bucket with `cdnpub local --bucket {bucket}`"
        )
    return LocalTarget(own, None)


def find_local(endpoint_url: str, bucket: str) -> LocalTarget:
    """`pick_local` on the emulator's distributions; creates the bucket (and, where no
    preview is noted, a distribution) that the publish needs. One listing of the
    distributions, then one CreateBucket (and one CreateDistribution the first time)."""
    import botocore.exceptions

    try:
        cloudfront = local_client("cloudfront", endpoint_url)
        comments = {
            str(item["Id"]): str(item.get("Comment", ""))
            for page in cloudfront.get_paginator("list_distributions").paginate()
            for item in page.get("DistributionList", {}).get("Items", [])
        }
        target = pick_local(bucket, comments)
        _ensure_bucket(local_client("s3", endpoint_url), bucket)
        if target.distribution_id is None:
            created = _create_distribution(cloudfront, bucket, _comment(bucket))
            target = LocalTarget(created, None)
        return target
    except botocore.exceptions.EndpointConnectionError:
        raise UserError(f"no emulator answers at {endpoint_url}: start it with `cdnpub local`") from None
    except botocore.exceptions.ClientError as err:
        raise UserError(f"cannot set up s3://{bucket} on {endpoint_url}: {err}") from None


def preview_domain(endpoint_url: str, distribution_id: str) -> str | None:
    """The CDN preview's host:port that `cdnpub local` noted on the distribution: the
    domain a local app's CDN_DOMAIN takes (moto's own *.cloudfront.net answers nothing)."""
    import botocore.exceptions

    try:
        config = local_client("cloudfront", endpoint_url).get_distribution_config(Id=distribution_id)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None
    found = re.search(r"preview at http://([^/\s]+)/", str(config["DistributionConfig"].get("Comment", "")))
    return found.group(1) if found else None


def _ensure_bucket(s3: Any, bucket: str) -> None:
    """The bucket as docs/aws-setup.md makes it, so that `cdnpub doctor` passes on it:
    private (Block Public Access on, ACLs disabled)."""
    import botocore.exceptions

    try:
        s3.create_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )


def _allow_distribution(s3: Any, bucket: str, arn: str) -> None:
    """The Origin Access Control's bucket policy: only this distribution reads."""
    statement = {
        "Sid": "CloudFrontReadsAssets",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": arn}},
    }
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


def _ensure_distribution(cloudfront: Any, bucket: str, cdn_domain: str) -> str:
    """An assets distribution as docs/aws-setup.md makes it: the bucket's REST endpoint
    through an Origin Access Control, CachingOptimized, compression, HTTPS, HTTP/2 and
    HTTP/3, and CORS headers (the preview is another host than the app's pages)."""
    tag = _comment(bucket)
    wanted = f"{tag}: preview at http://{cdn_domain}/"
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for item in page.get("DistributionList", {}).get("Items", []):
            comment = str(item.get("Comment", ""))
            if comment == tag or comment.startswith(tag + ":"):
                if comment != wanted:  # a preview on another port now: --local reads the note
                    _note(cloudfront, str(item["Id"]), wanted)
                return str(item["Id"])
    return _create_distribution(cloudfront, bucket, wanted)


def _note(cloudfront: Any, distribution_id: str, comment: str) -> None:
    found = cloudfront.get_distribution_config(Id=distribution_id)
    config = dict(found["DistributionConfig"], Comment=comment)
    cloudfront.update_distribution(Id=distribution_id, IfMatch=found["ETag"], DistributionConfig=config)


def _create_distribution(cloudfront: Any, bucket: str, comment: str) -> str:
    oac = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": f"{bucket}-oac",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    origin = f"{bucket}.s3.amazonaws.com"
    s3_origin = {
        "Id": origin,
        "DomainName": origin,
        "OriginPath": "",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": oac,
    }
    created = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": comment,
            "Comment": comment,
            "Enabled": True,
            "HttpVersion": "http2and3",
            "Origins": {"Quantity": 1, "Items": [s3_origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": origin,
                "ViewerProtocolPolicy": "redirect-to-https",
                "Compress": True,
                "CachePolicyId": CACHING_OPTIMIZED,
                "ResponseHeadersPolicyId": CORS_WITH_PREFLIGHT,
                "AllowedMethods": {
                    "Quantity": 3,
                    "Items": ["GET", "HEAD", "OPTIONS"],
                    "CachedMethods": {"Quantity": 3, "Items": ["GET", "HEAD", "OPTIONS"]},
                },
            },
        }
    )
    return str(created["Distribution"]["Id"])


# --- the CDN preview ------------------------------------------------------------


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


# --- `cdnpub local` ---------------------------------------------------------------


def _usage(emulator: str, preview: str, bucket: str, distribution_id: str) -> str:
    domain = preview.removeprefix("http://")
    return f"""\
cdnpub local: S3 + CloudFront emulator at {emulator}, CDN preview of s3://{bucket} at {preview}/
  distribution {distribution_id} (in memory: everything goes when this stops)

Publish to it (any credentials do):
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1
  cdnpub publish static s3://{bucket}/static --endpoint-url {emulator} --distribution-id {distribution_id}

Point the Flask app at the preview:
  CDN_DOMAIN={domain} CDN_HTTPS=False

Ctrl-C stops it."""


@click.command("local")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=4566,
    show_default=True,
    envvar="CDNPUB_LOCAL_PORT",
    help="Port of the S3 + CloudFront emulator (the --endpoint-url to publish to); 0 picks a free one.",
)
@click.option(
    "--cdn-port",
    type=click.IntRange(0, 65535),
    default=4567,
    show_default=True,
    envvar="CDNPUB_LOCAL_CDN_PORT",
    help="Port of the CDN preview (CDN_DOMAIN=127.0.0.1:PORT); 0 picks a free one.",
)
@click.option(
    "--bucket",
    default=LOCAL_BUCKET,
    show_default=True,
    envvar="CDNPUB_LOCAL_BUCKET",
    help="Bucket to create and serve on the preview.",
)
def local_command(port: int, cdn_port: int, bucket: str) -> None:
    """Run S3 + CloudFront on 127.0.0.1 (moto) and a CDN preview serving the bucket."""
    check_bucket(bucket, "--bucket")
    with _stop_on_signals() as stop, Emulator(port=port) as emulator:
        preview = PreviewServer(emulator.url, bucket, cdn_port)  # bound, not serving yet
        try:
            distribution_id = ensure_local(emulator.url, bucket, preview.domain)
        except BaseException:
            preview.close()
            raise
        with preview:
            click.echo(_usage(emulator.url, preview.url, bucket, distribution_id))
            # The timeout keeps the main thread returning to the interpreter, where
            # Python runs signal handlers.
            while not stop.wait(1.0):
                pass
    click.echo("cdnpub local: stopped")


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event that SIGINT or SIGTERM sets, installed before anything starts so that
    a signal at any point shuts the servers down in order."""
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


if __name__ == "__main__":  # `python -m cdnpub.local`, the same as `cdnpub local`
    try:
        local_command.main(prog_name="cdnpub local")
    except UserError as err:
        click.echo(f"cdnpub: {err}", err=True)
        raise SystemExit(err.exit_code) from None
