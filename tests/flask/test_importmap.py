"""cdnpub.importmap: the import map and preloads from a built manifest.

The map is checked the way a browser uses it: a specifier inside a fingerprinted module,
resolved against that module's CDN URL (WHATWG URL rules: urljoin, non-ASCII
percent-encoded), must land on a key of `imports` whose value is the target's fingerprinted
URL, with that URL's SRI in `integrity`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest

from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.flask.importmap import (
    Preload,
    cdn_url,
    import_map,
    importmap_tag,
    module_paths,
    modulepreload_tags,
    preload_paths,
    preloads,
)
from cdnpub.manifest import Entry
from cdnpub.urls import url_path
from tests.support.trees import Tree, write_tree

ORIGIN = "https://cdn.example.com"

APP: Tree = {
    "js/app.js": 'import { cart } from "./cart.js";\nimport "cart-pin";\nimport("./lazy.js");\n',
    "js/cart.js": 'export { util } from "../lib/util.js";\nexport const cart = 1;\n',
    "lib/util.js": 'import "/static/js/cart.js";\nimport data from "./data.json" with { type: "json" };\nexport const util = 1;\n',
    "lib/data.json": "{}",
    "js/lazy.js": "export default 1;\n",
    "js/café.mjs": 'import "./a%2Bb.js";\n',
    "js/a+b.js": "",
    "vendor/chunk-4f3a9c1d.js": "export default 2;\n",
    "css/site.css": "body{}",
}
ADMIN: Tree = {"js/admin.js": 'import "./widget.js";\nimport "../../js/cart.js";\n', "js/widget.js": ""}


@pytest.fixture
def entries(tmp_path: Path) -> Mapping[str, Entry]:
    sources = [
        Source(scan(write_tree(tmp_path / "static", APP)), url_path="/static"),
        Source(scan(write_tree(tmp_path / "admin", ADMIN)), url_path="/admin/static", sub="admin"),
    ]
    result = build(sources, BuildOptions(prefix="static"))
    assert result.warnings == ()
    return from_build(result).entries


def browser_url(base: str, specifier: str) -> str:
    """What a browser resolves a URL-like specifier to (it percent-encodes non-ASCII)."""
    return quote(urljoin(base, specifier), safe=":/?#[]@!$&'()*+,;=%~")


def fetched(
    doc: Mapping[str, Mapping[str, str]], entries: Mapping[str, Entry], importer: str, spec: str
) -> str:
    """The URL the browser fetches for `spec` inside the fingerprinted `importer`."""
    base = cdn_url(ORIGIN, entries[importer].key)
    if spec.startswith(("/", "./", "../")):
        url = browser_url(base, spec)
        return doc["imports"].get(url, url)
    return doc["imports"][spec]


def fingerprinted(entries: Mapping[str, Entry], path: str) -> str:
    return cdn_url(ORIGIN, entries[path].key)


@pytest.mark.parametrize(
    ("importer", "spec", "target"),
    [
        ("js/app.js", "./cart.js", "js/cart.js"),  # relative
        ("js/cart.js", "../lib/util.js", "lib/util.js"),  # ../
        ("lib/util.js", "/static/js/cart.js", "js/cart.js"),  # root-relative
        ("lib/util.js", "./data.json", "lib/data.json"),  # a JSON module a module imports
        ("js/app.js", "./lazy.js", "js/lazy.js"),  # import() goes through the map too
        ("admin/js/admin.js", "./widget.js", "admin/js/widget.js"),  # blueprint module
        ("admin/js/admin.js", "../../js/cart.js", "js/cart.js"),  # out of the blueprint, on the CDN
        ("js/café.mjs", "./a%2Bb.js", "js/a+b.js"),  # "+" as the one URL rule spells it
        ("js/app.js", "./café.mjs", "js/café.mjs"),  # non-ASCII
    ],
)
def test_a_specifier_inside_a_fingerprinted_module_loads_the_fingerprinted_target(
    entries: Mapping[str, Entry], importer: str, spec: str, target: str
) -> None:
    doc = import_map(entries, ORIGIN)
    url = fetched(doc, entries, importer, spec)
    assert url == fingerprinted(entries, target)
    assert doc["integrity"][url] == entries[target].integrity


def test_keys_and_values_are_written_by_the_one_url_rule(entries: Mapping[str, Entry]) -> None:
    doc = import_map(entries, ORIGIN)
    cafe = entries["js/café.mjs"]
    assert doc["imports"][ORIGIN + url_path("static/js/café.mjs")] == ORIGIN + url_path(cafe.key)
    assert ORIGIN + "/static/js/caf%C3%A9.mjs" in doc["imports"]
    assert ORIGIN + "/static/js/a%2Bb.js" in doc["imports"]


def test_every_module_is_mapped_with_its_integrity_and_nothing_else(entries: Mapping[str, Entry]) -> None:
    doc = import_map(entries, ORIGIN)
    mapped = {v for k, v in doc["imports"].items()}
    assert fingerprinted(entries, "css/site.css") not in mapped | set(doc["integrity"])
    for path in module_paths(entries):
        url = fingerprinted(entries, path)
        assert doc["integrity"][url] == entries[path].integrity


def test_a_bundler_named_module_needs_no_mapping_but_gets_integrity(entries: Mapping[str, Entry]) -> None:
    doc = import_map(entries, ORIGIN)
    url = ORIGIN + "/static/vendor/chunk-4f3a9c1d.js"
    assert url not in doc["imports"] and url not in doc["imports"].values()
    assert doc["integrity"][url] == entries["vendor/chunk-4f3a9c1d.js"].integrity


def test_a_bare_pin_to_a_static_file_maps_to_its_fingerprinted_url(entries: Mapping[str, Entry]) -> None:
    doc = import_map(entries, ORIGIN, {"cart-pin": "js/cart.js", "admin-widget": "admin/js/widget.js"})
    assert fetched(doc, entries, "js/app.js", "cart-pin") == fingerprinted(entries, "js/cart.js")
    assert doc["imports"]["admin-widget"] == fingerprinted(entries, "admin/js/widget.js")


def test_a_bare_pin_to_a_url_is_kept_as_given_without_integrity(entries: Mapping[str, Entry]) -> None:
    doc = import_map(entries, ORIGIN, {"lit": "https://esm.sh/lit@3.2.1"})
    assert doc["imports"]["lit"] == "https://esm.sh/lit@3.2.1"
    assert "https://esm.sh/lit@3.2.1" not in doc["integrity"]


def test_a_folder_pin_maps_each_module_under_it(entries: Mapping[str, Entry]) -> None:
    doc = import_map(entries, ORIGIN, {"lib/": "lib/"})
    assert doc["imports"]["lib/util.js"] == fingerprinted(entries, "lib/util.js")
    assert doc["imports"]["lib/data.json"] == fingerprinted(entries, "lib/data.json")


def test_a_pin_to_a_missing_file_is_reported_and_left_out(entries: Mapping[str, Entry]) -> None:
    missing: list[str] = []
    doc = import_map(entries, ORIGIN, {"gone": "js/gone.js"}, missing.append)
    assert missing == ["js/gone.js"] and "gone" not in doc["imports"]


def test_a_folder_pin_on_one_side_only_is_an_error(entries: Mapping[str, Entry]) -> None:
    with pytest.raises(UserError, match="folder pin"):
        import_map(entries, ORIGIN, {"lib/": "lib/util.js"})


def test_preloads_follow_static_imports_transitively_through_a_cycle(entries: Mapping[str, Entry]) -> None:
    # app -> cart -> util -> cart (a cycle) and util -> data.json; lazy.js is import()ed
    assert preload_paths(entries, "js/app.js") == ["js/app.js", "js/cart.js", "lib/util.js", "lib/data.json"]


def test_preloads_follow_bare_imports_through_the_pins(tmp_path: Path) -> None:
    files: Tree = {"app.js": 'import "a-pin";', "a.js": 'import "lib/b.js";', "lib/b.js": ""}
    entries = from_build(build([Source(scan(write_tree(tmp_path, files)))], BuildOptions())).entries
    assert preload_paths(entries, "app.js", {"a-pin": "a.js", "lib/": "lib/"}) == [
        "app.js",
        "a.js",
        "lib/b.js",
    ]
    assert preload_paths(entries, "app.js") == ["app.js"]


def test_preloads_of_an_unknown_entry_are_none(entries: Mapping[str, Entry]) -> None:
    assert preload_paths(entries, "js/gone.js") == []


def test_preload_links_carry_the_integrity_of_the_map(entries: Mapping[str, Entry]) -> None:
    doc = import_map(entries, ORIGIN)
    html = modulepreload_tags(preloads(entries, ORIGIN, preload_paths(entries, "js/app.js")))
    links = re.findall(
        r'<link rel="modulepreload" href="([^"]+)" integrity="([^"]+)" crossorigin="anonymous">', html
    )
    assert len(links) == 4 and all(doc["integrity"][href] == sri for href, sri in links)


def test_tags_carry_the_nonce_and_escape_attributes() -> None:
    html = modulepreload_tags([Preload('https://c.test/a".js', "sha384-x")], nonce='n"1')
    assert html == (
        '<link rel="modulepreload" href="https://c.test/a&quot;.js" integrity="sha384-x"'
        ' crossorigin="anonymous" nonce="n&quot;1">'
    )
    assert importmap_tag({"imports": {}}, nonce="abc").startswith('<script type="importmap" nonce="abc">')


def test_no_value_can_end_the_import_map_script() -> None:
    tag = importmap_tag({"imports": {"x": "https://c.test/</script><script>alert(1)//"}})
    assert tag.count("</script>") == 1 and tag.endswith("</script>")
    body = tag.split(">", 1)[1].rsplit("<", 1)[0]
    assert json.loads(body)["imports"]["x"] == "https://c.test/</script><script>alert(1)//"


def test_integrity_is_of_the_bytes_the_cdn_serves_after_rewriting(tmp_path: Path) -> None:
    # importmap-rails #308: an integrity computed from other bytes than the served ones
    # blocks the module. Here the build rewrites the module's sourceMappingURL.
    import base64
    import hashlib

    from cdnpub.build.export import export

    files: Tree = {
        "app.js": 'import "./b.js";\n//# sourceMappingURL=app.js.map\n',
        "app.js.map": "{}",
        "b.js": "",
    }
    result = build([Source(scan(write_tree(tmp_path / "static", files)))], BuildOptions())
    export(result, tmp_path / "out")
    entries = from_build(result).entries
    served = (tmp_path / "out" / entries["app.js"].key.removeprefix("static/")).read_bytes()
    assert b"sourceMappingURL=app." in served and served != files["app.js"].encode()  # type: ignore[union-attr]
    url = cdn_url(ORIGIN, entries["app.js"].key)
    expected = "sha384-" + base64.b64encode(hashlib.sha384(served).digest()).decode()
    assert import_map(entries, ORIGIN)["integrity"][url] == expected
