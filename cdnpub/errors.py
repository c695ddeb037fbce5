"""One error hierarchy. `str(err)` is the one line the user sees; each class carries its
exit code, and `cdnpub.commands.output` alone turns an error into that line and code:

    CdnpubError          exit 1   an expected failure
    +-- RemoteError      exit 1   the store or the CDN failed after retries
    +-- UserError        exit 2   bad path, option, input or credentials: the user can fix it
    |   +-- NoSuchBucket          the bucket is not there (a typo'd name, the wrong endpoint)
    +-- ChecksFailed     exit 3   `doctor` found a failing check
    +-- ChecksNotMade    exit 4   `doctor` could not make some checks
    +-- PrefixBusy       exit 75  another publish holds the prefix's lease (EX_TEMPFAIL: try later)
    +-- LeaseConflict    exit 1   a conditional write lost to another writer (caught by publish)
"""

from __future__ import annotations


class CdnpubError(Exception):
    """An expected failure: str(err) is the one line the user sees."""

    exit_code = 1


class UserError(CdnpubError):
    """Bad path, bad option, bad input, no credentials: the user can fix it."""

    exit_code = 2


class NoSuchBucket(UserError):
    """The bucket does not exist. It carries the bucket and where its name came from
    (`named_by`: "the s3:// URL" by default), so that the face that knows where the name
    came from (`flask cdn`: CDN_BUCKET) says so with `named_by(...)`, not by rewriting
    the text."""

    def __init__(self, bucket: str, named_by: str = "the s3:// URL") -> None:
        super().__init__(
            f"bucket {bucket} does not exist (create it, or check {named_by} and --endpoint-url)"
        )
        self.bucket = bucket

    def named_by(self, origin: str) -> NoSuchBucket:
        """The same error, its hint naming `origin` as where the bucket's name came from."""
        return NoSuchBucket(self.bucket, origin)


class RemoteError(CdnpubError):
    """The store or the CDN failed after retries."""

    exit_code = 1


class ChecksFailed(CdnpubError):
    """`cdnpub doctor` found a set-up that breaks or endangers the site: exit 3, which CI
    tells from a remote failure (1) and a user error (2)."""

    exit_code = 3


class ChecksNotMade(CdnpubError):
    """`cdnpub doctor` failed nothing but could not make some checks (reads refused):
    exit 4, so a pipeline gating on doctor does not pass a set-up it never saw."""

    exit_code = 4


class PrefixBusy(CdnpubError):
    """Another publish (or prune) holds the prefix's lease past --lease-wait: exit 75,
    sysexits' EX_TEMPFAIL, which CI can tell from a failure and retry later."""

    exit_code = 75


class LeaseConflict(RemoteError):
    """A conditional write (If-Match / If-None-Match) found another writer's version:
    S3's 412 PreconditionFailed or 409 ConditionalRequestConflict. Publish re-lists and
    plans again; it reaches the user only if that keeps happening."""
