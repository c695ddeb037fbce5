"""The order of the plain phase: a plain module lands only after the plain keys it imports.

A plain-name copy of an ES module keeps its relative imports as written (only the import
map sends pages to the fingerprinted files), so plain `js/app.js` fetches plain
`js/lib/cart.js`. Uploaded at once, a new `app.js` could land (and be fetched) before
the `cart.js` it imports, and a failure or a kill between the two would leave the live
`app.js` importing a missing key. So the plain phase goes in waves: every import of a
wave's modules that this phase writes is in an earlier wave; modules that import each
other (a cycle: browsers load it as one graph) share a wave. Pure: values in, waves out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from cdnpub.manifest import ModuleImports


def waves(paths: Sequence[str], modules: Mapping[str, ModuleImports]) -> tuple[int, ...]:
    """The wave of each of `paths` (logical paths of the files the plain phase writes, in
    any order): 0 for a file that imports nothing this phase writes, else one more than
    the latest wave among what it imports (static and dynamic imports: a dynamic import
    is fetched as the page runs, so it must exist as much as a static one).

    >>> mods = {"app.js": ModuleImports(static=("lib.js",)), "lib.js": ModuleImports()}
    >>> waves(["app.js", "lib.js", "site.css"], mods)
    (1, 0, 0)
    """
    writing = set(paths)
    deps = {p: _imports(p, modules, writing) for p in paths}
    component = _components(paths, deps)
    level: dict[int, int] = {}
    # Tarjan's algorithm numbers components in reverse topological order: each one's
    # imports are in components numbered before it, so one pass in that order suffices.
    for comp in sorted(set(component.values())):
        members = [p for p in paths if component[p] == comp]
        outside = {component[d] for p in members for d in deps[p]} - {comp}
        level[comp] = 1 + max((level[c] for c in outside), default=-1)
    return tuple(level[component[p]] for p in paths)


def _imports(path: str, modules: Mapping[str, ModuleImports], writing: set[str]) -> tuple[str, ...]:
    found = modules.get(path)
    if found is None:
        return ()
    return tuple(t for t in (*found.static, *found.dynamic) if t in writing and t != path)


def _components(paths: Sequence[str], deps: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Strongly connected components (Tarjan, with a stack of its own so that an import
    chain of any length stays within Python's recursion limit): path -> component number,
    numbered so that a component comes after every component it imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    count = 0
    for root in paths:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(deps[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            nxt = next(todo, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(deps[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = count
                    if member == node:
                        break
                count += 1
    return component
