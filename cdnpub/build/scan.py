"""Walk a static folder: ignore rules that keep secrets and junk off a public CDN,
and symlinks confined to the folder."""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from cdnpub.errors import UserError
from cdnpub.text import printable
from cdnpub.urls import normal_name

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


# Secrets that end up in static folders by accident (a deploy key copied next to the
# assets, a SQLite file of the dev server, a dump before a migration): a public CDN
# serves them to anyone who guesses the name. Matched whatever the case (`SERVER.KEY`,
# `Dump.SQL`: Windows and macOS tools write either). Each can be re-included by name
# with a `!pattern` line in .cdnpubignore or --exclude.
DEFAULT_DENIED: tuple[str, ...] = (
    # private keys and keystores
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.ppk", "*.kdbx",
    # databases, with SQLite's rollback journal, write-ahead log and its index (the
    # -wal file holds the newest pages: https://sqlite.org/tempfiles.html)
    "*.sqlite", "*.sqlite3", "*.db", "*.mdb", "*.accdb",
    "*.sqlite-journal", "*.sqlite-wal", "*.sqlite-shm", "*.sqlite3-journal", "*.sqlite3-wal",
    "*.sqlite3-shm", "*.db-journal", "*.db-wal", "*.db-shm",
    # backups and dumps
    "*.bak", "*.orig", "*.old", "*.backup", "*.sql", "*.sql.gz", "*.dump",
    "*.tar", "*.tar.gz", "*.tgz", "*.tar.bz2", "*.tar.xz", "*backup*.zip", "*backup*.7z",
)  # fmt: skip


# Where a file's first bytes say "secret" whatever its name: a private key (PEM, OpenSSH,
# PuTTY, an armored OpenPGP key: RFC 4880 6.2), or AWS credentials in a deploy tool's
# config published with the site (laurilehmijoki/s3_website#12, schickling/git-s3#12), in
# the CSV the IAM console hands out, or in the JSON of `aws iam create-access-key` and
# `aws sts assume-role` ("SecretAccessKey").
_SECRET_MARKERS = (
    (b"PRIVATE KEY-----", "a private key"),
    (b"PuTTY-User-Key-File-", "a private key"),
    (b"-----BEGIN PGP PRIVATE KEY BLOCK-----", "a private key"),
    (b"aws_secret_access_key", "AWS credentials"),
    (b"AWS_SECRET_ACCESS_KEY", "AWS credentials"),
    (b"Secret access key", "AWS credentials"),
    (b'"SecretAccessKey"', "AWS credentials"),
)


DENIED_REASON = "a name on the deny-list"


SNIFF_BYTES = 1024


SNIFF_MAX_SIZE = 64 * 1024  # a private key file is a few KB; larger files are not read


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # logical POSIX path relative to the static root, NFC-normalised
    fs_path: str  # where to read it on this machine
    size: int
    mtime_ns: int = 0  # with size, tells whether the file changed after the scan


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A file kept off the CDN for a reason worth telling: a secret's name or bytes."""

    fs_path: str  # where it is on this machine, as printed
    why: str  # "a name on the deny-list", "looks like a private key", ...


@dataclass(frozen=True, slots=True)
class Scan:
    root: str
    files: tuple[SourceFile, ...]
    warnings: tuple[str, ...] = ()
    left_out: tuple[LeftOut, ...] = ()  # secrets left out, by name or by content


@dataclass(frozen=True, slots=True)
class Rules:
    """What a folder publishes. `ignored`: the default ignores, then the folder's
    .cdnpubignore, then --exclude, later lines win (gitignore, case-sensitive as git).
    `denied`: the deny-list, matched on the case-folded name. `reincluded`: the user's
    `!pattern` lines, the only way back for a denied name or a sniffed secret."""

    ignored: pathspec.GitIgnoreSpec
    reincluded: pathspec.GitIgnoreSpec
    denied: re.Pattern[str] = re.compile("|".join(fnmatch.translate(p) for p in DEFAULT_DENIED))

    def why_left_out(self, path: str) -> str | None:
        """None when `path` (a logical path, `dir/` for a folder) is published; else
        "ignored" or DENIED_REASON."""
        if self.ignored.match_file(path):
            return "ignored"
        # Every denied pattern is a name without "/", which gitignore matches against the
        # last segment: one regex on the case-folded name (a second pathspec match per
        # file cost a quarter more scan time).
        name = path.rstrip("/").rpartition("/")[2].casefold()
        if self.denied.match(name) and not self.reincluded.match_file(path):
            return DENIED_REASON
        return None


