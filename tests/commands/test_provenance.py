"""The provenance a publish records (commands/provenance.py): the source revision and
the CI run from each service's variables, else git in the static folder; never failing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cdnpub import __version__
from cdnpub.commands.provenance import ci_run, git_revision, provenance
from cdnpub.sync.release import Provenance


def test_provenance_from_github_actions() -> None:
    env = {"GITHUB_SHA": "1" * 40, "GITHUB_SERVER_URL": "https://github.com/", "GITHUB_REPOSITORY": "o/r",
           "GITHUB_RUN_ID": "42"}  # fmt: skip
    about = provenance(None, env)
    assert about == Provenance("1" * 40, "https://github.com/o/r/actions/runs/42", __version__)


@pytest.mark.parametrize(
    ("env", "run"),
    [
        ({"CI_JOB_URL": "https://gitlab.example/j/1"}, "https://gitlab.example/j/1"),
        ({"CIRCLE_BUILD_URL": "https://circleci.com/b/2"}, "https://circleci.com/b/2"),
        ({"SYSTEM_COLLECTIONURI": "https://dev.azure.com/o/", "SYSTEM_TEAMPROJECT": "p", "BUILD_BUILDID": "3"},
         "https://dev.azure.com/o/p/_build/results?buildId=3"),
        ({}, None),
        ({"CI_JOB_URL": "bad\nvalue"}, None),
    ],
)  # fmt: skip
def test_the_ci_run_of_each_service(env: dict[str, str], run: str | None) -> None:
    assert ci_run(env) == run


def test_provenance_falls_back_to_git_in_the_static_folders_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "static").mkdir(parents=True)
    (repo / "static" / "a.css").write_text("a{}")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout
    assert provenance(str(repo / "static"), {}).revision == head.strip()


def test_no_repository_and_no_ci_is_no_revision_and_no_error(tmp_path: Path) -> None:
    assert git_revision(str(tmp_path)) is None
    assert git_revision(str(tmp_path / "missing")) is None
    assert provenance(str(tmp_path), {}) == Provenance(None, None, __version__)
