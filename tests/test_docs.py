"""The docs are what a user reads: every option, variable and key they name must exist,
and everything that exists must be in the reference."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask

from cdnpub.cli import cli
from cdnpub.flask.commands import cdn_cli
from cdnpub.flask.extension import CDN

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = (ROOT / "docs/configuration.md").read_text()


def options(group: click.Group) -> list[tuple[str, str, str | None]]:
    found = []
    for name, command in group.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                for flag in [*param.opts, *param.secondary_opts]:
                    if flag.startswith("--") and flag != "--help":
                        envvar = param.envvar if isinstance(param.envvar, str) else None
                        found.append((name, flag, envvar))
    return found


@pytest.mark.parametrize(("command", "flag", "envvar"), options(cli))
def test_every_cdnpub_option_and_variable_is_in_the_reference(
    command: str, flag: str, envvar: str | None
) -> None:
    assert f"`{flag}" in REFERENCE, f"cdnpub {command} {flag}"
    if envvar:
        assert f"`{envvar}`" in REFERENCE


@pytest.mark.parametrize(("command", "flag", "envvar"), options(cdn_cli))
def test_every_flask_cdn_option_is_in_the_reference(command: str, flag: str, envvar: str | None) -> None:
    assert flag in REFERENCE, f"flask cdn {command} {flag}"


def test_every_flask_config_key_is_documented() -> None:
    app = Flask(__name__)  # not "docs": the docs/ folder would pass for a namespace package
    before = set(app.config)
    CDN(app)
    keys = sorted(set(app.config) - before)
    assert keys, "CDN sets its config defaults"
    flask_guide = (ROOT / "docs/flask.md").read_text()
    for key in keys:
        assert f"`{key}`" in REFERENCE and key in flask_guide, key


def test_every_documented_cdnpub_flag_exists() -> None:
    known = {flag for _, flag, _ in options(cli)} | {flag for _, flag, _ in options(cdn_cli)}
    known |= {"--debug", "--version", "--help", "--port", "--cdn-port", "--bucket"}
    for page in (ROOT / "docs").glob("*.md"):
        for block in re.findall(r"```(?:sh|bash|console)?\n(.*?)```", page.read_text(), re.S):
            for line in block.splitlines():
                if line.strip().startswith(("cdnpub ", "flask ")):
                    for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]+", line):
                        assert flag in known, f"{page.name}: {line.strip()}"


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    for line in re.findall(r"^(?:\./|bash )?(scripts/\w+)", readme, re.M):
        assert (ROOT / line).is_file(), line
    for sub in re.findall(r"^cdnpub (\w+)", readme, re.M):
        assert sub in cli.commands, sub


# An install from PyPI, where cdnpub is not yet (the `cdnpub[...] @ git+...` form is fine).
INDEX_INSTALL = re.compile(r"pip install '?cdnpub(\[[\w,]+\])?'?(?!\s*@)(\s|$)")


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))])
def test_no_doc_installs_cdnpub_from_an_index_it_is_not_on(doc: str) -> None:
    path = ROOT / doc if doc == "README.md" else ROOT / "docs" / doc
    assert not INDEX_INSTALL.search(path.read_text()), doc


def test_changelog_has_the_current_version() -> None:
    from cdnpub import __version__

    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text()
    assert "semantic versioning" in (ROOT / "docs/versioning.md").read_text().lower()


def test_the_public_modules_and_entry_points_in_the_versioning_page_exist() -> None:
    import cdnpub.flask
    from cdnpub.commands.config import tomllib  # tomli on Python 3.10

    page = (ROOT / "docs/versioning.md").read_text()
    assert set(cdnpub.flask.__all__) <= set(re.findall(r"`(\w+)`", page)), "cdnpub.flask's names"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for target in [*scripts["scripts"].values(), *scripts["entry-points"]["flask.commands"].values()]:
        assert f"`{target}`" in page, target


def test_every_folder_of_the_package_is_on_the_architecture_map() -> None:
    """docs/architecture.md names every folder and module it mentions as they are."""
    page = (ROOT / "docs/architecture.md").read_text()
    for folder in sorted(p for p in (ROOT / "cdnpub").iterdir() if (p / "__init__.py").is_file()):
        assert f"`{folder.name}/`" in page, folder.name
    for path in re.findall(r"`((?:cdnpub/)?(?:\w+/)+\w+\.py)`", page):
        assert (ROOT / path).is_file() or (ROOT / "cdnpub" / path).is_file(), path


def _blocks(page: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", (ROOT / "docs" / page).read_text(), re.S)


def test_the_ci_recipes_publish_the_whole_app_with_flask_cdn() -> None:
    """Both jobs run `flask --app myapp cdn publish --json` (every blueprint's static folder),
    read `cdn_domain` so that `null` becomes empty, and GitLab's job has its OIDC token file."""
    import yaml

    github, gitlab = (yaml.safe_load(b) for b in _blocks("ci.md", "yaml")[:2])
    steps = github["jobs"]["assets"]["steps"]
    script = next(s["run"] for s in steps if s.get("id") == "publish")
    assert "flask --app myapp cdn publish --json > publish.json" in script
    assert "jq -r '.cdn_domain // empty' publish.json" in script
    assert github["permissions"]["id-token"] == "write"
    job = gitlab["publish-assets"]
    assert job["id_tokens"]["AWS_OIDC_TOKEN"]["aud"] == "sts.amazonaws.com"
    assert {"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} <= set(job["variables"])
    assert any("$AWS_WEB_IDENTITY_TOKEN_FILE" in line for line in job["script"])
    assert "flask --app myapp cdn publish --json > publish.json" in job["script"]
    assert "myapp/cdnpub-manifest.json" in job["artifacts"]["paths"]
    for block in _blocks("ci.md", "yaml"):
        yaml.safe_load(block)  # the pull-request fragment too
    code = "\n".join(_blocks("ci.md", "yaml") + _blocks("ci.md", "sh"))
    assert "jq -r .cdn_domain" not in code
    assert "cdnpub publish myapp/static" not in code


@pytest.fixture
def aws() -> Any:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize("page", ["ci.md", "aws-setup.md"])
def test_the_docs_policies_are_accepted_by_iam(page: str) -> None:
    """Every IAM document the docs give is whole (Version, Statement), and IAM (moto's
    validator) takes it as a trust policy or a permissions policy."""
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    for n, text in enumerate(_blocks(page, "json")):
        document = json.loads(text)
        if "Rules" in document or "Origins" in document:
            continue
        assert document["Version"] == "2012-10-17" and isinstance(document["Statement"], list), text
        actions = {
            a
            for s in document["Statement"]
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }
        if actions == {"sts:AssumeRoleWithWebIdentity"}:
            iam.create_role(RoleName=f"docs-{n}", AssumeRolePolicyDocument=text)
        else:
            iam.create_policy(PolicyName=f"docs-{n}", PolicyDocument=text)


def test_the_publisher_policy_can_abort_a_multipart_upload() -> None:
    """A failed multipart upload's cleanup is an abort: the documented policy allows it."""
    policy = next(json.loads(b) for b in _blocks("aws-setup.md", "json") if "s3:PutObject" in b)
    objects = next(s for s in policy["Statement"] if "s3:PutObject" in s["Action"])
    assert "s3:AbortMultipartUpload" in objects["Action"]


@pytest.mark.usefixtures("aws")
def test_the_recommended_lifecycle_rule_is_accepted_by_s3() -> None:
    import boto3

    rules = next(
        json.loads(b) for b in _blocks("aws-setup.md", "json") if "AbortIncompleteMultipartUpload" in b
    )
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="my-assets")
    s3.put_bucket_lifecycle_configuration(Bucket="my-assets", LifecycleConfiguration=rules)
    stored = s3.get_bucket_lifecycle_configuration(Bucket="my-assets")["Rules"]
    assert stored[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


@pytest.mark.usefixtures("aws")
def test_the_distribution_config_in_the_docs_is_whole_and_accepted() -> None:
    """docs/aws-setup.md's DistributionConfig as given (OAC_ID replaced, as it says) is
    accepted by create_distribution, and its app behaviour lets POSTs through."""
    import boto3

    text = next(b for b in _blocks("aws-setup.md", "json") if '"Origins"' in b)
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    oac = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": "docs-oac",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    made = cloudfront.create_distribution(DistributionConfig=json.loads(text.replace("OAC_ID", oac)))
    config = cloudfront.get_distribution_config(Id=made["Distribution"]["Id"])["DistributionConfig"]
    assert config["Enabled"] is True
    allowed = config["DefaultCacheBehavior"]["AllowedMethods"]["Items"]
    assert sorted(allowed) == ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    assert config["CacheBehaviors"]["Items"][0]["PathPattern"] == "/static/*"


# The app of docs/ci.md with a blueprint of its own static folder, and a page using both.
CI_BLUEPRINT = """
    from flask import Blueprint, render_template

    admin = Blueprint("admin", __name__, static_folder="admin_static", url_prefix="/admin")
    app.register_blueprint(admin)

    @app.get("/")
    def page() -> str:
        return render_template("index.html")
"""
CI_PAGE = (
    "<link rel=stylesheet href=\"{{ url_for('static', filename='css/site.css') }}\" "
    "integrity=\"{{ cdn_integrity('css/site.css') }}\">\n"
    "<link rel=stylesheet href=\"{{ url_for('admin.static', filename='admin.css') }}\" "
    "integrity=\"{{ cdn_integrity('admin.css', 'admin') }}\">\n"
)


@pytest.mark.usefixtures("isolated")
def test_the_github_actions_publish_step_publishes_the_whole_app(
    tmp_path: Path, moto_server: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/ci.md's app and its GitHub Actions publish step, run as a script against the
    emulator (the doctor line left out: the emulator's bucket is not set up as
    aws-setup.md says): the app's and the blueprint's files are published, `cdn_domain`
    reaches $GITHUB_OUTPUT, and the page, with that CDN_DOMAIN, takes every asset from it."""
    import os
    import subprocess
    import sys

    import yaml

    from tests.support.bucket import keys
    from tests.support.trees import write_tree

    app_code = next(b for b in re.findall(r"```python\n(.*?)```", (ROOT / "docs/ci.md").read_text(), re.S))
    app_code = re.sub(r"^    # app\.register_blueprint.*$", lambda m: CI_BLUEPRINT, app_code, flags=re.M)
    assert "admin_static" in app_code
    write_tree(tmp_path / "myapp", {"__init__.py": app_code, "templates/index.html": CI_PAGE})
    write_tree(
        tmp_path / "myapp/static", {"css/site.css": "body{background:url(../img/a.png)}", "img/a.png": b"P"}
    )
    write_tree(tmp_path / "myapp/admin_static", {"admin.css": "h1{color:red}"})
    distribution = _distribution_on(moto_server, bucket)
    job = yaml.safe_load(_blocks("ci.md", "yaml")[0])["jobs"]["assets"]
    script = next(s["run"] for s in job["steps"] if s.get("id") == "publish")
    script = "\n".join(line for line in script.splitlines() if "cdn doctor" not in line)
    env = {**os.environ, **job["env"], "GITHUB_OUTPUT": str(tmp_path / "github_output")}
    env.update(
        FLASK_CDN_BUCKET=bucket,
        FLASK_CDN_DISTRIBUTION_ID=distribution,
        FLASK_CDN_REGION="us-east-1",
        FLASK_CDN_ENDPOINT_URL=moto_server.url,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}",
    )
    ran = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    (output,) = (tmp_path / "github_output").read_text().splitlines()
    domain = output.removeprefix("cdn_domain=")
    assert domain.endswith(".cloudfront.net"), output
    published = keys(moto_server, bucket)
    assert {"static/css/site.css", "static/admin/admin.css"} <= published
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FLASK_CDN_DOMAIN", domain)
    monkeypatch.setenv("FLASK_CDN_BUCKET", bucket)
    import myapp  # type: ignore[import-not-found]

    app = myapp.create_app()
    page = app.test_client().get("/").get_data(as_text=True)
    urls = re.findall(r'href="([^"]+)"', page)
    assert len(urls) == 2 and all(u.startswith(f"https://{domain}/static/") for u in urls), page
    assert all(u.split(f"https://{domain}/", 1)[1] in published for u in urls), (urls, published)
    assert 'integrity=""' not in page


def _distribution_on(server: Any, bucket: str) -> str:
    origin = {
        "Id": "s3",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config: dict[str, Any] = {
        "CallerReference": f"ci-{bucket}",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0},
    }
    return str(
        server.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    )
