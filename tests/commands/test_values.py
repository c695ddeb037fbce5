"""Values as a CI job gives them: an unset variable (empty), a blank one, a wrong type in
a CDNPUB_* variable or [tool.cdnpub], a typo'd key. Each is one `cdnpub:` line, exit 2,
naming where the value came from, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.trees import write_tree


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(tmp_path / "static", {"a.css": "a{}"})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _written(project: Path) -> set[str]:
    return {p.name for p in project.iterdir()} - {"static", "pyproject.toml"}


@pytest.mark.parametrize("value", ["", " "])
def test_an_empty_or_blank_out_folder_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """`--out "$UNSET"` used to write the build into the current directory."""
    code, err = run_main(capsys, monkeypatch, "build", "static", "--out", value)
    assert code == 2
    assert err.strip() == "cdnpub: Invalid value for '--out': must not be empty (see `cdnpub build --help`)"
    assert _written(project) == set()


def test_a_bad_variable_is_named_not_the_flag_nobody_passed(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDNPUB_PREFIX", " ")
    code, err = run_main(capsys, monkeypatch, "build", "static")
    assert code == 2
    assert err.strip().startswith(
        "cdnpub: Invalid value for the variable CDNPUB_PREFIX (--prefix): must not be empty"
    )
    assert _written(project) == set()


def test_a_flag_is_still_named_as_a_flag(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = run_main(capsys, monkeypatch, "build", "static", "--prefix", " ")
    assert code == 2
    assert err.strip().startswith("cdnpub: Invalid value for '--prefix': must not be empty")


@pytest.mark.parametrize(
    ("key", "suggestion"), [("prefx", "prefix"), ("dry-rn", "dry_run"), ("manifset", "manifest")]
)
def test_an_unknown_pyproject_key_gets_a_did_you_mean(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    suggestion: str,
) -> None:
    (project / "pyproject.toml").write_text(f'[tool.cdnpub]\n{key} = "x"\n')
    code, err = run_main(capsys, monkeypatch, "build", "static")
    assert code == 2
    assert err.strip().endswith(f"unknown key {key!r} in [tool.cdnpub]: did you mean {suggestion!r}?")
    assert _written(project) == set()


def test_an_unknown_pyproject_key_far_from_any_is_refused_without_a_guess(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text('[tool.cdnpub]\nzzz = "x"\n')
    code, err = run_main(capsys, monkeypatch, "build", "static")
    assert code == 2
    assert err.strip().endswith("unknown key 'zzz' in [tool.cdnpub]")
