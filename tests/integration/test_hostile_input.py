"""Hostile and careless input, over a moto server: each refused before any write (exit 2,
one line), or survived without touching what is not cdnpub's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.aws import MotoServer
from tests.support.cli import publish, run_cli


def keys(server: MotoServer, bucket: str) -> set[str]:
    listed = server.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"] for o in listed}


def one_line(result: object, code: int = 2) -> str:
    out = result.stderr  # type: ignore[attr-defined]
    assert result.exit_code == code, out  # type: ignore[attr-defined]
    assert "Traceback" not in out
    lines = out.strip().splitlines()
    assert lines[-1].startswith("cdnpub: ") or lines[-1].startswith("Error: "), out
    return lines[-1]


def test_a_name_that_is_not_utf8_is_refused_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    with open(os.path.join(os.fsencode(site), b"caf\xe9.txt"), "wb") as f:
        f.write(b"latin-1")
    line = one_line(publish(site, bucket, moto_server))
    assert "caf\\xe9.txt" in line and "not UTF-8" in line
    assert moto_server.writes() == []
    assert not Path("cdnpub-manifest.json").exists()


def test_two_unicode_spellings_of_one_name_are_refused_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    (site / "caf\u00e9.css").write_text("a{}")
    (site / "cafe\u0301.css").write_text("b{}")
    line = one_line(publish(site, bucket, moto_server))
    assert "one key" in line
    assert moto_server.writes() == []


def test_a_header_rule_s3_cannot_carry_is_refused_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    Path("pyproject.toml").write_text(
        '[tool.cdnpub]\n[[tool.cdnpub.rules]]\nmatch = "*.css"\nheaders = {x-amz-meta-author = "Zo\u00eb Example"}\n'
    )
    line = one_line(publish(site, bucket, moto_server))
    assert 'match = "*.css"' in line and "x-amz-meta-author" in line
    assert moto_server.writes() == []


def test_a_crlf_in_a_header_rule_is_refused_before_any_write(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    Path("pyproject.toml").write_text(
        '[tool.cdnpub]\n[[tool.cdnpub.rules]]\nmatch = "*.png"\ncache_control = "public\\r\\nX-Evil: 1"\n'
    )
    line = one_line(publish(site, bucket, moto_server))
    assert "no line break" in line
    assert moto_server.writes() == []


def test_prune_older_than_false_in_pyproject_is_refused_not_read_as_zero(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    publish(site, bucket, moto_server)
    moto_server.client().put_object(Bucket=bucket, Key="static/other-tool.txt", Body=b"theirs")
    Path("pyproject.toml").write_text("[tool.cdnpub]\nprune_older_than = false\n")
    line = one_line(publish(site, bucket, moto_server))
    assert "prune_older_than = false: must be a number" in line
    assert "static/other-tool.txt" in keys(moto_server, bucket)


def test_a_prefix_with_a_dot_segment_is_refused(moto_server: MotoServer, bucket: str, site: Path) -> None:
    result = run_cli("publish", str(site), f"s3://{bucket}/static/.cdnpub", "--endpoint-url", moto_server.url)
    assert "segment starting with '.'" in one_line(result)
    assert moto_server.writes() == []


def test_prune_never_deletes_another_tools_object(moto_server: MotoServer, bucket: str, site: Path) -> None:
    moto_server.client().put_object(Bucket=bucket, Key="static/uploads/avatar.png", Body=b"theirs")
    assert publish(site, bucket, moto_server).exit_code == 0
    (site / "img/logo.png").write_bytes(b"\x89PNG-logo-2")
    assert publish(site, bucket, moto_server).exit_code == 0
    old_logo = {k for k in keys(moto_server, bucket) if k.startswith("static/img/logo.")}
    (site / "img/logo.png").write_bytes(b"\x89PNG-logo-3")
    result = publish(site, bucket, moto_server, "--prune-older-than", "0")
    assert result.exit_code == 0, result.output
    stored = keys(moto_server, bucket)
    assert "static/uploads/avatar.png" in stored  # no cdnpub release named it
    assert len({k for k in stored if k.startswith("static/img/logo.")} & old_logo) < len(old_logo)
    result = publish(site, bucket, moto_server, "--prune-older-than", "0", "--prune-foreign")
    assert result.exit_code == 0 and "static/uploads/avatar.png" not in keys(moto_server, bucket)


def test_a_junk_record_with_an_impossible_time_is_ignored_with_a_warning(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    junk = "static/.cdnpub/releases/99999999T999999Z-0123456789ab.json.gz"
    moto_server.client().put_object(Bucket=bucket, Key=junk, Body=b"junk")
    moto_server.reset_log()
    result = publish(site, bucket, moto_server)
    assert result.exit_code == 0 and "named like a release record but its time is none" in result.stderr
    assert moto_server.writes() == []  # the real newest record still says: nothing to do
    result = publish(site, bucket, moto_server, "--prune-older-than", "0")
    assert result.exit_code == 0, result.output
    assert junk in keys(moto_server, bucket)  # not cdnpub's record: not deleted either


def test_pending_keys_outside_the_prefix_are_dropped_with_a_warning(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    assert publish(site, bucket, moto_server).exit_code == 0
    marker = {
        "distributions": {"": ["other/secret.html", "static/../x", "static/css/app.css"]},
        "landed": True,
    }
    s3 = moto_server.client()
    s3.put_object(
        Bucket=bucket, Key="static/.cdnpub/pending-invalidation.json", Body=json.dumps(marker).encode()
    )
    result = publish(site, bucket, moto_server, "--json", "--dry-run")
    assert result.exit_code == 0
    assert "names 2 keys outside static/" in result.stderr


def test_a_dry_run_shows_keys_with_markup_as_they_are(
    moto_server: MotoServer, bucket: str, site: Path
) -> None:
    (site / "[lang]").mkdir()
    (site / "[lang]/page.js").write_text("x")
    (site / "[").mkdir()
    (site / "[" / "]x.js").write_text("y")  # the key static/[/]x.js
    result = publish(site, bucket, moto_server, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "static/[lang]/page.js" in result.output and "static/[/]x.js" in result.output


@pytest.mark.parametrize("name", ["a\nb.css"])
def test_a_newline_in_a_name_does_not_split_the_error(
    moto_server: MotoServer, bucket: str, site: Path, name: str
) -> None:
    (site / name).symlink_to("/etc/hostname")
    line = one_line(publish(site, bucket, moto_server))
    assert "a\\nb.css" in line
