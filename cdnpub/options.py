"""The command-line surface, defined once for both faces (`cdnpub` and `flask cdn`):
each option with its help, default and CDNPUB_* variable, and the Settings they make."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from .config import PYPROJECT, Settings, default_map, read_table, rules_from
from .fingerprint import DEFAULT_FINGERPRINTED_PATTERN
from .invalidate import DEFAULT_THRESHOLD
from .manifest import DEFAULT_PATH
from .plan import DEFAULT_MAX_DELETE
from .store import DEFAULT_JOBS, Connection

F = TypeVar("F", bound=Callable[..., Any])
RULES = "cdnpub.rules"  # ctx.meta key of the header rules from pyproject.toml


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta["cdnpub.debug"] = True  # meta is shared by the whole command chain


_OPTIONS: dict[str, Callable[[Any], Any]] = {
    "debug": click.option(
        "--debug", is_flag=True, expose_value=False, callback=_debug,
        help="Show tracebacks for expected errors too.",
    ),
    "manifest": click.option(
        "--manifest", default=DEFAULT_PATH, show_default=True, envvar="CDNPUB_MANIFEST", metavar="FILE",
        help="Where to write the manifest (after a publish: only once it succeeded).",
    ),
    "exclude": click.option(
        "--exclude", multiple=True, metavar="PATTERN", envvar="CDNPUB_EXCLUDE",
        help="Gitignore-style pattern of files to leave out (repeatable), on top of the defaults "
        "and .cdnpubignore.",
    ),
    "strict": click.option(
        "--strict", is_flag=True, envvar="CDNPUB_STRICT",
        help="Treat a reference to a missing file as an error, not a warning.",
    ),
    "url_path": click.option(
        "--url-path", metavar="PATH", envvar="CDNPUB_URL_PATH",
        help="URL path the app serves the folder at, for root-relative references such as "
        "/static/img/a.png [default: /PREFIX].",
    ),
    "fingerprinted_pattern": click.option(
        "--fingerprinted-pattern", metavar="REGEX", envvar="CDNPUB_FINGERPRINTED_PATTERN",
        default=DEFAULT_FINGERPRINTED_PATTERN, show_default=True,
        help="Regex on file names that a bundler already fingerprinted: they keep their name.",
    ),
    "dry_run": click.option(
        "--dry-run", is_flag=True, envvar="CDNPUB_DRY_RUN", help="Print the plan; send no write at all."
    ),
    "verify": click.option(
        "--verify", is_flag=True, envvar="CDNPUB_VERIFY",
        help="Compare every object with the bucket even when the last release record is this build "
        "(repairs objects deleted by hand).",
    ),
    "jobs": click.option(
        "--jobs", type=click.IntRange(1, 256), default=DEFAULT_JOBS, show_default=True, envvar="CDNPUB_JOBS",
        help="Concurrent uploads.",
    ),
    "as_json": click.option(
        "--json", "as_json", is_flag=True, help="Print the plan and the result as one JSON document."
    ),
    "build_json": click.option(
        "--json", "as_json", is_flag=True, help="Print the summary as one JSON document."
    ),
    "endpoint_url": click.option(
        "--endpoint-url", envvar="CDNPUB_ENDPOINT_URL", metavar="URL",
        help="S3 (and CloudFront) API endpoint: MinIO, R2, a local emulator.",
    ),
    "region": click.option("--region", envvar="CDNPUB_REGION", help="AWS region of the bucket."),
    "profile": click.option("--profile", envvar="CDNPUB_PROFILE", help="AWS profile from ~/.aws/config."),
    "local": click.option(
        "--local", is_flag=True, envvar="CDNPUB_LOCAL",
        help="Publish to the emulator started by `cdnpub local` (no AWS account): dummy credentials, "
        "the bucket and a distribution created when missing.",
    ),
    "prune_older_than": click.option(
        "--prune-older-than", type=click.FloatRange(min=0), metavar="DAYS", envvar="CDNPUB_PRUNE_OLDER_THAN",
        help="Delete objects that no release of the last DAYS references (off by default).",
    ),
    "max_delete": click.option(
        "--max-delete", type=click.IntRange(0), default=DEFAULT_MAX_DELETE, show_default=True,
        envvar="CDNPUB_MAX_DELETE", help="Refuse to prune more objects than this.",
    ),
    "plain_copies": click.option(
        "--plain-copies/--no-plain-copies", default=True, show_default=True, envvar="CDNPUB_PLAIN_COPIES",
        help="Also publish each file under its plain name, with a short cache.",
    ),
    "distribution_id": click.option(
        "--distribution-id", envvar="CDNPUB_DISTRIBUTION_ID", metavar="ID",
        help="CloudFront distribution to invalidate changed plain-name paths on.",
    ),
    "wait": click.option(
        "--wait", is_flag=True, envvar="CDNPUB_WAIT", help="Wait for the invalidation to complete."
    ),
    "wait_timeout": click.option(
        "--wait-timeout", type=click.FloatRange(min=1), default=900, show_default=True,
        envvar="CDNPUB_WAIT_TIMEOUT", metavar="SECONDS", help="Give up waiting after this long.",
    ),
    "invalidate_threshold": click.option(
        "--invalidate-threshold", type=click.IntRange(1), default=DEFAULT_THRESHOLD, show_default=True,
        envvar="CDNPUB_INVALIDATE_THRESHOLD", metavar="N",
        help="Past N paths, invalidate the fewest directory wildcards that cover them.",
    ),
}  # fmt: skip

BUILD = ("exclude", "strict", "url_path", "fingerprinted_pattern", "debug")
CONNECTION = ("endpoint_url", "region", "profile")
PUBLISH = (
    "dry_run", "verify", "jobs", "as_json", "prune_older_than", "max_delete", "plain_copies",
    "wait", "wait_timeout", "invalidate_threshold",
)  # fmt: skip


def option_names(group: click.Group) -> dict[str, set[str]]:
    return {
        name: {p.name for p in cmd.params if p.name and isinstance(p, click.Option)}
        for name, cmd in group.commands.items()
    }


def load_config(
    ctx: click.Context,
    group: click.Group,
    other: click.Group | Callable[[], click.Group | None] | None = None,
) -> None:
    """[tool.cdnpub] of ./pyproject.toml as the group's defaults (flags and CDNPUB_*
    variables win), and its header rules into ctx.meta. `other` is the other face,
    whose option names are known keys too; or the function that loads it, called only
    when the table names a key `group` does not take (`flask cdn` imports Flask: 80 ms
    and 9 MB that `cdnpub build` does not need)."""
    path = Path(PYPROJECT)
    table = read_table(path)
    commands = option_names(group)
    if other is not None and not isinstance(other, click.Group):
        mine = set().union(*commands.values(), {"rules"})
        other = other() if any(k.replace("-", "_") not in mine for k in table) else None
    known = set().union(*option_names(other).values()) if other else set()
    ctx.default_map = default_map(table, commands, str(path), known)
    ctx.meta[RULES] = rules_from(table, str(path))


def options(*names: str) -> Callable[[F], F]:
    """Apply the named options, in the order given (the order --help lists them)."""

    def decorate(f: F) -> F:
        for name in reversed(names):
            f = _OPTIONS[name](f)
        return f

    return decorate


def publish_settings(
    values: Mapping[str, Any], *, bucket: str, prefix: str, connection: Connection,
    distribution_id: str | None, manifest: str | None,
) -> Settings:  # fmt: skip
    """Settings of a publish from the PUBLISH options' values."""
    days = values["prune_older_than"]
    return Settings(
        bucket=bucket,
        prefix=prefix,
        connection=connection,
        jobs=values["jobs"],
        dry_run=values["dry_run"],
        verify=values["verify"],
        plain_copies=values["plain_copies"],
        prune_older_than=None if days is None else timedelta(days=days),
        max_delete=values["max_delete"],
        distribution_id=distribution_id,
        wait=values["wait"],
        wait_timeout=values["wait_timeout"],
        invalidate_threshold=values["invalidate_threshold"],
        manifest=manifest,
        cdn_domain=values.get("cdn_domain"),
    )
