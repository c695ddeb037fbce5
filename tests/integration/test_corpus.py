"""Real npm trees (tests/corpus.py) published to a moto server over HTTP: every reference
in a published stylesheet or script names a published key as S3 reads a path (or the build
warned about it), every object holds the bytes its manifest entry describes, immutable keys
never change, builds are reproducible and a republish writes nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_plus, urljoin, urlsplit

import pytest
import tinycss2
from click.testing import CliRunner

from cdnpub.build.references import JS_TAIL_BYTES
from cdnpub.cli import cli
from cdnpub.urls import url_path
from tests.corpus import Package, selected, unpack
from tests.support.aws import MotoServer, fake_aws_env

pytestmark = pytest.mark.corpus
PACKAGES = selected()
IMMUTABLE = "public, max-age=31536000, immutable"
_SKIP = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|#|$)")
_CSS_MAP = re.compile(r"/\*[#@]\s*sourceMappingURL=(\S+?)\s*\*/")
_JS_MAP = re.compile(rb"//[#@]\s*sourceMappingURL=(\S+)\s*\Z")


@dataclass
class Published:
    root: Path
    bucket: str
    first_manifest: dict[str, Any]
    warnings: list[str]
    objects: dict[str, str]  # key -> ETag, after the first publish
    republish_writes: list[str]
    changed: list[str]  # logical paths changed before the third publish
    after_change: dict[str, str]  # key -> ETag, after the third publish
    after_change_puts: list[str]  # keys written by the third publish
    manifest: dict[str, Any]  # the last one


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def listing(server: MotoServer, bucket: str) -> dict[str, str]:
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["ETag"].strip('"') for page in pages for o in page.get("Contents", [])}


def put_keys(server: MotoServer, bucket: str) -> list[str]:
    return [unquote(r.path).split("/", 2)[2] for r in server.writes() if r.path.startswith(f"/{bucket}/")]


@pytest.fixture(scope="module")
def published(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    base = tmp_path_factory.mktemp("corpus")
    root = unpack(PACKAGES, base / "static")
    bucket = "corpus"
    manifest = base / "cdnpub-manifest.json"
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_env(mp, base)
        moto_server.client().create_bucket(Bucket=bucket)
        dest = f"s3://{bucket}/static"
        common = ("--endpoint-url", moto_server.url, "--manifest", str(manifest), "--json")
        first = json.loads(run("publish", str(root), dest, *common).output)
        doc = json.loads(manifest.read_text())["assets"]
        objects = listing(moto_server, bucket)
        moto_server.reset_log()
        run("publish", str(root), dest, *common)
        republish_writes = put_keys(moto_server, bucket)
        # A change under every package: the first file a stylesheet or script points at
        # (or, for one that points at nothing, its first file that is not the main one).
        changed = []
        for package in PACKAGES:
            target = _first_target(root, package) or min(
                p.relative_to(root).as_posix()
                for p in (root / package.folder).rglob("*")
                if p.is_file() and p.relative_to(root).as_posix() not in (*package.styles, *package.scripts)
            )
            path = root / target
            path.write_bytes(path.read_bytes() + b"\n")
            changed.append(target)
        moto_server.reset_log()
        run("publish", str(root), dest, *common)
        puts = put_keys(moto_server, bucket)
        last = json.loads(manifest.read_text())["assets"]
        yield Published(
            root,
            bucket,
            doc,
            first.get("warnings", []),
            objects,
            republish_writes,
            changed,
            listing(moto_server, bucket),
            puts,
            last,
        )


def _first_target(root: Path, package: Package) -> str | None:
    for main in (*package.styles, *package.scripts):
        text = (root / main).read_text("utf-8", "replace")
        for ref in _css_references(text) if main.endswith(".css") else _js_references(text.encode()):
            if _SKIP.match(ref.strip()):
                continue
            path = unquote(urlsplit(urljoin("http://x/" + main, ref.strip())).path)[1:]
            if (root / path).is_file():
                return path
    return None


def _css_references(text: str) -> list[str]:
    """url(), @import and image-set() values as CSS reads them, read with tinycss2 alone."""
    found: list[str] = []

    def walk(tokens: list[Any], after_import: bool = False) -> None:
        for token in tokens:
            if token.type in ("whitespace", "comment"):
                continue
            if token.type == "url" or (token.type == "string" and after_import):
                found.append(token.value)
            elif token.type == "function":
                if token.lower_name in ("url", "image-set", "-webkit-image-set"):
                    found.extend(a.value for a in token.arguments if a.type == "string")
                walk(token.arguments)
            elif getattr(token, "content", None):
                walk(token.content)
            after_import = token.type == "at-keyword" and token.lower_value == "import"

    walk(tinycss2.parse_component_value_list(text))
    found += _CSS_MAP.findall(text)
    return found


def _js_references(data: bytes) -> list[str]:
    m = _JS_MAP.search(data[-JS_TAIL_BYTES:])
    return [m.group(1).decode()] if m else []


def _entries(published: Published, package: Package) -> dict[str, Any]:
    entries = {p: e for p, e in published.manifest.items() if p.startswith(package.folder + "/")}
    assert entries, f"nothing of {package.name} was published"
    return entries


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_every_reference_in_published_stylesheets_and_scripts_names_a_published_key(
    moto_server: MotoServer, published: Published, package: Package
) -> None:
    s3 = moto_server.client()
    unresolved = []
    for path, entry in _entries(published, package).items():
        if not path.endswith((".css", ".js", ".mjs")):
            continue
        for key in filter(None, (entry["key"], entry.get("plain_key"))):
            body = s3.get_object(Bucket=published.bucket, Key=key)["Body"].read()
            refs = _css_references(body.decode()) if path.endswith(".css") else _js_references(body)
            for ref in refs:
                if _SKIP.match(ref.strip()):
                    continue
                # The URL a browser fetches, read back as S3 reads a path ("+" is a space).
                fetched = urlsplit(urljoin("http://cdn.test" + url_path(key), ref.strip())).path
                target = unquote_plus(fetched)[1:]
                if target not in published.after_change:
                    named = [w for w in published.warnings if path in w and repr(ref)[1:-1] in w]
                    if not named:
                        unresolved.append(f"{key}: {ref!r} -> {target}")
    assert unresolved == []


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_every_object_holds_the_bytes_its_manifest_entry_describes(
    moto_server: MotoServer, published: Published, package: Package
) -> None:
    s3 = moto_server.client()
    for entry in _entries(published, package).values():
        for key in filter(None, (entry["key"], entry.get("plain_key"))):
            body = s3.get_object(Bucket=published.bucket, Key=key)["Body"].read()
            assert hashlib.sha256(body).hexdigest() == entry["sha256"], key
            sri = "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()
            assert sri == entry["integrity"], key


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_immutable_keys_keep_their_bytes_across_a_publish_after_a_change(
    moto_server: MotoServer, published: Published, package: Package
) -> None:
    first = {p: e for p, e in published.first_manifest.items() if p.startswith(package.folder + "/")}
    immutable = [e["key"] for e in first.values()]
    assert all(published.after_change[k] == published.objects[k] for k in immutable)
    assert not set(immutable) & set(published.after_change_puts)
    assert any(c.startswith(package.folder + "/") for c in published.changed)


def test_the_change_reached_the_bucket(published: Published) -> None:
    assert published.changed and len(published.after_change_puts) >= 2 * len(published.changed)


def test_every_fingerprinted_key_is_served_immutable(moto_server: MotoServer, published: Published) -> None:
    s3 = moto_server.client()
    for entry in list(published.manifest.values())[:: max(1, len(published.manifest) // 40)]:
        head = s3.head_object(Bucket=published.bucket, Key=entry["key"])
        assert head["CacheControl"] == IMMUTABLE, entry["key"]


def test_a_republish_writes_nothing(published: Published) -> None:
    assert published.republish_writes == []


def test_two_builds_give_byte_identical_manifests(published: Published, tmp_path: Path) -> None:
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    run("build", str(published.root), "--manifest", str(one))
    run("build", str(published.root), "--manifest", str(two))
    assert one.read_bytes() == two.read_bytes()
