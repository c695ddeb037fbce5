"""One error hierarchy. `str(err)` is the one line the user sees; each class carries its
exit code, and `cdnpub.commands.output` alone turns an error into that line and code:

    CdnpubError          exit 1   an expected failure
    +-- RemoteError      exit 1   the store or the CDN failed after retries
    +-- UserError        exit 2   bad path, option, input or credentials: the user can fix it
    +-- ChecksFailed     exit 3   `doctor` found a failing check
"""

from __future__ import annotations


class CdnpubError(Exception):
    """An expected failure: str(err) is the one line the user sees."""

    exit_code = 1


class UserError(CdnpubError):
    """Bad path, bad option, bad input, no credentials: the user can fix it."""

    exit_code = 2


class RemoteError(CdnpubError):
    """The store or the CDN failed after retries."""

    exit_code = 1


class ChecksFailed(CdnpubError):
    """`cdnpub doctor` found a set-up that breaks or endangers the site: exit 3, which CI
    tells from a remote failure (1) and a user error (2)."""

    exit_code = 3
