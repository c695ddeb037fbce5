"""The person at the other end: progress on a terminal or quiet lines in a CI log,
warnings, the summary or one JSON document, and expected errors as one line with
their exit code. Shared by both faces, `cdnpub` and `flask cdn`."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from .config import Settings
from .errors import CdnpubError, UserError
from .fingerprint import Build
from .invalidate import CloudFront, cloudfront_client
from .local import LOCAL_ENDPOINT, find_local, preview_domain
from .manifest import from_build, writable, write
from .plan import Action
from .printable import printable, printable_lines, redact
from .publish import publish
from .report import document, human_size, plan_table, summary_lines
from .store import S3Store, s3_client
from .wording import plural


class ExpectedErrors:
    """Mixin for click groups: expected errors become `cdnpub: <message>` and their exit
    code; anything else is a bug and keeps its traceback."""

    def prepare(self, ctx: click.Context) -> None:
        """Set-up before the command runs (reading pyproject.toml), under the same rule."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            self.prepare(ctx)
            return super().invoke(ctx)  # type: ignore[misc]
        except CdnpubError as err:
            if ctx.params.get("debug") or ctx.meta.get("cdnpub.debug") or debug_from_env():
                click.echo(printable_lines(traceback.format_exc()), err=True)
            click.echo(f"cdnpub: {printable(str(err))}", err=True)
            ctx.exit(err.exit_code)


def debug_from_env() -> bool:
    """CDNPUB_DEBUG read as click reads a flag's variable (0, false, no, off are off)."""
    value = os.environ.get("CDNPUB_DEBUG", "").strip()
    try:
        return bool(value) and bool(click.BOOL.convert(value, None, None))
    except click.BadParameter:
        return True  # set to something: the user wants to see more


def report_build(result: Build, manifest: str, out: Path | None, written: int, as_json: bool) -> None:
    """The summary of a build, for a person or (with --json) for a machine."""
    if as_json:
        summary = {
            "files": len(result.assets),
            "bytes": result.total_bytes,
            "rewritten_references": result.rewritten,
            "warnings": list(result.warnings),
            "manifest": manifest,
            "out": str(out) if out else None,
            "written": written,
        }
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"Built {plural(len(result.assets), 'file')} ({human_size(result.total_bytes)}), "
        f"{plural(result.rewritten, 'reference')} rewritten, {plural(len(result.warnings), 'warning')}; "
        f"manifest: {manifest}" + (f"; {written} files in {out}" if out else "")
    )


def print_warnings(result: Build) -> None:
    for warning in result.warnings:
        click.echo(f"warning: {printable(warning)}", err=True)


class LineProgress:
    """For CI logs: a line per phase, no bars redrawn a hundred times."""

    def __init__(self, out: TextIO = sys.stderr) -> None:
        self.out = out

    def phase(self, name: str, total: int, total_bytes: int) -> None:
        size = f" ({human_size(total_bytes)})" if total_bytes else ""
        print(f"{name}: {total} to write{size}", file=self.out, flush=True)

    def advance(self, action: Action | None, nbytes: int) -> None:
        pass


class BarProgress:
    """For a terminal: one bar per phase, by bytes when there are bytes to send."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(
            TextColumn("{task.description:>14}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f}"),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task: Any = None

    def __enter__(self) -> BarProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def phase(self, name: str, total: int, total_bytes: int) -> None:
        self.task = self.bar.add_task(name, total=total)

    def advance(self, action: Action | None, nbytes: int) -> None:
        self.bar.advance(self.task, 1)


def local_target(bucket: str, endpoint_url: str | None, distribution_id: str | None) -> dict[str, Any]:
    """Option values for the embedded emulator, the same for both faces: dummy
    credentials (the user's real ones stay out of it), the emulator's endpoint, the
    bucket and its distribution (found, or created), and as `cdn_domain` the CDN preview
    that serves the bucket, the value a local app's CDN_DOMAIN takes. A bucket the
    preview does not serve is a UserError (see local.pick_local)."""
    endpoint = endpoint_url or LOCAL_ENDPOINT
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[name] = "local"
    # A session token or a profile of a real account (one that may not even exist on this
    # machine: botocore's ProfileNotFound) has no business with the emulator.
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    target = find_local(endpoint, bucket)
    cdn_domain = target.cdn_domain
    if cdn_domain is None and not distribution_id:
        click.echo(
            f"warning: no CDN preview serves s3://{bucket} at {endpoint}: "
            f"`cdnpub local --bucket {bucket}` starts one",
            err=True,
        )
    if distribution_id:
        cdn_domain = preview_domain(endpoint, distribution_id)
    return {
        "endpoint_url": endpoint,
        "region": "us-east-1",
        "profile": None,
        "distribution_id": distribution_id or target.distribution_id,
        "cdn_domain": cdn_domain,
    }


_NO_BUCKET_HINT = "check the s3:// URL"


def run_publish(result: Build, settings: Settings, as_json: bool, bucket_from: str | None = None) -> None:
    """Publish a build and tell what happened. `bucket_from` names where the bucket's
    name came from, when not an s3:// URL (`CDN_BUCKET`), for the hints that name it."""
    try:
        _run_publish(result, settings, as_json)
    except UserError as err:
        if bucket_from is None or _NO_BUCKET_HINT not in str(err):
            raise
        raise UserError(str(err).replace(_NO_BUCKET_HINT, f"check {bucket_from}")) from err


def _run_publish(result: Build, settings: Settings, as_json: bool) -> None:
    console = Console(stderr=True)
    said: list[str] = []

    def warn(message: str) -> None:
        said.append(message)
        click.echo(f"warning: {printable(message)}", err=True)

    if settings.manifest and not settings.dry_run:
        writable(settings.manifest)  # found out now, not after every upload
    print_warnings(result)
    store = S3Store(s3_client(settings.connection, settings.jobs), settings.bucket)
    cdn = None
    if settings.distribution_id:
        cdn = CloudFront(cloudfront_client(settings.connection), settings.distribution_id)
    if as_json or not console.is_terminal:
        report = publish(result, store, settings, cdn, LineProgress() if not as_json else None, warn)
    else:
        with BarProgress(console) as bar:
            report = publish(result, store, settings, cdn, bar, warn)
    manifest = None
    if settings.manifest and report.done is not None:
        write(from_build(result), settings.manifest)  # only once the bucket holds every object
        manifest = settings.manifest
    if as_json:
        # JSON escapes control characters itself; a URL's password in a warning or an error
        # (botocore repeats the endpoint URL) is taken out here.
        click.echo(redact(json.dumps(document(report, said, manifest), indent=2, ensure_ascii=False)))
    else:
        if settings.dry_run and not report.plan.nothing_to_do:
            Console().print(plan_table(report.plan))
        for line in summary_lines(report):
            click.echo(printable(line))
    if report.invalidation_error is not None:
        raise report.invalidation_error
