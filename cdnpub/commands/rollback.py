"""`rollback`, both faces: the AWS clients wired to sync/restore.py, the plan (dry run) or
the summary, or one JSON document (publish's, with a `rollback` object), and the app's
manifest of the release made live, written once the bucket serves it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click
from rich.console import Console

from cdnpub.aws.clients import Connection, s3_client
from cdnpub.aws.cloudfront import CloudFront, cloudfront_client
from cdnpub.aws.s3 import S3Store
from cdnpub.commands.progress import BarProgress, LineProgress
from cdnpub.commands.report import document, plan_table, summary_lines
from cdnpub.manifest import from_document, writable, write
from cdnpub.sync.restore import Rollback, rollback
from cdnpub.sync.settings import Settings
from cdnpub.text import plural, printable, redact


def rollback_settings(values: Mapping[str, Any], *, bucket: str, prefix: str, distribution_id: str | None,
                      manifest: str | None) -> Settings:  # fmt: skip
    """Settings of a rollback from its options' values (publish's that apply to it)."""
    return Settings(
        bucket=bucket,
        prefix=prefix,
        jobs=values["jobs"],
        dry_run=values["dry_run"],
        distribution_id=distribution_id,
        wait=values["wait"],
        wait_timeout=values["wait_timeout"],
        invalidate_threshold=values["invalidate_threshold"],
        manifest=manifest,
        cdn_domain=values.get("cdn_domain"),
        allow_shrink=values["allow_shrink"],
        lease=values["lease"],
        lease_wait=values["lease_wait"],
    )


# A rollback's phases in its words: the fingerprinted phase copies headers back in place,
# the plain one restores plain-name copies by server-side copy (no byte is sent).
ROLLBACK_VERBS = {"fingerprinted": "to copy in place (headers)", "plain": "to restore by copy"}


def run_rollback(
    settings: Settings, connection: Connection, wanted: str | None, as_json: bool, *, manifest_named: bool
) -> None:
    """Roll back and tell: progress, the plan (dry run) and the summary, or one JSON
    document; the release's manifest written once the bucket serves it. When nothing was
    written (the release is live already), the manifest is written only if the user named
    the file (`manifest_named`): the default ./cdnpub-manifest.json may be another app's.
    A failed invalidation is raised after the report."""
    console = Console(stderr=True)
    said: list[str] = []

    def warn(message: str) -> None:
        said.append(message)
        click.echo(f"warning: {printable(message)}", err=True)

    if settings.manifest and not settings.dry_run:
        writable(settings.manifest)  # found out now, not after every copy
    store = S3Store(s3_client(connection, settings.jobs), settings.bucket)
    cdn = (
        CloudFront(cloudfront_client(connection), settings.distribution_id)
        if settings.distribution_id
        else None
    )
    if as_json or not console.is_terminal:
        lines = LineProgress(verbs=ROLLBACK_VERBS)
        done = rollback(store, settings, wanted, cdn, lines, warn)  # stderr, --json or not
    else:
        with BarProgress(console) as bar:
            done = rollback(store, settings, wanted, cdn, bar, warn)
    report = done.report
    manifest = None
    changed = report.done is not None
    if settings.manifest and (changed or (done.already_live and manifest_named)) and not settings.dry_run:
        where = f"the manifest of release {done.target.id[:12]}"
        write(from_document(done.target.manifest, where), settings.manifest)
        manifest = settings.manifest
    if as_json:
        doc = {**document(report, said, manifest), "rollback": rollback_document(done)}
        click.echo(redact(json.dumps(doc, indent=2, ensure_ascii=False)))
    else:
        if settings.dry_run and not report.plan.nothing_to_do:
            Console().print(plan_table(report.plan))
        for line in rollback_lines(done, manifest):
            click.echo(printable(line))
    if report.invalidation_error is not None:
        raise report.invalidation_error


def rollback_document(done: Rollback) -> dict[str, Any]:
    """What --json adds to publish's document: the release made live, the one it replaced."""
    return {
        "to": done.target.id,
        "to_created": done.target.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "from": done.replaced.id if done.replaced is not None else None,
        "already_live": done.already_live,
    }


def rollback_lines(done: Rollback, manifest: str | None) -> list[str]:
    """The summary: publish's invalidation and CDN lines under a first line of its own."""
    report, target = done.report, done.target
    todo = report.plan
    where = f"s3://{todo.bucket}/{todo.prefix}"
    name = f"release {target.id[:12]} (published {target.created.strftime('%Y-%m-%d %H:%M:%SZ')})"
    restored = plural(len(todo.plain), "plain-name copy", "plain-name copies")
    fixes = plural(len(todo.fingerprinted), "header fix", "header fixes")
    if done.already_live:
        first = f"{where}: {name} is live already; nothing written."
    elif report.done is None:
        first = f"Dry run for {where}: would make {name} live again: restore {restored}, {fixes}, "
        first += f"{todo.skipped} as they are, a new record; nothing was written."
    else:
        first = f"Rolled {where} back to {name} in {report.seconds:.1f}s: {restored} restored, {fixes}, "
        first += f"{todo.skipped} as they were; new record {todo.release.key}."
    lines = [first, *summary_lines(report)[1:]]
    if manifest:
        lines.append(f"Manifest of that release written to {manifest}: deploy the app that matches it.")
    elif done.already_live:
        lines.append("No manifest written: nothing changed (--manifest FILE writes that release's).")
    return lines
