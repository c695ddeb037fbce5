"""`flask cdn ...` against the moto server: the same bucket as `cdnpub publish`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask

from cdnpub.flask.commands import cdn_cli
from cdnpub.flask.extension import CDN
from tests.support.aws import MotoServer
from tests.support.bucket import empty_bucket, keys
from tests.support.cli import publish, run_cli
from tests.support.sites import INTEGRATION_SITE as SITE
from tests.support.trees import write_tree


def make_app(root: Path, server: MotoServer, bucket: str, with_blueprint: bool = True) -> Flask:
    write_tree(root / "static", SITE)
    app = Flask("shop", root_path=str(root))
    app.config.update(CDN_BUCKET=bucket, CDN_ENDPOINT_URL=server.url, CDN_MANIFEST="build/manifest.json")
    if with_blueprint:
        write_tree(root / "admin_static", {"admin.css": "a{background:url(/static/img/logo.png)}"})
        app.register_blueprint(
            Blueprint("admin", "shop", static_folder=str(root / "admin_static"), url_prefix="/admin")
        )
    CDN(app)
    return app


def flask_cdn(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(cdn_cli, list(args))


def test_flask_cdn_publish_makes_the_same_bucket_as_cdnpub_publish(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    s3 = moto_server.client()
    for name in ("via-flask", "via-cli"):
        s3.create_bucket(Bucket=name)
    app = make_app(tmp_path / "app", moto_server, "via-flask", with_blueprint=False)
    result = flask_cdn(app, "publish")
    assert result.exit_code == 0, result.output
    assert publish(tmp_path / "app/static", "via-cli", moto_server).exit_code == 0

    def objects(bucket: str) -> dict[str, tuple[str, str, str]]:
        out = {}
        for key in keys(moto_server, bucket):
            if "/.cdnpub/" in key:
                continue
            head = s3.head_object(Bucket=bucket, Key=key)
            out[key] = (head["ETag"], head["ContentType"], head["CacheControl"])
        return out

    assert objects("via-flask") == objects("via-cli")


def test_flask_cdn_publish_carries_blueprint_static_folders_in_one_release(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    app = make_app(tmp_path / "app", moto_server, bucket)
    assert flask_cdn(app, "publish").exit_code == 0
    manifest = json.loads((tmp_path / "app/build/manifest.json").read_text())["assets"]
    admin = manifest["admin/admin.css"]
    assert admin["key"].startswith("static/admin/admin.") and admin["plain_key"] == "static/admin/admin.css"
    body = moto_server.client().get_object(Bucket=bucket, Key=admin["key"])["Body"].read().decode()
    assert f"url(/{manifest['img/logo.png']['key']})" in body
    assert len([k for k in keys(moto_server, bucket) if "/.cdnpub/releases/" in k]) == 1


def test_flask_cdn_plan_sends_no_write(moto_server: MotoServer, bucket: str, tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", moto_server, bucket)
    result = flask_cdn(app, "plan", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dry_run"] is True
    assert moto_server.writes() == []
    assert not (tmp_path / "app/build/manifest.json").exists()


def test_flask_cdn_build_writes_the_manifest_the_app_reads(moto_server: MotoServer, tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", moto_server, "unused")
    moto_server.reset_log()
    result = flask_cdn(app, "build")
    assert result.exit_code == 0, result.output
    assert "admin/admin.css" in json.loads((tmp_path / "app/build/manifest.json").read_text())["assets"]
    assert moto_server.requests() == []


def test_missing_bucket_config_is_exit_2(moto_server: MotoServer, tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", moto_server, "")
    result = flask_cdn(app, "publish")
    assert result.exit_code == 2
    assert "CDN_BUCKET is not set" in result.output


@pytest.mark.parametrize("command", ["build", "plan", "publish"])
def test_commands_are_registered_for_the_flask_cli(command: str) -> None:
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="flask.commands") if e.name == "cdn"]
    assert command in entry.load().commands


def test_flask_cdn_build_runs_on_a_fresh_checkout_with_cdn_domain_set(tmp_path: Path) -> None:
    """The app's CDN_DOMAIN is set and no manifest exists yet: the release step writes it."""
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    write_tree(tmp_path / "app/static", SITE)

    def create_app() -> Flask:
        app = Flask("shop", root_path=str(tmp_path / "app"))
        app.config.update(CDN_DOMAIN="cdn.example.com")
        CDN(app)
        return app

    result = CliRunner().invoke(FlaskGroup(create_app=create_app), ["cdn", "build"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "app/cdnpub-manifest.json").is_file()
    with create_app().test_request_context():  # and the app starts with it
        from flask import url_for

        assert url_for("static", filename="css/app.css").startswith("https://cdn.example.com/static/css/app.")


def test_app_start_without_the_manifest_still_fails_loudly(tmp_path: Path) -> None:
    from cdnpub.errors import UserError

    app = Flask("shop", root_path=str(tmp_path))
    app.config.update(CDN_DOMAIN="cdn.example.com")
    with pytest.raises(UserError, match="does not exist; `flask cdn publish`"):
        CDN(app)


def test_flask_cdn_reads_tool_cdnpub_and_cdnpub_variables(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path / "app", moto_server, "unused")
    write_tree(tmp_path / "app/static", {"drafts/secret.txt": "s", "notes.txt": "n"})
    Path("pyproject.toml").write_text('[tool.cdnpub]\nexclude = ["drafts/"]\nprefix = "ignored-by-flask"\n')
    monkeypatch.setenv("CDNPUB_STRICT", "1")
    result = flask_cdn(app, "build")
    assert result.exit_code == 0, result.output
    assets = json.loads((tmp_path / "app/build/manifest.json").read_text())["assets"]
    assert "notes.txt" in assets and "drafts/secret.txt" not in assets


def test_flask_cdn_build_works_in_an_app_without_the_extension(tmp_path: Path) -> None:
    write_tree(tmp_path / "app/static", SITE)
    app = Flask("plain", root_path=str(tmp_path / "app"))
    result = flask_cdn(app, "build")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "app/cdnpub-manifest.json").is_file()


