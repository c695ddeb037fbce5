"""cdnpub.doctor.render: what a person (a table, or a line per check in a log) and a machine
(one JSON document) see of doctor's findings."""

from __future__ import annotations

from rich.console import Console

from cdnpub.doctor.model import Diagnosis, Finding
from cdnpub.doctor.render import doctor_document, doctor_lines, doctor_table, summary_line

FINDINGS = (
    Finding("origin", "origin.origin-path", "pass", "no origin path"),
    Finding("caching", "caching.compress", "warn", "no compression", "turn it on"),
    Finding("storage", "storage.lifecycle", "fail", "rule tidy expires objects", "delete the rule"),
)
DIAGNOSIS = Diagnosis("my-assets", "static", "E2EXAMPLE", FINDINGS)


def test_a_log_line_per_check_with_the_fix_under_what_did_not_pass() -> None:
    assert doctor_lines(DIAGNOSIS) == [
        "pass origin.origin-path: no origin path",
        "warn caching.compress: no compression",
        "     fix: turn it on",
        "fail storage.lifecycle: rule tidy expires objects",
        "     fix: delete the rule",
    ]


def test_the_summary_counts_each_status() -> None:
    assert summary_line(DIAGNOSIS) == "1 passed, 1 warning, 1 failed"


def test_the_json_document_has_one_object_per_check_and_the_counts() -> None:
    doc = doctor_document(DIAGNOSIS)
    assert (doc["bucket"], doc["prefix"], doc["distribution_id"]) == ("my-assets", "static", "E2EXAMPLE")
    assert doc["findings"][2] == {
        "group": "storage",
        "check": "storage.lifecycle",
        "status": "fail",
        "why": "rule tidy expires objects",
        "fix": "delete the rule",
    }
    assert doc["summary"] == {"pass": 1, "warn": 1, "fail": 1}


def test_the_table_shows_every_check_and_the_fixes() -> None:
    console = Console(width=200, record=True)
    console.print(doctor_table(DIAGNOSIS))
    text = console.export_text()
    assert "s3://my-assets/static behind E2EXAMPLE" in text
    for check in ("origin.origin-path", "caching.compress", "storage.lifecycle"):
        assert check in text
    assert "fix: delete the rule" in text


UNCHECKED = Diagnosis(
    "my-assets",
    "static",
    None,
    (
        Finding("access", "access.public-policy", "warn", "could not read the bucket policy", checked=False),
        Finding("storage", "storage.versioning", "pass", "versioning is off"),
    ),
)


def test_a_check_not_made_is_counted_apart_from_the_passes() -> None:
    assert summary_line(UNCHECKED) == "1 passed, 1 warning, 0 failed, 1 check not made (reads refused)"
    assert doctor_document(UNCHECKED)["unchecked"] == ["access.public-policy"]
    assert doctor_document(DIAGNOSIS)["unchecked"] == []
    assert doctor_lines(UNCHECKED)[0].startswith("warn access.public-policy")


def test_markup_and_control_characters_in_names_are_shown_escaped() -> None:
    # A prefix holding rich markup, and an escape sequence in a finding (a key's name).
    odd = Diagnosis(
        "my-assets",
        "a[/]b[bold]",
        None,
        (Finding("published", "published.sample", "fail", "static/\x1b[31mred.css is missing", "publish"),),
    )
    console = Console(width=200, record=True, force_terminal=True)
    console.print(doctor_table(odd))
    text = console.export_text()
    assert "s3://my-assets/a[/]b[bold]" in text
    assert "static/\\x1b[31mred.css is missing" in text
    assert "\x1b[31m" not in console.export_text(styles=False)
    assert doctor_lines(odd)[0] == "fail published.sample: static/\\x1b[31mred.css is missing"
