"""cdnpub.jsimports: the specifiers a module names, found by a parser, not by a regex.

Several cases replay real reports against regex rewriters: Django's reverted ES-module
support (#33253: syntax variants missed), an apostrophe in a comment swallowing the
imports after it (vertz #2730), `import()` text in comments and strings taken for a real
import (module-federation/vite #855), methods named `import` (openzim scraperlib #255,
quill's `Quill.import`)."""

from __future__ import annotations

import pytest

from cdnpub.build.jsimports import Specifier, module_specifiers


def static(source: str) -> list[str]:
    return [s.text for s in module_specifiers(source.encode()) if not s.dynamic]


def dynamic(source: str) -> list[str]:
    return [s.text for s in module_specifiers(source.encode()) if s.dynamic]


@pytest.mark.parametrize(
    "source",
    [
        'import a from "./m.js";',
        "import * as ns from './m.js';",
        'import a, { b as c, d } from "./m.js";',
        'import a, * as ns from "./m.js";',
        'import { default as d } from "./m.js";',
        'import "./m.js";',
        "import {\n  a,\n  b,\n} from\n  './m.js';",
        'import a from /* where */ "./m.js";',
        'import data from "./m.js" with { type: "json" };',
        'import { withTheme } from "./m.js";',
        'export * from "./m.js";',
        'export * as ns from "./m.js";',
        'export { a, b as c } from "./m.js";',
        'export { default } from "./m.js";',
        'import{a as b}from"./m.js";',  # minified: Django's regexes wanted spaces
        'export{a}from"./m.js";',
        'import"./m.js";',
        'let x=1;import*as ns from"./m.js"',
    ],
)
def test_every_static_import_and_re_export_form_is_found(source: str) -> None:
    assert static(source) == ["./m.js"]


def test_import_in_comments_and_strings_is_not_an_import() -> None:
    source = """
// import a from "./line-comment.js";
/* import b from "./block-comment.js"; import("./block-dynamic.js") */
const s = 'import c from "./string.js"';
const d = "import('./string-dynamic.js')";
const t = `import e from "./template.js"; ${import.meta.url}`;
const u = `import('./template-dynamic.js')`;
const r = /import f from ".\\/regex.js"/;
"""
    assert module_specifiers(source.encode()) == ()


def test_an_apostrophe_in_a_comment_hides_no_import() -> None:
    source = (
        "// the indicator's data-state\nimport a from './a.js';\n// the browser's dialog\nimport('./b.js');\n"
    )
    assert static(source) == ["./a.js"] and dynamic(source) == ["./b.js"]


def test_a_method_named_import_is_not_a_dynamic_import() -> None:
    source = """
const Parchment = Quill.import('parchment');
class Filter { import(e) { this.items = e; } export() { return this.items; } }
filter.import('./not-a-module.js');
"""
    assert module_specifiers(source.encode()) == ()


def test_dynamic_import_with_a_literal_is_found() -> None:
    source = 'const m = await import("./lazy.js");\nbutton.onclick = () => import(`./chart.js`);\n'
    assert dynamic(source) == ["./lazy.js", "./chart.js"]


def test_dynamic_import_of_a_computed_name_names_nothing() -> None:
    source = "import(name);\nimport(`./locale/${lang}.js`);\nimport('./a' + '.js');\n"
    assert module_specifiers(source.encode()) == ()


def test_specifiers_come_in_source_order_with_their_line() -> None:
    source = 'import "./a.js";\nimport("./b.js");\nexport * from "./c.js";\n'
    assert module_specifiers(source.encode()) == (
        Specifier("./a.js", dynamic=False, line=1),
        Specifier("./b.js", dynamic=True, line=2),
        Specifier("./c.js", dynamic=False, line=3),
    )


def test_escapes_in_a_specifier_are_decoded() -> None:
    assert static('import "./caf\\u00e9.js"; import "./\\x61.js"; import "./\\u{62}.js";') == [
        "./café.js",
        "./a.js",
        "./b.js",
    ]


def test_non_ascii_specifiers_are_read_as_utf8() -> None:
    assert static('import { é } from "./café.js";') == ["./café.js"]


def test_imports_around_a_syntax_error_are_still_found() -> None:
    source = 'import a from "./a.js";\nconst = ;\nimport b from "./b.js";\n'
    assert static(source) == ["./a.js", "./b.js"]


def test_a_classic_script_names_nothing() -> None:
    source = "(function () { var x = require('./cjs.js'); document.write('<script src=\"./x.js\">'); })();"
    assert module_specifiers(source.encode()) == ()


def test_threads_parse_at_the_same_time_without_mixing_results() -> None:
    from concurrent.futures import ThreadPoolExecutor

    sources = [f'import "./m{i}.js";\n'.encode() + b"const x = 1;\n" * 2000 for i in range(32)]
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(module_specifiers, sources))
    assert [s[0].text for s in found] == [f"./m{i}.js" for i in range(32)]


# --- hostile and newer syntax (issue 26 points 10 and 14) --------------------------------


@pytest.mark.parametrize(
    "escape", ["\\u{110000}", "\\u{FFFFFFFF}", "\\u{" + "F" * 40 + "}", "\\uD800", "\\uDFFF\\uD800"]
)
def test_an_escape_javascript_refuses_names_nothing_and_raises_nothing(escape: str) -> None:
    source = f'import "./{escape}.js";\nimport "./ok.js";\n'
    assert static(source) == ["./ok.js"]


def test_a_surrogate_pair_written_as_two_escapes_is_one_character() -> None:
    assert static('import "./\\uD83D\\uDE00.js";') == ["./\U0001f600.js"]


@pytest.mark.parametrize(
    "call",
    [
        'import("./data.json", { with: { type: "json" } })',
        'import("./data.json", { with: { type: "json" } },)',
        'import(/* c */ "./data.json")',
        'import(\n  // why\n  "./data.json"\n)',
        "import(/* a */ `./data.json` /* b */, {})",
    ],
)
def test_a_dynamic_import_with_options_or_comments_is_found(call: str) -> None:
    (spec,) = module_specifiers(f"const m = await {call};\n".encode())
    assert spec.text == "./data.json" and spec.dynamic


def test_a_dynamic_import_of_a_computed_name_with_options_names_nothing() -> None:
    assert module_specifiers(b'import(name, { with: { type: "json" } }); import(/* c */ name);') == ()
