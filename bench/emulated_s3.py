"""What the sync benchmark adds to the embedded emulator (cdnpub.local.Emulator, moto) so
that it stands for S3 in the latency-bound scenarios:

- `Latency`: the per-request hook waits a fixed delay before moto answers. The server is
  threaded, so the waits of concurrent requests overlap, as S3's round trips do; what a
  client gains by keeping requests in flight shows, as it does against S3.
- `FastListing`: ListObjectsV2 (without a delimiter) answered from a sorted index of the
  bucket's keys. moto scans and sorts the whole bucket on every page and serializes each
  page through its generic XML serializer: at 40,000 keys about 150 ms of CPU a page on
  this machine, so a listing measured against it measures moto's CPU, not round trips.
  S3's own work per page does not land on the client's machine. The index answers a page
  in a few ms; the objects, ETags, sizes and times are moto's own.
- `waves`: the sequential round trips of one run, from the arrival times of its requests.
"""

from __future__ import annotations

import base64
import bisect
import math
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from cdnpub.local.emulator import Request

_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'


class Latency:
    """An on_request hook: `inner` sees the request (counts it), then the request waits
    `delay_s` in its own server thread before moto handles it."""

    def __init__(self, inner: Callable[[Request], int | None], delay_s: float) -> None:
        self.inner = inner
        self.delay_s = delay_s

    def __call__(self, request: Request) -> int | None:
        status = self.inner(request)
        if self.delay_s:
            time.sleep(self.delay_s)
        return status


def waves(arrivals: Sequence[float], delay_s: float) -> list[int]:
    """The sequential round trips a client waited for, as the sizes of its waves of requests.

    `arrivals` are the times (s, one clock) the server saw each request of one run. Every
    request is held `delay_s` before its answer, so it occupies at least [arrival, arrival +
    delay_s]; requests whose intervals overlap were in flight together: one round trip. A
    request that arrives after every earlier one's interval ended could have waited for an
    answer (a listing, a record, an earlier phase): the start of the next round trip. Client
    CPU between phases adds no wave; a gap longer than the delay with nothing in flight does,
    as it would cost a round trip against S3 too. Needs delay_s > 0; [] when nothing came.
    """
    sizes: list[int] = []
    end = -math.inf
    for arrival in sorted(arrivals):
        if arrival >= end:
            sizes.append(0)
        sizes[-1] += 1
        end = max(end, arrival + delay_s)
    return sizes


class FastListing:
    """`with FastListing():` ListObjectsV2 without a delimiter answered from a sorted index
    (rebuilt when the bucket's set of keys changed); every other request is moto's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: dict[str, tuple[list[str], list[str]]] = {}  # bucket: (keys as stored, sorted)
        self._original: Any = None
        self.pages = 0

    def __enter__(self) -> FastListing:
        from moto.s3.responses import S3Response

        self._original = S3Response.list_objects_v2
        fast = self

        def list_objects_v2(response: Any) -> Any:
            query = response.querystring
            if query.get("delimiter") or query.get("fetch-owner"):
                return fast._original(response)
            return fast.page(response)

        S3Response.list_objects_v2 = list_objects_v2
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.s3.responses import S3Response

        S3Response.list_objects_v2 = self._original

    def _sorted(self, bucket: Any) -> list[str]:
        stored = list(bucket.keys)  # insertion order; one C-level copy under the GIL
        with self._lock:
            known = self._index.get(bucket.name)
            if known is not None and known[0] == stored:
                return known[1]
        names = sorted(stored)  # code point order = UTF-8 byte order, S3's listing order
        with self._lock:
            self._index[bucket.name] = (stored, names)
        return names

    def page(self, response: Any) -> tuple[int, dict[str, str], str]:
        query = response.querystring
        bucket = response.backend.get_bucket(response.bucket_name)
        prefix = query.get("prefix", [""])[0] or ""
        max_keys = min(int(query.get("max-keys", ["1000"])[0]), 1000)
        token = query.get("continuation-token", [None])[0]
        start_after = query.get("start-after", [None])[0]
        url = query.get("encoding-type", [None])[0] == "url"
        names = self._sorted(bucket)
        after = base64.urlsafe_b64decode(token.encode()).decode() if token else start_after
        low = bisect.bisect_left(names, prefix)
        if after:
            low = max(low, bisect.bisect_right(names, after))
        keys: list[str] = []
        position = low
        while position < len(names) and len(keys) < max_keys and names[position].startswith(prefix):
            keys.append(names[position])
            position += 1
        truncated = position < len(names) and names[position].startswith(prefix)

        def text(value: str) -> str:
            return escape(urllib.parse.quote(value) if url else value)

        parts = [_HEAD, f"<Name>{escape(bucket.name)}</Name><Prefix>{text(prefix)}</Prefix>"]
        parts.append(f"<MaxKeys>{max_keys}</MaxKeys><KeyCount>{len(keys)}</KeyCount>")
        parts.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        if token:
            parts.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
        if truncated:
            next_token = base64.urlsafe_b64encode(keys[-1].encode()).decode()
            parts.append(f"<NextContinuationToken>{next_token}</NextContinuationToken>")
        if start_after:
            parts.append(f"<StartAfter>{text(start_after)}</StartAfter>")
        if url:
            parts.append("<EncodingType>url</EncodingType>")
        for name in keys:
            key = bucket.keys[name]
            parts.append(
                f"<Contents><Key>{text(name)}</Key><LastModified>{key.last_modified_ISO8601}</LastModified>"
                f"<ETag>{escape(key.etag)}</ETag><Size>{key.size}</Size>"
                f"<StorageClass>{key.storage_class}</StorageClass></Contents>"
            )
        parts.append("</ListBucketResult>")
        with self._lock:
            self.pages += 1
        return 200, {"Content-Type": "application/xml"}, "".join(parts)
