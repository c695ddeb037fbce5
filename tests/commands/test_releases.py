"""The forms of `releases` and `diff` (commands/releases.py): what a person, a CI log, a
pull-request comment and a machine get; anyone's file names never break a form."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from rich.console import Console

from cdnpub.commands.releases import (
    Form,
    Side,
    diff_document,
    diff_lines,
    diff_markdown,
    diff_table,
    form_of,
    releases_document,
    releases_lines,
    releases_markdown,
    releases_table,
    signed_size,
)
from cdnpub.errors import UserError
from cdnpub.sync.history import Entry, File, diff, entries
from cdnpub.sync.release import Provenance, Restores, new_release

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
OLD = {"js/app.js": File("a", 700_000), "a|b.css": File("b", 10), "gone.png": File("c", 50)}
NEW = {"js/app.js": File("z", 1_007_200), "a|b.css": File("y", 12), "<img src=x>.svg": File("d", 5)}
D = diff(OLD, NEW)
OLD_SIDE, NEW_SIDE = Side("3f2a1b9c0d12 (live)", "3f2a1b9c0d12" + "0" * 52), Side("this build", None)


def test_signed_sizes() -> None:
    assert [signed_size(n) for n in (307_200, -12, 0)] == ["+300.0 KB", "-12 B", "0 B"]


def test_the_ci_log_form_is_a_summary_and_a_line_a_file_biggest_growth_first() -> None:
    lines = diff_lines(D, OLD_SIDE, NEW_SIDE, "s3://b/static")
    assert lines[0] == (
        "s3://b/static: 3f2a1b9c0d12 (live) -> this build: 1 added, 1 removed, 2 changed "
        "(3 files, 683.7 KB -> 983.6 KB, +300.0 KB)"
    )
    assert lines[1] == "  changed js/app.js  683.6 KB -> 983.6 KB (+300.0 KB)"
    assert lines[-1] == "  removed gone.png  50 B -> - (-50 B)"


def test_markdown_escapes_what_a_file_name_could_make_markup() -> None:
    md = "\n".join(diff_markdown(D, OLD_SIDE, NEW_SIDE, "s3://b/static"))
    assert "| changed | `a\\|b.css` | 10 B | 12 B | +2 B |" in md
    assert "| added | `<img src=x>.svg` |" in md  # inside code: shown, not rendered
    assert md.count("\n| ") == 1 + 4  # the header, one row a file


def test_the_json_document_lists_every_file() -> None:
    doc = diff_document(D, OLD_SIDE, NEW_SIDE)
    assert doc["from"] == {"release": OLD_SIDE.release} and doc["to"] == {"release": None, "build": True}
    assert doc["changes"][0] == {
        "path": "js/app.js", "change": "changed", "old_size": 700_000, "new_size": 1_007_200, "delta": 307_200,
    }  # fmt: skip
    assert (doc["added"], doc["removed"], doc["changed"]) == (1, 1, 2)
    assert doc["bytes"] == {"old": 700_060, "new": 1_007_217, "delta": 307_157}


def test_json_and_markdown_together_are_a_user_error() -> None:
    with pytest.raises(UserError, match="--json and --markdown"):
        form_of(True, True)
    assert form_of(True, False) is Form.JSON and form_of(False, True) is Form.MARKDOWN


def _entries() -> list[Entry]:
    a = new_release("static", {}, {"assets": {"a.css": {"sha256": "1", "size": 10}}}, T0)
    b = replace(
        new_release(
            "static", {}, {"assets": {"a.css": {"sha256": "2", "size": 2058}}}, T0 + timedelta(minutes=1)
        ),
        provenance=Provenance("ab" * 20, "https://ci.example/r/1", "0.1.0"),
    )
    return entries([b, a], b.id)


def test_the_releases_forms_for_a_log_a_comment_and_a_person() -> None:
    shown = _entries()
    lines = releases_lines(shown, "b", "static")
    assert lines[0].endswith("+0 -0 ~1 (+2.0 KB)  live  " + "ab" * 6 + "  https://ci.example/r/1")
    assert lines[1] == f"{shown[1].id[:12]}  2026-11-25 12:00:00Z  1  10 B  -  -  -  -"
    md = releases_markdown(shown, "b", "static")
    assert md[2] == "| id | created | files | size | change | live | revision | run |"
    assert md[4].startswith(f"| `{shown[0].id[:12]}` |") and "| live | `abababababab` |" in md[4]
    console = Console(record=True, width=200)
    console.print(releases_table(shown, "b", "static"))
    console.print(diff_table(D, OLD_SIDE, NEW_SIDE, "s3://b/static"))
    text = console.export_text()
    assert "Releases of s3://b/static" in text and "<img src=x>.svg" in text and "+300.0 KB" in text
    assert releases_document(shown)["releases"][0]["changes"] == {
        "added": 0,
        "removed": 0,
        "changed": 1,
        "bytes": 2048,
    }


def test_the_releases_table_fits_80_columns_one_line_a_release() -> None:
    """The run's URL is left out of the table (the lines, Markdown and JSON keep it), the
    revision cut to 7 digits: at 80 columns every release is one line with its whole id."""
    shown = _entries()
    rolled = replace(shown[0], restores=Restores(shown[1].id, shown[1].created))
    console = Console(record=True, width=80)
    console.print(releases_table([rolled, shown[1]], "my-site-assets", "static"))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = [line for line in lines if line.startswith((shown[0].id[:12], shown[1].id[:12]))]
    assert len(rows) == 2
    assert "live↩" in rows[0] and " abababa" in rows[0] and "ci.example" not in "".join(lines)
    assert "↩: written by a rollback" in lines[-1]
    assert "+0 -0 ~1 (+2.0 KB)" in rows[0]


def test_a_rollbacks_record_is_marked_and_columns_stay_aligned_in_the_log_and_markdown() -> None:
    """Empty fields are "-" in a CI log (the revision never slides into the change's
    column), and a rollback's record is marked in the log and the Markdown as in the table."""
    shown = _entries()
    rolled = replace(shown[0], restores=Restores(shown[1].id, shown[1].created), since=None)
    lines = releases_lines([rolled, shown[1]], "b", "static")
    fields = [line.split("  ") for line in lines]
    assert {len(f) for f in fields} == {8}
    assert fields[0][4] == "-" and fields[0][5] == "live↩" and fields[0][6] == "ab" * 6
    md = releases_markdown([rolled, shown[1]], "b", "static")
    assert "| live↩ |" in md[4] and md[-1].startswith("↩: written by a rollback")
