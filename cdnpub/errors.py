"""One error hierarchy; the command layer (cli.py, flask.py) alone maps it to exit codes."""

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
