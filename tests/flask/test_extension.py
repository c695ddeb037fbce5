"""cdnpub.flask: url_for('static') on the CDN through the manifest, SRI helper, reloads."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, render_template_string, url_for
from markupsafe import escape

import cdnpub.manifest
from cdnpub.build.export import export
from cdnpub.build.fingerprint import build, from_build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.flask.extension import CDN, MissingAssetError
from cdnpub.manifest import write
from tests.support.trees import Tree, write_tree

DOMAIN = "cdn.test"
JS = b"console.log('app');\n"

APP_FILES: Tree = {
    "css/app.css": ".logo { background: url(../img/logo.png); }\n",
    "js/app.js": JS,
    "img/logo.png": b"\x89PNG\r\n\x1a\n-logo-",
    "img/my photo+1.png": b"\x89PNG\r\n\x1a\n-photo-",
}
ADMIN_FILES: Tree = {
    "css/admin.css": "body { color: red; }\n",
    "js/admin.js": b"console.log('admin');\n",
    "img/logo.png": b"\x89PNG\r\n\x1a\n-admin-logo-",
}
CART_FILES: Tree = {"js/cart.js": b"console.log('cart');\n"}


class Site:
    """A project folder: app static files, blueprint static folders, the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.static = write_tree(root / "static", APP_FILES)
        self.admin = write_tree(root / "admin_static", ADMIN_FILES)
        self.cart = write_tree(root / "cart_static", CART_FILES)
        self.manifest = root / "cdnpub-manifest.json"
        self.result = self.rebuild()

    def rebuild(self, static: Path | None = None) -> Build:
        sources = [
            Source(scan(static or self.static), url_path="/static"),
            Source(scan(self.admin), url_path="/admin/static", sub="admin"),
            Source(scan(self.cart), url_path="/shop/cart/static", sub="shop.cart"),
        ]
        self.result = build(sources, BuildOptions(prefix="static"))
        write(from_build(self.result), self.manifest)
        return self.result

    def key(self, logical: str) -> str:
        return cdnpub.manifest.read(self.manifest).entries[logical].key

    def app(self, **config: Any) -> Flask:
        """The app shape the tests share, before the extension is added."""
        app = Flask(__name__, root_path=str(self.root))
        app.config.update(config)
        app.add_url_rule(
            "/", "index", lambda: render_template_string("{{ url_for('static', filename='js/app.js') }}")
        )
        admin = Blueprint(
            "admin", __name__, static_folder=str(self.admin), url_prefix="/admin", static_url_path="/static"
        )
        admin.add_url_rule("/", "index", lambda: "admin")
        app.register_blueprint(admin)
        shop = Blueprint("shop", __name__, url_prefix="/shop")
        shop.register_blueprint(Blueprint("cart", __name__, static_folder=str(self.cart), url_prefix="/cart"))
        app.register_blueprint(shop)
        return app


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


@pytest.fixture
def cdn_app(site: Site) -> Flask:
    app = site.app(CDN_DOMAIN=DOMAIN)
    CDN(app)
    return app


@pytest.fixture
def request_ctx(cdn_app: Flask) -> Iterator[Flask]:
    with cdn_app.test_request_context("/"):
        yield cdn_app


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


# endpoint, url_for arguments, logical path, what follows the key
URL_TABLE = [
    ("static", {"filename": "js/app.js"}, "js/app.js", ""),
    ("static", {"filename": "css/app.css"}, "css/app.css", ""),
    ("admin.static", {"filename": "js/admin.js"}, "admin/js/admin.js", ""),
    ("shop.cart.static", {"filename": "js/cart.js"}, "shop.cart/js/cart.js", ""),
    ("static", {"filename": "js/app.js", "_external": True}, "js/app.js", ""),
    ("static", {"filename": "js/app.js", "_external": False}, "js/app.js", ""),
    ("static", {"filename": "js/app.js", "v": 1, "x": "a b"}, "js/app.js", "?v=1&x=a+b"),
    ("static", {"filename": "js/app.js", "q": "ä&=/"}, "js/app.js", "?q=%C3%A4%26%3D/"),
    ("static", {"filename": "js/app.js", "tag": ["a", "b"]}, "js/app.js", "?tag=a&tag=b"),
    ("static", {"filename": "js/app.js", "v": None}, "js/app.js", ""),
    ("static", {"filename": "js/app.js", "_anchor": "top"}, "js/app.js", "#top"),
    (
        "admin.static",
        {"filename": "css/admin.css", "v": 2, "_anchor": "a b"},
        "admin/css/admin.css",
        "?v=2#a%20b",
    ),
]


