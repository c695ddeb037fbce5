"""Build -> bucket: diff a build against one listing, write it in an order that never lets
a live object name a missing one, keep the release records, say what to invalidate.

The rule: the core of the publish, with I/O only through the ports it declares
(`ports.Store`, `ports.Cdn`), which `cdnpub.aws` implements (and `memory`, for tests);
never boto3. Everything but `publish` (with `records` and `marker`, the reads and writes
of its bookkeeping) is a pure function of values.

Modules, in the order of the data: `settings` (what one publish needs), `layout` (where
cdnpub's own objects live under a prefix), `release` and `pending` (their formats),
`records` (reading the records), `history` (the releases and what changed between two,
pure), `plan` (Build + listing + History -> Plan, pure),
`shrink` and `invalidation` (pure checks and path algebra), `marker` (the pending marker
across a publish), `publish` (prepare -> execute -> invalidate -> settle), `dry_run` (a
store that refuses writes), `ports` and `memory`.
"""
