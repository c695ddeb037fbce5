"""`cdnpub local`: start the embedded S3 + CloudFront and the CDN preview, set up the
bucket and distribution a local publish needs, print how to use them, run until Ctrl-C."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from click.core import ParameterSource

from cdnpub.commands.config import PYPROJECT, read_table
from cdnpub.commands.options import LOCAL, options
from cdnpub.errors import UserError
from cdnpub.local.emulator import Emulator
from cdnpub.local.preview import PreviewServer
from cdnpub.local.provision import LOCAL_PORT, ensure_local
from cdnpub.sync.settings import check_bucket


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


# What the `local` extra installs (moto's server needs Flask and flask-cors).
_EXTRA_MODULES = ("moto", "flask", "flask_cors")


@click.command("local")
@options(*LOCAL)
@click.option(
    "--log-requests", is_flag=True, envvar="CDNPUB_LOCAL_LOG_REQUESTS",
    help="Log every request the emulator and the preview answer (off: only warnings and errors).",
)  # fmt: skip
def local_command(port: int, cdn_port: int, bucket: str, log_requests: bool) -> None:
    """Run S3 + CloudFront on 127.0.0.1 (moto) and a CDN preview serving the bucket."""
    check_bucket(bucket, "--bucket")
    given = click.get_current_context().get_parameter_source("port") is ParameterSource.COMMANDLINE
    port = emulator_port(port if given else None)[0]
    _require_extra()
    _request_log(log_requests)
    with _stop_on_signals() as stop, _no_profile(), Emulator(port=port) as emulator:
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


PORT_VARIABLE = "CDNPUB_LOCAL_PORT"


def emulator_port(flag: int | None = None) -> tuple[int, str]:
    """Where the emulator listens, and where that was said: `flag` (`cdnpub local
    --port`), else CDNPUB_LOCAL_PORT, else `port` in [tool.cdnpub] of ./pyproject.toml,
    else 4566. The one rule for `cdnpub local` (which listens there) and `--local` (which
    publishes there), so the two agree without an --endpoint-url. 0 means a free port."""
    if flag is not None:
        return flag, "--port"
    raw = os.environ.get(PORT_VARIABLE, "")
    table = read_table(Path(PYPROJECT))
    value: object
    if raw:  # an empty variable is unset, as click reads it for `cdnpub local`
        origin = f"{PORT_VARIABLE}={raw!r}"
        value = int(raw.strip()) if raw.strip().isdigit() else raw
    elif "port" in table:
        origin, value = f"'port' in [tool.cdnpub] of {PYPROJECT}", table["port"]
    else:
        return LOCAL_PORT, "the default"
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise UserError(f"{origin}: a port is a whole number from 0 to 65535")
    return value, origin


def local_endpoint(endpoint_url: str | None) -> tuple[str, str]:
    """The emulator `--local` talks to and where its address came from: `endpoint_url`,
    else 127.0.0.1 on the port `cdnpub local` listens on (`emulator_port`). Port 0 (a
    free one, which `cdnpub local` printed) cannot be found again: a UserError naming
    the fix."""
    if endpoint_url:
        return endpoint_url, "--endpoint-url"
    port, origin = emulator_port()
    if port == 0:
        raise UserError(
            f"{origin}: port 0 makes `cdnpub local` pick a free port, which --local cannot find: "
            "pass the emulator's URL it printed as --endpoint-url"
        )
    return f"http://127.0.0.1:{port}", origin


def _require_extra() -> None:
    """The `local` extra's modules, or a UserError (exit 2) saying how to install them,
    rather than moto's ImportError traceback (exit 1, the code of a remote failure)."""
    missing = [name for name in _EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(
            f"cdnpub local needs the `local` extra ({missing[0]} is not installed): "
            "pip install 'cdnpub[local]' (from a checkout: pip install -e '/path/to/cdnpub[local]')"
        )


def _request_log(enabled: bool) -> None:
    """werkzeug logs each request the servers answer at INFO, on stderr: 99 % of the
    output, which buries the settings printed once. Off unless asked (--log-requests);
    werkzeug keeps a level set before its first request."""
    logging.getLogger("werkzeug").setLevel(logging.INFO if enabled else logging.WARNING)


@contextmanager
def _no_profile() -> Iterator[None]:
    """AWS_PROFILE and AWS_DEFAULT_PROFILE out of this process's environment while the
    emulator runs: moto makes botocore sessions of its own while it serves (to write an
    error response, for one), and a profile this machine lacks (a real account's) makes
    each of them raise ProfileNotFound: a 500 for the client. moto's own advice
    (getmoto/moto#5469). This process runs the emulator and nothing else."""
    saved = {name: os.environ.pop(name) for name in _PROFILE_VARIABLES if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


_PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


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
