"""Secrets stay off the CDN (issue 26 points 4-6): what the content sniff finds is left
out like a denied name, back only with an explicit `!pattern`; the deny-list matches
whatever the case, and covers SQLite's -wal and -shm files."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.build.scan import DENIED_REASON, scan
from tests.support.cli import run_cli

MakeTree = Callable[..., Path]

OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE\n-----END OPENSSH PRIVATE KEY-----\n"


def paths(root: Path, exclude: tuple[str, ...] = ()) -> list[str]:
    return [f.path for f in scan(root, exclude).files]


def test_a_sniffed_private_key_is_left_out_not_only_warned_about(make_tree: MakeTree) -> None:
    root = make_tree({"keys/deploy_key": OPENSSH, "app.css": "body{}"})
    found = scan(root)
    assert [f.path for f in found.files] == ["app.css"]
    (gone,) = found.left_out
    assert gone.fs_path.endswith("keys/deploy_key") and gone.why == "looks like a private key"


@pytest.mark.parametrize("line", ["!keys/deploy_key", "!deploy_key", "!keys/"])
def test_a_sniffed_secret_comes_back_only_with_an_explicit_negation(make_tree: MakeTree, line: str) -> None:
    root = make_tree({"keys/deploy_key": OPENSSH, "app.css": "body{}", ".cdnpubignore": line + "\n"})
    found = scan(root)
    assert [f.path for f in found.files] == ["app.css", "keys/deploy_key"]
    assert found.left_out == () and found.warnings == ()


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGV0ZXN0AQgAx\n-----END PGP PRIVATE KEY BLOCK-----\n",
            "a private key",
        ),
        (
            "User name,Password,Access key ID,Secret access key,Console login link\n"
            "deploy,,AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY,\n",
            "AWS credentials",
        ),
        (
            "Access key ID,Secret access key\nAKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCY\n",
            "AWS credentials",
        ),
        (
            '{\n    "AccessKey": {\n        "UserName": "deploy",\n        "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",\n'
            '        "Status": "Active",\n        "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG"\n    }\n}\n',
            "AWS credentials",
        ),
        (
            '{"Credentials": {"AccessKeyId": "ASIAXXXX", "SecretAccessKey": "abc", "SessionToken": "t"}}',
            "AWS credentials",
        ),
    ],
    ids=["pgp-armor", "iam-console-csv", "iam-csv-two-columns", "create-access-key", "sts"],
)
def test_forms_aws_and_gnupg_hand_out_are_sniffed(make_tree: MakeTree, body: str, what: str) -> None:
    root = make_tree({"data/export.txt": body, "app.css": "body{}"})
    found = scan(root)
    assert [f.path for f in found.files] == ["app.css"]
    assert [g.why for g in found.left_out] == [f"looks like {what}"]


@pytest.mark.parametrize(
    "secret",
    ["SERVER.KEY", "ID_RSA", "App.DB", "Dump.SQL", "site.BAK", "keys/Deploy.PEM", "Site.Tar.Gz"],
)
def test_the_deny_list_matches_whatever_the_case(make_tree: MakeTree, secret: str) -> None:
    root = make_tree({"app.css": "", secret: "secret"})
    found = scan(root)
    assert [f.path for f in found.files] == ["app.css"]
    assert [g.why for g in found.left_out] == [DENIED_REASON]


@pytest.mark.parametrize(
    "journal",
    ["app.db-wal", "app.db-shm", "app.sqlite-wal", "app.sqlite-shm", "app.sqlite3-wal", "app.sqlite3-shm",
     "app.sqlite3-journal", "APP.DB-WAL"],
)  # fmt: skip
def test_sqlite_write_ahead_logs_and_their_index_are_denied(make_tree: MakeTree, journal: str) -> None:
    root = make_tree({"app.css": "", journal: "SQLite pages"})
    assert paths(root) == ["app.css"]


def test_a_denied_name_in_other_case_comes_back_with_its_own_negation(make_tree: MakeTree) -> None:
    root = make_tree({"app.css": "", "Dump.SQL": "x", "other.SQL": "y"})
    assert paths(root, ("!Dump.SQL",)) == ["Dump.SQL", "app.css"]


def test_an_ignored_dotfile_is_not_listed_as_left_out(make_tree: MakeTree) -> None:
    root = make_tree({"app.css": "", ".env": "SECRET=1", ".git/config": "x"})
    assert scan(root).left_out == ()


def test_build_json_and_summary_say_what_was_left_out_and_why(make_tree: MakeTree) -> None:
    root = make_tree({"keys/deploy_key": OPENSSH, "server.key": "x", "app.css": "body{}"})
    result = run_cli("build", str(root), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [(Path(g["path"]).name, g["why"]) for g in doc["left_out"]] == [
        ("server.key", DENIED_REASON),
        ("deploy_key", "looks like a private key"),
    ]
    assert doc["files"] == 1
    text = run_cli("build", str(root)).stdout
    assert "Left out 2 secrets:" in text and "deploy_key (looks like a private key)" in text


def test_a_secret_the_user_ignores_is_no_warning_so_strict_builds(make_tree: MakeTree) -> None:
    root = make_tree({"keys/deploy_key": OPENSSH, "app.css": "body{}", ".cdnpubignore": "keys/\n"})
    found = scan(root)
    assert [f.path for f in found.files] == ["app.css"] and found.warnings == ()
