"""The person at the other end: warnings, the summary or one JSON document, and
expected errors as one line with their exit code (progress: commands/progress.py).
Shared by both faces, `cdnpub` and `flask cdn`."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import click
from click.exceptions import NoArgsIsHelpError
from rich.text import Text

from cdnpub.build.model import Build
from cdnpub.build.scan import LeftOut
from cdnpub.commands.check import SHIP_NOTE, Check
from cdnpub.commands.verbosity import say
from cdnpub.errors import CdnpubError
from cdnpub.sync.stage import stage
from cdnpub.text import human_size, plural, printable, printable_lines


class ExpectedErrors:
    """Mixin for click groups: expected errors become `cdnpub: <message>` and their exit
    code; anything else is a bug and keeps its traceback."""

    def prepare(self, ctx: click.Context) -> None:
        """Set-up before the command runs (reading pyproject.toml), under the same rule."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand, its `--help` naming each option's environment variable (the
        way a CI job sets it), for both faces."""
        command: click.Command | None = super().get_command(ctx, cmd_name)  # type: ignore[misc]
        for param in command.params if command is not None else ():
            if isinstance(param, click.Option) and param.envvar:
                param.show_envvar = True
        return command

    def invoke(self, ctx: click.Context) -> Any:
        stage.set("")  # this command's publish, not an earlier one of the same process
        try:
            with terminate_as_interrupt():
                self.prepare(ctx)
                return super().invoke(ctx)  # type: ignore[misc]
        except CdnpubError as err:
            if debug_requested(ctx):
                click.echo(printable_lines(traceback.format_exc()), err=True)
            show_error(err)
            ctx.exit(err.exit_code)
        except click.NoSuchOption as err:
            raise peer_hint(err) from None
        except click.BadParameter as err:
            name_source(err)
            raise
        except KeyboardInterrupt as err:
            if debug_requested(ctx):
                click.echo(printable_lines(traceback.format_exc()), err=True)
            code = 128 + (err.signal if isinstance(err, Terminated) else signal.SIGINT)
            rolling = ctx.invoked_subcommand == "rollback"
            click.echo(f"cdnpub: {interrupted_line(stage.get(), code, rolling)}", err=True)
            ctx.exit(code)


# What users of `aws s3 sync` (and of other asset tools) type, and what cdnpub does instead:
# click's own "did you mean" would offer the nearest spelling (--delete -> --max-delete, a cap
# on pruning, the opposite of a hint). docs/coming-from.md says the same at length.
PEER_OPTIONS = {
    "--delete": "cdnpub deletes nothing by default; --prune-older-than DAYS deletes the objects no "
    "release of the last DAYS references (see docs/coming-from.md)",
    "--cache-control": "cdnpub sets Cache-Control per file (a year on fingerprinted names, five minutes "
    "on plain-name copies); change it with [[tool.cdnpub.rules]] header rules",
    "--content-type": "cdnpub sets Content-Type from each file's name; change it with "
    "[[tool.cdnpub.rules]] header rules",
    "--metadata-directive": "headers come from the build; change them with [[tool.cdnpub.rules]]",
    "--acl": "objects stay private: CloudFront reads the bucket through Origin Access Control",
    "--size-only": "cdnpub compares content hashes, never sizes or times",
    "--exact-timestamps": "cdnpub compares content hashes, never sizes or times",
    "--quiet": "build, publish, diff and flask cdn build/plan/publish take --quiet (errors only); "
    "this command's report is its result (2>/dev/null hides the rest)",
    "--include": "every file is published but those --exclude or .cdnpubignore leave out",
    "--dryrun": "the spelling is --dry-run",
}


def peer_hint(err: click.NoSuchOption) -> click.NoSuchOption:
    """`err`, or for an option of `aws s3 sync` and its peers (PEER_OPTIONS) the same
    error saying what cdnpub does instead of click's nearest-spelling guess."""
    hint = PEER_OPTIONS.get(err.option_name.partition("=")[0])
    if hint is None:
        return err
    return click.NoSuchOption(err.option_name, f"No such option: {err.option_name}: {hint}", ctx=err.ctx)


