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