def ignore_rules(root: Path, exclude: Sequence[str] = ()) -> Rules:
    """The folder's Rules; a .cdnpubignore that cannot be read or a bad pattern is a UserError."""
    lines: list[str] = []
    ignore_file = root / IGNORE_FILE
    if ignore_file.is_file():
        try:
            lines += ignore_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise UserError(f"cannot read {printable(str(ignore_file))}: {err}") from None
    lines += exclude
    back = [line.strip()[1:] for line in lines if line.strip().startswith("!")]
    try:
        return Rules(
            ignored=pathspec.GitIgnoreSpec.from_lines([*DEFAULT_IGNORES, *lines]),
            reincluded=pathspec.GitIgnoreSpec.from_lines(back),
        )
    except Exception as err:  # pathspec raises plain errors for bad patterns
        raise UserError(f"bad ignore pattern: {err}") from None


def scan(
    root: str | os.PathLike[str],
    exclude: Sequence[str] = (),
    leave_out: Iterable[str | os.PathLike[str]] = (),
) -> Scan:
    """Every publishable file under `root`, sorted by logical path.

    `leave_out`: files cdnpub writes itself (the manifest, when CDN_MANIFEST or --manifest
    is inside the folder), never one of the files they describe: else each build would
    fingerprint the previous manifest, never settle, and publish the list of every asset.

    Errors (UserError, naming the file): a name that is not UTF-8 (S3 keys are), two
    names that are one in NFC (one key), a symlink out of the folder, broken or looping."""
    root_path = Path(root)
    if not root_path.exists():
        raise UserError(f"{root_path} does not exist")
    if not root_path.is_dir():
        raise UserError(f"{root_path} is not a folder")
    rules = ignore_rules(root_path, exclude)
    real_root = os.path.realpath(root_path)
    denied: list[LeftOut] = []
    files = tuple(_walk(str(root_path), real_root, rules, denied))
    own = {os.path.realpath(p) for p in leave_out}
    if own:
        names = {os.path.basename(p) for p in own}  # realpath only for the few files of those names
        files = tuple(
            f
            for f in files
            if os.path.basename(f.fs_path) not in names or os.path.realpath(f.fs_path) not in own
        )
    _one_spelling(files)
    sniffed = {f.fs_path: why for f, why in _secrets(files) if not rules.reincluded.match_file(f.path)}
    kept = tuple(f for f in files if f.fs_path not in sniffed)
    warnings = [
        *_case_clashes(kept),
        *(
            f"{printable(path)} {why} and was left out; list it in .cdnpubignore to say so "
            "(no warning), or a `!` line naming it publishes it"
            for path, why in sniffed.items()
        ),
    ]
    left_out = (*denied, *(LeftOut(printable(path), why) for path, why in sniffed.items()))
    return Scan(root=str(root_path), files=kept, warnings=tuple(warnings), left_out=left_out)


def _walk(top: str, real_root: str, rules: Rules, denied: list[LeftOut]) -> Iterator[SourceFile]:
    """Depth first in name order, with a stack of its own: a tree of any depth walks
    without Python's recursion limit. Denied files are added to `denied`."""
    # Each level: its entries, its logical path, its real path and those of its ancestors.
    stack: list[tuple[Iterator[os.DirEntry[str]], str, str, frozenset[str]]] = [
        (_entries(top), "", real_root, frozenset({real_root}))
    ]
    while stack:
        entries, logical, real_parent, ancestors = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        path = f"{logical}{_name(entry)}"
        is_dir = _is_dir(entry)
        why = rules.why_left_out(f"{path}/" if is_dir else path)
        if why is not None:
            if why == DENIED_REASON and not is_dir:
                denied.append(LeftOut(printable(entry.path), why))
            continue
        real = os.path.join(real_parent, entry.name)  # no realpath per level: deep trees stay linear
        if entry.is_symlink():
            real = _confined_target(entry.path, real_root)
            # The rules hold for what a link points at too: `config.txt -> .env` is `.env`.
            target = os.path.relpath(real, real_root).replace(os.sep, "/")
            if rules.why_left_out(f"{target}/" if is_dir else target) is not None:
                continue
        if is_dir:
            if real in ancestors:  # a link back up the tree: walking it never ends
                raise UserError(f"{printable(entry.path)} is a symlink loop")
            stack.append((_entries(entry.path), f"{path}/", real, ancestors | {real}))
            continue
        try:
            st = entry.stat(follow_symlinks=True)
        except OSError as err:
            raise UserError(f"cannot read {printable(entry.path)}: {err.strerror}") from None
        if not stat.S_ISREG(st.st_mode):
            continue  # sockets, fifos, devices: nothing a CDN serves
        yield SourceFile(path=path, fs_path=entry.path, size=st.st_size, mtime_ns=st.st_mtime_ns)


