"""How `cdnpub doctor`'s findings look to a person (a table grouped by concern) and
to a machine (one JSON document); commands.run.run_doctor picks one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from cdnpub.doctor.model import FAIL, PASS, WARN, Diagnosis, Finding, Status
from cdnpub.text import plural, printable

_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    """{"pass": n, "warn": n, "fail": n}, in that order, zeros included."""
    found = Counter(f.status for f in findings)
    return {status.value: found.get(status, 0) for status in Status}


def doctor_table(diagnosis: Diagnosis) -> Table:
    where = f"s3://{diagnosis.bucket}/{diagnosis.prefix}"
    title = where + (f" behind {diagnosis.distribution_id}" if diagnosis.distribution_id else "")
    # Every cell is a Text of printable(): a bucket, prefix or key is anyone's string, and
    # neither its brackets (rich markup) nor its control characters reach the terminal.
    table = Table(title=Text(printable(f"cdnpub doctor: {title}")), show_lines=True)
    for column in ("status", "check", "why / fix"):
        table.add_column(column, overflow="fold")
    for f in diagnosis.findings:
        text = Text(printable(f.why))
        if f.fix and f.status != PASS:
            text.append(f"\nfix: {printable(f.fix)}", style="dim")
        table.add_row(Text(_label(f), style=_STYLE[f.status]), Text(printable(f.check)), text)
    return table


def _label(finding: Finding) -> str:
    """The status column: a check that could not be made says so."""
    return finding.status.value if finding.checked else f"{finding.status.value} (not checked)"


def doctor_lines(diagnosis: Diagnosis) -> list[str]:
    """The report for a log: `status check: why`, and the fix under what did not pass."""
    lines = []
    for f in diagnosis.findings:
        lines.append(printable(f"{f.status.value:4} {f.check}: {f.why}"))
        if f.fix and f.status != PASS:
            lines.append(printable(f"     fix: {f.fix}"))
    return lines


def summary_line(diagnosis: Diagnosis) -> str:
    """ "3 passed, 1 warning, 0 failed", and how many checks could not be made: a
    report that checked nothing does not read as a clean one."""
    n = counts(diagnosis.findings)
    line = f"{n[PASS.value]} passed, {plural(n[WARN.value], 'warning')}, {n[FAIL.value]} failed"
    missing = sum(not f.checked for f in diagnosis.findings)
    return line + (f", {plural(missing, 'check')} not made (reads refused)" if missing else "")


def doctor_document(diagnosis: Diagnosis) -> dict[str, Any]:
    """The --json output: stable keys, one object per check."""
    return {
        "bucket": diagnosis.bucket,
        "prefix": diagnosis.prefix,
        "distribution_id": diagnosis.distribution_id,
        "findings": [
            {"group": f.group.value, "check": f.check, "status": f.status.value, "why": f.why, "fix": f.fix}
            for f in diagnosis.findings
        ],
        "summary": counts(diagnosis.findings),
        # The checks that could not be made (reads refused): their "warn" is no verdict.
        "unchecked": [f.check for f in diagnosis.findings if not f.checked],
    }
