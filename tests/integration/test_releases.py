"""`cdnpub releases` and `cdnpub diff` (and `flask cdn releases/diff`) against the moto
server: what they print of the records `publish` wrote, what they read (one listing and
a GET per record compared), and that they write nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask

from cdnpub import __version__
from cdnpub.flask.commands import cdn_cli
from tests.support.aws import MotoServer
from tests.support.cli import one_line_error, publish, run_cli
from tests.support.sites import INTEGRATION_SITE as SITE
from tests.support.trees import write_tree

GROWN = "console.log('hi');\n" + "x" * 3000 + "\n//# sourceMappingURL=app.js.map\n"


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _two_releases(tmp_path: Path, bucket: str, server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Release A (the site), then B: js/app.js grown by 3000 bytes, img/unused.png gone,
    css/new.css added; B published from a GitHub Actions run."""
    site = write_tree(tmp_path / "static", SITE)
    assert publish(site, bucket, server).exit_code == 0
    (site / "img/unused.png").unlink()
    write_tree(site, {"js/app.js": GROWN, "css/new.css": "p{}"})
    monkeypatch.setenv("GITHUB_SHA", "ab" * 20)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/shop")
    monkeypatch.setenv("GITHUB_RUN_ID", "7")
    assert publish(site, bucket, server).exit_code == 0
    server.reset_log()
    return site


def _args(bucket: str, server: MotoServer, *extra: str) -> list[str]:
    return [f"s3://{bucket}/static", "--endpoint-url", server.url, *extra]


