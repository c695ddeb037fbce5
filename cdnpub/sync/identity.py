"""Who holds a lease: the owner a person reads (host, pid, CI run) and the machine a pid
means something on (see lease.py: a holder gone from this very machine is taken over at
once, one elsewhere is waited out)."""

from __future__ import annotations

import os
import socket

_CI_RUN = ("GITHUB_RUN_ID", "CI_JOB_ID", "BUILD_ID", "CIRCLE_WORKFLOW_ID", "BUILDKITE_BUILD_ID")


def machine_here() -> str:
    """Where a pid names one process: this boot of this kernel and this pid namespace
    (Linux: boot_id and the namespace's inode; a container sharing the host's name has
    pids of its own). Elsewhere the host name, as there are no pid namespaces there."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        return f"{boot}/{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return f"host {socket.gethostname()}"


def owner_here() -> str:
    """host pid N (ci RUN): who holds a lease, for the message of the one waiting."""
    run = next((f" (ci {os.environ[n]})" for n in _CI_RUN if os.environ.get(n)), "")
    return f"{socket.gethostname()} pid {os.getpid()}{run}"
