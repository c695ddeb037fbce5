"""cdnpub: the release step for a Flask app's static files on S3 + CloudFront."""

from __future__ import annotations

__version__ = "0.1.0"
