import builtins
import errno
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source, hashed_name
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from tests.support.fingerprint import PNG, asset, body, built

MakeTree = Callable[..., Path]

REAL_WORLD_CSS = """\
@charset "UTF-8";
@import url("base.css");
@font-face {
  font-family: 'Icons';
  src: url('../fonts/icons.eot');
  src: url('../fonts/icons.eot?#iefix') format('embedded-opentype'),
       url(../fonts/icons.woff2) format('woff2'),
       url("../fonts/icons.svg#svgFontName") format('svg');
}
/* url(../img/commented.png) is a comment */
.logo { background: url(data:image/png;base64,iVBORw0KGgo=) no-repeat, url( ../img/logo.png ); }
.hero { background-image: image-set("../img/hero.png" 1x, url(../img/hero@2x.png) 2x); }
.cdn { background: url(https://example.com/x.png), url(//cdn.example.com/y.png); }
.filter { filter: url(#shadow); }
.root { background: url(/static/img/logo.png?v=3); }
a::after { content: "url(../img/not-a-reference.png)"; }
/*# sourceMappingURL=app.css.map */
"""


def hashed(result: Build, path: str) -> str:
    """The fingerprinted file name of `path`, as a reference would name it."""
    return asset(result, path).key.rsplit("/", 1)[1]


@pytest.fixture
def site(make_tree: MakeTree) -> Path:
    return make_tree(
        {
            "css/app.css": REAL_WORLD_CSS,
            "css/app.css.map": "{}",
            "css/base.css": '@import "theme/colors.css";\nbody{background:url(../img/bg.png)}',
            "css/theme/colors.css": "@import 'palette.css';\n.c{color:red}",
            "css/theme/palette.css": ".p{background:url(../../img/swatch.png)}",
            "fonts/icons.eot": b"eot",
            "fonts/icons.woff2": b"woff2",
            "fonts/icons.svg": "<svg/>",
            "img/logo.png": PNG + b"logo",
            "img/hero.png": PNG + b"hero",
            "img/hero@2x.png": PNG + b"hero2",
            "img/bg.png": PNG + b"bg",
            "img/swatch.png": PNG + b"swatch",
            "js/app.js": "console.log(1);\n//# sourceMappingURL=app.js.map\n",
            "js/app.js.map": '{"version":3}',
            "js/vendor-4f3a9c1d.js": "vendor()",
        }
    )


def test_fingerprinted_name_puts_a_short_hash_before_the_last_extension() -> None:
    assert hashed_name("css/app.css", "3f2a1b9c0d" + "0" * 54) == "css/app.3f2a1b9c0d.css"
    assert hashed_name("js/jquery.min.js", "a" * 64) == "js/jquery.min.aaaaaaaaaa.js"
    assert hashed_name("LICENSE", "b" * 64) == "LICENSE.bbbbbbbbbb"


def test_key_is_prefix_and_fingerprinted_name_of_the_content(make_tree: MakeTree) -> None:
    root = make_tree({"img/a.png": PNG})
    a = asset(built(root), "img/a.png")
    digest = hashlib.sha256(PNG).hexdigest()
    assert a.key == f"static/img/a.{digest[:10]}.png"
    assert a.plain_key == "static/img/a.png"
    assert a.sha256 == digest


def test_hash_is_taken_over_the_rewritten_content(site: Path) -> None:
    for a in built(site).assets:
        published = body(a)
        assert hashlib.sha256(published).hexdigest() == a.sha256
        assert len(published) == a.size


