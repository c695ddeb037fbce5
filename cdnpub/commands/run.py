"""The use cases both faces run: publish a build (the AWS clients wired to the sync core,
progress, the report, the manifest written once the bucket holds every object), doctor,
and the embedded emulator as a target."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import click
from rich.console import Console

from cdnpub.aws.clients import Connection, s3_client
from cdnpub.aws.cloudfront import CloudFront, cloudfront_client
from cdnpub.aws.retries import watch_retries
from cdnpub.aws.s3 import S3Store
from cdnpub.build.fingerprint import from_build
from cdnpub.build.model import Build
from cdnpub.commands.local import local_endpoint
from cdnpub.commands.output import print_warnings
from cdnpub.commands.progress import BarProgress, LineProgress
from cdnpub.commands.provenance import provenance
from cdnpub.commands.report import document, plan_table, summary_lines
from cdnpub.commands.verbosity import quiet, say
from cdnpub.doctor.checks import failed, unchecked
from cdnpub.doctor.model import App
from cdnpub.doctor.read import diagnose
from cdnpub.doctor.render import doctor_document, doctor_lines, doctor_table, summary_line
from cdnpub.errors import ChecksFailed, ChecksNotMade
from cdnpub.local.provision import LOCAL_CREDENTIALS, find_local, preview_domain
from cdnpub.manifest import writable, write
from cdnpub.sync.publish import publish
from cdnpub.sync.settings import Settings
from cdnpub.text import plural, printable, redact


def local_target(
    bucket: str, endpoint_url: str | None, distribution_id: str | None, write: bool = True
) -> dict[str, Any]:
    """Option values for the embedded emulator, the same for both faces: dummy static
    credentials (`access_key`, `secret_key`, which `values.connection` hands to the
    Connection: the user's real ones, their profile and session token stay out of it,
    and the process environment is left as it is), the emulator's endpoint (`local_endpoint`:
    --endpoint-url, else the port `cdnpub local` listens on), the bucket and its
    distribution (found, or created), and as `cdn_domain` the CDN preview that
    serves the bucket, the value a local app's CDN_DOMAIN takes. A bucket the preview
    does not serve is a UserError (see local.pick_local). Nothing is written to an
    emulator whose bucket is there; without `write` (a read-only command), nothing at all."""
    endpoint, origin = local_endpoint(endpoint_url)
    target = find_local(endpoint, bucket, write, "" if endpoint_url else origin)
    cdn_domain = target.cdn_domain
    if cdn_domain is None and not distribution_id:
        say(
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
        "access_key": LOCAL_CREDENTIALS,
        "secret_key": LOCAL_CREDENTIALS,
        "distribution_id": distribution_id or target.distribution_id,
        "cdn_domain": cdn_domain,
    }


def run_publish(result: Build, settings: Settings, connection: Connection, as_json: bool) -> None:
    """Publish a build and tell what happened: progress, the plan (dry run) and the
    summary, or one JSON document; the manifest written once the bucket holds every
    object. A failed invalidation is raised after the report."""
    console = Console(stderr=True)
    said: list[str] = []
    hush = quiet()  # here: click's context is the main thread's, warnings may come from others

    def warn(message: str) -> None:
        said.append(message)
        if not hush:
            click.echo(f"warning: {printable(message)}", err=True)

    if settings.provenance is None and not settings.dry_run:
        settings = replace(settings, provenance=provenance(result.roots[0] if result.roots else None))
    if settings.manifest and not settings.dry_run:
        writable(settings.manifest)  # found out now, not after every upload
    print_warnings(result)
    store = S3Store(_watched(s3_client(connection, settings.jobs), hush), settings.bucket)
    cdn = None
    if settings.distribution_id:
        cdn = CloudFront(_watched(cloudfront_client(connection), hush), settings.distribution_id)
    if as_json or hush or not console.is_terminal:
        lines = LineProgress() if not hush else None  # stderr: --json keeps stdout to itself
        store.on_bytes = lines.streamed if lines is not None else None
        report = publish(result, store, settings, cdn, lines, warn)
    else:
        with BarProgress(console) as bar:
            store.on_bytes = bar.streamed
            report = publish(result, store, settings, cdn, bar, warn)
    manifest = None
    if settings.manifest and report.done is not None:
        write(from_build(result), settings.manifest)  # only once the bucket holds every object
        manifest = settings.manifest
    if as_json:
        # JSON escapes control characters itself; a URL's password in a warning or an error
        # (botocore repeats the endpoint URL) is taken out here.
        doc = document(report, said, manifest, result.left_out)
        click.echo(redact(json.dumps(doc, indent=2, ensure_ascii=False)))
    elif not hush:
        if settings.dry_run and not report.plan.nothing_to_do:
            Console().print(plan_table(report.plan))
        for line in summary_lines(report, result.left_out):
            click.echo(printable(line))
    if report.invalidation_error is not None:
        raise report.invalidation_error


def _watched(client: Any, hush: bool) -> Any:
    """`client`, each retry of it a line on stderr, unless `hush` (--quiet, read here in
    the main thread: click's context is not visible from the upload threads)."""
    if not hush:
        watch_retries(client, lambda line: click.echo(line, err=True))
    return client


def run_doctor(
    connection: Connection,
    bucket: str,
    prefix: str,
    distribution_id: str | None,
    as_json: bool,
    app: App | None = None,
) -> None:
    """Diagnose and tell; after the report, a failed check ends in ChecksFailed (exit 3),
    else a check that could not be made in ChecksNotMade (exit 4)."""
    diagnosis = diagnose(
        s3_client(connection, 4), cloudfront_client(connection), bucket, prefix, distribution_id, app
    )
    if as_json:
        click.echo(json.dumps(doctor_document(diagnosis), indent=2, ensure_ascii=False))
    else:
        console = Console(soft_wrap=False)
        if console.is_terminal:
            console.print(doctor_table(diagnosis))
        else:  # a CI log: a line per check, nothing wrapped at 80 columns
            for line in doctor_lines(diagnosis):
                click.echo(line)
        click.echo(summary_line(diagnosis))
    bad = failed(diagnosis.findings)
    if bad:
        raise ChecksFailed(f"{plural(len(bad), 'check')} failed: {', '.join(f.check for f in bad)}")
    missing = unchecked(diagnosis.findings)
    if missing:
        raise ChecksNotMade(
            f"{plural(len(missing), 'check')} could not be made (reads refused): "
            + ", ".join(f.check for f in missing)
        )
