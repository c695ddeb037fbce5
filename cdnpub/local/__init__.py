"""The embedded S3 + CloudFront: moto's server on loopback, the bucket and distribution
a local publish needs, and the CDN preview that serves the bucket as CloudFront would.

The rule: loopback only, and only for `cdnpub local`, `--local` and the tests; needs the
`local` extra (moto[server]), imported lazily so that the other commands never load it.
"""
