"""How `cdnpub doctor`'s findings look to a person (a table grouped by concern) and
to a machine (one JSON document), and `run_doctor`, which both faces call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from cdnpub.doctor.model import FAIL, PASS, WARN, Finding
from cdnpub.doctor.read import Diagnosis

_STYLE = {PASS: "green", WARN: "yellow", FAIL: "bold red"}


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    found = Counter(f.status for f in findings)
    return {status: found.get(status, 0) for status in (PASS, WARN, FAIL)}


def doctor_table(diagnosis: Diagnosis) -> Table:
    where = f"s3://{diagnosis.bucket}/{diagnosis.prefix}"
    title = where + (f" behind {diagnosis.distribution_id}" if diagnosis.distribution_id else "")
    table = Table(title=f"cdnpub doctor: {title}", show_lines=True)
    for column in ("status", "check", "why / fix"):
        table.add_column(column, overflow="fold")
    for f in diagnosis.findings:
        text = Text(f.why)
        if f.fix and f.status != PASS:
            text.append(f"\nfix: {f.fix}", style="dim")
        table.add_row(Text(f.status, style=_STYLE[f.status]), f.check, text)
    return table


def doctor_lines(diagnosis: Diagnosis) -> list[str]:
    """The report for a log: `status check: why`, and the fix under what did not pass."""
    lines = []
    for f in diagnosis.findings:
        lines.append(f"{f.status:4} {f.check}: {f.why}")
        if f.fix and f.status != PASS:
            lines.append(f"     fix: {f.fix}")
    return lines


def summary_line(diagnosis: Diagnosis) -> str:
    n = counts(diagnosis.findings)
    warnings = "warning" if n[WARN] == 1 else "warnings"
    return f"{n[PASS]} passed, {n[WARN]} {warnings}, {n[FAIL]} failed"


def doctor_document(diagnosis: Diagnosis) -> dict[str, Any]:
    """The --json output: stable keys, one object per check."""
    return {
        "bucket": diagnosis.bucket,
        "prefix": diagnosis.prefix,
        "distribution_id": diagnosis.distribution_id,
        "findings": [
            {"group": f.group, "check": f.check, "status": f.status, "why": f.why, "fix": f.fix}
            for f in diagnosis.findings
        ],
        "summary": counts(diagnosis.findings),
    }
