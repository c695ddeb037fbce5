"""cdn_vite_tags: a Vite entry's stylesheets, module preloads and module script, from
Vite's manifest, on the CDN with SRI (or local, or from Vite's dev server)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string

from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.flask.extension import CDN, MissingAssetError, cdn_vite_tags
from cdnpub.flask.vite import EntryFiles, Tag, dev_server_tags, entry_files, render_tags
from cdnpub.manifest import write
from tests.support.trees import write_tree

# The manifest tests/vite_app's build writes (Vite 8), and a shared chunk importing another.
MANIFEST: dict[str, Any] = {
    "_shared-Br8DK0F1.js": {
        "file": "assets/shared-Br8DK0F1.js",
        "name": "shared",
        "imports": ["_util-Ab3dEf9h.js"],
        "css": ["assets/shared-5q7pREkT.css"],
    },
    "_util-Ab3dEf9h.js": {
        "file": "assets/util-Ab3dEf9h.js",
        "name": "util",
        "imports": ["_shared-Br8DK0F1.js"],
    },
    "_shared-5q7pREkT.css": {"file": "assets/shared-5q7pREkT.css", "src": "_shared-5q7pREkT.css"},
    "src/admin.js": {
        "file": "assets/admin-DlNyXIyu.js",
        "name": "admin",
        "src": "src/admin.js",
        "isEntry": True,
        "imports": ["_shared-Br8DK0F1.js"],
        "css": ["assets/admin-DnxlgDv_.css"],
    },
    "src/lazy.js": {
        "file": "assets/lazy-B4tMPywf.js",
        "name": "lazy",
        "src": "src/lazy.js",
        "isDynamicEntry": True,
        "css": ["assets/lazy-D77ydb0N.css"],
    },
    "src/main.js": {
        "file": "assets/main-aJs-tnuq.js",
        "name": "main",
        "src": "src/main.js",
        "isEntry": True,
        "imports": ["_shared-Br8DK0F1.js"],
        "dynamicImports": ["src/lazy.js"],
        "css": ["assets/main-ogulhqqz.css"],
        "assets": ["assets/logo-2GwqehRm.svg"],
    },
    "src/theme.css": {"file": "assets/theme-Zx9kQ2aB.css", "src": "src/theme.css", "isEntry": True},
}


def test_entry_loads_imported_css_first_then_its_own_and_preloads_static_imports() -> None:
    assert entry_files(MANIFEST, "src/main.js", "m") == EntryFiles(
        stylesheets=("assets/shared-5q7pREkT.css", "assets/main-ogulhqqz.css"),
        preloads=("assets/util-Ab3dEf9h.js", "assets/shared-Br8DK0F1.js"),
        scripts=("assets/main-aJs-tnuq.js",),
    )


def test_dynamic_imports_are_neither_preloaded_nor_styled() -> None:
    files = entry_files(MANIFEST, "src/main.js", "m")
    assert not any("lazy" in f for f in (*files.stylesheets, *files.preloads))


def test_a_css_entry_is_one_stylesheet_and_no_script() -> None:
    assert entry_files(MANIFEST, "src/theme.css", "m") == EntryFiles(("assets/theme-Zx9kQ2aB.css",), (), ())


def test_an_unknown_entry_is_a_user_error_listing_the_entries() -> None:
    with pytest.raises(
        UserError, match=r"'src/main.ts' is not an entry .* src/admin.js, src/main.js, src/theme.css"
    ):
        entry_files(MANIFEST, "src/main.ts", "m")


def test_an_import_the_manifest_lacks_is_a_user_error() -> None:
    broken = {"src/a.js": {"file": "a-Br8DK0F1.js", "imports": ["_gone.js"]}}
    with pytest.raises(UserError, match="imports '_gone.js', which it does not hold"):
        entry_files(broken, "src/a.js", "m")


def test_tags_carry_integrity_and_crossorigin_and_escape_attributes() -> None:
    html = render_tags(
        [
            Tag("stylesheet", "https://cdn.test/a.css", "sha384-x"),
            Tag("script", 'https://cdn.test/a".js', "sha384-y"),
        ],
        nonce="n1",
    )
    assert html.splitlines() == [
        '<link rel="stylesheet" href="https://cdn.test/a.css" integrity="sha384-x" crossorigin="anonymous" nonce="n1">',
        '<script type="module" src="https://cdn.test/a&quot;.js" integrity="sha384-y" crossorigin="anonymous" nonce="n1"></script>',
    ]


def test_local_tags_have_no_integrity_attribute() -> None:
    # crossorigin="anonymous" is a module preload's default credentials mode anyway: the
    # markup is cdn_modulepreload's, from the one renderer both helpers share.
    assert (
        render_tags([Tag("modulepreload", "/static/dist/a.js")])
        == '<link rel="modulepreload" href="/static/dist/a.js" crossorigin="anonymous">'
    )


def test_vite_preloads_are_written_by_the_module_preload_renderer_of_cdn_modulepreload() -> None:
    from cdnpub.flask.importmap import Preload, modulepreload_tags

    tag = Tag("modulepreload", "https://cdn.test/a.js", "sha384-y")
    assert render_tags([tag], "n1") == modulepreload_tags([Preload(tag.url, tag.integrity)], "n1")


def test_dev_server_tags_load_vite_client_and_the_entry_source() -> None:
    assert dev_server_tags("http://localhost:5173/", ["src/my main.ts"]).splitlines() == [
        '<script type="module" src="http://localhost:5173/@vite/client"></script>',
        '<script type="module" src="http://localhost:5173/src/my%20main.ts"></script>',
    ]


def test_a_dev_server_that_is_not_a_url_is_a_user_error() -> None:
    with pytest.raises(UserError, match="CDN_VITE_DEV_SERVER"):
        dev_server_tags("localhost:5173", ["src/main.js"])


# --- through Flask ------------------------------------------------------------------


def _project(root: Path) -> Path:
    files: dict[str, str | bytes] = {"dist/.vite/manifest.json": json.dumps(MANIFEST)}
    for chunk in MANIFEST.values():
        for f in [chunk["file"], *chunk.get("css", []), *chunk.get("assets", [])]:
            files[f"dist/{f}"] = f"/* {f} */"
    write_tree(root / "static", files)
    result = build([Source(scan(root / "static"))], BuildOptions(prefix="static"))
    write(from_build(result), root / "cdnpub-manifest.json")
    return root


def _app(root: Path, **config: Any) -> Flask:
    app = Flask(__name__, root_path=str(root))
    app.config.update(config)
    CDN(app)
    return app


def _render(app: Flask, entry: str = "src/main.js") -> str:
    with app.test_request_context("/"):
        return render_template_string("{{ cdn_vite_tags(entry) }}", entry=entry)


def test_tags_point_at_the_cdn_with_the_published_files_integrity(tmp_path: Path) -> None:
    root = _project(tmp_path)
    html = _render(_app(root, CDN_DOMAIN="cdn.test"))
    manifest = json.loads((root / "cdnpub-manifest.json").read_text())["assets"]
    lines = html.splitlines()
    expected = [
        ("stylesheet", "dist/assets/shared-5q7pREkT.css"),
        ("stylesheet", "dist/assets/main-ogulhqqz.css"),
        ("modulepreload", "dist/assets/util-Ab3dEf9h.js"),
        ("modulepreload", "dist/assets/shared-Br8DK0F1.js"),
        ("script", "dist/assets/main-aJs-tnuq.js"),
    ]
    assert len(lines) == len(expected)
    for line, (kind, logical) in zip(lines, expected, strict=True):
        url = f"https://cdn.test/static/{logical}"
        integrity = manifest[logical]["integrity"]
        assert f'"{url}"' in line and f'integrity="{integrity}"' in line, line
        assert (kind == "script") == line.startswith('<script type="module"')


def test_without_cdn_domain_tags_are_local_and_without_integrity(tmp_path: Path) -> None:
    html = _render(_app(_project(tmp_path)))
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == [
        "/static/dist/assets/shared-5q7pREkT.css",
        "/static/dist/assets/main-ogulhqqz.css",
        "/static/dist/assets/util-Ab3dEf9h.js",
        "/static/dist/assets/shared-Br8DK0F1.js",
        "/static/dist/assets/main-aJs-tnuq.js",
    ]
    assert "integrity" not in html


def test_debug_with_a_dev_server_loads_the_entry_from_it(tmp_path: Path) -> None:
    app = _app(
        _project(tmp_path), CDN_DOMAIN="cdn.test", CDN_VITE_DEV_SERVER="http://localhost:5173", DEBUG=True
    )
    html = _render(app)
    assert "http://localhost:5173/@vite/client" in html
    assert "cdn.test" not in html  # one client only, from the dev server (vite_ruby#110)


def test_a_dev_server_is_ignored_outside_debug_mode(tmp_path: Path) -> None:
    app = _app(_project(tmp_path), CDN_DOMAIN="cdn.test", CDN_VITE_DEV_SERVER="http://localhost:5173")
    assert "localhost:5173" not in _render(app) and "https://cdn.test/" in _render(app)


def test_a_missing_vite_manifest_names_the_file_and_the_setting(tmp_path: Path) -> None:
    app = _app(_project(tmp_path), CDN_VITE_MANIFEST="build/.vite/manifest.json")
    with pytest.raises(UserError, match=r"build/\.vite/manifest\.json does not exist.*CDN_VITE_MANIFEST"):
        _render(app)


def test_a_vite_manifest_outside_the_static_folder_is_a_user_error(tmp_path: Path) -> None:
    app = _app(_project(tmp_path), CDN_VITE_MANIFEST=str(tmp_path / "elsewhere/.vite/manifest.json"))
    with pytest.raises(UserError, match="outside the static folder"):
        _render(app)


def test_a_rebuilt_vite_manifest_is_read_again(tmp_path: Path) -> None:
    root = _project(tmp_path)
    app = _app(root)
    assert "main-aJs-tnuq.js" in _render(app)
    changed = {**MANIFEST, "src/main.js": {**MANIFEST["src/main.js"], "file": "assets/main-NEW1xYz2.js"}}
    (root / "static/dist/.vite/manifest.json").write_text(json.dumps(changed) + "\n")
    assert "main-NEW1xYz2.js" in _render(app)


def test_python_callers_get_the_same_markup(tmp_path: Path) -> None:
    app = _app(_project(tmp_path), CDN_DOMAIN="cdn.test")
    with app.test_request_context("/"):
        assert str(cdn_vite_tags("src/admin.js")) == render_template_string(
            "{{ cdn_vite_tags('src/admin.js') }}"
        )


# --- peers' reports, replayed -------------------------------------------------------


def test_css_of_chunks_two_imports_deep_is_included() -> None:
    """nodecg/vite-plugin-nodecg#3: only one level of imported CSS was followed."""
    manifest = {
        "src/a.js": {"file": "a-Br8DK0F1.js", "isEntry": True, "imports": ["_b.js"]},
        "_b.js": {"file": "b-Cs3mAi5C.js", "imports": ["_c.js"]},
        "_c.js": {"file": "c-DC3y9O_F.js", "css": ["c-D_zbYhNz.css"]},
    }
    files = entry_files(manifest, "src/a.js", "m")
    assert files.stylesheets == ("c-D_zbYhNz.css",) and files.preloads == ("c-DC3y9O_F.js", "b-Cs3mAi5C.js")