def name_source(err: click.BadParameter) -> None:
    """Make a bad value's error name where it came from: click names the flag even when
    the value was a CDNPUB_* variable or a [tool.cdnpub] key, and the user then looks
    for a flag nobody passed."""
    param, ctx = err.param, err.ctx
    if param is None or ctx is None or param.name is None or err.param_hint is not None:
        return
    flag = "/".join(param.opts) if isinstance(param, click.Option) else param.name
    source = ctx.get_parameter_source(param.name)
    if source is click.core.ParameterSource.ENVIRONMENT and isinstance(param.envvar, str):
        err.param_hint = f"the variable {param.envvar} ({flag})"
    elif source is click.core.ParameterSource.DEFAULT_MAP:
        err.param_hint = f"[tool.cdnpub] {param.name} in pyproject.toml ({flag})"
    elif isinstance(param, click.Option):  # the flag, without show_envvar's "(env var: ...)"
        err.param_hint = " / ".join(f"'{opt}'" for opt in param.opts)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cancelled CI job, `kill`), raised in the main thread as Ctrl-C's
    KeyboardInterrupt is, so that the same clean-up runs; exit 128 + the signal (143)."""

    signal = signal.SIGTERM


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM raises Terminated (Python's default would end the
    process on the spot, with no line and no clean-up). Main thread only (signal's rule);
    the previous handler comes back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# What the bucket and the site hold when a publish stops in each of its steps (the stage
# names of cdnpub.sync.publish); the phases run in this order, each after the last one
# fully succeeded, so the live site is whole in every one.
LANDED = {
    "": "nothing was written; the live site is unchanged",
    "read": "nothing of the release was written; the live site is unchanged",
    "wait": "it was waiting for another publish's lease; nothing was written",
    "fingerprinted": "some new fingerprinted objects were uploaded, nothing references them yet: "
    "the live site is unchanged",
    "plain": "every fingerprinted object landed and some plain-name copies were replaced, each "
    "naming objects that are there; no release record yet: the live site is consistent",
    "release": "every object landed; the release record may not be written: the live site is consistent",
    "prune": "the release is complete and some old objects may be deleted: the live site is consistent",
    "invalidate": "the release is complete but the CDN invalidation may not be sent: plain-name "
    "paths can serve their old bytes until their short cache expires",
    "done": "the release is complete; the manifest may not be written",
}


# The same for a rollback (cdnpub.sync.restore runs publish's steps): it uploads nothing,
# its fingerprinted step copies headers back in place, its plain step restores by copy.
ROLLED = {
    **LANDED,
    "read": "nothing was written; the live site is unchanged",
    "fingerprinted": "some fingerprinted objects got the earlier release's headers back; no "
    "plain-name copy changed yet: the live site is unchanged",
    "plain": "some plain-name copies were restored, each naming objects that are there; no new "
    "release record yet: the live site is consistent",
    "release": "every copy landed; the new release record may not be written: the live site is consistent",
    "done": "the rollback is complete; the manifest may not be written",
}


def interrupted_line(where: str, code: int, rollback: bool = False) -> str:
    """The one line an interrupt prints (after `cdnpub: `): the signal, the step, what
    landed, and that the same command finishes the publish or `rollback` (it recognises
    what is there)."""
    name = "SIGTERM" if code == 128 + signal.SIGTERM else "Ctrl-C"
    step = f" during the {where} step" if where else ""
    again = "; run the same command again to finish it" if where not in ("", "wait") else ""
    landed = ROLLED if rollback else LANDED
    return f"interrupted ({name}){step}: {landed.get(where, landed[''])}{again}"


def show_error(err: CdnpubError) -> None:
    """The one line an expected error prints: `cdnpub: <message>`, made printable."""
    click.echo(f"cdnpub: {printable(str(err))}", err=True)


def run_face(command: click.Command, prog_name: str) -> NoReturn:
    """Run a top-level click command as a console script: expected errors and usage
    errors as one line with their exit code, `--help` and the rest as click shows them."""
    try:
        code = command.main(prog_name=prog_name, standalone_mode=False)
    except CdnpubError as err:  # raised while loading config, before a command runs
        show_error(err)
        sys.exit(err.exit_code)
    except NoArgsIsHelpError as err:  # `cdnpub` alone: the help, as click prints it
        err.show()
        sys.exit(err.exit_code)
    except click.UsageError as err:  # one line, as every other error (click prints three)
        path = err.ctx.command_path if err.ctx else prog_name
        message = printable(err.format_message()).rstrip(".")
        click.echo(f"cdnpub: {message} (see `{path} --help`)", err=True)
        sys.exit(err.exit_code)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.Abort:  # Ctrl-C outside a group's ExpectedErrors (a prompt, option parsing)
        click.echo(f"cdnpub: {interrupted_line('', 130)}", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


DEBUG = "cdnpub.debug"  # ctx.meta key: --debug was given somewhere in the command chain


def debug_callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """The --debug option's callback (commands.options): meta is shared by the whole
    command chain, so the group's ExpectedErrors sees a subcommand's --debug."""
    if value:
        ctx.meta[DEBUG] = True


def debug_requested(ctx: click.Context) -> bool:
    """Whether expected errors show their traceback, the one place that says so: --debug
    anywhere in the command chain, or CDNPUB_DEBUG, read here too for errors raised
    before any option is parsed (reading pyproject.toml for `flask cdn`)."""
    return bool(ctx.meta.get(DEBUG)) or debug_from_env()


def debug_from_env() -> bool:
    """CDNPUB_DEBUG read as click reads a flag's variable (0, false, no, off are off)."""
    value = os.environ.get("CDNPUB_DEBUG", "").strip()
    try:
        return bool(value) and bool(click.BOOL.convert(value, None, None))
    except click.BadParameter:
        return True  # set to something: the user wants to see more


