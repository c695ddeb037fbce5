"""store.py turns botocore's errors into cdnpub's, once, naming the bucket or key."""

from __future__ import annotations

from pathlib import Path

import boto3
import boto3.exceptions
import botocore.exceptions
import pytest
from moto import mock_aws

from cdnpub.aws.s3 import s3_errors
from cdnpub.errors import CdnpubError, RemoteError, UserError


def client_error(code: str, status: int) -> botocore.exceptions.ClientError:
    response = {"Error": {"Code": code, "Message": "msg"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return botocore.exceptions.ClientError(response, "PutObject")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "status", "kind", "words"),
    [
        ("AccessDenied", 403, UserError, "access denied to s3://b/k"),
        ("403", 403, UserError, "access denied"),
        ("NoSuchBucket", 404, UserError, "bucket b does not exist"),
        ("PermanentRedirect", 301, UserError, "another region"),
        ("RequestTimeTooSkewed", 403, UserError, "clock"),
        ("SomethingElse", 403, RemoteError, "SomethingElse msg"),
        ("InternalError", 500, RemoteError, "InternalError msg"),
    ],
)
def test_client_errors_become_one_line_cdnpub_errors(
    code: str, status: int, kind: type[CdnpubError], words: str
) -> None:
    with pytest.raises(kind, match=words), s3_errors("b", "k"):
        raise client_error(code, status)


def test_a_failed_multipart_upload_is_mapped_by_what_it_wraps() -> None:
    with pytest.raises(UserError, match="access denied to s3://b/k"), s3_errors("b", "k"):
        try:
            raise client_error("AccessDenied", 403)
        except botocore.exceptions.ClientError as err:
            raise boto3.exceptions.S3UploadFailedError("Failed to upload") from err


def test_no_credentials_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no AWS credentials found"), s3_errors("b"):
        raise botocore.exceptions.NoCredentialsError()


def test_unreachable_endpoint_is_a_remote_error() -> None:
    with pytest.raises(RemoteError, match="cannot reach the S3 endpoint"), s3_errors("b"):
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")


@pytest.mark.parametrize("plain", [True, False])
def test_a_big_file_rewritten_with_the_same_size_and_mtime_is_refused_and_never_stored(
    fake_aws: None, tmp_path: Path, plain: bool
) -> None:
    """Size and mtime cannot tell (cp -p, rsync -t): what is streamed is hashed, and a
    mismatch aborts the multipart upload before S3 completes it, under either key."""
    import os

    from cdnpub.aws.s3 import S3Store
    from cdnpub.build.digest import MULTIPART_THRESHOLD
    from cdnpub.build.fingerprint import build
    from cdnpub.build.model import Source
    from cdnpub.build.scan import scan
    from cdnpub.sync.plan import blobs

    big = tmp_path / "static/big.bin"
    big.parent.mkdir()
    big.write_bytes(b"b" * MULTIPART_THRESHOLD)
    asset_blob = next(b for b in blobs(build([Source(scan(str(tmp_path / "static")))])) if b.plain is plain)
    stat = big.stat()
    with open(big, "r+b") as f:  # same size, one byte other, mtime put back
        f.seek(MULTIPART_THRESHOLD - 1)
        f.write(b"X")
    os.utime(big, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="store-test")
        with pytest.raises(UserError, match="changed since the build"):
            S3Store(client, "store-test").upload(asset_blob)
        stored = client.list_objects_v2(Bucket="store-test").get("Contents", [])
        pending = client.list_multipart_uploads(Bucket="store-test").get("Uploads", [])
    assert stored == []
    assert pending == []


def test_a_release_record_read_cut_short_is_read_again(
    fake_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cdnpub.aws import s3 as store
    from cdnpub.aws.s3 import S3Store

    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="store-test")
        client.put_object(Bucket="store-test", Key="static/.cdnpub/releases/r.json.gz", Body=b"record")
        real = client.get_object
        calls = []

        def cut_short_once(**kwargs: object) -> object:
            calls.append(kwargs)
            response = real(**kwargs)
            if len(calls) == 1:
                body = response["Body"]

                def read(*args: object) -> bytes:
                    raise botocore.exceptions.IncompleteReadError(actual_bytes=3, expected_bytes=6)

                body.read = read
            return response

        monkeypatch.setattr(client, "get_object", cut_short_once)
        data = S3Store(client, "store-test").get_bytes("static/.cdnpub/releases/r.json.gz")
    assert data == b"record"
    assert len(calls) == 2


def test_a_body_cut_short_every_time_is_a_remote_error(
    fake_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cdnpub.aws import s3 as store
    from cdnpub.aws.s3 import S3Store

    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        calls = []

        def always_cut(**kwargs: object) -> object:
            calls.append(kwargs)
            raise botocore.exceptions.ResponseStreamingError(error="connection reset")

        monkeypatch.setattr(client, "get_object", always_cut)
        with pytest.raises(RemoteError, match="s3://store-test/k"):
            S3Store(client, "store-test").get_bytes("k")
    assert len(calls) == 3


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-30T18:00:00.000Z",  # S3's listings
        "2026-11-30T18:00:00Z",
        "2026-11-30T18:00:00.123456+02:00",
        "Mon, 30 Nov 2026 18:00:00 GMT",  # HTTP dates (Last-Modified headers)
        1764525600,  # epoch seconds
        "1764525600",
    ],
)
def test_timestamps_read_as_botocore_reads_them(value: object) -> None:
    from botocore.utils import parse_timestamp

    from cdnpub.aws.clients import timestamp

    ours = timestamp(value)
    assert ours == parse_timestamp(value) and ours.utcoffset() is not None


def test_listing_times_are_aware_datetimes(tmp_path: Path) -> None:
    from cdnpub.aws.clients import Connection, s3_client
    from cdnpub.aws.s3 import S3Store

    with mock_aws():
        client = s3_client(Connection(region="us-east-1"), 4)
        client.create_bucket(Bucket="times")
        client.put_object(Bucket="times", Key="static/a.css", Body=b"a")
        (found,) = S3Store(client, "times").listing("static").objects.values()
        assert found.last_modified.utcoffset() is not None


def test_carries_tells_the_headers_upload_sends_from_any_other(fake_aws: None, tmp_path: Path) -> None:
    """What a publish that finishes an interrupted one reads back instead of copying in place."""
    from dataclasses import replace

    from cdnpub.aws.s3 import S3Store
    from cdnpub.build.fingerprint import build
    from cdnpub.build.model import Source
    from cdnpub.build.scan import scan
    from cdnpub.sync.plan import blobs

    (tmp_path / "static").mkdir()
    (tmp_path / "static/a.css").write_text("a{}")
    blob = next(b for b in blobs(build([Source(scan(str(tmp_path / "static")))])) if not b.plain)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="heads")
        store = S3Store(client, "heads")
        assert not store.carries(blob)  # missing: no error, a fix to make
        store.upload(blob)
        assert store.carries(blob)
        assert not store.carries(replace(blob, cache_control="public, max-age=60"))
        assert not store.carries(replace(blob, extra=(("content-language", "fr"),)))
        assert not store.carries(replace(blob, extra=(("expires", "Thu, 01 Jan 2037 00:00:00 GMT"),)))
        with_meta = replace(blob, extra=(("x-amz-meta-team", "web"),))
        store.upload(with_meta)
        assert store.carries(with_meta) and not store.carries(blob)
