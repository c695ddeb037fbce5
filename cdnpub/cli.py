"""The `cdnpub` command: options in, one call into the package, a summary out.

Exit codes: 0 done (or nothing to do), 1 failure at the remote, 2 user error.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from . import __version__
from .config import PYPROJECT, Settings, default_map, parse_s3_url, read_table, rules_from
from .errors import CdnpubError, UserError
from .export import export
from .fingerprint import DEFAULT_FINGERPRINTED_PATTERN, Build, BuildOptions, Source, build
from .invalidate import DEFAULT_THRESHOLD, CloudFront, cloudfront_client, collapse, invalidation_path
from .local import LOCAL_CDN_DOMAIN, LOCAL_ENDPOINT, ensure_local, local_command
from .manifest import DEFAULT_PATH, from_build, write
from .plan import DEFAULT_MAX_DELETE
from .publish import publish
from .report import BarProgress, LineProgress, document, human_size, plan_table, summary_lines
from .scan import scan
from .store import Connection, S3Store, s3_client


class ExpectedErrors:
    """Mixin for click groups: expected errors become `cdnpub: <message>` and their exit
    code; anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except CdnpubError as err:
            if ctx.params.get("debug") or os.environ.get("CDNPUB_DEBUG"):
                traceback.print_exc()
            click.echo(f"cdnpub: {err}", err=True)
            ctx.exit(err.exit_code)


class CdnpubGroup(ExpectedErrors, click.Group):
    pass


def _load_config(ctx: click.Context) -> None:
    path = Path(PYPROJECT)
    table = read_table(path)
    commands = {
        name: {p.name for p in cmd.params if p.name}
        for name, cmd in cli.commands.items()
        if isinstance(cmd, click.Command)
    }
    ctx.default_map = default_map(table, commands, str(path))
    ctx.meta["cdnpub.rules"] = rules_from(table, str(path))