@pytest.mark.parametrize(("endpoint", "args", "logical", "tail"), URL_TABLE)
def test_python_url_for_points_at_cdn(
    site: Site, request_ctx: Flask, endpoint: str, args: dict[str, Any], logical: str, tail: str
) -> None:
    assert url_for(endpoint, **args) == f"https://{DOMAIN}/{site.key(logical)}{tail}"


@pytest.mark.parametrize(("endpoint", "args", "logical", "tail"), URL_TABLE)
def test_jinja_url_for_points_at_cdn(
    site: Site, request_ctx: Flask, endpoint: str, args: dict[str, Any], logical: str, tail: str
) -> None:
    html = render_template_string("{{ url_for(endpoint, **args) }}", endpoint=endpoint, args=args)
    assert html == escape(f"https://{DOMAIN}/{site.key(logical)}{tail}")


def test_page_rendered_by_a_request_uses_cdn(site: Site, cdn_app: Flask) -> None:
    assert cdn_app.test_client().get("/").text == f"https://{DOMAIN}/{site.key('js/app.js')}"


def test_non_static_endpoints_are_untouched(request_ctx: Flask) -> None:
    assert (url_for("index"), url_for("admin.index", v=1)) == ("/", "/admin/?v=1")
    assert url_for("index", _external=True) == "http://localhost/"


def test_relative_static_endpoint_resolves_to_the_requests_blueprint(site: Site, cdn_app: Flask) -> None:
    # The same name in both folders: a URL cached for one blueprint must not leak to the other.
    with cdn_app.test_request_context("/admin/"):
        assert (
            url_for(".static", filename="img/logo.png")
            == f"https://{DOMAIN}/{site.key('admin/img/logo.png')}"
        )
    with cdn_app.test_request_context("/"):
        assert url_for(".static", filename="img/logo.png") == f"https://{DOMAIN}/{site.key('img/logo.png')}"


def test_explicit_scheme_is_kept(site: Site, request_ctx: Flask) -> None:
    url = url_for("static", filename="js/app.js", _scheme="http", _external=True)
    assert url == f"http://{DOMAIN}/{site.key('js/app.js')}"


def test_url_defaults_see_the_blueprint_of_a_relative_static_endpoint(site: Site, cdn_app: Flask) -> None:
    seen = []

    @cdn_app.url_defaults
    def version(endpoint: str, values: dict[str, Any]) -> None:
        seen.append(endpoint)
        values.setdefault("v", "7")

    with cdn_app.test_request_context("/admin/"):
        url = url_for(".static", filename="js/admin.js")
    assert url == f"https://{DOMAIN}/{site.key('admin/js/admin.js')}?v=7" and seen == ["admin.static"]


@pytest.mark.parametrize("spelling", ["./js/app.js", "js/app.js"])
def test_filename_is_read_as_the_build_spells_it(site: Site, request_ctx: Flask, spelling: str) -> None:
    from pathlib import PurePosixPath

    expected = f"https://{DOMAIN}/{site.key('js/app.js')}"
    assert url_for("static", filename=spelling) == expected
    assert url_for("static", filename=PurePosixPath(spelling)) == expected


def test_decomposed_unicode_filename_finds_the_file(site: Site) -> None:
    """macOS hands out NFD names; the build stores NFC ones."""
    import unicodedata

    name = unicodedata.normalize("NFC", "img/été.png")
    write_tree(site.static, {name: b"\x89PNG-ete"})
    site.rebuild()
    app = site.app(CDN_DOMAIN=DOMAIN, CDN_STRICT=True)
    CDN(app)
    with app.test_request_context("/"):
        nfd = url_for("static", filename=unicodedata.normalize("NFD", name))
        assert nfd == url_for("static", filename=name) and "/static/img/" in nfd


