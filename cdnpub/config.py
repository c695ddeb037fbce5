"""Where options come from: flags, then CDNPUB_* variables, then [tool.cdnpub] in
pyproject.toml, then defaults. click resolves the first three; this module reads
the pyproject table and turns it into click's default_map."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from .errors import UserError
from .invalidate import DEFAULT_THRESHOLD
from .plan import DEFAULT_MAX_DELETE
from .rules import Rule, parse_rules
from .store import DEFAULT_JOBS, Connection

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PYPROJECT = "pyproject.toml"


def read_table(path: Path) -> dict[str, Any]:
    """[tool.cdnpub] of a pyproject.toml; {} when the file or the table is absent."""
    if not path.is_file():
        return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"cannot read {path}: {err}") from None
    table = doc.get("tool", {}).get("cdnpub", {})
    if not isinstance(table, dict):
        raise UserError(f"{path}: [tool.cdnpub] must be a table")
    return table


def default_map(
    table: Mapping[str, Any], commands: Mapping[str, set[str]], origin: str, known: set[str] | None = None
) -> dict[str, Any]:
    """Spread one flat table over the commands whose options it names.

    `commands` maps a command name to its option names (underscored); a key that no
    command (nor `known`: every option defined, and `cdnpub local`'s) takes is a typo and fails loudly.
    """
    known = set().union(*commands.values(), known or ()) | {"rules"}
    for key in table:
        if key.replace("-", "_") not in known:
            raise UserError(f"{origin}: unknown key {key!r} in [tool.cdnpub]")
    flat = {k.replace("-", "_"): v for k, v in table.items() if k != "rules"}
    return {name: {k: v for k, v in flat.items() if k in opts} for name, opts in commands.items()}


def rules_from(table: Mapping[str, Any], origin: str) -> tuple[Rule, ...]:
    raw = table.get("rules", [])
    if not isinstance(raw, list):
        raise UserError(f"{origin}: 'rules' must be an array of tables ([[tool.cdnpub.rules]])")
    return parse_rules(raw, origin=f"{origin} [[tool.cdnpub.rules]]")


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix/` -> ("bucket", "some/prefix")."""
    if not url.startswith("s3://"):
        raise UserError(f"{url!r} is not an s3:// URL (expected s3://BUCKET[/PREFIX])")
    bucket, _, prefix = url[5:].partition("/")
    return check_bucket(bucket, repr(url)), check_prefix(prefix, repr(url))


def check_bucket(bucket: str, origin: str) -> str:
    if not bucket or not _BUCKET.fullmatch(bucket):
        raise UserError(f"{origin}: {bucket!r} is not a valid bucket name")
    return bucket


def check_prefix(prefix: str, origin: str) -> str:
    """The key prefix without its outer slashes; no empty, '.' or '..' segment, which S3
    would keep literally and a browser would not, and no segment starting with a dot:
    `static/.cdnpub` would publish into the bookkeeping of the publish at `static`."""
    prefix = prefix.strip("/")
    if prefix and any(seg in ("", ".", "..") for seg in prefix.split("/")):
        raise UserError(f"{origin}: the prefix must not hold empty, '.' or '..' segments")
    if any(seg.startswith(".") for seg in prefix.split("/")):
        raise UserError(f"{origin}: the prefix must not hold a segment starting with '.' (such as .cdnpub)")
    return prefix


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-_]{1,253}[a-z0-9]")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything one publish needs, wherever each value came from."""

    bucket: str
    prefix: str
    connection: Connection = field(default_factory=Connection)
    jobs: int = DEFAULT_JOBS
    dry_run: bool = False
    verify: bool = False  # list the whole prefix even when the last release is this build
    plain_copies: bool = True
    prune_older_than: timedelta | None = None
    prune_foreign: bool = False  # also delete what no cdnpub release record named
    max_delete: int = DEFAULT_MAX_DELETE
    distribution_id: str | None = None
    wait: bool = False
    wait_timeout: float = 900.0
    invalidate_threshold: int = DEFAULT_THRESHOLD
    manifest: str | None = None  # where to write the app's manifest after success
    cdn_domain: str | None = None  # what viewers use, when not the distribution's own (the local preview)
    allow_shrink: bool = False  # publish even when the build drops most of the live release (shrink.py)
    folders: tuple[str, ...] = ("",)  # sub-prefixes of the static folders built, "" for the app's
