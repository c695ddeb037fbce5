import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdnpub.cli import cli

MakeTree = Callable[..., Path]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture
def site(make_tree: MakeTree) -> Path:
    return make_tree(
        {"css/a.css": "a{background:url(../img/i.png)}", "img/i.png": b"png", ".env": "SECRET=1"}
    )


def test_build_writes_the_manifest_and_prints_a_summary(
    runner: CliRunner, site: Path, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["build", str(site)])
    assert result.exit_code == 0, result.output
    assert "Built 2 files" in result.output and "1 reference rewritten" in result.output
    assets = json.loads((tmp_path / "cdnpub-manifest.json").read_text())["assets"]
    assert sorted(assets) == ["css/a.css", "img/i.png"]


def test_build_manifest_option_sets_the_path(runner: CliRunner, site: Path, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["build", str(site), "--manifest", "out/m.json"]).exit_code == 0
    assert (tmp_path / "out/m.json").is_file()


def test_build_out_writes_fingerprinted_and_plain_copies(
    runner: CliRunner, site: Path, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["build", str(site), "--out", "public"])
    assert result.exit_code == 0, result.output
    written = sorted(
        str(p.relative_to(tmp_path / "public")) for p in (tmp_path / "public").rglob("*") if p.is_file()
    )
    assets = json.loads((tmp_path / "cdnpub-manifest.json").read_text())["assets"]
    hashed_css = assets["css/a.css"]["key"].removeprefix("static/")
    hashed_png = assets["img/i.png"]["key"].removeprefix("static/")
    assert written == sorted(["css/a.css", hashed_css, "img/i.png", hashed_png])
    assert (tmp_path / "public" / hashed_css).read_text() == f"a{{background:url(../{hashed_png})}}"


def test_build_json_prints_one_document(runner: CliRunner, site: Path) -> None:
    result = runner.invoke(cli, ["build", str(site), "--json"])
    doc = json.loads(result.stdout)
    assert doc["files"] == 2 and doc["rewritten_references"] == 1 and doc["warnings"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "nope"], "cdnpub: nope does not exist"),
        (["build", "file.txt"], "cdnpub: file.txt is not a folder"),
        (
            ["build", ".", "--prefix", "../x"],
            "cdnpub: --prefix: the prefix must not hold empty, '.' or '..' segments",
        ),
        (
            ["build", ".", "--url-path", "static"],
            "cdnpub: --url-path 'static': a URL path starts with / (such as /static)",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "file.txt").write_text("")
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert "Traceback" not in result.output


def test_escaping_symlink_is_exit_2(runner: CliRunner, site: Path) -> None:
    (site / "leak").symlink_to("/etc")
    result = runner.invoke(cli, ["build", str(site)])
    assert result.exit_code == 2
    assert "leak is a symlink" in result.stderr


def test_warnings_go_to_stderr_and_strict_turns_them_into_exit_2(
    runner: CliRunner, make_tree: MakeTree
) -> None:
    root = make_tree({"a.css": "a{background:url(nope.png)}"}, name="w")
    result = runner.invoke(cli, ["build", str(root)])
    assert result.exit_code == 0 and "warning:" in result.stderr and "nope.png" in result.stderr
    assert runner.invoke(cli, ["build", str(root), "--strict"]).exit_code == 2


def test_pyproject_table_supplies_options(runner: CliRunner, site: Path, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.cdnpub]\nprefix = "assets"\nmanifest = "m.json"\n')
    assert runner.invoke(cli, ["build", str(site)]).exit_code == 0
    assert json.loads((tmp_path / "m.json").read_text())["prefix"] == "assets"


def test_environment_wins_over_pyproject_and_flags_win_over_both(
    runner: CliRunner, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.cdnpub]\nprefix = "from-pyproject"\n')
    monkeypatch.setenv("CDNPUB_PREFIX", "from-env")
    runner.invoke(cli, ["build", str(site)])
    assert json.loads((tmp_path / "cdnpub-manifest.json").read_text())["prefix"] == "from-env"
    runner.invoke(cli, ["build", str(site), "--prefix", "from-flag"])
    assert json.loads((tmp_path / "cdnpub-manifest.json").read_text())["prefix"] == "from-flag"


def test_pyproject_rules_set_headers(runner: CliRunner, site: Path, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.cdnpub.rules]]\nmatch = "*.png"\nfingerprinted_cache_control = "public, max-age=60"\n'
    )
    assert runner.invoke(cli, ["build", str(site)]).exit_code == 0
    assets = json.loads((tmp_path / "cdnpub-manifest.json").read_text())["assets"]
    assert assets["img/i.png"]["cache_control"] == "public, max-age=60"


def test_unknown_pyproject_key_is_exit_2(runner: CliRunner, site: Path, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.cdnpub]\nprefx = 'x'\n")
    result = runner.invoke(cli, ["build", str(site)])
    assert result.exit_code == 2
    assert "unknown key 'prefx'" in result.stderr


@pytest.mark.parametrize("args", [["--debug", "build", "nope"], ["build", "nope", "--debug"]])
def test_debug_shows_the_traceback_before_or_after_the_command(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and result.stderr.strip().endswith("cdnpub: nope does not exist")


@pytest.mark.parametrize("inside", ["", "dist"])
def test_build_out_in_the_static_folder_is_exit_2_and_writes_nothing(
    runner: CliRunner, site: Path, tmp_path: Path, inside: str
) -> None:
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    result = runner.invoke(cli, ["build", str(site), "--out", str(site / inside)])
    assert result.exit_code == 2
    assert "inside the static folder" in result.stderr and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    assert not (tmp_path / "cdnpub-manifest.json").exists()


def test_cdnpub_debug_set_to_0_shows_no_traceback(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDNPUB_DEBUG", "0")
    result = runner.invoke(cli, ["build", "nope"])
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize("prefix", [".cdnpub", "static/.cdnpub", "static/.well-known"])
def test_a_prefix_with_a_dot_segment_is_refused(runner: CliRunner, site: Path, prefix: str) -> None:
    result = runner.invoke(cli, ["build", str(site), "--prefix", prefix])
    assert result.exit_code == 2 and "segment starting with '.'" in result.output
