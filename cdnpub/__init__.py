"""cdnpub: the release step for a Flask app's static files on S3 + CloudFront."""

__version__ = "0.1.0"
