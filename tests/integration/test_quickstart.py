"""docs/quickstart.md, run as a new user would: its three files, `flask cdn plan/publish
--local` against the emulator (as `cdnpub local` sets it up), then the page with
CDN_DOMAIN set to the preview that serves the published files."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask.cli import ScriptInfo

from cdnpub.flask.commands import cdn_cli
from cdnpub.local.preview import PreviewServer
from cdnpub.local.provision import LOCAL_BUCKET, ensure_local
from tests.support.aws import MotoServer
from tests.support.bucket import empty_bucket

QUICKSTART = Path(__file__).resolve().parents[2] / "docs/quickstart.md"
# A block whose first line names its file: `# myapp.py`, `<!-- templates/index.html -->`, `/* ... */`.
FILE_BLOCK = re.compile(r"```\w*\n(?:# |<!-- |/\* )([\w./]+)(?: -->| \*/)?\n(.*?)```", re.S)


def quickstart_files() -> dict[str, str]:
    return {name: body for name, body in FILE_BLOCK.findall(QUICKSTART.read_text())}


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name, body in quickstart_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # a fresh machine
        monkeypatch.delenv(name, raising=False)
    yield tmp_path
    sys.modules.pop("myapp", None)


def test_quickstart_names_its_three_files() -> None:
    assert set(quickstart_files()) == {"myapp.py", "templates/index.html", "static/css/app.css"}


def flask_cdn(app_dir: Path, *args: str) -> str:
    from click.testing import CliRunner

    info = ScriptInfo(app_import_path="myapp")
    result = CliRunner().invoke(cdn_cli, list(args), obj=info)
    assert result.exit_code == 0, result.output
    return result.output


def test_quickstart_serves_the_page_assets_from_the_local_cdn(
    moto_server: MotoServer, app_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_bucket(moto_server, LOCAL_BUCKET)  # the shared server's: other tests publish there too
    with PreviewServer(moto_server.url, LOCAL_BUCKET) as preview:
        ensure_local(moto_server.url, LOCAL_BUCKET, preview.domain)  # what `cdnpub local` does
        flask_cdn(app_dir, "plan", "--local", "--endpoint-url", moto_server.url)
        published = flask_cdn(app_dir, "publish", "--local", "--endpoint-url", moto_server.url)
        assert f"CDN domain: {preview.domain}" in published
        assert "up to date" in flask_cdn(app_dir, "publish", "--local", "--endpoint-url", moto_server.url)

        monkeypatch.setenv("CDN_DOMAIN", preview.domain)
        monkeypatch.setenv("CDN_HTTPS", "False")
        sys.modules.pop("myapp", None)
        import myapp  # type: ignore[import-not-found]

        page = myapp.app.test_client().get("/").get_data(as_text=True)
        href = re.search(r'href="([^"]+)"', page)
        assert href and href[1].startswith(f"http://{preview.domain}/static/css/app."), page
        css = requests.get(href[1], timeout=5)
        assert css.status_code == 200 and "#0b3d2e" in css.text
        assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