def test_real_world_stylesheet_references_are_rewritten(site: Path) -> None:
    result = built(site)
    css = body(asset(result, "css/app.css")).decode()
    assert f'@import url("{hashed(result, "css/base.css")}")' in css
    eot = hashed(result, "fonts/icons.eot")
    assert f"url('../fonts/{eot}')" in css
    assert f"url('../fonts/{eot}?#iefix') format('embedded-opentype')" in css
    assert f"url(../fonts/{hashed(result, 'fonts/icons.woff2')}) format('woff2')" in css
    assert f'url("../fonts/{hashed(result, "fonts/icons.svg")}#svgFontName")' in css
    assert f"url( ../img/{hashed(result, 'img/logo.png')} )" in css
    assert f'image-set("../img/{hashed(result, "img/hero.png")}" 1x' in css
    assert f"url(../img/{hashed(result, 'img/hero@2x.png')}) 2x" in css
    assert f"url(/static/img/{hashed(result, 'img/logo.png')}?v=3)" in css
    assert f"sourceMappingURL={hashed(result, 'css/app.css.map')} */" in css


def test_what_is_not_a_local_reference_is_left_byte_for_byte(site: Path) -> None:
    css = body(asset(built(site), "css/app.css")).decode()
    for untouched in [
        "url(data:image/png;base64,iVBORw0KGgo=)",
        "url(https://example.com/x.png)",
        "url(//cdn.example.com/y.png)",
        "url(#shadow)",
        "/* url(../img/commented.png) is a comment */",
        'content: "url(../img/not-a-reference.png)"',
        '@charset "UTF-8";',
    ]:
        assert untouched in css


def test_only_the_references_change_in_the_stylesheet(site: Path) -> None:
    css = body(asset(built(site), "css/app.css")).decode()
    unhashed = re.sub(r"\.[0-9a-f]{10}(?=[.?#\"')\s])", "", css)
    assert unhashed == REAL_WORLD_CSS


def test_image_change_changes_the_css_that_references_it_and_the_css_importing_that(
    site: Path,
) -> None:
    before = built(site)
    (site / "img/swatch.png").write_bytes(PNG + b"another swatch")
    after = built(site)
    changed = {a.path for a in after.assets if a.sha256 != asset(before, a.path).sha256}
    assert changed == {
        "img/swatch.png",
        "css/theme/palette.css",
        "css/theme/colors.css",
        "css/base.css",
        "css/app.css",
    }


def test_dependencies_come_before_the_files_that_reference_them(site: Path) -> None:
    order = [a.path for a in built(site).assets]
    assert order.index("css/theme/palette.css") < order.index("css/theme/colors.css")
    assert order.index("css/theme/colors.css") < order.index("css/base.css")
    assert order.index("css/base.css") < order.index("css/app.css")
    assert order.index("img/swatch.png") < order.index("css/theme/palette.css")
    assert order.index("js/app.js.map") < order.index("js/app.js")


def test_js_source_map_comment_is_rewritten(site: Path) -> None:
    result = built(site)
    js = body(asset(result, "js/app.js")).decode()
    assert js == f"console.log(1);\n//# sourceMappingURL={hashed(result, 'js/app.js.map')}\n"


def test_bundler_fingerprinted_files_keep_their_name_and_get_no_plain_copy(site: Path) -> None:
    a = asset(built(site), "js/vendor-4f3a9c1d.js")
    assert a.key == "static/js/vendor-4f3a9c1d.js"
    assert a.plain_key is None


@pytest.mark.parametrize(
    "name", ["app-settings.js", "app-deadbeef.js", "v1.2.js", "report-20240101.pdf", "frame-00000001.png"]
)
def test_ordinary_names_are_not_taken_for_bundler_hashes(make_tree: MakeTree, name: str) -> None:
    root = make_tree({name: "x"})
    assert asset(built(root), name).plain_key is not None


def test_a_built_file_is_never_fingerprinted_twice(make_tree: MakeTree) -> None:
    first = built(make_tree({"app.css": "a{}"}, name="one"))
    name = hashed(first, "app.css")
    second = built(make_tree({name: "a{}"}, name="two"))
    assert asset(second, name).key == f"static/{name}"


