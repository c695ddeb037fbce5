"""The shrink guard: a publish that would drop most of what the live release serves is
far more often a mistake (a typo'd static folder, a bundler output CI forgot to build,
an --exclude that matches everything) than a wish, so it stops unless asked
(`--allow-shrink`), as `--max-delete` does for pruning.

Paths here are the manifest's logical paths, which are the plain-name paths under the
prefix (`css/app.css`, `admin/admin.css` for the `admin` blueprint's folder); they exist
whether or not plain-name copies are published."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from cdnpub.text import plural

SHRINK_FLAG = "--allow-shrink"


def served_paths(manifest: Mapping[str, Any]) -> frozenset[str]:
    """The logical paths a release's manifest document names ({} if it names none)."""
    assets = manifest.get("assets") if isinstance(manifest, Mapping) else None
    return frozenset(str(p) for p in assets) if isinstance(assets, Mapping) else frozenset()


def guarded_folders(
    built: Collection[str], recorded: Collection[str] | None, merged: Collection[str] = ()
) -> tuple[str, ...]:
    """The static folders to guard: those built and those the live release recorded
    (`recorded`; None for a record written before folders were recorded). A publish of
    the app's folder alone over a release that also served blueprint folders guards
    each blueprint's folder: one whose every path would go is a mistake unless asked.
    Not the `merged` ones: a blueprint whose folder is the app's (or inside another) is
    published as part of that folder now, not dropped."""
    return tuple(sorted((set(built) | set(recorded or ())) - set(merged)))


def _in_folder(path: str, sub: str, subs: Collection[str]) -> bool:
    if sub:
        return path.startswith(sub + "/")
    return not any(path.startswith(other + "/") for other in subs if other)


def shrink(live: Collection[str], wanted: Collection[str], folders: Collection[str] = ("",)) -> str | None:
    """Why publishing `wanted` over `live` looks like a mistake, or None.

    `folders` are the sub-prefixes of the static folders built ("" for the app's own, a
    blueprint's name for its). A mistake: more than half of the live paths gone, or every
    live path of one static folder gone. A first publish (nothing live) is never one."""
    gone = set(live) - set(wanted)
    if not live or not gone:
        return None
    if 2 * len(gone) > len(live):
        served = plural(len(live), "path")
        return f"this build drops {len(gone)} of the {served} the live release serves{_some(gone)}"
    for sub in sorted(folders):
        before = {p for p in live if _in_folder(p, sub, folders)}
        if before and before <= gone:
            name = f"the {sub!r} blueprint's static folder" if sub else "the app's static folder"
            every = "the 1 path" if len(before) == 1 else f"all {len(before)} paths"
            return f"this build drops {every} of {name} that the live release serves{_some(before)}"
    return None


def _some(paths: Collection[str], shown: int = 3) -> str:
    first = sorted(paths)[:shown]
    more = f", ... ({len(paths) - shown} more)" if len(paths) > shown else ""
    return f" ({', '.join(first)}{more})"
