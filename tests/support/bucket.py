"""What a bucket on the moto server holds: its keys and objects, the requests that wrote
to it, and the live-site invariant (every fingerprinted key a stored page or the newest
release record references is there)."""

from __future__ import annotations

import gzip
import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from cdnpub.sync.lease import free_by_listing
from cdnpub.sync.plan import RemoteObject
from tests.support.aws import MotoServer

RELEASES = "/.cdnpub/releases/"
FINGERPRINTED = re.compile(r"\.[0-9a-f]{10}\.[^./]+$|[.-](?=[0-9a-f]*[0-9])[0-9a-f]{8,64}\.[^./]+$")
_CSS_REF = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
_MAP_REF = re.compile(r"[#@] sourceMappingURL=(\S+?)\s*(?:\*/)?\s*$", re.M)
# A module's relative imports (`from "./x.js"`, `import "./x.js"`, `import("./x.js")`): a
# plain module keeps them as written, so they name plain keys, which must exist too.
_JS_IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}/[^'"]+)['"]""")


def bucket_writes(server: MotoServer, bucket: str) -> list[Any]:
    """The writes to `bucket` but its lease's (a refused publish took it and gave it up)."""
    return [r for r in server.site_writes() if r.path.startswith(f"/{bucket}/") or r.path == f"/{bucket}"]


def keys(server: MotoServer, bucket: str) -> set[str]:
    return set(listing(server, bucket))


def stored(server: MotoServer, bucket: str) -> dict[str, dict[str, Any]]:
    """key -> get_object response of every object but cdnpub's own records."""
    s3 = server.client()
    return {k: s3.get_object(Bucket=bucket, Key=k) for k in listing(server, bucket) if "/.cdnpub/" not in k}


def empty_bucket(server: MotoServer, bucket: str) -> None:
    """A fresh start in a bucket several tests share (one with a fixed name), if it exists."""
    from cdnpub.local.provision import local_client

    s3 = local_client("s3", server.url)  # its own dummy credentials: some tests have none
    if bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=obj["Key"])


def listing(server: MotoServer, bucket: str) -> dict[str, str]:
    """key -> ETag of every object."""
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def release_doc(data: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return doc


def newest_release(server: MotoServer, bucket: str) -> tuple[str, dict[str, Any]] | None:
    """The newest readable release record (cdnpub ignores a corrupt one, with a warning)."""
    records = sorted(k for k in listing(server, bucket) if RELEASES in f"/{k}")
    for key in reversed(records):
        body = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        try:
            return key, release_doc(body)
        except (OSError, EOFError, ValueError):
            continue
    return None


def referenced_keys(key: str, body: bytes, content_type: str) -> set[str]:
    """Keys that a stored CSS or JS object points at (relative or root-relative): the
    fingerprinted ones its references name, and every key a module imports."""
    if not (content_type.startswith("text/css") or content_type.startswith("text/javascript")):
        return set()
    text = body.decode("utf-8", "replace")
    refs = [a or b for a, b in _CSS_REF.findall(text)] if content_type.startswith("text/css") else []
    refs += _MAP_REF.findall(text)
    imports = _JS_IMPORT.findall(text) if content_type.startswith("text/javascript") else []
    found = set()
    for ref in [*refs, *imports]:
        path = urlsplit(ref).path
        if not path or "://" in ref or ref.startswith(("data:", "//")):
            continue
        path = unquote(path)
        target = path.lstrip("/") if path.startswith("/") else posixpath.join(posixpath.dirname(key), path)
        target = posixpath.normpath(target)
        if FINGERPRINTED.search(target) or ref in imports:
            found.add(target)
    return found


def dangling(server: MotoServer, bucket: str) -> list[str]:
    """The live-site invariant, as a list of violations (empty when it holds): every
    fingerprinted key that a plain-name object or the newest release record references
    is in the bucket."""
    s3 = server.client()
    stored = listing(server, bucket)
    problems = []
    for key in stored:
        if RELEASES in f"/{key}" or FINGERPRINTED.search(key):
            continue
        obj = s3.get_object(Bucket=bucket, Key=key)
        for ref in referenced_keys(key, obj["Body"].read(), obj.get("ContentType", "")):
            if ref not in stored:
                problems.append(f"plain {key} -> missing {ref}")
    newest = newest_release(server, bucket)
    if newest is not None:
        record, doc = newest
        for key in doc["objects"]:
            if key not in stored:
                problems.append(f"record {record} -> missing {key}")
        assets = doc["manifest"].get("assets", {})
        for entry in assets.values():
            for key in (entry.get("key"), entry.get("plain_key")):
                if key and key not in stored:
                    problems.append(f"record {record} manifest -> missing {key}")
    return problems


@dataclass(frozen=True)
class Stored:
    body: bytes
    content_type: str
    cache_control: str


def snapshot(server: MotoServer, bucket: str) -> dict[str, Any]:
    """Everything a visitor or the next publish could tell about the bucket: each object's
    bytes and headers; release records by content (their keys and `created` hold the time)."""
    s3 = server.client()
    objects: dict[str, Stored] = {}
    records = []
    for key in sorted(listing(server, bucket)):
        obj = s3.get_object(Bucket=bucket, Key=key)
        body = obj["Body"].read()
        if RELEASES in f"/{key}":
            try:
                doc = release_doc(body)
            except (OSError, EOFError, ValueError):
                doc = {"corrupt": body, "created": None}
            doc.pop("created")
            records.append(doc)
            continue
        if "/.cdnpub/finished/" in f"/{key}":  # named by a lease's ETag: what it frees counts
            continue
        if key.endswith("/.cdnpub/lease.json"):  # a done lease's nonce differs each time: free or not counts
            body = json.dumps({"free": lease_free(server, bucket, key)}).encode()
        objects[key] = Stored(body, obj.get("ContentType", ""), obj.get("CacheControl", ""))
    # Sorted by id: two publishes within one second order their records by id, not time.
    return {"objects": objects, "records": sorted(records, key=lambda r: str(r["id"]))}


def lease_free(server: MotoServer, bucket: str, key: str) -> bool:
    """What the next publish's first listing tells of the lease at `key` (lease.py)."""
    prefix = key[: -len("/.cdnpub/lease.json")]
    listed: dict[str, RemoteObject] = {}
    pages = (
        server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/.cdnpub/")
    )
    for page in pages:
        for o in page.get("Contents", []):
            listed[o["Key"]] = RemoteObject(o["Key"], o["Size"], o["ETag"].strip('"'), o["LastModified"])
    return free_by_listing(listed.get(key), listed, prefix)
