"""What a user of `aws s3 sync` or another asset tool types: the flags get what cdnpub
does instead (not click's nearest spelling), from both faces, and docs/coming-from.md
lists each of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from cdnpub.commands.output import PEER_OPTIONS
from cdnpub.flask.commands import cdn_cli
from tests.support.cli import run_main
from tests.support.trees import write_tree

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("flag", "phrase"),
    [
        ("--delete", "--prune-older-than DAYS deletes the objects no release of the last DAYS references"),
        ("--cache-control=max-age=60", "change it with [[tool.cdnpub.rules]] header rules"),
        ("--acl", "objects stay private"),
        ("--dryrun", "the spelling is --dry-run"),
    ],
)
def test_a_peer_tools_flag_says_what_cdnpub_does_instead(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flag: str,
    phrase: str,
) -> None:
    write_tree(tmp_path / "static", {"a.css": "a{}"})
    monkeypatch.chdir(tmp_path)
    code, err = run_main(capsys, monkeypatch, "publish", "static", "s3://b/static", flag)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"cdnpub: No such option: {flag.partition('=')[0]}: ")
    assert phrase in line and "Did you mean" not in line and "--max-delete" not in line


def test_flask_cdn_gives_the_same_hint(tmp_path: Path) -> None:
    app = Flask("site", root_path=str(tmp_path))
    result = app.test_cli_runner().invoke(cdn_cli, ["publish", "--delete"])
    assert result.exit_code == 2
    assert "--prune-older-than DAYS" in result.output and "--max-delete" not in result.output


def test_an_ordinary_typo_keeps_clicks_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, err = run_main(capsys, monkeypatch, "publish", "static", "s3://b/static", "--dry-rnu")
    assert code == 2 and "--dry-run" in err


def test_every_peer_flag_is_on_the_coming_from_page() -> None:
    page = (ROOT / "docs/coming-from.md").read_text()
    for flag in PEER_OPTIONS:
        assert f"`{flag}" in page, flag
