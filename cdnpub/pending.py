"""An invalidation that failed after its release landed.

The release record then says the bucket is current, so the next publish would find
nothing changed and never invalidate the stale paths: they wait in a marker under
PREFIX/.cdnpub/ until an invalidation of them succeeds. The marker lives beside the
release records, so the publish's first listing sees it at no extra request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import UserError
from .release import META_DIR

NAME = "pending-invalidation.json"


@dataclass(frozen=True, slots=True)
class Pending:
    distribution_id: str
    keys: tuple[str, ...]  # S3 keys whose cached copies are stale


def meta_prefix(prefix: str) -> str:
    """The folder of release records and markers: one listing covers both."""
    return f"{prefix}/{META_DIR}/" if prefix else f"{META_DIR}/"


def pending_key(prefix: str) -> str:
    return meta_prefix(prefix) + NAME


def dumps(distribution_id: str, keys: Sequence[str]) -> bytes:
    doc = {"distribution_id": distribution_id, "keys": sorted(set(keys))}
    return json.dumps(doc, sort_keys=True).encode()


def loads(data: bytes, origin: str) -> Pending:
    try:
        doc = json.loads(data)
        return Pending(str(doc["distribution_id"]), tuple(str(k) for k in doc["keys"]))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise UserError(f"{origin} is corrupt ({err})") from None
