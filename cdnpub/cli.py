"""The `cdnpub` command: options in, a call into the package (`commands/`), a summary out.

Exit codes: 0 done (or nothing to do), 1 failure at the remote, 2 user error, 3 a
`doctor` check failed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from click.core import ParameterSource

from cdnpub import __version__
from cdnpub.aws.clients import Connection
from cdnpub.aws.cloudfront import CloudFront, cloudfront_client
from cdnpub.build.export import export
from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import Build, Source
from cdnpub.build.rules import Rule
from cdnpub.build.scan import scan
from cdnpub.commands.check import check_build, check_target, raise_if_missing
from cdnpub.commands.local import local_command
from cdnpub.commands.options import (
    BUILD,
    CONNECTION,
    DOCTOR_DISTRIBUTION_ID,
    DOCTOR_JSON,
    PUBLISH,
    ROLLBACK,
    ROLLBACK_MANIFEST,
    distribution_id_option,
    header_rules,
    json_option,
    load_config,
    options,
)
from cdnpub.commands.output import ExpectedErrors, print_warnings, report_build, run_face
from cdnpub.commands.releases import form_of, run_diff, run_releases
from cdnpub.commands.rollback import rollback_settings, run_rollback
from cdnpub.commands.run import local_target, run_doctor, run_publish
from cdnpub.commands.values import build_options, connection, publish_settings
from cdnpub.doctor.model import App
from cdnpub.errors import UserError
from cdnpub.local.provision import LOCAL_BUCKET
from cdnpub.manifest import write
from cdnpub.sync.invalidation import collapse
from cdnpub.sync.settings import check_prefix, parse_s3_url
from cdnpub.text import plural
from cdnpub.urls import invalidation_path, typed_key


class CdnpubGroup(ExpectedErrors, click.Group):
    pass


@click.group(cls=CdnpubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@options("debug")
@click.version_option(__version__, prog_name="cdnpub")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Fingerprint static files, publish them to S3 + CloudFront, keep them there."""
    load_config(ctx, cli)


def run_build(static_dir: str, prefix: str, values: Mapping[str, Any], rules: Sequence[Rule]) -> Build:
    """Build one static folder from the BUILD options' values and [tool.cdnpub]'s header rules."""
    url_path = values["url_path"]
    if url_path is not None and not url_path.startswith("/"):
        raise UserError(f"--url-path {url_path!r}: a URL path starts with / (such as /static)")
    options = build_options(values, prefix=check_prefix(prefix, "--prefix"), rules=rules)
    url = values["url_path"] if values["url_path"] is not None else "/" + options.prefix
    # The manifest is never one of the files it describes (a --manifest inside the folder);
    # `diff` writes none.
    own = [values["manifest"]] if values.get("manifest") else []
    return build([Source(scan(static_dir, values["exclude"], own), url_path=url)], options)


@cli.command("build")
@click.argument("static_dir", type=click.Path(path_type=str))
@options("manifest", "out", "prefix", "check", *CONNECTION)
@options(*BUILD, json_option("Print the summary as one JSON document."))
@click.pass_context
def build_command(
    ctx: click.Context,
    /,
    static_dir: str,
    manifest: str,
    out: Path | None,
    prefix: str,
    as_json: bool,
    check: str | None,
    **values: Any,
) -> None:
    """Fingerprint STATIC_DIR and write the manifest; no network (but --check's listing)."""
    target = check_target(check, check_prefix(prefix, "--prefix")) if check else None
    result = run_build(static_dir, prefix, dict(values, manifest=manifest), header_rules(ctx))
    written = export(result, out) if out is not None else 0
    print_warnings(result)
    checked = check_build(result, connection(values), target[0]) if target else None
    if checked is None or not checked.missing:  # a manifest naming missing keys is never shipped
        write(from_build(result), manifest)
    report_build(result, manifest, out, written, as_json, checked)
    raise_if_missing(checked)