def report_build(
    result: Build, manifest: str, out: Path | None, written: int, as_json: bool, check: Check | None = None
) -> None:
    """The summary of a build, for a person or (with --json) for a machine; `check`: what
    `--check` found in the bucket (missing keys are the caller's error, after this)."""
    if as_json:
        summary = {
            "files": len(result.assets),
            "bytes": result.total_bytes,
            "rewritten_references": result.rewritten,
            "warnings": list(result.warnings),
            "left_out": left_out_document(result.left_out),
            "manifest": manifest,
            "out": str(out) if out else None,
            "written": written,
            **({"check": check.document()} if check is not None else {}),
        }
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    say(
        f"Built {plural(len(result.assets), 'file')} ({human_size(result.total_bytes)}), "
        f"{plural(result.rewritten, 'reference')} rewritten, {plural(len(result.warnings), 'warning')}; "
        f"manifest: {manifest}" + (f"; {written} files in {out}" if out else "")
    )
    if result.left_out:
        say(printable(left_out_line(result.left_out)))
    if check is None or not check.missing:  # missing keys: the error line says it
        say(printable(check.line()) if check is not None else SHIP_NOTE)


def left_out_line(left_out: Sequence[LeftOut]) -> str:
    """The summary's line on the secrets kept off the CDN (Build.left_out): each file and why."""
    each = "; ".join(f"{gone.fs_path} ({gone.why})" for gone in left_out)
    return f"Left out {plural(len(left_out), 'secret')}: {each}."


def left_out_document(left_out: Sequence[LeftOut]) -> list[dict[str, str]]:
    """--json's `left_out`: [{"path": file on this machine, "why": reason}], for build and publish."""
    return [{"path": gone.fs_path, "why": gone.why} for gone in left_out]


def print_warnings(result: Build) -> None:
    for warning in result.warnings:
        say(f"warning: {printable(warning)}", err=True)


def cell(text: str) -> Text:
    """A table cell that shows `text` as it is: no markup read, no control character."""
    return Text(printable(text))
