"""The docs are what a user reads: every option, variable and key they name must exist,
and everything that exists must be in the reference."""

from __future__ import annotations

import re
from pathlib import Path

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
