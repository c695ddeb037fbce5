import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.errors import UserError
from cdnpub.scan import scan

MakeTree = Callable[..., Path]


def paths(root: Path, exclude: tuple[str, ...] = ()) -> list[str]:
    return [f.path for f in scan(root, exclude).files]


def test_scan_lists_files_sorted_with_posix_paths(make_tree: MakeTree) -> None:
    root = make_tree({"b.css": "", "a/z.png": b"", "a/b/c.js": ""})
    assert paths(root) == ["a/b/c.js", "a/z.png", "b.css"]


def test_scan_records_sizes(make_tree: MakeTree) -> None:
    root = make_tree({"a.txt": "hello"})
    assert scan(root).files[0].size == 5


@pytest.mark.parametrize(
    "junk",
    [
        ".env",
        ".git/config",
        ".DS_Store",
        "css/.hidden.css",
        "__pycache__/x.pyc",
        "app.py",
        "x.pyc",
        "a.css~",
        ".a.css.swp",
        "img/.cache/x.png",
        "Thumbs.db",
        "#a.css#",
    ],
)
def test_scan_leaves_out_secrets_and_junk_by_default(make_tree: MakeTree, junk: str) -> None:
    root = make_tree({"app.css": "", junk: "secret"})
    assert paths(root) == ["app.css"]


def test_cdnpubignore_adds_patterns(make_tree: MakeTree) -> None:
    root = make_tree({".cdnpubignore": "*.scss\ndrafts/\n", "a.scss": "", "drafts/x.css": "", "a.css": ""})
    assert paths(root) == ["a.css"]


def test_cdnpubignore_can_reinclude_a_dot_folder(make_tree: MakeTree) -> None:
    root = make_tree({".cdnpubignore": "!.well-known/\n", ".well-known/security.txt": "x", ".env": "s"})
    assert paths(root) == [".well-known/security.txt"]


def test_exclude_patterns_apply_on_top(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": "", "src/b.ts": ""})
    assert paths(root, ("src/",)) == ["a.css"]


def test_symlink_inside_the_root_is_followed(make_tree: MakeTree) -> None:
    root = make_tree({"real/a.css": "x"})
    os.symlink("real", root / "alias")
    os.symlink("real/a.css", root / "b.css")
    assert paths(root) == ["alias/a.css", "b.css", "real/a.css"]


def test_symlink_escaping_the_root_is_an_error_naming_the_link(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"a.css": ""})
    (tmp_path / "secret.txt").write_text("s")
    os.symlink(tmp_path / "secret.txt", root / "leak.txt")
    with pytest.raises(UserError, match="leak.txt is a symlink to .*outside"):
        scan(root)


def test_symlinked_folder_escaping_the_root_is_an_error(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"a.css": ""})
    os.symlink(tmp_path, root / "up")
    with pytest.raises(UserError, match="up is a symlink"):
        scan(root)


def test_broken_symlink_is_an_error(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": ""})
    os.symlink("nowhere.png", root / "b.png")
    with pytest.raises(UserError, match="b.png is a broken symlink"):
        scan(root)


def test_ignored_escaping_symlink_is_not_an_error(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": ""})
    os.symlink("/etc/passwd", root / ".env")
    assert paths(root) == ["a.css"]


def test_missing_root_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        scan(tmp_path / "nope")


def test_file_as_root_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(UserError, match="is not a folder"):
        scan(tmp_path / "f")


def test_names_differing_only_in_case_warn(make_tree: MakeTree) -> None:
    root = make_tree({"Logo.png": b"1", "logo.png": b"2"})
    result = scan(root)
    assert len(result.files) == 2
    assert result.warnings == ("Logo.png and logo.png differ only in case",)


def test_decomposed_unicode_names_are_normalised(make_tree: MakeTree) -> None:
    root = make_tree({"cafe\u0301.css": ""})
    assert paths(root) == ["caf\u00e9.css"]


def test_link_to_an_ignored_file_or_folder_is_left_out(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": "", ".env": "SECRET=1", ".git/config": "[core]"})
    os.symlink(".env", root / "config.txt")
    os.symlink(".git", root / "gitdir")
    assert paths(root) == ["a.css"]