@cli.command("publish")
@click.argument("static_dir", type=click.Path(path_type=str))
@click.argument("destination", metavar="s3://BUCKET[/PREFIX]")
@options(
    *PUBLISH[:4], *CONNECTION, "local", *PUBLISH[4:7], "distribution_id", *PUBLISH[7:], "manifest", *BUILD
)
@click.pass_context
def publish_command(ctx: click.Context, /, static_dir: str, destination: str, **values: Any) -> None:
    """Build STATIC_DIR and publish it to s3://BUCKET[/PREFIX] (PREFIX defaults to `static`)."""
    bucket, prefix = parse_s3_url(destination)
    prefix = prefix or "static"
    if values["local"]:
        # A dry run is read-only: it sets nothing up on the emulator.
        values.update(
            local_target(bucket, values["endpoint_url"], values["distribution_id"], not values["dry_run"])
        )
    settings = publish_settings(
        values,
        bucket=bucket,
        prefix=prefix,
        distribution_id=values["distribution_id"],
        manifest=values["manifest"],
    )
    result = run_build(static_dir, prefix, values, header_rules(ctx))
    run_publish(result, settings, connection(values), as_json=values["as_json"])


@cli.command("invalidate", short_help="Invalidate paths on a CloudFront distribution.")
@options(distribution_id_option("The distribution.", required=True))
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@options(
    "invalidate_threshold", "wait", "wait_timeout", "debug",
    json_option("Print the invalidation as one JSON document."), *CONNECTION,
)  # fmt: skip
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
    """Invalidate PATHs (URL paths or keys, e.g. /static/app.css or static/css/*, or URLs
    on the distribution) on a distribution."""
    cdn = CloudFront(cloudfront_client(Connection(region, profile, endpoint_url)), distribution_id)
    paths = tuple(_url_path(p, cdn) if _URL.match(p) else p for p in paths)
    if any(not p.strip("/*") and p not in ("/*", "*") for p in paths):
        raise UserError(
            "an empty path (or /, or *) would invalidate the whole distribution: pass /* for that"
        )
    encoded = [
        invalidation_path(typed_key(p.strip("/").removesuffix("*"))) + ("*" if p.endswith("*") else "")
        for p in paths
    ]
    collapsed = collapse(encoded, invalidate_threshold, floor="/")
    done = cdn.invalidate(collapsed, datetime.now(timezone.utc).isoformat())
    if wait:
        done = cdn.wait(done, wait_timeout)
    if as_json:
        doc = {"paths": list(collapsed), "ids": [i.id for i in done], "status": [i.status for i in done]}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    for inv in done:
        click.echo(f"Invalidation {inv.id} ({inv.status}): {plural(len(inv.paths), 'path')}")


# A pasted URL (https://d111.cloudfront.net/static/app.css, or scheme-relative //host/...).
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//[^/]", re.I)


def _url_path(url: str, cdn: CloudFront) -> str:
    """The path of a URL pasted as a PATH, once its host is checked to be one the
    distribution answers to (its *.cloudfront.net name or an alias); one GetDistribution.
    Refused (UserError, exit 2) with the reason: another host (the invalidation would
    not touch what that URL serves), a query string (static files are cached by path)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("", "http", "https"):
        raise UserError(f"{url}: not an http(s) URL; pass the URL path, such as /static/app.css")
    if parts.query:
        raise UserError(
            f"{url}: an invalidation path has no query string (CloudFront caches static files "
            f"by path): pass {parts.path or '/'}"
        )
    host = (parts.hostname or "").lower()
    hosts = [h.lower() for h in cdn.viewer_hosts()]
    if host not in hosts:
        raise UserError(
            f"{url}: the host {host} is not distribution {cdn.distribution_id}'s "
            f"({', '.join(hosts)}): invalidating its path there would not refresh that URL"
        )
    return parts.path


@cli.command("doctor")
@click.argument("destination", metavar="s3://BUCKET[/PREFIX]", required=False)
@options(
    distribution_id_option(DOCTOR_DISTRIBUTION_ID),
    "doctor_manifest",
    json_option(DOCTOR_JSON),
    *CONNECTION, "local", "debug",
)  # fmt: skip
def doctor_command(
    destination: str | None,
    distribution_id: str | None,
    doctor_manifest: str | None,
    as_json: bool,
    **values: Any,
) -> None:
    """Check the bucket and its CloudFront distribution against what publishing assumes
    (read-only). Exit 3 when a check fails, 4 when one could not be made (reads refused).
    With --local, s3://cdnpub-local/static by default."""
    if destination is None and not values["local"]:
        raise click.UsageError("Missing argument 's3://BUCKET[/PREFIX]' (or --local)")
    bucket, prefix = parse_s3_url(destination or f"s3://{LOCAL_BUCKET}/static")
    if values["local"]:
        values.update(local_target(bucket, values["endpoint_url"], distribution_id, write=False))
        distribution_id = values["distribution_id"]
    where = f"s3://{bucket}/{prefix or 'static'}"
    app = (
        App(
            manifest=doctor_manifest,
            # Named on the command line, a missing file is a mistake; CDNPUB_MANIFEST, set
            # for publish in CI, may name one not built yet.
            manifest_given=click.get_current_context().get_parameter_source("doctor_manifest")
            is click.core.ParameterSource.COMMANDLINE,
            publish=f"cdnpub publish STATIC_DIR {where} --manifest {doctor_manifest}",
        )
        if doctor_manifest
        else None
    )
    run_doctor(connection(values), bucket, prefix or "static", distribution_id, as_json, app)