def test_app_static_does_not_reach_a_blueprints_files(site: Site) -> None:
    """Locally /static/admin/js/admin.js is a 404: strict mode must say so on the CDN too."""
    app = site.app(CDN_DOMAIN=DOMAIN, CDN_STRICT=True)
    CDN(app)
    with app.test_request_context("/"), pytest.raises(MissingAssetError, match="admin/js/admin.js"):
        url_for("static", filename="admin/js/admin.js")
    with app.test_request_context("/"), pytest.raises(MissingAssetError):
        render_template_string("{{ cdn_integrity('admin/js/admin.js') }}")


def test_url_defaults_still_add_their_query_arguments(site: Site, cdn_app: Flask) -> None:
    @cdn_app.url_defaults
    def version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static":
            values.setdefault("v", "7")

    with cdn_app.test_request_context("/"):
        assert url_for("static", filename="js/app.js") == f"https://{DOMAIN}/{site.key('js/app.js')}?v=7"


def test_key_with_reserved_characters_is_quoted(site: Site, request_ctx: Flask) -> None:
    url = url_for("static", filename="img/my photo+1.png")
    assert "my%20photo%2B1." in url
    assert url == f"https://{DOMAIN}/{site.key('img/my photo+1.png').replace(' ', '%20').replace('+', '%2B')}"


def test_app_context_alone_needs_no_server_name(site: Site, cdn_app: Flask) -> None:
    with cdn_app.app_context():
        assert url_for("static", filename="js/app.js") == f"https://{DOMAIN}/{site.key('js/app.js')}"
        assert render_template_string("{{ url_for('static', filename='js/app.js') }}").endswith(".js")


def test_blueprint_registered_after_init_app(site: Site) -> None:
    app = Flask(__name__, root_path=str(site.root), static_folder=None)
    app.config["CDN_DOMAIN"] = DOMAIN
    CDN(app)
    app.register_blueprint(Blueprint("admin", __name__, static_folder=str(site.admin), url_prefix="/admin"))
    with app.test_request_context("/"):
        assert url_for("admin.static", filename="js/admin.js").endswith(site.key("admin/js/admin.js"))


def test_custom_static_folder_and_url_path(site: Site) -> None:
    def make(**config: Any) -> Flask:
        app = Flask(__name__, root_path=str(site.root), static_folder="assets", static_url_path="/s")
        app.config.update(config)
        CDN(app)
        return app

    write_tree(site.root / "assets", APP_FILES)
    site.rebuild(site.root / "assets")
    with make(CDN_DOMAIN=DOMAIN).test_request_context("/"):
        assert url_for("static", filename="js/app.js") == f"https://{DOMAIN}/{site.key('js/app.js')}"
    with make().test_request_context("/"):
        assert url_for("static", filename="js/app.js") == "/s/js/app.js"


def test_app_factory_keeps_each_apps_config(site: Site) -> None:
    cdn = CDN()
    first, second = site.app(CDN_DOMAIN="one.test"), site.app(CDN_DOMAIN="two.test", CDN_HTTPS=False)
    cdn.init_app(first)
    cdn.init_app(second)
    key = site.key("js/app.js")
    with first.test_request_context("/"):
        assert url_for("static", filename="js/app.js") == f"https://one.test/{key}"
    with second.test_request_context("/"):
        assert url_for("static", filename="js/app.js") == f"http://two.test/{key}"
    assert first.extensions["cdn"] is not second.extensions["cdn"]
    assert "app" not in vars(cdn)


@pytest.mark.parametrize("config", [{}, {"CDN_DOMAIN": ""}, {"CDN_DOMAIN": None}])
def test_unset_or_empty_domain_changes_nothing_and_needs_no_manifest(
    site: Site, config: dict[str, Any]
) -> None:
    app = site.app(CDN_MANIFEST="does-not-exist.json", **config)
    CDN(app)
    assert "url_for" not in vars(app)
    with app.test_request_context("/"):
        assert url_for("static", filename="js/app.js") == "/static/js/app.js"
        assert url_for("admin.static", filename="js/admin.js") == "/admin/static/js/admin.js"
        assert render_template_string("[{{ cdn_integrity('js/app.js') }}]") == "[]"
    assert app.test_client().get("/static/js/app.js").data == JS


