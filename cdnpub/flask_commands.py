"""`flask cdn build | plan | publish`: the release step with settings from the app's
config, every static folder of the app and its blueprints in one release.

Registered through the `flask.commands` entry point, so any app gets them:
`flask --app myapp cdn publish`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .cli import ExpectedErrors, print_warnings, run_publish
from .config import PYPROJECT, Settings, read_table, rules_from
from .errors import UserError
from .export import export
from .fingerprint import Build, BuildOptions, Source, build
from .flask import manifest_path
from .manifest import from_build, write
from .plan import DEFAULT_MAX_DELETE
from .scan import scan
from .store import Connection


class _CdnGroup(ExpectedErrors, AppGroup):
    pass


cdn_cli = _CdnGroup("cdn", help="Fingerprint the app's static files and publish them to S3 + CloudFront.")


def static_sources(app: Flask) -> list[Source]:
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
        if folder is None or not Path(folder).is_dir():
            continue
        url_path = rule.rule.removesuffix("/<path:filename>") or "/"
        sources.append(Source(scan(folder), url_path=url_path, sub=sub))
    if not sources:
        raise UserError(f"the app {app.name!r} has no static folder to publish")
    return sorted(sources, key=lambda s: s.sub)


def _prefix(app: Flask) -> str:
    prefix = app.config.get("CDN_PREFIX") or (app.static_url_path or "/static")
    return str(prefix).strip("/")


def _rules() -> Any:
    path = Path(PYPROJECT)
    return rules_from(read_table(path), str(path))


def app_build(app: Flask, strict: bool) -> Build:
    options = BuildOptions(prefix=_prefix(app), rules=_rules(), strict=strict)
    result = build(static_sources(app), options)
    print_warnings(result)
    return result


def app_settings(app: Flask, **flags: Any) -> Settings:
    bucket = app.config.get("CDN_BUCKET")
    if not bucket:
        raise UserError("CDN_BUCKET is not set in the app's config (the bucket to publish to)")
    prefix = _prefix(app)
    return Settings(
        bucket=str(bucket),
        prefix=prefix,
        connection=Connection(
            app.config.get("CDN_REGION"), app.config.get("CDN_PROFILE"), app.config.get("CDN_ENDPOINT_URL")
        ),
        distribution_id=app.config.get("CDN_DISTRIBUTION_ID") or None,
        manifest=str(manifest_path(app)),
        **flags,
    )


@cdn_cli.command("build")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Also write the built tree here."
)
@click.option("--strict", is_flag=True, help="A reference to a missing file is an error.")
def build_command(out: Path | None, strict: bool) -> None:
    """Fingerprint the static folders and write the manifest where CDN_MANIFEST says."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    result = app_build(app, strict)
    target = manifest_path(app)
    write(from_build(result), target)
    written = export(result, out) if out else 0
    click.echo(
        f"Built {len(result.assets)} files, {result.rewritten} references rewritten; manifest: {target}"
    )
    if out:
        click.echo(f"{written} files in {out}")


def _publish_options(f: Any) -> Any:
    options = [
        click.option(
            "--json", "as_json", is_flag=True, help="Print the plan and the result as one JSON document."
        ),
        click.option("--strict", is_flag=True, help="A reference to a missing file is an error."),
        click.option(
            "--jobs", type=click.IntRange(1, 256), default=16, show_default=True, help="Concurrent uploads."
        ),
        click.option(
            "--prune-older-than",
            type=click.FloatRange(min=0),
            metavar="DAYS",
            help="Delete objects that no release of the last DAYS references.",
        ),
        click.option(
            "--max-delete",
            type=click.IntRange(0),
            default=DEFAULT_MAX_DELETE,
            show_default=True,
            help="Refuse to prune more objects than this.",
        ),
        click.option(
            "--plain-copies/--no-plain-copies",
            default=True,
            show_default=True,
            help="Also publish each file under its plain name.",
        ),
        click.option(
            "--verify", is_flag=True, help="Compare every object even when the last release is this build."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _run(dry_run: bool, as_json: bool, strict: bool, prune_older_than: float | None, **flags: Any) -> None:
    from datetime import timedelta

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    prune = None if prune_older_than is None else timedelta(days=prune_older_than)
    settings = app_settings(app, dry_run=dry_run, prune_older_than=prune, **flags)
    result = app_build(app, strict)
    run_publish(result, settings, as_json=as_json)


@cdn_cli.command("plan")
@_publish_options
def plan_command(**options: Any) -> None:
    """Show what `flask cdn publish` would do; send no write."""
    _run(dry_run=True, **options)


@cdn_cli.command("publish")
@_publish_options
@click.option("--dry-run", is_flag=True, help="Print the plan; send no write request at all.")
@click.option("--wait", is_flag=True, help="Wait for the CloudFront invalidation to complete.")
def publish_command(**options: Any) -> None:
    """Build and publish every static folder of the app; then write the manifest."""
    _run(**options)
