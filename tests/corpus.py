"""Real static trees that Flask apps vendor from npm, at pinned versions: fetched once with
`npm pack` into .cache/corpus/ (git-ignored) and unpacked, each package under a folder of
its own, into one static folder. The whole corpus runs under CI=true; locally a small
subset does (CDNPUB_CORPUS=full runs it all)."""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "corpus"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    keep: tuple[str, ...]  # folders (or files) of the package a Flask app vendors
    styles: tuple[str, ...] = ()  # the main stylesheets, as paths in the static folder
    scripts: tuple[str, ...] = ()  # the main scripts, in load order (.mjs: an ES module)
    markup: str = ""  # HTML that uses the stylesheets, so their fonts and images load
    small: bool = False  # in the local subset

    @property
    def folder(self) -> str:
        return self.name.lstrip("@").replace("/", "-")

    @property
    def tarball(self) -> str:
        return f"{self.folder}-{self.version}.tgz"


CORPUS = (
    Package("jquery", "3.7.1", ("dist/",), scripts=("jquery/dist/jquery.min.js",), small=True),
    Package(
        "bootstrap",
        "5.3.3",
        ("dist/",),
        styles=("bootstrap/dist/css/bootstrap.min.css",),
        scripts=("bootstrap/dist/js/bootstrap.bundle.min.js",),
        markup='<button class="btn btn-primary">Bootstrap</button>',
    ),
    Package(
        "@fortawesome/fontawesome-free",
        "6.5.2",
        ("css/", "webfonts/"),
        styles=("fortawesome-fontawesome-free/css/all.min.css",),
        markup='<i class="fa-solid fa-user"></i><i class="fa-brands fa-github"></i><i class="fa-regular fa-bell"></i>',
    ),
    Package(
        "bootstrap-icons",
        "1.11.3",
        ("font/",),
        styles=("bootstrap-icons/font/bootstrap-icons.min.css",),
        markup='<i class="bi bi-alarm"></i>',
        small=True,
    ),
    Package(
        "@mdi/font",
        "7.4.47",
        ("css/", "fonts/"),
        styles=("mdi-font/css/materialdesignicons.min.css",),
        markup='<span class="mdi mdi-home"></span>',
    ),
    Package(
        "jquery-ui-dist",
        "1.13.3",
        ("jquery-ui.min.css", "jquery-ui.min.js", "jquery-ui.css", "jquery-ui.js", "images/"),
        styles=("jquery-ui-dist/jquery-ui.min.css",),
        scripts=("jquery-ui-dist/jquery-ui.min.js",),
        markup='<div class="ui-widget-header ui-corner-all"><span class="ui-icon ui-icon-gear"></span></div>',
        small=True,
    ),
    Package(
        "select2",
        "4.0.13",
        ("dist/",),
        styles=("select2/dist/css/select2.min.css",),
        scripts=("select2/dist/js/select2.min.js",),
        markup='<select class="select2"><option>a</option></select>',
        small=True,
    ),
    Package(
        "pdfjs-dist",
        "4.2.67",
        ("web/", "build/pdf.min.mjs", "build/pdf.mjs", "build/pdf.mjs.map"),
        styles=("pdfjs-dist/web/pdf_viewer.css",),
        scripts=("pdfjs-dist/build/pdf.min.mjs",),
        markup='<div class="pdfViewer"><div class="page loading"></div></div>',
    ),
    Package(
        "ace-builds",
        "1.33.1",
        ("css/", "src-min-noconflict/ace.js", "src-min-noconflict/theme-monokai.js"),
        scripts=("ace-builds/src-min-noconflict/ace.js",),
        markup='<div id="editor" style="height:40px">x</div>',
    ),
)


def selected() -> tuple[Package, ...]:
    """The whole corpus under CI=true (or CDNPUB_CORPUS=full), the small subset otherwise."""
    full = os.environ.get("CI") == "true" or os.environ.get("CDNPUB_CORPUS") == "full"
    return tuple(p for p in CORPUS if full or p.small)


def fetch(package: Package) -> Path:
    """The package's tarball, `npm pack`ed into the cache the first time."""
    tarball = CACHE / package.tarball
    if tarball.is_file():
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        reason = "npm is not installed: the corpus is fetched with `npm pack`"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true needs it", pytrace=False)
        pytest.skip(reason)
    CACHE.mkdir(parents=True, exist_ok=True)
    spec = f"{package.name}@{package.version}"
    subprocess.run([npm, "pack", "--silent", spec], cwd=CACHE, check=True, timeout=300, capture_output=True)
    return tarball


def unpack(packages: tuple[Package, ...], root: Path) -> Path:
    """Every package's kept files under root/<folder>/, regular files only."""
    for package in packages:
        with tarfile.open(fetch(package)) as tar:
            for member in tar.getmembers():
                inner = member.name.split("/", 1)[1] if "/" in member.name else ""
                if not member.isfile() or not any(
                    inner == k or (k.endswith("/") and inner.startswith(k)) for k in package.keep
                ):
                    continue
                rel = posixpath.normpath(inner)
                if rel.startswith(("../", "/")):
                    continue
                target = root / package.folder / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                target.write_bytes(source.read())
    return root