def test_releases_lists_newest_first_with_changes_provenance_and_the_live_one(
    tmp_path: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_releases(tmp_path, bucket, moto_server, monkeypatch)
    doc = _json(run_cli("releases", *_args(bucket, moto_server, "--json")))
    b, a = doc["releases"]
    assert (b["live"], a["live"]) == (True, False)
    assert (a["files"], b["files"]) == (len(SITE), len(SITE))  # one gone, one added
    assert b["bytes"] - a["bytes"] == len(GROWN) - len(SITE["js/app.js"]) + 3 - len(SITE["img/unused.png"])
    assert b["changes"] == {"added": 1, "removed": 1, "changed": 1, "bytes": b["bytes"] - a["bytes"]}
    assert a["changes"] is None  # nothing before it
    assert b["revision"] == "ab" * 20 and b["run"] == "https://github.com/o/shop/actions/runs/7"
    assert b["cdnpub"] == __version__ and b["folders"] == [""]
    assert a["created"] < b["created"] and len(a["id"]) == 64
    # read-only: one listing of the records and a GET per record, no write
    methods = [r.method for r in moto_server.requests()]
    assert methods.count("GET") == 3 and not moto_server.writes()


def test_releases_of_an_empty_prefix_is_an_empty_list(bucket: str, moto_server: MotoServer) -> None:
    assert _json(run_cli("releases", *_args(bucket, moto_server, "--json"))) == {"releases": []}
    lines = run_cli("releases", *_args(bucket, moto_server))
    assert lines.exit_code == 0 and "no release in" in lines.stdout
    assert "nothing at all under" in lines.stderr and "is the prefix right?" in lines.stderr


def test_a_prefix_with_files_but_no_release_says_no_release_without_the_prefix_hint(
    bucket: str, moto_server: MotoServer
) -> None:
    moto_server.client().put_object(Bucket=bucket, Key="static/hand-made.css", Body=b"a{}")
    lines = run_cli("releases", *_args(bucket, moto_server))
    assert lines.exit_code == 0 and "no release in" in lines.stdout
    assert "is the prefix right?" not in lines.stderr


def test_diff_of_a_build_against_the_live_release_sorted_by_growth(
    tmp_path: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _two_releases(tmp_path, bucket, moto_server, monkeypatch)
    write_tree(site, {"js/big.js": "y" * 300_000, "css/base.css": "b{}"})
    doc = _json(run_cli("diff", str(site), *_args(bucket, moto_server, "--json")))
    assert doc["to"] == {"release": None, "build": True} and doc["from"]["release"] is not None
    changes = [(c["path"], c["change"]) for c in doc["changes"]]
    # css/app.css imports base.css: its reference to base.css's new name changes it too
    assert changes[0] == ("js/big.js", "added") and doc["changes"][0]["delta"] == 300_000
    assert sorted(changes[1:]) == [("css/app.css", "changed"), ("css/base.css", "changed")]
    deltas = [c["delta"] for c in doc["changes"]]
    assert doc["bytes"]["delta"] == sum(deltas) and (doc["added"], doc["changed"]) == (1, 2)
    # the live release: one listing + one GET, and no write
    assert [r.method for r in moto_server.requests()].count("GET") == 2 and not moto_server.writes()
    log = run_cli("diff", str(site), *_args(bucket, moto_server))
    assert log.exit_code == 0 and "1 added, 0 removed, 2 changed" in log.stdout
    assert "js/big.js" in log.stdout.splitlines()[1] and "(+293.0 KB)" in log.stdout


def test_diff_between_two_releases_and_its_markdown(
    tmp_path: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_releases(tmp_path, bucket, moto_server, monkeypatch)
    b, a = _json(run_cli("releases", *_args(bucket, moto_server, "--json")))["releases"]
    default = _json(run_cli("diff", *_args(bucket, moto_server, "--json")))
    named = _json(
        run_cli("diff", *_args(bucket, moto_server, "--json", "--from", a["id"][:6], "--to", b["id"][:8]))
    )
    assert default == named and named["from"]["release"] == a["id"] and named["to"]["release"] == b["id"]
    assert [(c["path"], c["change"]) for c in named["changes"]] == [
        ("js/app.js", "changed"), ("css/new.css", "added"), ("img/unused.png", "removed"),
    ]  # fmt: skip
    first = _json(run_cli("diff", *_args(bucket, moto_server, "--json", "--to", a["id"][:12])))
    assert first["from"] == {"release": None} and first["added"] == a["files"] == first["files"]["new"]
    backwards = _json(
        run_cli("diff", *_args(bucket, moto_server, "--json", "--from", b["id"], "--to", a["id"]))
    )
    assert backwards["bytes"]["delta"] == -named["bytes"]["delta"]
    md = run_cli("diff", *_args(bucket, moto_server, "--markdown"))
    assert md.exit_code == 0 and "| change | file | old | new | delta |" in md.stdout
    assert "| changed | `js/app.js` |" in md.stdout


def test_diff_and_releases_mistakes_are_one_line_exit_2(
    tmp_path: Path, bucket: str, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _two_releases(tmp_path, bucket, moto_server, monkeypatch)
    one_line_error(
        run_cli("diff", *_args(bucket, moto_server, "--from", "ffff0000")), 2, "no release 'ffff0000'"
    )
    one_line_error(run_cli("diff", *_args(bucket, moto_server, "--from", "zz")), 2, "is not a release id")
    one_line_error(run_cli("diff", str(site), *_args(bucket, moto_server, "--to", "abcd")), 2, "--to")
    one_line_error(run_cli("releases", *_args(bucket, moto_server, "--json", "--markdown")), 2, "--markdown")
    assert not moto_server.writes()


def test_diff_of_a_first_publish_adds_everything(
    tmp_path: Path, bucket: str, moto_server: MotoServer
) -> None:
    site = write_tree(tmp_path / "static", SITE)
    doc = _json(run_cli("diff", str(site), *_args(bucket, moto_server, "--json")))
    assert doc["added"] == len(SITE) and doc["from"] == {"release": None}
    one_line_error(run_cli("diff", *_args(bucket, moto_server)), 2, "no release in")


def test_flask_cdn_releases_and_diff(tmp_path: Path, bucket: str, moto_server: MotoServer) -> None:
    root = tmp_path / "app"
    write_tree(root / "static", SITE)
    app = Flask("shop", root_path=str(root))
    app.config.update(CDN_BUCKET=bucket, CDN_ENDPOINT_URL=moto_server.url, CDN_MANIFEST=str(root / "m.json"))

    def flask_cdn(*args: str) -> Any:
        return app.test_cli_runner().invoke(cdn_cli, list(args))

    assert flask_cdn("publish").exit_code == 0
    write_tree(root / "static", {"css/new.css": "p{}"})
    assert flask_cdn("publish").exit_code == 0
    doc = _json(flask_cdn("releases", "--json"))
    assert [r["live"] for r in doc["releases"]] == [True, False]
    assert doc["releases"][0]["changes"]["added"] == 1
    write_tree(root / "static", {"css/newer.css": "q{}"})
    built = _json(flask_cdn("diff", "--json"))
    assert [c["path"] for c in built["changes"]] == ["css/newer.css"]
    last = _json(flask_cdn("diff", "--no-build", "--json"))
    assert [c["path"] for c in last["changes"]] == ["css/new.css"]


def test_cdnpub_publish_of_the_app_folder_over_a_release_with_a_blueprint_stops(
    tmp_path: Path, bucket: str, moto_server: MotoServer
) -> None:
    """Point 4: the blueprint's 1 file is far under half of the paths, yet all of its folder."""
    root = tmp_path / "app"
    write_tree(root / "static", SITE)
    write_tree(root / "admin_static", {"admin.css": "a{}"})
    app = Flask("shop", root_path=str(root))
    app.config.update(CDN_BUCKET=bucket, CDN_ENDPOINT_URL=moto_server.url, CDN_MANIFEST=str(root / "m.json"))
    app.register_blueprint(
        Blueprint("admin", "shop", static_folder=str(root / "admin_static"), url_prefix="/a")
    )
    assert app.test_cli_runner().invoke(cdn_cli, ["publish"]).exit_code == 0
    (live,) = _json(run_cli("releases", *_args(bucket, moto_server, "--json")))["releases"]
    assert live["folders"] == ["", "admin"]
    moto_server.reset_log()
    result = publish(root / "static", bucket, moto_server)
    one_line_error(result, 2, "the 'admin' blueprint's static folder", "--allow-shrink")
    assert not moto_server.site_writes()
    assert publish(root / "static", bucket, moto_server, "--allow-shrink").exit_code == 0
