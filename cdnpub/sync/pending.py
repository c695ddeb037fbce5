"""Live URLs changed, their invalidation not yet confirmed.

A publish writes this marker under PREFIX/.cdnpub/ before its first write to a live URL
(a plain-name copy, a header fix of a served key) and deletes it once the release record
landed and CloudFront confirmed the invalidation. A marker found by a later publish
means an earlier one stopped half-way (a failure, a kill, a failed invalidation): the
bucket may not be what the newest release record says, so that publish compares
everything with the bucket instead of trusting the record, and invalidates the marked
keys along with its own. The marker lives beside the release records, so the publish's
first listing sees it at no extra request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdnpub.errors import UserError
from cdnpub.urls import safe_segments, under

NO_DISTRIBUTION = ""  # a publish without --distribution-id: nothing to invalidate, but half-done


@dataclass(frozen=True, slots=True)
class Pending:
    """Keys whose cached copies may be stale, by CloudFront distribution id."""

    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    landed: bool = False  # the release record landed: only invalidations are owed

    @property
    def unsure(self) -> frozenset[str]:
        """Keys a publish that stopped half-way may have written; none once it landed."""
        return frozenset() if self.landed else frozenset(k for keys in self.keys.values() for k in keys)

    def adding(self, distribution_id: str, keys: Sequence[str]) -> Pending:
        """A publish about to change live URLs: not landed until it says so."""
        merged = dict(self.keys)
        merged[distribution_id] = tuple(sorted({*merged.get(distribution_id, ()), *keys}))
        return Pending(merged, landed=False)

    def within(self, prefix: str) -> tuple[Pending, tuple[str, ...]]:
        """The marker with only the keys under `prefix`, and the keys dropped: a marker
        is anyone's file, and its keys become invalidations and full comparisons."""
        start = under(prefix)
        inside = {d: tuple(k for k in keys if _inside(k, start)) for d, keys in self.keys.items()}
        dropped = sorted({k for keys in self.keys.values() for k in keys if not _inside(k, start)})
        return Pending(inside, self.landed), tuple(dropped)

    def settled(self, distribution_id: str) -> Pending:
        """After a publish landed and invalidated on `distribution_id`: what other
        distributions are still owed."""
        keys = {d: k for d, k in self.keys.items() if d not in (distribution_id, NO_DISTRIBUTION)}
        return Pending(keys, landed=True)


def _inside(key: str, start: str) -> bool:
    return key.startswith(start) and safe_segments(key[len(start) :])


def dumps(pending: Pending) -> bytes:
    doc = {
        "distributions": {d: sorted(set(k)) for d, k in sorted(pending.keys.items())},
        "landed": pending.landed,
    }
    return json.dumps(doc, sort_keys=True).encode()


def loads(data: bytes, origin: str) -> Pending:
    try:
        doc = json.loads(data)
        if "distributions" not in doc:  # the first form: a failed invalidation, after the record
            return Pending({str(doc["distribution_id"]): _keys(doc["keys"])}, landed=True)
        keys = {str(d): _keys(listed) for d, listed in doc["distributions"].items()}
        return Pending(keys, landed=doc.get("landed") is True)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as err:
        raise UserError(f"{origin} is corrupt ({err})") from None


def _keys(listed: Any) -> tuple[str, ...]:
    if not isinstance(listed, list) or not all(isinstance(k, str) for k in listed):
        raise TypeError(f"keys must be a list of strings, not {listed!r}")
    return tuple(listed)