@click.group(cls=CdnpubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="CDNPUB_DEBUG", help="Show tracebacks for expected errors too.")
@click.version_option(__version__, prog_name="cdnpub")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Fingerprint static files, publish them to S3 + CloudFront, keep them there."""
    _load_config(ctx)


# Options shared by every command that builds.
def build_options(f: Any) -> Any:
    options = [
        click.option(
            "--exclude",
            multiple=True,
            metavar="PATTERN",
            envvar="CDNPUB_EXCLUDE",
            help="Gitignore-style pattern of files to leave out (repeatable), on top of "
            "the defaults and .cdnpubignore.",
        ),
        click.option(
            "--strict",
            is_flag=True,
            envvar="CDNPUB_STRICT",
            help="Treat a reference to a missing file as an error, not a warning.",
        ),
        click.option(
            "--url-path",
            metavar="PATH",
            envvar="CDNPUB_URL_PATH",
            help="URL path the app serves the folder at, for root-relative references "
            "such as /static/img/a.png [default: /PREFIX].",
        ),
        click.option(
            "--fingerprinted-pattern",
            metavar="REGEX",
            envvar="CDNPUB_FINGERPRINTED_PATTERN",
            default=DEFAULT_FINGERPRINTED_PATTERN,
            show_default=True,
            help="Regex on file names that a bundler already fingerprinted: they keep their name.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def run_build(
    ctx: click.Context,
    static_dir: str,
    prefix: str,
    exclude: Sequence[str],
    strict: bool,
    url_path: str | None,
    fingerprinted_pattern: str,
    jobs: int = 8,
) -> Build:
    options = BuildOptions(
        prefix=prefix.strip("/"),
        rules=ctx.meta.get("cdnpub.rules", ()),
        fingerprinted_pattern=fingerprinted_pattern,
        strict=strict,
        jobs=jobs,
    )
    url = url_path if url_path is not None else "/" + options.prefix
    return build([Source(scan(static_dir, exclude), url_path=url)], options)


def print_warnings(result: Build) -> None:
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@cli.command("build")
@click.argument("static_dir", type=click.Path(path_type=str))
@click.option(
    "--manifest",
    default=DEFAULT_PATH,
    show_default=True,
    envvar="CDNPUB_MANIFEST",
    metavar="FILE",
    help="Where to write the manifest.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="CDNPUB_OUT",
    help="Also write the fingerprinted tree (and plain-name copies) to this folder.",
)
@click.option(
    "--prefix",
    default="static",
    show_default=True,
    envvar="CDNPUB_PREFIX",
    help="Key prefix the files will have on the CDN (the URL path).",
)
@build_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@click.pass_context
def build_command(
    ctx: click.Context,
    static_dir: str,
    manifest: str,
    out: Path | None,
    prefix: str,
    exclude: tuple[str, ...],
    strict: bool,
    url_path: str | None,
    fingerprinted_pattern: str,
    as_json: bool,
) -> None:
    """Fingerprint STATIC_DIR and write the manifest; no network."""
    result = run_build(ctx, static_dir, prefix, exclude, strict, url_path, fingerprinted_pattern)
    write(from_build(result), manifest)
    written = export(result, out) if out is not None else 0
    print_warnings(result)
    summary = {
        "files": len(result.assets),
        "bytes": result.total_bytes,
        "rewritten_references": result.rewritten,
        "warnings": list(result.warnings),
        "manifest": manifest,
        "out": str(out) if out else None,
        "written": written,
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(
        f"Built {len(result.assets)} files ({human_size(result.total_bytes)}), "
        f"{result.rewritten} references rewritten, {len(result.warnings)} warnings; "
        f"manifest: {manifest}" + (f"; {written} files in {out}" if out else "")
    )


def connection_options(f: Any) -> Any:
    options = [
        click.option(
            "--endpoint-url",
            envvar="CDNPUB_ENDPOINT_URL",
            metavar="URL",
            help="S3 (and CloudFront) API endpoint: MinIO, R2, a local emulator.",
        ),
        click.option("--region", envvar="CDNPUB_REGION", help="AWS region of the bucket."),
        click.option("--profile", envvar="CDNPUB_PROFILE", help="AWS profile from ~/.aws/config."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@cli.command("publish")
@click.argument("static_dir", type=click.Path(path_type=str))
@click.argument("destination", metavar="s3://BUCKET[/PREFIX]")
@click.option(
    "--dry-run", is_flag=True, envvar="CDNPUB_DRY_RUN", help="Print the plan; send no write request at all."
)
@click.option(
    "--verify",
    is_flag=True,
    envvar="CDNPUB_VERIFY",
    help="Compare every object with the bucket even when the last release record is this build "
    "(repairs objects deleted by hand).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    envvar="CDNPUB_JOBS",
    help="Concurrent uploads.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan and the result as one JSON document.")
@connection_options
@click.option(
    "--local",
    is_flag=True,
    envvar="CDNPUB_LOCAL",
    help="Publish to the emulator started by `cdnpub local` (no AWS account): dummy credentials, "
    "the bucket and a distribution created when missing.",
)
@click.option(
    "--prune-older-than",
    type=click.FloatRange(min=0),
    metavar="DAYS",
    envvar="CDNPUB_PRUNE_OLDER_THAN",
    help="Delete objects that no release of the last DAYS references (off by default).",
)
@click.option(
    "--max-delete",
    type=click.IntRange(0),
    default=DEFAULT_MAX_DELETE,
    show_default=True,
    envvar="CDNPUB_MAX_DELETE",
    help="Refuse to prune more objects than this.",
)
@click.option(
    "--plain-copies/--no-plain-copies",
    default=True,
    show_default=True,
    envvar="CDNPUB_PLAIN_COPIES",
    help="Also publish each file under its plain name, with a short cache.",
)
@click.option(
    "--distribution-id",
    envvar="CDNPUB_DISTRIBUTION_ID",
    metavar="ID",
    help="CloudFront distribution to invalidate changed plain-name paths on.",
)
@click.option("--wait", is_flag=True, envvar="CDNPUB_WAIT", help="Wait for the invalidation to complete.")
@click.option(
    "--wait-timeout",
    type=click.FloatRange(min=1),
    default=900,
    show_default=True,
    envvar="CDNPUB_WAIT_TIMEOUT",
    metavar="SECONDS",
    help="Give up waiting after this long.",
)
@click.option(
    "--invalidate-threshold",
    type=click.IntRange(1),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    envvar="CDNPUB_INVALIDATE_THRESHOLD",
    metavar="N",
    help="Past N paths, invalidate the fewest directory wildcards that cover them.",
)
@click.option(
    "--manifest",
    default=DEFAULT_PATH,
    show_default=True,
    envvar="CDNPUB_MANIFEST",
    metavar="FILE",
    help="Where to write the app's manifest once the publish succeeded.",
)
@build_options
@click.pass_context
def publish_command(ctx: click.Context, /, static_dir: str, destination: str, **options: Any) -> None:
    """Build STATIC_DIR and publish it to s3://BUCKET[/PREFIX] (PREFIX defaults to `static`)."""
    bucket, prefix = parse_s3_url(destination)
    if options["local"]:
        options.update(_local_target(bucket, options["endpoint_url"], options["distribution_id"]))
    settings = Settings(
        bucket=bucket,
        prefix=prefix or "static",
        connection=Connection(options["region"], options["profile"], options["endpoint_url"]),
        build=BuildOptions(
            prefix=prefix or "static",
            rules=ctx.meta.get("cdnpub.rules", ()),
            fingerprinted_pattern=options["fingerprinted_pattern"],
            strict=options["strict"],
        ),
        jobs=options["jobs"],
        dry_run=options["dry_run"],
        verify=options["verify"],
        plain_copies=options["plain_copies"],
        prune_older_than=None
        if options["prune_older_than"] is None
        else timedelta(days=options["prune_older_than"]),
        max_delete=options["max_delete"],
        distribution_id=options["distribution_id"],
        wait=options["wait"],
        wait_timeout=options["wait_timeout"],
        invalidate_threshold=options["invalidate_threshold"],
        manifest=options["manifest"],
    )
    url_path = options["url_path"] if options["url_path"] is not None else "/" + settings.prefix
    result = build([Source(scan(static_dir, options["exclude"]), url_path=url_path)], settings.build)
    run_publish(result, settings, as_json=options["as_json"])


