"""`flask cdn build | plan | publish | doctor | releases | diff | rollback`: the release
step with settings from the app's config, every static folder of the app and its
blueprints in one release.

Registered through the `flask.commands` entry point: `flask --app myapp cdn publish`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from cdnpub.aws.clients import Connection
from cdnpub.build.export import export
from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import Build, Source
from cdnpub.build.rules import Rule
from cdnpub.build.scan import scan
from cdnpub.commands.check import check_build, raise_if_missing
from cdnpub.commands.config import PYPROJECT, read_table
from cdnpub.commands.options import (
    BUILD,
    CONNECTION,
    DOCTOR_DISTRIBUTION_ID,
    DOCTOR_JSON,
    PUBLISH,
    ROLLBACK,
    distribution_id_option,
    header_rules,
    json_option,
    load_config,
    options,
)
from cdnpub.commands.output import ExpectedErrors, print_warnings, report_build
from cdnpub.commands.releases import form_of, run_diff, run_releases
from cdnpub.commands.rollback import rollback_settings, run_rollback
from cdnpub.commands.run import local_target, run_doctor, run_publish
from cdnpub.commands.values import build_options, publish_settings
from cdnpub.doctor.model import App
from cdnpub.errors import NoSuchBucket, UserError
from cdnpub.flask.folders import merged_into, resolved
from cdnpub.flask.importmap import unresolved
from cdnpub.flask.settings import AppSettings, app_settings, writing_manifest
from cdnpub.flask.shared import agreed, shared_values
from cdnpub.local.provision import LOCAL_BUCKET
from cdnpub.manifest import write
from cdnpub.sync.settings import Settings, check_bucket, check_prefix


class _BucketOfTheConfig(AppGroup):
    """A bucket that does not exist was named by the app's CDN_BUCKET (every command of
    the group), not by an s3:// URL: the error says so, for every command at once."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NoSuchBucket as err:
            raise err.named_by("CDN_BUCKET") from err


class _CdnGroup(ExpectedErrors, _BucketOfTheConfig):
    def invoke(self, ctx: click.Context) -> Any:
        # The app loads (lazily, in the command) without the manifest these commands write.
        token = writing_manifest.set(True)
        try:
            return super().invoke(ctx)
        finally:
            writing_manifest.reset(token)

    def prepare(self, ctx: click.Context) -> None:
        load_config(ctx, self, _REFUSED)  # [tool.cdnpub] as for `cdnpub`
        ctx.meta[_SHARED] = shared_values(read_table(Path(PYPROJECT)), PYPROJECT)


_SHARED = "cdnpub.flask.shared"  # ctx.meta: [tool.cdnpub] / CDNPUB_* prefix and manifest


def app_config() -> tuple[Flask, AppSettings]:
    """The current app and its CDN_* config, with the prefix and manifest `cdnpub` would
    take (shared.py): every command reads the config here, and its bucket, prefix and
    manifest through `publish_target` from this, so none can miss [tool.cdnpub]."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app, agreed(app, app_settings(app), click.get_current_context().meta.get(_SHARED, {}))


# What `cdnpub` takes and `flask cdn` cannot use: the app says it.
_REFUSED = {
    "url_path": "`flask cdn` takes each folder's URL path from the app (APPLICATION_ROOT + "
    "its static_url_path), so a url_path would be ignored; remove it, or set those in the app",
}


cdn_cli = _CdnGroup(
    "cdn",
    help="Fingerprint the app's static files and publish them to S3 + CloudFront.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(frozen=True, slots=True)
class AppFolders:
    """The static folders of an app (`sources`) and the blueprints left out because the
    static folder they declare does not exist (`missing`: their names, for the shrink
    guard, which still stops a publish when such a folder held files in the live release)."""

    sources: tuple[Source, ...]
    missing: tuple[tuple[str, str], ...] = ()  # (blueprint name, the folder it declares)
    merged: tuple[str, ...] = ()  # blueprints whose folder is published as part of another

    @property
    def warnings(self) -> list[str]:
        return [
            f"the blueprint {name!r}: its static_folder {d} does not exist; left out"
            for name, d in self.missing
        ]


def _aliases(sub: str, merged: dict[str, str], urls: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The URL paths of the folders merged into the folder `sub` publishes (a blueprint's
    static folder inside the app's), with where each lies inside it: a root-relative
    reference through such a URL is a reference to the one file published. A merged
    folder's logical prefix starts with its owner's name (merged_into), "" for the app."""
    owners = {s for s in urls if s and s not in merged}

    def owner(logical: str) -> str:
        return next((o for o in owners if logical == o or logical.startswith(f"{o}/")), "")

    found = []
    for name, logical in sorted(merged.items()):
        if owner(logical) == sub:
            found.append((urls[name], logical.removeprefix(sub).lstrip("/") if sub else logical))
    return tuple(found)


