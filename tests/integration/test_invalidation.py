"""Invalidation after publish, read back from the moto server's CloudFront."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result

from tests.support.aws import MotoServer
from tests.support.bucket import keys
from tests.support.cli import publish, run_cli
from tests.support.cloudfront import create_distribution
from tests.support.sites import INTEGRATION_SITE as SITE


@pytest.fixture
def distribution(moto_server: MotoServer, bucket: str) -> str:
    return create_distribution(moto_server, bucket)


def invalidations(server: MotoServer, distribution: str) -> list[list[str]]:
    cf = server.client("cloudfront")
    summaries = cf.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    return [
        sorted(
            cf.get_invalidation(DistributionId=distribution, Id=s["Id"])["Invalidation"]["InvalidationBatch"][
                "Paths"
            ]["Items"]
        )
        for s in summaries
    ]


def fail_invalidations(server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """CloudFront answers 500 to every CreateInvalidation, and botocore does not retry."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    server.fail = lambda r: 500 if r.method == "POST" and "/invalidation" in r.path else None


def publish_change_with_failing_cloudfront(
    server: MotoServer,
    bucket: str,
    site: Path,
    distribution: str,
    monkeypatch: pytest.MonkeyPatch,
    *extra: str,
) -> Result:
    """A first publish, a changed script, and a second publish whose invalidation fails."""
    publish(site, bucket, server, "--distribution-id", distribution)
    (site / "js/app.js").write_text("console.log('changed');\n")
    fail_invalidations(server, monkeypatch)
    return publish(site, bucket, server, "--distribution-id", distribution, *extra)


def cloudfront_posts(server: MotoServer) -> list[str]:
    return [r.path for r in server.requests() if r.method == "POST" and "/invalidation" in r.path]


def test_first_publish_and_unchanged_rerun_send_no_invalidation(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str
) -> None:
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 0
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 0
    assert cloudfront_posts(moto_server) == []
    assert invalidations(moto_server, distribution) == []


def test_changed_file_invalidates_exactly_the_changed_plain_paths(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str
) -> None:
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    (site / "img/icon.svg").write_text("<svg><rect/></svg>")
    result = publish(site, bucket, moto_server, "--distribution-id", distribution)
    assert result.exit_code == 0, result.output
    assert invalidations(moto_server, distribution) == [
        ["/static/css/app.css", "/static/css/base.css", "/static/img/icon.svg"]
    ]


def test_rerun_after_a_change_sends_no_second_invalidation(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, caller_reference_semantics: None
) -> None:
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    (site / "img/logo.png").write_bytes(b"\x89PNG-v2")
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    assert len(invalidations(moto_server, distribution)) == 1


def test_past_the_threshold_paths_collapse_into_wildcards(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str
) -> None:
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    (site / "img/icon.svg").write_text("<svg><rect/></svg>")
    (site / "img/logo.png").write_bytes(b"\x89PNG-v2")
    result = publish(
        site, bucket, moto_server, "--distribution-id", distribution, "--invalidate-threshold", "2"
    )
    assert result.exit_code == 0, result.output
    (paths,) = invalidations(moto_server, distribution)
    assert len(paths) <= 2 and all(p.endswith("/*") for p in paths)
    assert "/static/img/*" in paths or "/static/*" in paths


def test_json_reports_the_invalidation_and_the_cdn_domain(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str
) -> None:
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    (site / "js/app.js").write_text("console.log(2);\n//# sourceMappingURL=app.js.map\n")
    doc = json.loads(publish(site, bucket, moto_server, "--distribution-id", distribution, "--json").stdout)
    assert doc["invalidation"]["paths"] == ["/static/js/app.js"]
    assert len(doc["invalidation"]["ids"]) == 1
    assert doc["cdn_domain"].endswith(".cloudfront.net")


def test_dry_run_shows_the_paths_it_would_invalidate_and_sends_none(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str
) -> None:
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    (site / "js/app.js").write_text("console.log(3);\n")
    moto_server.reset_log()
    result = publish(site, bucket, moto_server, "--distribution-id", distribution, "--dry-run", "--json")
    assert json.loads(result.stdout)["invalidation"]["paths"] == ["/static/js/app.js"]
    assert moto_server.writes() == []


def test_deleted_plain_file_is_invalidated_when_pruned(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str
) -> None:
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    (site / "img/unused.png").unlink()
    publish(site, bucket, moto_server, "--distribution-id", distribution)  # unused.png's last release goes
    result = publish(site, bucket, moto_server, "--distribution-id", distribution, "--prune-older-than", "0")
    assert result.exit_code == 0, result.output
    assert invalidations(moto_server, distribution) == [["/static/img/unused.png"]]


def test_wait_reports_completion(moto_server: MotoServer, bucket: str, site: Path, distribution: str) -> None:
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    (site / "js/app.js").write_text("console.log(4);\n")
    doc = json.loads(
        publish(site, bucket, moto_server, "--distribution-id", distribution, "--wait", "--json").stdout
    )
    assert [s.lower() for s in doc["invalidation"]["status"]] == ["completed"]


