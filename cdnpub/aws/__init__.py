"""AWS adapters: the only code that imports boto3 or botocore.

The rule: each module here implements a port that `cdnpub.sync` declares (`Store`, `Cdn`)
or reads AWS for `doctor` and `local`, and turns botocore's errors into cdnpub's once,
naming the bucket, key or distribution. boto3 is imported where it is used, never at
module level: `cdnpub build` and `cdnpub --version` do not pay for it.
"""
