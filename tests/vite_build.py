"""A real Vite build of tests/vite_app (two entries with CSS, an image, a shared chunk
and a lazy chunk) into a Flask-style static folder, cached under .cache/vite/: `npm ci`
once per package-lock.json, one build per version of the app's sources.

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
APP = ROOT / "tests" / "vite_app"
CACHE = ROOT / ".cache" / "vite"


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.relative_to(APP)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _project() -> Path:
    """tests/vite_app's dependencies installed under .cache/vite/project (`npm ci` once per lock)."""
    npm = need("npm", "the Vite build")
    need("node", "the Vite build")
    project = CACHE / "project"
    stamp = project / ".installed"
    package, lock = (APP / "package.json").read_bytes(), (APP / "package-lock.json").read_bytes()
    project.mkdir(parents=True, exist_ok=True)
    if not stamp.is_file() or stamp.read_bytes() != package + lock:
        (project / "package.json").write_bytes(package)
        (project / "package-lock.json").write_bytes(lock)  # every transitive version pinned
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], project)
        stamp.write_bytes(package + lock)
    return project


def esbuild_static_folder(workdir: Path) -> Path:
    """tests/vite_app's sources bundled by esbuild itself (Vite's own pinned esbuild), as
    docs/vite.md says, run in `workdir`: `workdir/static/dist/` and `workdir/meta.json`,
    whose paths are relative to `workdir`."""
    esbuild = _project() / "node_modules" / ".bin" / "esbuild"
    shutil.copytree(APP / "src", workdir / "src")
    args = [
        str(esbuild), "src/main.js", "src/admin.js", "--bundle", "--splitting", "--format=esm",
        "--outdir=static/dist", "--entry-names=[dir]/[name]-[hash]", "--asset-names=[name]-[hash]",
        "--loader:.svg=file", "--sourcemap=external", "--metafile=meta.json", "--log-level=warning",
    ]  # fmt: skip
    _run(args, workdir)
    return workdir / "static"


def vite_static_folder() -> Path:
    """The built static folder (`static/`, Vite's output in `static/dist/`); do not write
    into it: copy it first."""
    sources = [p for p in APP.rglob("*") if p.is_file() and "node_modules" not in p.parts]
    out = CACHE / f"build-{_digest(sources)}" / "static"
    if (out / "dist" / ".vite" / "manifest.json").is_file():
        return out
    project = _project()
    shutil.rmtree(project / "src", ignore_errors=True)
    shutil.copytree(APP / "src", project / "src")
    shutil.copy2(APP / "vite.config.js", project / "vite.config.js")
    tmp = out.parent.with_name(out.parent.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    env = {**os.environ, "CDNPUB_VITE_OUT_DIR": str(tmp / "static" / "dist")}
    _run([str(project / "node_modules" / ".bin" / "vite"), "build", "--logLevel", "warn"], project, env)
    shutil.rmtree(out.parent, ignore_errors=True)
    tmp.rename(out.parent)
    return out


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def copy_of_vite_static(target: Path) -> Path:
    """A writable copy of the built static folder at `target`."""
    shutil.copytree(vite_static_folder(), target)
    return target
