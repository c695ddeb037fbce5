"""`build --check`: whether the bucket holds the keys the manifest names. A build
uploads nothing, so an app shipped with its manifest points at whatever the bucket
lacks; one read-only listing of the prefix tells before a deploy does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdnpub.aws.clients import Connection, s3_client
from cdnpub.aws.s3 import S3Store
from cdnpub.build.model import Build
from cdnpub.errors import ChecksFailed, UserError
from cdnpub.sync.settings import parse_s3_url
from cdnpub.text import plural

# What a build without --check says: it wrote a manifest of keys it never uploaded.
SHIP_NOTE = (
    "Nothing was uploaded: ship the app the manifest that publish writes once the bucket "
    "holds these files (a check of the bucket asks which it holds: cdnpub build --check, "
    "flask cdn build --check-bucket)."
)


@dataclass(frozen=True, slots=True)
class Check:
    """The answer: of `keys` (what the manifest names), those the bucket lacks."""

    bucket: str
    prefix: str
    keys: int
    missing: tuple[str, ...]

    def document(self) -> dict[str, Any]:
        """`check` in build's --json."""
        return {
            "bucket": self.bucket,
            "prefix": self.prefix,
            "keys": self.keys,
            "missing": list(self.missing),
        }

    def line(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}"
        if not self.missing:
            return f"{where} holds all {plural(self.keys, 'key')} the manifest names."
        return (
            f"{len(self.missing)} of {plural(self.keys, 'key')} the manifest names are not in {where} "
            f"(first: {self.missing[0]}): an app shipped with it would point at missing files; "
            "publish uploads them and writes the manifest the app should ship (this one was not "
            "written: the manifest there is left as it was)"
        )


def raise_if_missing(check: Check | None) -> None:
    """After the report: missing keys end the command with exit 3 (a check failed)."""
    if check is not None and check.missing:
        raise ChecksFailed(check.line())


def check_target(url: str, prefix: str) -> tuple[str, str]:
    """The bucket of `--check s3://BUCKET[/PREFIX]`, checked against the build's prefix:
    its keys are under that one, so another prefix could only report them all missing."""
    bucket, named = parse_s3_url(url)
    if named and named != prefix:
        raise UserError(
            f"--check {url}: the build's keys are under {prefix!r} (--prefix), not {named!r}; "
            f"check s3://{bucket}/{prefix}, or build with --prefix {named}"
        )
    return bucket, prefix


def check_build(result: Build, connection: Connection, bucket: str) -> Check:
    """One listing of the build's prefix (ranged by the keys it expects), no write."""
    keys = sorted({a.key for a in result.assets})
    store = S3Store(s3_client(connection, 4), bucket)
    listing = store.listing(result.prefix, expected=keys, jobs=4)
    missing = tuple(k for k in keys if k not in listing.objects)
    return Check(bucket, result.prefix, len(keys), missing)
