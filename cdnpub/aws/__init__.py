"""AWS adapters: the clients, and the ports `cdnpub.sync` declares (`Store`, `Cdn`) over S3
and CloudFront.

The rule: the build, the sync core, the commands and the faces never import boto3 or
botocore (import-linter holds it); besides this folder only two readers do, each the one
I/O module of its folder: `doctor.read` and the emulator's `local/` (which drives moto's
AWS APIs). botocore's errors become cdnpub's through `clients.error_code`/`error_message`,
naming the bucket, key or distribution. boto3 is imported where it is used, never at
module level: `cdnpub build` and `cdnpub --version` do not pay for it. `managed_policies`
is AWS's published table of its managed CloudFront policies: AWS facts, no I/O.
"""
