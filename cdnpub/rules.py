"""Header rules by glob: Cache-Control, Content-Type and extra headers per path.

Every rule whose glob matches a file applies, in order; a later rule wins a
field that an earlier one also set (like CSS, unlike a router).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pathspec

from .errors import UserError
from .mediatypes import content_type as table_content_type

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"

# Headers S3 stores and serves back; everything else would be silently dropped.
EXTRA_HEADERS = frozenset({"content-disposition", "content-encoding", "content-language", "expires"})
_RULE_FIELDS = frozenset({"match", "cache_control", "fingerprinted_cache_control", "content_type", "headers"})


@dataclass(frozen=True, slots=True)
class Headers:
    content_type: str
    cache_control: str  # for the plain-name copy
    fingerprinted_cache_control: str  # for the fingerprinted (immutable) key
    extra: tuple[tuple[str, str], ...] = ()  # lower-case names, sorted


@dataclass(frozen=True, slots=True)
class Rule:
    match: str
    spec: pathspec.GitIgnoreSpec = field(compare=False, repr=False)
    cache_control: str | None = None
    fingerprinted_cache_control: str | None = None
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def matches(self, path: str) -> bool:
        return bool(self.spec.match_file(path))


def parse_rules(raw: Sequence[Mapping[str, Any]], origin: str = "[tool.cdnpub] rules") -> tuple[Rule, ...]:
    """Rules from config tables; a typo must fail loudly, not be ignored."""
    rules = []
    for i, table in enumerate(raw, 1):
        where = f"{origin} #{i}"
        if not isinstance(table, Mapping):
            raise UserError(f"{where}: a rule must be a table")
        unknown = set(table) - _RULE_FIELDS
        if unknown:
            raise UserError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        match = table.get("match")
        if not isinstance(match, str) or not match:
            raise UserError(f"{where}: 'match' must be a glob such as \"*.woff2\"")
        for name in ("cache_control", "fingerprinted_cache_control", "content_type"):
            if name in table and not isinstance(table[name], str):
                raise UserError(f"{where}: {name!r} must be a string")
        headers = table.get("headers", {})
        if not isinstance(headers, Mapping):
            raise UserError(f"{where}: 'headers' must be a table")
        extra = []
        for name, value in headers.items():
            lname = str(name).lower()
            if lname not in EXTRA_HEADERS and not lname.startswith("x-amz-meta-"):
                allowed = ", ".join(sorted(EXTRA_HEADERS))
                raise UserError(
                    f"{where}: S3 cannot store header {name!r} (allowed: {allowed}, x-amz-meta-*)"
                )
            extra.append((lname, str(value)))
        rules.append(
            Rule(
                match=match,
                cache_control=table.get("cache_control"),
                fingerprinted_cache_control=table.get("fingerprinted_cache_control"),
                content_type=table.get("content_type"),
                headers=tuple(sorted(extra)),
                spec=pathspec.GitIgnoreSpec.from_lines([match]),
            )
        )
    return tuple(rules)


def headers_for(path: str, rules: Sequence[Rule]) -> Headers:
    """The headers of a logical path: the table's defaults, then each matching rule."""
    ctype = table_content_type(path)
    plain, fingerprinted = SHORT, IMMUTABLE
    extra: dict[str, str] = {}
    for rule in rules:
        if not rule.matches(path):
            continue
        ctype = rule.content_type or ctype
        plain = rule.cache_control or plain
        fingerprinted = rule.fingerprinted_cache_control or fingerprinted
        extra.update(rule.headers)
    return Headers(ctype, plain, fingerprinted, tuple(sorted(extra.items())))
