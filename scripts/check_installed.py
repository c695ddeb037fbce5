"""Run by the user venv's python in scripts/check-package's work folder, after the
installed wheel built the example shop twice (`cdnpub build`, `flask cdn build`): both
manifests hold files, the Flask one the admin blueprint's too, and `cdnpub` was imported
from the venv, not from the checkout.

    (cd .cdnpub-package && user/bin/python ../scripts/check_installed.py)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def assets(manifest: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(manifest.read_text())["assets"]
    return found


def main() -> int:
    work = Path.cwd()
    cli = assets(work / "cli-manifest.json")
    flask = assets(work / "flask-manifest.json")
    if not cli or not any(p.startswith("admin/") for p in flask):
        print(f"check-package: the shop's builds hold {sorted(cli)} and {sorted(flask)}", file=sys.stderr)
        return 1
    import cdnpub  # here, not on top: the check is where this import resolves

    if str(work / "user") not in str(cdnpub.__file__):
        print(f"check-package: cdnpub imported from {cdnpub.__file__}, not the wheel", file=sys.stderr)
        return 1
    imported, skipped = import_every_module()
    print(
        f"check-package: the installed wheel built the shop: {len(cli)} files (cdnpub), "
        f"{len(flask)} (flask cdn); {imported} modules import from it"
        + (f" ({', '.join(skipped)} need the local extra)" if skipped else "")
    )
    return 0


def import_every_module() -> tuple[int, list[str]]:
    """Import every module of the installed package (every folder: a module the wheel
    lacks, or an import that only works from a checkout, fails here). `__main__` modules
    run a command when imported: left out. Modules that need the `local` extra (moto),
    which this venv does not install, are named, not failed."""
    import importlib
    import pkgutil

    import cdnpub

    imported, skipped = 0, []
    for info in pkgutil.walk_packages(cdnpub.__path__, "cdnpub."):
        if info.name.endswith(".__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as err:
            if err.name != "moto" and not (err.name or "").startswith("moto."):
                raise
            skipped.append(info.name)
            continue
        imported += 1
    return imported, skipped


if __name__ == "__main__":
    sys.exit(main())
