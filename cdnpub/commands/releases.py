"""`releases` and `diff`, both faces: read a prefix's release records (read-only: no
write, no lease) and tell, in the form asked: a table for a person at a terminal, short
lines for a CI log (the default when stdout is no terminal), Markdown for a pull-request
comment (--markdown), or one JSON document (--json). Shapes: docs/releases.md."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

from cdnpub.aws.clients import Connection, s3_client
from cdnpub.aws.s3 import S3Store, s3_errors
from cdnpub.build.fingerprint import from_build
from cdnpub.build.model import Build
from cdnpub.commands.output import cell
from cdnpub.errors import UserError
from cdnpub.manifest import to_document
from cdnpub.sync.history import SHORT_ID, Diff, Entry, diff, entries, files_of
from cdnpub.sync.plan import RemoteObject
from cdnpub.sync.ports import Store
from cdnpub.sync.records import named_index, read_releases, records_newest_first, release_at
from cdnpub.sync.release import Release
from cdnpub.text import human_size, plural, printable, redact
from cdnpub.urls import under

DEFAULT_LIMIT = 20  # releases listed: each is one GET of its record


ROWS = 50  # files a table or a Markdown comment shows (--json lists all)


LINES = 20  # files a CI log shows


class Form(Enum):
    TABLE = "table"
    LINES = "lines"
    MARKDOWN = "markdown"
    JSON = "json"


def form_of(as_json: bool, markdown: bool) -> Form:
    """--json, else --markdown, else a table at a terminal and lines in a log."""
    if as_json and markdown:
        raise UserError("--json and --markdown are two forms of the same report: pass one")
    if as_json:
        return Form.JSON
    if markdown:
        return Form.MARKDOWN
    return Form.TABLE if Console().is_terminal else Form.LINES


def _warn(message: str) -> None:
    click.echo(f"warning: {printable(message)}", err=True)


def _store(connection: Connection, bucket: str) -> Store:
    return S3Store(s3_client(connection, 4), bucket)


# -- releases ---------------------------------------------------------------------------


def run_releases(connection: Connection, bucket: str, prefix: str, limit: int, form: Form) -> None:
    """List the newest `limit` releases: one listing, then one GET per record (and one
    more, for the change of the oldest one shown)."""
    client = s3_client(connection, 4)
    store = S3Store(client, bucket)
    records = records_newest_first(store, prefix)
    if not records:
        _hint_empty(client, bucket, prefix)
    read = read_releases(store, prefix, records[: limit + 1], _warn)
    live = read[0].id if read and records and read[0].key == records[0].key else None
    shown = entries(read, live)[:limit]
    _emit(form, releases_document(shown), releases_table(shown, bucket, prefix),
          releases_lines(shown, bucket, prefix), releases_markdown(shown, bucket, prefix))  # fmt: skip


def _hint_empty(client: Any, bucket: str, prefix: str) -> None:
    """No record: when nothing at all is under the prefix (one listing of one key), a
    mistyped prefix is likelier than a site never published; say so on stderr. The exit
    stays 0: a CI job that runs before the first publish must not fail."""
    with s3_errors(bucket):
        found = client.list_objects_v2(Bucket=bucket, Prefix=under(prefix), MaxKeys=1).get("KeyCount", 0)
    if not found:
        _warn(f"nothing at all under s3://{bucket}/{under(prefix)}: is the prefix right?")


def releases_document(shown: Sequence[Entry]) -> dict[str, Any]:
    return {"releases": [_entry_doc(e) for e in shown]}


def _entry_doc(e: Entry) -> dict[str, Any]:
    since = None
    if e.since is not None:
        since = {"added": e.since.count_added, "removed": e.since.count_removed,
                 "changed": e.since.count_changed, "bytes": e.since.delta}  # fmt: skip
    return {
        "id": e.id,
        "created": e.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": e.files,
        "bytes": e.bytes,
        "live": e.live,
        "revision": e.provenance.revision,
        "run": e.provenance.run,
        "cdnpub": e.provenance.version,
        "folders": None if e.folders is None else list(e.folders),
        "changes": since,
        "restores": None
        if e.restores is None
        else {"id": e.restores.id, "created": e.restores.created.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }


def _change_text(d: Diff | None) -> str:
    if d is None:
        return ""
    return f"+{d.count_added} -{d.count_removed} ~{d.count_changed} ({signed_size(d.delta)})"


def _row(e: Entry) -> list[str]:
    """The fields of a release, in _HEAD's order; its `live` column marks a rollback's record
    (ROLLBACK_MARK) in every form."""
    created = e.created.strftime("%Y-%m-%d %H:%M:%SZ")
    revision = (e.provenance.revision or "")[:SHORT_ID]
    live = ("live" if e.live else "") + (ROLLBACK_MARK if e.restores is not None else "")
    return [e.id[:SHORT_ID], created, str(e.files), human_size(e.bytes), _change_text(e.since),
            live, revision, e.provenance.run or ""]  # fmt: skip


_HEAD = ["id", "created", "files", "size", "change", "live", "revision", "run"]


# A terminal table fits 80 columns: the run's URL (in the log lines, the Markdown and the
# JSON) is left out, the revision cut to 7 hex digits (git's short form), the time to the
# minute, no rules between columns (rich spends 3 columns on each), and the change may
# wrap between its words: a row stays readable at any width.
_TABLE_HEAD = ("id", "created", "files", "size", "change", "live", "rev")


REVISION_SHORT = 7


ROLLBACK_MARK = "↩"  # a record a rollback wrote (the table's caption says so)


def _table_row(e: Entry) -> list[str]:
    row = _row(e)
    created = e.created.strftime("%Y-%m-%d %H:%M")
    return [*row[:1], created, *row[2:6], row[6][:REVISION_SHORT]]


def _legend(shown: Sequence[Entry]) -> str | None:
    if any(e.restores is not None for e in shown):
        return f"{ROLLBACK_MARK}: written by a rollback (the same files as the earlier release)"
    return None


def releases_table(shown: Sequence[Entry], bucket: str, prefix: str) -> Table:
    caption = _legend(shown)
    table = Table(
        title=cell(f"Releases of s3://{bucket}/{prefix}"), caption=caption,
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0),
    )  # fmt: skip
    for name in _TABLE_HEAD:
        right = name in ("files", "size")
        table.add_column(name, no_wrap=name != "change", justify="right" if right else "left")
    for e in shown:
        table.add_row(*map(cell, _table_row(e)))
    return table


def releases_lines(shown: Sequence[Entry], bucket: str, prefix: str) -> list[str]:
    if not shown:
        return [f"no release in s3://{bucket}/{prefix}"]
    # Every field, "-" for an empty one: a column is the same field on every line.
    return ["  ".join(v or "-" for v in _row(e)) for e in shown]


def releases_markdown(shown: Sequence[Entry], bucket: str, prefix: str) -> list[str]:
    lines = [f"#### Releases of `s3://{_md(bucket)}/{_md(prefix)}`", ""]
    if not shown:
        return [*lines, "No release yet."]
    lines += ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    for e in shown:
        row = _row(e)
        row[0], row[6] = f"`{row[0]}`", f"`{row[6]}`" if row[6] else ""
        lines.append("| " + " | ".join(_md(v) if i not in (0, 6) else v for i, v in enumerate(row)) + " |")
    legend = _legend(shown)
    return [*lines, "", legend] if legend else lines


# -- diff -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a diff: a release (by id) or the build; `label` as printed."""

    label: str
    release: str | None  # the release id; None for the build, or nothing published


