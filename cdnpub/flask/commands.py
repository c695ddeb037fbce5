"""`flask cdn build | plan | publish`: the release step with settings from the app's
config, every static folder of the app and its blueprints in one release.

Registered through the `flask.commands` entry point, so any app gets them:
`flask --app myapp cdn publish`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from cdnpub.aws.clients import Connection
from cdnpub.build.export import export
from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.commands.options import (
    BUILD,
    CONNECTION,
    DOCTOR_DISTRIBUTION_ID,
    DOCTOR_JSON,
    PUBLISH,
    build_options,
    distribution_id_option,
    header_rules,
    json_option,
    load_config,
    options,
    publish_settings,
)
from cdnpub.commands.output import ExpectedErrors, print_warnings, report_build
from cdnpub.commands.run import local_target, run_doctor, run_publish
from cdnpub.errors import NoSuchBucket, UserError
from cdnpub.flask.importmap import unpinned
from cdnpub.flask.settings import WRITING_MANIFEST, manifest_path
from cdnpub.local.provision import LOCAL_BUCKET
from cdnpub.manifest import write
from cdnpub.sync.settings import Settings, check_bucket, check_prefix


class _CdnGroup(ExpectedErrors, AppGroup):
    def prepare(self, ctx: click.Context) -> None:
        ctx.meta[WRITING_MANIFEST] = True  # the app loads without the manifest these commands write
        load_config(ctx, self)  # [tool.cdnpub] as for `cdnpub`


cdn_cli = _CdnGroup(
    "cdn",
    help="Fingerprint the app's static files and publish them to S3 + CloudFront.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def static_sources(app: Flask, exclude: Sequence[str] = ()) -> list[Source]:
    """The app's static folder and each blueprint's, with the URL path Flask serves it
    at (for root-relative references) and the blueprint's registered name as sub-prefix
    (the name its `<name>.static` endpoint uses, dotted for nested blueprints)."""
    sources = []
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
        if not Path(folder).is_dir():
            whose = "the app's" if owner is app else f"the blueprint {sub!r}: its"
            missing = "is not a folder" if Path(folder).exists() else "does not exist"
            raise UserError(f"{whose} static_folder {folder} {missing}")
        url_path = rule.rule.removesuffix("/<path:filename>") or "/"
        sources.append(Source(scan(folder, exclude), url_path=url_path, sub=sub))
    if not sources:
        raise UserError(f"the app {app.name!r} has no static folder to publish")
    return sorted(sources, key=lambda s: s.sub)


def _default_static(app: Flask) -> bool:
    """The app's static folder is Flask's default (`static`), which nobody asked for."""
    return Path(str(app.static_folder)) == Path(app.root_path) / "static"


def _prefix(app: Flask) -> str:
    prefix = app.config.get("CDN_PREFIX") or (app.static_url_path or "/static")
    return check_prefix(str(prefix), "CDN_PREFIX")


def app_build_options(app: Flask, values: Mapping[str, Any]) -> BuildOptions:
    return build_options(
        values,
        prefix=_prefix(app),
        rules=header_rules(click.get_current_context()),
        js_modules=_js_modules(app.config.get("CDN_JS_MODULES") or ()),
    )


def _js_modules(globs: str | Sequence[str]) -> tuple[str, ...]:
    """CDN_JS_MODULES as a list of globs; one glob alone may be given as a string."""
    return (globs,) if isinstance(globs, str) else tuple(str(g) for g in globs)


def app_build(app: Flask, values: Mapping[str, Any], sources: list[Source] | None = None) -> Build:
    if sources is None:
        sources = static_sources(app, values["exclude"])
    result = build(sources, app_build_options(app, values))
    pins = app.config.get("CDN_IMPORTMAP_PINS") or {}
    if isinstance(pins, Mapping):  # bare imports the app's import map cannot resolve
        extra = unpinned(result.modules, pins)
        if values["strict"] and extra:
            raise UserError(extra[0] + " (--strict)")
        result = replace(result, warnings=(*result.warnings, *extra))
    return result  # its warnings are printed once, by build or by the publish run


def app_settings(app: Flask, values: dict[str, Any]) -> tuple[Settings, Connection]:
    """The app's CDN_* config, under what the flags, CDNPUB_* variables and
    [tool.cdnpub] say (they win, as everywhere else)."""
    config: Mapping[str, Any] = app.config
    bucket = config.get("CDN_BUCKET") or (LOCAL_BUCKET if values.get("local") else None)
    if not bucket:
        raise UserError(
            "CDN_BUCKET is not set in the app's config (the bucket to publish to; "
            "with --local, the emulator's bucket is used)"
        )
    bucket = check_bucket(str(bucket), "CDN_BUCKET")
    if values.get("local"):
        # The emulator's endpoint and distribution, whatever the app's CDN_* say of the
        # real ones (a local distribution's id changes with every start of `cdnpub local`).
        values = {**values, **local_target(bucket, values["endpoint_url"], values["distribution_id"])}
        config = {}

    def setting(name: str, key: str) -> Any:
        return values[name] if values.get(name) is not None else config.get(key) or None

    settings = publish_settings(
        values,
        bucket=bucket,
        prefix=_prefix(app),
        distribution_id=setting("distribution_id", "CDN_DISTRIBUTION_ID"),
        manifest=str(manifest_path(app)),
    )
    connection = Connection(
        setting("region", "CDN_REGION"),
        setting("profile", "CDN_PROFILE"),
        setting("endpoint_url", "CDN_ENDPOINT_URL"),
        access_key=values.get("access_key"),
        secret_key=values.get("secret_key"),
    )
    return settings, connection


# The build options of `cdnpub`, but --url-path: Flask says where each folder is served.
_BUILD = tuple(name for name in BUILD if name != "url_path")


@cdn_cli.command("build")
@options("out", *_BUILD, json_option("Print the summary as one JSON document."))
def build_command(out: Path | None, as_json: bool, **values: Any) -> None:
    """Fingerprint the static folders and write the manifest where CDN_MANIFEST says."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    result = app_build(app, values)
    print_warnings(result)
    target = manifest_path(app)
    written = export(result, out) if out else 0
    write(from_build(result), target)
    report_build(result, str(target), out, written, as_json)


