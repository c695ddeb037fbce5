"""Tests for cdnpub/invalidate.py: pure path logic by table, the client over moto or a Stubber."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import ANY, Stubber
from moto import mock_aws

from cdnpub.aws.cloudfront import CloudFront
from cdnpub.errors import RemoteError, UserError
from cdnpub.sync.invalidation import DEFAULT_THRESHOLD, Invalidation, batches, caller_reference, collapse
from cdnpub.urls import invalidation_path
from tests.support.aws import fake_aws_env

DIST = "EDFDVBD6EXAMPLE"


# -- pure functions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("static/css/app.css", "/static/css/app.css"),
        ("static/my file.css", "/static/my%20file.css"),
        ("static/a#b.css", "/static/a%23b.css"),
        ("static/a?b.css", "/static/a%3Fb.css"),
        ("static/a+b.css", "/static/a%2Bb.css"),  # S3 reads a literal plus as a space
        ("static/100%.css", "/static/100%25.css"),
        ("static/café.css", "/static/caf%C3%A9.css"),
        ("static/日本.png", "/static/%E6%97%A5%E6%9C%AC.png"),
        ("static/a*", "/static/a%2A"),  # never an accidental wildcard
        # `~` as browsers send it (AWS's documentation says %7E: hence the build's warning)
        ('static/~x/[1]{2}|^`<>"\\.js', "/static/~x/%5B1%5D%7B2%7D%7C%5E%60%3C%3E%22%5C.js"),
        ("static/a-b_c.d!$'(),;:@=&.js", "/static/a-b_c.d!$'(),;:@=&.js"),
    ],
)
def test_invalidation_path_encodes_what_cloudfront_needs(key: str, path: str) -> None:
    assert invalidation_path(key) == path


@pytest.mark.parametrize(
    ("paths", "threshold", "expected"),
    [
        ([], 0, ()),
        (["/s/b.css", "/s/a.css", "/s/b.css"], 2, ("/s/a.css", "/s/b.css")),
        (["/s/c/1", "/s/c/2", "/s/j/1"], 2, ("/s/c/*", "/s/j/1")),
        (["/s/c/1", "/s/c/2", "/s/c/3", "/s/j/1", "/s/j/2"], 2, ("/s/c/*", "/s/j/*")),
        (["/s/c/1", "/s/c/2", "/s/j/1", "/s/j/2", "/s/top"], 2, ("/s/*",)),
        (["/s/i/x/1", "/s/i/x/2", "/s/i/y/1", "/s/top"], 3, ("/s/i/x/*", "/s/i/y/1", "/s/top")),
        (["/s/i/x/1", "/s/i/x/2", "/s/i/y/1", "/s/top"], 2, ("/s/i/*", "/s/top")),
    ],
)
def test_collapse_merges_the_deepest_siblings_first(
    paths: list[str], threshold: int, expected: tuple[str, ...]
) -> None:
    assert collapse(paths, threshold) == expected


@pytest.mark.parametrize(
    ("floor", "expected"),
    [
        ("", ("/static/*", "/z.txt")),
        ("/static/", ("/static/*", "/z.txt")),
        ("static", ("/static/*", "/z.txt")),
        ("/static/css/", ("/static/css/*", "/static/js/a.js", "/static/js/b.js", "/z.txt")),
        ("/", ("/*",)),
    ],
)
def test_collapse_never_climbs_above_the_floor(floor: str, expected: tuple[str, ...]) -> None:
    paths = ["/static/css/a.css", "/static/css/b.css", "/static/js/a.js", "/static/js/b.js"]
    assert collapse([*paths, "/z.txt"], 1, floor=floor) == expected


def test_collapse_without_floor_never_invalidates_the_whole_distribution() -> None:
    assert collapse(["/a.css", "/b.css", "/c.css"], 1) == ("/a.css", "/b.css", "/c.css")


def test_default_threshold_keeps_a_typical_change_exact() -> None:
    paths = [f"/static/css/{i}.css" for i in range(DEFAULT_THRESHOLD)]
    assert collapse(paths, DEFAULT_THRESHOLD) == tuple(sorted(paths))


@pytest.mark.parametrize(
    ("wildcards", "plain", "sizes", "wildcards_per_batch"),
    [
        (0, 0, [], []),
        (0, 3000, [3000], [0]),
        (0, 3001, [3000, 1], [0, 0]),
        (15, 10, [25], [15]),
        (16, 10, [25, 1], [15, 1]),
        (20, 5990, [3000, 3000, 10], [15, 5, 0]),
    ],
)
def test_batches_respect_cloudfront_limits(
    wildcards: int, plain: int, sizes: list[int], wildcards_per_batch: list[int]
) -> None:
    paths = [f"/w{i}/*" for i in range(wildcards)] + [f"/f{i}" for i in range(plain)]
    result = batches(paths)
    assert [len(b) for b in result] == sizes
    assert [sum(p.endswith("*") for p in b) for b in result] == wildcards_per_batch
    assert sorted(p for b in result for p in b) == sorted(paths)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (("r1", ["/a", "/b"]), ("r1", ["/b", "/a", "/a"]), True),
        (("r1", ["/a"]), ("r2", ["/a"]), False),
        (("r1", ["/a"]), ("r1", ["/a", "/b"]), False),
    ],
)
def test_caller_reference_depends_only_on_release_and_path_set(
    a: tuple[str, list[str]], b: tuple[str, list[str]], same: bool
) -> None:
    assert (caller_reference(*a) == caller_reference(*b)) is same
    assert caller_reference(*a).startswith("cdnpub-")


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fake credentials only; no shared config, no instance metadata, no real AWS."""
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    fake_aws_env(monkeypatch, tmp_path)


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def moto_cf() -> Iterator[tuple[Any, str]]:
    """An in-process moto CloudFront with one distribution in front of `bucket`."""
    with mock_aws():
        client = new_client()
        response = client.create_distribution(
            DistributionConfig={
                "CallerReference": "test",
                "Comment": "",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "s3",
                            "DomainName": "bucket.s3.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all"},
            }
        )
        yield client, response["Distribution"]["Id"]


