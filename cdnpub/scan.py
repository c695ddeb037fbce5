"""Walk a static folder: ignore rules that keep secrets and junk off a public CDN,
and symlinks confined to the folder."""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from .errors import UserError

IGNORE_FILE = ".cdnpubignore"

# A static folder is public the moment it is published: dotfiles (.env, .git/,
# .DS_Store), Python sources and editor debris never belong there. Users can
# re-include a path with a `!pattern` line in .cdnpubignore.
DEFAULT_IGNORES: tuple[str, ...] = (
    ".*",
    "__pycache__/",
    "*.py",
    "*.pyc",
    "*.pyo",
    "*~",
    "*.swp",
    "*.swo",
    "*.swx",
    "\\#*#",  # emacs autosave; a leading # would start a comment
    "Thumbs.db",
    "desktop.ini",
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # logical POSIX path relative to the static root, NFC-normalised
    fs_path: str  # where to read it on this machine
    size: int
    mtime_ns: int = 0  # with size, tells whether the file changed after the scan


@dataclass(frozen=True, slots=True)
class Scan:
    root: str
    files: tuple[SourceFile, ...]
    warnings: tuple[str, ...] = ()


def ignore_spec(root: Path, exclude: Sequence[str] = ()) -> pathspec.GitIgnoreSpec:
    """Default rules, then the folder's .cdnpubignore, then --exclude: later lines win."""
    lines = list(DEFAULT_IGNORES)
    ignore_file = root / IGNORE_FILE
    if ignore_file.is_file():
        try:
            lines += ignore_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise UserError(f"cannot read {ignore_file}: {err}") from None
    lines += exclude
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception as err:  # pathspec raises plain errors for bad patterns
        raise UserError(f"bad ignore pattern: {err}") from None


def scan(root: str | os.PathLike[str], exclude: Sequence[str] = ()) -> Scan:
    """Every publishable file under `root`, sorted by logical path."""
    root_path = Path(root)
    if not root_path.exists():
        raise UserError(f"{root_path} does not exist")
    if not root_path.is_dir():
        raise UserError(f"{root_path} is not a folder")
    spec = ignore_spec(root_path, exclude)
    real_root = os.path.realpath(root_path)
    files = tuple(_walk(str(root_path), "", real_root, spec, frozenset({real_root})))
    return Scan(root=str(root_path), files=files, warnings=tuple(_case_clashes(files)))


def _walk(
    directory: str,
    logical: str,
    real_root: str,
    spec: pathspec.GitIgnoreSpec,
    ancestors: frozenset[str],
) -> Iterator[SourceFile]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as err:
        raise UserError(f"cannot read folder {directory}: {err.strerror}") from None
    for entry in entries:
        name = entry.name
        if not unicodedata.is_normalized("NFC", name):
            name = unicodedata.normalize("NFC", name)
        path = f"{logical}{name}"
        is_dir = entry.is_dir(follow_symlinks=True)
        if spec.match_file(f"{path}/" if is_dir else path):
            continue
        real = entry.path
        if entry.is_symlink():
            real = _confined_target(entry.path, real_root)
            # The rules hold for what a link points at too: `config.txt -> .env` is `.env`.
            target = os.path.relpath(real, real_root).replace(os.sep, "/")
            if spec.match_file(f"{target}/" if is_dir else target):
                continue
        if is_dir:
            real_dir = os.path.realpath(real)
            if real_dir in ancestors:  # a link back up the tree: walking it never ends
                raise UserError(f"{entry.path} is a symlink loop")
            yield from _walk(entry.path, f"{path}/", real_root, spec, ancestors | {real_dir})
            continue
        try:
            st = entry.stat(follow_symlinks=True)
        except OSError as err:
            raise UserError(f"cannot read {entry.path}: {err.strerror}") from None
        if not stat.S_ISREG(st.st_mode):
            continue  # sockets, fifos, devices: nothing a CDN serves
        yield SourceFile(path=path, fs_path=entry.path, size=st.st_size, mtime_ns=st.st_mtime_ns)


def _confined_target(link: str, real_root: str) -> str:
    target = os.path.realpath(link)
    if not os.path.exists(target):
        raise UserError(f"{link} is a broken symlink (to {os.readlink(link)})")
    if os.path.commonpath([real_root, target]) != real_root:
        raise UserError(
            f"{link} is a symlink to {target}, outside the static folder; cdnpub follows links only inside it"
        )
    return target


def _case_clashes(files: Iterable[SourceFile]) -> Iterator[str]:
    """Names equal but for case are distinct S3 keys, but they collide on macOS and
    Windows checkouts and in `--out` folders there: worth a warning."""
    seen: dict[str, str] = {}
    for f in files:
        folded = f.path.casefold()
        if folded in seen:
            yield f"{seen[folded]} and {f.path} differ only in case"
        else:
            seen[folded] = f.path
