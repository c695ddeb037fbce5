"""Where options come from: flags, then CDNPUB_* variables, then [tool.cdnpub] in
pyproject.toml, then defaults. click resolves the first three; this module reads
the pyproject table and turns it into click's default_map."""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from cdnpub.build.rules import Rule, parse_rules
from cdnpub.errors import UserError
from cdnpub.text import printable

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


def check_table(table: Mapping[str, Any], groups: Sequence[click.Group], origin: str) -> None:
    """Each key of [tool.cdnpub] against the option it sets: its TOML type (a flag takes
    true/false, a number a number, a repeatable option an array), then its value as the
    flag's would be checked. `prune_older_than = false` is no 0, `manifest = {...}` no name."""
    params: dict[str, click.Option] = {}
    for group in groups:
        for cmd in group.commands.values():
            for p in cmd.params:
                if isinstance(p, click.Option) and p.name:
                    params.setdefault(p.name, p)
    for key, value in table.items():
        param = params.get(key.replace("-", "_"))
        if param is None:
            continue  # `rules`, or a typo that default_map reports
        where = f"{origin}: [tool.cdnpub] {key} = {printable(_toml(value))}"
        expected, ok = _toml_type(param, value)
        if not ok:
            raise UserError(f"{where}: must be {expected}")
        try:
            for item in value if param.multiple else [value]:
                param.type.convert(item, param, None)
        except click.BadParameter as err:
            raise UserError(f"{where}: {err.format_message()}") from None
        except UserError as err:
            raise UserError(f"{where}: {err}") from None


def _toml_type(param: click.Option, value: Any) -> tuple[str, bool]:
    if param.is_flag:
        return "true or false", isinstance(value, bool)
    if param.multiple:
        return "an array of strings", isinstance(value, list) and all(isinstance(v, str) for v in value)
    if isinstance(param.type, click.IntRange) or param.type is click.INT:
        return "a whole number", isinstance(value, int) and not isinstance(value, bool)
    if isinstance(param.type, click.FloatRange) or param.type is click.FLOAT:
        return "a number", isinstance(value, (int, float)) and not isinstance(value, bool)
    return "a string", isinstance(value, str)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)
