"""One error hierarchy; the command layer (cli.py, flask.py) alone maps it to exit codes:
0 done, 1 remote failure, 2 user error, 3 a `doctor` check failed."""

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
