"""Pool size as a parameter: each pool runs at its default size and at one that holds all N tasks.

A pool's default size suits work that keeps a CPU busy: ``ThreadPoolExecutor`` makes
``min(32, cores + 4)`` threads, ``ProcessPoolExecutor`` one process per core. For work
that waits (on a timer, on a server: a workload that declares ``waits``) that size caps how many tasks wait at once, so
N tasks take ``ceil(N / size)`` waits: the figure then measures the default, not the
model. The ``all`` variant sizes the pool to hold all N tasks at once and runs only
on the workloads that wait. Above its cap (:data:`THREAD_POOL_CAP` threads;
:data:`PROCESS_POOL_CAP` processes, or fewer where the machine cannot hold them, see
:func:`bench.models._limits.process_cap`) the case is skipped with the reason
rather than run with a pool that no longer holds all N: ``threads`` and
``processes`` measure a thread or process per task at any N.
"""

from __future__ import annotations

#: The variants of a pool model: None is its default size, ``all`` a pool for all N tasks.
POOL_VARIANTS: tuple[str | None, ...] = (None, "all")
#: The most threads the ``all`` thread pool makes.
THREAD_POOL_CAP = 1000
#: The most processes the ``all`` process pool makes: making and ending a pool of
#: 1000 workers costs about a minute on a small machine, out of proportion to a case.
PROCESS_POOL_CAP = 100


def pool_label(variant: str | None) -> str:
    """The recorded ``pool`` parameter of a variant: ``default`` or ``all``."""
    return variant or "default"


def applies(variant: str | None, workload: str) -> bool:
    """Whether a pool variant runs ``workload``: the default everywhere, ``all`` on workloads that wait.

    A workload says so itself (:attr:`workloads.Workload.waits`); one that is not
    registered in this interpreter runs at the default size only.
    """
    from workloads import WORKLOADS

    found = WORKLOADS.get(workload)
    return variant is None or (found is not None and found.waits)


def why_not_all(n_tasks: int, default: int, cap: int, what: str) -> str | None:
    """Why the ``all`` pool does not run at ``n_tasks``: the default holds them, or N is over the cap."""
    if n_tasks <= default:
        return f"the default pool of {default} already holds all {n_tasks} tasks at once; pool=all would repeat it"
    if n_tasks > cap:
        return (
            f"a pool for all {n_tasks} tasks needs {n_tasks} {what}, over pool=all's cap of {cap}; "
            f"the model with one of them per task measures that size"
        )
    return None


class SizedPool:
    """The two sizes of a pool model, shared: its default and, as ``[all]``, one worker per task.

    Mixed in before :class:`~bench.models.Model`; a pool says its default size
    (:meth:`default_size`), the most workers its ``all`` variant makes
    (:meth:`all_cap`) and what one worker is called in a skip reason
    (``worker_noun``). The variants, which workloads each runs, the size and
    capacity for N tasks and the ``all`` variant's limit follow from those.
    """

    variant: str | None
    #: What one worker is, in the reason a too-large ``all`` pool is skipped (threads, say).
    worker_noun = "workers"

    def default_size(self) -> int:
        """The pool's size at its default variant."""
        raise NotImplementedError

    def all_cap(self) -> int:
        """The most workers the ``all`` variant makes."""
        raise NotImplementedError

    @classmethod
    def variants(cls, start_methods: tuple[str, ...]) -> tuple[str | None, ...]:
        return POOL_VARIANTS

    @classmethod
    def applies(cls, variant: str | None, workload: str) -> bool:
        return applies(variant, workload)

    def size_for(self, n_tasks: int) -> int:
        """The pool's size for ``n_tasks``: the default, or one worker per task."""
        return n_tasks if self.variant == "all" else self.default_size()

    def capacity(self, n_tasks: int) -> int | None:
        return self.size_for(n_tasks)

    def limit(self, n_tasks: int) -> str | None:
        if self.variant == "all":
            return why_not_all(n_tasks, self.default_size(), self.all_cap(), self.worker_noun)
        return None