def test_config_defaults_are_set_and_kept(site: Site) -> None:
    app = site.app(CDN_HTTPS=False)
    CDN(app)
    assert {k: v for k, v in app.config.items() if k.startswith("CDN_")} == {
        "CDN_DOMAIN": "",
        "CDN_HTTPS": False,
        "CDN_MANIFEST": "cdnpub-manifest.json",
        "CDN_STRICT": False,
        "CDN_BUCKET": None,
        "CDN_PREFIX": "static",
        "CDN_DISTRIBUTION_ID": None,
        "CDN_REGION": None,
        "CDN_PROFILE": None,
        "CDN_ENDPOINT_URL": None,
        "CDN_IMPORTMAP_PINS": {},
        "CDN_JS_MODULES": ["*.js"],
        "CDN_VITE_MANIFEST": "dist/.vite/manifest.json",
        "CDN_VITE_DEV_SERVER": None,
    }


def test_manifest_path_is_relative_to_root_path(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (site.root / "build").mkdir()
    site.manifest.rename(site.root / "build" / "m.json")
    monkeypatch.chdir(tmp_path.parent)
    app = site.app(CDN_DOMAIN=DOMAIN, CDN_MANIFEST="build/m.json")
    CDN(app)
    with app.test_request_context("/"):
        assert url_for("static", filename="js/app.js").startswith(f"https://{DOMAIN}/static/js/app.")


@pytest.mark.parametrize("domain", ["https://cdn.test", "//cdn.test", "cdn.test/assets", "cdn.test?x=1"])
def test_domain_that_is_not_a_host_name_is_a_user_error(site: Site, domain: str) -> None:
    with pytest.raises(UserError, match="host name"):
        CDN(site.app(CDN_DOMAIN=domain))


def test_domain_with_a_port_is_a_host_name(site: Site) -> None:
    app = site.app(CDN_DOMAIN="127.0.0.1:4567")
    CDN(app)
    with app.test_request_context("/"):
        assert url_for("static", filename="js/app.js").startswith("https://127.0.0.1:4567/static/js/app.")


def test_jinja_env_created_before_init_app_uses_the_hook(site: Site) -> None:
    app = site.app(CDN_DOMAIN=DOMAIN)
    assert app.jinja_env is not None
    CDN(app)
    with app.test_request_context("/"):
        assert render_template_string("{{ url_for('static', filename='js/app.js') }}").startswith("https://")


def test_init_app_twice_on_one_app_is_refused(cdn_app: Flask) -> None:
    with pytest.raises(RuntimeError, match="already registered"):
        CDN(cdn_app)


def test_strict_miss_raises_naming_the_file(site: Site) -> None:
    app = site.app(CDN_DOMAIN=DOMAIN, CDN_STRICT=True)
    CDN(app)
    with app.test_request_context("/"), pytest.raises(MissingAssetError, match="js/new.js") as err:
        url_for("static", filename="js/new.js")
    assert isinstance(err.value, UserError)
    assert isinstance(err.value, LookupError)


def test_miss_warns_once_per_file_and_serves_the_local_url(
    request_ctx: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert url_for("static", filename="js/new.js") == "/static/js/new.js"
            assert url_for("admin.static", filename="js/new.js") == "/admin/static/js/new.js"
            assert (
                render_template_string("{{ url_for('static', filename='js/new.js') }}") == "/static/js/new.js"
            )
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2
    assert "js/new.js" in warned[0]
    assert "admin/js/new.js" in warned[1]


def test_miss_in_app_context_falls_back_to_flask_with_server_name(site: Site) -> None:
    app = site.app(CDN_DOMAIN=DOMAIN, SERVER_NAME="app.test")
    CDN(app)
    with app.app_context():
        assert url_for("static", filename="js/new.js") == "http://app.test/static/js/new.js"


@pytest.mark.parametrize(
    ("template", "logical"),
    [
        ("{{ cdn_integrity('js/app.js') }}", "js/app.js"),
        ("{{ cdn_integrity('img/logo.png') }}", "img/logo.png"),
        ("{{ cdn_integrity('js/admin.js', blueprint='admin') }}", "admin/js/admin.js"),
        ("{{ cdn_integrity('css/app.css') }}", "css/app.css"),  # rewritten: checked on --out's bytes
    ],
)
def test_integrity_matches_the_published_bytes(
    site: Site, request_ctx: Flask, tmp_path: Path, template: str, logical: str
) -> None:
    export(site.result, tmp_path / "out")
    published = (tmp_path / "out" / site.key(logical).removeprefix("static/")).read_bytes()
    assert render_template_string(template) == sri(published)


def test_integrity_of_an_unmodified_file_is_that_of_its_source(request_ctx: Flask) -> None:
    assert render_template_string("{{ cdn_integrity('js/app.js') }}") == sri(JS)


def test_integrity_of_an_unknown_file_is_empty_or_strict_error(site: Site, request_ctx: Flask) -> None:
    assert render_template_string("[{{ cdn_integrity('js/new.js') }}]") == "[]"
    app = site.app(CDN_DOMAIN=DOMAIN, CDN_STRICT=True)
    CDN(app)
    with app.test_request_context("/"), pytest.raises(MissingAssetError, match="js/new.js"):
        render_template_string("{{ cdn_integrity('js/new.js') }}")


@pytest.fixture
def read_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real: Callable[..., cdnpub.manifest.Manifest] = cdnpub.manifest.read

    def counting(path: Path) -> cdnpub.manifest.Manifest:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(cdnpub.manifest, "read", counting)
    return calls


def test_manifest_is_read_once_at_start_up(site: Site, read_calls: list[Path]) -> None:
    app = site.app(CDN_DOMAIN=DOMAIN)
    CDN(app)
    client = app.test_client()
    for _ in range(5):
        client.get("/")
        with app.test_request_context("/"):
            url_for("static", filename="css/app.css")
    assert read_calls == [site.manifest]


def test_debug_mode_picks_up_a_rebuilt_manifest(site: Site, read_calls: list[Path]) -> None:
    app = site.app(CDN_DOMAIN=DOMAIN, DEBUG=True)
    CDN(app)
    client = app.test_client()
    before = client.get("/").text
    client.get("/")
    assert len(read_calls) == 1  # an unchanged manifest is only stat'ed
    (site.static / "js/app.js").write_bytes(b"console.log('changed');\n")
    site.rebuild()
    after = client.get("/").text
    assert after != before
    assert after == f"https://{DOMAIN}/{site.key('js/app.js')}"


def test_outside_debug_a_rebuilt_manifest_waits_for_a_restart(site: Site, cdn_app: Flask) -> None:
    client = cdn_app.test_client()
    before = client.get("/").text
    (site.static / "js/app.js").write_bytes(b"console.log('changed');\n")
    site.rebuild()
    assert client.get("/").text == before


def test_missing_manifest_names_path_and_command(site: Site) -> None:
    site.manifest.unlink()
    with pytest.raises(UserError, match="cdnpub-manifest.json does not exist.*flask cdn publish"):
        CDN(site.app(CDN_DOMAIN=DOMAIN))


def test_corrupt_manifest_names_path(site: Site) -> None:
    site.manifest.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match=r"cdnpub-manifest.json is corrupt"):
        CDN(site.app(CDN_DOMAIN=DOMAIN))


def test_a_reload_during_a_lookup_caches_no_stale_url(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Debug mode: another request reloads the manifest while this one builds a URL from
    the old entries. That URL must not outlive the old manifest."""
    import cdnpub.flask.extension

    app = site.app(CDN_DOMAIN=DOMAIN)
    CDN(app)
    state = app.extensions["cdn"]
    old_key = site.key("js/app.js")
    write_tree(site.static, {"js/app.js": b"console.log('v2');\n"})
    site.rebuild()
    real_url_path = cdnpub.flask.extension.url_path

    def url_path_during_a_reload(key: str) -> str:
        monkeypatch.setattr(cdnpub.flask.extension, "url_path", real_url_path)
        state.load()  # the other request
        return real_url_path(key)

    monkeypatch.setattr(cdnpub.flask.extension, "url_path", url_path_during_a_reload)
    with app.test_request_context("/"):
        assert url_for("static", filename="js/app.js").endswith(old_key)  # built from what it read
        assert url_for("static", filename="js/app.js") == f"https://{DOMAIN}/{site.key('js/app.js')}"
    assert site.key("js/app.js") != old_key
