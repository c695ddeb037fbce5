"""The JSON Schemas shipped in cdnpub/schemas/ describe what the commands print: each
`--json` document (build, publish, invalidate, doctor, rollback) and the manifest, taken from real
runs against the emulator. The schemas forbid unknown keys, so a key added or renamed
without its schema (and a version note) fails here."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.support.aws import MotoServer
from tests.support.cli import publish, run_cli
from tests.support.cloudfront import create_distribution
from tests.support.schemas import schema, valid

pytestmark = pytest.mark.usefixtures("isolated")

NAMES = ["build", "publish", "invalidate", "doctor", "manifest", "rollback"]


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_a_valid_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema(name))


@pytest.fixture
def distribution(moto_server: MotoServer, bucket: str) -> str:
    return create_distribution(moto_server, bucket)


def test_build_and_its_manifest(site: Path, tmp_path: Path) -> None:
    result = run_cli("build", str(site), "--json", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    valid(json.loads(result.stdout), "build")
    manifest = json.loads((tmp_path / "cdnpub-manifest.json").read_text())
    assert any(entry["module"] for entry in manifest["assets"].values())  # a module entry is checked too
    valid(manifest, "manifest")


def test_publish_dry_run_then_real_then_invalidate_and_doctor(
    site: Path, bucket: str, moto_server: MotoServer, distribution: str
) -> None:
    dry = publish(site, bucket, moto_server, "--distribution-id", distribution, "--json", "--dry-run")
    assert dry.exit_code == 0, dry.output
    valid(json.loads(dry.stdout), "publish")
    (site / "css/base.css").write_text("body{margin:1px}\n")
    for _ in range(2):  # the first publish, then one whose plain copies changed: invalidations
        done = publish(site, bucket, moto_server, "--distribution-id", distribution, "--json")
        assert done.exit_code == 0, done.output
        valid(json.loads(done.stdout), "publish")
        (site / "css/base.css").write_text("body{margin:2px}\n")
    assert json.loads(done.stdout)["invalidation"]["ids"]
    args = ("--distribution-id", distribution, "--endpoint-url", moto_server.url, "--json")
    invalidated = run_cli("invalidate", *args, "/static/css/*", "static/app.css")
    assert invalidated.exit_code == 0, invalidated.output
    valid(json.loads(invalidated.stdout), "invalidate")
    doctor = run_cli("doctor", f"s3://{bucket}/static", *args)
    assert doctor.exit_code in (0, 3), doctor.output
    document = json.loads(doctor.stdout)
    assert document["findings"]
    valid(document, "doctor")


def test_the_doctor_schema_knows_every_group_and_status_the_checks_report() -> None:
    from cdnpub.doctor.model import Group, Status

    item = schema("doctor")["properties"]["findings"]["items"]["properties"]
    assert set(item["group"]["enum"]) == {g.value for g in Group}
    assert set(item["status"]["enum"]) >= {s.value for s in Status}
