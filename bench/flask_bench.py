"""Cost of one `url_for('static', filename=...)` with cdnpub's hook, against plain Flask
(the same app without the extension) measured in the same run.

    .venv/bin/python bench/flask_bench.py

Prints a table, then one JSON line: `ratio` is hook/plain (target <= 1.5);
`import_ratio_vs_flask` is the cost of `import cdnpub.flask` after `import flask` over
the cost of `import flask` itself (target <= 0.2: a web worker pays it at every start),
and `import_modules` counts the modules cdnpub.flask loads beyond Flask's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, url_for

from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.flask.extension import CDN
from cdnpub.manifest import write

FILES = 50
CALLS = 20_000
REPEATS = 7
IMPORT_RUNS = 7  # fresh interpreters per import measurement; the median is reported
# Libraries the web runtime must not load (each costs tens of ms at start).
HEAVY = ("boto3", "botocore", "tinycss2", "tree_sitter", "pathspec", "rich")

# Times `import flask`, then `import cdnpub.flask`, in a fresh interpreter; prints seconds
# for each and the top-level modules cdnpub.flask added, as JSON.
_IMPORT_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import flask
t1 = time.perf_counter()
before = set(sys.modules)
import cdnpub.flask
t2 = time.perf_counter()
print(json.dumps({"flask": t1 - t0, "cdnpub": t2 - t1, "added": sorted(set(sys.modules) - before)}))
"""


def make_site(root: Path) -> list[str]:
    """A static folder and a blueprint's, fingerprinted by the real build."""
    names = [f"{kind}/file{i}.{kind}" for i in range(FILES) for kind in ("js", "css")]
    for name in names:
        for folder in ("static", "admin_static"):
            path = root / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"/* {folder} {name} */\n", encoding="utf-8")
    sources = [
        Source(scan(root / "static"), url_path="/static"),
        Source(scan(root / "admin_static"), url_path="/admin/static", sub="admin"),
    ]
    write(from_build(build(sources, BuildOptions(prefix="static"))), root / "cdnpub-manifest.json")
    return names


def make_app(root: Path, hooked: bool) -> Flask:
    app = Flask(__name__, root_path=str(root))
    app.config["CDN_DOMAIN"] = "d111111abcdef8.cloudfront.net"
    app.add_url_rule("/", "index", lambda: "")
    app.register_blueprint(
        Blueprint("admin", __name__, static_folder=str(root / "admin_static"), url_prefix="/admin")
    )
    if hooked:
        CDN(app)
    return app


def per_call_us(app: Flask, call: Callable[[str], str], names: list[str]) -> float:
    """Best of REPEATS runs of CALLS calls, cycling through the file names."""
    work = (names * (CALLS // len(names) + 1))[:CALLS]

    def run() -> None:
        for name in work:
            call(name)

    with app.test_request_context("/"):
        run()  # warm caches on both sides: Werkzeug's and ours
        best = min(timeit.repeat(run, number=1, repeat=REPEATS))
    return best / CALLS * 1e6


@dataclass(frozen=True, slots=True)
class ImportCost:
    """Medians over IMPORT_RUNS fresh processes, in milliseconds, and what cdnpub.flask
    loads beyond Flask's modules (the last run's: the set is the same every run)."""

    flask_ms: float
    cdnpub_ms: float
    added: tuple[str, ...]

    @property
    def ratio(self) -> float:
        return self.cdnpub_ms / self.flask_ms

    @property
    def heavy(self) -> list[str]:
        return sorted({m.split(".")[0] for m in self.added} & set(HEAVY))


def import_cost() -> ImportCost:
    """Time `import flask` then `import cdnpub.flask` in IMPORT_RUNS fresh interpreters."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    flask_s: list[float] = []
    cdnpub_s: list[float] = []
    added: list[str] = []
    for _ in range(IMPORT_RUNS):
        done = subprocess.run(
            [sys.executable, "-c", _IMPORT_CHILD], capture_output=True, text=True, check=True, env=env
        )
        run = json.loads(done.stdout.strip().splitlines()[-1])
        flask_s.append(run["flask"])
        cdnpub_s.append(run["cdnpub"])
        added = run["added"]
    return ImportCost(statistics.median(flask_s) * 1e3, statistics.median(cdnpub_s) * 1e3, tuple(added))


def main() -> None:
    cases: dict[str, Callable[[str], str]] = {
        "static": lambda n: url_for("static", filename=n),
        "blueprint static": lambda n: url_for("admin.static", filename=n),
        "static + query": lambda n: url_for("static", filename=n, v=1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = make_site(root)
        plain_app, hooked_app = make_app(root, hooked=False), make_app(root, hooked=True)
        with hooked_app.test_request_context("/"):  # the hook really answers with the CDN
            assert url_for("static", filename=names[0]).startswith("https://d111111abcdef8")
        rows = []
        for label, call in cases.items():
            plain = per_call_us(plain_app, call, names)
            hook = per_call_us(hooked_app, call, names)
            rows.append((label, plain, hook, hook / plain))

    imports = import_cost()
    print(
        f"import cdnpub.flask after import flask, median of {IMPORT_RUNS} fresh processes: "
        f"{imports.cdnpub_ms:.1f} ms vs {imports.flask_ms:.1f} ms for flask "
        f"(ratio {imports.ratio:.3f}), {len(imports.added)} modules beyond Flask's: "
        + ", ".join(imports.added)
    )
    print(f"heavy libraries loaded ({', '.join(HEAVY)}): {', '.join(imports.heavy) or 'none'}")
    print(f"url_for cost per call, best of {REPEATS} x {CALLS} calls, {len(names)} file names")
    print(f"{'case':<18} {'plain Flask':>12} {'cdnpub hook':>12} {'ratio':>7}")
    for label, plain, hook, ratio in rows:
        print(f"{label:<18} {plain:>9.3f} us {hook:>9.3f} us {ratio:>7.2f}")
    _, plain, hook, ratio = rows[0]
    print(
        json.dumps(
            {
                "ratio": round(ratio, 3),
                "hook_us": round(hook, 4),
                "plain_us": round(plain, 4),
                "cases": {label: round(r, 3) for label, _, _, r in rows},
                "calls": CALLS,
                "repeats": REPEATS,
                "import_ratio_vs_flask": round(imports.ratio, 3),
                "import_modules": len(imports.added),
                "import_ms": round(imports.cdnpub_ms, 2),
                "flask_import_ms": round(imports.flask_ms, 2),
                "import_heavy": imports.heavy,
            }
        )
    )


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