def test_out_dir_without_assets_folder_and_a_hash_starting_with_a_dash(tmp_path: Path) -> None:
    """Eptagone/Vite.AspNetCore#141: `assetsDir: ''` in a subfolder (`js/`), and Rollup's
    hash `-yG90OMF` giving `main--yG90OMF.js`: kept by the manifest, found under `js/`."""
    vite = {
        "src/main.ts": {"file": "main--yG90OMF.js", "name": "main", "src": "src/main.ts", "isEntry": True}
    }
    write_tree(
        tmp_path / "static",
        {"js/.vite/manifest.json": json.dumps(vite), "js/main--yG90OMF.js": "console.log(1)"},
    )
    result = build([Source(scan(tmp_path / "static"))], BuildOptions(prefix="static"))
    write(from_build(result), tmp_path / "cdnpub-manifest.json")
    app = _app(tmp_path, CDN_DOMAIN="cdn.test", CDN_VITE_MANIFEST="js/.vite/manifest.json")
    html = _render(app, "src/main.ts")
    assert 'src="https://cdn.test/static/js/main--yG90OMF.js"' in html


def test_vite_rebuilt_after_the_cdn_build_fails_loudly_with_cdn_strict(tmp_path: Path) -> None:
    """django-vite#85: a file Vite's manifest names that the published manifest lacks (Vite
    ran again after the cdnpub build) must not become a broken CDN URL."""
    root = _project(tmp_path)
    rebuilt = {**MANIFEST, "src/main.js": {**MANIFEST["src/main.js"], "file": "assets/main-NEW1xYz2.js"}}
    (root / "static/dist/.vite/manifest.json").write_text(json.dumps(rebuilt))
    app = _app(root, CDN_DOMAIN="cdn.test", CDN_STRICT=True)
    with pytest.raises(MissingAssetError, match=r"dist/assets/main-NEW1xYz2\.js is not in the manifest"):
        _render(app)
    lenient = _app(root, CDN_DOMAIN="cdn.test")
    assert 'src="/static/dist/assets/main-NEW1xYz2.js"' in _render(lenient)  # the app's own copy


