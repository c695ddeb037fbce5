"""One folder on disk is published once, whoever declares it: a blueprint whose
`static_folder` is the app's own (or another blueprint's), or lies inside it, has its
files published as part of that folder, and its `url_for('<name>.static', ...)` names
the one key they have there. Read by `flask cdn` (which folders to build) and by the
extension (which logical path a blueprint's file has), so both follow one rule.

The rule: the outermost folder publishes; of two that are the same folder, the app's,
else the first blueprint name in order. Paths are compared resolved (symlinks followed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cdnpub.urls import join_key

if TYPE_CHECKING:
    from flask import Flask


def merged_into(folders: Mapping[str, str]) -> dict[str, str]:
    """For each folder (owner name -> resolved path; "" is the app) that is the same folder
    as another or lies inside one, the logical prefix its files have in the folder that
    publishes them: "" (the app's own folder), "css" (the app's `static/css`), "admin" or
    "admin/vendor" (a blueprint's). Folders published on their own are not in the result."""
    publishing: list[str] = []
    merged: dict[str, str] = {}
    for name in sorted(folders, key=lambda n: (len(folders[n]), n != "", n)):
        path = folders[name]
        owner = next((o for o in publishing if _within(path, folders[o])), None)
        if owner is None:
            publishing.append(name)
            continue
        rel = os.path.relpath(path, folders[owner]).replace(os.sep, "/")
        merged[name] = join_key(owner, "" if rel == "." else rel)
    return merged


def _within(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def resolved(folder: str | os.PathLike[str]) -> str:
    return os.path.realpath(folder)


def app_folders(app: Flask) -> dict[str, str]:
    """The app's static folders that exist, by owner name ("" the app, a blueprint by its
    registered, dotted name), resolved."""
    found: dict[str, str] = {}
    owners = [("", app), *app.blueprints.items()]
    for name, owner in owners:
        folder = owner.static_folder if owner.has_static_folder else None
        if folder is not None and os.path.isdir(folder):
            found[name] = resolved(folder)
    return found


class Prefixes:
    """Per app: the logical prefix of each blueprint's static files (its name, or where its
    folder is published as part of another), computed again when a blueprint is added."""

    __slots__ = ("count", "merged")

    def __init__(self) -> None:
        self.count = -1
        self.merged: dict[str, str] = {}

    def of(self, app: Flask, blueprint: str) -> str:
        if len(app.blueprints) != self.count:
            self.merged, self.count = merged_into(app_folders(app)), len(app.blueprints)
        return self.merged.get(blueprint, blueprint)

    def logical(self, app: Flask, blueprint: str, name: str) -> str:
        """The manifest's logical path of a blueprint's static file `name`."""
        prefix = self.of(app, blueprint)
        return f"{prefix}/{name}" if prefix else name
