"""Where options come from: flags, then CDNPUB_* variables, then [tool.cdnpub] in
pyproject.toml, then defaults. click resolves the first three; this module reads
the pyproject table and turns it into click's default_map."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdnpub.build.rules import Rule, parse_rules
from cdnpub.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


PYPROJECT = "pyproject.toml"


def read_table(path: Path) -> dict[str, Any]:
    """[tool.cdnpub] of a pyproject.toml; {} when the file or the table is absent."""
    if not path.is_file():
        return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"cannot read {path}: {err}") from None
    table = doc.get("tool", {}).get("cdnpub", {})
    if not isinstance(table, dict):
        raise UserError(f"{path}: [tool.cdnpub] must be a table")
    return table


def default_map(
    table: Mapping[str, Any], commands: Mapping[str, set[str]], origin: str, known: set[str] | None = None
) -> dict[str, Any]:
    """Spread one flat table over the commands whose options it names.

    `commands` maps a command name to its option names (underscored); a key that no
    command (nor `known`: every option defined, and `cdnpub local`'s) takes is a typo and fails loudly.
    """
    known = set().union(*commands.values(), known or ()) | {"rules"}
    for key in table:
        if key.replace("-", "_") not in known:
            close = difflib.get_close_matches(key.replace("-", "_"), sorted(known), n=1, cutoff=0.75)
            hint = f": did you mean {close[0]!r}?" if close else ""
            raise UserError(f"{origin}: unknown key {key!r} in [tool.cdnpub]{hint}")
    flat = {k.replace("-", "_"): v for k, v in table.items() if k != "rules"}
    return {name: {k: v for k, v in flat.items() if k in opts} for name, opts in commands.items()}


def rules_from(table: Mapping[str, Any], origin: str) -> tuple[Rule, ...]:
    raw = table.get("rules", [])
    if not isinstance(raw, list):
        raise UserError(f"{origin}: 'rules' must be an array of tables ([[tool.cdnpub.rules]])")
    return parse_rules(raw, origin=f"{origin} [[tool.cdnpub.rules]]")