def static_sources(app: Flask, exclude: Sequence[str] = (), manifest: Path | None = None) -> AppFolders:
    """The app's static folder and each blueprint's, with the URL path Flask serves it
    at (for root-relative references: APPLICATION_ROOT + the static rule, as Flask builds
    it outside a request) and the blueprint's registered name as sub-prefix (the name its
    `<name>.static` endpoint uses, dotted for nested blueprints); and the warnings about
    the blueprints whose declared static folder does not exist (left out: Flask serves
    such an app fine, and a library's blueprint is not the user's to fix). The `manifest`
    is never one of the files it describes (`static_folder=""`, a CDN_MANIFEST inside).
    A folder declared twice, or inside another, is published once (cdnpub/flask/folders.py)."""
    found: list[tuple[str, str, str]] = []  # (sub, folder, url_path)
    missing: list[tuple[str, str]] = []
    root = _application_root(app)
    own = () if manifest is None else (manifest,)
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if endpoint != "static" and not endpoint.endswith(".static"):
            continue
        sub = "" if endpoint == "static" else endpoint.removesuffix(".static")
        # Flask registers the app's own static view as a lambda; blueprints by their
        # registered (dotted, for nested ones) name.
        owner = app if not sub else app.blueprints.get(sub)
        folder = getattr(owner, "static_folder", None)
        if folder is None or (owner is app and _default_static(app) and not Path(folder).exists()):
            continue  # Flask gives every app a static folder; one that is not there is none
        if owner is not app and not Path(folder).exists():
            missing.append((sub, str(folder)))
            continue
        if not Path(folder).is_dir():
            whose = "the app's" if owner is app else f"the blueprint {sub!r}: its"
            why = "is not a folder" if Path(folder).exists() else "does not exist"
            raise UserError(f"{whose} static_folder {folder} {why}")
        found.append((sub, str(folder), root + rule.rule.removesuffix("/<path:filename>") or "/"))
    if not found:
        raise UserError(f"the app {app.name!r} has no static folder to publish")
    merged = merged_into({sub: resolved(folder) for sub, folder, _ in found})
    urls = {sub: url_path for sub, _, url_path in found}
    sources = [
        Source(scan(folder, exclude, own), url_path=url_path, sub=sub, aliases=_aliases(sub, merged, urls))
        for sub, folder, url_path in sorted(found)
        if sub not in merged
    ]
    return AppFolders(tuple(sources), tuple(missing), tuple(sorted(merged)))


def _application_root(app: Flask) -> str:
    """APPLICATION_ROOT without its trailing "/" ("" for "/"): the path Flask puts in
    front of every URL it builds outside a request (`url_for` in `flask cdn build`)."""
    value = app.config.get("APPLICATION_ROOT") or "/"
    if not isinstance(value, str) or not value.startswith("/"):
        raise UserError(f"APPLICATION_ROOT must be a URL path starting with '/', not {value!r}")
    return value.rstrip("/")


def _default_static(app: Flask) -> bool:
    """The app's static folder is Flask's default (`static`), which nobody asked for."""
    return Path(str(app.static_folder)) == Path(app.root_path) / "static"


def _prefix(settings: AppSettings) -> str:
    return check_prefix(settings.prefix, "CDN_PREFIX")


