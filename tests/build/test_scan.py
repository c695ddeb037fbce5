import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.build.scan import scan
from cdnpub.errors import UserError

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


# --- hostile and careless trees (issue 16, issue 11) ---------------------------------


def test_a_symlink_to_itself_is_an_error_naming_the_link(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": ""})
    (root / "x").symlink_to("x")
    with pytest.raises(UserError, match=r"static/x is a symlink loop"):
        scan(root)


def test_two_links_pointing_at_each_other_are_a_loop(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": ""})
    (root / "x").symlink_to("y")
    (root / "y").symlink_to("x")
    with pytest.raises(UserError, match=r"symlink loop"):
        scan(root)


def test_a_thousand_nested_folders_are_walked_without_recursion(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": ""})
    chain = [root / ("d/" * (i + 1)) for i in range(1000)]
    try:
        for folder in chain:
            folder.mkdir()  # os.makedirs recurses
        (chain[-1] / "leaf.txt").write_text("x")
        assert paths(root) == ["a.css", "d/" * 1000 + "leaf.txt"]
    finally:  # pytest's own clean-up of old temporary folders recurses too
        (chain[-1] / "leaf.txt").unlink(missing_ok=True)
        for folder in reversed(chain):
            if folder.exists():
                folder.rmdir()


def test_a_name_that_is_not_utf8_is_refused_naming_it_escaped(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": ""})
    with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as f:
        f.write(b"x")
    with pytest.raises(UserError) as caught:
        scan(root)
    message = str(caught.value)
    assert "caf\\xe9.txt" in message and "not UTF-8" in message
    assert message.isprintable()


def test_nfc_and_nfd_spellings_of_one_name_are_refused_naming_both(make_tree: MakeTree) -> None:
    root = make_tree({"caf\u00e9.css": "a", "cafe\u0301.css": "b"})
    with pytest.raises(UserError) as caught:
        scan(root)
    message = str(caught.value)
    assert "caf\\xe9.css" in message and "cafe\\u0301.css" in message
    assert "one key" in message


def test_a_newline_in_a_name_is_escaped_in_the_error(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"a.css": ""})
    (root / "evil\nname").symlink_to(tmp_path)
    with pytest.raises(UserError) as caught:
        scan(root)
    assert "evil\\nname" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "secret",
    [
        "id_rsa",
        "id_ed25519",
        "keys/server.pem",
        "tls.key",
        "cert.p12",
        "store.jks",
        "app.sqlite",
        "app.sqlite3",
        "data/app.db",
        "app.css.bak",
        "app.js.orig",
        "dump.sql",
        "site-backup.zip",
        "site.tar.gz",
        "old.tgz",
    ],
)
def test_private_keys_keystores_databases_and_backups_are_not_published_by_default(
    make_tree: MakeTree, secret: str
) -> None:
    root = make_tree({"app.css": "", secret: "secret"})
    assert paths(root) == ["app.css"]


def test_a_denied_pattern_can_be_reincluded_by_name(make_tree: MakeTree) -> None:
    root = make_tree({".cdnpubignore": "!downloads/*.tar.gz\n", "downloads/src.tar.gz": b"x", "a.db": b""})
    assert paths(root) == ["downloads/src.tar.gz"]


def test_a_private_key_under_any_name_is_left_out_with_a_warning(make_tree: MakeTree) -> None:
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    root = make_tree({"config.txt": pem, "app.css": "body{}"})
    warnings = scan(root).warnings
    assert len(warnings) == 1
    assert "config.txt looks like a private key and was left out" in warnings[0]
    assert paths(root) == ["app.css"]


def test_a_public_key_is_no_warning(make_tree: MakeTree) -> None:
    root = make_tree({"key.txt": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"})
    assert scan(root).warnings == ()


# --- peers' bug reports, replayed ------------------------------------------------------


def test_aws_cli_3961_a_link_to_its_own_folder_is_a_loop(make_tree: MakeTree) -> None:
    root = make_tree({"welcome": "x", "subdir/welcome+again": "y"})
    (root / "subdir/problematic-link").symlink_to("../subdir/")
    with pytest.raises(UserError, match=r"subdir/problematic-link is a symlink loop"):
        scan(root)


def test_aws_cli_3709_a_link_to_a_grandparent_is_a_loop(make_tree: MakeTree) -> None:
    root = make_tree({"d2/d3/d4/a.txt": "x"})
    (root / "d2/d3/d4/symlink").symlink_to("../../../d2")
    with pytest.raises(UserError, match=r"d2/d3/d4/symlink is a symlink loop"):
        scan(root)


def test_skypilot_814_a_link_to_dot_is_a_loop(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": ""})
    (root / "mylink").symlink_to(".")
    with pytest.raises(UserError, match=r"static/mylink is a symlink loop"):
        scan(root)


def test_aws_cli_1028_a_latin1_name_is_refused_naming_it(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": ""})
    with open(os.path.join(os.fsencode(root), b"Panorama_von_Z\xfcrich.png"), "wb") as f:
        f.write(b"png")
    with pytest.raises(UserError, match=r"Panorama_von_Z\\xfcrich\.png: the name is not UTF-8"):
        scan(root)


@pytest.mark.parametrize(
    "name", ["KM_DC_SAMPENGALB\rIKM\x08\x08\x08.jpg", "a\nb.css", "bell\x07.txt", "del\x7f.txt"]
)
def test_aws_cli_5050_a_control_character_in_a_name_is_refused(make_tree: MakeTree, name: str) -> None:
    root = make_tree({"a.css": "", name: "x"})
    with pytest.raises(UserError) as caught:
        scan(root)
    assert "control character" in str(caught.value) and str(caught.value).isprintable()


def test_s3_website_12_a_config_with_aws_credentials_is_a_warning(make_tree: MakeTree) -> None:
    config = (
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n"
    )
    root = make_tree({"deploy/credentials.txt": config, "app.css": "body{}"})
    (warning,) = scan(root).warnings
    assert "credentials.txt looks like AWS credentials" in warning
    assert paths(root) == ["app.css"]