def test_unknown_distribution_is_exit_2_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    result = publish(site, bucket, moto_server, "--distribution-id", "E000000000000")
    assert result.exit_code == 2
    assert "E000000000000" in result.stderr and "Traceback" not in result.output
    assert moto_server.writes() == []


def test_distribution_without_the_bucket_as_origin_warns(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    other = create_distribution(moto_server, "some-other-bucket")
    result = publish(site, bucket, moto_server, "--distribution-id", other)
    assert result.exit_code == 0
    assert f"has no origin for bucket {bucket}" in result.stderr


def test_failed_invalidation_still_reports_the_upload_and_exits_1(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = publish_change_with_failing_cloudfront(moto_server, bucket, site, distribution, monkeypatch)
    assert result.exit_code == 1
    assert "Published to" in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("cdnpub: ")
    assert Path("cdnpub-manifest.json").exists()  # the bucket is right: the app may use it


def test_failed_invalidation_is_not_reported_as_done(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = publish_change_with_failing_cloudfront(moto_server, bucket, site, distribution, monkeypatch)
    assert "Could not invalidate 1 path on" in result.stdout
    assert "Invalidated" not in result.stdout


def test_json_of_a_failed_invalidation_has_the_error_and_no_ids(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = publish_change_with_failing_cloudfront(
        moto_server, bucket, site, distribution, monkeypatch, "--json"
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)["invalidation"]
    assert doc["ids"] == [] and doc["error"] and doc["paths"] == ["/static/js/app.js"]


def test_json_warnings_hold_the_warnings_of_the_run(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_change_with_failing_cloudfront(moto_server, bucket, site, distribution, monkeypatch)
    moto_server.fail = lambda r: None
    result = publish(site, bucket, moto_server, "--json")
    assert result.exit_code == 0
    warnings = json.loads(result.stdout)["warnings"]
    assert any(f"publish with --distribution-id {distribution} to retry it" in w for w in warnings)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        # keys and paths as a person types them: encoded by the one rule, wildcards kept
        (
            ["/static/a b.css", "static/caf\u00e9.js", "/static/img/*"],
            ["/static/a%20b.css", "/static/caf%C3%A9.js", "/static/img/*"],
        ),
        # paths pasted from a browser's address bar are encoded already: not encoded twice
        (
            ["/static/caf%C3%A9.js", "/static/home%2Bprofile.css", "/static/cafe\u0301.css"],
            ["/static/caf%C3%A9.css", "/static/caf%C3%A9.js", "/static/home%2Bprofile.css"],
        ),
    ],
    ids=["typed", "pasted"],
)
def test_standalone_invalidate_sends_each_path_as_viewers_fetch_it(
    moto_server: MotoServer, bucket: str, distribution: str, typed: list[str], sent: list[str]
) -> None:
    args = ("--distribution-id", distribution, "--endpoint-url", moto_server.url)
    result = run_cli("invalidate", *args, *typed)
    assert result.exit_code == 0, result.output
    assert invalidations(moto_server, distribution) == [sent]


def test_failed_invalidation_is_retried_by_the_next_publish(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = publish_change_with_failing_cloudfront(moto_server, bucket, site, distribution, monkeypatch)
    assert failed.exit_code == 1 and "the next publish retries the invalidation" in failed.stderr
    moto_server.fail = lambda r: None
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 0
    assert invalidations(moto_server, distribution) == [["/static/js/app.js"]]
    moto_server.reset_log()
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 0
    assert cloudfront_posts(moto_server) == []  # retried once, then forgotten


def test_pending_invalidation_for_another_distribution_warns(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_change_with_failing_cloudfront(moto_server, bucket, site, distribution, monkeypatch)
    moto_server.fail = lambda r: None
    result = publish(site, bucket, moto_server)
    assert result.exit_code == 0
    assert f"publish with --distribution-id {distribution} to retry it" in result.stderr


def test_going_back_and_forth_invalidates_every_time(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, caller_reference_semantics: None
) -> None:
    """A, B, A, B: a rollback and its undo are new releases with the same content ids."""
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    sent = []
    for body in ("console.log('b');\n", "console.log('hi');\n//# sourceMappingURL=app.js.map\n") * 2:
        (site / "js/app.js").write_text(body)
        doc = json.loads(
            publish(site, bucket, moto_server, "--distribution-id", distribution, "--json").stdout
        )
        sent.append(doc["invalidation"]["ids"])
    assert all(len(ids) == 1 for ids in sent)
    assert len({ids[0] for ids in sent}) == 4


# --- publishes that stopped half-way ---------------------------------------------------

BASE_B = "body{margin:1px}\n.icon{background:url(../img/icon.svg)}\n"


def publish_b_stopping_after_a_plain_copy(
    server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> Result:
    """Release B changes base.css (and so app.css, which imports it); its plain copy of
    base.css lands, then the one of app.css fails: the live site is half B."""
    (site / "css/base.css").write_text(BASE_B)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    server.fail = lambda r: 500 if r.method == "PUT" and r.path.endswith("/static/css/app.css") else None
    result = publish(site, bucket, server, "--distribution-id", distribution, "--jobs", "1")
    server.fail = lambda r: None
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    return result


def plain_body(server: MotoServer, bucket: str, key: str) -> bytes:
    return bytes(server.client().get_object(Bucket=bucket, Key=key)["Body"].read())


def invalidated(server: MotoServer, distribution: str) -> set[str]:
    return {p for batch in invalidations(server, distribution) for p in batch}


def test_going_back_after_a_publish_that_stopped_half_way_restores_and_invalidates(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newest record is A's again, but the bucket is half B: no shortcut is taken."""
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    failed = publish_b_stopping_after_a_plain_copy(moto_server, bucket, site, distribution, monkeypatch)
    assert failed.exit_code == 1
    assert b"margin:1px" in plain_body(moto_server, bucket, "static/css/base.css")
    (site / "css/base.css").write_text(SITE["css/base.css"])  # back to A
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 0
    assert b"margin:0" in plain_body(moto_server, bucket, "static/css/base.css")
    assert "/static/css/base.css" in invalidated(moto_server, distribution)
    assert not any("pending" in k for k in keys(moto_server, bucket))


def test_plain_copy_that_landed_before_a_failure_is_invalidated_by_the_rerun(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    publish_b_stopping_after_a_plain_copy(moto_server, bucket, site, distribution, monkeypatch)
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 0
    assert {"/static/css/base.css", "/static/css/app.css"} <= invalidated(moto_server, distribution)


def test_a_prune_failing_after_the_record_leaves_the_invalidation_to_the_next_publish(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    orphan = "static/img/orphan.0123456789.png"  # no release references it: the prune's work
    moto_server.client().put_object(Bucket=bucket, Key=orphan, Body=b"x")
    (site / "js/app.js").write_text("console.log('changed');\n")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    moto_server.fail = lambda r: 500 if r.method == "POST" and r.query == "delete" else None
    args = ("--distribution-id", distribution, "--prune-older-than", "0", "--prune-foreign")
    failed = publish(site, bucket, moto_server, *args)
    assert failed.exit_code == 1 and orphan in keys(moto_server, bucket)
    assert invalidated(moto_server, distribution) == set()
    moto_server.fail = lambda r: None
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 0
    assert invalidated(moto_server, distribution) == {"/static/js/app.js"}


def test_failed_invalidations_on_two_distributions_are_both_kept(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = create_distribution(moto_server, bucket + "-2")
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    fail_invalidations(moto_server, monkeypatch)
    (site / "js/app.js").write_text("console.log('one');\n")
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 1
    (site / "css/base.css").write_text(BASE_B)
    result = publish(site, bucket, moto_server, "--distribution-id", other)
    assert result.exit_code == 1 and f"--distribution-id {distribution} to retry it" in result.stderr
    moto_server.fail = lambda r: None
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 0
    assert invalidated(moto_server, distribution) == {"/static/js/app.js"}
    assert publish(site, bucket, moto_server, "--distribution-id", other).exit_code == 0
    assert {"/static/css/base.css", "/static/css/app.css"} <= invalidated(moto_server, other)
    assert not any("pending" in k for k in keys(moto_server, bucket))


def test_a_publish_repairing_a_half_done_one_does_not_prune_yet(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The half-done publish's live plain copies point at objects no record names, and edges
    may hold those copies until the repair's invalidation completes."""
    publish(site, bucket, moto_server, "--distribution-id", distribution)
    publish_b_stopping_after_a_plain_copy(moto_server, bucket, site, distribution, monkeypatch)
    stored = {k for k in keys(moto_server, bucket) if "/.cdnpub/" not in k}
    (site / "css/base.css").write_text(str(SITE["css/base.css"]))  # back to A
    args = ("--distribution-id", distribution, "--prune-older-than", "0")
    result = publish(site, bucket, moto_server, *args)
    assert result.exit_code == 0 and "not pruning while repairing" in result.stderr
    assert stored <= set(keys(moto_server, bucket))
    assert publish(site, bucket, moto_server, *args).exit_code == 0
    # The repair recorded what the stopped publish wrote and no release names (its lease
    # listed them): the next prune removes them, no --prune-foreign needed.
    left = stored - set(keys(moto_server, bucket))
    assert left and all("/.cdnpub/" not in k for k in left)


def test_no_change_republish_with_a_distribution_costs_the_three_requests_readme_says(
    moto_server: MotoServer, bucket: str, site: Path, distribution: str
) -> None:
    """Two S3 GETs (the records' listing, the newest record) and one GetDistribution,
    which checks the id before any write and gives the reported cdn_domain."""
    assert publish(site, bucket, moto_server, "--distribution-id", distribution).exit_code == 0
    moto_server.reset_log()
    result = publish(site, bucket, moto_server, "--distribution-id", distribution)
    assert result.exit_code == 0 and "up to date" in result.output
    seen = [(r.method, r.path.split("/")[1]) for r in moto_server.requests()]
    assert sorted(seen) == sorted([("GET", bucket), ("GET", bucket), ("GET", "2020-05-31")])


def test_readme_states_the_request_counts_the_tests_pin() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "costs two requests to S3 (three with a CloudFront distribution)" in readme
    assert "| 2 requests (3 with a distribution), 0 uploads |" in readme