def app_build(
    app: Flask,
    settings: AppSettings,
    values: Mapping[str, Any],
    rules: Sequence[Rule],
    sources: AppFolders | None = None,
) -> Build:
    """Build the app's static folders (`sources`, or all of them) with the BUILD options'
    values, [tool.cdnpub]'s header rules and the app's CDN_* config; the bare imports the
    app's import map cannot resolve are warnings (errors with --strict)."""
    folders = static_sources(app, values["exclude"], settings.manifest) if sources is None else sources
    skipped = folders.warnings
    if values["strict"] and skipped:
        raise UserError(skipped[0] + " (--strict)")
    options = build_options(values, prefix=_prefix(settings), rules=rules, js_modules=settings.js_modules)
    result = build(folders.sources, options)
    extra = [*skipped, *unresolved(from_build(result).entries, settings.importmap_pins)]
    if values["strict"] and extra:
        raise UserError(extra[0] + " (--strict)")
    return replace(result, warnings=(*result.warnings, *extra))  # printed once, by build or publish


def publish_target(config: AppSettings, values: dict[str, Any]) -> tuple[Settings, Connection]:
    """The app's CDN_* config (`app_config`), under what the flags, CDNPUB_* variables
    and [tool.cdnpub] say (they win, as everywhere else). A command that takes none of
    the publish options (read-only ones, rollback) leaves them out: their absence is None."""
    values = {**dict.fromkeys(PUBLISH), "distribution_id": None, **values}
    bucket = config.bucket or (LOCAL_BUCKET if values.get("local") else None)
    if not bucket:
        raise UserError(
            "CDN_BUCKET is not set in the app's config (the bucket to publish to; "
            "with --local, the emulator's bucket is used)"
        )
    bucket = check_bucket(bucket, "CDN_BUCKET")
    # The emulator's endpoint and distribution, whatever the app's CDN_* say of the real
    # ones (a local distribution's id changes with every start of `cdnpub local`).
    local = values.get("local")
    if local:
        # Only a publish sets the emulator up; plan, doctor, releases and diff are read-only.
        write = values.get("dry_run") is False
        values = {**values, **local_target(bucket, values["endpoint_url"], values["distribution_id"], write)}

    def setting(name: str, configured: str | None) -> Any:
        return values[name] if values.get(name) is not None else None if local else configured

    settings = publish_settings(
        values,
        bucket=bucket,
        prefix=_prefix(config),
        distribution_id=setting("distribution_id", config.distribution_id),
        manifest=str(config.manifest),
    )
    connection = Connection(
        setting("region", config.region),
        setting("profile", config.profile),
        setting("endpoint_url", config.endpoint_url),
        access_key=values.get("access_key"),
        secret_key=values.get("secret_key"),
    )
    return settings, connection


# The build options of `cdnpub`, but --url-path: Flask says where each folder is served.
_BUILD = tuple(name for name in BUILD if name != "url_path")


@cdn_cli.command("build")
@options("out", "ask_bucket", *CONNECTION, *_BUILD, json_option("Print the summary as one JSON document."))
@click.pass_context
def build_command(
    ctx: click.Context, /, out: Path | None, as_json: bool, ask_bucket: bool, **values: Any
) -> None:
    """Fingerprint the static folders and write the manifest where CDN_MANIFEST says."""
    app, settings = app_config()
    asked = publish_target(settings, values) if ask_bucket else None  # CDN_BUCKET, before the build
    result = app_build(app, settings, values, header_rules(ctx))
    print_warnings(result)
    target = settings.manifest
    written = export(result, out) if out else 0
    checked = check_build(result, asked[1], asked[0].bucket) if asked else None
    if checked is None or not checked.missing:  # CDN_MANIFEST keeps what publish wrote
        write(from_build(result), target)
    report_build(result, str(target), out, written, as_json, checked)
    raise_if_missing(checked)


def _run(rules: Sequence[Rule], dry_run: bool, **values: Any) -> None:
    app, config = app_config()
    sources = static_sources(app, values["exclude"], config.manifest)  # before --local sets anything up
    settings, connection = publish_target(config, dict(values, dry_run=dry_run))
    result = app_build(app, config, values, rules, sources)
    # For the shrink guard: a folder that lost every file, or vanished (a missing blueprint's).
    folders = (*(s.sub for s in sources.sources), *(name for name, _ in sources.missing))
    settings = replace(settings, folders=folders, merged=sources.merged)
    run_publish(result, settings, connection, values["as_json"])


