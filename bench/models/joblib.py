"""joblib: ``joblib.Parallel`` on its loky model, the process pool of the scientific Python stack.

A round is one ``Parallel(...)(delayed(task)(i) for i in range(N))`` call on a warm
pool: loky's workers start with the session, before its first case (joblib keeps
them between calls, as it does in a user's program), and the ``Parallel`` object is
entered once per case and warmed with an untimed call. Tasks are pickled with
cloudpickle and dispatched in batches that joblib sizes itself
(``batch_size="auto"``), as a user's call would be.

One worker per core, as ``n_jobs=-1`` gives, so it is held against the same ideal as
``process_pool`` at its default size.

joblib collects a call's results by polling: while none is ready it sleeps 10 ms
(``time.sleep(0.01)`` in ``Parallel``'s retrieval loop, joblib 1.3 to 1.6), so a call
that finishes in less still takes about 10 ms. That is joblib's cost, and the
``spawn`` micro-cost shows it as joblib's per-call floor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from bench.machine import cpu_count
from bench.micro import MicroCase
from bench.micro._children import ran
from bench.micro._loop import Loop, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import MicroHooks, MicroLoop, PerProfile, Skip
from bench.models._base import Model, Task, Traits
from bench.models._by_value import send_by_value
from bench.models._skips import NO_LIVE_TASKS, NOT_IPC
from workloads.protocol import Form

#: Longest a round may wait for its results before joblib gives up and the case fails.
ROUND_TIMEOUT_S = 600.0


@contextmanager
def warm_workers() -> Iterator[None]:
    """loky's workers, one per core, started before the session's first case and stopped after its last.

    joblib keeps them between calls (loky's reusable executor) as it does for a user's
    program; started here, they belong to the session, like a cluster, and no case
    starts or leaves a process of its own.
    """
    from joblib import Parallel, delayed
    from joblib.externals.loky import get_reusable_executor

    try:
        Parallel(n_jobs=cpu_count(), backend="loky")(delayed(ran)() for _ in range(2 * cpu_count()))
        yield None
    finally:
        get_reusable_executor().shutdown(wait=True)


@contextmanager
def spawn_calls(case: MicroCase, k: int) -> Iterator[Loop]:
    """spawn: K calls of ``Parallel`` with one task each, one after another, on the session's warm workers.

    The pool has a worker per core (``n_jobs=1`` would run the task in this process);
    a call of one task uses one of them.
    """
    from joblib import Parallel, delayed

    with Parallel(n_jobs=cpu_count(), backend="loky", timeout=ROUND_TIMEOUT_S) as parallel:
        parallel(delayed(ran)() for _ in range(2 * cpu_count()))  # every worker is up before timing

        def one_round() -> int:
            done = 0
            for _ in range(k):
                done += sum(parallel([delayed(ran)()]))
            return done

        yield Loop(one_round, counted(k, "spawn: joblib calls returned"), k, {"pool_size": cpu_count()})


class Joblib(Model):
    """``Parallel(n_jobs=cores, model="loky")`` over the blocking form, on a warm pool."""

    name = "joblib"
    form = Form.BLOCKING
    summary = "joblib.Parallel on loky (one worker per core, auto batches): one call per round"
    traits = Traits(waits="process", parallel_python=True, in_parent=False, fixed_pool=True, own_interpreter=True)

    colour = "#393b79"
    requires = ("joblib",)
    packages = ("joblib",)

    @classmethod
    def session(cls, options: Mapping[str, Any]) -> AbstractContextManager[Any]:
        return warm_workers()

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(
                    spawn_calls, "one Parallel call of one task on a warm loky pool", PerProfile(quick=20)
                ),
                SWITCH: Skip(
                    "a joblib task cannot hand control to another task without blocking a worker; the hand-over "
                    "between two processes is processes' switch"
                ),
                IPC: Skip(NOT_IPC + "joblib pickles each call's tasks and results through loky's queues"),
                MEMORY: Skip(
                    "joblib " + NO_LIVE_TASKS + "a fixed set of loky workers runs the tasks and a queued task is a "
                    "small work item; processes' memory is the cost of a process per task"
                ),
            }
        )

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self.n_jobs = cpu_count()
        self._parallel: Any = None

    def capacity(self, n_tasks: int) -> int | None:
        return self.n_jobs

    def setup(self, n_tasks: int) -> None:
        from joblib import Parallel, delayed

        self._parallel = Parallel(n_jobs=self.n_jobs, backend="loky", timeout=ROUND_TIMEOUT_S)
        self._parallel.__enter__()
        # Start every worker now, so starting them is not timed.
        self._parallel(delayed(ran)() for _ in range(self.n_jobs * 2))

    def parameters(self) -> Mapping[str, Any]:
        return {"pool_size": self.n_jobs, "pool": "loky"}

    def close(self) -> None:
        if self._parallel is not None:
            self._parallel.__exit__(None, None, None)
            self._parallel = None

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        from joblib import delayed

        if self._parallel is None:
            self.setup(n_tasks)
        send_by_value(task)
        return list(self._parallel(delayed(task)(i) for i in range(n_tasks)))