def count_requests(client: Any) -> list[str]:
    seen: list[str] = []
    client.meta.events.register("before-call", lambda model, **_: seen.append(model.name))
    return seen


def listed(client: Any, dist_id: str) -> list[dict[str, Any]]:
    found = client.list_invalidations(DistributionId=dist_id)["InvalidationList"]
    return [
        client.get_invalidation(DistributionId=dist_id, Id=item["Id"])["Invalidation"]
        for item in found.get("Items", [])
    ]


def new_client(**options: Any) -> Any:
    """A client from a fresh session: boto3's default session caches credentials."""
    return boto3.Session().client("cloudfront", **options)


def stubbed(fake_time: FakeTime, **options: Any) -> tuple[CloudFront, Stubber]:
    client = new_client()
    stubber = Stubber(client)
    stubber.activate()
    cdn = CloudFront(client, DIST, sleep=fake_time.sleep, clock=fake_time.clock, **options)
    return cdn, stubber


def created(inv_id: str, status: str, paths: list[str]) -> dict[str, Any]:
    """A CreateInvalidation response."""
    location = f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{DIST}/invalidation"
    return {"Location": f"{location}/{inv_id}", **polled(inv_id, status, paths)}


def polled(inv_id: str, status: str, paths: list[str]) -> dict[str, Any]:
    """A GetInvalidation response."""
    return {
        "Invalidation": {
            "Id": inv_id,
            "Status": status,
            "CreateTime": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
            "InvalidationBatch": {
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": "ref",
            },
        },
    }


# -- the client over moto ----------------------------------------------------------------


def test_invalidate_creates_one_invalidation_with_the_paths(moto_cf: tuple[Any, str]) -> None:
    client, dist_id = moto_cf
    (inv,) = CloudFront(client, dist_id).invalidate(["/static/b.css", "/static/a.css"], "r1")
    (stored,) = listed(client, dist_id)
    assert stored["Id"] == inv.id
    assert stored["InvalidationBatch"]["Paths"]["Items"] == ["/static/a.css", "/static/b.css"]
    assert stored["InvalidationBatch"]["CallerReference"] == inv.caller_reference


