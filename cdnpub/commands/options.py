"""The command-line surface, defined once for both faces (`cdnpub` and `flask cdn`):
each option with its help, default and CDNPUB_* variable, and the Settings they make."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from cdnpub.build.model import DEFAULT_FINGERPRINTED_PATTERN
from cdnpub.build.rules import Rule
from cdnpub.commands.config import PYPROJECT, check_table, default_map, read_table, rules_from
from cdnpub.commands.output import debug_callback
from cdnpub.commands.releases import DEFAULT_LIMIT
from cdnpub.commands.types import FINGERPRINTED_PATTERN, TEXT, EndpointURL, Finite, Folder
from cdnpub.commands.verbosity import quiet_callback
from cdnpub.errors import UserError
from cdnpub.local.provision import LOCAL_BUCKET, LOCAL_CDN_PORT, LOCAL_PORT
from cdnpub.manifest import DEFAULT_PATH
from cdnpub.sync.invalidation import DEFAULT_THRESHOLD
from cdnpub.sync.lease import DEFAULT_LEASE_WAIT
from cdnpub.sync.plan import DEFAULT_MAX_DELETE
from cdnpub.sync.settings import DEFAULT_JOBS

F = TypeVar("F", bound=Callable[..., Any])


RULES = "cdnpub.rules"  # ctx.meta key of the header rules from pyproject.toml


# The help of doctor's --distribution-id and --json, on both faces.
DOCTOR_DISTRIBUTION_ID = "CloudFront distribution to check [default: the one with the bucket as origin]."


DOCTOR_JSON = "Print the findings as one JSON document."


MAX_DAYS = 36500  # a century: past that, the cutoff falls before year 1


def distribution_id_option(help: str, *, required: bool = False) -> Callable[[F], F]:
    """--distribution-id, one type for every command: an empty id is a usage error
    (exit 2), as `--distribution-id "$UNSET_CI_VARIABLE"` would be. `help` says what the
    command does with it."""
    return click.option(
        "--distribution-id", type=TEXT, required=required, envvar="CDNPUB_DISTRIBUTION_ID",
        metavar="ID", help=help,
    )  # fmt: skip


def json_option(help: str) -> Callable[[F], F]:
    """--json: one JSON document on stdout instead of the lines for a person; `help` says
    what the document holds."""
    return click.option("--json", "as_json", is_flag=True, help=help)


_OPTIONS: dict[str, Callable[[Any], Any]] = {
    "debug": click.option(
        "--debug", is_flag=True, expose_value=False, callback=debug_callback, envvar="CDNPUB_DEBUG",
        help="Show tracebacks for expected errors too.",
    ),
    "manifest": click.option(
        "--manifest", type=TEXT, default=DEFAULT_PATH, show_default=True, envvar="CDNPUB_MANIFEST",
        metavar="FILE",
        help="Where to write the manifest (after a publish: only once it succeeded).",
    ),
    "doctor_manifest": click.option(
        "--manifest", "doctor_manifest", type=TEXT, default=None, envvar="CDNPUB_MANIFEST", metavar="FILE",
        help="Also check that every key this manifest names is in the bucket (the app's pages "
        "point at them). From CDNPUB_MANIFEST: checked only if the file exists.",
    ),
    "out": click.option(
        "--out", type=Folder(), envvar="CDNPUB_OUT",
        help="Also write the fingerprinted tree (and plain-name copies) to this folder.",
    ),
    "prefix": click.option(
        "--prefix", type=TEXT, default="static", show_default=True, envvar="CDNPUB_PREFIX",
        help="Key prefix the files will have on the CDN (the URL path).",
    ),
    "exclude": click.option(
        "--exclude", type=TEXT, multiple=True, metavar="PATTERN", envvar="CDNPUB_EXCLUDE",
        help="Gitignore-style pattern of files to leave out (repeatable), on top of the defaults "
        "and .cdnpubignore.",
    ),
    "strict": click.option(
        "--strict", is_flag=True, envvar="CDNPUB_STRICT",
        help="Treat a reference to a missing file as an error, not a warning.",
    ),
    "check": click.option(
        "--check", metavar="s3://BUCKET[/PREFIX]", type=TEXT,
        help="Ask the bucket (one listing, read-only) whether it holds every key the manifest names; "
        "exit 3 when some are missing.",
    ),
    "ask_bucket": click.option(
        "--check-bucket", "ask_bucket", is_flag=True,
        help="Ask CDN_BUCKET (one listing, read-only) whether it holds every key the manifest names; "
        "exit 3 when some are missing.",
    ),
    "quiet": click.option(
        "--quiet", "-q", is_flag=True, expose_value=False, callback=quiet_callback, envvar="CDNPUB_QUIET",
        help="Print errors only: no progress, warnings or summary (--json still prints its document).",
    ),
    "verbose": click.option(
        "--verbose", is_flag=True, envvar="CDNPUB_VERBOSE",
        help="List every file a summary warning counts (the bundler sources taken for no ES module).",
    ),
    "url_path": click.option(
        "--url-path", type=TEXT, metavar="PATH", envvar="CDNPUB_URL_PATH",
        help="URL path the app serves the folder at, for root-relative references such as "
        "/static/img/a.png [default: /PREFIX].",
    ),
    "fingerprinted_pattern": click.option(
        "--fingerprinted-pattern", type=FINGERPRINTED_PATTERN, metavar="REGEX",
        envvar="CDNPUB_FINGERPRINTED_PATTERN",
        default=DEFAULT_FINGERPRINTED_PATTERN,
        show_default="Rollup/Vite, esbuild, webpack and Parcel hashes; see docs/build.md",
        help="Regex on file names that a bundler already fingerprinted: they keep their name "
        "(for folders without a bundler manifest).",
    ),
    "esbuild_metafile": click.option(
        "--esbuild-metafile", type=TEXT, metavar="FILE", envvar="CDNPUB_ESBUILD_METAFILE",
        help="esbuild's metafile (metafile: true): the outputs it lists keep their names, as the files "
        "of a Vite or webpack manifest found in the folder do.",
    ),
    "publish_bundler_manifests": click.option(
        "--publish-bundler-manifests", is_flag=True, envvar="CDNPUB_PUBLISH_BUNDLER_MANIFESTS",
        help="Also publish the bundler manifests found in the folder (.vite/manifest.json, "
        "manifest.json); they are read, not published, by default.",
    ),
    "js_modules": click.option(
        "--js-modules", type=TEXT, multiple=True, metavar="GLOB", envvar="CDNPUB_JS_MODULES",
        help="Gitignore-style glob of the .js files that are ES modules, for the import map "
        "(repeatable; .mjs files always are) [default: *.js].",
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
    "as_json": json_option("Print the plan and the result as one JSON document."),
    "endpoint_url": click.option(
        "--endpoint-url", type=EndpointURL(), envvar="CDNPUB_ENDPOINT_URL", metavar="URL",
        help="S3 (and CloudFront) API endpoint: MinIO, R2, a local emulator.",
    ),
    "region": click.option("--region", type=TEXT, envvar="CDNPUB_REGION", help="AWS region of the bucket."),
    "profile": click.option(
        "--profile", type=TEXT, envvar="CDNPUB_PROFILE", help="AWS profile from ~/.aws/config."
    ),
    "local": click.option(
        "--local", is_flag=True, envvar="CDNPUB_LOCAL",
        help="Use the emulator started by `cdnpub local` (no AWS account): dummy credentials, its "
        "endpoint, the bucket its CDN preview serves (another is an error) and its distribution.",
    ),
    "prune_older_than": click.option(
        "--prune-older-than", type=Finite(min=0, max=MAX_DAYS), metavar="DAYS",
        envvar="CDNPUB_PRUNE_OLDER_THAN",
        help="Delete objects that no release of the last DAYS references (off by default).",
    ),
    "prune_foreign": click.option(
        "--prune-foreign", is_flag=True, envvar="CDNPUB_PRUNE_FOREIGN",
        help="With --prune-older-than, also delete objects under the prefix that no cdnpub release "
        "record named (another tool's or hand uploads; kept by default).",
    ),
    "allow_shrink": click.option(
        "--allow-shrink", is_flag=True, envvar="CDNPUB_ALLOW_SHRINK",
        help="Publish even when the build drops more than half of the paths the live release serves, "
        "or all of one static folder's (a mistake, usually: a typo'd folder, an unbuilt bundle).",
    ),
    "max_delete": click.option(
        "--max-delete", type=click.IntRange(0), default=DEFAULT_MAX_DELETE, show_default=True,
        envvar="CDNPUB_MAX_DELETE", help="Refuse to prune more objects than this.",
    ),
    "plain_copies": click.option(
        "--plain-copies/--no-plain-copies", default=True, show_default=True, envvar="CDNPUB_PLAIN_COPIES",
        help="Also publish each file under its plain name, with a short cache.",
    ),
    "distribution_id": distribution_id_option(
        "CloudFront distribution to invalidate changed plain-name paths on."
    ),
    "wait": click.option(
        "--wait", is_flag=True, envvar="CDNPUB_WAIT", help="Wait for the invalidation to complete."
    ),
    "wait_timeout": click.option(
        "--wait-timeout", type=Finite(min=1, max=86400), default=900, show_default=True,
        envvar="CDNPUB_WAIT_TIMEOUT", metavar="SECONDS", help="Give up waiting after this long.",
    ),
    "lease_wait": click.option(
        "--lease-wait", type=Finite(min=0, max=86400), default=DEFAULT_LEASE_WAIT, show_default=True,
        envvar="CDNPUB_LEASE_WAIT", metavar="SECONDS",
        help="While another publish holds the prefix, wait this long, then exit 75.",
    ),
    "lease": click.option(
        "--lease/--no-lease", default=True, show_default=True, envvar="CDNPUB_LEASE",
        help="Hold the prefix's lease with conditional writes (one publish at a time). --no-lease: "
        "for stores without conditional writes, when you run one publish at a time yourself.",
    ),
    "port": click.option(
        "--port", type=click.IntRange(0, 65535), default=LOCAL_PORT, show_default=True,
        envvar="CDNPUB_LOCAL_PORT",
        help="Port of the S3 + CloudFront emulator (the --endpoint-url to publish to); 0 picks a free one.",
    ),
    "cdn_port": click.option(
        "--cdn-port", type=click.IntRange(0, 65535), default=LOCAL_CDN_PORT, show_default=True,
        envvar="CDNPUB_LOCAL_CDN_PORT",
        help="Port of the CDN preview (CDN_DOMAIN=127.0.0.1:PORT); 0 picks a free one.",
    ),
    "bucket": click.option(
        "--bucket", default=LOCAL_BUCKET, show_default=True, envvar="CDNPUB_LOCAL_BUCKET",
        help="Bucket to create and serve on the preview.",
    ),
    "invalidate_threshold": click.option(
        "--invalidate-threshold", type=click.IntRange(1, 3000), default=DEFAULT_THRESHOLD, show_default=True,
        envvar="CDNPUB_INVALIDATE_THRESHOLD", metavar="N",
        help="Past N paths, invalidate the fewest directory wildcards that cover them.",
    ),
    # `releases` and `diff` (commands/releases.py)
    "markdown": click.option(
        "--markdown", is_flag=True,
        help="Print Markdown, for a pull-request comment (default: a table at a terminal, lines in a log).",
    ),
    "limit": click.option(
        "--limit", type=click.IntRange(1, 1000), default=DEFAULT_LIMIT, show_default=True,
        envvar="CDNPUB_RELEASES_LIMIT", metavar="N", help="List the N newest releases (one read each).",
    ),
    "from_release": click.option(
        "--from", "from_release", type=TEXT, metavar="RELEASE",
        help="The release to compare with (its id, or a unique prefix of it, as `releases` prints it) "
        "[default: the live one; without a build, the one before the --to one].",
    ),
    "to_release": click.option(
        "--to", "to_release", type=TEXT, metavar="RELEASE",
        help="Without a build: the release compared [default: the live one].",
    ),
    "with_build": click.option(
        "--build/--no-build", "with_build", default=True, show_default=True,
        help="Compare the app's static folders as built now (--no-build: two releases).",
    ),
}  # fmt: skip


BUILD = (
    "exclude", "strict", "url_path", "fingerprinted_pattern", "js_modules", "esbuild_metafile",
    "publish_bundler_manifests", "verbose", "quiet", "debug",
)  # fmt: skip


CONNECTION = ("endpoint_url", "region", "profile")


LOCAL = ("port", "cdn_port", "bucket")  # `cdnpub local`'s


PUBLISH = (
    "dry_run", "verify", "jobs", "as_json", "prune_older_than", "max_delete", "plain_copies",
    "wait", "wait_timeout", "invalidate_threshold", "prune_foreign", "allow_shrink", "lease_wait", "lease",
)  # fmt: skip


def worded(name: str, help: str) -> Callable[[F], F]:
    """The option `name`, defined once above (its flag, type, default and variable), with
    the help of the command that takes it: a rollback copies, it does not upload."""

    def decorate(f: F) -> F:
        decorated: Any = _OPTIONS[name](f)
        decorated.__click_params__[-1].help = help  # click.option appends its Option
        return decorated  # type: ignore[no-any-return]

    return decorate


# `rollback`'s own (publish's that apply to it: no build, no prune, never a delete), worded
# for a rollback where publish's help would say "upload" or "publish".
ROLLBACK = (
    "dry_run",
    worded("jobs", "Concurrent server-side copies (a rollback uploads nothing)."),
    "as_json",
    worded("allow_shrink", "Roll back even when the release drops more than half of the paths the live "
           "release serves, or all of one static folder's (a mistake, usually: the wrong release)."),
    "wait", "wait_timeout", "invalidate_threshold",
    worded("lease_wait", "While another publish, prune or rollback holds the prefix, wait this long, "
           "then exit 75."),
    worded("lease", "Hold the prefix's lease with conditional writes (one publish or rollback at a "
           "time). --no-lease: for stores without conditional writes."),
)  # fmt: skip


# `cdnpub rollback --manifest`, worded for it.
ROLLBACK_MANIFEST = worded(
    "manifest",
    "Where to write the manifest of the release made live (once the bucket serves it; when "
    "nothing changed, only a file named here, by CDNPUB_MANIFEST or [tool.cdnpub]).",
)


def option_names(group: click.Group) -> dict[str, set[str]]:
    return {
        name: {p.name for p in cmd.params if p.name and isinstance(p, click.Option)}
        for name, cmd in group.commands.items()
    }


def load_config(ctx: click.Context, group: click.Group, refused: Mapping[str, str] | None = None) -> None:
    """[tool.cdnpub] of ./pyproject.toml as the group's defaults (flags and CDNPUB_*
    variables win), and its header rules into ctx.meta. Every option either face takes is
    a known key (one pyproject serves `cdnpub` and `flask cdn`); any other is a typo.
    `refused`: option name -> why this face cannot use it; its key or CDNPUB_* variable
    is then a UserError, never silently ignored."""
    path = Path(PYPROJECT)
    table = read_table(path)
    for name, why in (refused or {}).items():
        envvar = next((p.envvar for p in _params(name) if isinstance(p.envvar, str)), None)
        given = [f"{k!r} in [tool.cdnpub] of {path}" for k in table if k.replace("-", "_") == name]
        given += [envvar] if envvar and os.environ.get(envvar) else []
        if given:
            raise UserError(f"{given[0]}: {why}")
    every = _every_option()
    check_table(table, [group, every], str(path))
    known = set().union(*option_names(every).values())
    ctx.default_map = default_map(table, option_names(group), str(path), known)
    ctx.meta[RULES] = rules_from(table, str(path))


def _every_option() -> click.Group:
    """A group of one command per option defined here: what both faces may take, known
    without either face importing the other."""
    group = click.Group("every")
    for name in _OPTIONS:
        group.add_command(click.Command(name, params=list(_params(name))))
    return group


def _params(name: str) -> list[click.Parameter]:
    def holder() -> None:
        pass

    decorated: Any = _OPTIONS[name](holder)
    return list(getattr(decorated, "__click_params__", []))


def options(*names: str | Callable[[Any], Any]) -> Callable[[F], F]:
    """Apply the named options (or an option a factory here made, such as
    `json_option(...)`), in the order given (the order --help lists them)."""

    def decorate(f: F) -> F:
        for name in reversed(names):
            f = (_OPTIONS[name] if isinstance(name, str) else name)(f)
        return f

    return decorate


def header_rules(ctx: click.Context) -> tuple[Rule, ...]:
    """The header rules of [tool.cdnpub] that `load_config` read for this command chain."""
    rules: tuple[Rule, ...] = ctx.meta.get(RULES, ())
    return rules