def run_diff(
    connection: Connection, bucket: str, prefix: str, build: Build | None,
    old: str | None, new: str | None, form: Form,
) -> None:  # fmt: skip
    """Diff a build (or release `new`, default the live one) against release `old`
    (default: the live one with a build; without, the one before `new`). Reads one
    listing of the records and one GET per release compared."""
    if build is not None and new is not None:
        raise UserError("--to names a release to compare; with a build, the build is the new side")
    store = _store(connection, bucket)
    records = records_newest_first(store, prefix)
    if build is not None:
        after = to_document(from_build(build))
        new_side = Side("this build", None)
        old_index = 0
    else:
        if not records:
            raise UserError(f"no release in s3://{bucket}/{prefix} to compare")
        new_index = 0 if new is None else named_index(records, new)
        release = release_at(store, prefix, records, new_index, _warn, new)
        after, new_side = dict(release.manifest), _side(release, records)
        old_index = new_index + 1
    if old is not None:
        old_index = named_index(records, old)
    before: dict[str, Any] = {}
    old_side = Side("nothing published", None)
    if old_index < len(records):
        release = release_at(store, prefix, records, old_index, _warn, old)
        before, old_side = dict(release.manifest), _side(release, records)
    d = diff(files_of(before), files_of(after))
    where = f"s3://{bucket}/{prefix}"
    _emit(form, diff_document(d, old_side, new_side), diff_table(d, old_side, new_side, where),
          diff_lines(d, old_side, new_side, where), diff_markdown(d, old_side, new_side, where))  # fmt: skip


def _side(release: Release, records: Sequence[RemoteObject]) -> Side:
    live = " (live)" if release.key == records[0].key else ""
    return Side(release.id[:SHORT_ID] + live, release.id)