def test_invalidate_with_no_paths_sends_no_request(moto_cf: tuple[Any, str]) -> None:
    client, dist_id = moto_cf
    requests = count_requests(client)
    assert CloudFront(client, dist_id).invalidate([], "r1") == ()
    assert requests == []


@pytest.mark.usefixtures("caller_reference_semantics")
def test_same_release_twice_leaves_one_invalidation(moto_cf: tuple[Any, str]) -> None:
    client, dist_id = moto_cf
    first = CloudFront(client, dist_id).invalidate(["/static/app.css"], "r1")
    again = CloudFront(client, dist_id).invalidate(["/static/app.css"], "r1")
    assert again == first
    assert len(listed(client, dist_id)) == 1


@pytest.mark.usefixtures("caller_reference_semantics")
def test_a_new_release_creates_a_new_invalidation(moto_cf: tuple[Any, str]) -> None:
    client, dist_id = moto_cf
    CloudFront(client, dist_id).invalidate(["/static/app.css"], "r1")
    CloudFront(client, dist_id).invalidate(["/static/app.css"], "r2")
    assert len(listed(client, dist_id)) == 2


def test_invalidate_sends_one_batch_per_limit_with_indexed_references(
    moto_cf: tuple[Any, str],
) -> None:
    client, dist_id = moto_cf
    created = CloudFront(client, dist_id).invalidate([f"/s/{i}/*" for i in range(16)], "r1")
    assert [len(inv.paths) for inv in created] == [15, 1]
    assert [inv.caller_reference[-2:] for inv in created] == ["-0", "-1"]
    assert len(listed(client, dist_id)) == 2


def test_unknown_distribution_is_a_user_error(moto_cf: tuple[Any, str]) -> None:
    client, _ = moto_cf
    with pytest.raises(UserError, match="ENOSUCHDIST does not exist"):
        CloudFront(client, "ENOSUCHDIST").invalidate(["/static/app.css"], "r1")


def test_wait_returns_completed_invalidations(moto_cf: tuple[Any, str]) -> None:
    client, dist_id = moto_cf
    cdn = CloudFront(client, dist_id)
    (done,) = cdn.wait(cdn.invalidate(["/static/app.css"], "r1"), timeout=60)
    assert done.completed  # moto says "COMPLETED", CloudFront "Completed"


def test_domain_name_is_fetched_once(moto_cf: tuple[Any, str]) -> None:
    client, dist_id = moto_cf
    requests = count_requests(client)
    cdn = CloudFront(client, dist_id)
    assert cdn.domain_name().endswith(".cloudfront.net")
    assert cdn.domain_name() == cdn.domain_name()
    assert cdn.origin_domains() == ("bucket.s3.amazonaws.com",)
    assert requests == ["GetDistribution"]


@pytest.mark.parametrize(("bucket", "served"), [("bucket", True), ("other", False), ("buck", False)])
def test_serves_bucket_checks_the_origins(moto_cf: tuple[Any, str], bucket: str, served: bool) -> None:
    client, dist_id = moto_cf
    assert CloudFront(client, dist_id).serves_bucket(bucket) is served


# -- retries, waits and errors over a Stubber ---------------------------------------------


def test_invalidate_retries_too_many_invalidations_in_progress(fake_time: FakeTime) -> None:
    cdn, stubber = stubbed(fake_time)
    for _ in range(2):
        stubber.add_client_error("create_invalidation", "TooManyInvalidationsInProgress", "busy")
    stubber.add_response("create_invalidation", created("I1", "InProgress", ["/a"]))
    (inv,) = cdn.invalidate(["/a"], "r1")
    assert inv.id == "I1"
    assert len(fake_time.sleeps) == 2
    assert fake_time.sleeps[1] > fake_time.sleeps[0] / 2  # backing off, with jitter
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(("code", "status"), [("Throttling", 400), ("InternalError", 503)])
def test_throttling_and_server_errors_are_left_to_botocore_retries(
    fake_time: FakeTime, code: str, status: int
) -> None:
    cdn, stubber = stubbed(fake_time)
    stubber.add_client_error("create_invalidation", code, "slow down", http_status_code=status)
    with pytest.raises(RemoteError, match=code):
        cdn.invalidate(["/a"], "r1")
    assert fake_time.sleeps == []


