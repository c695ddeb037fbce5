"""The package's shape, held by a test: modules of at most MAX_MODULE_LINES lines,
functions of at most MAX_FUNCTION_LINES unless a `long:` comment says why, a rule in
every folder's `__init__` docstring, and tests that import no other test module."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cdnpub"
TESTS = ROOT / "tests"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# Functions longer than MAX_FUNCTION_LINES when this test was written, with their length
# then: each may shrink, none may grow, and no new one may join. Remove an entry once its
# function is short (the test says so).
ALLOWED: dict[str, int] = {}
# Modules over MAX_MODULE_LINES when this test was written, the same way.
ALLOWED_MODULES: dict[str, int] = {}

_FunctionDef = ast.FunctionDef | ast.AsyncFunctionDef


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _functions(tree: ast.AST) -> Iterator[_FunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _says_why(lines: list[str], node: _FunctionDef) -> bool:
    """A `long:` comment on the line above the `def` (above its decorators), or as the
    first comment line of its body."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    above = lines[first - 2].strip() if first >= 2 else ""
    if above.startswith("#") and "long:" in above:
        return True
    for line in lines[node.body[0].lineno - 1 : node.end_lineno]:
        if line.strip().startswith("#"):
            return "long:" in line
    return False


def long_functions() -> dict[str, int]:
    """`path:line name` -> length in lines (def to last line) of every function over the
    limit that no `long:` comment explains."""
    found = {}
    for path in _modules(PACKAGE):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in _functions(ast.parse(text)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES and not _says_why(lines, node):
                found[f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {node.name}"] = length
    return found


def _key(where: str) -> str:
    """`cdnpub/x.py:12 name` -> `cdnpub/x.py name`: an allowance survives edits above it."""
    path, rest = where.split(":", 1)
    return f"{path} {rest.split(' ', 1)[1]}"


def long_modules() -> dict[str, int]:
    """Path -> line count of every module over the limit."""
    counts = {
        p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in _modules(PACKAGE)
    }
    return {path: n for path, n in counts.items() if n > MAX_MODULE_LINES}


def test_every_module_is_at_most_400_lines() -> None:
    found = long_modules()
    too_long = {p: n for p, n in found.items() if n > ALLOWED_MODULES.get(p, MAX_MODULE_LINES)}
    assert too_long == {}, (
        f"modules over {MAX_MODULE_LINES} lines (or over ALLOWED_MODULES'): split them by concern"
    )
    assert sorted(set(ALLOWED_MODULES) - set(found)) == [], "shortened: remove them from ALLOWED_MODULES"


def test_no_new_function_is_over_60_lines_without_a_long_comment() -> None:
    found = long_functions()
    new = {where: n for where, n in found.items() if _key(where) not in ALLOWED}
    grown = {w: n for w, n in found.items() if _key(w) in ALLOWED and n > ALLOWED[_key(w)]}
    assert new == {}, (
        f"functions over {MAX_FUNCTION_LINES} lines: shorten them, or say why on the line "
        "above the def in a comment holding 'long:'"
    )
    assert grown == {}, "known long functions that grew (the number after each is ALLOWED's)"


def test_the_allowance_lists_only_functions_still_long() -> None:
    still = {_key(w) for w in long_functions()}
    assert sorted(set(ALLOWED) - still) == [], "shortened: remove them from ALLOWED"


def test_every_folder_states_its_rule_in_its_init() -> None:
    folders = sorted(p for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__")
    missing = [f.relative_to(ROOT).as_posix() for f in folders if not (f / "__init__.py").is_file()]
    assert missing == [], "folders without an __init__.py"
    silent = [
        f.relative_to(ROOT).as_posix()
        for f in folders
        if not ast.get_docstring(ast.parse((f / "__init__.py").read_text(encoding="utf-8")))
    ]
    assert silent == [], "folders whose __init__.py has no docstring stating the folder's rule"


# `from tests.x.test_y import ...`, `import tests.x.conftest`: a test module or a conftest.
_TEST_IMPORT = re.compile(r"^tests(\.\w+)*\.(test_\w+|conftest)$")


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    """Shared helpers live in tests/support/; a conftest holds fixtures, found by pytest."""
    offenders = []
    for path in _modules(TESTS):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                names = [base, *(f"{base}.{a.name}" for a in node.names)]
            else:
                continue
            where = f"{path.relative_to(ROOT).as_posix()}:{node.lineno}"
            offenders += [f"{where} {n}" for n in names if _TEST_IMPORT.match(n)]
    assert offenders == []
