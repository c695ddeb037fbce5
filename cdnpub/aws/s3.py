"""The S3 store: one listing, uploads, copies in place, deletes, private bookkeeping.

Knows S3, not plans. S3's errors become cdnpub's in `s3_errors`, once, with the
bucket or key in the message; botocore's own retry mode does the retrying.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cdnpub.aws.clients import ACCESS_DENIED, PART_CONCURRENCY, error_code, error_message, retries
from cdnpub.build.digest import MULTIPART_CHUNKSIZE, MULTIPART_THRESHOLD, read_all, read_chunks
from cdnpub.build.model import Asset
from cdnpub.errors import CdnpubError, LeaseConflict, NoSuchBucket, RemoteError, UserError
from cdnpub.sync.plan import Blob, Listing, RemoteObject
from cdnpub.urls import under

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef


COPY_OBJECT_LIMIT = 5 * 1024**3  # bytes one CopyObject may copy


_EXTRA_PARAMS = {
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "content-language": "ContentLanguage",
    "expires": "Expires",
}


_USER_CODES = {
    "AccessDenied": "access denied to s3://{where}: the credentials lack s3:ListBucket, "
    "s3:GetObject, s3:PutObject or s3:DeleteObject on it",
    "AllAccessDisabled": "access denied to s3://{where}",
    "InvalidAccessKeyId": "the AWS access key is not valid (check the credentials or --profile)",
    "SignatureDoesNotMatch": "the AWS secret key does not match the access key (check the credentials)",
    "ExpiredToken": "the AWS session token has expired; renew the credentials",
    "InvalidToken": "the AWS session token is not valid; renew the credentials",
    "PermanentRedirect": "bucket {bucket} is in another region; pass --region with the bucket's region",
    "AuthorizationHeaderMalformed": "bucket {bucket} is in another region; pass --region with its region",
    "IllegalLocationConstraintException": "bucket {bucket} is in another region; pass --region",
    "InvalidBucketName": "{bucket} is not a valid bucket name",
    "RequestTimeTooSkewed": "this machine's clock is too far from S3's: set it right (NTP) and run again",
}


LIST_PAGE = 1000  # keys one ListObjectsV2 returns at most


def _cuts(expected: Iterable[str], start: str) -> list[str]:
    """Every (9/10 LIST_PAGE)-th of the expected keys under `start`, in S3's listing order:
    the ends of ranges that one page lists whole even with a tenth more objects than
    expected (the records, the old objects of what changed), so that a range seldom waits
    for a second page. Smaller ranges cost more: where the client's CPU is the limit (it
    parses every page), 750 keys a range took 15 % longer than 1,000 at 40,000 keys."""
    keys = sorted({k for k in expected if k.startswith(start)})
    step = max(1, LIST_PAGE * 9 // 10)
    return keys[step - 1 : -1 : step]


@contextmanager
def s3_errors(bucket: str, key: str = "") -> Iterator[None]:
    """Turn botocore's exceptions into one-line cdnpub errors naming what failed."""
    import boto3.exceptions
    import botocore.exceptions

    where = f"{bucket}/{key}" if key else bucket
    try:
        yield
    except boto3.exceptions.S3UploadFailedError as err:
        # s3transfer wraps the ClientError of a multipart upload: map what it wraps.
        cause = err.__cause__ or err.__context__
        raise _translate(cause if isinstance(cause, Exception) else err, bucket, where) from None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        raise _translate(err, bucket, where) from None


def _translate(err: Exception, bucket: str, where: str) -> CdnpubError:
    import botocore.exceptions

    if isinstance(err, botocore.exceptions.NoCredentialsError):
        return UserError(
            "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE "
            "or --profile, or run where an IAM role applies"
        )
    if isinstance(err, botocore.exceptions.PartialCredentialsError):
        return UserError(f"incomplete AWS credentials: {err}")
    if isinstance(err, botocore.exceptions.ClientError):
        code = error_code(err)
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code == "NoSuchBucket":
            return NoSuchBucket(bucket)
        if code in _USER_CODES:
            return UserError(_USER_CODES[code].format(bucket=bucket, where=where))
        if code in ACCESS_DENIED:  # a HEAD's 403 has no body, hence no better code
            return UserError(_USER_CODES["AccessDenied"].format(where=where))
        if code in ("301", "MovedPermanently") or status == 301:
            return UserError(_USER_CODES["PermanentRedirect"].format(bucket=bucket))
        message = error_message(err)
        return RemoteError(f"s3://{where}: {code or status} {message}".strip())
    if isinstance(err, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError)):
        return RemoteError(f"cannot reach the S3 endpoint for s3://{where}: {err}")
    return RemoteError(f"s3://{where}: {err}")


