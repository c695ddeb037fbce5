"""Data, no code: the JSON Schemas (draft 2020-12) of the documents cdnpub writes for
machines, part of the versioned contract (docs/versioning.md): `manifest.schema.json`
(cdnpub-manifest.json, format version 2) and the `--json` output of `build`, `publish`,
`invalidate` and `doctor`. Read them with importlib.resources; unknown keys are refused,
so a key added without its schema fails tests/commands/test_schemas.py."""
