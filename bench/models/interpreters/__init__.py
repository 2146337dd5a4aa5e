"""interpreters: subinterpreters with a GIL each (PEP 684), through ``InterpreterPoolExecutor`` (PEP 734).

Since Python 3.12 an interpreter in the same process can have its own GIL, so
pure-Python code in two of them runs on two cores at once, without a process per
task. ``InterpreterPoolExecutor`` runs each worker thread in an interpreter of its
own. It ships in the standard library from 3.14 (``concurrent.futures``); on 3.12
and 3.13 the ``interpreters-pep-734`` backport by the PEP's author provides it
(import name ``interpreters_backport``; on 3.12 it also needs the low-level modules
of ``interpreters-3-12``). Before 3.12 the model is skipped with the reason.

As for the other pools, the variant is the size: none is one interpreter per core,
``all`` one per task for the workloads that wait (see :mod:`bench.models._pools`).
The pool and its interpreters are made and warmed outside the timed region.

Tasks travel by importable reference (:mod:`bench.models._by_reference`): a task
that a subinterpreter cannot import fails its case at once, naming the cause, and
every wait for a result is bounded. Only modules that support several interpreters
load in one: a workload whose import reaches an extension module without that
support (psutil, numpy before 2.x) fails with the import error as its reason.

On a free-threaded build (3.13t, 3.14t) there is no GIL to escape; the interpreters
still run in parallel, and what the model adds over threads is isolation, not cores.
Its micro-costs are in :mod:`bench.models.interpreters._micro`.
"""

from __future__ import annotations

import pickle
import sys
import sysconfig
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from bench.machine import cpu_count
from bench.micro.hooks import MicroHooks
from bench.models._base import Model, Task, Traits
from bench.models._by_reference import call_by_reference, one, reference
from bench.models._pools import SizedPool, pool_label
from workloads.protocol import Form

#: The first Python with a GIL per interpreter (PEP 684).
PER_INTERPRETER_GIL = (3, 12)
#: The first Python whose standard library has ``InterpreterPoolExecutor``.
STDLIB_EXECUTOR = (3, 14)
#: The backport's import name, and its distribution on PyPI.
BACKPORT, BACKPORT_DISTRIBUTION = "interpreters_backport", "interpreters-pep-734"
#: The most interpreters the ``all`` pool makes: each costs megabytes (see the memory micro-cost).
INTERPRETER_POOL_CAP = 100
#: Longest a round may wait for its results before the case fails.
ROUND_TIMEOUT_S = 120.0
#: Longest the warm-up of a new pool may take.
WARM_TIMEOUT_S = 60.0


def free_threaded() -> bool:
    """Whether this Python is a free-threaded build (no GIL to escape: 3.13t, 3.14t)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def executor_class() -> Callable[[int], Executor]:
    """``InterpreterPoolExecutor``: the standard library's on 3.14+, the backport's before."""
    if sys.version_info >= STDLIB_EXECUTOR:
        from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined,unused-ignore]
    else:
        from interpreters_backport.concurrent.futures import InterpreterPoolExecutor
    make: Callable[[int], Executor] = InterpreterPoolExecutor
    return make


def interpreters_module() -> Any:
    """PEP 734's ``interpreters`` module: ``concurrent.interpreters`` on 3.14+, the backport's before."""
    if sys.version_info >= STDLIB_EXECUTOR:
        from concurrent import interpreters  # type: ignore[attr-defined,unused-ignore]
    else:
        from interpreters_backport import interpreters
    return interpreters


def queues_module_name() -> str:
    """The module an interpreter must import before it can be handed a PEP 734 ``Queue``."""
    if sys.version_info >= STDLIB_EXECUTOR:
        return "concurrent.interpreters._queues"
    return f"{BACKPORT}.interpreters.queues"


def results_of(futures: list[Any], timeout_s: float, what: str) -> list[Any]:
    """Each future's result within one shared ``timeout_s``; ``TimeoutError`` naming ``what`` past it."""
    deadline = time.monotonic() + timeout_s
    try:
        return [future.result(max(0.0, deadline - time.monotonic())) for future in futures]
    except FutureTimeout:
        raise TimeoutError(f"interpreters: {what} did not finish within {timeout_s:.0f} s") from None


class Interpreters(SizedPool, Model):
    """Submit all tasks to a warm ``InterpreterPoolExecutor``, by importable reference, and wait."""

    name = "interpreters"
    form = Form.BLOCKING
    summary = (
        "InterpreterPoolExecutor, an interpreter with its own GIL per worker (one per core, and [all]: "
        "one per task): submit all by importable reference, wait"
    )
    traits = Traits(waits="thread", parallel_python=True, in_parent=True, fixed_pool=True, own_interpreter=True)
    colour = "#17a768"
    requires = () if sys.version_info >= STDLIB_EXECUTOR else (BACKPORT,)
    packages = () if sys.version_info >= STDLIB_EXECUTOR else (BACKPORT_DISTRIBUTION,)

    @classmethod
    def not_here(cls) -> str | None:
        if sys.version_info < PER_INTERPRETER_GIL:
            return (
                f"needs Python 3.12+ for a per-interpreter GIL (this is {sys.version_info.major}."
                f"{sys.version_info.minor}); run with PYTHON=/path/to/python3.13"
            )
        if sys.version_info < (3, 13) and not _low_level_found():
            return (
                "needs the low-level modules of interpreters-3-12 on Python 3.12 (pip install interpreters-3-12), "
                "or Python 3.13+; run with PYTHON=/path/to/python3.13"
            )
        return None

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self.pool_size = cpu_count()
        self._pool: Executor | None = None
        self._stuck = False

    worker_noun = "interpreters"

    def default_size(self) -> int:
        return cpu_count()

    def all_cap(self) -> int:
        return INTERPRETER_POOL_CAP

    def setup(self, n_tasks: int) -> None:
        self.pool_size = self.size_for(n_tasks)
        self._pool = executor_class()(self.pool_size)
        # Start every worker's interpreter now, so that making them is not timed.
        packed = reference(one)
        self._wait([self._pool.submit(call_by_reference, packed, 0) for _ in range(self.pool_size * 2)], "warm-up")

    def parameters(self) -> Mapping[str, Any]:
        return {
            "pool_size": self.pool_size,
            "pool": pool_label(self.variant),
            "executor": "concurrent.futures" if sys.version_info >= STDLIB_EXECUTOR else BACKPORT,
            "gil": "none (free-threaded build)" if free_threaded() else "one per interpreter",
        }

    def close(self) -> None:
        if self._pool is not None:
            # A worker stuck in a task cannot be stopped: waiting for it would hang the session.
            self._pool.shutdown(wait=not self._stuck, cancel_futures=True)
            self._pool = None

    def _wait(self, futures: list[Any], what: str) -> list[Any]:
        try:
            return results_of(futures, WARM_TIMEOUT_S if what == "warm-up" else ROUND_TIMEOUT_S, what)
        except TimeoutError:
            self._stuck = True
            raise

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        if self._pool is None:
            self.setup(n_tasks)
        assert self._pool is not None
        packed = reference(task)  # raises NotImportable, naming why, before anything is submitted
        futures = [self._pool.submit(call_by_reference, packed, i) for i in range(n_tasks)]
        return [pickle.loads(blob) for blob in self._wait(futures, f"a round of {n_tasks} tasks")]

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        from bench.models.interpreters._micro import micro_hooks

        return micro_hooks()


def _low_level_found() -> bool:
    """Whether the low-level ``_interpreters`` module exists (built in from 3.13; a package on 3.12)."""
    import importlib.util

    return importlib.util.find_spec("_interpreters") is not None
