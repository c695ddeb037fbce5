"""The Flask face and web runtime: `CDN` points `url_for('static', ...)` at the CDN, and
the template helpers give SRI, an import map, module preloads and Vite tags.

The rule: what a web worker loads here (`extension`, `importmap`, `vite`, `settings`)
reads the manifest and nothing else: it imports only `cdnpub.manifest`, `cdnpub.urls`,
`cdnpub.errors` and `cdnpub.text`, never the build, AWS, sync or command code
(import-linter holds it). `commands` is the `flask cdn` face, loaded by Flask's CLI only.
"""

from cdnpub.flask.extension import (
    CDN,
    MissingAssetError,
    cdn_importmap,
    cdn_integrity,
    cdn_modulepreload,
    cdn_vite_tags,
)

__all__ = ["CDN", "MissingAssetError", "cdn_importmap", "cdn_integrity", "cdn_modulepreload", "cdn_vite_tags"]
