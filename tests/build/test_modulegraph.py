"""cdnpub.modulegraph through the build: which files are modules, what each imports (as
the browser resolves it on the CDN), and the warnings about imports of missing files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.manifest import ModuleImports
from tests.support.trees import Tree, write_tree


def build_site(root: Path, app: Tree, admin: Tree | None = None, **options: object) -> Build:
    sources = [Source(scan(write_tree(root / "static", app)), url_path="/static")]
    if admin is not None:
        sources.append(Source(scan(write_tree(root / "admin", admin)), url_path="/admin/static", sub="admin"))
    return build(sources, BuildOptions(prefix="static", **options))  # type: ignore[arg-type]


def test_relative_parent_and_root_relative_imports_resolve_to_files(tmp_path: Path) -> None:
    result = build_site(
        tmp_path,
        {
            "js/app/main.js": 'import "./view.js"; import "../lib/util.js"; import "/static/js/cart.js";',
            "js/app/view.js": "",
            "js/lib/util.js": "",
            "js/cart.js": "",
        },
    )
    assert result.modules["js/app/main.js"].static == ("js/app/view.js", "js/lib/util.js", "js/cart.js")
    assert result.warnings == ()


def test_blueprint_modules_resolve_under_their_sub_prefix(tmp_path: Path) -> None:
    result = build_site(
        tmp_path,
        {"js/shared.js": ""},
        {"js/admin.js": 'import "./widget.js"; import "/static/js/shared.js";', "js/widget.js": ""},
    )
    assert result.modules["admin/js/admin.js"].static == ("admin/js/widget.js", "js/shared.js")


def test_a_cycle_is_recorded_and_builds(tmp_path: Path) -> None:
    result = build_site(tmp_path, {"a.js": 'import "./b.js";', "b.js": 'import "./a.js"; import "./b.js";'})
    assert result.modules["a.js"].static == ("b.js",)
    assert result.modules["b.js"].static == ("a.js",)  # an import of itself is no edge


def test_re_exports_are_static_imports(tmp_path: Path) -> None:
    result = build_site(
        tmp_path, {"index.js": 'export * from "./a.js"; export { b } from "./b.js";', "a.js": "", "b.js": ""}
    )
    assert result.modules["index.js"].static == ("a.js", "b.js")


def test_dynamic_import_with_a_literal_is_recorded_apart(tmp_path: Path) -> None:
    result = build_site(
        tmp_path,
        {
            "app.js": 'import("./lazy.js"); import("./eager.js"); import "./eager.js";',
            "lazy.js": "",
            "eager.js": "",
        },
    )
    assert result.modules["app.js"] == ModuleImports(static=("eager.js",), dynamic=("lazy.js",))


def test_comments_and_strings_that_look_like_imports_record_nothing(tmp_path: Path) -> None:
    source = '// import "./gone.js"\nconst s = "import(\'./gone.js\')";\n/* export * from "./gone.js" */\n'
    result = build_site(tmp_path, {"app.js": source})
    assert result.modules["app.js"] == ModuleImports()
    assert result.warnings == ()


def test_bare_specifiers_are_kept_for_the_pins_and_urls_are_not_ours(tmp_path: Path) -> None:
    source = 'import "lit"; import "@hotwired/stimulus"; import "https://esm.sh/x"; import "//cdn.example/y.js"; import("dyn");'
    result = build_site(tmp_path, {"app.js": source})
    assert result.modules["app.js"] == ModuleImports(bare=("lit", "@hotwired/stimulus"))
    assert result.warnings == ()


def test_an_import_of_a_missing_file_is_a_warning_naming_module_and_line(tmp_path: Path) -> None:
    result = build_site(tmp_path, {"js/app.js": '\nimport "./gone.js";'})
    (warning,) = result.warnings
    assert "app.js:2: import './gone.js' names /static/js/gone.js" in warning
    assert result.modules["js/app.js"] == ModuleImports()


def test_strict_makes_an_import_of_a_missing_file_an_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"import '\./gone\.js' names /static/js/gone\.js.*--strict"):
        build_site(tmp_path, {"js/app.js": 'import "./gone.js";'}, strict=True)


def test_a_specifier_with_a_query_is_a_warning(tmp_path: Path) -> None:
    result = build_site(tmp_path, {"app.js": 'import "./b.js?v=2";', "b.js": ""})
    assert "query or fragment" in result.warnings[0]


def test_a_raw_plus_in_a_specifier_is_a_warning_and_percent_2b_is_not(tmp_path: Path) -> None:
    result = build_site(tmp_path, {"app.js": 'import "./a+b.js"; import "./a%2Bb.js";', "a+b.js": ""})
    assert len(result.warnings) == 1 and "%2B" in result.warnings[0]
    assert result.modules["app.js"].static == ("a+b.js",)


def test_non_ascii_specifiers_find_their_file(tmp_path: Path) -> None:
    result = build_site(tmp_path, {"app.js": 'import "./café.js"; import "./caf%C3%A9.js";', "café.js": ""})
    assert result.modules["app.js"].static == ("café.js",)


def test_mjs_is_always_a_module_and_js_only_under_the_globs(tmp_path: Path) -> None:
    files: Tree = {"js/app.js": "", "vendor/jquery.js": "", "vendor/lib.mjs": "", "x.cjs": ""}
    result = build_site(tmp_path, files, js_modules=("js/**",))
    assert sorted(result.modules) == ["js/app.js", "vendor/lib.mjs"]


def test_every_js_file_is_a_module_by_default(tmp_path: Path) -> None:
    result = build_site(tmp_path, {"js/app.js": "", "vendor/jquery.js": "", "css/a.css": "", "x.cjs": ""})
    assert sorted(result.modules) == ["js/app.js", "vendor/jquery.js"]


def test_the_manifest_records_each_module_and_only_modules(tmp_path: Path) -> None:
    result = build_site(
        tmp_path,
        {"app.js": 'import "./b.js"; import("./c.js"); import "lit";', "b.js": "", "c.js": "", "a.css": ""},
    )
    entries = from_build(result).entries
    assert entries["app.js"].module == ModuleImports(("b.js",), ("c.js",), ("lit",))
    assert entries["a.css"].module is None


def test_imports_do_not_change_fingerprints(tmp_path: Path) -> None:
    # The import map, not the importer's bytes, follows a changed import.
    first = build_site(tmp_path / "1", {"app.js": 'import "./b.js";', "b.js": "1"})
    second = build_site(tmp_path / "2", {"app.js": 'import "./b.js";', "b.js": "2"})
    key = {a.path: a.key for a in first.assets}, {a.path: a.key for a in second.assets}
    assert key[0]["app.js"] == key[1]["app.js"] and key[0]["b.js"] != key[1]["b.js"]


def test_a_root_relative_import_in_the_local_url_form_is_a_warning(tmp_path: Path) -> None:
    # Locally /admin/static/... is the blueprint's folder; on the CDN the blueprint's files
    # are under /static/admin/..., so the browser would fetch a URL nothing serves.
    admin: Tree = {"js/admin.js": 'import "/admin/static/js/widget.js";', "js/widget.js": ""}
    result = build_site(tmp_path, {"robots.txt": ""}, admin)
    (warning,) = result.warnings
    assert "names /admin/static/js/widget.js on the CDN" in warning


def test_a_specifier_in_nfd_is_a_warning(tmp_path: Path) -> None:
    # The browser percent-encodes the bytes it is given; the keys and the map are NFC.
    nfd = "./cafe\u0301.js"
    result = build_site(tmp_path, {"app.js": f'import "{nfd}"; import "./café.js";', "café.js": ""})
    (warning,) = result.warnings
    assert "NFC" in warning and result.modules["app.js"].static == ("café.js",)


# --- hostile and newer syntax (issue 26 points 10 and 14) --------------------------------


def test_an_out_of_range_escape_in_one_module_does_not_end_the_build(tmp_path: Path) -> None:
    result = build_site(
        tmp_path, {"js/app.js": 'import "./\\u{110000}.js";\nimport "./ok.js";', "js/ok.js": ""}
    )
    assert result.modules["js/app.js"].static == ("js/ok.js",)


def test_a_json_module_imported_with_options_is_recorded_and_mapped_with_integrity(tmp_path: Path) -> None:
    from cdnpub.flask.importmap import import_map

    result = build_site(
        tmp_path,
        {
            "js/app.js": 'const d = await import("./data.json", { with: { type: "json" } });\n'
            'const x = await import(/* lazy */ "./x.js");',
            "js/data.json": '{"a": 1}',
            "js/x.js": "",
        },
    )
    assert result.modules["js/app.js"].dynamic == ("js/data.json", "js/x.js")
    mapped = import_map(from_build(result).entries, "https://cdn.example.com")
    data = next(a for a in result.assets if a.path == "js/data.json")
    assert (
        mapped["imports"]["https://cdn.example.com/static/js/data.json"]
        == "https://cdn.example.com/" + data.key
    )
    assert mapped["integrity"]["https://cdn.example.com/" + data.key] == data.integrity


@pytest.mark.parametrize(
    "call", ['import("./gone.json", { with: { type: "json" } })', 'import(/* c */ "./gone.json")']
)
def test_strict_sees_a_missing_target_of_an_import_with_options_or_comments(
    tmp_path: Path, call: str
) -> None:
    with pytest.raises(UserError, match=r"import '\./gone\.json' names /static/js/gone\.json.*--strict"):
        build_site(tmp_path, {"js/app.js": f"await {call};"}, strict=True)


# Issue 22 point 4: webpack *sources* shipped in a static folder are no ES modules.


def test_bundler_sources_are_no_modules_and_one_summary_line(tmp_path: Path) -> None:
    sources = {
        f"js/src/Comp{i}.js": f'import Foo from "../js/Foo";\nimport "lodash";\nexport {i};\n'
        for i in range(5)
    }
    result = build_site(
        tmp_path,
        {**sources, "js/app.js": 'import "./cart.js";\nexport {};\n', "js/cart.js": "export {};\n"},
    )
    assert sorted(result.modules) == ["js/app.js", "js/cart.js"]
    assert len(result.warnings) == 1
    note = result.warnings[0]
    assert note.startswith(
        "5 .js files (js/src/Comp0.js, js/src/Comp1.js, js/src/Comp2.js and 2 more; --verbose lists them)"
    )
    entries = from_build(result).entries
    assert entries["js/src/Comp0.js"].module is None and entries["js/app.js"].module is not None


def test_an_extensionless_import_of_an_existing_file_keeps_a_module(tmp_path: Path) -> None:
    """`import "./vendor/lib"` where the build has a file named `lib`: the browser loads it."""
    result = build_site(tmp_path, {"js/app.js": 'import "./vendor/lib";', "js/vendor/lib": "x"})
    assert "js/app.js" in result.modules and result.warnings == ()


def test_a_missing_import_with_an_extension_is_still_a_warning(tmp_path: Path) -> None:
    result = build_site(tmp_path, {"js/app.js": 'import "./gone.js";'})
    assert "js/app.js" in result.modules
    assert len(result.warnings) == 1 and "names /static/js/gone.js" in result.warnings[0]


def test_verbose_lists_every_bundler_source(tmp_path: Path) -> None:
    sources = {f"js/src/C{i}.js": 'import Foo from "./Foo";\n' for i in range(5)}
    note = build_site(tmp_path, sources, verbose=True).warnings[0]
    assert all(f"js/src/C{i}.js" in note for i in range(5)) and "more" not in note