def test_a_vite_file_name_with_plus_and_space_is_fetched_by_its_encoded_url(tmp_path: Path) -> None:
    """S3 reads a literal "+" in a path as a space: the tag must say %2B."""
    vite = {"src/a+b c.js": {"file": "assets/a+b c-Br8DK0F1.js", "name": "a+b c", "isEntry": True}}
    write_tree(
        tmp_path / "static",
        {"dist/.vite/manifest.json": json.dumps(vite), "dist/assets/a+b c-Br8DK0F1.js": "1"},
    )
    result = build([Source(scan(tmp_path / "static"))], BuildOptions(prefix="static"))
    write(from_build(result), tmp_path / "cdnpub-manifest.json")
    html = _render(_app(tmp_path, CDN_DOMAIN="cdn.test"), "src/a+b c.js")
    assert 'src="https://cdn.test/static/dist/assets/a%2Bb%20c-Br8DK0F1.js"' in html


def test_two_entries_load_their_shared_chunk_once(tmp_path: Path) -> None:
    app = _app(_project(tmp_path))
    with app.test_request_context("/"):
        html = render_template_string("{{ cdn_vite_tags('src/main.js', 'src/admin.js') }}")
    urls = re.findall(r'(?:src|href)="/static/dist/([^"]+)"', html)
    assert urls == [
        "assets/shared-5q7pREkT.css",
        "assets/main-ogulhqqz.css",
        "assets/admin-DnxlgDv_.css",
        "assets/util-Ab3dEf9h.js",
        "assets/shared-Br8DK0F1.js",
        "assets/main-aJs-tnuq.js",
        "assets/admin-DlNyXIyu.js",
    ]


