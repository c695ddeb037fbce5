import pytest

from cdnpub.errors import UserError
from cdnpub.rules import IMMUTABLE, SHORT, headers_for, parse_rules


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
