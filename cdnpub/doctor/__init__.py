"""`cdnpub doctor`: read a bucket's and a distribution's set-up, judge it, show it.

The rule: read-only (no write to the bucket or the distribution, ever); `read` is the
only module that does I/O; `checks` are pure functions of the `model.SetUp` it returns.
"""
