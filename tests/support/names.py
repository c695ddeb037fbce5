"""cdnpub's fallback pattern for bundler-hashed file names, and the hand-written names it
must never take for a hash (a wrong "yes" keeps a name under a one-year `immutable`)."""

from __future__ import annotations

import re

from cdnpub.build.model import DEFAULT_FINGERPRINTED_PATTERN

PATTERN = re.compile(DEFAULT_FINGERPRINTED_PATTERN)

NOT_HASHED = (
    "select2-bootstrap4.css",
    "page-Template.js",
    "report-20240101.pdf",
    "frame-00000001.png",
    "jquery-3.7.1.min.js",
    "font-awesome.css",
    "bootstrap-grid.css",
    "chart-Bar.js",
    "ui-icons_444444_256x240.png",
    "material-icons.woff2",
    "i18n-deDE.js",
    "app-deadbeef.js",  # a hex word
    "icon-add00001.png",  # a hex word and a counter
    "photo.face0001.jpg",
    "rss-feed2024.xml",
    "OpenSans-SemiBold.woff2",  # CamelCase, 8 letters
    "grid-DataGrid.js",
    "form-TextArea.js",
    "btn-Banner01.png",  # a word and a counter
    "hero-Image001.jpg",
    "icon-Camera2x.png",
    "icon-Html5Doc.svg",
    "os-Win10Pro.svg",
    "demo-Vue3Demo.js",
    "iphone-iPhone12.png",
    "nav-GoToPage.js",  # three short CamelCase words: six runs, still words
    "logo-MyNewApp.png",
    "btn-AddToBag.svg",
    "lib-jQuery36.js",
    "docs-FEATURES.pdf",  # all caps, no digit
    "covid-COVID19.pdf",  # 1 and 9 are not base32
    "KaTeX_AMS-Regular.woff2",
    "MathJax_Main-Regular.woff",
    "index-DiwrgTda.js",  # a real Rollup hash, shaped like grid-DataGrid.js: Vite's manifest keeps it
    "main-ogulhqqz.css",  # a real Rolldown hash, shaped like a word
    "app.js",
    "main-Br8DK0F1.min.js",  # an extension too many: not how bundlers name
    # Source maps: no bundler's hash covers the map, which changes under the same name.
    "main-Br8DK0F1.js.map",
    "main.4f3a9c1d2b3e4f5a6b7c.js.map",
    "vendor-4f3a9c1d.map",
)
