"""Cost of one `url_for('static', filename=...)` with cdnpub's hook, against plain Flask
(the same app without the extension) measured in the same run.

    .venv/bin/python bench/flask_bench.py

Prints a table, then one JSON line: `ratio` is hook/plain (target <= 1.5).
"""

from __future__ import annotations

import json
import tempfile
import timeit
from collections.abc import Callable
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
            }
        )
    )


if __name__ == "__main__":
    main()
