"""`--fingerprinted-pattern` takes only hashes: a pattern that matches the empty string or
a name without a hash would keep hand-written names `immutable` for a year, so it is
refused when read (exit 2, one line, naming the flag, variable or key)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdnpub.build.model import DEFAULT_FINGERPRINTED_PATTERN, ORDINARY_NAMES, fingerprinted_pattern
from cdnpub.errors import UserError
from tests.support.cli import run_main

TOO_WIDE = ("[0-9a-f]*", r"(\.min)?", "", r"\.js$", "x?", "(?:)", r"[a-z]+\.")


@pytest.mark.parametrize("pattern", TOO_WIDE)
def test_a_pattern_taking_names_without_a_hash_is_refused(pattern: str) -> None:
    with pytest.raises(UserError, match="fingerprinted-file pattern"):
        fingerprinted_pattern(pattern)


@pytest.mark.parametrize(
    "pattern", [DEFAULT_FINGERPRINTED_PATTERN, r"\.[0-9a-f]{8}\.", r"-[A-Za-z0-9_]{8}\.js$"]
)
def test_a_pattern_of_hashes_is_taken(pattern: str) -> None:
    compiled = fingerprinted_pattern(pattern)
    assert [n for n in ORDINARY_NAMES if compiled.search(n)] == []


def test_a_pattern_that_is_not_a_regex_is_refused() -> None:
    with pytest.raises(UserError, match="bad fingerprinted-file pattern"):
        fingerprinted_pattern("([")


@pytest.mark.parametrize("where", ["flag", "env", "pyproject"])
@pytest.mark.parametrize("pattern", ["[0-9a-f]*", r"\.js$"])
def test_every_face_refuses_a_too_wide_pattern_before_reading_anything(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
    pattern: str,
) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static/app.js").write_text("a")
    monkeypatch.chdir(tmp_path)
    args = ["build", "static"]
    if where == "flag":
        args += ["--fingerprinted-pattern", pattern]
    elif where == "env":
        monkeypatch.setenv("CDNPUB_FINGERPRINTED_PATTERN", pattern)
    else:
        (tmp_path / "pyproject.toml").write_text(f"[tool.cdnpub]\nfingerprinted_pattern = '{pattern}'\n")
    code, err = run_main(capsys, monkeypatch, *args)
    assert code == 2
    assert err.startswith("cdnpub: ") and err.strip().count("\n") == 0, err
    assert "a name without a hash" in err or "matches an empty name" in err
    assert not (tmp_path / "cdnpub-manifest.json").exists()


@pytest.mark.parametrize(
    ("pattern", "name"),
    [(r"[0-9a-f]{6,}", "facade.js"), (r"[0-9a-f]{6,}", "decade.css"), ("vendor", "vendor.min.js")],
)
def test_a_custom_pattern_keeps_no_name_whose_match_holds_no_hash(
    tmp_path: Path, pattern: str, name: str
) -> None:
    """What a pattern takes in the names being built counts, not only the ordinary names
    it is checked against when read: a match with no letters-and-digits run is no hash."""
    from cdnpub.build.fingerprint import build
    from cdnpub.build.model import BuildOptions, Source
    from cdnpub.build.scan import scan
    from tests.support.trees import write_tree

    root = write_tree(tmp_path / "static", {name: "x", "main.4f3a9c1d.js": "y"})
    result = build([Source(scan(root))], BuildOptions(fingerprinted_pattern=pattern))
    by_path = {a.path: a for a in result.assets}
    assert by_path[name].plain_key is not None and by_path[name].key != f"static/{name}"
    assert by_path["main.4f3a9c1d.js"].kept_name == pattern.startswith("[0-9a-f]")  # a real hash: kept
    assert any(name in w and "holds no hash" in w for w in result.warnings)
