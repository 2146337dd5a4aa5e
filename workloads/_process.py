"""What a process may still do, asked by the workloads' servers and clients and by the models alike.

Whether the process that started this one is gone (the local HTTP server and a
benchmark session both end with it), and how many more descriptors this process may
open. The run imports these from here (``bench.parent_watch``, ``bench.models._limits``).
"""

from __future__ import annotations

import os
import resource

import psutil

#: How often a child checks that its parent is still there, in seconds.
POLL_S = 0.25
#: Descriptors a session needs besides its tasks' (logs, the loop, pipes, a pool).
FD_HEADROOM = 64


def parent_gone(parent: int) -> bool:
    """Whether ``parent`` is no longer this process's parent (it has ended).

    Once the parent is gone, its children are re-parented, so ``os.getppid()``
    differs from the parent's pid.
    """
    return os.getppid() != parent


def free_descriptors() -> int | None:
    """How many more descriptors this process may open, keeping :data:`FD_HEADROOM`; None: no limit."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return None
    return max(0, soft - psutil.Process().num_fds() - FD_HEADROOM)