def _entries(directory: str) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as found:
            entries = sorted(found, key=lambda e: e.name)
    except OSError as err:
        raise UserError(f"cannot read folder {printable(directory)}: {err.strerror}") from None
    return iter(entries)


def _name(entry: os.DirEntry[str]) -> str:
    """The entry's name in NFC, the one form names are compared and published in."""
    name = entry.name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by os.fsdecode as surrogates
        raise UserError(
            f"{printable(entry.path)}: the name is not UTF-8, and S3 keys are; rename it "
            "(for example with convmv -f latin1 -t utf8)"
        ) from None
    if any(unicodedata.category(c) == "Cc" for c in name):
        # S3 stores such a key, but its XML answers (a multipart upload's, an error's)
        # cannot carry it, and no URL a page holds names it: aws-cli#5050.
        raise UserError(
            f"{printable(entry.path)}: the name holds a control character (such as a line break); rename it"
        )
    return normal_name(name)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UserError(f"{printable(entry.path)} is a symlink loop") from None
        raise UserError(f"cannot read {printable(entry.path)}: {err.strerror}") from None


def _confined_target(link: str, real_root: str) -> str:
    try:
        os.stat(link)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UserError(f"{printable(link)} is a symlink loop") from None
        raise UserError(
            f"{printable(link)} is a broken symlink (to {printable(os.readlink(link))})"
        ) from None
    target = os.path.realpath(link)
    if os.path.commonpath([real_root, target]) != real_root:
        raise UserError(
            f"{printable(link)} is a symlink to {printable(target)}, outside the static folder; "
            "cdnpub follows links only inside it"
        )
    return target


def _one_spelling(files: Sequence[SourceFile]) -> None:
    """Two names that differ only in their Unicode form (NFC `é` and NFD `e` + U+0301,
    as macOS and Linux tools each write them) are one key: one file would be lost."""
    seen: dict[str, SourceFile] = {}
    for f in files:
        if f.path in seen:
            first = seen[f.path].fs_path
            raise UserError(
                f"{_spelled(first)} and {_spelled(f.fs_path)} are one name in two Unicode forms "
                f"and would land on one key ({printable(f.path)}); rename or remove one"
            )
        seen[f.path] = f


def _spelled(fs_path: str) -> str:
    """A path with non-ASCII letters escaped, so that two Unicode forms of it differ on screen."""
    return printable(fs_path).encode("ascii", "backslashreplace").decode("ascii")


def _secrets(files: Iterable[SourceFile]) -> Iterator[tuple[SourceFile, str]]:
    """A secret under any name (`config.txt`), with what it looks like ("looks like a
    private key"): the name rules cannot catch it."""
    for f in files:
        if f.size > SNIFF_MAX_SIZE or f.size < 32:
            continue
        try:
            with open(f.fs_path, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError:
            continue  # the build reports what it cannot read
        found = next((what for marker, what in _SECRET_MARKERS if marker in head), None)
        if found is not None:
            yield f, f"looks like {found}"


def _case_clashes(files: Iterable[SourceFile]) -> Iterator[str]:
    """Names equal but for case are distinct S3 keys, but they collide on macOS and
    Windows checkouts and in `--out` folders there: worth a warning."""
    seen: dict[str, str] = {}
    for f in files:
        folded = f.path.casefold()
        if folded in seen:
            yield f"{printable(seen[folded])} and {printable(f.path)} differ only in case"
        else:
            seen[folded] = f.path
