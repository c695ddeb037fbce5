"""Waiting for the lease of another publish: plan again until it is free, saying so
once, up to --lease-wait; then PrefixBusy (exit 75) naming the holder (see lease.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from cdnpub.errors import LeaseConflict, PrefixBusy
from cdnpub.sync.lease import Lease
from cdnpub.sync.stage import stage


class LeaseBusy(Exception):
    """A live lease of another publish: wait and plan again (publish), or PrefixBusy."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(lease.describe())
        self.lease = lease


T = TypeVar("T")


def waiting(
    attempt: Callable[[datetime], T], seconds: float, where: str, now: datetime, warn: Callable[[str], None]
) -> T:
    """`attempt(now)` (a publish's planning), again while another publish holds the lease
    (LeaseBusy; said once), with a backoff of 0.5 s doubling to 10 s, up to `seconds`;
    then PrefixBusy naming the holder. A lost race for the lease (LeaseConflict: someone
    wrote since our listing) lists and plans again."""
    started = time.monotonic()
    delay, said = 0.5, False
    while True:
        try:
            return attempt(now + timedelta(seconds=time.monotonic() - started))
        except LeaseBusy as busy:
            if time.monotonic() - started >= seconds:
                raise PrefixBusy(
                    f"another publish or rollback holds {where}: {busy.lease.describe()}; "
                    "nothing was written (try again, or raise --lease-wait)"
                ) from None
            if not said:
                warn(f"waiting up to {seconds:.0f} s for the prefix's lease: {busy.lease.describe()}")
                said = True
        except LeaseConflict:
            if time.monotonic() - started >= seconds:  # lost the race for it: as busy as a holder
                raise PrefixBusy(
                    f"another publish or rollback took {where} first; nothing was written "
                    "(try again, or raise --lease-wait)"
                ) from None
        stage.set("wait")  # an interrupt now: nothing of this one was written
        time.sleep(max(0.0, min(delay, seconds - (time.monotonic() - started))))
        stage.set("read")
        delay = min(delay * 2, 10.0)
