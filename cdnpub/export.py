"""Write a build to a folder, for origins that are not S3 (nginx, a Docker image)."""

from __future__ import annotations

import os
from pathlib import Path

from .digest import read_chunks
from .errors import UserError
from .fingerprint import Asset, Build


def relative(key: str, prefix: str) -> str:
    return key[len(prefix) + 1 :] if prefix else key


def export(build: Build, out: Path) -> int:
    """Fingerprinted files and plain-name copies under `out`; returns the files written."""
    target = out.resolve()
    for root in build.roots:
        source = Path(root).resolve()
        if target == source or source in target.parents:
            # The rewritten files would replace their sources, and the next build would
            # fingerprint the fingerprinted copies again.
            raise UserError(f"--out {out} is inside the static folder {root}: choose a folder outside it")
    written = 0
    for asset in build.assets:
        names = [asset.key] + ([asset.plain_key] if asset.plain_key else [])
        for key in names:
            _write(asset, out / relative(key, build.prefix))
            written += 1
    return written


def _write(asset: Asset, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        with open(tmp, "wb") as f:
            for chunk in read_chunks(asset.fs_path, asset.source_size, asset.edits):
                f.write(chunk)
        os.replace(tmp, target)
    except OSError as err:
        raise UserError(f"cannot write {target}: {err.strerror}") from None
