"""Build -> bucket: diff a build against one listing, write it in an order that never lets
a live object name a missing one, keep the release records, say what to invalidate.

The rule: the core of the publish, with I/O only through the ports it declares
(`ports.Store`, `ports.Cdn`), which `cdnpub.aws` implements; never boto3. Everything
but `publish` is a pure function of values.
"""
