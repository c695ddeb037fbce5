"""The example sites the integration and reliability suites publish: stylesheets that
reference images and fonts (so plain-name copies point at fingerprinted keys), a script
with its source map, a bundler-named file. The two differ a little on purpose, each as
its suite's tests count on it."""

from __future__ import annotations

# The integration suite's: an image nothing references (`img/unused.png`) shows pruning.
INTEGRATION_SITE: dict[str, str | bytes] = {
    "css/app.css": '@import "base.css";\n@font-face{font-family:F;src:url(../fonts/f.woff2) format("woff2")}\n'
    "header{background:url(../img/logo.png)}\n",
    "css/base.css": "body{margin:0}\n.icon{background:url(../img/icon.svg)}\n",
    "js/app.js": "console.log('hi');\n//# sourceMappingURL=app.js.map\n",
    "js/app.js.map": '{"version":3}',
    "img/logo.png": b"\x89PNG-logo",
    "img/icon.svg": "<svg/>",
    "img/unused.png": b"\x89PNG-unused",
    "fonts/f.woff2": b"wOF2-font",
    "vendor/lib-4f3a9c1d.js": "lib()",
}

# The reliability suite's: the references the live-site invariant follows, one quoted.
RELIABILITY_SITE: dict[str, str | bytes] = {
    "css/app.css": '@import "base.css";\n@font-face{font-family:F;src:url(../fonts/f.woff2) format("woff2")}\n'
    "header{background:url(../img/logo.png)}\n",
    "css/base.css": "body{margin:0}\n.icon{background:url('../img/icon.svg')}\n",
    "js/app.js": "console.log('hi');\n//# sourceMappingURL=app.js.map\n",
    "js/app.js.map": '{"version":3}',
    "img/logo.png": b"\x89PNG-logo",
    "img/icon.svg": "<svg/>",
    "fonts/f.woff2": b"wOF2-font",
    "vendor/lib-4f3a9c1d.js": "lib()",
}
