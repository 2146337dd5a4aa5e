"""processes: one ``multiprocessing.Process`` per task, start all, join all.

The start method (``fork``, ``forkserver``, ``spawn``) is the variant. Process
creation is inside the timed region: it is what this model costs.

Its micro-cost loops (a process per spawn, a partner child for switch, three ipc
channels, held children for memory) are in :mod:`._micro` and
:mod:`._ipc`, imported when :meth:`Processes.micro_hooks` is asked.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bench.models._base import Model, Task, Traits
from bench.models._limits import process_limit
from workloads.protocol import Form

if TYPE_CHECKING:
    from bench.micro.hooks import MicroHooks

RESULT_TIMEOUT_S = 600.0
#: How often the children's exit codes are looked at while no result comes.
EXIT_POLL_S = 0.05


def _child(task: Task, i: int, results: Any) -> None:
    try:
        results.put((i, True, task(i)))
    except BaseException as exc:
        results.put((i, False, repr(exc)))


def default_start_method() -> str:
    """This platform's default start method."""
    return multiprocessing.get_start_method(allow_none=False)


def _next_result(results_queue: Any, procs: list[Any], received: set[int], deadline: float) -> tuple[int, bool, Any]:
    """The next (index, ok, value) from the children; raise as soon as one died without sending its result.

    A child that exits with a non-zero code (``os._exit(3)``, a signal) before its
    result is on the queue never sends one: it is noticed within
    :data:`EXIT_POLL_S`, not after the case's time-out.
    """
    while True:
        try:
            found: tuple[int, bool, Any] = results_queue.get(timeout=EXIT_POLL_S)
            return found
        except queue.Empty:
            pass
        for i, proc in enumerate(procs):
            if proc.exitcode not in (None, 0) and i not in received:
                # Its result may still be in the pipe: one last look before blaming it.
                try:
                    return tuple(results_queue.get(timeout=EXIT_POLL_S))  # type: ignore[return-value]
                except queue.Empty:
                    raise RuntimeError(
                        f"processes: task {i}'s child exited with code {proc.exitcode} before sending its result"
                    ) from None
        if time.monotonic() >= deadline:
            raise TimeoutError(f"processes: a child sent no result in {RESULT_TIMEOUT_S} s")


class Processes(Model):
    """A process per task; results come back over a multiprocessing queue."""

    name = "processes"
    form = Form.BLOCKING
    summary = "multiprocessing.Process per task (start method as variant): start all, join all"
    traits = Traits(waits="process", parallel_python=True, in_parent=False, fixed_pool=False, own_interpreter=True)
    colour = "#d62728"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant or default_start_method())
        self.start_method: str = self.variant or "fork"
        self._ctx: Any = multiprocessing.get_context(self.start_method)
        self._live: list[multiprocessing.process.BaseProcess] = []

    @classmethod
    def variants(cls, start_methods: tuple[str, ...]) -> tuple[str | None, ...]:
        return tuple(m for m in start_methods if m in multiprocessing.get_all_start_methods())

    def limit(self, n_tasks: int) -> str | None:
        return process_limit(n_tasks, self.start_method)

    def processes_started(self, n_tasks: int) -> int:
        return n_tasks

    def parameters(self) -> Mapping[str, Any]:
        return {"start_method": self.start_method}

    def close(self) -> None:
        for proc in self._live:
            if proc.is_alive():
                proc.kill()
            proc.join()
            proc.close()
        self._live = []

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        results_queue = self._ctx.Queue()
        procs = [self._ctx.Process(target=_child, args=(task, i, results_queue)) for i in range(n_tasks)]
        self._live = procs
        for proc in procs:
            proc.start()
        results: list[Any] = [None] * n_tasks
        received: set[int] = set()
        deadline = time.monotonic() + RESULT_TIMEOUT_S
        try:
            for _ in range(n_tasks):
                i, ok, value = _next_result(results_queue, procs, received, deadline)
                received.add(i)
                if not ok:
                    raise RuntimeError(f"processes: task {i} failed in its child: {value}")
                results[i] = value
            for proc in procs:
                proc.join()
        finally:
            self.close()
            results_queue.close()
            results_queue.join_thread()
        return results

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        from bench.models.processes._micro import micro_hooks

        return micro_hooks()
