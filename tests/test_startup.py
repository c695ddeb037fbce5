"""What a command imports: `cdnpub build` and `--version` never load boto3 or botocore
(a third of a second at every start), nor Flask (80 ms and 9 MB), whatever keys [tool.cdnpub] names; bench/build_bench.py reports start-up.
A web worker's `import cdnpub.flask` loads the manifest reader only (bench/flask_bench.py
reports its cost against `import flask`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Runs the CLI in a fresh interpreter, then prints which AWS modules it loaded.
_CHILD = """
import json, sys
from cdnpub.cli import main
try:
    main()
except SystemExit as done:
    code = done.code
aws = sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "s3transfer", "flask"))
print(json.dumps({"code": code, "aws": aws}), file=sys.stderr)
"""


def _run(*args: str, cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    found: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return found


def test_version_imports_no_aws_library(tmp_path: Path) -> None:
    assert _run("--version", cwd=tmp_path) == {"code": 0, "aws": []}


def test_build_imports_no_aws_library(tmp_path: Path) -> None:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "app.css").write_text("body { background: url(../img/a.png) }\n")
    (static / "img").mkdir()
    (static / "img" / "a.png").write_bytes(b"\x89PNG" + bytes(2048))
    out = tmp_path / "out"
    found = _run(
        "build", str(static), "--out", str(out), "--manifest", str(tmp_path / "m.json"), cwd=tmp_path
    )
    assert found == {"code": 0, "aws": []}
    assert (out / "css" / "app.css").is_file()


def test_build_of_a_multipart_sized_file_imports_no_aws_library(tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    with open(static / "film.mp4", "wb") as f:
        f.truncate(17 * 1024 * 1024)  # past the multipart threshold: the ETag needs the part size
    found = _run("build", str(static), "--manifest", str(tmp_path / "m.json"), cwd=tmp_path)
    assert found == {"code": 0, "aws": []}


def test_a_pyproject_naming_keys_of_other_commands_loads_no_flask_nor_aws_library(tmp_path: Path) -> None:
    """Every key either face takes is known below the faces (options.py): reading
    [tool.cdnpub] never imports `flask cdn`, whatever keys it names."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "a.css").write_text("a{}")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cdnpub]\nallow_shrink = true\njs_modules = ["*.js"]\nport = 4570\nlocal = false\n'
    )
    found = _run("build", str(static), "--manifest", str(tmp_path / "m.json"), cwd=tmp_path)
    assert found == {"code": 0, "aws": []}


# Imports Flask, then cdnpub.flask, in a fresh interpreter; prints what the second added.
_WEB_CHILD = """
import json, sys
import flask
before = set(sys.modules)
import cdnpub.flask
print(json.dumps({"flask_loads_click": "click" in before, "added": sorted(set(sys.modules) - before)}))
"""

# Libraries the web runtime must not load: each costs a worker tens of ms at start.
_HEAVY = {"boto3", "botocore", "tinycss2", "tree_sitter", "tree_sitter_javascript", "pathspec", "rich"}
# The offline and publishing code: `flask cdn` loads it, a request never does.
_NOT_AT_RUNTIME = {f"cdnpub.{folder}" for folder in ("build", "aws", "sync", "commands", "doctor", "local")}


def test_the_web_runtime_loads_no_build_aws_or_command_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WEB_CHILD], capture_output=True, text=True, timeout=120, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    added: list[str] = found["added"]
    # Flask loads click for its own CLI; were it not so, cdnpub.flask must not either.
    heavy = _HEAVY if found["flask_loads_click"] else _HEAVY | {"click"}
    assert sorted({m.split(".")[0] for m in added} & heavy) == []
    assert [m for m in added if ".".join(m.split(".")[:2]) in _NOT_AT_RUNTIME] == []
    assert "cdnpub.flask.extension" in added  # the check looked at a real import