def test_fingerprint_pattern_is_configurable(make_tree: MakeTree) -> None:
    root = make_tree({"index-BwJ3a_Xq.js": "x"})
    result = built(root, fingerprinted_pattern=r"-[A-Za-z0-9_]{8}\.js$")
    assert asset(result, "index-BwJ3a_Xq.js").plain_key is None


def test_missing_reference_is_a_warning_naming_file_and_reference(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": "a{background:url(../img/nope.png)}"})
    result = built(root)
    assert len(result.warnings) == 1
    assert "a.css" in result.warnings[0] and "'../img/nope.png'" in result.warnings[0]
    assert body(asset(result, "css/a.css")) == b"a{background:url(../img/nope.png)}"


def test_missing_reference_is_an_error_with_strict(make_tree: MakeTree) -> None:
    root = make_tree({"css/a.css": "a{background:url(../img/nope.png)}"})
    with pytest.raises(UserError, match="nope.png"):
        built(root, strict=True)


def test_import_cycle_is_reported(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": '@import "b.css";', "b.css": '@import "c.css";', "c.css": '@import "a.css";'})
    with pytest.raises(UserError, match=r"reference cycle: (a|b|c)\.css -> .* -> \1\.css"):
        built(root)


def test_root_relative_references_use_the_url_path(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": "x{background:url(/assets/i.png)}", "i.png": PNG})
    result = build([Source(scan(root), url_path="/assets")], BuildOptions(prefix="cdn/assets"))
    css = body(asset(result, "a.css")).decode()
    assert css == f"x{{background:url(/cdn/assets/{hashed(result, 'i.png')})}}"


def test_percent_encoded_references_resolve_and_stay_encoded(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": "x{background:url('my%20image.png')}", "my image.png": PNG})
    result = built(root)
    stem = hashed(result, "my image.png").split(".")[1]
    assert body(asset(result, "a.css")).decode() == f"x{{background:url('my%20image.{stem}.png')}}"


def test_escaped_css_string_is_replaced_whole(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": 'x{background:url("i\\2e png")}', "i.png": PNG})
    result = built(root)
    assert body(asset(result, "a.css")).decode() == f'x{{background:url("{hashed(result, "i.png")}")}}'


def test_crlf_stylesheet_keeps_its_line_endings(make_tree: MakeTree) -> None:
    root = make_tree({"a.css": "a{}\r\n\r\nb{background:url(i.png)}\r\n", "i.png": PNG})
    result = built(root)
    assert (
        body(asset(result, "a.css"))
        == f"a{{}}\r\n\r\nb{{background:url({hashed(result, 'i.png')})}}\r\n".encode()
    )


def test_blueprint_folders_get_their_sub_prefix_and_root_relative_references_cross(
    make_tree: MakeTree,
) -> None:
    app = make_tree({"img/a.png": PNG}, name="app")
    admin = make_tree(
        {"admin.css": "x{background:url(/static/img/a.png)} y{background:url(b.png)}", "b.png": PNG + b"b"},
        name="admin",
    )
    result = build(
        [Source(scan(app)), Source(scan(admin), url_path="/admin/static", sub="admin")], BuildOptions()
    )
    css = asset(result, "admin/admin.css")
    assert css.key.startswith("static/admin/admin.")
    text = body(css).decode()
    assert f"url(/static/img/{hashed(result, 'img/a.png')})" in text
    assert f"url({hashed(result, 'admin/b.png')})" in text


def test_app_folder_clashing_with_a_blueprint_name_is_an_error(make_tree: MakeTree) -> None:
    app = make_tree({"admin/x.png": PNG}, name="app")
    admin = make_tree({"y.png": PNG}, name="admin")
    with pytest.raises(UserError, match="clashes with the blueprint 'admin'"):
        build([Source(scan(app)), Source(scan(admin), sub="admin")], BuildOptions())


def test_empty_folder_is_a_user_error(make_tree: MakeTree) -> None:
    root = make_tree({".env": "only a secret"})
    with pytest.raises(UserError, match="no files to publish"):
        built(root)


def test_unreadable_file_is_a_user_error(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree({"a.css": "a{}"})
    real_open = builtins.open

    def denying_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith("a.css"):  # root reads mode-0 files, so deny it the way EACCES would
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", denying_open)
    with pytest.raises(UserError, match="cannot read .*a.css: Permission denied"):
        built(root)


def test_same_input_gives_the_same_build(site: Path) -> None:
    assert built(site) == built(site)


@pytest.mark.parametrize(
    ("name", "encoded"), [("a b.png", "a%20b"), ("c#1.png", "c%231"), ("100%.png", "100%25")]
)
def test_root_relative_references_to_odd_names_stay_valid_urls(
    make_tree: MakeTree, name: str, encoded: str
) -> None:
    ref = "/static/img/" + encoded + ".png"
    root = make_tree({"css/a.css": f"x{{background:url('{ref}')}}", f"img/{name}": PNG})
    result = built(root)
    digest = asset(result, f"img/{name}").sha256[:10]
    assert (
        body(asset(result, "css/a.css")).decode()
        == f"x{{background:url('/static/img/{encoded}.{digest}.png')}}"
    )


@pytest.mark.parametrize("css", ["a{background:url(", "a{background:url(  ", "@import '", 'a{b:url("x.png'])
def test_truncated_stylesheet_builds_without_a_crash(make_tree: MakeTree, css: str) -> None:
    root = make_tree({"a.css": css, "x.png": PNG})
    assert asset(built(root), "a.css").size >= len(css)  # built (an unclosed string may be rewritten)


def test_cdnpub_names_with_an_all_digit_hash_are_not_fingerprinted_again(make_tree: MakeTree) -> None:
    root = make_tree({"app.0123456789.css": "a{}"})
    assert asset(built(root), "app.0123456789.css").plain_key is None


def test_stylesheets_tokenized_in_worker_processes_build_the_same(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    """Past PARALLEL_CSS_BYTES, in a process with no other thread (a fresh one: this test
    process runs servers), stylesheets are tokenized in forked workers."""
    import json
    import subprocess
    import sys

    files: dict[str, str | bytes] = {f"img/{i}.png": PNG + bytes([i]) for i in range(20)}
    files.update({f"css/{i}.css": f"a{{background:url(../img/{i % 20}.png)}}\n" * 40 for i in range(60)})
    root = make_tree(files)
    script = """
import json, sys
import cdnpub.build.workers as w
from cdnpub.build.fingerprint import build
from cdnpub.build.model import Source
from cdnpub.build.scan import scan
w.PARALLEL_CSS_BYTES = int(sys.argv[2])
b = build([Source(scan(sys.argv[1]))])
print(json.dumps({a.path: a.sha256 for a in b.assets}))
"""

    def run(threshold: int) -> dict[str, str]:
        out = subprocess.run(
            [sys.executable, "-c", script, str(root), str(threshold)], capture_output=True, check=True
        )
        return dict(json.loads(out.stdout))

    assert run(1) == run(10**9) == {a.path: a.sha256 for a in built(root).assets}


def test_script_pointing_at_a_stylesheet_is_built_after_it(make_tree: MakeTree) -> None:
    """Files that point at nothing are built first, while stylesheets tokenize; a script
    whose reference leads to a stylesheet still waits for it."""
    root = make_tree(
        {
            "a.js": "x;\n//# sourceMappingURL=a.css\n",
            "a.css": "b{background:url(i.png)}",
            "i.png": PNG,
        }
    )
    first = built(root)
    (root / "i.png").write_bytes(PNG + b"2")
    second = built(root)
    assert hashed(first, "a.js") != hashed(second, "a.js")
    assert body(asset(second, "a.js")) == f"x;\n//# sourceMappingURL={hashed(second, 'a.css')}\n".encode()
    order = [a.path for a in second.assets]
    assert order.index("i.png") < order.index("a.css") < order.index("a.js")


def test_relative_reference_climbing_out_of_the_folder_becomes_root_relative(make_tree: MakeTree) -> None:
    """`../../static/img/x.png` from a blueprint's css/ climbs out of its folder and back in
    by the folder's local URL name, which the CDN's key layout does not share."""
    root = make_tree({"css/admin.css": "a{background:url(../../static/img/x.png)}", "img/x.png": PNG})
    result = build([Source(scan(root), url_path="/admin/static", sub="admin")], BuildOptions(prefix="static"))
    png = asset(result, "admin/img/x.png")
    assert body(asset(result, "admin/css/admin.css")) == f"a{{background:url(/{png.key})}}".encode()


# --- hostile and careless trees (issue 16) -----------------------------------------


def test_an_import_chain_1200_long_is_ordered_without_recursion(make_tree: MakeTree) -> None:
    n = 1200
    files = {f"c{i}.css": f'@import "c{i + 1}.css";' for i in range(n)}
    files[f"c{n}.css"] = "b{}"
    result = built(make_tree(files))
    order = [a.path for a in result.assets]
    assert order.index(f"c{n}.css") < order.index(f"c{n - 1}.css") < order.index("c0.css")
    assert len(result.assets) == n + 1


def test_a_long_import_cycle_is_reported_without_recursion(make_tree: MakeTree) -> None:
    n = 1200
    files = {f"c{i}.css": f'@import "c{(i + 1) % n}.css";' for i in range(n)}
    with pytest.raises(UserError, match=r"reference cycle: c0\.css -> c1\.css -> .* -> c0\.css"):
        built(make_tree(files))


def test_a_file_named_like_anothers_fingerprinted_copy_is_refused_naming_both(make_tree: MakeTree) -> None:
    digest = hashlib.sha256(b"a{}").hexdigest()[:10]
    root = make_tree({"a.css": "a{}", f"a.{digest}.css": "other{}"})
    with pytest.raises(UserError) as caught:
        built(root)
    message = str(caught.value)
    assert "static/a.css" in message and f"static/a.{digest}.css" in message
    assert f"published as static/a.{digest}.css" in message


def test_a_folder_holding_cdnpubs_own_output_builds(make_tree: MakeTree) -> None:
    digest = hashlib.sha256(b"a{}").hexdigest()[:10]
    result = built(make_tree({"a.css": "a{}", f"a.{digest}.css": "a{}"}))
    assert sorted(a.key for a in result.assets) == [f"static/a.{digest}.css"] * 2


_KILLED_BUILD = """
import os, sys, time
from cdnpub.build import workers
from cdnpub.build.scan import scan
from cdnpub.build.model import Source
from cdnpub.build.graph import graph_nodes
from cdnpub.build.workers import Stylesheets

sheets = Stylesheets(graph_nodes([Source(scan(sys.argv[1]))]))
assert sheets._pool is not None, "no pool"
print(*sheets._pool._processes, flush=True)
time.sleep(600)
"""


def test_no_tokenizer_worker_outlives_a_killed_build(make_tree: MakeTree, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the build forks no tokenizer workers")
    sheet = "".join(f".c{i}{{background:url(i{i}.png)}}\n" for i in range(12000))
    root = make_tree({f"s{i}.css": sheet for i in range(2)})
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_BUILD, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    workers = [int(pid) for pid in child.stdout.readline().split()]
    assert workers
    child.send_signal(signal.SIGKILL)
    child.wait()
    # The workers get SIGKILL from the kernel as their parent dies; reaping is asynchronous.
    for _ in range(200):
        alive = [pid for pid in workers if _alive(pid)]
        if not alive:
            break
        time.sleep(0.05)
    assert alive == []
    assert child.stdout.read() == ""  # EOF: no worker holds the pipe


def _alive(pid: int) -> bool:
    import os

    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        os.kill(pid, 0)
        return True
