"""Both faces run in-process: `cdnpub` through click's runner or its `main` (as the
entry point does), and `cdnpub publish` to an endpoint (the moto server or a proxy)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pytest
from click.testing import CliRunner, Result

from cdnpub.cli import cli, main


class Endpoint(Protocol):
    """What `publish` sends to: the moto server, or a fault proxy in front of it."""

    @property
    def url(self) -> str: ...


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def publish(site: Path, bucket: str, endpoint: Endpoint, *extra: str) -> Result:
    """`cdnpub publish SITE s3://BUCKET/static --endpoint-url URL EXTRA...`."""
    return run_cli("publish", str(site), f"s3://{bucket}/static", "--endpoint-url", endpoint.url, *extra)


def run_main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    """`cdnpub ARGS` as the console script runs it: (exit code, stderr)."""
    monkeypatch.setattr("sys.argv", ["cdnpub", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def one_line_error(result: Result, code: int, *phrases: str) -> None:
    """The contract for an expected failure: exit code, `cdnpub: ...` alone on stderr, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("cdnpub: "), result.stderr
    assert not any(line.startswith("cdnpub: ") for line in lines[:-1]), result.stderr
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in lines[-1], (phrase, lines[-1])
