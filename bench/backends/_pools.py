"""Pool size as a parameter: each pool runs at its default size and at one that holds all N tasks.

A pool's default size suits work that keeps a CPU busy: ``ThreadPoolExecutor`` makes
``min(32, cores + 4)`` threads, ``ProcessPoolExecutor`` one process per core. For work
that waits (``sleep``, ``http_fetch``) that size caps how many tasks wait at once, so
N tasks take ``ceil(N / size)`` waits: the figure then measures the default, not the
model. The ``all`` variant sizes the pool to hold all N tasks at once, up to a cap
(:data:`THREAD_POOL_CAP` threads; for processes what the machine can hold, see
:func:`bench.backends._limits.process_cap`), and runs only on the workloads that wait.
"""

from __future__ import annotations

#: The variants of a pool backend: None is its default size, ``all`` a pool for all N tasks.
POOL_VARIANTS: tuple[str | None, ...] = (None, "all")
#: The workloads whose tasks wait rather than compute: the only ones ``all`` runs.
WAITING_WORKLOADS: frozenset[str] = frozenset({"sleep", "http_fetch"})
#: The most threads the ``all`` thread pool makes, whatever N.
THREAD_POOL_CAP = 1000


def pool_label(variant: str | None) -> str:
    """The recorded ``pool`` parameter of a variant: ``default`` or ``all``."""
    return variant or "default"


def applies(variant: str | None, workload: str) -> bool:
    """Whether a pool variant runs ``workload``: the default everywhere, ``all`` on waiting workloads."""
    return variant is None or workload in WAITING_WORKLOADS


def same_as_default(size: int, default: int, n_tasks: int) -> str | None:
    """Why the ``all`` pool of ``size`` need not run at ``n_tasks``: the default already holds them."""
    if size <= default:
        return f"the default pool of {default} already holds all {n_tasks} tasks at once; pool=all would repeat it"
    return None
