"""How much a command says: `--quiet` (CDNPUB_QUIET, `quiet` in [tool.cdnpub]) keeps
errors only, as `aws s3 sync --quiet` does. Progress, warnings, retries and summaries
go; the `cdnpub: ...` error line, a report asked for (`--json`, `diff`) and the exit
codes stay, so a CI job that gates on the code behaves the same."""

from __future__ import annotations

import click

QUIET = "cdnpub.quiet"  # ctx.meta key: --quiet was given somewhere in the command chain


def quiet_callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """The --quiet option's callback: meta is shared by the whole command chain."""
    if value:
        ctx.meta[QUIET] = True


def quiet() -> bool:
    """Whether the running command was asked to keep errors only."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and bool(ctx.meta.get(QUIET))


def say(line: str, err: bool = False) -> None:
    """A line for a person (progress, a warning, a summary): none under --quiet."""
    if not quiet():
        click.echo(line, err=err)
