"""Render the shop's pages once and check that their asset URLs point at the CDN
(CDN_DOMAIN) and answer 200 there: the end of `scripts/demo --check`.

    CDN_DOMAIN=127.0.0.1:4567 CDN_HTTPS=False python examples/shop/check.py
"""

from __future__ import annotations

import sys
import urllib.request
from html.parser import HTMLParser

from app import create_app

_ASSET_ATTRIBUTES = {("link", "href"), ("script", "src"), ("img", "src")}


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if (tag, name) in _ASSET_ATTRIBUTES and value]


PAGES = ("/", "/admin/")


def main() -> int:
    app = create_app()
    domain = app.config["CDN_DOMAIN"]
    if not domain:
        print("check: CDN_DOMAIN is not set", file=sys.stderr)
        return 2
    origin = f"{'https' if app.config['CDN_HTTPS'] else 'http'}://{domain}/"
    client = app.test_client()
    urls: dict[str, None] = {}
    for path in PAGES:
        page = client.get(path)
        parser = _Assets()
        parser.feed(page.get_data(as_text=True))
        elsewhere = [u for u in parser.urls if not u.startswith(origin)]
        if page.status_code != 200 or not parser.urls or elsewhere:
            print(f"check: {path} answered {page.status_code}; not on {origin}: {elsewhere}", file=sys.stderr)
            return 1
        urls.update(dict.fromkeys(parser.urls))
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                print(f"  {answer.status} {answer.headers['Content-Type']:<34} {url}")
        except OSError as err:  # HTTPError (a 404) included
            print(f"check: {url}: {err}", file=sys.stderr)
            return 1
    print(f"check: the {len(urls)} assets of {', '.join(PAGES)} are on {origin} and answer 200")
    return 0


if __name__ == "__main__":
    sys.exit(main())
