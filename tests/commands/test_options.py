"""One schema for every option, wherever it comes from: flags, CDNPUB_* variables and
[tool.cdnpub] in pyproject.toml. A bad value is one `cdnpub:` line, exit 2, before any
request; a pyproject key is checked against its TOML type first."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import pytest

from cdnpub.cli import main
from tests.support.cli import run_main


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    static = tmp_path / "static"
    static.mkdir()
    (static / "a.css").write_text("a{}")
    for name in list(os.environ):
        if name.startswith("CDNPUB_"):
            monkeypatch.delenv(name)
    return static


def fails(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    code, err = run_main(capsys, monkeypatch, *args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cdnpub: "), err
    assert "Traceback" not in err
    return lines[0]


def publish_args(*extra: str) -> tuple[str, ...]:
    # 127.0.0.1:9 (discard): nothing listens, so a request made by mistake fails as exit 1.
    return ("publish", "static", "s3://a-bucket", "--endpoint-url", "http://127.0.0.1:9", *extra)


@pytest.mark.parametrize(
    ("table", "phrase"),
    [
        ("prune_older_than = false", "prune_older_than = false: must be a number"),
        ('manifest = {path = "m.json"}', "manifest = {'path': 'm.json'}: must be a string"),
        ("prune_older_than = inf", "prune_older_than = inf"),
        ("prune_older_than = nan", "prune_older_than = nan"),
        ("prune_older_than = 1000000", "prune_older_than = 1000000"),
        ("invalidate_threshold = inf", "invalidate_threshold = inf: must be a whole number"),
        ("invalidate_threshold = 2.5", "must be a whole number"),
        ("jobs = true", "jobs = true: must be a whole number"),
        ('dry_run = "yes"', 'dry_run = "yes": must be true or false'),
        ('exclude = "drafts/"', 'exclude = "drafts/": must be an array of strings'),
        ('fingerprinted_pattern = ""', "must not be empty"),
        ('endpoint_url = "ftp://127.0.0.1"', "not an http:// or https:// URL"),
        ("wait_timeout = -inf", "wait_timeout = -inf"),
    ],
)
def test_a_pyproject_value_of_the_wrong_type_or_range_is_exit_2_naming_the_key(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, table: str, phrase: str
) -> None:
    Path("pyproject.toml").write_text(f"[tool.cdnpub]\n{table}\n")
    line = fails(capsys, monkeypatch, *publish_args())
    assert "pyproject.toml: [tool.cdnpub]" in line and phrase in line, line
    assert not Path("cdnpub-manifest.json").exists()


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("--prune-older-than", "nan"), "'nan' is not a finite number"),
        (("--prune-older-than", "inf"), "--prune-older-than"),
        (("--prune-older-than", "1000000"), "--prune-older-than"),
        (("--wait-timeout", "nan"), "--wait-timeout"),
        (("--invalidate-threshold", "inf"), "--invalidate-threshold"),
        (("--fingerprinted-pattern", ""), "--fingerprinted-pattern': must not be empty"),
        (("--manifest", ""), "--manifest': must not be empty"),
        (("--region", ""), "--region': must not be empty"),
        (("--distribution-id", " "), "--distribution-id': must not be empty"),
    ],
)
def test_a_bad_flag_value_is_exit_2_before_any_request(
    site: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    phrase: str,
) -> None:
    line = fails(capsys, monkeypatch, *publish_args(*args))
    assert phrase in line, line


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CDNPUB_PRUNE_OLDER_THAN", "nan"), ("CDNPUB_PRUNE_OLDER_THAN", "inf"), ("CDNPUB_WAIT_TIMEOUT", "inf")],
)
def test_a_bad_environment_value_is_exit_2(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    fails(capsys, monkeypatch, *publish_args())


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("http://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
        ("http://127.0.0.1:0", "the port must be a number from 1 to 65535"),
        ("ftp://127.0.0.1:21", "not an http:// or https:// URL"),
        ("127.0.0.1:4566", "not an http:// or https:// URL"),
        ("http://", "not an http:// or https:// URL"),
        ("http://127.0.0.1:4566/some/path", "no path, query or fragment"),
        ("http://user:hunter2@127.0.0.1:99999", "http://***@127.0.0.1:99999"),
    ],
)
def test_a_bad_endpoint_url_is_a_user_error_not_a_remote_failure(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, phrase: str
) -> None:
    line = fails(capsys, monkeypatch, "publish", "static", "s3://a-bucket", "--endpoint-url", url)
    assert phrase in line and "hunter2" not in line, line


def test_an_empty_manifest_flag_is_refused_for_build_too(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fails(capsys, monkeypatch, "build", "static", "--manifest", "")


def test_a_fifo_at_the_manifest_path_is_refused_and_kept(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo("m.json")
    line = fails(capsys, monkeypatch, "build", "static", "--manifest", "m.json")
    assert "not a regular file" in line
    assert Path("m.json").is_fifo()


def test_a_device_at_the_manifest_path_is_refused_before_publishing(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    line = fails(capsys, monkeypatch, *publish_args("--manifest", "/dev/null"))
    assert "/dev/null: it is not a regular file" in line
    assert Path("/dev/null").is_char_device()


def test_good_values_still_pass(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("pyproject.toml").write_text(
        '[tool.cdnpub]\nprune_older_than = 7\ninvalidate_threshold = 10\nexclude = ["x/"]\n'
        'wait_timeout = 60.5\nendpoint_url = "https://s3.example.com:8443/"\nstrict = false\n'
    )
    assert run_main(capsys, monkeypatch, "build", "static")[0] == 0


@pytest.mark.parametrize("extra", [(), ("--debug",), ("--json",)])
def test_a_password_in_the_endpoint_url_is_never_printed(
    site: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_aws: None,
    extra: tuple[str, ...],
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    url = "http://user:hunter2@127.0.0.1:9"  # nothing listens: a connection error naming the URL
    args = ("publish", "static", "s3://a-bucket", "--endpoint-url", url, *extra)
    monkeypatch.setattr("sys.argv", ["cdnpub", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    assert exited.value.code == 1
    assert "hunter2" not in out.err + out.out
    assert "http://***@127.0.0.1:9" in out.err


def test_no_module_imports_a_face() -> None:
    """`cdnpub.cli` and `cdnpub.flask.commands` sit on top: nothing imports them, and what
    they share lives below them (import-linter's layers hold the rest, in scripts/test)."""
    import ast
    from pathlib import Path

    faces = {"cdnpub.cli", "cdnpub.flask.commands"}
    package = Path(__file__).parents[1] / "cdnpub"
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        assert not imported & faces, path


def test_a_key_only_the_other_face_takes_is_no_typo_for_flask_cdn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask import Flask

    from cdnpub.flask.commands import cdn_cli

    (tmp_path / "static").mkdir()
    (tmp_path / "static/a.css").write_text("a{}")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cdnpub]\nprefix = "assets"\nport = 4570\n'
    )  # url_path is refused by `flask cdn` (issue 22): tests/flask/test_app_folders.py
    monkeypatch.chdir(tmp_path)
    app = Flask("site", root_path=str(tmp_path))
    result = app.test_cli_runner().invoke(cdn_cli, ["build"])
    assert result.exit_code == 0, result.output


