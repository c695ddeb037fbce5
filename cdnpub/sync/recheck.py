"""A prune's last look before it deletes: the records written since its listing."""

from __future__ import annotations

from cdnpub.sync.layout import releases_prefix
from cdnpub.sync.lease import Holder
from cdnpub.sync.plan import Plan
from cdnpub.sync.ports import Store
from cdnpub.sync.records import record_of


def recheck_prune(todo: Plan, store: Store, holder: Holder | None) -> tuple[str, ...]:
    """The prune as planned, less what a record written since the plan's listing names
    (a rollback that reused old objects): under the lease there is none, unless a
    holder was taken for dead while alive, or publishes run with --no-lease."""
    if holder is not None:
        holder.check()
    seen = holder.records_seen if holder is not None else frozenset()
    now = store.listing(todo.prefix, within=releases_prefix(todo.prefix)).release_keys()
    newer = [
        o.key for o in now if o.key not in seen and o.key != todo.release.key and o.key not in todo.prune
    ]
    if holder is None or not newer:
        return todo.prune
    keep: set[str] = set(newer)
    for key in newer:
        found = record_of(store, key, todo.prefix, lambda message: None)
        keep.update(found.objects if found is not None else ())
    return tuple(k for k in todo.prune if k not in keep)
