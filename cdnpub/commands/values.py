"""Option values -> the package's own values: BuildOptions, Settings, Connection. One
constructor each, the same for both faces, so a value read from a flag, a CDNPUB_*
variable or [tool.cdnpub] means the same thing everywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from cdnpub.aws.clients import Connection
from cdnpub.build.model import BuildOptions
from cdnpub.build.rules import Rule
from cdnpub.commands.buildprogress import build_lines
from cdnpub.commands.verbosity import quiet
from cdnpub.manifest import DEFAULT_JS_MODULES
from cdnpub.sync.lease import DEFAULT_LEASE_WAIT
from cdnpub.sync.settings import Settings


def build_options(
    values: Mapping[str, Any], *, prefix: str, rules: Sequence[Rule], js_modules: Sequence[str] = ()
) -> BuildOptions:
    """BuildOptions from the BUILD options' values, the same for both faces; `rules`: the
    header rules of [tool.cdnpub] (`header_rules`); `js_modules`: the face's own default
    when --js-modules is not given (Flask's CDN_JS_MODULES)."""
    return BuildOptions(
        prefix=prefix,
        rules=tuple(rules),
        fingerprinted_pattern=values["fingerprinted_pattern"],
        strict=values["strict"],
        js_modules=tuple(values["js_modules"] or js_modules or DEFAULT_JS_MODULES),
        esbuild_metafile=values["esbuild_metafile"],
        publish_bundler_manifests=values["publish_bundler_manifests"],
        verbose=bool(values.get("verbose")),
        progress=build_lines(quiet()),
    )


def connection(values: Mapping[str, Any]) -> Connection:
    """The CONNECTION options' values as a Connection, with the static credentials
    `local_target` adds for the emulator (`access_key`, `secret_key`), if any."""
    return Connection(
        values["region"],
        values["profile"],
        values["endpoint_url"],
        access_key=values.get("access_key"),
        secret_key=values.get("secret_key"),
    )


def publish_settings(
    values: Mapping[str, Any], *, bucket: str, prefix: str,
    distribution_id: str | None, manifest: str | None, folders: tuple[str, ...] = ("",),
) -> Settings:  # fmt: skip
    """Settings of a publish from the PUBLISH options' values."""
    days = values["prune_older_than"]
    return Settings(
        bucket=bucket,
        prefix=prefix,
        jobs=values["jobs"],
        dry_run=values["dry_run"],
        verify=values["verify"],
        plain_copies=values["plain_copies"],
        prune_older_than=None if days is None else timedelta(days=days),
        prune_foreign=values.get("prune_foreign", False),
        max_delete=values["max_delete"],
        distribution_id=distribution_id,
        wait=values["wait"],
        wait_timeout=values["wait_timeout"],
        invalidate_threshold=values["invalidate_threshold"],
        manifest=manifest,
        cdn_domain=values.get("cdn_domain"),
        allow_shrink=values.get("allow_shrink", False),
        folders=folders,
        lease=values.get("lease", True),
        lease_wait=values.get("lease_wait", DEFAULT_LEASE_WAIT),
    )
