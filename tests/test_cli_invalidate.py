"""`cdnpub invalidate` with URLs pasted from a browser: the path is taken when the host
is the distribution's (its cloudfront.net name or an alias); another host or a query
string is refused with the reason, and nothing is sent."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.support.aws import MotoServer
from tests.support.cli import one_line_error, run_cli

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def distribution(moto_server: MotoServer) -> tuple[str, str]:
    """(id, domain name) of a distribution with the alias cdn.example.com."""
    config: dict[str, Any] = {
        "CallerReference": f"pasted-urls-{uuid.uuid4()}",
        "Comment": "",
        "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": ["cdn.example.com"]},
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "s3",
                    "DomainName": "b.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0},
    }
    made = moto_server.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]
    return made["Id"], made["DomainName"]


def _invalidate(server: MotoServer, distribution_id: str, *paths: str) -> Any:
    return run_cli(
        "invalidate", "--distribution-id", distribution_id, "--endpoint-url", server.url, "--json", *paths
    )


def _sent(server: MotoServer, distribution_id: str) -> list[str]:
    cf = server.client("cloudfront")
    items = cf.list_invalidations(DistributionId=distribution_id)["InvalidationList"].get("Items", [])
    return sorted(
        path
        for item in items
        for path in cf.get_invalidation(DistributionId=distribution_id, Id=item["Id"])["Invalidation"][
            "InvalidationBatch"
        ]["Paths"]["Items"]
    )


def test_a_pasted_url_of_the_distribution_invalidates_its_path(
    moto_server: MotoServer, distribution: tuple[str, str]
) -> None:
    distribution_id, domain = distribution
    result = _invalidate(
        moto_server,
        distribution_id,
        f"https://{domain}/static/css/site.css",
        "HTTPS://CDN.example.com/static/js/*",
        "//cdn.example.com/static/img/logo.png#top",
        "/static/app.css",
    )
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(result.stdout)["paths"]) == _sent(moto_server, distribution_id)
    assert _sent(moto_server, distribution_id) == [
        "/static/app.css",
        "/static/css/site.css",
        "/static/img/logo.png",
        "/static/js/*",
    ]


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("https://www.example.com/static/site.css", "the host www.example.com is not distribution"),
        ("https://cdn.example.com/static/site.css?v=3", "has no query string"),
        ("ftp://cdn.example.com/static/site.css", "not an http(s) URL"),
        ("https://cdn.example.com/", "would invalidate the whole distribution"),
    ],
)
def test_a_url_that_cannot_be_meant_is_refused_with_the_reason(
    moto_server: MotoServer, distribution: tuple[str, str], url: str, phrase: str
) -> None:
    distribution_id, _ = distribution
    result = _invalidate(moto_server, distribution_id, url, "/static/ok.css")
    one_line_error(result, 2, phrase)
    assert _sent(moto_server, distribution_id) == []