cli.add_command(local_command)  # needs the `local` extra (moto) only when it runs


def main() -> None:
    """The `cdnpub` console script."""
    run_face(cli, "cdnpub")


_JSON_RELEASES = json_option('Print the releases as one JSON document ({"releases": [...]}).')


@cli.command("releases")
@click.argument("destination", metavar="s3://BUCKET[/PREFIX]", required=False)
@options("limit", _JSON_RELEASES, "markdown", *CONNECTION, "local", "debug")
def releases_command(
    destination: str | None, limit: int, as_json: bool, markdown: bool, **values: Any
) -> None:
    """List the releases published to s3://BUCKET[/PREFIX] (PREFIX defaults to `static`),
    newest first: files, size, what changed, which is live (read-only). With --local,
    s3://cdnpub-local/static by default."""
    form = form_of(as_json, markdown)
    if destination is None and not values["local"]:
        raise click.UsageError("Missing argument 's3://BUCKET[/PREFIX]' (or --local)")
    bucket, prefix = parse_s3_url(destination or f"s3://{LOCAL_BUCKET}/static")
    if values["local"]:
        values.update(local_target(bucket, values["endpoint_url"], None, write=False))
    run_releases(connection(values), bucket, prefix or "static", limit, form)


@cli.command("diff")
@click.argument("first", metavar="[STATIC_DIR]")
@click.argument("second", metavar="s3://BUCKET[/PREFIX]", required=False)
@options(
    "from_release", "to_release", json_option("Print the diff as one JSON document."), "markdown",
    *CONNECTION, "local", *BUILD,
)  # fmt: skip
@click.pass_context
def diff_command(
    ctx: click.Context, /, first: str, second: str | None, from_release: str | None,
    to_release: str | None, as_json: bool, markdown: bool, **values: Any,
) -> None:  # fmt: skip
    """What publishing STATIC_DIR would change against the live release, per file, the
    biggest growth first; without STATIC_DIR, between two releases (read-only)."""
    form = form_of(as_json, markdown)
    static_dir, destination = (first, second) if second is not None else (None, first)
    bucket, prefix = parse_s3_url(destination)
    prefix = prefix or "static"
    if values["local"]:
        values.update(local_target(bucket, values["endpoint_url"], None, write=False))
    result = None
    if static_dir is not None:
        result = run_build(static_dir, prefix, values, header_rules(ctx))
        print_warnings(result)
    run_diff(connection(values), bucket, prefix, result, from_release, to_release, form)


@cli.command("rollback")
@click.argument("destination", metavar="s3://BUCKET[/PREFIX]")
@click.argument("release", metavar="[RELEASE]", required=False)
@options(*ROLLBACK, *CONNECTION, "local", "distribution_id", ROLLBACK_MANIFEST, "debug")
def rollback_command(destination: str, release: str | None, **values: Any) -> None:
    """Make an earlier release of s3://BUCKET[/PREFIX] live again: RELEASE (its id as
    `releases` prints it, or a unique prefix of 4 digits or more; default: the release
    before the live one). Restores its plain-name copies and headers, writes a new record,
    invalidates what changed, writes its manifest for the app; never deletes."""
    bucket, prefix = parse_s3_url(destination)
    if values["local"]:
        values.update(
            local_target(bucket, values["endpoint_url"], values["distribution_id"], not values["dry_run"])
        )
    settings = rollback_settings(
        values,
        bucket=bucket,
        prefix=prefix or "static",
        distribution_id=values["distribution_id"],
        manifest=values["manifest"],
    )
    # The default ./cdnpub-manifest.json may be another app's: a rollback that changed
    # nothing writes only a manifest the user named (flag, CDNPUB_MANIFEST, [tool.cdnpub]).
    named = click.get_current_context().get_parameter_source("manifest") is not ParameterSource.DEFAULT
    run_rollback(settings, connection(values), release, values["as_json"], manifest_named=named)