def test_two_entries_from_the_dev_server_load_its_client_once(tmp_path: Path) -> None:
    app = _app(_project(tmp_path), CDN_VITE_DEV_SERVER="http://localhost:5173", DEBUG=True)
    with app.test_request_context("/"):
        html = render_template_string("{{ cdn_vite_tags('src/main.js', 'src/admin.js', nonce='n') }}")
    assert html.count("@vite/client") == 1 and html.count('nonce="n"') == 3


# --- a long chunk chain (issue 26 point 13) ----------------------------------------------


def chain(depth: int) -> dict[str, Any]:
    """An entry importing chunk 1, which imports chunk 2, ... down to `depth`, each with CSS."""
    doc: dict[str, Any] = {
        f"_c{i}.js": {
            "file": f"assets/c{i}-{i:08d}.js",
            "imports": [f"_c{i + 1}.js"],
            "css": [f"assets/c{i}.css"],
        }
        for i in range(1, depth)
    }
    doc[f"_c{depth}.js"] = {"file": f"assets/c{depth}-{depth:08d}.js", "css": [f"assets/c{depth}.css"]}
    doc["src/main.js"] = {
        "file": "assets/main.js",
        "isEntry": True,
        "imports": ["_c1.js"],
        "css": ["assets/m.css"],
    }
    return doc


def test_a_3000_deep_chunk_chain_is_walked_in_the_order_a_recursion_gives() -> None:
    files = entry_files(chain(3000), "src/main.js", "m")
    # The deepest chunk's CSS and JS first, as Vite's HTML writes them; the entry's last.
    assert files.stylesheets[:2] == ("assets/c3000.css", "assets/c2999.css")
    assert files.stylesheets[-2:] == ("assets/c1.css", "assets/m.css") and len(files.stylesheets) == 3001
    assert files.preloads[0] == "assets/c3000-00003000.js" and files.preloads[-1] == "assets/c1-00000001.js"
    assert len(files.preloads) == 3000 and files.scripts == ("assets/main.js",)


def test_a_3000_deep_chunk_chain_renders_in_a_page(tmp_path: Path) -> None:
    write_tree(tmp_path / "static", {"dist/.vite/manifest.json": json.dumps(chain(3000))})
    app = Flask(__name__, root_path=str(tmp_path))
    CDN(app)
    app.add_url_rule("/", "page", lambda: render_template_string("{{ cdn_vite_tags('src/main.js') }}"))
    answer = app.test_client().get("/")
    assert answer.status_code == 200
    assert answer.text.count('rel="modulepreload"') == 3000 and answer.text.count('rel="stylesheet"') == 3001


def test_a_deeply_nested_vite_manifest_is_one_line_not_a_recursion_error(tmp_path: Path) -> None:
    write_tree(tmp_path / "static", {"dist/.vite/manifest.json": "[" * 100_000 + "]" * 100_000})
    app = _app(tmp_path)
    with pytest.raises(UserError, match=r"cannot read Vite's manifest .*: nested too deeply$"):
        _render(app)