def diff_document(d: Diff, old: Side, new: Side) -> dict[str, Any]:
    return {
        "from": {"release": old.release},
        "to": {"release": new.release, "build": new.release is None},
        "added": d.count_added,
        "removed": d.count_removed,
        "changed": d.count_changed,
        "files": {"old": d.old_files, "new": d.new_files},
        "bytes": {"old": d.old_bytes, "new": d.new_bytes, "delta": d.delta},
        "changes": [
            {
                "path": c.path,
                "change": c.change.value,
                "old_size": c.old_size,
                "new_size": c.new_size,
                "delta": c.delta,
            }
            for c in d.changes
        ],
    }


def diff_summary(d: Diff, old: Side, new: Side, where: str) -> str:
    if not d.changes:
        return f"{where}: {new.label} is {old.label}, file for file"
    counts = f"{d.count_added} added, {d.count_removed} removed, {d.count_changed} changed"
    sizes = f"{human_size(d.old_bytes)} -> {human_size(d.new_bytes)}, {signed_size(d.delta)}"
    return f"{where}: {old.label} -> {new.label}: {counts} ({plural(d.new_files, 'file')}, {sizes})"


def _sizes(old: int | None, new: int | None) -> tuple[str, str]:
    return ("" if old is None else human_size(old), "" if new is None else human_size(new))


def diff_lines(d: Diff, old: Side, new: Side, where: str) -> list[str]:
    lines = [diff_summary(d, old, new, where)]
    for c in d.changes[:LINES]:
        before, after = _sizes(c.old_size, c.new_size)
        lines.append(
            f"  {c.change.value:<7} {c.path}  {before or '-'} -> {after or '-'} ({signed_size(c.delta)})"
        )
    if len(d.changes) > LINES:
        lines.append(f"  ... {len(d.changes) - LINES} more (--json lists all)")
    return lines


def diff_table(d: Diff, old: Side, new: Side, where: str) -> Table:
    table = Table(title=cell(diff_summary(d, old, new, where)))
    for name in ("change", "path", "old", "new", "delta"):
        if name in ("change", "path"):
            table.add_column(name, no_wrap=name == "change", overflow="fold")
        else:
            table.add_column(name, no_wrap=True, justify="right")
    for c in d.changes[:ROWS]:
        table.add_row(
            *map(cell, (c.change.value, c.path, *_sizes(c.old_size, c.new_size), signed_size(c.delta)))
        )
    if len(d.changes) > ROWS:
        table.add_row("...", f"{len(d.changes) - ROWS} more (--json lists all)", "", "", "")
    return table


def diff_markdown(d: Diff, old: Side, new: Side, where: str) -> list[str]:
    lines = [
        f"#### cdnpub diff: {_md(old.label)} → {_md(new.label)}",
        "",
        _md(diff_summary(d, old, new, where)),
    ]
    if not d.changes:
        return lines
    lines += ["", "| change | file | old | new | delta |", "|---|---|---:|---:|---:|"]
    for c in d.changes[:ROWS]:
        before, after = _sizes(c.old_size, c.new_size)
        lines.append(f"| {c.change.value} | {_code(c.path)} | {before} | {after} | {signed_size(c.delta)} |")
    if len(d.changes) > ROWS:
        lines.append(f"| ... | {len(d.changes) - ROWS} more | | | |")
    return lines


# -- shared -----------------------------------------------------------------------------


def signed_size(n: int) -> str:
    """Bytes up or down: "+300.0 KB", "-12 B", "0 B"."""
    return ("+" if n > 0 else "-" if n < 0 else "") + human_size(abs(n))


def _md(text: str) -> str:
    """Text in a Markdown table cell: printable, and nothing a renderer reads as markup
    (file names are anyone's: `|` would end the cell, `<` start HTML)."""
    out = printable(text)
    for ch in "\\`*_[]<>|#~":
        out = out.replace(ch, "\\" + ch)
    return out


def _code(text: str) -> str:
    """A file name as inline code; `|` escaped, as GFM tables read it even in code."""
    body = printable(text).replace("|", "\\|")
    fence = "``" if "`" in body else "`"
    return f"{fence} {body} {fence}" if fence == "``" else f"`{body}`"


def _emit(
    form: Form, doc: dict[str, Any], table: Table, lines: Sequence[str], markdown: Sequence[str]
) -> None:
    """Print the report in `form` (URLs' passwords, if any, taken out of the JSON)."""
    if form is Form.JSON:
        click.echo(redact(json.dumps(doc, indent=2, ensure_ascii=False)))
    elif form is Form.TABLE:
        Console(soft_wrap=False).print(table)
    elif form is Form.MARKDOWN:
        click.echo("\n".join(markdown))
    else:
        for line in lines:
            click.echo(printable(line))
