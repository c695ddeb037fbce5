"""The `cdnpub` command: options in, one call into the package, a summary out.

Exit codes: 0 done (or nothing to do), 1 failure at the remote, 2 user error.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import PYPROJECT, default_map, read_table, rules_from
from .errors import CdnpubError, UserError
from .export import export
from .fingerprint import DEFAULT_FINGERPRINTED_PATTERN, Build, BuildOptions, Source, build
from .manifest import DEFAULT_PATH, from_build, write
from .scan import scan


class CdnpubGroup(click.Group):
    """Turns expected errors into `cdnpub: <message>` and their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CdnpubError as err:
            if ctx.params.get("debug"):
                traceback.print_exc()
            click.echo(f"cdnpub: {err}", err=True)
            ctx.exit(err.exit_code)


def _load_config(ctx: click.Context) -> None:
    path = Path(PYPROJECT)
    table = read_table(path)
    commands = {
        name: {p.name for p in cmd.params if p.name}
        for name, cmd in cli.commands.items()
        if isinstance(cmd, click.Command)
    }
    ctx.default_map = default_map(table, commands, str(path))
    ctx.meta["cdnpub.rules"] = rules_from(table, str(path))


@click.group(cls=CdnpubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="CDNPUB_DEBUG", help="Show tracebacks for expected errors too.")
@click.version_option(__version__, prog_name="cdnpub")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Fingerprint static files, publish them to S3 + CloudFront, keep them there."""
    _load_config(ctx)


# Options shared by every command that builds.
def build_options(f: Any) -> Any:
    options = [
        click.option(
            "--exclude",
            multiple=True,
            metavar="PATTERN",
            envvar="CDNPUB_EXCLUDE",
            help="Gitignore-style pattern of files to leave out (repeatable), on top of "
            "the defaults and .cdnpubignore.",
        ),
        click.option(
            "--strict",
            is_flag=True,
            envvar="CDNPUB_STRICT",
            help="Treat a reference to a missing file as an error, not a warning.",
        ),
        click.option(
            "--url-path",
            metavar="PATH",
            envvar="CDNPUB_URL_PATH",
            help="URL path the app serves the folder at, for root-relative references "
            "such as /static/img/a.png [default: /PREFIX].",
        ),
        click.option(
            "--fingerprinted-pattern",
            metavar="REGEX",
            envvar="CDNPUB_FINGERPRINTED_PATTERN",
            default=DEFAULT_FINGERPRINTED_PATTERN,
            show_default=True,
            help="Regex on file names that a bundler already fingerprinted: they keep their name.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def run_build(
    ctx: click.Context,
    static_dir: str,
    prefix: str,
    exclude: Sequence[str],
    strict: bool,
    url_path: str | None,
    fingerprinted_pattern: str,
    jobs: int = 8,
) -> Build:
    options = BuildOptions(
        prefix=prefix.strip("/"),
        rules=ctx.meta.get("cdnpub.rules", ()),
        fingerprinted_pattern=fingerprinted_pattern,
        strict=strict,
        jobs=jobs,
    )
    url = url_path if url_path is not None else "/" + options.prefix
    return build([Source(scan(static_dir, exclude), url_path=url)], options)


def print_warnings(result: Build) -> None:
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@cli.command("build")
@click.argument("static_dir", type=click.Path(path_type=str))
@click.option(
    "--manifest",
    default=DEFAULT_PATH,
    show_default=True,
    envvar="CDNPUB_MANIFEST",
    metavar="FILE",
    help="Where to write the manifest.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="CDNPUB_OUT",
    help="Also write the fingerprinted tree (and plain-name copies) to this folder.",
)
@click.option(
    "--prefix",
    default="static",
    show_default=True,
    envvar="CDNPUB_PREFIX",
    help="Key prefix the files will have on the CDN (the URL path).",
)
@build_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@click.pass_context
def build_command(
    ctx: click.Context,
    static_dir: str,
    manifest: str,
    out: Path | None,
    prefix: str,
    exclude: tuple[str, ...],
    strict: bool,
    url_path: str | None,
    fingerprinted_pattern: str,
    as_json: bool,
) -> None:
    """Fingerprint STATIC_DIR and write the manifest; no network."""
    result = run_build(ctx, static_dir, prefix, exclude, strict, url_path, fingerprinted_pattern)
    write(from_build(result), manifest)
    written = export(result, out) if out is not None else 0
    print_warnings(result)
    summary = {
        "files": len(result.assets),
        "bytes": result.total_bytes,
        "rewritten_references": result.rewritten,
        "warnings": list(result.warnings),
        "manifest": manifest,
        "out": str(out) if out else None,
        "written": written,
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(
        f"Built {len(result.assets)} files ({_size(result.total_bytes)}), "
        f"{result.rewritten} references rewritten, {len(result.warnings)} warnings; "
        f"manifest: {manifest}" + (f"; {written} files in {out}" if out else "")
    )


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def main() -> None:
    try:
        cli.main(prog_name="cdnpub")
    except UserError as err:  # raised while loading config, before a command runs
        click.echo(f"cdnpub: {err}", err=True)
        sys.exit(err.exit_code)
