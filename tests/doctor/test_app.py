"""What the app's pages point at (doctor/checks/app.py): CDN_DOMAIN against the
distribution's domain and aliases (CloudFront's host matching, a wildcard alias covering
one label), CDN_HTTPS against the viewer protocol policy, and the keys the manifest names
against the bucket. Tables of set-ups in, the verdict by check id out."""

from __future__ import annotations

from typing import Any

import pytest

from cdnpub.doctor.checks import run_checks
from cdnpub.doctor.model import App, SetUp
from tests.support.doctor import good, with_behavior


def _with_aliases(*aliases: str, **behavior: Any) -> SetUp:
    setup = with_behavior(**behavior)
    assert setup.distribution is not None
    config = {
        **setup.distribution["DistributionConfig"],
        "Aliases": {"Quantity": len(aliases), "Items": list(aliases)},
    }
    return good(
        distribution={
            **setup.distribution,
            "DomainName": "d111111abcdef8.cloudfront.net",
            "DistributionConfig": config,
        }
    )


@pytest.mark.parametrize(
    ("domain", "https", "aliases", "viewer", "status"),
    [
        ("d111111abcdef8.cloudfront.net", True, (), "redirect-to-https", "pass"),
        ("cdn.example.com", True, ("cdn.example.com",), "redirect-to-https", "pass"),
        ("CDN.example.com", True, ("cdn.example.com",), "redirect-to-https", "pass"),
        ("cdn.example.com", True, ("*.example.com",), "https-only", "pass"),
        ("a.cdn.example.com", True, ("*.example.com",), "https-only", "fail"),  # one label only
        ("cdn.example.com", True, (), "redirect-to-https", "fail"),  # the pages point elsewhere
        ("static.example.com", True, ("cdn.example.com",), "redirect-to-https", "fail"),
        ("d111111abcdef8.cloudfront.net", False, (), "https-only", "fail"),  # http:// URLs refused
        ("d111111abcdef8.cloudfront.net", False, (), "redirect-to-https", "warn"),
        ("d111111abcdef8.cloudfront.net", False, (), "allow-all", "pass"),
    ],
)
def test_cdn_domain_is_served_by_the_distribution(
    domain: str, https: bool, aliases: tuple[str, ...], viewer: str, status: str
) -> None:
    setup = _with_aliases(*aliases, ViewerProtocolPolicy=viewer)
    setup = good(distribution=setup.distribution, app=App(domain=domain, https=https))
    found = {f.check: f for f in run_checks(setup)}
    assert found["app.cdn-domain"].status == status


def test_no_cdn_domain_and_no_manifest_are_not_judged() -> None:
    checks = {f.check for f in run_checks(good(app=App()))}
    assert not checks & {"app.cdn-domain", "app.manifest"}


@pytest.mark.parametrize(
    ("app", "status", "says"),
    [
        (App(manifest="m.json", keys=3), "pass", "the 3 keys manifest m.json names are in the bucket"),
        (App(manifest="m.json", keys=3, missing=("static/a.1.css",), publish="flask cdn publish"),
         "fail", "1 of the 3 keys manifest m.json names are not in s3://my-assets: static/a.1.css;"),
        (App(manifest="m.json", keys=9, missing=tuple(f"static/{i}.css" for i in range(5))),
         "fail", "static/0.css, static/1.css, static/2.css and 2 more"),
        (App(manifest="m.json", manifest_error="manifest m.json: not JSON"), "warn", "manifest m.json: not JSON"),
    ],
)  # fmt: skip
def test_every_key_the_manifest_names_is_in_the_bucket(app: App, status: str, says: str) -> None:
    found = {f.check: f for f in run_checks(good(app=app))}
    assert found["app.manifest"].status == status
    assert says in found["app.manifest"].why
    if status == "fail":
        assert found["app.manifest"].fix.startswith(app.publish)