def test_a_typo_in_pyproject_is_still_an_unknown_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from cdnpub.cli import cli

    (tmp_path / "static").mkdir()
    (tmp_path / "static/a.css").write_text("a{}")
    (tmp_path / "pyproject.toml").write_text("[tool.cdnpub]\nprefx = 'assets'\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", "static"])
    assert result.exit_code == 2 and "unknown key 'prefx'" in result.output


EMPTY_ID = ("--distribution-id", "")


@pytest.mark.parametrize(
    "args",
    [
        publish_args(*EMPTY_ID),
        ("doctor", "s3://a-bucket", "--endpoint-url", "http://127.0.0.1:9", *EMPTY_ID),
        ("invalidate", *EMPTY_ID, "/static/a.css", "--endpoint-url", "http://127.0.0.1:9"),
    ],
    ids=["publish", "doctor", "invalidate"],
)
def test_an_empty_distribution_id_is_a_usage_error_for_every_cdnpub_command(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    """One --distribution-id, one type: `--distribution-id "$UNSET_CI_VARIABLE"` is exit 2
    everywhere, not a discovery (doctor) or a request for distribution "" (invalidate)."""
    line = fails(capsys, monkeypatch, *args)
    assert "--distribution-id': must not be empty" in line, line


@pytest.mark.parametrize("command", ["plan", "publish", "doctor"])
def test_an_empty_distribution_id_is_a_usage_error_for_every_flask_cdn_command(
    site: Path, command: str
) -> None:
    from flask import Flask

    from cdnpub.flask.commands import cdn_cli

    app = Flask("site", root_path=str(site.parent))
    app.config.update(CDN_BUCKET="a-bucket", CDN_ENDPOINT_URL="http://127.0.0.1:9")
    result = app.test_cli_runner().invoke(cdn_cli, [command, *EMPTY_ID])
    assert result.exit_code == 2, result.output
    assert "'--distribution-id': must not be empty" in result.output


def _every_face_option() -> dict[str, list[tuple[str, Any]]]:
    from cdnpub.cli import cli
    from cdnpub.flask.commands import cdn_cli

    found: dict[str, list[tuple[str, Any]]] = {}
    for group in (cli, cdn_cli):
        for cmd in (group, *group.commands.values()):
            for p in cmd.params:
                if isinstance(p, click.Option) and p.name not in ("help", "version"):
                    where = f"{group.name} {cmd.name}"
                    shape = (tuple(p.opts), type(p.type), p.is_flag, p.multiple, p.envvar, p.expose_value)
                    found.setdefault(p.opts[0], []).append((where, shape))
    return found


def test_every_option_has_one_definition_on_both_faces() -> None:
    """pip's cmdoptions rule: a flag means the same wherever it is taken (the same type,
    variable and kind), only its help (and whether it is required) may differ."""
    for flag, uses in _every_face_option().items():
        shapes = {shape for _, shape in uses}
        assert len(shapes) == 1, (flag, uses)


def test_debug_is_read_in_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    from cdnpub.commands.output import DEBUG, debug_requested

    monkeypatch.delenv("CDNPUB_DEBUG", raising=False)
    ctx = click.Context(click.Command("x"))
    assert not debug_requested(ctx)
    ctx.meta[DEBUG] = True
    assert debug_requested(ctx)
    monkeypatch.setenv("CDNPUB_DEBUG", "yes")
    assert debug_requested(click.Context(click.Command("x")))
    monkeypatch.setenv("CDNPUB_DEBUG", "off")
    assert not debug_requested(click.Context(click.Command("x")))


def test_rollback_has_its_own_help_for_publishs_options_and_publish_keeps_its_own() -> None:
    """Options are defined once; a rollback words them for itself (it copies, uploads nothing)."""
    from click.testing import CliRunner

    from cdnpub.cli import cli

    rollback = CliRunner().invoke(cli, ["rollback", "--help"]).output
    publish = CliRunner().invoke(cli, ["publish", "--help"]).output
    for said in ("Concurrent uploads", "Publish even when", "after a publish", "another publish holds"):
        assert said not in " ".join(rollback.split()), said
    assert "server-side copies" in rollback and "Roll back even when" in rollback
    assert "Concurrent uploads" in publish and "Publish even when" in " ".join(publish.split())
