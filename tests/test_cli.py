"""The `cdnpub` entry point: how it fails on bad usage, as a CI log shows it."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cdnpub.cli import cli, main
from tests.support.cli import run_main


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("publish", ".", "s3://a-bucket", "--jobs", "0"), "Invalid value for '--jobs'"),
        (("publish",), "Missing argument 'STATIC_DIR'"),
        (("nope",), "No such command 'nope'"),
    ],
)
def test_usage_error_is_one_cdnpub_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], phrase: str
) -> None:
    code, err = run_main(capsys, monkeypatch, *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("cdnpub: ") and phrase in err


def test_no_command_prints_the_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = run_main(capsys, monkeypatch)
    assert code == 2 and err.startswith("Usage: cdnpub")


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_main(capsys, monkeypatch, "--version")[0] == 0
    assert run_main(capsys, monkeypatch, "build", "--help")[0] == 0


def test_expected_error_keeps_its_exit_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = run_main(capsys, monkeypatch, "build", "no-such-folder")
    assert code == 2 and err == "cdnpub: no-such-folder does not exist\n"


@pytest.mark.parametrize("path", ["", "/", "//"])
def test_invalidate_refuses_a_path_that_means_everything(path: str) -> None:
    result = CliRunner().invoke(
        cli, ["invalidate", "--distribution-id", "E1", "--endpoint-url", "http://127.0.0.1:9", path]
    )
    assert result.exit_code == 2 and "pass /* for that" in result.stderr


def test_invalidate_is_listed_with_a_whole_short_help() -> None:
    assert "Invalidate paths on a CloudFront distribution." in CliRunner().invoke(cli, ["--help"]).output


def test_local_refuses_a_bad_bucket_name_before_starting() -> None:
    result = CliRunner().invoke(cli, ["local", "--bucket", "Bad_Name", "--port", "0", "--cdn-port", "0"])
    assert result.exit_code == 2 and "not a valid bucket name" in result.stderr


def test_python_m_cdnpub_is_the_cdnpub_command() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from cdnpub import __version__

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    ran = subprocess.run(
        [sys.executable, "-m", "cdnpub", "--version"], capture_output=True, text=True, env=env
    )
    assert ran.returncode == 0 and ran.stdout.strip() == f"cdnpub, version {__version__}", ran


def test_shell_completion_as_the_docs_give_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/configuration.md: `eval "$(_CDNPUB_COMPLETE=bash_source cdnpub)"`."""
    monkeypatch.setenv("_CDNPUB_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "cdnpub pub")
    monkeypatch.setenv("COMP_CWORD", "1")
    monkeypatch.setattr("sys.argv", ["cdnpub"])
    with pytest.raises(SystemExit):
        main()
    assert capsys.readouterr().out.split() == ["plain,publish"]


def test_the_package_metadata_classifiers_are_known() -> None:
    from pathlib import Path

    import trove_classifiers

    from cdnpub.commands.config import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    assert project["classifiers"] and set(project["classifiers"]) <= trove_classifiers.classifiers


@pytest.mark.parametrize("command", ["build", "publish", "invalidate", "doctor", "local"])
def test_help_names_every_options_environment_variable(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"], terminal_width=400)
    assert result.exit_code == 0
    variables = [
        p.envvar
        for p in cli.commands[command].params
        if isinstance(p, click.Option) and isinstance(p.envvar, str)
    ]
    assert variables
    for variable in variables:
        assert f"env var: {variable}" in result.output, variable


def test_flask_cdn_help_names_the_variables_too() -> None:
    from flask import Flask

    from cdnpub.flask.commands import cdn_cli

    result = Flask("site").test_cli_runner().invoke(cdn_cli, ["publish", "--help"], terminal_width=400)
    assert "env var: CDNPUB_JOBS" in result.output and "env var: CDNPUB_ALLOW_SHRINK" in result.output