class _VerifyingReader(io.RawIOBase):
    """Streams an asset's published bytes to s3transfer, hashing them on the way, so a
    file that changed since the build (even to the same size and mtime) is caught
    without a second read: at the end of the stream, before s3transfer completes the
    multipart upload, so other bytes never become the object at all."""

    def __init__(self, asset: Asset) -> None:
        self._asset = asset
        self._chunks = read_chunks(asset.fs_path, asset.source_size, asset.edits)
        self._buffer = b""
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                if self.sha256.hexdigest() != self._asset.sha256:
                    raise _changed(self._asset)  # s3transfer aborts the upload
                return 0
            self.sha256.update(chunk)
            self._buffer = chunk
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _stamp(asset: Asset) -> tuple[int, int]:
    try:
        st = os.stat(asset.fs_path)
    except OSError as err:
        raise UserError(f"cannot read {asset.fs_path}: {err.strerror}") from None
    return st.st_size, st.st_mtime_ns


def _changed(asset: Asset) -> UserError:
    return UserError(f"{asset.fs_path} changed since the build; run again when it is stable")


class S3Store:
    def __init__(self, client: S3Client, bucket: str) -> None:
        from boto3.s3.transfer import TransferConfig

        self.client = client
        self.bucket = bucket
        self._transfer = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD,
            multipart_chunksize=MULTIPART_CHUNKSIZE,
            max_concurrency=PART_CONCURRENCY,
        )
        # A rewritten (streamed) big file buffers up to this many parts (s3transfer's own
        # setting, which boto3's constructor does not take).
        self._transfer.max_in_memory_upload_chunks = 4
        # Told the bytes of a multipart upload as its parts go (key, bytes; s3transfer's
        # threads), so that a progress display moves during a big file, not after it.
        self.on_bytes: Callable[[str, int], None] | None = None

    def listing(
        self, prefix: str, within: str | None = None, *, expected: Iterable[str] = (), jobs: int = 1
    ) -> Listing:
        """Every object under the prefix (or under `within`, a deeper key prefix): paginated
        ListObjectsV2, never a HEAD per file.

        One paginated listing is one request per 1,000 keys, each waiting for the last: at
        100,000 files (200,000 keys) 200 round trips before the first write. With the keys
        the caller expects there (`expected`, in any order) and `jobs` > 1, the key space is
        cut after every 900th expected key and the ranges are listed at once (StartAfter
        each cut), `jobs` at a time: a tenth more requests than one listing, in
        ranges / jobs round trips. The ranges cover the whole key space whatever the
        bucket holds, so the result is the same set of objects: `expected` only decides
        where to cut, and objects deleted out of band or left by older releases are
        found as before."""
        start = within if within is not None else under(prefix)
        cuts = _cuts(expected, start)
        if jobs <= 1 or not cuts:
            return Listing(prefix, self._list_range(start, None, None))
        bounds = list(zip([None, *cuts], [*cuts, None], strict=True))
        objects: dict[str, RemoteObject] = {}
        with ThreadPoolExecutor(min(jobs, len(bounds)), thread_name_prefix="cdnpub-list") as pool:
            # In key order: a range that ran past its end listed the first keys of the next
            # one, which keep their place, so the objects come in S3's order, unsorted.
            for found in pool.map(lambda b: self._list_range(start, *b), bounds):
                objects.update(found)
        return Listing(prefix, objects)

    def _list_range(self, start: str, after: str | None, until: str | None) -> dict[str, RemoteObject]:
        """The objects under `start` past `after` (all when None), up to `until` and maybe
        a page beyond it (to the end when None)."""
        objects: dict[str, RemoteObject] = {}
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Prefix": start,
            "PaginationConfig": {"PageSize": LIST_PAGE},
        }
        if after is not None:
            params["StartAfter"] = after
        with s3_errors(self.bucket, after or start):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(**params):
                contents = page.get("Contents", [])
                for o in contents:
                    key = o["Key"]
                    objects[key] = RemoteObject(key, o["Size"], o["ETag"].strip('"'), o["LastModified"])
                if until is not None and contents and contents[-1]["Key"] >= until:
                    break  # S3 lists keys in UTF-8 byte order, which is str's code point order
        return objects

    def upload(self, blob: Blob) -> None:
        asset = blob.asset
        params = self._headers(blob)
        with s3_errors(self.bucket, blob.key):
            if asset.size < MULTIPART_THRESHOLD:
                body = read_all(asset.fs_path, asset.source_size, asset.edits)
                if hashlib.sha256(body).hexdigest() != asset.sha256:
                    raise _changed(asset)
                self.client.put_object(Bucket=self.bucket, Key=blob.key, Body=body, **params)
                return
            if _stamp(asset) != (asset.source_size, asset.source_mtime_ns):
                raise _changed(asset)  # found before a byte is sent
            # Streamed and hashed on the way, edited or not: size and mtime cannot tell a
            # file rewritten in place with the same size (cp -p, rsync -t, a build tool
            # that restores mtimes), and an immutable key must never name other bytes.
            # Memory stays a few parts (max_in_memory_upload_chunks) whatever the size.
            reader = _VerifyingReader(asset)
            told = self.on_bytes
            self.client.upload_fileobj(
                io.BufferedReader(reader, MULTIPART_CHUNKSIZE),
                self.bucket,
                blob.key,
                ExtraArgs=params,
                Callback=None if told is None else (lambda n: told(blob.key, n)),
                Config=self._transfer,
            )
            intact = reader.sha256.hexdigest() == asset.sha256
        if not intact:
            # A fingerprinted key names other bytes than it may hold: take it away before
            # failing. Never a plain name: its URL is live, and a 404 is worse than bytes
            # the next publish compares and replaces.
            if not blob.plain:
                self.delete([blob.key])
            raise _changed(asset)

    def copy(self, blob: Blob, source: str) -> None:
        """Write `blob` from the bytes at `source` in the same bucket, with the blob's
        headers: server-side, no bytes sent (a header fix is a copy onto the key itself)."""
        params = self._headers(blob)
        origin: CopySourceTypeDef = {"Bucket": self.bucket, "Key": source}
        with s3_errors(self.bucket, blob.key):
            if blob.asset.size < COPY_OBJECT_LIMIT:
                self.client.copy_object(
                    Bucket=self.bucket, Key=blob.key, CopySource=origin, MetadataDirective="REPLACE", **params
                )
            else:  # past CopyObject's limit: s3transfer's multipart copy (UploadPartCopy)
                extra = {**params, "MetadataDirective": "REPLACE"}
                self.client.copy(origin, self.bucket, blob.key, ExtraArgs=extra, Config=self._transfer)

    def put_private(self, key: str, body: bytes, content_type: str) -> None:
        """cdnpub's own bookkeeping (release records, markers): never cached."""
        with s3_errors(self.bucket, key):
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, CacheControl="no-store"
            )

    def put_conditional(self, key: str, body: bytes, content_type: str, if_match: str | None) -> str:
        """PutObject with If-Match (`if_match`, an ETag) or If-None-Match: * (None): S3's
        conditional writes (2024). 412 PreconditionFailed and 409
        ConditionalRequestConflict (a concurrent write to the key) are LeaseConflict."""
        import botocore.exceptions

        condition: dict[str, Any] = {"IfNoneMatch": "*"} if if_match is None else {"IfMatch": f'"{if_match}"'}
        with s3_errors(self.bucket, key):
            try:
                answer = self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                    CacheControl="no-store", **condition,
                )  # fmt: skip
            except botocore.exceptions.ClientError as err:
                status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if error_code(err) in ("PreconditionFailed", "ConditionalRequestConflict") or status in (
                    409,
                    412,
                ):
                    raise LeaseConflict(f"s3://{self.bucket}/{key}: {error_code(err) or status}") from None
                raise
        return str(answer.get("ETag", "")).strip('"')

    def get_bytes(self, key: str, limit: int | None = None) -> bytes:
        """The whole object. botocore retries a request but not the reading of its body:
        a body cut short (or stalled) is fetched again, with the same attempts and a
        backoff like botocore's, so one dropped connection does not fail a publish."""
        import botocore.exceptions

        broken_body = (
            botocore.exceptions.IncompleteReadError,
            botocore.exceptions.ResponseStreamingError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectionClosedError,
        )
        attempts = retries()["total_max_attempts"]
        with s3_errors(self.bucket, key):
            for attempt in range(1, attempts + 1):
                try:
                    body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
                    return body.read() if limit is None else body.read(limit)
                except broken_body:
                    if attempt == attempts:
                        raise
                    time.sleep(random.uniform(0, min(20.0, 0.5 * 2**attempt)))
        raise AssertionError("unreachable")

    def carries(self, blob: Blob) -> bool:
        """A HEAD of blob.key against the headers `upload` would send. A blob with an
        `Expires` rule never carries it: S3 answers a date in its own format, and a
        header fix that was not needed costs one copy, while a wrong match would keep
        wrong headers on a key served for a year."""
        import botocore.exceptions

        wanted = self._headers(blob)
        if "Expires" in wanted:
            return False
        with s3_errors(self.bucket, blob.key):
            try:
                answer = self.client.head_object(Bucket=self.bucket, Key=blob.key)
            except botocore.exceptions.ClientError as err:
                if error_code(err) not in ("404", "NoSuchKey", "NotFound"):
                    raise
                return False
        names = ("ContentType", "CacheControl", *_EXTRA_PARAMS.values())
        said: dict[str, Any] = dict(answer)  # a TypedDict read by names from a table
        found = {name: said[name] for name in names if said.get(name)}
        if said.get("Metadata"):
            found["Metadata"] = dict(said["Metadata"])
        return found == wanted

    def delete(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys a call
            batch = keys[start : start + 1000]
            with s3_errors(self.bucket, batch[0]):
                result = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
            errors = result.get("Errors", [])
            if errors:
                first = errors[0]
                raise RemoteError(
                    f"could not delete {len(errors)} objects, first s3://{self.bucket}/{first.get('Key')}: "
                    f"{first.get('Code')} {first.get('Message')}"
                )

    @staticmethod
    def _headers(blob: Blob) -> dict[str, Any]:
        params: dict[str, Any] = {"ContentType": blob.content_type, "CacheControl": blob.cache_control}
        metadata = {}
        for name, value in blob.extra:
            if name.startswith("x-amz-meta-"):
                metadata[name.removeprefix("x-amz-meta-")] = value
            else:
                params[_EXTRA_PARAMS[name]] = value
        if metadata:
            params["Metadata"] = metadata
        return params
