"""`cdnpub local`'s papercuts: without the `local` extra it is one line and exit 2 (not
moto's traceback), and the request log is opt-in (--log-requests)."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
import requests

from tests.support.cli import run_main


def test_without_the_local_extra_it_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "moto" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    code, err = run_main(capsys, monkeypatch, "local", "--port", "0", "--cdn-port", "0")
    assert code == 2
    assert err.strip() == (
        "cdnpub: cdnpub local needs the `local` extra (moto is not installed): pip install "
        "'cdnpub[local]' (from a checkout: pip install -e '/path/to/cdnpub[local]')"
    )


def _run_local(*extra: str) -> str:
    """Start `cdnpub local`, send a request to each server, stop it: its stderr."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "cdnpub.local", "--port", "0", "--cdn-port", "0", *extra]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 20
        while not any("Ctrl-C" in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        text = "".join(lines)
        emulator = re.search(r"emulator at (http://127\.0\.0\.1:\d+)", text)
        preview = re.search(r"CDN preview of s3://\S+ at (http://127\.0\.0\.1:\d+)/", text)
        assert emulator and preview, text
        requests.get(emulator.group(1) + "/", timeout=5)
        requests.get(preview.group(1) + "/static/none.css", timeout=5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        return err
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_request_log_is_off_by_default() -> None:
    err = _run_local()
    assert "HTTP/1.1" not in err, err


def test_log_requests_turns_it_on() -> None:
    err = _run_local("--log-requests")
    assert '"GET / HTTP/1.1"' in err and "/static/none.css HTTP/1.1" in err, err
