"""How many processes this machine can hold at once, and why not more."""

from __future__ import annotations

import resource

import psutil

from workloads._process import FD_HEADROOM, free_descriptors

#: Rough private memory of one child, by start method: a fork shares its parent's
#: pages until written; spawn and forkserver start a fresh interpreter.
CHILD_BYTES = {"fork": 8 * 2**20, "forkserver": 40 * 2**20, "spawn": 40 * 2**20}
#: Each child holds a few descriptors open in the parent (sentinel, pipes).
FDS_PER_CHILD = 3


def raise_open_files_limit() -> int:
    """Raise the soft open-files limit to the hard one; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft
        return target
    return soft


def limits_facts() -> dict[str, int | None]:
    """The limits this process runs under, as the cases of its session meet them (None: unlimited).

    The open-files limits (soft, after :func:`raise_open_files_limit`, and hard),
    the processes and threads this user may run, and the memory available to start
    more tasks, at the moment of asking.
    """

    def finite(value: int) -> int | None:
        return None if value == resource.RLIM_INFINITY else int(value)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return {
        "open_files_soft": finite(soft),
        "open_files_hard": finite(hard),
        "processes_soft": finite(resource.getrlimit(resource.RLIMIT_NPROC)[0]),
        "memory_available_bytes": int(psutil.virtual_memory().available),
    }


def open_files_limit(n_fds: int) -> str | None:
    """Why ``n_fds`` more descriptors cannot be open at once here, or None when they can.

    Counts what this process already holds against its soft open-files limit, so a
    case that would fail with EMFILE midway (and take the session with it) is
    skipped with the reason instead.
    """
    available = free_descriptors()
    if available is None or n_fds <= available:
        return None
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    in_use = psutil.Process().num_fds()
    return (
        f"{n_fds} descriptors open at once exceed the open-files limit of {soft} (EMFILE past it; "
        f"{in_use} already open, {FD_HEADROOM} kept in reserve); raise it with 'ulimit -n'"
    )


def process_cap(start_method: str) -> int:
    """How many live processes of ``start_method`` this machine can hold at once, roughly.

    The least of: three quarters of the available memory at ``CHILD_BYTES`` each, the
    open-files limit at ``FDS_PER_CHILD`` each, and half of what ``ulimit -u`` leaves.
    """
    available = psutil.virtual_memory().available
    by_memory = int(available * 0.75) // CHILD_BYTES[start_method]
    by_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0] // FDS_PER_CHILD - 64
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    by_nproc = (nproc - len(psutil.pids())) // 2 if nproc != resource.RLIM_INFINITY else by_memory
    return min(by_memory, by_files, by_nproc)


def process_limit(n_tasks: int, start_method: str) -> str | None:
    """Why ``n_tasks`` live processes cannot be held here, or None when they can."""
    available = psutil.virtual_memory().available
    cap = process_cap(start_method)
    if n_tasks <= cap:
        return None
    return (
        f"{n_tasks} live processes ({start_method}) exceed what this machine can hold, about {cap} "
        f"({available // 2**20} MiB available at ~{CHILD_BYTES[start_method] // 2**20} MiB each, "
        f"open-files limit {resource.getrlimit(resource.RLIMIT_NOFILE)[0]})"
    )