def _run(dry_run: bool, **values: Any) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sources = static_sources(app, values["exclude"])  # a missing folder: before --local sets anything up
    settings, connection = app_settings(app, dict(values, dry_run=dry_run))
    result = app_build(app, values, sources)
    folders = tuple(s.sub for s in sources)  # for the shrink guard: a folder that lost every file
    settings = replace(settings, folders=folders)
    try:
        run_publish(result, settings, connection, values["as_json"])
    except NoSuchBucket as err:  # the app's config named it, not an s3:// URL
        raise err.named_by("CDN_BUCKET") from err


_FLAGS = (*(name for name in PUBLISH if name != "dry_run"), *CONNECTION, "local", "distribution_id", *_BUILD)


@cdn_cli.command("plan")
@options(*_FLAGS)
def plan_command(**values: Any) -> None:
    """Show what `flask cdn publish` would do; send no write."""
    _run(dry_run=True, **values)


@cdn_cli.command("publish")
@options("dry_run", *_FLAGS)
def publish_command(**values: Any) -> None:
    """Build and publish every static folder of the app; then write the manifest."""
    _run(**values)


@cdn_cli.command("doctor")
@options(
    distribution_id_option(DOCTOR_DISTRIBUTION_ID),
    json_option(DOCTOR_JSON),
    *CONNECTION, "local", "debug",
)  # fmt: skip
def doctor_command(as_json: bool, **values: Any) -> None:
    """Check CDN_BUCKET and its CloudFront distribution against what publishing assumes
    (read-only). Exit 3 when a check fails."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # app_settings reads the publish options too (doctor has none): their absence is None.
    settings, connection = app_settings(app, {**dict.fromkeys(PUBLISH), **values})
    run_doctor(connection, settings.bucket, settings.prefix, settings.distribution_id, as_json)