def test_invalidate_gives_up_after_max_attempts(fake_time: FakeTime) -> None:
    cdn, stubber = stubbed(fake_time, max_attempts=3)
    for _ in range(3):
        stubber.add_client_error("create_invalidation", "TooManyInvalidationsInProgress", "busy")
    with pytest.raises(RemoteError, match=f"{DIST} still had too many invalidations"):
        cdn.invalidate(["/a"], "r1")
    assert len(fake_time.sleeps) == 2


def test_wait_polls_until_completed(fake_time: FakeTime) -> None:
    cdn, stubber = stubbed(fake_time, poll_interval=5)
    stubber.add_response("get_invalidation", polled("I1", "InProgress", ["/a"]))
    stubber.add_response("get_invalidation", polled("I1", "Completed", ["/a"]))
    seen: list[str] = []
    started = Invalidation("I1", "InProgress", ("/a",), "ref")
    (done,) = cdn.wait([started], timeout=60, on_poll=lambda inv: seen.append(inv.status))
    assert done.status == "Completed"
    assert seen == ["InProgress", "Completed"]
    assert fake_time.sleeps == [5]


def test_wait_timeout_is_a_remote_error_naming_the_invalidation(fake_time: FakeTime) -> None:
    cdn, stubber = stubbed(fake_time, poll_interval=10)
    for _ in range(4):
        stubber.add_response("get_invalidation", polled("I1", "InProgress", ["/a"]))
    started = Invalidation("I1", "InProgress", ("/a",), "ref")
    with pytest.raises(RemoteError, match=r"invalidation I1 .* keeps running"):
        cdn.wait([started], timeout=30)
    assert fake_time.now == 30


def test_wait_with_nothing_to_wait_for_sends_no_request(fake_time: FakeTime) -> None:
    cdn, _ = stubbed(fake_time)  # any request would fail: nothing is stubbed
    assert cdn.wait([], timeout=0) == ()


def test_access_denied_names_the_missing_permission(fake_time: FakeTime) -> None:
    cdn, stubber = stubbed(fake_time)
    stubber.add_client_error("create_invalidation", "AccessDenied", "denied", 403)
    with pytest.raises(UserError, match=f"{DIST}.*cloudfront:CreateInvalidation") as err:
        cdn.invalidate(["/a"], "r1")
    assert "testing" not in str(err.value)


def test_reused_reference_with_other_paths_is_a_remote_error(fake_time: FakeTime) -> None:
    cdn, stubber = stubbed(fake_time)
    stubber.add_client_error("create_invalidation", "InvalidationBatchAlreadyExists", "in use")
    with pytest.raises(RemoteError, match="same CallerReference"):
        cdn.invalidate(["/a"], "r1")


def test_other_client_errors_are_remote_errors_with_the_code(fake_time: FakeTime) -> None:
    cdn, stubber = stubbed(fake_time)
    stubber.add_client_error(
        "create_invalidation",
        "InvalidArgument",
        "Your request contains one or more invalid invalidation paths.",
        expected_params={"DistributionId": DIST, "InvalidationBatch": ANY},
    )
    with pytest.raises(RemoteError, match="InvalidArgument: Your request contains"):
        cdn.invalidate(["/a"], "r1")


def test_missing_credentials_are_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    client = new_client(endpoint_url="http://127.0.0.1:9")  # never AWS, whatever happens
    with pytest.raises(UserError, match=f"no usable AWS credentials for .* {DIST}"):
        CloudFront(client, DIST).invalidate(["/a"], "r1")


def test_unreachable_endpoint_is_a_remote_error() -> None:
    # Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
    client = new_client(
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(RemoteError, match=f"cannot reach CloudFront for distribution {DIST}"):
        CloudFront(client, DIST).invalidate(["/a"], "r1")
