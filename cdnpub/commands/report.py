"""How a publish looks to a person (a plan table, a summary) and to a machine (one
JSON document). Rendering only: no decisions and no I/O here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from cdnpub.build.rules import shared_cache_seconds
from cdnpub.build.scan import LeftOut
from cdnpub.commands.output import cell, left_out_document, left_out_line
from cdnpub.sync.plan import Action, Plan
from cdnpub.sync.publish import Report
from cdnpub.sync.reread import finishing
from cdnpub.text import human_size, plural

PLAN_ROWS = 40


SHOWN_PATHS = 5  # invalidation paths the summary names before it counts the rest


def plan_table(todo: Plan) -> Table:
    table = Table(title=cell(f"Plan for s3://{todo.bucket}/{todo.prefix}"), show_lines=False)
    # A narrow terminal folds a key onto more lines rather than cutting it: a key is
    # what a reader copies (a release record's name, an object to look at).
    table.add_column("action", no_wrap=True)
    table.add_column("key", overflow="fold", ratio=1)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("phase", no_wrap=True)
    rows = [
        (a.reason.value, a.blob.key, human_size(a.blob.asset.size), phase)
        for phase, actions in (("1 fingerprinted", todo.fingerprinted), ("2 plain", todo.plain))
        for a in actions
    ]
    if todo.write_release:
        rows.append(("release", todo.release.key, "", "3 record"))
    rows += [("delete", key, "", "4 prune") for key in todo.prune]
    for row in rows[:PLAN_ROWS]:
        table.add_row(*map(cell, row))  # keys are anyone's file names: no markup read
    if len(rows) > PLAN_ROWS:
        table.add_row("...", f"{len(rows) - PLAN_ROWS} more (--json lists all)", "", "")
    return table


def uninvalidated_line(todo: Plan) -> str:
    """Changed plain-name URLs and no distribution to invalidate them: how long a CDN in
    front of the bucket may still serve their old bytes (their shared-cache lifetime)."""
    ages = [
        age
        for key in todo.invalidate
        if (record := todo.release.objects.get(key)) is not None
        and (age := shared_cache_seconds(record.cache_control)) is not None
    ]
    longest = f"up to {max(ages)} s (their Cache-Control)" if ages else "until their cache expires"
    return (
        f"No distribution given, nothing invalidated: if a CDN serves this bucket, "
        f"{plural(len(todo.invalidate), 'changed plain-name URL')} may serve old bytes for {longest}; "
        "--distribution-id (CDN_DISTRIBUTION_ID) invalidates them."
    )


def summary_lines(report: Report, left_out: Sequence[LeftOut] = ()) -> list[str]:
    """The summary for a person; `left_out` the build's secrets kept off the CDN."""
    todo, done = report.plan, report.done
    where = f"s3://{todo.bucket}/{todo.prefix}"
    if done is None:
        lines = [
            f"Dry run for {where}: would upload {plural(len(todo.uploads), 'object')} "
            f"({human_size(todo.upload_bytes)}), fix headers of {len(todo.header_fixes)}, "
            f"skip {todo.skipped}, delete {len(todo.prune)}; nothing was written."
        ]
    elif todo.nothing_to_do:
        lines = [
            f"{where} is up to date (release {todo.release.id[:12]}, {plural(todo.skipped, 'object')}): "
            f"nothing written ({report.seconds:.1f}s)."
        ]
    else:
        lines = [
            f"Published to {where} in {report.seconds:.1f}s: {done.uploaded} uploaded "
            f"({human_size(done.uploaded_bytes)}), {plural(done.fixed, 'header fix', 'header fixes')}, "
            f"{todo.skipped} skipped, {done.deleted} deleted; release {todo.release.id[:12]}."
        ]
    if finishing(todo):
        verb = "would finish" if done is None else "finished"
        lines.append(
            f"This {verb} a publish that stopped half-way: every object compared with the bucket, "
            "the headers of what that publish may have written read back."
        )
    if left_out:
        lines.append(left_out_line(left_out))
    if report.cdn_domain and done is not None:
        lines.append(f"CDN domain: {report.cdn_domain} (the app's CDN_DOMAIN).")
    paths = plural(len(report.invalidation_paths), "path")
    if report.cdn_domain is None and todo.invalidate and done is not None:
        lines.append(uninvalidated_line(todo))
    if report.invalidation_error is not None:
        lines.append(f"Could not invalidate {paths} on {report.cdn_domain} (see below): {_some(report)}.")
    elif report.invalidation_paths:
        verb = "Would invalidate" if done is None else "Invalidated"
        ids = ", ".join(i.id for i in report.invalidations)
        status = f", {report.invalidations[0].status}" if report.invalidations else ""
        lines.append(
            f"{verb} {paths} on {report.cdn_domain}"
            + (f" ({ids}{status})" if ids else "")
            + f": {_some(report)}."
        )
    return lines


def _some(report: Report) -> str:
    """The first invalidation paths, then how many more (--json lists them all)."""
    paths = report.invalidation_paths
    shown = ", ".join(paths[:SHOWN_PATHS])
    return shown + (f" and {len(paths) - SHOWN_PATHS} more" if len(paths) > SHOWN_PATHS else "")


def _action_doc(a: Action) -> dict[str, Any]:
    return {"key": a.blob.key, "path": a.blob.asset.path, "reason": a.reason.value, "size": a.blob.asset.size}


def document(
    report: Report,
    warnings: Sequence[str] = (),
    manifest: str | None = None,
    left_out: Sequence[LeftOut] = (),
) -> dict[str, Any]:
    """The --json output: the plan and the result, stable keys, nothing secret.
    `warnings` are those of the run itself (a corrupt record, a retried invalidation),
    after the build's; `manifest` the file written for the app, if any; `left_out` the
    build's secrets kept off the CDN."""
    todo, done = report.plan, report.done
    return {
        "dry_run": done is None,
        "bucket": todo.bucket,
        "prefix": todo.prefix,
        "release": {"id": todo.release.id, "key": todo.release.key, "write": todo.write_release},
        "plan": {
            "fingerprinted": [_action_doc(a) for a in todo.fingerprinted],
            "plain": [_action_doc(a) for a in todo.plain],
            "uploads": len(todo.uploads),
            "upload_bytes": todo.upload_bytes,
            "header_fixes": len(todo.header_fixes),
            "skipped": todo.skipped,
            "prune": list(todo.prune),
        },
        "result": None
        if done is None
        else {
            "uploaded": done.uploaded,
            "uploaded_bytes": done.uploaded_bytes,
            "header_fixes": done.fixed,
            "deleted": done.deleted,
            "release_written": done.release_written,
        },
        "invalidation": {
            "paths": list(report.invalidation_paths),
            "ids": [i.id for i in report.invalidations],
            "status": [i.status for i in report.invalidations],
            "error": str(report.invalidation_error) if report.invalidation_error else None,
        },
        "cdn_domain": report.cdn_domain,
        "warnings": [*todo.warnings, *warnings],
        "left_out": left_out_document(left_out),
        "manifest": manifest,
        "seconds": round(report.seconds, 3),
    }
