import pytest

from cdnpub.build.rules import IMMUTABLE, SHORT, headers_for, parse_rules
from cdnpub.errors import UserError


def test_defaults_come_from_the_table_and_the_two_cache_policies() -> None:
    h = headers_for("css/app.css", ())
    assert h.content_type == "text/css; charset=utf-8"
    assert h.cache_control == SHORT == "public, max-age=300"
    assert h.fingerprinted_cache_control == IMMUTABLE == "public, max-age=31536000, immutable"
    assert h.extra == ()


def test_matching_rule_overrides_fields_it_sets() -> None:
    rules = parse_rules([{"match": "*.html", "cache_control": "no-cache"}])
    h = headers_for("pages/a.html", rules)
    assert h.cache_control == "no-cache"
    assert h.fingerprinted_cache_control == IMMUTABLE


def test_later_rules_win() -> None:
    rules = parse_rules(
        [
            {"match": "*.json", "cache_control": "max-age=1"},
            {"match": "data/*.json", "cache_control": "max-age=2"},
        ]
    )
    assert headers_for("data/x.json", rules).cache_control == "max-age=2"
    assert headers_for("other/x.json", rules).cache_control == "max-age=1"


def test_rules_set_content_type_and_extra_headers() -> None:
    rules = parse_rules(
        [
            {
                "match": "downloads/**",
                "content_type": "application/pdf",
                "headers": {"Content-Disposition": "attachment"},
            }
        ]
    )
    h = headers_for("downloads/a/b.bin", rules)
    assert h.content_type == "application/pdf"
    assert h.extra == (("content-disposition", "attachment"),)


def test_non_matching_rule_changes_nothing() -> None:
    rules = parse_rules([{"match": "*.woff2", "cache_control": "x"}])
    assert headers_for("a.css", rules) == headers_for("a.css", ())


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"match": "*.css", "cache-control": "x"}, "unknown field 'cache-control'"),
        ({"cache_control": "x"}, "'match' must be a glob"),
        ({"match": "*", "headers": {"X-Frame-Options": "DENY"}}, "S3 cannot store header 'X-Frame-Options'"),
        ({"match": "*", "content_type": 3}, "'content_type' must be a string"),
    ],
)
def test_bad_rules_fail_loudly(rule: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_rules([rule])


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"match": "*.css", "headers": {"x-amz-meta-author": "Zo\u00eb Example"}},
            r'#1 \(match = "\*\.css"\): x-amz-meta-author = "Zo\u00eb Example": S3 takes only printable ASCII',
        ),
        ({"match": "*", "headers": {"x-amz-meta-zo\u00eb": "x"}}, "is not a header name S3 accepts"),
        ({"match": "*", "headers": {"x-amz-meta-a b": "x"}}, "is not a header name S3 accepts"),
        ({"match": "*", "headers": {"Content-Disposition": "attachment\r\nX-Evil: 1"}}, r"no line break"),
        ({"match": "*", "cache_control": "public\nmax-age=1"}, r"no line break"),
        ({"match": "*", "cache_control": "public; max-age=60"}, "is not directives such as"),
        ({"match": "*", "fingerprinted_cache_control": "max-age=="}, "is not directives such as"),
        ({"match": "*", "content_type": "text"}, "is not a media type"),
        ({"match": "*", "content_type": "text/html charset=utf-8"}, "is not a media type"),
        ({"match": "*", "headers": {"Content-Language": "english (US)"}}, "is not language tags"),
        ({"match": "*", "headers": {"Content-Encoding": "gzip br"}}, "is not codings"),
        ({"match": "*", "headers": {"Expires": "tomorrow"}}, "is not an HTTP date"),
        ({"match": "*", "headers": {"Expires": 5}}, "header 'Expires' must be a string"),
        ({"match": "*", "headers": {"x-amz-meta-big": "x" * 2100}}, "past S3's 2 KB"),
    ],
)
def test_a_header_s3_cannot_carry_is_refused_when_read_naming_the_rule(
    rule: dict[str, object], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        parse_rules([rule])


def test_headers_in_the_syntax_s3_carries_pass() -> None:
    (rule,) = parse_rules(
        [
            {
                "match": "*",
                "content_type": 'text/plain; charset=utf-8; format="flowed"',
                "cache_control": "public, max-age=600, stale-while-revalidate=30",
                "headers": {
                    "Content-Disposition": "attachment; filename*=UTF-8''Zo%C3%AB.pdf",
                    "Content-Language": "en, de-CH",
                    "Content-Encoding": "gzip",
                    "Expires": "Wed, 21 Oct 2026 07:28:00 GMT",
                    "x-amz-meta-author": "Zoe Example",
                },
            }
        ]
    )
    assert dict(rule.headers)["x-amz-meta-author"] == "Zoe Example"
