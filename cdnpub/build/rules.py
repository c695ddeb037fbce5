"""Header rules by glob: Cache-Control, Content-Type and extra headers per path.

Every rule whose glob matches a file applies, in order; a later rule wins a
field that an earlier one also set (like CSS, unlike a router).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import pathspec

from cdnpub.build.mediatypes import UTF8, Body, content_coding
from cdnpub.build.mediatypes import content_type as table_content_type
from cdnpub.errors import UserError
from cdnpub.text import printable

YEAR = 31536000  # seconds: the max-age of a fingerprinted (immutable) object


SHORT_MAX_AGE = 300  # seconds: the default max-age of a plain-name copy, which a release replaces


IMMUTABLE = f"public, max-age={YEAR}, immutable"


SHORT = f"public, max-age={SHORT_MAX_AGE}"


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
    where: str = field(default="", compare=False)  # `[tool.cdnpub] rules #2 (match = "*.js")`

    def matches(self, path: str) -> bool:
        return bool(self.spec.match_file(path))


def parse_rules(raw: Sequence[Mapping[str, Any]], origin: str = "[tool.cdnpub] rules") -> tuple[Rule, ...]:
    """Rules from config tables; a typo must fail loudly, not be ignored."""
    rules = []
    for i, table in enumerate(raw, 1):
        where = f"{origin} #{i}"
        if not isinstance(table, Mapping):
            raise UserError(f"{where}: a rule must be a table")
        if isinstance(table.get("match"), str):
            where += f" (match = {json.dumps(table['match'], ensure_ascii=False)})"
        unknown = set(table) - _RULE_FIELDS
        if unknown:
            raise UserError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        match = table.get("match")
        if not isinstance(match, str) or not match:
            raise UserError(f"{where}: 'match' must be a glob such as \"*.woff2\"")
        for name in ("cache_control", "fingerprinted_cache_control", "content_type"):
            if name in table and not isinstance(table[name], str):
                raise UserError(f"{where}: {name!r} must be a string")
            if name in table:
                _check_value(name.replace("fingerprinted_", "").replace("_", "-"), table[name], where)
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
            if not isinstance(value, str):
                raise UserError(f"{where}: header {name!r} must be a string")
            if lname.startswith("x-amz-meta-") and not _TOKEN.fullmatch(lname):
                raise UserError(f"{where}: {printable(name)!r} is not a header name S3 accepts")
            _check_value(lname, value, where, str(name))
            extra.append((lname, value))
        meta = sum(len(n) - len("x-amz-meta-") + len(v) for n, v in extra if n.startswith("x-amz-meta-"))
        if meta > MAX_METADATA_BYTES:
            raise UserError(f"{where}: x-amz-meta-* headers hold {meta} bytes, past S3's 2 KB")
        try:
            spec = pathspec.GitIgnoreSpec.from_lines([match])
        except Exception as err:  # pathspec raises plain errors for bad patterns
            raise UserError(f"{where}: bad 'match' pattern: {err}") from None
        rules.append(
            Rule(
                match=match,
                cache_control=table.get("cache_control"),
                fingerprinted_cache_control=table.get("fingerprinted_cache_control"),
                content_type=table.get("content_type"),
                headers=tuple(sorted(extra)),
                spec=spec,
                where=where,
            )
        )
    return tuple(rules)


# RFC 9110 syntax, which S3 passes on as it is stored: what it cannot carry or a browser
# would misread fails when the configuration is read, not after the first uploads.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


_VALUE = r"(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|\"(?:[^\"\\]|\\.)*\")"  # token / quoted-string


_MEDIA_TYPE = re.compile(
    rf"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*;[ \t]*{_TOKEN.pattern}={_VALUE})*"
)


_DIRECTIVES = re.compile(rf"{_TOKEN.pattern}(?:={_VALUE})?(?:[ \t]*,[ \t]*{_TOKEN.pattern}(?:={_VALUE})?)*")


_LANGUAGES = re.compile(
    r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*(?:[ \t]*,[ \t]*[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)*"
)


_CODINGS = re.compile(rf"{_TOKEN.pattern}(?:[ \t]*,[ \t]*{_TOKEN.pattern})*")


_SYNTAX = {
    "content-type": (_MEDIA_TYPE, "a media type such as text/html; charset=utf-8"),
    "cache-control": (_DIRECTIVES, "directives such as public, max-age=600"),
    "content-language": (_LANGUAGES, "language tags such as en, de-CH"),
    "content-encoding": (_CODINGS, "codings such as gzip"),
}


MAX_METADATA_BYTES = 2048  # S3's limit on the user-defined metadata of an object


def _check_value(header: str, value: str, where: str, shown: str | None = None) -> None:
    """One header value as S3 stores it: printable ASCII (S3 and botocore refuse the rest,
    and CR/LF would split the request), in the syntax of its header."""
    name = shown or header
    if not all(" " <= c <= "~" for c in value):
        raise UserError(
            f"{where}: {name} = {printable(json.dumps(value, ensure_ascii=False))}: S3 takes only printable "
            "ASCII in a header (no line break; write other characters as RFC 8187 or percent-encoding)"
        )
    syntax = _SYNTAX.get(header)
    if syntax is not None and not syntax[0].fullmatch(value.strip()):
        raise UserError(f"{where}: {name} = {json.dumps(value)} is not {syntax[1]}")
    if header == "expires":
        try:
            parsedate_to_datetime(value)
        except (TypeError, ValueError):
            raise UserError(
                f"{where}: expires = {json.dumps(value)} is not an HTTP date such as "
                "Wed, 21 Oct 2026 07:28:00 GMT"
            ) from None


def headers_for(path: str, rules: Sequence[Rule], body: Body = UTF8, coded: bool = True) -> Headers:
    """The headers of a logical path: the table's defaults for its name and its bytes
    (`body`: the decoded bytes' encoding; `coded`: whether the stored bytes carry the
    coding the name implies, gzip for .svgz), then each matching rule.

    Raises UserError for a rule that gives the file a Content-Encoding other than the one
    its name implies (see refuse_coding)."""
    ctype = table_content_type(path, body)
    plain, fingerprinted = SHORT, IMMUTABLE
    coding = content_coding(path) if coded else None
    extra: dict[str, str] = {"content-encoding": coding} if coding else {}
    for rule in rules:
        if not rule.matches(path):
            continue
        ctype = rule.content_type or ctype
        plain = rule.cache_control or plain
        fingerprinted = rule.fingerprinted_cache_control or fingerprinted
        extra.update(rule.headers)
        refuse_coding(rule, path, coding)
    return Headers(ctype, plain, fingerprinted, tuple(sorted(extra.items())))


def refuse_coding(rule: Rule, path: str, coding: str | None) -> None:
    """A rule's Content-Encoding is refused where it would change what the file's bytes
    are: cdnpub hashes (SRI, fingerprints) and rewrites references in the bytes on disk,
    a browser checks and reads the decoded body, so a coding cdnpub did not decode would
    make every integrity attribute fail and leave a compressed stylesheet's url()s
    unrewritten. `identity`, or the coding the name implies, changes nothing."""
    value = dict(rule.headers).get("content-encoding")
    if value is None or value.strip().lower() == (coding or "identity"):
        return
    raise UserError(
        f"{rule.where or 'rule ' + json.dumps(rule.match)}: content-encoding = {json.dumps(value)} on "
        f"{printable(path)}: cdnpub computes SRI and rewrites references over the bytes as stored, "
        "browsers check the decoded body; publish the file uncompressed (CloudFront compresses "
        "on the fly) or drop the header"
    )


_DIRECTIVE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.I)


def shared_cache_seconds(cache_control: str) -> int | None:
    """How long a shared cache (a CDN's edge) may serve a response without asking again,
    by its Cache-Control: `s-maxage` when given, else `max-age` (RFC 9111, 5.2.2.10 and
    5.2.2.1); None when it names neither."""
    found = {name.lower(): int(value) for name, value in _DIRECTIVE.findall(cache_control)}
    return found.get("s-maxage", found.get("max-age"))
