"""The JSON Schemas cdnpub ships (cdnpub/schemas/), to check what a command printed."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(files("cdnpub").joinpath(f"schemas/{name}.schema.json").read_text())
    return loaded


def valid(document: Any, name: str) -> None:
    """Raises jsonschema.ValidationError when `document` is not what schemas/NAME says."""
    jsonschema.Draft202012Validator(schema(name)).validate(document)
