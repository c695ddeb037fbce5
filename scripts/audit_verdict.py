"""The verdict on a pip-audit JSON report, for .ci/run.

    python scripts/audit_verdict.py REPORT.json PIP_AUDIT_EXIT_CODE

Known vulnerabilities fail (exit 1, one stderr line each). When pip-audit could not run,
or PyPI's advisory data answered for no dependency, nothing was audited: that is said on
stderr and CI goes on (exit 0), as a machine that reaches only PyPI cannot do better.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def verdict(report: Path, audit_rc: int) -> int:
    try:
        deps: list[dict[str, Any]] = json.loads(report.read_text())["dependencies"]
    except (OSError, ValueError, KeyError):
        print(f"pip-audit: could not run (exit {audit_rc}); dependencies NOT audited", file=sys.stderr)
        return 0
    vulns = [(d["name"], d["version"], v["id"]) for d in deps for v in d.get("vulns", [])]
    audited = [d for d in deps if "skip_reason" not in d]
    for name, version, vid in vulns:
        print(f"pip-audit: {name} {version}: {vid}", file=sys.stderr)
    if vulns:
        return 1
    if not audited:
        print(
            f"pip-audit: PyPI's advisory data did not answer for any of {len(deps)} dependencies; "
            "NOT audited",
            file=sys.stderr,
        )
    else:
        print(
            f"pip-audit: {len(audited)} dependencies audited, no known vulnerabilities "
            f"({len(deps) - len(audited)} could not be)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(verdict(Path(sys.argv[1]), int(sys.argv[2])))