def _local_target(bucket: str, endpoint_url: str | None, distribution_id: str | None) -> dict[str, Any]:
    """Settings for the embedded emulator; the user's real credentials stay out of it."""
    endpoint = endpoint_url or LOCAL_ENDPOINT
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[name] = "local"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    return {
        "endpoint_url": endpoint,
        "region": "us-east-1",
        "profile": None,
        "distribution_id": distribution_id or ensure_local(endpoint, bucket, LOCAL_CDN_DOMAIN),
    }


def run_publish(result: Build, settings: Settings, as_json: bool) -> None:
    """Publish a build and print what happened; shared by `cdnpub publish` and `flask cdn`."""
    console = Console(stderr=True)
    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        click.echo(f"warning: {message}", err=True)

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
    if settings.manifest and report.done is not None:
        write(from_build(result), settings.manifest)  # only once the bucket holds every object
    if as_json:
        click.echo(json.dumps(document(report), indent=2, ensure_ascii=False))
    else:
        if settings.dry_run and not report.plan.nothing_to_do:
            Console().print(plan_table(report.plan))
        for line in summary_lines(report):
            click.echo(line)
    if report.invalidation_error is not None:
        raise report.invalidation_error


@cli.command("invalidate")
@click.option(
    "--distribution-id",
    required=True,
    envvar="CDNPUB_DISTRIBUTION_ID",
    metavar="ID",
    help="CloudFront distribution.",
)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--invalidate-threshold",
    type=click.IntRange(1),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    envvar="CDNPUB_INVALIDATE_THRESHOLD",
    metavar="N",
    help="Past N paths, invalidate the fewest directory wildcards that cover them.",
)
@click.option("--wait", is_flag=True, envvar="CDNPUB_WAIT", help="Wait for the invalidation to complete.")
@click.option(
    "--wait-timeout",
    type=click.FloatRange(min=1),
    default=900,
    show_default=True,
    envvar="CDNPUB_WAIT_TIMEOUT",
    metavar="SECONDS",
    help="Give up waiting after this long.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the invalidation as one JSON document.")
@connection_options
def invalidate_command(
    distribution_id: str,
    paths: tuple[str, ...],
    invalidate_threshold: int,
    wait: bool,
    wait_timeout: float,
    as_json: bool,
    endpoint_url: str | None,
    region: str | None,
    profile: str | None,
) -> None:
    """Invalidate PATHs (URL paths or keys, e.g. /static/app.css or static/css/*) on a distribution."""
    encoded = [
        invalidation_path(p.strip("/").removesuffix("*")) + ("*" if p.endswith("*") else "") for p in paths
    ]
    collapsed = collapse(encoded, invalidate_threshold, floor="/")
    cdn = CloudFront(cloudfront_client(Connection(region, profile, endpoint_url)), distribution_id)
    done = cdn.invalidate(collapsed, datetime.now(timezone.utc).isoformat())
    if wait:
        done = cdn.wait(done, wait_timeout)
    if as_json:
        doc = {"paths": list(collapsed), "ids": [i.id for i in done], "status": [i.status for i in done]}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    for inv in done:
        click.echo(f"Invalidation {inv.id} ({inv.status}): {len(inv.paths)} paths")


cli.add_command(local_command)  # needs the `local` extra (moto) only when it runs


def main() -> None:
    try:
        cli.main(prog_name="cdnpub")
    except UserError as err:  # raised while loading config, before a command runs
        click.echo(f"cdnpub: {err}", err=True)
        sys.exit(err.exit_code)