def test_flask_cdn_build_json_prints_one_document(moto_server: MotoServer, tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", moto_server, "unused")
    result = flask_cdn(app, "build", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["files"] == len(json.loads((tmp_path / "app/build/manifest.json").read_text())["assets"])
    assert doc["manifest"] == str(tmp_path / "app/build/manifest.json")


@pytest.mark.parametrize(
    "table", ['prefx = "a"', "exclude = [", '[[tool.cdnpub.rules]]\nmatch = 3\ncache_control = "x"']
)
def test_flask_cdn_with_a_bad_tool_cdnpub_is_one_line_exit_2(
    moto_server: MotoServer, tmp_path: Path, table: str
) -> None:
    app = make_app(tmp_path / "app", moto_server, "unused")
    Path("pyproject.toml").write_text(f"[tool.cdnpub]\n{table}\n")
    result = flask_cdn(app, "build")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("cdnpub: ") and "Traceback" not in result.output


@pytest.mark.parametrize("value", ["s3://bucket", "bucket/sub", "Bad_Bucket!"])
def test_bad_cdn_bucket_is_exit_2_before_any_request(
    moto_server: MotoServer, tmp_path: Path, value: str
) -> None:
    app = make_app(tmp_path / "app", moto_server, value)
    moto_server.reset_log()
    result = flask_cdn(app, "plan")
    assert (
        result.exit_code == 2 and "CDN_BUCKET" in result.output and "not a valid bucket name" in result.output
    )
    assert moto_server.requests() == []


def test_cdnpub_variables_win_over_the_app_config_for_the_connection(
    moto_server: MotoServer, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CDNPUB_ENDPOINT_URL set for a local test must not be ignored (and publish to AWS)."""
    app = make_app(tmp_path / "app", moto_server, bucket)
    app.config["CDN_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing listens there
    monkeypatch.setenv("CDNPUB_ENDPOINT_URL", moto_server.url)
    result = flask_cdn(app, "publish")
    assert result.exit_code == 0, result.output
    assert any(k.startswith("static/css/app.") for k in keys(moto_server, bucket))


def test_flask_cdn_takes_dash_h(moto_server: MotoServer, tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", moto_server, "unused")
    result = flask_cdn(app, "publish", "-h")
    assert result.exit_code == 0 and "--endpoint-url" in result.output


def local_app(root: Path, bucket: str | None) -> Flask:
    """An app configured for AWS as a user's is, tried against the emulator."""
    write_tree(root / "static", SITE)
    app = Flask("shop", root_path=str(root))
    app.config.update(CDN_MANIFEST="build/manifest.json", CDN_DISTRIBUTION_ID="E2QWRUHAPOMQZL")
    if bucket:
        app.config["CDN_BUCKET"] = bucket
    return app


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh machine: no AWS credentials anywhere (fake_aws set test ones)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)


def emulator_keys(server: MotoServer, bucket: str) -> set[str]:
    """The bucket's keys, read with the emulator's own dummy credentials (no_credentials
    left none in the environment, and --local puts none there)."""
    from cdnpub.local.provision import local_client

    pages = local_client("s3", server.url).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def test_flask_cdn_publish_local_publishes_to_the_emulator_without_credentials(
    moto_server: MotoServer, tmp_path: Path, no_credentials: None
) -> None:
    from cdnpub.local.provision import ensure_local

    ensure_local(moto_server.url, "flask-local", "127.0.0.1:5996")  # as `cdnpub local` does
    app = local_app(tmp_path / "app", "flask-local")
    result = flask_cdn(app, "publish", "--local", "--endpoint-url", moto_server.url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"]["uploaded"] == 17
    assert "static/css/app.css" in emulator_keys(moto_server, "flask-local")
    # The dummy credentials went to the clients, not into the process environment.
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_SECRET_ACCESS_KEY" not in os.environ
    assert (tmp_path / "app/build/manifest.json").is_file()


def test_flask_cdn_plan_local_sends_no_write(moto_server: MotoServer, tmp_path: Path) -> None:
    from cdnpub.local.provision import ensure_local

    ensure_local(moto_server.url, "flask-local-plan", "127.0.0.1:5995")
    moto_server.reset_log()
    app = local_app(tmp_path / "app", "flask-local-plan")
    result = flask_cdn(app, "plan", "--local", "--endpoint-url", moto_server.url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["plan"]["uploads"] == 17
    assert [r for r in moto_server.writes() if "flask-local-plan/static" in r.path] == []


def test_flask_cdn_publish_local_defaults_to_the_emulators_bucket(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No CDN_BUCKET: `flask cdn publish --local` goes to the bucket `cdnpub local` serves."""
    from cdnpub.local.provision import LOCAL_BUCKET, ensure_local

    empty_bucket(moto_server, LOCAL_BUCKET)  # the quick start's test publishes there too
    ensure_local(moto_server.url, LOCAL_BUCKET, "127.0.0.1:4567")
    app = local_app(tmp_path / "app", None)
    result = flask_cdn(app, "publish", "--local", "--endpoint-url", moto_server.url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["bucket"] == LOCAL_BUCKET


def test_both_faces_report_the_preview_as_cdn_domain_locally(moto_server: MotoServer, tmp_path: Path) -> None:
    """The domain that serves the files, the one the quick start sets CDN_DOMAIN to."""
    from cdnpub.local.provision import ensure_local

    ensure_local(moto_server.url, "two-faces", "127.0.0.1:5994")
    app = local_app(tmp_path / "app", "two-faces")
    via_flask = flask_cdn(app, "publish", "--local", "--endpoint-url", moto_server.url, "--json")
    via_cli = publish(
        tmp_path / "app/static", "two-faces", moto_server, "--local", "--json", "--manifest", "m.json"
    )
    assert via_flask.exit_code == 0 and via_cli.exit_code == 0, via_flask.output + via_cli.output
    domains = {json.loads(r.stdout)["cdn_domain"] for r in (via_flask, via_cli)}
    assert domains == {"127.0.0.1:5994"}


def test_flask_cdn_publish_reports_the_same_cdn_domain_as_cdnpub_against_a_distribution(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    from cdnpub.local.provision import ensure_local

    distribution_id = ensure_local(moto_server.url, bucket, "127.0.0.1:5993")
    app = make_app(tmp_path / "app", moto_server, bucket, with_blueprint=False)
    app.config["CDN_DISTRIBUTION_ID"] = distribution_id
    via_flask = flask_cdn(app, "publish", "--json")
    via_cli = publish(
        tmp_path / "app/static", bucket, moto_server, "--distribution-id", distribution_id, "--json"
    )
    domains = [json.loads(r.stdout)["cdn_domain"] for r in (via_flask, via_cli)]
    assert domains[0] == domains[1] and domains[0].endswith(".cloudfront.net")


@pytest.mark.parametrize("command", ["build", "plan", "publish"])
def test_a_typod_app_static_folder_is_exit_2_naming_it_and_writes_nothing(
    moto_server: MotoServer, bucket: str, tmp_path: Path, command: str
) -> None:
    """static_folder="asset" where the folder is assets: it published the blueprint alone."""
    root = tmp_path / "app"
    write_tree(root / "assets", SITE)
    write_tree(root / "admin_static", {"admin.css": "a{}"})
    app = Flask("shop", root_path=str(root), static_folder="asset")
    app.config.update(CDN_BUCKET=bucket, CDN_ENDPOINT_URL=moto_server.url, CDN_MANIFEST="build/manifest.json")
    app.register_blueprint(Blueprint("admin", "shop", static_folder=str(root / "admin_static")))
    moto_server.reset_log()
    result = flask_cdn(app, command)
    assert result.exit_code == 2
    assert f"the app's static_folder {root / 'asset'} does not exist" in result.output
    assert moto_server.requests() == [] and not (root / "build").exists()


def test_a_missing_blueprint_static_folder_is_one_warning_naming_the_blueprint(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """Issue 22: Flask serves such an app fine; the blueprint is left out, named once."""
    app = make_app(tmp_path / "app", moto_server, "unused", with_blueprint=False)
    app.register_blueprint(Blueprint("shop_admin", "shop", static_folder=str(tmp_path / "nowhere")))
    result = flask_cdn(app, "build")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("the blueprint 'shop_admin': its static_folder") == 1
    assert "does not exist; left out" in result.stderr


def test_a_blueprint_folder_that_vanished_from_a_release_is_caught_by_the_shrink_guard(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    """Issue 22: a missing blueprint folder is only a warning, but not a silent shrink."""
    import shutil

    app = make_app(tmp_path / "app", moto_server, bucket)
    assert flask_cdn(app, "publish").exit_code == 0
    shutil.rmtree(tmp_path / "app/admin_static")
    moto_server.reset_log()
    result = flask_cdn(app, "publish")
    assert result.exit_code == 2, result.output
    assert "the 1 path of the 'admin' blueprint's static folder" in result.output
    assert moto_server.site_writes() == []  # the lease it took is given up


def test_an_app_without_its_default_static_folder_publishes_its_blueprints(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """Flask gives every app static_folder="static"; an API app with no such folder is fine."""
    root = tmp_path / "app"
    write_tree(root / "admin_static", {"admin.css": "a{}"})
    app = Flask("shop", root_path=str(root))
    app.config.update(CDN_MANIFEST="build/manifest.json")
    app.register_blueprint(Blueprint("admin", "shop", static_folder=str(root / "admin_static")))
    result = flask_cdn(app, "build")
    assert result.exit_code == 0, result.output


def test_publish_that_empties_a_blueprints_static_folder_stops(
    moto_server: MotoServer, bucket: str, tmp_path: Path
) -> None:
    """A bundler's output folder that CI forgot to build: the blueprint's files would vanish."""
    app = make_app(tmp_path / "app", moto_server, bucket)
    assert flask_cdn(app, "publish").exit_code == 0
    (tmp_path / "app/admin_static/admin.css").unlink()
    moto_server.reset_log()
    result = flask_cdn(app, "publish")
    assert result.exit_code == 2
    assert "the 1 path of the 'admin' blueprint's static folder" in result.output
    assert moto_server.site_writes() == []  # the lease it took is given up
    assert flask_cdn(app, "publish", "--allow-shrink").exit_code == 0


def test_missing_bucket_hint_names_cdn_bucket(moto_server: MotoServer, tmp_path: Path) -> None:
    """The name came from the app's config, not from an s3:// URL the user typed."""
    app = make_app(tmp_path / "app", moto_server, "no-such-bucket-here", with_blueprint=False)
    result = flask_cdn(app, "publish")
    assert result.exit_code == 2
    assert "bucket no-such-bucket-here does not exist" in result.output
    assert "check CDN_BUCKET and --endpoint-url" in result.output and "s3:// URL" not in result.output


def test_missing_bucket_hint_of_cdnpub_names_the_s3_url(moto_server: MotoServer, site: Path) -> None:
    result = publish(site, "no-such-bucket-there", moto_server)
    assert result.exit_code == 2 and "check the s3:// URL" in result.stderr


# Replays of peers' first-run reports.


def test_blueprints_without_static_folders_are_left_out(moto_server: MotoServer, tmp_path: Path) -> None:
    """flask-s3 #2: two blueprints with no static folder of their own broke the upload."""
    app = make_app(tmp_path / "app", moto_server, "unused", with_blueprint=False)
    app.register_blueprint(Blueprint("api", "shop", url_prefix="/api"))
    app.register_blueprint(Blueprint("auth", "shop", url_prefix="/auth"))
    result = flask_cdn(app, "build", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == len(SITE)


def test_an_app_without_a_static_folder_publishes_its_blueprints_static(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """flask-assets #170, pyms #52: Flask(static_folder=None) with the files in a blueprint."""
    root = tmp_path / "app"
    write_tree(root / "front/static", {"js/app.js": "x()"})
    app = Flask("shop", root_path=str(root), static_folder=None)
    app.config.update(CDN_MANIFEST="build/manifest.json")
    app.register_blueprint(Blueprint("front", "shop", static_folder=str(root / "front/static")))
    result = flask_cdn(app, "build")
    assert result.exit_code == 0, result.output
    assert "front/js/app.js" in json.loads((root / "build/manifest.json").read_text())["assets"]


def test_local_ignores_a_profile_that_does_not_exist(
    moto_server: MotoServer, tmp_path: Path, no_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """localstack #6912, #8424: "Unable to locate credentials" / no default profile, with
    only the endpoint set. The emulator takes any key: --local brings its own."""
    from cdnpub.local.provision import ensure_local

    monkeypatch.setenv("AWS_PROFILE", "work-account-not-on-this-laptop")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "stale")
    ensure_local(moto_server.url, "no-profile", "127.0.0.1:5992")
    app = local_app(tmp_path / "app", "no-profile")
    app.config["CDN_PROFILE"] = "work-account-not-on-this-laptop"
    result = flask_cdn(app, "publish", "--local", "--endpoint-url", moto_server.url)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("face", ["cdnpub", "flask cdn"])
def test_local_publish_and_doctor_ignore_aws_profile_of_a_missing_profile_and_leave_the_env(
    moto_server: MotoServer, tmp_path: Path, no_credentials: None, monkeypatch: pytest.MonkeyPatch, face: str
) -> None:
    """botocore raises ProfileNotFound when AWS_PROFILE names a profile this machine lacks:
    --local's clients bring their own credentials and read no profile, and the process
    environment is the same afterwards (no dummy keys left, AWS_PROFILE not taken out)."""
    from moto.core.utils import service_name_from_moto_package_name

    from cdnpub.local.provision import ensure_local

    # The emulator of these tests runs in this process: moto's own botocore session (made
    # once, to write an error response) would read AWS_PROFILE too. `cdnpub local` keeps it
    # out of its process (commands.local._no_profile); here it is made beforehand.
    for package in ("s3", "cloudfront"):
        service_name_from_moto_package_name(package)
    monkeypatch.setenv("AWS_PROFILE", "nope")
    bucket = "profile-nope-" + face.replace(" ", "-")
    ensure_local(moto_server.url, bucket, "127.0.0.1:5991")
    local = ("--local", "--endpoint-url", moto_server.url)
    if face == "cdnpub":
        site = write_tree(tmp_path / "static", SITE)
        monkeypatch.chdir(tmp_path)
        done = run_cli("publish", str(site), f"s3://{bucket}/static", *local)
        checked = run_cli("doctor", f"s3://{bucket}/static", *local, "--json")
    else:
        app = local_app(tmp_path / "app", bucket)
        done = flask_cdn(app, "publish", *local)
        checked = flask_cdn(app, "doctor", *local, "--json")
    assert done.exit_code == 0, done.output
    assert checked.exit_code == 0, checked.output
    assert "static/css/app.css" in emulator_keys(moto_server, bucket)
    assert os.environ["AWS_PROFILE"] == "nope"
    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_a_typod_static_folder_with_local_sets_nothing_up(moto_server: MotoServer, tmp_path: Path) -> None:
    root = tmp_path / "app"
    write_tree(root / "assets", SITE)
    app = Flask("shop", root_path=str(root), static_folder="asset")
    app.config.update(CDN_BUCKET="typo-local-never-made")
    moto_server.reset_log()
    result = flask_cdn(app, "publish", "--local", "--endpoint-url", moto_server.url)
    assert result.exit_code == 2 and "does not exist" in result.output
    assert moto_server.requests() == []


def test_flask_cdn_doctor_local_checks_the_emulators_set_up_and_passes(
    moto_server: MotoServer, tmp_path: Path, no_credentials: None
) -> None:
    from cdnpub.local.provision import ensure_local

    ensure_local(moto_server.url, "flask-local-doctor", "127.0.0.1:5994")  # as `cdnpub local` does
    app = local_app(tmp_path / "app", "flask-local-doctor")
    assert flask_cdn(app, "publish", "--local", "--endpoint-url", moto_server.url).exit_code == 0
    result = flask_cdn(app, "doctor", "--local", "--endpoint-url", moto_server.url, "--json")
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["findings"]
    assert findings and not [f for f in findings if f["status"] == "fail"]


@pytest.mark.parametrize("command", ["plan", "publish"])
def test_flask_cdn_prints_each_build_warning_once(
    moto_server: MotoServer, tmp_path: Path, command: str
) -> None:
    from cdnpub.local.provision import ensure_local

    bucket = f"flask-once-{command}"
    ensure_local(moto_server.url, bucket, "127.0.0.1:5993")
    app = local_app(tmp_path / "app", bucket)
    (tmp_path / "app/static/css/extra.css").write_text("a{background:url(missing.png)}")
    result = flask_cdn(app, command, "--local", "--endpoint-url", moto_server.url)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("is not in the static folder") == 1
