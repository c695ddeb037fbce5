"""What the wheel must hold: every module of the package, py.typed (PEP 561: without it,
a user's mypy ignores our type hints), the console script and the `flask cdn` group.

    python scripts/check_wheel.py dist/cdnpub-X-py3-none-any.whl   (from the checkout root)

Exits 1 naming what is missing; prints one line when all is there.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ENTRY_POINTS = ("cdnpub = cdnpub.cli:main", "cdn = cdnpub.flask.commands:cdn_cli")


def missing_from(wheel_path: Path, package: Path) -> tuple[list[str], int]:
    """What the wheel lacks of `package`'s .py files, py.typed and ENTRY_POINTS, and how
    many package files were wanted."""
    with zipfile.ZipFile(wheel_path) as wheel:
        names = set(wheel.namelist())
        wanted = {p.as_posix() for p in package.rglob("*.py")} | {f"{package.as_posix()}/py.typed"}
        missing = sorted(wanted - names)
        entry_points = next(
            (wheel.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt")), ""
        )
    missing += [f"entry point {line!r}" for line in ENTRY_POINTS if line not in entry_points]
    return missing, len(wanted)


def main(argv: list[str]) -> int:
    wheel = Path(argv[1])
    missing, wanted = missing_from(wheel, Path("cdnpub"))
    if missing:
        print(f"check-package: the wheel lacks {', '.join(missing)}", file=sys.stderr)
        return 1
    print(f"check-package: {wheel.name} holds {wanted} files of the package and both entry points")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
