"""Every check of `cdnpub doctor`, by id, in the order the report shows them: the one
place that wires checks/cdn.py, checks/caching.py, checks/bucket.py and checks/app.py together.

A check is a pure function of the set-up returning a Verdict, or None when it does not
apply (an earlier check already said why, e.g. no distribution). The id's part before
the dot is its group (model.Group), and the groups come in Group's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cdnpub.doctor.checks import app, bucket, caching, cdn
from cdnpub.doctor.model import FAIL, Finding, Group, SetUp, Verdict, denied

Check = Callable[[SetUp], Verdict | None]


CHECKS: tuple[tuple[str, Check], ...] = (
    ("origin.distribution", cdn.distribution_found),
    ("origin.rest-endpoint", cdn.rest_endpoint),
    ("origin.origin-path", cdn.origin_path),
    ("origin.behavior", cdn.behavior),
    ("access.block-public-access", bucket.block_public_access),
    ("access.public-policy", bucket.public_policy),
    ("access.acls", bucket.acls),
    ("access.origin-access", cdn.origin_access),
    ("access.bucket-policy", cdn.bucket_policy),
    ("caching.cache-policy", caching.cache_policy),
    ("caching.cache-key", caching.cache_key),
    ("caching.compress", caching.compress),
    ("caching.viewer-https", caching.viewer_https),
    ("caching.http-versions", caching.http_versions),
    ("cross-origin.cors", cdn.cors),
    ("storage.lifecycle", bucket.lifecycle),
    ("storage.versioning", bucket.versioning),
    ("storage.encryption", bucket.encryption),
    ("published.release-record", bucket.release_record),
    ("published.half-done", bucket.half_done),
    ("published.sample", bucket.sample),
    ("app.cdn-domain", app.cdn_domain),
    ("app.manifest", app.manifest_keys),
)


def group_of(check_id: str) -> Group:
    """ "caching.cache-key" -> Group.CACHING."""
    return Group(check_id.split(".", 1)[0])


# What each group of checks judges, read by doctor/read.py under these names: a check that
# does not apply only because that read was refused could not be made, and says so (a
# pipeline gating on doctor must not take a set-up it never saw for a pass).
NEEDS: tuple[tuple[str, str], ...] = (
    ("origin.", "distribution"),
    ("access.origin-access", "distribution"),
    ("caching.", "distribution"),
    ("cross-origin.", "distribution"),
    ("published.", "published"),
    ("app.cdn-domain", "distribution"),
    ("app.manifest", "manifest_keys"),
)


def not_made(check_id: str, setup: SetUp) -> Verdict | None:
    """The verdict of a check that found nothing to judge because a read it needs was
    refused; None when nothing it needs was refused (it really does not apply)."""
    for start, what in NEEDS:
        if check_id.startswith(start) and what in setup.denied:
            return denied(what.replace("_", " "), setup.denied[what])
    return None


def run_checks(setup: SetUp) -> tuple[Finding, ...]:
    """Every check that applies, in CHECKS' order; one that could not be made because a
    read it needs was refused is a warning that counts as not made."""
    found = []
    for check_id, check in CHECKS:
        verdict = check(setup) or not_made(check_id, setup)
        if verdict is not None:
            found.append(
                Finding(
                    group_of(check_id), check_id, verdict.status, verdict.why, verdict.fix, verdict.checked
                )
            )
    return tuple(found)


def failed(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == FAIL]


def unchecked(findings: Iterable[Finding]) -> list[Finding]:
    """The checks that could not be made (a read refused): neither a pass nor a fail."""
    return [f for f in findings if not f.checked]
