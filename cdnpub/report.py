"""How a publish looks to a person (a plan table, a summary) and to a machine (one
JSON document). Rendering only: no decisions and no I/O here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from .plan import Action, Plan
from .printable import cell
from .publish import Report

PLAN_ROWS = 40


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def plan_table(todo: Plan) -> Table:
    table = Table(title=cell(f"Plan for s3://{todo.bucket}/{todo.prefix}"), show_lines=False)
    for column in ("action", "key", "size", "phase"):
        table.add_column(column, justify="right" if column == "size" else "left")
    rows = [
        (a.reason, a.blob.key, human_size(a.blob.asset.size), phase)
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


def summary_lines(report: Report) -> list[str]:
    todo, done = report.plan, report.done
    where = f"s3://{todo.bucket}/{todo.prefix}"
    if done is None:
        lines = [
            f"Dry run for {where}: would upload {len(todo.uploads)} objects "
            f"({human_size(todo.upload_bytes)}), fix headers of {len(todo.header_fixes)}, "
            f"skip {todo.skipped}, delete {len(todo.prune)}; nothing was written."
        ]
    elif todo.nothing_to_do:
        lines = [
            f"{where} is up to date (release {todo.release.id[:12]}, {todo.skipped} objects): "
            f"nothing written ({report.seconds:.1f}s)."
        ]
    else:
        lines = [
            f"Published to {where} in {report.seconds:.1f}s: {done.uploaded} uploaded "
            f"({human_size(done.uploaded_bytes)}), {done.fixed} header fixes, {todo.skipped} skipped, "
            f"{done.deleted} deleted; release {todo.release.id[:12]}."
        ]
    if report.invalidation_error is not None:
        lines.append(
            f"Could not invalidate {len(report.invalidation_paths)} paths on {report.cdn_domain} (see below)."
        )
    elif report.invalidation_paths:
        verb = "Would invalidate" if done is None else "Invalidated"
        ids = ", ".join(i.id for i in report.invalidations)
        lines.append(
            f"{verb} {len(report.invalidation_paths)} paths on {report.cdn_domain}"
            + (f": {ids}" if ids else "")
            + (f" ({report.invalidations[0].status})" if report.invalidations else "")
        )
    return lines


def _action_doc(a: Action) -> dict[str, Any]:
    return {"key": a.blob.key, "path": a.blob.asset.path, "reason": a.reason, "size": a.blob.asset.size}


def document(report: Report, warnings: Sequence[str] = (), manifest: str | None = None) -> dict[str, Any]:
    """The --json output: the plan and the result, stable keys, nothing secret.
    `warnings` are those of the run itself (a corrupt record, a retried invalidation),
    after the build's; `manifest` the file written for the app, if any."""
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
        "manifest": manifest,
        "seconds": round(report.seconds, 3),
    }
