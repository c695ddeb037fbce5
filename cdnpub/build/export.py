"""Write a build to a folder, for origins that are not S3 (nginx, a Docker image)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from cdnpub.build.digest import READ_CHUNK, read_chunks
from cdnpub.build.model import Asset, Build
from cdnpub.errors import UserError


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
            if asset.edits:
                for chunk in read_chunks(asset.fs_path, asset.source_size, asset.edits):
                    f.write(chunk)
            else:
                _copy(asset, f.fileno())
        os.replace(tmp, target)
    except OSError as err:
        raise UserError(f"cannot write {target}: {err.strerror}") from None


# Errors after which copy_file_range cannot copy these two files, but a read/write loop can.
_NO_RANGE_COPY = frozenset({errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM})


def _copy(asset: Asset, out: int) -> None:
    """An unedited file, copied by the kernel: copy_file_range never brings the bytes into
    Python, and on file systems that share extents (Btrfs, XFS, NFS 4.2) it makes a
    copy-on-write clone (a reflink). Not a hard link: that shares the inode with the source,
    so a bundler or editor that rewrites the source in place (as Node's fs.writeFile does)
    would change the bytes under the exported fingerprinted name too. Size and mtime, before
    and after, stand in for hashing the file again (as the upload of a big file does)."""
    try:
        source = open(asset.fs_path, "rb")  # noqa: SIM115 (its errors are the source's, not the target's)
    except OSError as err:
        raise UserError(f"cannot read {asset.fs_path}: {err.strerror}") from None
    with source:
        if _stamp(source.fileno()) != (asset.source_size, asset.source_mtime_ns):
            raise _changed(asset)
        left = asset.source_size
        copy_range = getattr(os, "copy_file_range", None)  # Linux 4.5+; elsewhere a plain loop
        while left and copy_range is not None:
            try:
                copied = copy_range(source.fileno(), out, left)
            except OSError as err:
                if err.errno not in _NO_RANGE_COPY:
                    raise
                break  # both offsets stand where the kernel stopped: the loop below goes on
            if not copied:
                break
            left -= copied
        if left:
            with open(out, "wb", closefd=False) as target:
                shutil.copyfileobj(source, target, READ_CHUNK)
        if _stamp(source.fileno()) != (asset.source_size, asset.source_mtime_ns):
            raise _changed(asset)
    if os.fstat(out).st_size != asset.size:
        raise _changed(asset)


def _stamp(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_size, st.st_mtime_ns


def _changed(asset: Asset) -> UserError:
    return UserError(f"{asset.fs_path} changed since the build; run again when it is stable")
