"""Every check of `cdnpub doctor`, in the order the report shows them: the one place
that wires checks_cdn.py, checks_caching.py and checks_bucket.py together."""

from __future__ import annotations

from collections.abc import Iterable

from cdnpub.doctor.checks.bucket import check_access, check_published, check_storage
from cdnpub.doctor.checks.caching import check_caching
from cdnpub.doctor.checks.cdn import (
    check_cross_origin,
    check_distribution_found,
    check_origin,
    check_origin_access,
)
from cdnpub.doctor.model import FAIL, Finding, SetUp


def run_checks(setup: SetUp) -> tuple[Finding, ...]:
    """Every check, grouped as diagnosis.GROUPS orders them."""
    found: list[Finding] = []
    for check in (
        check_distribution_found,
        check_origin,
        check_access,
        check_origin_access,
        check_caching,
        check_cross_origin,
        check_storage,
        check_published,
    ):
        found += check(setup)
    return tuple(found)


def failed(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == FAIL]
