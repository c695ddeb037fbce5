"""The step a publish (or rollback) of this context is in, for the line an interrupt prints
(what landed, cdnpub.commands.output): "" before any, "read", "wait" (for another
holder's lease: nothing written), the execute phases ("fingerprinted", "plain",
"release", "prune"), "invalidate", then "done" once it returned."""

from __future__ import annotations

from contextvars import ContextVar

stage: ContextVar[str] = ContextVar("cdnpub_publish_stage", default="")