_FLAGS = (*(name for name in PUBLISH if name != "dry_run"), *CONNECTION, "local", "distribution_id", *_BUILD)


@cdn_cli.command("plan")
@options(*_FLAGS)
@click.pass_context
def plan_command(ctx: click.Context, /, **values: Any) -> None:
    """Show what `flask cdn publish` would do; send no write."""
    _run(header_rules(ctx), dry_run=True, **values)


@cdn_cli.command("publish")
@options("dry_run", *_FLAGS)
@click.pass_context
def publish_command(ctx: click.Context, /, **values: Any) -> None:
    """Build and publish every static folder of the app; then write the manifest."""
    _run(header_rules(ctx), **values)


@cdn_cli.command("doctor")
@options(
    distribution_id_option(DOCTOR_DISTRIBUTION_ID),
    json_option(DOCTOR_JSON),
    *CONNECTION, "local", "debug",
)  # fmt: skip
def doctor_command(as_json: bool, **values: Any) -> None:
    """Check CDN_BUCKET and its CloudFront distribution against what publishing assumes,
    and what the app's pages point at: CDN_DOMAIN and every key of CDN_MANIFEST
    (read-only). Exit 3 when a check fails, 4 when one could not be made."""
    _, config = app_config()
    settings, connection = publish_target(config, values)
    # What the pages point at: CDN_DOMAIN (not with --local: the emulator's preview is
    # no alias of its distribution) and the keys CDN_MANIFEST names.
    pages = App(
        domain="" if values.get("local") else config.domain,
        https=config.https,
        manifest=str(config.manifest),
        publish="flask cdn publish",
    )
    run_doctor(connection, settings.bucket, settings.prefix, settings.distribution_id, as_json, pages)


@cdn_cli.command("releases")
@options(
    "limit", json_option("Print the releases as one JSON document ({\"releases\": [...]})."),
    "markdown", *CONNECTION, "local", "debug",
)  # fmt: skip
def releases_command(limit: int, as_json: bool, markdown: bool, **values: Any) -> None:
    """List the releases published to CDN_BUCKET/CDN_PREFIX, newest first: files, size,
    what changed, which is live (read-only)."""
    form = form_of(as_json, markdown)
    settings, connection = publish_target(app_config()[1], values)
    run_releases(connection, settings.bucket, settings.prefix, limit, form)


@cdn_cli.command("diff")
@options(
    "from_release", "to_release", json_option("Print the diff as one JSON document."), "markdown",
    "with_build",
    *CONNECTION, "local", *_BUILD,
)  # fmt: skip
@click.pass_context
def diff_command(
    ctx: click.Context, /, from_release: str | None, to_release: str | None, as_json: bool,
    markdown: bool, with_build: bool, **values: Any,
) -> None:  # fmt: skip
    """What publishing the app's static folders would change against the live release,
    per file, the biggest growth first; with --no-build (or --to), between two releases."""
    form = form_of(as_json, markdown)
    app, config = app_config()
    settings, connection = publish_target(config, values)
    result = None
    if with_build and to_release is None:
        result = app_build(app, config, values, header_rules(ctx))
        print_warnings(result)
    run_diff(connection, settings.bucket, settings.prefix, result, from_release, to_release, form)


@cdn_cli.command("rollback")
@click.argument("release", metavar="[RELEASE]", required=False)
@options(*ROLLBACK, *CONNECTION, "local", "distribution_id", "debug")
def rollback_command(release: str | None, **values: Any) -> None:
    """Make an earlier release of CDN_BUCKET/CDN_PREFIX live again: RELEASE (its id, or a
    unique prefix of it; default: the release before the live one); its manifest is
    written where CDN_MANIFEST says, for the app that matches it. Never deletes."""
    target, connection = publish_target(app_config()[1], values)
    settings = rollback_settings(
        values,
        bucket=target.bucket,
        prefix=target.prefix,
        distribution_id=target.distribution_id,
        manifest=target.manifest,
    )
    # CDN_MANIFEST is the app's own file: written even when the release is live already.
    run_rollback(
        replace(settings, cdn_domain=target.cdn_domain),
        connection,
        release,
        values["as_json"],
        manifest_named=True,
    )
