"""A real webpack 5 build of tests/vite_app's sources (two entries with CSS, images, a shared
chunk and a lazy chunk) with webpack-manifest-plugin, into a Flask-style static folder:
`static/build/`, webpack's defaults (`publicPath: "auto"`, asset modules named by the hash).
Cached under .cache/webpack/: `npm ci` once per package-lock.json, one build per manifest
form and version of the sources and config.

Missing node or npm skips the calling test with the reason, except under CI=true,
where it fails: CI must run it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tests.support.tools import need

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "tests" / "webpack_app"
SOURCES = ROOT / "tests" / "vite_app" / "src"
CACHE = ROOT / ".cache" / "webpack"
# The manifest each form writes into static/build/: webpack-manifest-plugin's default and
# custom-`generate` manifests, webpack-bundle-tracker's stats, webpack-assets-manifest's.
FORMS = {
    "default": "manifest.json",
    "generate": "manifest.json",
    "tracker": "webpack-stats.json",
    "assets": "assets-manifest.json",
}


def _project() -> Path:
    """tests/webpack_app's dependencies under .cache/webpack/project (`npm ci` once per lock)."""
    npm = need("npm", "the webpack build")
    need("node", "the webpack build")
    project = CACHE / "project"
    stamp = project / ".installed"
    package, lock = (APP / "package.json").read_bytes(), (APP / "package-lock.json").read_bytes()
    project.mkdir(parents=True, exist_ok=True)
    if not stamp.is_file() or stamp.read_bytes() != package + lock:
        (project / "package.json").write_bytes(package)
        (project / "package-lock.json").write_bytes(lock)
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], project)
        stamp.write_bytes(package + lock)
    return project


def webpack_static_folder(form: str) -> Path:
    """The built static folder (`static/`, webpack's output and the form's manifest in
    `static/build/`); do not write into it: copy it first."""
    h = hashlib.sha256(form.encode() + (APP / "webpack.config.js").read_bytes())
    for path in sorted(p for p in SOURCES.rglob("*") if p.is_file()):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    out = CACHE / f"build-{h.hexdigest()[:16]}" / "static"
    if (out / "build" / FORMS[form]).is_file():
        return out
    project = _project()
    shutil.rmtree(project / "src", ignore_errors=True)
    shutil.copytree(SOURCES, project / "src")
    shutil.copy2(APP / "webpack.config.js", project / "webpack.config.js")
    tmp = out.parent.with_name(out.parent.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    env = {
        **os.environ,
        "CDNPUB_WEBPACK_OUT_DIR": str(tmp / "static" / "build"),
        "CDNPUB_WEBPACK_MANIFEST": form,
    }
    _run([str(project / "node_modules" / ".bin" / "webpack"), "--no-stats"], project, env)
    shutil.rmtree(out.parent, ignore_errors=True)
    tmp.rename(out.parent)
    return out


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
