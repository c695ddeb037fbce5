"""`build --check`: a build says whether the bucket holds the keys its manifest names,
read-only (issue 24 point 4), and a build without it says that publish writes the
manifest to ship."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
from click.testing import Result
from flask import Flask

from cdnpub.flask.commands import cdn_cli
from tests.support.aws import MotoServer
from tests.support.cli import one_line_error, publish, run_cli
from tests.support.trees import write_tree


def _build(site: Path, *extra: str) -> Result:
    return run_cli("build", str(site), "--manifest", str(site.parent / "m.json"), *extra)


def test_a_build_without_check_says_publish_writes_the_manifest_to_ship(site: Path) -> None:
    result = _build(site)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == (
        "Nothing was uploaded: ship the app the manifest that publish writes once the bucket "
        "holds these files (a check of the bucket asks which it holds: cdnpub build --check, "
        "flask cdn build --check-bucket)."
    )


def test_check_against_a_bucket_that_lacks_the_keys_exits_3_naming_them_and_writes_nothing(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    result = _build(site, "--check", f"s3://{bucket}/static", "--endpoint-url", moto_server.url)
    one_line_error(
        result, 3, f"9 of 9 keys the manifest names are not in s3://{bucket}/static (first: static/"
    )
    assert "publish uploads them and writes the manifest the app should ship" in result.stderr
    assert [r.method for r in moto_server.requests()] == ["GET"]  # one listing, no write
    assert not (site.parent / "m.json").exists()  # a manifest naming missing keys: never written


def test_a_failed_check_leaves_the_manifest_publish_wrote(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    manifest = site.parent / "m.json"
    assert publish(site, bucket, moto_server, "--manifest", str(manifest)).exit_code == 0
    shipped = manifest.read_bytes()
    result = _build(site, "--prefix", "elsewhere", "--check", f"s3://{bucket}/elsewhere",
                    "--endpoint-url", moto_server.url)  # fmt: skip
    assert result.exit_code == 3 and manifest.read_bytes() == shipped


def test_check_after_a_publish_says_the_bucket_holds_them_all(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    result = _build(site, "--check", f"s3://{bucket}", "--endpoint-url", moto_server.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"s3://{bucket}/static holds all 9 keys the manifest names."


def test_check_json_lists_the_missing_keys_and_fits_the_schema(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    (site / "css/app.css").write_text("body{color:blue}")
    result = _build(site, "--check", f"s3://{bucket}/static", "--endpoint-url", moto_server.url, "--json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    build_schema = json.loads(files("cdnpub").joinpath("schemas/build.schema.json").read_text())
    jsonschema.Draft202012Validator(build_schema).validate(doc)
    assert doc["check"]["keys"] == 9 and len(doc["check"]["missing"]) == 1
    assert doc["check"]["missing"][0].startswith("static/css/app.")


def test_check_with_another_prefix_than_the_build_is_a_user_error_before_any_request(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    result = _build(site, "--check", f"s3://{bucket}/assets", "--endpoint-url", moto_server.url)
    one_line_error(result, 2, "the build's keys are under 'static' (--prefix), not 'assets'")
    assert moto_server.requests() == []


def test_flask_cdn_build_check_bucket_asks_cdn_bucket(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    write_tree(tmp_path / "static", {"css/a.css": "a{}"})
    app = Flask("shop", root_path=str(tmp_path))
    app.config.update(CDN_BUCKET=bucket, CDN_ENDPOINT_URL=moto_server.url)
    result = app.test_cli_runner().invoke(cdn_cli, ["build", "--check-bucket"])
    assert result.exit_code == 3, result.output
    assert f"1 of 1 key the manifest names are not in s3://{bucket}/static" in result.stderr
    app.config.update(CDN_BUCKET="")
    unset = app.test_cli_runner().invoke(cdn_cli, ["build", "--check-bucket"])
    assert unset.exit_code == 2 and "CDN_BUCKET is not set in the app's config" in unset.stderr
